"""The K best candidates of each flow, found without listing every pair within the distance.

A facilitator reads each supply's few best outlets and each need's few best sources, not two
million lines. :func:`search_top_k` keeps, for every supply, its ``k`` best-scored needs and,
for every need, its ``k`` best-scored supplies; the output is the union (at most
``k x (supplies + needs)`` pairs).

The score (:mod:`.scoring`) is not the distance alone: it mixes compatibility, quantity fit,
distance and season. The search is still exact. Each side is searched in one pass over every
compatible resource pair: for each pair, a KD-tree gives every flow its ``2k + 4`` nearest
flows of the other side (``cKDTree.query``); the rows of all pairs (one per flow and pair) are
scored and sorted together, each row on its own. A flow farther than the last one returned
scores at most the *bound* at that distance: the score with a perfect quantity fit and a
full season overlap, which only decreases with distance. A row is decided when that bound is
below a lower bound of its flow's ``k``-th best score over all its pairs (the best ``k``-th
score of its rows): nothing farther can enter the flow's best ``k``. The rows left undecided
(a far flow with a perfect fit may still beat near ones: the bound is often above the
``k``-th score in a dense region) get every flow within the limit scored, chunk by chunk,
keeping only each one's best ``k``: the memory holds one chunk of pairs, never all of them.
Last, a flow in several resource pairs keeps its ``k`` best of them all, and the need side's
choices are added to the supply side's, each pair once.

The nearest flows do not depend on the distance limit (the nearest within a limit are the
nearest, cut at the limit): they are kept with their exact distances, the parts of their
scores that do not depend on the distance (:func:`.scoring.fixed_parts`; made again when the
flows' quantities, units or months change) and the KD-trees for the next search over the
same flows when the caller placed them once to search them again (:func:`.place_flows`; the
dock, at each move of its distance slider): :func:`_memo`.

Order of the candidates of a flow (ties included, so the result is one set whatever the input
order): score (best first), then distance (nearest first), then the other flow's id. The
``k`` best of a row or group are found by a partition or one integer sort on the score; only
the score ties at the ``k``-th place are ordered by distance and id.

The score used to choose is the one before allocation (matched quantity = potential quantity);
the allocation then runs on the candidates kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..progress import check_canceled
from ._common import MONTH_COUNT, arrays_digest
from .scoring import combine_score, distance_score, fixed_parts, quantity_fit, score_with_distance

#: Tolerance of the exact distance check (floating-point rounding only), as in candidates.py.
DISTANCE_TOLERANCE_M = 1e-6
#: Neighbours asked first per flow, as a multiple of ``k`` (plus a few, for the flows of the
#: same actor that are skipped).
FIRST_QUERY_FACTOR = 2
#: Pairs scored at once for the flows the first query did not decide.
CHUNK_PAIRS = 2_000_000
#: Scores are rounded to 1e-4 (:func:`.scoring.combine_score`): whole steps of a sort key.
SCORE_STEPS = 10_000
#: The same flows searched again (the dock's slider): both sides searched at once, in two
#: threads, from this many flows (below, the thread costs more than it saves).
PARALLEL_SIDES = True
PARALLEL_MIN_FLOWS = 2_000
#: Groups that fit in one integer sort key with the score.
_MAX_GROUPS = (2**62) // (SCORE_STEPS + 1)


@dataclass
class PairScorer:
    """The pre-allocation score of any (supply row, need row, resource pair) in arrays."""

    q_s: np.ndarray  # supply quantity_norm (NaN unknown)
    q_n: np.ndarray
    u_s: np.ndarray  # unit_norm codes shared by both sides (-1 unknown)
    u_n: np.ndarray
    m_s: np.ndarray  # 12-bit month masks
    m_n: np.ndarray
    k_s: np.ndarray  # months readable
    k_n: np.ndarray
    factor: np.ndarray  # per resource pair
    limit_km: np.ndarray  # per resource pair

    def score(self, si, ni, d_m, pidx) -> np.ndarray:
        """The candidate score, computed exactly as :func:`.find_candidates` does."""
        return self.with_distance(self.parts(si, ni, pidx), d_m, pidx)

    def parts(self, si, ni, pidx) -> tuple[np.ndarray, np.ndarray]:
        """The parts of the score that do not depend on the distance
        (:func:`.scoring.fixed_parts`)."""
        q_s, q_n = self.q_s[si], self.q_n[ni]
        u_s, u_n = self.u_s[si], self.u_n[ni]
        factor = self.factor[pidx]
        known = np.isfinite(q_s) & np.isfinite(q_n) & (u_s >= 0) & (u_s == u_n)
        potential = np.where(known, np.minimum(q_s * factor, q_n), np.nan)
        _, _, fit = quantity_fit(potential, q_n, q_s, factor)
        m_s, m_n = self.m_s[si], self.m_n[ni]
        readable = self.k_s[si] & self.k_n[ni]
        overlap = MONTH_COUNT[m_s & m_n] / np.maximum(MONTH_COUNT[m_n], 1)
        season = np.where(readable, overlap, 1.0)
        return fixed_parts(factor, fit, season)

    def with_distance(self, parts, d_m, pidx) -> np.ndarray:
        """The score from :meth:`parts` and the distance of each pair."""
        return score_with_distance(parts, distance_score(d_m / 1000.0, self.limit_km[pidx]))

    def flows_digest(self) -> bytes:
        """What :meth:`parts` reads of the flows (quantities, units, months), digested."""
        return arrays_digest(self.q_s, self.q_n, self.u_s, self.u_n, self.m_s, self.m_n,
                             self.k_s, self.k_n)  # fmt: skip

    def bound(self, pidx, d_m: np.ndarray) -> np.ndarray:
        """The best score a pair of resource pair ``pidx`` (one per distance, or one for
        all) at ``d_m`` metres or more can have (perfect fit, full season): every part but
        the distance at its maximum."""
        d_m = np.asarray(d_m, dtype=float)
        ones = np.ones(len(d_m))
        factor = np.broadcast_to(self.factor[pidx], d_m.shape)
        dist = distance_score(d_m / 1000.0, np.broadcast_to(self.limit_km[pidx], d_m.shape))
        return combine_score(factor, ones, dist, ones)


def best_of_groups(group, score, d_m, other_rank, k: int) -> np.ndarray:
    """Mask of the ``k`` first rows of each group, in the order score (best first), distance,
    then the other flow's rank; ``group`` are integer codes >= 0."""
    n = len(group)
    if not n:
        return np.zeros(0, dtype=bool)
    score = np.asarray(score, dtype=float)
    steps = np.rint(score * SCORE_STEPS)
    top = int(np.max(group)) + 1
    if steps.min() < 0 or not np.array_equal(steps / SCORE_STEPS, score) or top > _MAX_GROUPS:
        order = np.lexsort((other_rank, d_m, -score, group))
        return _first_k_of_sorted(np.asarray(group)[order], order, k)
    # scores are whole steps of 1e-4 (combine_score): group and score in one integer key,
    # sorted at once; only the runs of one score that straddle a group's k-th place are then
    # ordered by distance and rank (the rest of a run is wholly in or wholly out)
    first = np.asarray(group, dtype=np.int64) * (SCORE_STEPS + 1) + (
        SCORE_STEPS - steps.astype(np.int64)
    )
    order = np.argsort(first)
    f = first[order]
    g = f // (SCORE_STEPS + 1)
    idx = np.arange(n)
    pos = idx - np.maximum.accumulate(np.where(np.r_[True, g[1:] != g[:-1]], idx, 0))
    new_run = np.r_[True, f[1:] != f[:-1]]
    run_first = np.flatnonzero(new_run)
    run_len = np.diff(np.r_[run_first, n])
    run_pos = pos[run_first]  # the group place of each run's first row
    taken = pos < k
    straddle = (run_pos < k) & (run_pos + run_len > k)
    if straddle.any():
        run_id = np.cumsum(new_run) - 1
        sub = np.flatnonzero(straddle[run_id])  # sorted places of the rows to order
        rows = order[sub]
        sub_order = np.lexsort((np.asarray(other_rank)[rows], np.asarray(d_m)[rows], f[sub]))
        sub = sub[sub_order]
        runs = run_id[sub]
        j = np.arange(len(sub))
        in_run = j - np.maximum.accumulate(np.where(np.r_[True, runs[1:] != runs[:-1]], j, 0))
        taken[sub] = run_pos[runs] + in_run < k
    keep = np.zeros(n, dtype=bool)
    keep[order[taken]] = True
    return keep


