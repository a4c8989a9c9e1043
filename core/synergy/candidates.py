"""Substitution candidates: which supply can serve which need, within what distance.

For every compatible (supply resource, need resource) pair, a KD-tree (``scipy.spatial.cKDTree``)
of each side's points in the metric CRS is queried within the pair's distance limit, and every
returned distance is then re-checked exactly (``hypot`` of the coordinates, limit included, with
1 µm of tolerance for rounding): an index must never decide alone. No all-pairs matrix is built.

Rules, in the order they apply:

- only ``synergy_type == "substitution"`` flows (or flows without a type) are matched; the
  ``mutualisation`` ones belong to :func:`find_mutualisation_groups` (counted in the log);
- a flow without geometry, resource or id is not matched; it is listed in ``unplaced``;
- the same resource on both sides is always compatible (factor 1); other pairs come from the
  compatibility table (factor > 0);
- distance limit: ``max_distance_km`` when > 0; otherwise the default distance of the supply
  resource, or of the need resource when the supply resource has none, or
  ``fallback_distance_km`` (noted on the candidate);
- a supply and a need of the same actor are never paired (an internal loop, not a synergy);
- with a road ``network``: the distance is re-measured by road for the pairs the straight-line
  filter kept (see :mod:`.network`); a pair farther by road than the limit is dropped (counted in
  the log); a pair the network does not connect, or with an end farther from the network than
  ``snap_tolerance_m``, keeps its straight-line distance with a note saying why.

Quantities: ``potential_quantity = min(supply x factor, need)`` (the factor is the share of the
supply usable for that need) when both quantities are known and in the same ``unit_norm``;
otherwise it is null (t and MWh do not combine) and so are ``matched_quantity`` and ``coverage``.
``matched_quantity`` is the potential, or the allocated quantity with ``allocate=True``
(:mod:`.allocation`). The score is described in :mod:`.scoring`, the impacts in :mod:`.impacts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..errors import EitError
from ..progress import SubProgress, check_canceled
from ._common import MONTH_COUNT, PlacedFlows, metric_crs_of, prepare_flows
from .allocation import NOTE_NOT_ALLOCATED, NOTE_OUT_OF_ALLOCATION, allocate_arrays
from .impacts import avoided_arrays, impact_arrays, load_impact_factors
from .network import RoadGraph
from .pair_parts import lines_and_ids
from .scoring import add_ranks, combine_score, distance_score, quantity_fit
from .search_inputs import (  # noqa: F401 - compatibility_pairs: part of this module's API
    IDENTITY_SOURCE,
    compatibility_pairs,
    search_inputs,
)
from .topk import PairScorer, keep_top_k, search_top_k

#: Tolerance of the exact distance check (floating-point rounding only).
DISTANCE_TOLERANCE_M = 1e-6

# Flags of the notes (bit -> French text); the text of a candidate joins its flags with "; ".
_QTY_UNKNOWN = 1
_UNIT_DIFF = 2
_SEASON_DISJOINT = 4
_MONTHS_UNREADABLE = 8
_SNAP_FAR = 16
_NOT_CONNECTED = 32
_FALLBACK_LIMIT = 64
_NET_EMPTY = 128
_NOT_ALLOCATED = 256
_OUT_OF_ALLOCATION = 512

OUTPUT_COLUMNS = [
    "candidate_id",
    "supply_flow",
    "need_flow",
    "supplier_id",
    "supplier_name",
    "supplier_category",
    "receiver_id",
    "receiver_name",
    "receiver_category",
    "supply_resource",
    "supply_resource_label",
    "need_resource",
    "need_resource_label",
    "family",
    "distance_km",
    "distance_method",
    "euclidean_km",
    "max_distance_km",
    "snap_supply_m",
    "snap_need_m",
    "supply_quantity",
    "need_quantity",
    "potential_quantity",
    "matched_quantity",
    "unit_norm",
    "coverage",
    "supply_share",
    "compatibility",
    "explanation_fr",
    "compatibility_source",
    "precedent_count",
    "precedents",
    "score",
    "score_compat",
    "score_coverage",
    "score_distance",
    "score_season",
    "status",
    "notes",
    "supply_confidential",
    "need_confidential",
    "diverted_t",
    "transport_tkm",
    "co2_transport_kg",
    "avoided_co2_kg",
    "current_supply_km",
    "current_need_km",
    "current_km",
    "tkm_avoided",
    "co2_avoided_t",
]
_FLOAT_COLUMNS = {
    "current_supply_km",
    "current_need_km",
    "current_km",
    "tkm_avoided",
    "co2_avoided_t",
    "distance_km",
    "euclidean_km",
    "max_distance_km",
    "snap_supply_m",
    "snap_need_m",
    "supply_quantity",
    "need_quantity",
    "potential_quantity",
    "matched_quantity",
    "coverage",
    "supply_share",
    "compatibility",
    "score",
    "score_compat",
    "score_coverage",
    "score_distance",
    "score_season",
    "diverted_t",
    "transport_tkm",
    "co2_transport_kg",
    "avoided_co2_kg",
}
_BOOL_COLUMNS = {"supply_confidential", "need_confidential"}
_INT_COLUMNS = {"precedent_count"}


@dataclass
class CandidateResult:
    """Candidates (LineStrings supplier -> receiver, metric CRS), log lines, unplaced flows."""

    candidates: gpd.GeoDataFrame
    log: list[str] = field(default_factory=list)
    unplaced: pd.DataFrame | None = None
    stats: dict = field(default_factory=dict)
    allocation_totals: dict = field(default_factory=dict)


def pair_limits_km(
    pairs: pd.DataFrame, max_distance_km: float, defaults: dict | None, fallback_km: float
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Distance limit of each pair (km), a "fallback used" flag and counts for the log."""
    n = len(pairs)
    if max_distance_km > 0:
        return np.full(n, float(max_distance_km)), np.zeros(n, dtype=bool), {}
    defaults = {str(k).strip(): v for k, v in (defaults or {}).items()}
    for code, value in defaults.items():
        try:
            ok = value is not None and math.isfinite(float(value)) and float(value) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise EitError(
                "invalid_default_distance",
                f"Default distance of {code!r} is not a positive number: {value!r}",
                field="max_distance_km",
                value=str(value),
                resource=code,
            )
    by_supply = pairs["supply_resource"].map(defaults).astype(float)
    by_need = pairs["need_resource"].map(defaults).astype(float)
    limit = by_supply.fillna(by_need)
    fallback = limit.isna().to_numpy()
    limit = limit.fillna(float(fallback_km)).to_numpy(dtype=float)
    counts = {
        "supply_default": int(by_supply.notna().sum()),
        "need_default": int((by_supply.isna() & by_need.notna()).sum()),
        "fallback": int(fallback.sum()),
    }
    return limit, fallback, counts


