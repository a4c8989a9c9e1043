"""Mutualisation groups: nearby actors needing the same service, equipment, purchase or space.

Needs with ``synergy_type == "mutualisation"`` are grouped per resource. Each actor counts once
per resource (at the mean point of its flows of that resource). Groups are made by
**complete-linkage** hierarchical clustering (``scipy.cluster.hierarchy``) cut at the distance
limit, so that *every* pair of members is within the limit: unlike connected components of the
"within distance" graph, a chain A-B-C with A and C too far apart never becomes one group. To keep
the clustering small, it runs inside each connected component of that graph (a complete-linkage
group always lies inside one). Groups with fewer than ``min_actors`` distinct actors are left out
(counted in the log).

``providers``: actors with a supply flow of the same resource within the distance of the group's
centroid (an actor offering that equipment or service nearby); a member may be one.
The polygon is the convex hull of the members' points buffered by ``buffer_m`` (500 m).

**Shared collection** (``kind = "shared_collection"``; the need groups have ``kind = "need"``):
supply flows whose current destination is known (``current_lon``/``current_lat``, see
:mod:`core.places`) and far (outside the territory, or farther than the distance limit) are
grouped per resource and destination (the same point within about 10 m), with the same
complete-linkage rule on the senders' points: actors sending the same resource to the same far
destination may share its collection. ``destination`` is the place as written,
``destination_km`` the senders' mean current distance, ``supply_flows`` their flows.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist

from ..errors import EitError
from ..progress import check_canceled
from ._common import metric_crs_of, prepare_flows, stable_id

#: Largest set of mutually reachable actors clustered at once (pdist memory grows as n^2).
MAX_COMPONENT = 20_000
_TOL_M = 1e-6

GROUP_COLUMNS = [
    "group_id",
    "resource",
    "resource_label",
    "family",
    "n_actors",
    "members",
    "member_names",
    "need_flows",
    "combined_quantity",
    "unit_norm",
    "providers",
    "provider_names",
    "max_pair_km",
    "status",
    "notes",
    "confidential",
    "kind",
    "destination",
    "destination_km",
    "supply_flows",
]


def _first(values) -> object:
    for v in values:
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            return v
    return None


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    """A name as text, "" when missing (as ``fillna("").astype(str)``)."""
    return "" if _missing(value) else str(value)


class _Columns:
    """The columns a need group reads, as arrays (slicing arrays per group, thousands of
    times on a region, is far cheaper than slicing frames)."""

    def __init__(self, frame: pd.DataFrame):
        def column(name, dtype=object):
            if name in frame.columns:
                return frame[name].to_numpy(dtype=dtype)
            return np.full(len(frame), None, dtype=object)

        self.actor_id = frame["actor_id"].astype(str).to_numpy(dtype=object).astype(str)
        self.actor_name = column("actor_name")
        self.resource_label = column("resource_label")
        self.family = column("family")
        self.flow_id = frame["flow_id"].astype(str).to_numpy(dtype=object)
        self.unit_norm = column("unit_norm")
        self.quantity = pd.to_numeric(frame["quantity_norm"], errors="coerce").to_numpy(float)
        self.confidential = frame["confidential"].to_numpy(dtype=bool)


def _providers(ids: np.ndarray, names: np.ndarray, rows: np.ndarray) -> tuple[list, list]:
    """The distinct providers of ``rows`` (their first row each), sorted by id: ids and
    names as text."""
    first = {}
    for r in rows:
        first.setdefault(ids[r], r)
    ordered = sorted(first)
    return [str(i) for i in ordered], [_text(names[first[i]]) for i in ordered]


def _empty(metric) -> gpd.GeoDataFrame:
    data = {c: pd.Series(dtype=object) for c in GROUP_COLUMNS}
    data["n_actors"] = pd.Series(dtype=np.int64)
    data["combined_quantity"] = pd.Series(dtype=float)
    data["max_pair_km"] = pd.Series(dtype=float)
    data["confidential"] = pd.Series(dtype=bool)
    data["destination_km"] = pd.Series(dtype=float)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=metric), crs=metric)


def _clusters(points: np.ndarray, limit_m: float) -> list[np.ndarray]:
    """Complete-linkage clusters (row indices) whose every pair is within ``limit_m``."""
    n = len(points)
    if n == 1:
        return [np.array([0])]
    pairs = cKDTree(points).query_pairs(limit_m + 1e-3, output_type="ndarray")
    if len(pairs):
        d = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
        pairs = pairs[d <= limit_m + _TOL_M]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_comp, comp = connected_components(graph, directed=False)
    out = []
    for k in range(n_comp):
        rows = np.flatnonzero(comp == k)
        if len(rows) == 1:
            out.append(rows)
            continue
        if len(rows) > MAX_COMPONENT:
            raise EitError(
                "too_many_actors",
                f"{len(rows)} actors are linked within the distance: lower the distance",
                value=len(rows),
                limit=MAX_COMPONENT,
            )
        z = linkage(pdist(points[rows]), method="complete")
        labels = fcluster(z, t=limit_m + _TOL_M, criterion="distance")
        for lab in np.unique(labels):
            out.append(rows[labels == lab])
    return out


def _collection_groups(sp, limit_km, defaults, fallback_km, min_actors, buffer_m, records, geoms):
    """Shared-collection groups from the supplies' current destinations (module docstring)."""
    frame = sp.frame
    lon = frame["current_lon"].to_numpy(dtype=float)
    lat = frame["current_lat"].to_numpy(dtype=float)
    dist = frame["current_distance_km"].to_numpy(dtype=float)
    outside = np.array(
        [
            str(v).strip().lower() in {"true", "1", "1.0", "oui", "yes"}
            for v in frame["current_outside"]
        ]
    )
    limits = np.array(
        [
            limit_km if limit_km > 0 else defaults.get(str(r), float(fallback_km))
            for r in frame["resource"]
        ]
    )
    far = np.isfinite(lon) & np.isfinite(lat) & (outside | (np.nan_to_num(dist) > limits))
    if not far.any():
        return
    rows = np.flatnonzero(far)
    sub = frame.iloc[rows].assign(
        _dest=[f"{a:.4f} {b:.4f}" for a, b in zip(lon[rows], lat[rows], strict=True)],
        _x=sp.x[rows],
        _y=sp.y[rows],
        _d=dist[rows],
        _limit=limits[rows],
    )
    for (res, dest), g_all in sub.groupby(["resource", "_dest"], sort=True):
        actors, a_inv = np.unique(g_all["actor_id"].astype(str).to_numpy(), return_inverse=True)
        if len(actors) < min_actors:
            continue
        a_inv = a_inv.reshape(-1)
        counts = np.bincount(a_inv, minlength=len(actors))
        ax = np.bincount(a_inv, weights=g_all["_x"].to_numpy(), minlength=len(actors)) / counts
        ay = np.bincount(a_inv, weights=g_all["_y"].to_numpy(), minlength=len(actors)) / counts
        points = np.column_stack([ax, ay])
        for members in _clusters(points, float(g_all["_limit"].iloc[0]) * 1000.0):
            if len(members) < min_actors:
                continue
            g = g_all[np.isin(a_inv, members)]
            ids = sorted(actors[members].tolist())
            units = pd.unique(g["unit_norm"].dropna())
            q = g["quantity_norm"].to_numpy(dtype=float)
            combined = float(np.nansum(q)) if len(units) == 1 and np.isfinite(q).any() else np.nan
            names = g.drop_duplicates("actor_id").sort_values("actor_id")["actor_name"]
            place = _first(g["current_place"]) or dest
            records.append(
                {
                    "group_id": stable_id("collection", str(res), dest, *ids),
                    "resource": res,
                    "resource_label": _first(g["resource_label"]),
                    "family": _first(g["family"]),
                    "n_actors": len(ids),
                    "members": ",".join(ids),
                    "member_names": "; ".join(names.fillna("").astype(str)),
                    "need_flows": "",
                    "combined_quantity": combined,
                    "unit_norm": units[0] if len(units) == 1 else None,
                    "providers": "",
                    "provider_names": "",
                    "max_pair_km": float(pdist(points[members]).max()) / 1000.0,
                    "status": "proposed",
                    "notes": f"collecte partagée vers {place}",
                    "confidential": bool(g["confidential"].any()),
                    "kind": "shared_collection",
                    "destination": str(place),
                    "destination_km": float(np.nanmean(g["_d"])) if np.isfinite(g["_d"]).any()
                    else np.nan,
                    "supply_flows": ",".join(sorted(g["flow_id"].astype(str))),
                }
            )  # fmt: skip
            hull = shapely.convex_hull(shapely.multipoints(points[members]))
            geoms.append(shapely.buffer(hull, buffer_m))


