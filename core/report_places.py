"""Where a report puts an actor (Qt-free): the commune of a point, and the commune's centre
for a confidential actor (public mode never shows an address), a grid cell as last resort.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .report_words import _missing, fold

#: Grid of last resort for a confidential point outside every known commune (metres).
GRID_M = 5000.0

# --------------------------------------------------------------------------- places

NAME_COLUMNS = ("nom", "name", "nom_com", "nom_commune", "libelle", "libgeo", "commune")
CODE_COLUMNS = ("code_insee", "insee", "insee_com", "codgeo", "code_commune", "code", "inseecom")


def commune_table(communes) -> gpd.GeoDataFrame | None:
    """Communes polygons as ``code``, ``name``, ``geometry`` (columns found by their usual
    names, case and accents ignored); None when there are none."""
    if communes is None or not len(communes):
        return None
    folded = {fold(c): c for c in communes.columns if c != communes.geometry.name}
    name = next((folded[c] for c in NAME_COLUMNS if c in folded), None)
    code = next((folded[c] for c in CODE_COLUMNS if c in folded), None)
    out = gpd.GeoDataFrame(
        {
            "code": _codes(communes[code]) if code else pd.Series([None] * len(communes)),
            "name": communes[name].astype(object).where(communes[name].notna(), None)
            if name
            else pd.Series([None] * len(communes)),
        },
        geometry=communes.geometry.to_numpy(),
        crs=communes.crs,
    )
    return out[out.geometry.notna() & ~out.geometry.is_empty].reset_index(drop=True)


def _codes(values) -> pd.Series:
    text = pd.Series(values, dtype=object).map(lambda v: None if _missing(v) else str(v).strip())
    return text.map(lambda v: v.zfill(5) if v and v.isdigit() and len(v) < 5 else v or None)


def _centres(polygons: gpd.GeoSeries) -> gpd.GeoSeries:
    """Centroid of each polygon, or a point inside it when the centroid falls outside."""
    centroids = polygons.centroid
    inside = centroids.within(polygons)
    return centroids.where(inside, polygons.representative_point())


def locate_communes(points, communes=None, reference=None, insee=None, *, nearest_km=15.0):
    """Commune and commune centre of each point (``points``: a GeoSeries in metres).

    Tried in order: the INSEE code (``insee``, aligned with ``points``) in ``communes`` then in
    ``reference`` (``code_insee``, ``nom``, ``centroide_lon``/``centroide_lat`` in WGS84); the
    ``communes`` polygon containing the point; the nearest ``reference`` centroid within
    ``nearest_km``; else the centre of the 5 km grid cell. Returns a DataFrame with
    ``commune``, ``x``, ``y`` (in the points' CRS) and ``method`` (``insee`` | ``polygon`` |
    ``nearest`` | ``grid`` | ``none`` for a point without geometry).
    """
    points = gpd.GeoSeries(points).reset_index(drop=True)
    n = len(points)
    commune = np.full(n, None, dtype=object)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    method = np.full(n, "none", dtype=object)
    valid = (points.notna() & ~points.is_empty).to_numpy()
    if n and valid.any():
        px = np.full(n, np.nan)
        py = np.full(n, np.nan)
        px[valid] = shapely.get_x(points[valid].to_numpy())
        py[valid] = shapely.get_y(points[valid].to_numpy())
    else:
        px = py = np.full(n, np.nan)
    table = commune_table(communes)
    if table is not None and points.crs is not None and table.crs != points.crs:
        table = table.to_crs(points.crs)
    ref = _reference_points(reference, points.crs)

    def assign(rows, names, cx, cy, how):
        commune[rows] = names
        x[rows] = cx
        y[rows] = cy
        method[rows] = how

    todo = np.ones(n, dtype=bool)
    if insee is not None:
        codes = _codes(pd.Series(insee).reset_index(drop=True)).to_numpy()
        for source in (table, ref):
            if source is None:
                continue
            known = source[source["code"].notna()].drop_duplicates("code")
            if not len(known):
                continue
            centres = _centres(known.geometry) if source is table else known.geometry
            lookup = pd.Index(known["code"])
            pos = lookup.get_indexer(codes)
            rows = np.flatnonzero(todo & (pos >= 0))
            if len(rows):
                hit = pos[rows]
                assign(
                    rows,
                    known["name"].to_numpy()[hit],
                    shapely.get_x(centres.to_numpy()[hit]),
                    shapely.get_y(centres.to_numpy()[hit]),
                    "insee",
                )
                todo[rows] = False
    if table is not None and (todo & valid).any():
        rows = np.flatnonzero(todo & valid)
        pts = gpd.GeoDataFrame(geometry=points[rows].to_numpy(), crs=points.crs)
        joined = gpd.sjoin(pts, table[["name", "geometry"]], how="left", predicate="within")
        joined = joined[~joined.index.duplicated(keep="first")]
        hit = joined["index_right"].to_numpy()
        found = ~pd.isna(hit)
        if found.any():
            idx = hit[found].astype(int)
            centres = _centres(table.geometry.iloc[idx]).to_numpy()
            assign(
                rows[found],
                table["name"].to_numpy()[idx],
                shapely.get_x(centres),
                shapely.get_y(centres),
                "polygon",
            )
            todo[rows[found]] = False
    if ref is not None and len(ref) and (todo & valid).any():
        from scipy.spatial import cKDTree

        rows = np.flatnonzero(todo & valid)
        rx, ry = shapely.get_x(ref.geometry.to_numpy()), shapely.get_y(ref.geometry.to_numpy())
        distance, nearest = cKDTree(np.column_stack([rx, ry])).query(
            np.column_stack([px[rows], py[rows]])
        )
        close = distance <= nearest_km * 1000.0
        if close.any():
            hit = nearest[close]
            assign(rows[close], ref["name"].to_numpy()[hit], rx[hit], ry[hit], "nearest")
            todo[rows[close]] = False
    rows = np.flatnonzero(todo & valid)
    if len(rows):
        assign(
            rows,
            None,
            np.floor(px[rows] / GRID_M) * GRID_M + GRID_M / 2,
            np.floor(py[rows] / GRID_M) * GRID_M + GRID_M / 2,
            "grid",
        )
    return pd.DataFrame({"commune": commune, "x": x, "y": y, "method": method})


def _reference_points(reference, crs) -> gpd.GeoDataFrame | None:
    if reference is None or not len(reference) or crs is None:
        return None
    columns = {fold(c): c for c in reference.columns}
    lon, lat = columns.get("centroide_lon"), columns.get("centroide_lat")
    code = next((columns[c] for c in CODE_COLUMNS if c in columns), None)
    name = next((columns[c] for c in NAME_COLUMNS if c in columns), None)
    if lon is None or lat is None:
        return None
    lon_v = pd.to_numeric(reference[lon], errors="coerce")
    lat_v = pd.to_numeric(reference[lat], errors="coerce")
    keep = (lon_v.notna() & lat_v.notna()).to_numpy()
    frame = gpd.GeoDataFrame(
        {
            "code": _codes(reference[code]).to_numpy()[keep] if code else None,
            "name": reference[name].to_numpy()[keep] if name else None,
        },
        geometry=gpd.points_from_xy(lon_v[keep], lat_v[keep]),
        crs="EPSG:4326",
    )
    return frame.to_crs(crs).reset_index(drop=True)
