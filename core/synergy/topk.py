"""The K best candidates of each flow, found without listing every pair within the distance.

A facilitator reads each supply's few best outlets and each need's few best sources, not two
million lines. :func:`search_top_k` keeps, for every supply, its ``k`` best-scored needs and,
for every need, its ``k`` best-scored supplies; the output is the union (at most
``k x (supplies + needs)`` pairs).

The score (:mod:`.scoring`) is not the distance alone: it mixes compatibility, quantity fit,
distance and season. The search is still exact. For each compatible resource pair and each
side, a KD-tree gives every flow its nearest flows of the other side within the limit
(``cKDTree.query`` with ``k`` and ``distance_upper_bound``); their scores are computed in
arrays. A flow farther than the last one returned scores at most the *bound* at that distance:
the score with a perfect quantity fit and a full season overlap, which only decreases with
distance. When the flow's ``k``-th best score found is above that bound, nothing farther can
enter its best ``k``. The flows left undecided (a far flow with a perfect fit may still beat
near ones: the bound is often above the ``k``-th score in a dense region) get every flow
within the limit scored, chunk by chunk, keeping only each one's best ``k``: the memory holds
one chunk of pairs, never all of them.

Order of the candidates of a flow (ties included, so the result is one set whatever the input
order): score (best first), then distance (nearest first), then the other flow's id.

The score used to choose is the one before allocation (matched quantity = potential quantity);
the allocation then runs on the candidates kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..progress import check_canceled
from ._common import MONTH_COUNT
from .scoring import combine_score, distance_score, quantity_fit

#: Tolerance of the exact distance check (floating-point rounding only), as in candidates.py.
DISTANCE_TOLERANCE_M = 1e-6
#: Neighbours asked first per flow, as a multiple of ``k`` (plus a few, for the flows of the
#: same actor that are skipped).
FIRST_QUERY_FACTOR = 2
#: Pairs scored at once for the flows the first query did not decide.
CHUNK_PAIRS = 2_000_000
#: Scores are rounded to 1e-4 (:func:`.scoring.combine_score`): whole steps of a sort key.
SCORE_STEPS = 10_000
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
        dist = distance_score(d_m / 1000.0, self.limit_km[pidx])
        return combine_score(factor, fit, dist, season)

    def bound(self, pidx: int, d_m: np.ndarray) -> np.ndarray:
        """The best score a pair of resource pair ``pidx`` at ``d_m`` metres or more can have
        (perfect fit, full season): every part but the distance at its maximum."""
        d_m = np.asarray(d_m, dtype=float)
        ones = np.ones(len(d_m))
        factor = np.full(len(d_m), self.factor[pidx])
        dist = distance_score(d_m / 1000.0, np.full(len(d_m), self.limit_km[pidx]))
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


def _side(q_xy, q_rows, q_actor, t_tree, t_rows, t_actor, t_rank, lim_m, k, pidx, score_of,
          bound_of, progress):  # fmt: skip
    """For each query flow (one resource, one side), its ``k`` best flows of the target tree.

    ``score_of(q, t, d)`` scores query rows ``q`` against target rows ``t`` at ``d`` metres.
    First the nearest ``2k + 4`` of every query flow: a flow whose ``k``-th best score found
    beats the bound of anything farther is decided. The others are scanned in chunks: every
    flow within the limit is scored, the best ``k`` kept, the rest dropped at once (the
    memory holds one chunk's pairs, never all of them). Returns (query rows, target rows,
    distances) of the kept pairs.
    """
    n_t = len(t_rows)
    ask = min(n_t, FIRST_QUERY_FACTOR * k + 4)
    dist, idx = t_tree.query(q_xy, k=ask, distance_upper_bound=lim_m + 1e-3)
    dist = dist.reshape(len(q_rows), ask)
    idx = idx.reshape(len(q_rows), ask)
    valid = idx < n_t
    chosen_q, chosen_t, chosen_d, kth = _best_of_rows(
        idx, valid, q_xy, q_rows, t_tree.data, t_rows, lim_m, q_actor, t_actor, t_rank, k,
        score_of,
    )  # fmt: skip
    seen_all = ~valid[:, -1] | (ask >= n_t)
    farther = bound_of(np.maximum(dist[:, -1] - DISTANCE_TOLERANCE_M, 0.0))
    done = seen_all | (kth > np.where(seen_all, np.inf, farther))
    keep = done[chosen_q]
    out_q, out_t, out_d = [q_rows[chosen_q[keep]]], [chosen_t[keep]], [chosen_d[keep]]
    pending = np.flatnonzero(~done)
    if pending.size:
        # chunks of about CHUNK_PAIRS pairs, the query flows in x order (compact chunks)
        sample = pending[:: max(1, pending.size // 200)]
        per_flow = float(np.mean(t_tree.query_ball_point(q_xy[sample], lim_m, return_length=True)))
        size = int(max(64, CHUNK_PAIRS // max(per_flow, 1.0)))
        pending = pending[np.argsort(q_xy[pending, 0], kind="stable")]
        for start in range(0, pending.size, size):
            check_canceled(progress)
            part = pending[start : start + size]
            found = cKDTree(q_xy[part]).sparse_distance_matrix(
                t_tree, lim_m + 1e-3, output_type="ndarray"
            )
            local = part[found["i"]]
            d = _distances(q_xy[local], t_tree.data[found["j"]])
            chosen_q, chosen_t, chosen_d, _ = _best(
                local, q_rows, t_rows[found["j"]], d, lim_m, q_actor, t_actor, t_rank, k,
                score_of, len(q_rows),
            )  # fmt: skip
            out_q.append(q_rows[chosen_q])
            out_t.append(chosen_t)
            out_d.append(chosen_d)
    cat = np.concatenate
    return cat(out_q), cat(out_t), cat(out_d)


def _best_of_rows(idx, valid, q_xy, q_rows, t_xy, t_rows, lim_m, q_actor, t_actor, t_rank, k,
                  score_of):  # fmt: skip
    """:func:`_best` for the first query: each query flow's neighbours are one row of
    ``idx`` (``valid`` where found), and each row is sorted on its own (a few dozen values,
    not one sort of every pair), in the same order as :func:`best_of_groups`."""
    n_q, cols = idx.shape
    safe = np.where(valid, idx, 0)
    ti = t_rows[safe]
    row = np.broadcast_to(np.arange(n_q)[:, None], (n_q, cols))
    d = np.full((n_q, cols), np.inf)
    d[valid] = _distances(q_xy[row[valid]], t_xy[safe[valid]])
    qi = q_rows[row]
    ok = valid & (d <= lim_m + DISTANCE_TOLERANCE_M) & (q_actor[qi] != t_actor[ti])
    score = np.full((n_q, cols), -np.inf)
    score[ok] = score_of(qi[ok], ti[ok], d[ok])
    rank = t_rank[ti]
    taken, kth = best_in_rows(score, d, rank, ok, k)
    r, c = np.nonzero(taken)
    return r, ti[r, c], d[r, c], kth


def _distances(a, b) -> np.ndarray:
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def _best(local, q_rows, ti, d, lim_m, q_actor, t_actor, t_rank, k, score_of, n_query):
    """The ``k`` best of each query flow among the given pairs (``local``: query positions),
    after the exact distance check and the same-actor exclusion; with the ``k``-th best score
    of each query flow (-inf when it has fewer than ``k``)."""
    qi = q_rows[local]
    keep = (d <= lim_m + DISTANCE_TOLERANCE_M) & (q_actor[qi] != t_actor[ti])
    local, qi, ti, d = local[keep], qi[keep], ti[keep], d[keep]
    score = score_of(qi, ti, d)
    best = best_of_groups(local, score, d, t_rank[ti], k)
    kth = np.full(n_query, -np.inf)
    if best.any():
        counts = np.bincount(local[best], minlength=n_query)
        lowest = np.full(n_query, np.inf)
        np.minimum.at(lowest, local[best], score[best])
        kth = np.where(counts >= k, lowest, -np.inf)
    return local[best], ti[best], d[best], kth


def search_top_k(s_xy, s_res, s_actor, s_rank, n_xy, n_res, n_actor, n_rank, pair_s, pair_n,
                 limit_m, scorer: PairScorer, k: int, progress=None) -> dict:  # fmt: skip
    """The union of each supply's ``k`` best needs and each need's ``k`` best supplies.

    Arguments as :func:`.candidates.search_pairs`, plus ``s_rank``/``n_rank`` (each flow's
    place in the order of the flow ids, the last tie-break) and the ``scorer``. Returns the
    same arrays: ``si``, ``ni``, ``d``, ``pair``, ``same_actor`` (0: not counted here).
    """
    from .candidates import _groups

    s_groups, n_groups = _groups(s_res), _groups(n_res)
    s_trees: dict[int, cKDTree] = {}
    n_trees: dict[int, cKDTree] = {}
    out_s, out_n, out_d, out_p = [], [], [], []
    for p in range(len(pair_s)):
        check_canceled(progress)
        if progress is not None:
            progress.report(p / max(len(pair_s), 1))
        rs, rn = int(pair_s[p]), int(pair_n[p])
        if rs not in s_groups or rn not in n_groups:
            continue
        s_rows, n_rows = s_groups[rs], n_groups[rn]
        if rs not in s_trees:
            s_trees[rs] = cKDTree(s_xy[s_rows])
        if rn not in n_trees:
            n_trees[rn] = cKDTree(n_xy[n_rows])
        lim = float(limit_m[p])

        def bound_of(d, p=p):
            return scorer.bound(p, d)

        def supply_score(si, ni, d, p=p):
            return scorer.score(si, ni, d, np.full(len(si), p))

        def need_score(ni, si, d, p=p):
            return scorer.score(si, ni, d, np.full(len(si), p))

        a_s, a_n, a_d = _side(s_xy[s_rows], s_rows, s_actor, n_trees[rn], n_rows, n_actor,
                              n_rank, lim, k, p, supply_score, bound_of, progress)  # fmt: skip
        b_n, b_s, b_d = _side(n_xy[n_rows], n_rows, n_actor, s_trees[rs], s_rows, s_actor,
                              s_rank, lim, k, p, need_score, bound_of, progress)  # fmt: skip
        si = np.concatenate([a_s, b_s])
        ni = np.concatenate([a_n, b_n])
        d = np.concatenate([a_d, b_d])
        _, first = np.unique(si.astype(np.int64) * len(n_xy) + ni, return_index=True)
        out_s.append(si[first].astype(np.int32))
        out_n.append(ni[first].astype(np.int32))
        out_d.append(d[first])
        out_p.append(np.full(len(first), p, dtype=np.int32))
    if out_s:
        si, ni = np.concatenate(out_s), np.concatenate(out_n)
        d, pidx = np.concatenate(out_d), np.concatenate(out_p)
    else:
        si = ni = pidx = np.zeros(0, dtype=np.int32)
        d = np.zeros(0)
    # across resource pairs: each flow's k best of the pairs each resource pair kept
    keep = keep_top_k(si, ni, scorer.score(si, ni, d, pidx), d, s_rank, n_rank, k)
    return {"si": si[keep], "ni": ni[keep], "d": d[keep], "pair": pidx[keep], "same_actor": 0}


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