def find_mutualisation_groups(
    need,
    supply=None,
    max_distance_km: float = 10.0,
    min_actors: int = 2,
    metric_crs="EPSG:2154",
    progress=None,
    *,
    buffer_m: float = 500.0,
    default_distances: dict | None = None,
    fallback_distance_km: float = 10.0,
) -> gpd.GeoDataFrame:
    """Groups of nearby actors sharing a mutualisation need (see the module docstring).

    ``max_distance_km`` 0 means each resource's default distance (``default_distances``:
    resource code -> km, else ``fallback_distance_km``).

    Returns polygons in ``metric_crs``; the log lines are in ``result.attrs["log"]`` and the
    need flows that could not be placed in ``result.attrs["unplaced"]`` (list of records).
    """
    try:
        limit_km = float(max_distance_km)
    except (TypeError, ValueError):
        limit_km = float("nan")
    if not math.isfinite(limit_km) or limit_km < 0:
        raise EitError(
            "invalid_distance",
            f"MAX_DISTANCE_KM must be a number >= 0, not {max_distance_km!r}",
            field="MAX_DISTANCE_KM",
            value=str(max_distance_km),
        )
    if int(min_actors) != min_actors or min_actors < 2:
        raise EitError(
            "invalid_min_actors",
            f"MIN_ACTORS must be an integer >= 2, not {min_actors!r}",
            field="MIN_ACTORS",
            value=str(min_actors),
        )
    min_actors = int(min_actors)
    defaults = {str(k).strip(): float(v) for k, v in (default_distances or {}).items()}
    metric = metric_crs_of(metric_crs)
    log: list[str] = []
    nd = prepare_flows(need, "need", metric, log)
    sp = prepare_flows(supply, "supply", metric, log) if supply is not None else None

    kind = nd.frame["synergy_type"].astype(object)
    mut = (kind.notna() & (kind.str.lower() == "mutualisation")).to_numpy()
    flows = nd.frame[mut].reset_index(drop=True)
    fx, fy = nd.x[mut], nd.y[mut]
    log.append(f"{len(flows)} mutualisation need flow(s) out of {len(nd.frame)} placed")

    prov_groups: dict = {}
    if sp is not None and len(sp.frame):
        for res, rows in sp.frame.groupby("resource", sort=False).indices.items():
            prov_groups[res] = (rows, cKDTree(np.column_stack([sp.x[rows], sp.y[rows]])))

    # the columns a group reads, as plain frames: slicing them per group is far cheaper than
    # slicing the whole (geo)frames, thousands of times on a region
    wanted = ["actor_id", "actor_name", "resource_label", "family", "flow_id", "unit_norm",
              "quantity_norm", "confidential"]  # fmt: skip
    narrow = pd.DataFrame(flows[[c for c in wanted if c in flows.columns]]) if len(flows) else flows
    prov_ids = prov_nm = None
    if sp is not None:
        prov_ids = sp.frame["actor_id"].to_numpy(dtype=object)
        prov_nm = sp.frame["actor_name"].to_numpy(dtype=object)
    records, geoms = [], []
    n_alone = 0
    by_res = flows.groupby("resource", sort=True).indices if len(flows) else {}
    for k_res, (res, rows) in enumerate(by_res.items()):
        check_canceled(progress)
        if progress is not None:
            progress.report(k_res / max(len(by_res), 1))
        sub = _Columns(narrow.iloc[rows])
        res_km = limit_km if limit_km > 0 else defaults.get(str(res), float(fallback_distance_km))
        limit_m = res_km * 1000.0
        actors, first_row, a_inv = np.unique(sub.actor_id, return_index=True, return_inverse=True)
        a_inv = a_inv.reshape(-1)
        counts = np.bincount(a_inv, minlength=len(actors))
        ax = np.bincount(a_inv, weights=fx[rows], minlength=len(actors)) / counts
        ay = np.bincount(a_inv, weights=fy[rows], minlength=len(actors)) / counts
        points = np.column_stack([ax, ay])
        for members in _clusters(points, limit_m):
            if len(members) < min_actors:
                n_alone += len(members)
                continue
            members = np.sort(members)  # actors are sorted: the members' ids in order
            g = np.flatnonzero(np.isin(a_inv, members))
            ids = actors[members].tolist()
            max_pair = float(pdist(points[members]).max())
            centroid = points[members].mean(axis=0)
            notes = []
            units = list(dict.fromkeys(u for u in sub.unit_norm[g] if not _missing(u)))
            q = sub.quantity[g]
            if len(units) > 1:
                combined, unit = np.nan, None
                notes.append("unités différentes : quantité non additionnée")
            else:
                unit = units[0] if len(units) else None
                combined = float(np.nansum(q)) if np.isfinite(q).any() else np.nan
                if not np.isfinite(q).all():
                    notes.append(f"quantité inconnue pour {int((~np.isfinite(q)).sum())} flux")
            providers, provider_names = [], []
            if res in prov_groups:
                p_rows, tree = prov_groups[res]
                near = np.asarray(tree.query_ball_point(centroid, limit_m + 1e-3), dtype=int)
                if len(near):
                    pr = p_rows[near]
                    d = np.hypot(sp.x[pr] - centroid[0], sp.y[pr] - centroid[1])
                    providers, provider_names = _providers(
                        prov_ids, prov_nm, pr[d <= limit_m + _TOL_M]
                    )
            if providers:
                notes.append(f"{len(providers)} fournisseur(s) à proximité")
            # each member's name on its first row
            names = [_text(v) for v in sub.actor_name[first_row[members]]]
            records.append(
                {
                    "group_id": stable_id(str(res), *ids),
                    "resource": res,
                    "resource_label": _first(sub.resource_label[g]),
                    "family": _first(sub.family[g]),
                    "n_actors": len(ids),
                    "members": ",".join(ids),
                    "member_names": "; ".join(names),
                    "need_flows": ",".join(sorted(sub.flow_id[g])),
                    "combined_quantity": combined,
                    "unit_norm": unit,
                    "providers": ",".join(providers),
                    "provider_names": "; ".join(provider_names),
                    "max_pair_km": max_pair / 1000.0,
                    "status": "proposed",
                    "notes": "; ".join(notes),
                    "confidential": bool(sub.confidential[g].any()),
                    "kind": "need",
                    "destination": None,
                    "destination_km": np.nan,
                    "supply_flows": "",
                }
            )
            hull = shapely.convex_hull(shapely.multipoints(points[members]))
            geoms.append(shapely.buffer(hull, buffer_m))
    rule = f"{limit_km:g} km" if limit_km > 0 else "each resource's default distance"
    log.append(
        f"{len(records)} mutualisation group(s) of at least {min_actors} actors, every pair "
        f"within {rule}; {n_alone} actor need(s) left without a group"
    )
    if sp is not None and len(sp.frame):
        before = len(records)
        _collection_groups(
            sp, limit_km, defaults, fallback_distance_km, min_actors, buffer_m, records, geoms
        )
        log.append(
            f"{len(records) - before} shared-collection group(s): actors sending the same "
            f"resource to the same far destination, every pair within {rule}"
        )
    if records:
        result = gpd.GeoDataFrame(
            pd.DataFrame.from_records(records, columns=GROUP_COLUMNS),
            geometry=gpd.GeoSeries(geoms, crs=metric),
            crs=metric,
        )
        result = result.sort_values(
            ["resource", "n_actors", "group_id"], ascending=[True, False, True]
        ).reset_index(drop=True)
    else:
        result = _empty(metric)
    unplaced = nd.unplaced
    if sp is not None:
        unplaced = pd.concat([unplaced, sp.unplaced], ignore_index=True)
    result.attrs["log"] = log
    result.attrs["unplaced"] = unplaced.to_dict("records")
    if progress is not None:
        for line in log:
            progress.log(line)
        progress.report(1.0)
    return result
