"""Score of a synergy candidate: four visible parts and their weighted mean.

Every part is in [0, 1]:

- ``score_compat``   = the compatibility factor of the (supply, need) resource pair
  (1 for the same resource on both sides);
- ``score_coverage`` = the larger of ``coverage`` (matched quantity / need quantity: the share
  of the receiver's need covered) and ``supply_share`` (matched quantity / (supply quantity x
  compatibility factor): the share of the supplier's flow that finds an outlet). A pair counts
  when it matters to at least one side: ten care homes each placing all their biowaste at one
  large digester are ten good synergies, even though each covers a small share of the
  digester's need. Null when a quantity is unknown or the two flows are in different
  normalised units;
- ``score_distance`` = ``1 - distance_km / max_distance_km`` (linear decay: 1 for actors at the
  same place, 0 at the distance limit; road distance when it was computed);
- ``score_season``   = months when both flows are available / months of the need
  (1 when either calendar is unknown or unreadable; an empty calendar means all year).

``supply_rank`` and ``need_rank`` place each candidate among those of its supply flow and of
its need flow (1 = best).

``score = 0.30 compat + 0.25 coverage + 0.30 distance + 0.15 season``; an unknown coverage
counts as the neutral 0.5 in the score (the part itself stays null, so it shows as unknown).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Weights of the score parts (they sum to 1).
SCORE_WEIGHTS = {"compat": 0.30, "coverage": 0.25, "distance": 0.30, "season": 0.15}
#: Value used in the score for an unknown coverage.
UNKNOWN_COVERAGE_SCORE = 0.5


def _unit(values) -> np.ndarray:
    """``values`` clipped to [0, 1], NaN kept (``np.clip``'s result, without its per-call
    overhead: the top-K search calls it a thousand times)."""
    return np.minimum(np.maximum(values, 0.0), 1.0)


def distance_score(distance_km: np.ndarray, limit_km: np.ndarray) -> np.ndarray:
    """``1 - d / limit`` clipped to [0, 1] (1 when the limit is 0 and the distance too)."""
    d = np.asarray(distance_km, dtype=float)
    lim = np.asarray(limit_km, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(lim > 0, 1.0 - d / lim, np.where(d <= 0, 1.0, 0.0))
    return _unit(s)


def quantity_fit(matched, need_quantity, supply_quantity, factor):
    """``(coverage, supply_share, score_coverage)`` arrays (NaN where unknown), all in [0, 1]."""
    m = np.asarray(matched, dtype=float)
    q_n = np.asarray(need_quantity, dtype=float)
    placeable = np.asarray(supply_quantity, dtype=float) * np.asarray(factor, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(np.isfinite(m) & (q_n > 0), _unit(m / q_n), np.nan)
        share = np.where(np.isfinite(m) & (placeable > 0), _unit(m / placeable), np.nan)
    fit = np.fmax(coverage, share)  # NaN only where both are unknown
    return coverage, share, fit


def combine_score(compat, coverage, distance, season) -> np.ndarray:
    """Weighted mean of the four parts (unknown coverage counted as 0.5), rounded to 1e-4."""
    return score_with_distance(fixed_parts(compat, coverage, season), distance)


def fixed_parts(compat, coverage, season) -> tuple[np.ndarray, np.ndarray]:
    """The weighted parts of the score that do not depend on the distance:
    ``(compatibility + coverage, season)``, for :func:`score_with_distance` (the top-K search
    keeps them for the next search over the same flows, at another distance limit)."""
    cov = np.asarray(coverage, dtype=float)
    cov = np.where(np.isnan(cov), UNKNOWN_COVERAGE_SCORE, cov)
    w = SCORE_WEIGHTS
    first = w["compat"] * np.asarray(compat, dtype=float) + w["coverage"] * cov
    return first, w["season"] * np.asarray(season, dtype=float)


def score_with_distance(parts, distance) -> np.ndarray:
    """The score from :func:`fixed_parts` and the distance part: the same sum, in the same
    order, as the weighted mean of the four parts (the same result to the last bit)."""
    first, season = parts
    score = first + SCORE_WEIGHTS["distance"] * np.asarray(distance, dtype=float) + season
    return np.round(_unit(score), 4)


def group_ranks(keys, score, in_score_order: bool = False) -> np.ndarray:
    """Rank (1 = best, ties share the smallest rank) of each score within its key's group,
    vectorised: one factorize and one sort instead of a groupby over strings.

    ``in_score_order``: the rows come best score first (the search's output): a stable sort
    of the keys alone then orders each group by score, a radix sort when the keys are codes
    that fit in 16 bits (a flow's rows on a territory of up to 65,536 flows of a side)."""
    keys = np.asarray(keys)
    if keys.dtype.kind in "iu":
        codes = keys.astype(np.int64, copy=False)
    else:
        codes = pd.factorize(pd.Series(keys, dtype=object), sort=False)[0]
    score = np.asarray(score, dtype=float)
    if not in_score_order:
        order = np.lexsort((-score, codes))
    elif len(codes) and codes.min() >= 0 and codes.max() < 2**16:
        order = np.argsort(codes.astype(np.uint16), kind="stable")
    else:
        order = np.argsort(codes, kind="stable")
    c, v = codes[order], score[order]
    n = len(c)
    idx = np.arange(n)
    new_group = np.r_[True, c[1:] != c[:-1]] if n else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0)) if n else idx
    new_value = new_group | np.r_[True, v[1:] != v[:-1]] if n else new_group
    tie_start = np.maximum.accumulate(np.where(new_value, idx, 0)) if n else idx
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = tie_start - group_start + 1
    return ranks


def add_ranks(frame: pd.DataFrame, codes: dict | None = None,
              in_score_order: bool = False) -> pd.DataFrame:  # fmt: skip
    """``supply_rank`` / ``need_rank``: the candidate's place (1 = best score) among the
    candidates of its supply flow / of its need flow: a supply's best outlets, a need's best
    sources, as a facilitator reads them. ``codes``: optional integer codes of the flows
    (``{"supply_flow": ..., "need_flow": ...}``, one per row, equal for the same flow),
    quicker to group than the ids; ``in_score_order``: the rows come best score first
    (:func:`group_ranks`)."""
    geometry_last = len(frame.columns) and frame.columns[-1] == "geometry"
    for column, key in (("supply_rank", "supply_flow"), ("need_rank", "need_flow")):
        if len(frame):
            keys = (codes or {}).get(key)
            keys = frame[key].to_numpy(dtype=object) if keys is None else keys
            values = group_ranks(keys, frame["score"], in_score_order)
        else:
            values = pd.Series(dtype="int64")
        if geometry_last and column not in frame.columns:
            # placed before the geometry: the other columns are not copied
            frame.insert(len(frame.columns) - 1, column, values)
        else:
            frame[column] = values
    if "geometry" in frame.columns and frame.columns[-1] != "geometry":
        frame = frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]]
    return frame