def _groups(codes: np.ndarray) -> dict[int, np.ndarray]:
    """Row indices of each code."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    cuts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1], True])
    return {int(sorted_codes[a]): order[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)}


class _Group:
    """The flows of one resource on one side of :func:`search_pairs`: their rows (int32),
    KD-tree, coordinates and actor codes, contiguous."""

    def __init__(self, rows: np.ndarray, xy: np.ndarray, actor: np.ndarray):
        self.rows = rows.astype(np.int32)
        points = xy[rows]
        self.tree = cKDTree(points)
        self.x = np.ascontiguousarray(points[:, 0])
        self.y = np.ascontiguousarray(points[:, 1])
        self.actor = actor[rows]


def search_pairs(
    s_xy: np.ndarray,
    s_res: np.ndarray,
    s_actor: np.ndarray,
    n_xy: np.ndarray,
    n_res: np.ndarray,
    n_actor: np.ndarray,
    pair_s: np.ndarray,
    pair_n: np.ndarray,
    limit_m: np.ndarray,
    progress=None,
    max_candidates: int | None = None,
) -> dict:
    """All (supply, need) pairs within the limit of their resource pair, same actor excluded.

    ``s_res``/``n_res`` and ``pair_s``/``pair_n`` are integer resource codes, ``s_actor`` and
    ``n_actor`` integer actor codes. One KD-tree per resource and side (built once, shared by
    the pairs that use it); each returned distance is re-checked exactly. Returns arrays
    ``si``, ``ni`` (row indices), ``d`` (metres), ``pair`` (index of the resource pair) and
    the count ``same_actor`` of excluded internal loops.
    """
    s_groups, n_groups = _groups(s_res), _groups(n_res)
    # per resource and side, built once and shared by the pairs that use it: the KD-tree,
    # and the rows, coordinates and actors of its flows as small contiguous arrays (the
    # exact re-check then reads a few thousand points, not the whole layer)
    s_sides: dict[int, _Group] = {}
    n_sides: dict[int, _Group] = {}
    out_si, out_ni, out_d, out_p = [], [], [], []
    total = 0
    same_actor = 0
    for k in range(len(pair_s)):
        check_canceled(progress)
        if progress is not None:
            progress.report(k / max(len(pair_s), 1))
        rs, rn = int(pair_s[k]), int(pair_n[k])
        if rs not in s_groups or rn not in n_groups:
            continue
        if rs not in s_sides:
            s_sides[rs] = _Group(s_groups[rs], s_xy, s_actor)
        if rn not in n_sides:
            n_sides[rn] = _Group(n_groups[rn], n_xy, n_actor)
        a, b = s_sides[rs], n_sides[rn]
        lim = float(limit_m[k])
        found = a.tree.sparse_distance_matrix(b.tree, lim + 1e-3, output_type="ndarray")
        i, j = found["i"], found["j"]
        d = np.hypot(a.x[i] - b.x[j], a.y[i] - b.y[j])
        keep = d <= lim + DISTANCE_TOLERANCE_M
        same = keep & (a.actor[i] == b.actor[j])
        same_actor += int(same.sum())
        keep &= ~same
        if not keep.all():
            i, j, d = i[keep], j[keep], d[keep]
        if not len(d):
            continue
        total += len(d)
        if max_candidates is not None and total > max_candidates:
            raise EitError(
                "too_many_candidates",
                f"More than {max_candidates} candidates: lower the distance limit or "
                "select fewer flows",
                limit=max_candidates,
                value=total,
            )
        out_si.append(a.rows[i])
        out_ni.append(b.rows[j])
        out_d.append(d)
        out_p.append(np.full(len(d), k, dtype=np.int32))
    res = {}
    # one list at a time, freed as soon as it is joined: the peak stays near one copy
    for name, chunks in (("si", out_si), ("ni", out_ni), ("d", out_d), ("pair", out_p)):
        empty = np.zeros(0, dtype=np.float64 if name == "d" else np.int32)
        res[name] = np.concatenate(chunks) if chunks else empty
        chunks.clear()
    res["same_actor"] = same_actor
    return res


def _empty_candidates(metric) -> gpd.GeoDataFrame:
    data = {}
    for col in OUTPUT_COLUMNS:
        if col in _FLOAT_COLUMNS:
            data[col] = pd.Series(dtype=float)
        elif col in _BOOL_COLUMNS:
            data[col] = pd.Series(dtype=bool)
        elif col in _INT_COLUMNS:
            data[col] = pd.Series(dtype="int64")
        else:
            data[col] = pd.Series(dtype=object)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=metric), crs=metric)


def _notes_from_flags(flags: np.ndarray, texts: dict[int, str]) -> np.ndarray:
    """The note of each candidate: the texts of its flags joined with "; " (once per mask)."""
    uniq, inverse = np.unique(flags, return_inverse=True)
    joined = np.array(
        ["; ".join(t for bit, t in texts.items() if int(m) & bit) for m in uniq], dtype=object
    )
    return joined[inverse.reshape(-1)]


def _constant(value, n: int) -> np.ndarray:
    """An object array of ``n`` times ``value`` (faster than ``np.full`` for objects)."""
    return np.array([value], dtype=object)[np.zeros(n, dtype=np.intp)]


def find_candidates(
    supply,
    need,
    compatibility=None,
    max_distance_km: float = 0.0,
    default_distances: dict | None = None,
    metric_crs="EPSG:2154",
    network=None,
    allocate: bool = False,
    progress=None,
    *,
    snap_tolerance_m: float = 500.0,
    fallback_distance_km: float = 20.0,
    max_candidates: int | None = 2_000_000,
    impact_factors: dict | None = None,
    precedents=None,
    top_k: int = 0,
) -> CandidateResult:
    """Substitution candidates between ``supply`` and ``need`` flows (see the module docstring).

    ``max_distance_km`` 0 means each pair's default distance (``default_distances``: resource
    code -> km). ``network`` is an optional road line layer; ``allocate`` runs the optimal
    allocation. ``top_k`` > 0 keeps each supply's ``top_k`` best needs and each need's
    ``top_k`` best supplies (:mod:`.topk`; without a network, found without listing every
    pair, so ``max_candidates`` does not apply); 0 keeps every pair within the distance.
    Raises ``too_many_candidates`` as soon as the search of every pair passes
    ``max_candidates`` (None: no limit; 2,000,000 candidates take about 1.5-2 GB as a layer).
    ``precedents``: a callable taking the compatible pairs found (``supply_resource``,
    ``need_resource``) and returning their ``precedent_count`` and ``precedents``
    (:func:`core.precedents.precedent_pairs` bound to a catalogue); None gives 0 and "".
    ``supply`` and ``need`` placed once (:func:`.place_flows`) to be searched again: the
    top-K search keeps their nearest flows for the next search (:mod:`.topk`), and the pairs
    found keep their lines and identifiers (:mod:`.pair_parts`).
    """
    log: list[str] = []
    metric = metric_crs_of(metric_crs)
    try:
        max_km = float(max_distance_km or 0.0)
    except (TypeError, ValueError):
        max_km = float("nan")
    if not math.isfinite(max_km) or max_km < 0:
        raise EitError(
            "invalid_distance",
            f"MAX_DISTANCE_KM must be a number >= 0, not {max_distance_km!r}",
            field="MAX_DISTANCE_KM",
            value=str(max_distance_km),
        )
    if snap_tolerance_m < 0:
        raise EitError(
            "invalid_distance", "The snapping tolerance must be >= 0", value=str(snap_tolerance_m)
        )
    try:
        top_k = int(top_k or 0)
    except (TypeError, ValueError):
        top_k = -1
    if top_k < 0:
        raise EitError(
            "invalid_top_k",
            f"TOP_K must be a whole number >= 0, not {top_k!r}",
            field="TOP_K",
            value=str(top_k),
        )
    factors = impact_factors or load_impact_factors()
    check_canceled(progress)

    sp = prepare_flows(supply, "supply", metric, log)
    nd = prepare_flows(need, "need", metric, log)
    unplaced = pd.concat([sp.unplaced, nd.unplaced], ignore_index=True)
    if len(sp.frame) and len(nd.frame) and sp.crs_label != nd.crs_label:
        log.append(
            f"supply ({sp.crs_label}) and need ({nd.crs_label}) layers have different CRSs: "
            f"both reprojected to {metric.to_string()} for distances"
        )

    # flows placed once are searched again (the dock): what does not depend on the distance
    # is kept for the next search
    again = isinstance(supply, PlacedFlows) and isinstance(need, PlacedFlows)
    inputs = search_inputs(sp, nd, compatibility, precedents, keep=again)
    if inputs.mutualisation_flows:
        log.append(
            f"{inputs.mutualisation_flows} mutualisation flow(s) left to the mutualisation "
            "groups, not matched here"
        )
    s_frame, n_frame = inputs.s_frame, inputs.n_frame
    s_xy, n_xy = inputs.s_xy, inputs.n_xy
    stats = {"supply_flows": len(s_frame), "need_flows": len(n_frame), "unplaced": len(unplaced)}

    def finish(frame, allocation_totals=None, codes=None):
        # the rows of a search come best score first (sorted below)
        frame = add_ranks(frame, codes, in_score_order=True)
        stats["candidates"] = len(frame)
        log.append(f"{len(frame)} candidate(s)")
        if progress is not None:
            for line in log:
                progress.log(line)
            progress.report(1.0)
        return CandidateResult(frame, log, unplaced, stats, allocation_totals or {})

    if not len(s_frame) or not len(n_frame):
        log.append("no supply or no need flow to match")
        return finish(_empty_candidates(metric))

    # Resource, actor and unit codes shared by both sides, the compatible resource pairs.
    s_res, n_res, s_act, n_act = inputs.s_res, inputs.n_res, inputs.s_act, inputs.n_act
    pairs, pair_s, pair_n = inputs.pairs, inputs.pair_s, inputs.pair_n
    limit_km, fallback, counts = pair_limits_km(
        pairs, max_km, default_distances, fallback_distance_km
    )
    if max_km > 0:
        log.append(f"distance limit: {max_km:g} km for every pair")
    else:
        log.append(
            "distance limit: each pair uses its supply resource's default distance "
            f"({counts['supply_default']} pair(s)), else its need resource's "
            f"({counts['need_default']}), else {fallback_distance_km:g} km "
            f"({counts['fallback']})"
        )
    log.append(
        f"{len(pairs)} compatible resource pair(s) "
        f"({int((pairs['source'] == IDENTITY_SOURCE).sum())} identical resources)"
    )

    # Quantities, units and months of every flow (indexed by the pairs below).
    q_s_all, q_n_all = inputs.q_s, inputs.q_n
    unit_names, u_s_all, u_n_all = inputs.unit_names, inputs.u_s, inputs.u_n
    ms, ks, mn, kn = inputs.m_s, inputs.k_s, inputs.m_n, inputs.k_n
    factor_all = pairs["factor"].to_numpy(dtype=float)
    scorer = PairScorer(q_s_all, q_n_all, u_s_all, u_n_all, ms, mn, ks, kn, factor_all, limit_km)
    s_rank, n_rank = inputs.s_rank, inputs.n_rank

    search_progress = SubProgress(progress, 0.05, 0.55) if progress is not None else None
    if top_k and network is None:
        found = search_top_k(
            s_xy, s_res, s_act, s_rank, n_xy, n_res, n_act, n_rank, pair_s, pair_n,
            limit_km * 1000.0, scorer, top_k, search_progress, reuse=again,
        )  # fmt: skip
    else:
        found = search_pairs(
            s_xy, s_res, s_act, n_xy, n_res, n_act, pair_s, pair_n, limit_km * 1000.0,
            search_progress, max_candidates,
        )  # fmt: skip
    si, ni, d_m, pidx = found["si"], found["ni"], found["d"], found["pair"]
    stats["same_actor_excluded"] = found["same_actor"]
    if found["same_actor"]:
        log.append(
            f"{found['same_actor']} pair(s) of a supply and a need of the same actor excluded "
            "(internal loop, not a synergy)"
        )
    if top_k and network is None:
        log.append(
            f"{len(si)} pair(s) within the distance limit (straight line), among the {top_k} "
            "best of each supply and of each need"
        )
    else:
        log.append(f"{len(si)} pair(s) within the distance limit (straight line)")

    flags = np.where(fallback[pidx], _FALLBACK_LIMIT, 0).astype(np.int32)
    limit_c = limit_km[pidx]
    dist_m = d_m.copy()
    is_road = np.zeros(len(si), dtype=bool)
    snap_s = np.full(len(si), np.nan)
    snap_n = np.full(len(si), np.nan)

    if network is not None and len(si):
        check_canceled(progress)
        graph = RoadGraph(network, metric, log)
        if graph.is_empty:
            flags |= _NET_EMPTY
            log.append("network: empty road layer, straight-line distances kept")
        else:
            us, s_inv = np.unique(si, return_inverse=True)
            un, n_inv = np.unique(ni, return_inverse=True)
            s_node_u, s_snap_u = graph.snap(s_xy[us, 0], s_xy[us, 1])
            n_node_u, n_snap_u = graph.snap(n_xy[un, 0], n_xy[un, 1])
            src, snap_s = s_node_u[s_inv.reshape(-1)], s_snap_u[s_inv.reshape(-1)]
            dst, snap_n = n_node_u[n_inv.reshape(-1)], n_snap_u[n_inv.reshape(-1)]
            far = (snap_s > snap_tolerance_m) | (snap_n > snap_tolerance_m)
            apart = ~far & (graph.component[src] != graph.component[dst])
            todo = ~far & ~apart
            cutoff = limit_c * 1000.0 - snap_s - snap_n + DISTANCE_TOLERANCE_M
            path = np.full(len(si), np.inf)
            path[todo] = graph.path_lengths(
                src[todo],
                dst[todo],
                cutoff[todo],
                SubProgress(progress, 0.55, 0.85) if progress is not None else None,
            )
            road = snap_s + path + snap_n
            ok = todo & np.isfinite(path) & (road <= limit_c * 1000.0 + DISTANCE_TOLERANCE_M)
            dropped = todo & ~ok
            flags[far] |= _SNAP_FAR
            flags[apart] |= _NOT_CONNECTED
            dist_m[ok] = road[ok]
            is_road = ok
            stats["dropped_by_road"] = int(dropped.sum())
            log.append(
                f"network: {int(ok.sum())} road distance(s); {int(dropped.sum())} pair(s) "
                "dropped, farther by road than the limit; straight line kept for "
                f"{int(far.sum())} pair(s) with an end more than {snap_tolerance_m:g} m from "
                f"the network and {int(apart.sum())} pair(s) the network does not connect"
            )
            keep = ~dropped
            si, ni, d_m, pidx, flags = si[keep], ni[keep], d_m[keep], pidx[keep], flags[keep]
            limit_c, dist_m, is_road = limit_c[keep], dist_m[keep], is_road[keep]
            snap_s, snap_n = snap_s[keep], snap_n[keep]

    if top_k and network is not None and len(si):
        # road distances change the scores: each flow's best among every pair, by road
        keep = keep_top_k(si, ni, scorer.score(si, ni, dist_m, pidx), dist_m, s_rank, n_rank,
                          top_k)  # fmt: skip
        log.append(f"{int(keep.sum())} pair(s) among the {top_k} best of each supply and need")
        si, ni, d_m, pidx, flags = si[keep], ni[keep], d_m[keep], pidx[keep], flags[keep]
        limit_c, dist_m, is_road = limit_c[keep], dist_m[keep], is_road[keep]
        snap_s, snap_n = snap_s[keep], snap_n[keep]

    # Quantities.
    q_s = q_s_all[si]
    q_n = q_n_all[ni]
    u_s = u_s_all[si]
    u_n = u_n_all[ni]
    same_unit = (u_s >= 0) & (u_s == u_n)
    factor = factor_all[pidx]
    q_known = np.isfinite(q_s) & np.isfinite(q_n)
    known = q_known & same_unit
    potential = np.where(known, np.minimum(q_s * factor, q_n), np.nan)
    flags[~q_known] |= _QTY_UNKNOWN
    flags[q_known & ~same_unit] |= _UNIT_DIFF
    unit_code = np.where(same_unit, u_s, -1)
    unit_table = np.append(np.asarray(unit_names, dtype=object), None)  # code -1 -> None
    unit_out = unit_table[unit_code]

    # Seasons.
    m_s, m_n = ms[si], mn[ni]
    readable = ks[si] & kn[ni]
    overlap = MONTH_COUNT[m_s & m_n] / np.maximum(MONTH_COUNT[m_n], 1)
    season = np.where(readable, overlap, 1.0)
    flags[~readable] |= _MONTHS_UNREADABLE
    flags[readable & (overlap == 0)] |= _SEASON_DISJOINT

    # Allocation.
    matched = potential
    totals = {}
    if allocate and len(si):
        alloc = allocate_arrays(
            si,
            ni,
            potential,
            q_s,
            q_n,
            dist_m / 1000.0,
            unit_out,
            SubProgress(progress, 0.85, 0.95) if progress is not None else None,
        )
        matched = alloc.x
        flags[alloc.eligible & (alloc.x == 0)] |= _NOT_ALLOCATED
        flags[~alloc.eligible] |= _OUT_OF_ALLOCATION
        log.extend(alloc.log)
        totals = alloc.totals
    coverage, supply_share, fit = quantity_fit(matched, q_n, q_s, factor)

    # Score.
    dist_km = dist_m / 1000.0
    s_compat = factor
    s_dist = distance_score(dist_km, limit_c)
    score = combine_score(s_compat, fit, s_dist, season)

    # Impacts (waste heat recognised on the supply side, once per flow).
    impacts = impact_arrays(matched, unit_code, dist_km, inputs.s_heat[si], factors, unit_table)
    impacts.update(
        avoided_arrays(
            impacts["diverted_t"],
            dist_km,
            s_frame["current_distance_km"].to_numpy(dtype=float)[si],
            n_frame["current_distance_km"].to_numpy(dtype=float)[ni],
            factors,
        )
    )

    texts = {
        _QTY_UNKNOWN: "quantité inconnue : couverture non calculée",
        _UNIT_DIFF: "unités normalisées différentes : couverture non calculée",
        _SEASON_DISJOINT: "aucun mois commun de disponibilité",
        _MONTHS_UNREADABLE: "mois illisibles : saison non prise en compte",
        _SNAP_FAR: (
            f"distance à vol d'oiseau : extrémité à plus de {snap_tolerance_m:g} m "
            "du réseau routier"
        ),
        _NOT_CONNECTED: "distance à vol d'oiseau : extrémités non reliées par le réseau routier",
        _FALLBACK_LIMIT: (
            f"limite par défaut de {fallback_distance_km:g} km (ressource sans distance "
            "par défaut)"
        ),
        _NET_EMPTY: "distance à vol d'oiseau : réseau routier vide",
        _NOT_ALLOCATED: NOTE_NOT_ALLOCATED,
        _OUT_OF_ALLOCATION: NOTE_OUT_OF_ALLOCATION,
    }
    check_canceled(progress)

    # Output, sorted by score (best first), then supply and need rows.
    # one int64 key: score (1e-4 steps, best first), then supply row, then need row
    key = (10_000 - np.rint(score * 10_000).astype(np.int64)) * len(s_frame) + si
    order = np.argsort(key * len(n_frame) + ni)  # keys are unique: no stable sort needed

    def s_col(name):
        return s_frame[name].to_numpy(dtype=object)[si[order]]

    def n_col(name):
        return n_frame[name].to_numpy(dtype=object)[ni[order]]

    s_ids, n_ids = s_col("flow_id"), n_col("flow_id")
    family = s_col("family")
    fam_missing = pd.isna(family)
    if fam_missing.any():
        family = np.where(fam_missing, n_col("family"), family)
    explanation = pairs["explanation_fr"].to_numpy(dtype=object)[pidx[order]]
    # flows placed once and searched again (the dock): the pairs found before keep their
    # lines and identifiers
    lines, ids = lines_and_ids(
        si[order], ni[order], s_xy, n_xy, s_frame["flow_id"].to_numpy(),
        n_frame["flow_id"].to_numpy(), inputs.found if again else None,
    )  # fmt: skip
    data = {
        "candidate_id": ids,
        "supply_flow": s_ids,
        "need_flow": n_ids,
        "supplier_id": s_col("actor_id"),
        "supplier_name": s_col("actor_name"),
        "supplier_category": s_col("actor_category"),
        "receiver_id": n_col("actor_id"),
        "receiver_name": n_col("actor_name"),
        "receiver_category": n_col("actor_category"),
        "supply_resource": s_col("resource"),
        "supply_resource_label": s_col("resource_label"),
        "need_resource": n_col("resource"),
        "need_resource_label": n_col("resource_label"),
        "family": family,
        "distance_km": dist_km[order],
        "distance_method": np.array(["euclidean", "network"], dtype=object)[
            is_road[order].astype(np.intp)
        ],
        "euclidean_km": d_m[order] / 1000.0,
        "max_distance_km": limit_c[order],
        "snap_supply_m": snap_s[order],
        "snap_need_m": snap_n[order],
        "supply_quantity": q_s[order],
        "need_quantity": q_n[order],
        "potential_quantity": potential[order],
        "matched_quantity": matched[order],
        "unit_norm": unit_table[unit_code[order]],
        "coverage": coverage[order],
        "compatibility": factor[order],
        "explanation_fr": explanation,
        "compatibility_source": pairs["source"].to_numpy(dtype=object)[pidx[order]],
        "precedent_count": pairs["precedent_count"].to_numpy(dtype=np.int64)[pidx[order]],
        "precedents": pairs["precedents"].to_numpy(dtype=object)[pidx[order]],
        "score": score[order],
        "score_compat": s_compat[order],
        "supply_share": supply_share[order],
        "score_coverage": fit[order],
        "score_distance": s_dist[order],
        "score_season": season[order],
        "status": _constant("proposed", len(order)),
        "notes": _notes_from_flags(flags[order], texts),
        "supply_confidential": s_frame["confidential"].to_numpy(dtype=bool)[si[order]],
        "need_confidential": n_frame["confidential"].to_numpy(dtype=bool)[ni[order]],
    }
    for name, values in impacts.items():
        data[name] = values[order]
    frame = gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(lines, crs=metric), crs=metric, copy=False
    )
    if not len(frame):
        return finish(_empty_candidates(metric), totals)
    return finish(frame, totals, {"supply_flow": si[order], "need_flow": ni[order]})