def _first_k_of_sorted(g, order, k: int) -> np.ndarray:
    """Mask of the ``k`` first rows of each group, ``order`` sorting the rows (``g``: their
    groups in that order)."""
    n = len(order)
    idx = np.arange(n)
    start = np.maximum.accumulate(np.where(np.r_[True, g[1:] != g[:-1]], idx, 0))
    keep = np.zeros(n, dtype=bool)
    keep[order[idx - start < k]] = True
    return keep


def best_in_rows(score, d_m, other_rank, ok, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` best columns among the ``ok`` ones, in the order of
    :func:`best_of_groups`: ``(taken mask, k-th best score of each row, -inf when it has
    fewer than k)``. The ``k``-th best score of a row is found by a partition; only the rows
    where that score is shared by more columns than places left are sorted (score, distance,
    rank)."""
    n, cols = score.shape
    key = np.where(ok, -score, np.inf)
    if cols > k:
        t = np.partition(key, k - 1, axis=1)[:, k - 1]
    else:
        t = np.full(n, np.inf)
    taken = key < t[:, None]
    at = (key == t[:, None]) & ok
    over = np.flatnonzero(at.sum(axis=1) > k - taken.sum(axis=1))
    taken |= at
    if over.size:
        sub = np.lexsort((other_rank[over], d_m[over], key[over]), axis=-1)[:, :k]
        taken[over] = False
        taken[over[:, None], sub] = True
    kth = np.where(np.isfinite(t), -t, -np.inf)
    return taken, kth


def search_top_k(s_xy, s_res, s_actor, s_rank, n_xy, n_res, n_actor, n_rank, pair_s, pair_n,
                 limit_m, scorer: PairScorer, k: int, progress=None,
                 reuse: bool = False) -> dict:  # fmt: skip
    """The union of each supply's ``k`` best needs and each need's ``k`` best supplies.

    Arguments as :func:`.candidates.search_pairs`, plus ``s_rank``/``n_rank`` (each flow's
    place in the order of the flow ids, the last tie-break) and the ``scorer``; ``reuse``
    keeps the nearest flows for the next search over the same flows and uses those kept
    (:func:`_memo`). Returns the same arrays: ``si``, ``ni``, ``d``, ``pair``,
    ``same_actor`` (0: not counted here).
    """
    from .candidates import _groups

    s_groups, n_groups = _groups(s_res), _groups(n_res)
    live = [
        p for p in range(len(pair_s)) if int(pair_s[p]) in s_groups and int(pair_n[p]) in n_groups
    ]
    ask = FIRST_QUERY_FACTOR * k + 4
    memo = _memo(arrays_digest(s_xy, s_res, s_actor, n_xy, n_res, n_actor, ask)) if reuse else {}
    flows = {"s": (s_xy, s_groups, s_actor), "n": (n_xy, n_groups, n_actor)}
    oriented = {"s": _Oriented(scorer, supply_first=True), "n": _Oriented(scorer, False)}
    flows_digest = scorer.flows_digest() if reuse else b""
    if reuse:
        _forget_parts_of_other_flows(memo, flows_digest)

    def tree(side: str, code: int) -> cKDTree:
        if (side, code) not in memo:
            xy, groups, _ = flows[side]
            memo[side, code] = cKDTree(xy[groups[code]])
        return memo[side, code]

    def near(side: str, q_code: int, t_code: int):
        if (side, q_code, t_code) not in memo:
            other = "n" if side == "s" else "s"
            memo[side, q_code, t_code] = _nearest(
                *flows[side], q_code, *flows[other], t_code, tree(other, t_code), ask
            )
        return memo[side, q_code, t_code]

    def parts(side: str, q_code: int, t_code: int, p: int):
        """The score parts of the nearest flows that do not depend on the distance (kept)."""
        # keyed by what they are made of: a search of other quantities still running (canceled,
        # not yet stopped) may write its own parts beside them, never in their place
        key = ("parts", flows_digest, side, q_code, t_code, float(scorer.factor[p]))
        if key not in memo:
            found, _, same, _, _ = near(side, q_code, t_code)
            memo[key] = _fixed_parts(oriented[side], flows[side][1][q_code], found, same, p)
        return memo[key]

    def kept_parts(side: str, q_code: int, t_code: int, p: int):
        return (lambda: parts(side, q_code, t_code, p)) if reuse else None

    supply_pairs = [
        (p, s_groups[rs], n_groups[rn], lambda rn=rn: tree("n", rn),
         lambda rs=rs, rn=rn: near("s", rs, rn), kept_parts("s", rs, rn, p))
        for p, rs, rn in ((p, int(pair_s[p]), int(pair_n[p])) for p in live)
    ]  # fmt: skip
    need_pairs = [
        (p, n_groups[rn], s_groups[rs], lambda rs=rs: tree("s", rs),
         lambda rs=rs, rn=rn: near("n", rn, rs), kept_parts("n", rn, rs, p))
        for p, rs, rn in ((p, int(pair_s[p]), int(pair_n[p])) for p in live)
    ]  # fmt: skip
    steps = max(2 * len(live), 1)

    # the same flows searched again (the dock, waited for): both sides at once, in two
    # threads; once (the algorithms), one after the other, the memory of one side's scan
    parallel = PARALLEL_SIDES and reuse and len(s_xy) + len(n_xy) >= PARALLEL_MIN_FLOWS
    quiet = _Quiet(progress)
    need_side = _Side(
        _best_of_side, need_pairs, n_xy, n_actor, s_xy, s_actor, s_rank, limit_m, scorer,
        oriented["n"], k, quiet if parallel else progress, len(live), steps,
    )  # fmt: skip
    need_side.start(parallel)
    try:
        a_s, a_n, a_d, a_p = _best_of_side(
            supply_pairs, s_xy, s_actor, n_xy, n_actor, n_rank, limit_m, scorer, oriented["s"],
            k, progress, 0, len(live) if parallel else steps,
        )  # fmt: skip
    except BaseException:
        quiet.stop()  # the need side's thread ends at its next check; never run after
        need_side.wait()
        raise
    b_n, b_s, b_d, b_p = need_side.result()
    # each pair once: a need's choice that is also its supply's
    width = np.int64(len(n_xy))
    known = np.sort(a_s.astype(np.int64) * width + a_n)
    key = b_s.astype(np.int64) * width + b_n
    at = np.minimum(np.searchsorted(known, key), max(len(known) - 1, 0))
    new = known[at] != key if len(known) else np.ones(len(key), dtype=bool)
    return {
        "si": np.concatenate([a_s, b_s[new]]).astype(np.int32),
        "ni": np.concatenate([a_n, b_n[new]]).astype(np.int32),
        "d": np.concatenate([a_d, b_d[new]]).astype(float),
        "pair": np.concatenate([a_p, b_p[new]]).astype(np.int32),
        "same_actor": 0,
    }


class _Quiet:
    """A progress that tells cancels and reports nothing (the side searched in a thread
    beside the other: that one reports for both); :meth:`stop` cancels it alone (the other
    side failed)."""

    def __init__(self, progress):
        self.progress = progress
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def is_canceled(self) -> bool:
        if self.stopped.is_set():
            return True
        return self.progress is not None and bool(self.progress.is_canceled())

    def report(self, _fraction: float) -> None:
        pass

    def log(self, _message: str) -> None:
        pass


class _Side:
    """One side's search, in a thread of its own beside the other side's (numpy, the
    KD-trees and the sorts let go of Python's lock: two processors share the work), or run
    when its result is asked. An error or a cancel in the thread is raised by
    :meth:`result`."""

    def __init__(self, function, *args):
        self.function, self.args = function, args
        self.thread: threading.Thread | None = None
        self.outcome: dict = {}

    def start(self, parallel: bool) -> None:
        if not parallel:
            return

        def run():
            try:
                self.outcome["value"] = self.function(*self.args)
            except BaseException as error:  # noqa: BLE001 - raised again by result()
                self.outcome["error"] = error

        self.thread = threading.Thread(target=run, name="eit-top-k-side", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Let its thread end (its outcome dropped); nothing when it was not started."""
        if self.thread is not None:
            self.thread.join()

    def result(self):
        if self.thread is None:
            return self.function(*self.args)
        self.thread.join()
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["value"]


def _best_of_side(pairs, q_xy, q_actor, t_xy, t_actor, t_rank, limit_m, scorer, oriented, k,
                  progress, done_steps, steps):  # fmt: skip
    """Each query flow's ``k`` best flows of the other side, over every resource pair it is
    in. ``pairs``: ``(pair index, query rows, target rows, target tree, nearest targets, score
    parts of the nearest)`` (callables; the parts None: scored here); ``oriented`` scores
    query rows against target rows (:class:`_Oriented`).

    First, for each resource pair, the nearest ``2k + 4`` targets of every query flow (one
    KD-tree query per pair; the rows of every pair then scored and sorted together, one row
    per query flow and pair). A row is decided when the best that anything farther can
    score (:meth:`PairScorer.bound`) is below a lower bound of its flow's ``k``-th best
    score overall (the best ``k``-th score of the flow's rows). The other rows are scanned
    in chunks (every target within the limit scored, each row's best ``k`` kept: the memory
    holds one chunk's pairs, never all of them). Last, the flows in several resource pairs
    keep their ``k`` best of all their rows. Returns (query rows, target rows, distances,
    pair indices).
    """
    q_parts, p_parts, t_parts, d_parts, same_parts, seen_parts, last_parts = ([] for _ in range(7))
    fixed_parts, season_parts = [], []
    blocks, first_row = [], 0
    for i, (p, q_rows, t_rows, t_tree, near, kept_parts) in enumerate(pairs):
        check_canceled(progress)
        if progress is not None:
            progress.report((done_steps + i) / steps)
        found, dist, same, last, complete = near()
        q_parts.append(q_rows)
        p_parts.append(np.full(len(q_rows), p, dtype=np.int64))
        t_parts.append(found)
        d_parts.append(dist)
        same_parts.append(same)
        last_parts.append(last)
        # every target within the limit is among the nearest found
        seen_parts.append(complete | (last > limit_m[p] + 1e-3))
        if kept_parts is not None:
            fixed, season = kept_parts()
            fixed_parts.append(fixed)
            season_parts.append(season)
        blocks.append((first_row, first_row + len(q_rows), p, t_rows, t_tree))
        first_row += len(q_rows)
    if not pairs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    cat = np.concatenate
    qrow, pidx, ti, d = cat(q_parts), cat(p_parts), cat(t_parts), cat(d_parts)
    same, last, seen = cat(same_parts), cat(last_parts), cat(seen_parts)
    n_rows, cols = ti.shape
    row = np.broadcast_to(np.arange(n_rows)[:, None], (n_rows, cols))
    ok = (d <= limit_m[pidx][:, None] + DISTANCE_TOLERANCE_M) & ~same  # d inf: none found
    safe = np.where(ti >= 0, ti, 0)
    score = np.full((n_rows, cols), -np.inf)
    r_ok = row[ok]
    if len(fixed_parts) == len(pairs):  # kept from the last search over the same flows
        parts = (cat(fixed_parts)[ok], cat(season_parts)[ok])
        score[ok] = scorer.with_distance(parts, d[ok], pidx[r_ok])
    else:
        score[ok] = oriented.score(qrow[r_ok], ti[ok], d[ok], pidx[r_ok])
    taken, kth = best_in_rows(score, d, t_rank[safe], ok, k)
    # a lower bound of each flow's k-th best score overall: the best k-th of its rows
    flow_kth = np.full(len(q_xy), -np.inf)
    np.maximum.at(flow_kth, qrow, kth)
    farther = scorer.bound(pidx, np.maximum(last - DISTANCE_TOLERANCE_M, 0.0))
    done = seen | (flow_kth[qrow] > farther)
    r, c = np.nonzero(taken & done[:, None])
    out_q, out_t, out_d, out_p, out_s = [qrow[r]], [ti[r, c]], [d[r, c]], [pidx[r]], [score[r, c]]
    for first, stop, p, t_rows, t_tree in blocks:
        pending = first + np.flatnonzero(~done[first:stop])
        if not pending.size:
            continue
        for part in _scan(pending, q_xy[qrow[pending]], t_tree(), limit_m[p], progress):
            found = cKDTree(q_xy[qrow[part]]).sparse_distance_matrix(
                t_tree(), limit_m[p] + 1e-3, output_type="ndarray"
            )
            local = part[found["i"]]
            tj = t_rows[found["j"]]
            dj = _distances(q_xy[qrow[local]], t_xy[tj])
            keep = (dj <= limit_m[p] + DISTANCE_TOLERANCE_M) & (q_actor[qrow[local]] != t_actor[tj])
            local, tj, dj = local[keep], tj[keep], dj[keep]
            sj = oriented.score(qrow[local], tj, dj, np.full(len(local), p))
            best = best_of_groups(local, sj, dj, t_rank[tj], k)
            out_q.append(qrow[local[best]])
            out_t.append(tj[best])
            out_d.append(dj[best])
            out_p.append(np.full(int(best.sum()), p, dtype=np.int64))
            out_s.append(sj[best])
    q, t, d, p, s = cat(out_q), cat(out_t), cat(out_d), cat(out_p), cat(out_s)
    # the flows in several resource pairs: their k best of every pair. A pair scored below
    # the flow's lower bound of its k-th best is not among them; the flows left with more
    # than k pairs are sorted
    multi = (np.bincount(qrow, minlength=len(q_xy)) > 1)[q]
    if multi.any():
        keep = ~multi | (s >= flow_kth[q])
        q, t, d, p, s, multi = q[keep], t[keep], d[keep], p[keep], s[keep], multi[keep]
        crowded = (np.bincount(q[multi], minlength=len(q_xy)) > k)[q]
        if crowded.any():
            m = np.flatnonzero(crowded)
            keep = ~crowded
            keep[m[best_of_groups(q[m], s[m], d[m], t_rank[t[m]], k)]] = True
            q, t, d, p = q[keep], t[keep], d[keep], p[keep]
    return q, t, d, p


class _Oriented:
    """The scorer with one side's flows as the query rows (the other's as the targets)."""

    def __init__(self, scorer: PairScorer, supply_first: bool):
        self.scorer, self.supply_first = scorer, supply_first

    def score(self, q, t, d_m, pidx) -> np.ndarray:
        return self.scorer.with_distance(self.parts(q, t, pidx), d_m, pidx)

    def parts(self, q, t, pidx):
        return self.scorer.parts(q, t, pidx) if self.supply_first else self.scorer.parts(t, q, pidx)


def _fixed_parts(oriented: _Oriented, q_rows, found, same, p: int):
    """The score parts that do not depend on the distance of the nearest targets ``found`` of
    the query rows ``q_rows`` (one row each) in resource pair ``p``: two arrays shaped as
    ``found`` (0 where there is no target or it is the same actor's)."""
    valid = (found >= 0) & ~same
    r = np.nonzero(valid)[0]
    fixed, season = np.zeros(found.shape), np.zeros(found.shape)
    fixed[valid], season[valid] = oriented.parts(q_rows[r], found[valid], np.full(len(r), p))
    return fixed, season


def _forget_parts_of_other_flows(memo: dict, flows_digest: bytes) -> None:
    """Let go of the score parts kept for other quantities, units or months of the flows
    (the places and resources are the memo's own key): those a search of other flows made,
    even after this one began."""
    for key in list(memo):  # a copy at once: another search's thread may add to the memo
        if isinstance(key, tuple) and key[0] == "parts" and key[1] != flows_digest:
            memo.pop(key, None)


def _nearest(q_xy, q_groups, q_actor, q_code, t_xy, t_groups, t_actor, t_code, t_tree, ask):
    """The ``ask`` nearest target flows of each query flow of one resource, whatever the
    distance: ``(target rows (-1: none), exact distances (inf: none), same actor, distance
    of the last found by the tree, every target found)``. The nearest within a limit are
    these, cut at the limit: they serve every search over the same flows."""
    q_rows, t_rows = q_groups[q_code], t_groups[t_code]
    n_q, n_t = len(q_rows), len(t_rows)
    found = np.full((n_q, ask), -1, dtype=np.int64)
    dist = np.full((n_q, ask), np.inf)
    got = min(ask, n_t)
    tree_d, idx = t_tree.query(q_xy[q_rows], k=got)
    idx = idx.reshape(n_q, got)
    found[:, :got] = t_rows[idx]
    row = np.repeat(q_rows, got)
    dist[:, :got] = _distances(q_xy[row], t_xy[found[:, :got].ravel()]).reshape(n_q, got)
    same = (q_actor[q_rows][:, None] == t_actor[np.where(found >= 0, found, 0)]) & (found >= 0)
    last = tree_d.reshape(n_q, got)[:, -1]
    return found, dist, same, last, got >= n_t


#: the nearest flows and KD-trees of the last flows searched (see :func:`_memo`)
_MEMO: dict = {"key": None, "parts": {}}
_MEMO_LOCK = threading.Lock()


def _memo(key: bytes) -> dict:
    """What a search over the same flows finds again whatever the distance (the KD-trees,
    each flow's nearest flows of the other side with their exact distances and the parts of
    their scores that do not depend on it), kept for the next search: the dock searches the
    same flows at each move of its distance slider. One set of flows is kept (the last); the
    parts are only read once made."""
    with _MEMO_LOCK:
        if _MEMO["key"] != key:
            _MEMO["key"], _MEMO["parts"] = key, {}
        return _MEMO["parts"]


def forget_searches() -> None:
    """Let go of what :func:`_memo` keeps."""
    with _MEMO_LOCK:
        _MEMO["key"], _MEMO["parts"] = None, {}


def _scan(pending, xy, t_tree, lim_m, progress):
    """The ``pending`` rows in chunks of about ``CHUNK_PAIRS`` pairs within ``lim_m`` of the
    target tree, in x order (compact chunks); ``xy`` the pending rows' points."""
    sample = xy[:: max(1, len(pending) // 200)]
    per_flow = float(np.mean(t_tree.query_ball_point(sample, lim_m, return_length=True)))
    size = int(max(64, CHUNK_PAIRS // max(per_flow, 1.0)))
    pending = pending[np.argsort(xy[:, 0], kind="stable")]
    for start in range(0, pending.size, size):
        check_canceled(progress)
        yield pending[start : start + size]


def _distances(a, b) -> np.ndarray:
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def keep_top_k(si, ni, score, d_m, s_rank, n_rank, k: int) -> np.ndarray:
    """Mask of the pairs among each supply's ``k`` best or each need's ``k`` best."""
    by_supply = best_of_groups(si, score, d_m, n_rank[ni], k)
    by_need = best_of_groups(ni, score, d_m, s_rank[si], k)
    return by_supply | by_need


def flow_ranks(flow_ids) -> np.ndarray:
    """Each flow's place in the sorted order of the flow ids (the last tie-break)."""
    ids = pd.Series(flow_ids, dtype=object).astype(str).to_numpy()
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    return rank
