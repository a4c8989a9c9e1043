"""Optimal allocation of quantities when several needs compete for a supply (or the reverse).

The problem is a transportation problem on the candidates: one variable ``x_k`` per candidate
(quantity sent from its supply to its need), with

- per supply ``s``: ``sum x_k <= supply quantity``;
- per need ``n``: ``sum x_k <= need quantity``;
- per candidate: ``0 <= x_k <= potential_k`` (its compatibility-scaled potential,
  ``min(supply x factor, need)``).

Two objectives, solved lexicographically with ``scipy.optimize.linprog`` (HiGHS): first the
largest total quantity ``F*``, then the least transport ``sum x_k d_k`` (tonne-km for tonnes)
among the solutions exchanging ``F*`` (relaxed by 1e-9 only if the solver calls that
infeasible). A linear programme was chosen over ``networkx.max_flow_min_cost`` because
quantities and distances are real numbers (network simplex wants integers, and scaling them
would round small flows away), and over a big-M weight because no M is both safe and
numerically harmless when quantities span several orders of magnitude.

Candidates whose supply quantity, need quantity or potential is unknown (or whose units differ)
are left out. The problem is split by ``unit_norm`` and into connected components of the
supply-need graph; a component with a single candidate gets its potential directly, the others
are solved in batches of whole components (a block-diagonal programme is the same as solving
each component on its own, and avoids thousands of small solver calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from ..errors import EitError
from ..progress import check_canceled
from .impacts import heat_named, impact_arrays, load_impact_factors, unit_kind
from .scoring import add_ranks, combine_score, quantity_fit

#: A batch of components is solved in one programme up to this many candidates.
BATCH_SIZE = 20_000
NOTE_NOT_ALLOCATED = "non alloué"
NOTE_OUT_OF_ALLOCATION = "hors allocation : quantité inconnue"


@dataclass
class AllocationArrays:
    x: np.ndarray  # allocated quantity, NaN where not eligible
    eligible: np.ndarray  # bool
    log: list[str] = field(default_factory=list)
    totals: dict = field(default_factory=dict)  # unit -> {"quantity", "quantity_km", ...}


@dataclass
class AllocationResult:
    candidates: pd.DataFrame
    log: list[str]
    totals: dict


def _solve_batch(s_loc, n_loc, cap, q_s, q_n, cost) -> np.ndarray:
    """Lexicographic LP (max quantity, then min quantity x distance) for one batch."""
    m = len(cap)
    n_s, n_n = len(q_s), len(q_n)
    cols = np.arange(m)
    a_ub = sparse.csr_matrix(
        (np.ones(2 * m), (np.r_[s_loc, n_s + n_loc], np.r_[cols, cols])), shape=(n_s + n_n, m)
    )
    b_ub = np.r_[q_s, q_n]
    bounds = np.column_stack([np.zeros(m), cap])
    first = linprog(-np.ones(m), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if first.status != 0:
        raise EitError("allocation_failed", f"Allocation failed: {first.message}", step="quantity")
    best = -first.fun
    a2 = sparse.vstack([a_ub, sparse.csr_matrix(-np.ones((1, m)))], format="csr")
    # Keep the best quantity exactly; relax it by 1e-9 only if the solver finds that infeasible.
    for floor in (best, best * (1.0 - 1e-9) - 1e-9):
        second = linprog(cost, A_ub=a2, b_ub=np.r_[b_ub, -floor], bounds=bounds, method="highs")
        if second.status == 0:
            break
    if second.status != 0:
        raise EitError(
            "allocation_failed", f"Allocation failed: {second.message}", step="transport"
        )
    return second.x


def allocate_arrays(
    supply_key, need_key, capacity, supply_qty, need_qty, cost, unit, progress=None
) -> AllocationArrays:
    """Allocate quantities over candidates given as arrays (see the module docstring).

    ``supply_key``/``need_key`` identify the flows, ``capacity`` is each candidate's
    potential, ``cost`` its distance (km) and ``unit`` its ``unit_norm``.
    """
    capacity = np.asarray(capacity, dtype=float)
    supply_qty = np.asarray(supply_qty, dtype=float)
    need_qty = np.asarray(need_qty, dtype=float)
    cost = np.asarray(cost, dtype=float)
    unit = pd.Series(np.asarray(unit, dtype=object))
    eligible = (
        np.isfinite(capacity)
        & np.isfinite(supply_qty)
        & np.isfinite(need_qty)
        & np.isfinite(cost)
        & unit.notna().to_numpy()
    )
    x = np.full(len(capacity), np.nan)
    result = AllocationArrays(x, eligible)
    if not eligible.any():
        result.log.append("allocation: no candidate with known quantities")
        return result
    s_codes, _ = pd.factorize(np.asarray(supply_key))
    n_codes, _ = pd.factorize(np.asarray(need_key))
    n_comp_total = 0
    n_lp = 0
    units = pd.unique(unit[eligible])
    for k_unit, u in enumerate(units):
        check_canceled(progress)
        idx = np.flatnonzero(eligible & (unit == u).to_numpy())
        s_loc, s_inv = np.unique(s_codes[idx], return_inverse=True)
        n_loc, n_inv = np.unique(n_codes[idx], return_inverse=True)
        s_inv, n_inv = s_inv.reshape(-1), n_inv.reshape(-1)
        n_s, n_n = len(s_loc), len(n_loc)
        q_s_all, q_n_all, c_all = supply_qty[idx], need_qty[idx], cost[idx]
        cap = np.minimum(capacity[idx], np.minimum(q_s_all, q_n_all))
        cap = np.clip(cap, 0.0, None)
        graph = sparse.coo_matrix(
            (np.ones(len(idx)), (s_inv, n_s + n_inv)), shape=(n_s + n_n, n_s + n_n)
        )
        n_comp, labels = connected_components(graph, directed=False)
        n_comp_total += n_comp
        comp = labels[s_inv]
        sizes = np.bincount(comp, minlength=n_comp)
        xs = np.zeros(len(idx))
        single = sizes[comp] == 1
        xs[single] = cap[single]
        multi = np.flatnonzero(~single)
        if len(multi):
            order = multi[np.argsort(comp[multi], kind="stable")]
            cuts = np.flatnonzero(np.r_[True, comp[order][1:] != comp[order][:-1], True])
            start = 0
            while start < len(cuts) - 1:
                check_canceled(progress)
                end = start + 1
                while end < len(cuts) - 1 and cuts[end + 1] - cuts[start] <= BATCH_SIZE:
                    end += 1
                rows = order[cuts[start] : cuts[end]]
                s_b_ids, s_b = np.unique(s_inv[rows], return_inverse=True)
                n_b_ids, n_b = np.unique(n_inv[rows], return_inverse=True)
                s_b, n_b = s_b.reshape(-1), n_b.reshape(-1)
                q_s = np.empty(len(s_b_ids))
                q_s[s_b] = q_s_all[rows]
                q_n = np.empty(len(n_b_ids))
                q_n[n_b] = q_n_all[rows]
                xs[rows] = _solve_batch(s_b, n_b, cap[rows], q_s, q_n, c_all[rows])
                n_lp += 1
                start = end
        xs = np.clip(xs, 0.0, cap)
        xs[xs <= 1e-9 * np.maximum(cap, 1.0)] = 0.0
        x[idx] = xs
        result.totals[str(u)] = {
            "quantity": float(xs.sum()),
            "quantity_km": float((xs * c_all).sum()),
            "candidates": int(len(idx)),
            "allocated": int((xs > 0).sum()),
        }
        if progress is not None:
            progress.report((k_unit + 1) / len(units))
    n_out = int((~eligible).sum())
    result.log.append(
        f"allocation: {int(eligible.sum())} candidate(s) in {n_comp_total} connected part(s), "
        f"{n_lp} linear programme(s) (HiGHS); {n_out} left out (unknown quantity or unit)"
    )
    for u, t in result.totals.items():
        kind, to_t = unit_kind(u)
        if kind == "mass":
            moved = f"transport {t['quantity_km'] * to_t:.6g} t.km"
        else:
            moved = f"quantity-weighted distance {t['quantity_km']:.6g} {u}.km"
        result.log.append(
            f"allocation [{u}]: {t['quantity']:.6g} {u} exchanged over {t['allocated']} of "
            f"{t['candidates']} candidate(s), {moved}"
        )
    return result


def append_note(notes: np.ndarray, where: np.ndarray, text: str) -> np.ndarray:
    """``text`` added (after ``; `` when there is already a note) to the selected notes."""
    notes = np.asarray(notes, dtype=object).copy()
    for k in np.flatnonzero(where):
        notes[k] = f"{notes[k]}; {text}" if notes[k] else text
    return notes


def allocate(candidates: pd.DataFrame, progress=None, factors=None) -> AllocationResult:
    """Allocate the quantities of a candidate frame (from :func:`find_candidates`).

    Returns a copy where ``matched_quantity`` is the allocated quantity (0 and the note
    "non alloué" for a candidate that gets nothing, null and "hors allocation" when its
    quantities are unknown), and ``coverage``, ``score`` and the impact figures follow.
    """
    needed = [
        "supply_flow",
        "need_flow",
        "potential_quantity",
        "supply_quantity",
        "need_quantity",
        "distance_km",
        "unit_norm",
    ]
    missing = [c for c in needed if c not in candidates.columns]
    if missing:
        raise EitError(
            "missing_column", f"The candidates lack {', '.join(missing)}", field=missing[0]
        )
    res = allocate_arrays(
        candidates["supply_flow"].to_numpy(dtype=object),
        candidates["need_flow"].to_numpy(dtype=object),
        candidates["potential_quantity"].to_numpy(dtype=float),
        candidates["supply_quantity"].to_numpy(dtype=float),
        candidates["need_quantity"].to_numpy(dtype=float),
        candidates["distance_km"].to_numpy(dtype=float),
        candidates["unit_norm"].to_numpy(dtype=object),
        progress,
    )
    out = candidates.copy()
    out["matched_quantity"] = res.x
    matched = np.where(res.eligible, res.x, np.nan)
    cov, share, fit = quantity_fit(
        matched, out["need_quantity"], out["supply_quantity"], out["compatibility"]
    )
    out["coverage"] = cov
    out["supply_share"] = share
    out["score_coverage"] = fit
    out["score"] = combine_score(
        out["score_compat"], fit, out["score_distance"], out["score_season"]
    )
    notes = out["notes"].to_numpy(dtype=object)
    notes = np.where(pd.isna(notes), "", notes)
    notes = append_note(notes, res.eligible & (res.x == 0), NOTE_NOT_ALLOCATED)
    notes = append_note(notes, ~res.eligible, NOTE_OUT_OF_ALLOCATION)
    out["notes"] = notes
    factors = factors or load_impact_factors()
    arrays = impact_arrays(
        res.x,
        out["unit_norm"].to_numpy(dtype=object),
        out["distance_km"].to_numpy(dtype=float),
        heat_named(out),
        factors,
    )
    for name, values in arrays.items():
        out[name] = values
    return AllocationResult(add_ranks(out), res.log, res.totals)
