"""Helpers shared by the synergy modules: flow columns, CRS, coordinates, months, ids."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import EitError
from ..flows import OUTPUT_FIELDS
from ..months import parse_months

#: Fields of the supply and need layers (CONTRACT.md, "Output fields").
FLOW_FIELDS = OUTPUT_FIELDS
#: Fields without which a flow layer cannot be used at all.
REQUIRED_FIELDS = ("flow_id", "actor_id", "resource")

#: Reasons a flow is not placed, with their French text (the core gives codes; the text
#: is user data for the "unplaced" table, as ``notes`` are).
UNPLACED_REASONS = {
    "no_geometry": "pas de géométrie (acteur non localisé)",
    "reprojection_failed": "coordonnées impossibles à reprojeter",
    "no_resource": "ressource vide",
    "no_flow_id": "identifiant de flux vide",
}

ALL_YEAR = 0xFFF
#: Number of months in each 12-bit mask (popcount table).
MONTH_COUNT = np.array([bin(m).count("1") for m in range(1 << 12)], dtype=np.int8)

_TRUE_WORDS = {"1", "true", "vrai", "oui", "yes", "y", "o", "x", "t"}


def metric_crs_of(metric_crs) -> pyproj.CRS:
    """The metric CRS as a :class:`pyproj.CRS`; projected and in metres, or EitError."""
    try:
        crs = pyproj.CRS.from_user_input(metric_crs)
    except pyproj.exceptions.CRSError as exc:
        raise EitError("invalid_crs", f"Unknown CRS {metric_crs!r}", value=str(metric_crs)) from exc
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter"}:
        raise EitError(
            "metric_crs_not_projected",
            f"The distance CRS {crs.to_string()} is not a projected CRS in metres",
            value=crs.to_string(),
        )
    return crs


def crs_label(crs) -> str:
    """Short printable name of a CRS (``EPSG:2154`` when it has an authority)."""
    if crs is None:
        return "none"
    crs = pyproj.CRS.from_user_input(crs)
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def _truthy(value) -> bool:
    if value is None:
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.number)):
        return not math.isnan(value) and value != 0
    return str(value).strip().lower() in _TRUE_WORDS


def to_bool(values: pd.Series) -> np.ndarray:
    """Truthy flags (``True``, 1, "oui", "yes", "x"...) as a bool array; null is False."""
    if values.dtype == bool:
        return values.to_numpy()
    return map_unique(values, _truthy, False).astype(bool)


def map_unique(values: pd.Series, func, na_value) -> np.ndarray:
    """``func`` applied once per distinct value (null gives ``na_value``), as an object array."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[: len(uniques)] = [func(v) for v in uniques]
    mapped[-1] = na_value
    return mapped[codes]


def months_mask(text) -> int | None:
    """12-bit mask of the months in ``text`` (``3-10``, ``11-2``, ``1,2,6``, month names...).

    Empty means all year. Returns None when the text cannot be read. The flow model's reader
    (:func:`core.months.parse_months`) does the parsing, so both read months alike.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ALL_YEAR
    if isinstance(text, (int, float, np.integer, np.floating)) and float(text).is_integer():
        text = str(int(text))
    return parse_months(text)[1]


def months_masks(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks (int16) and a "readable" flag for a column of month texts (parsed once each)."""
    parsed = map_unique(values, months_mask, ALL_YEAR)
    known = np.array([p is not None for p in parsed], dtype=bool)
    mask = np.where(known, parsed, ALL_YEAR).astype(np.int16)
    return mask, known


def stable_id(*parts: str, length: int = 12) -> str:
    """Short hexadecimal id derived from ``parts`` (stable across runs and machines)."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()
    return digest[:length]


def arrays_digest(*arrays) -> bytes:
    """A digest of ``arrays`` (numbers: their type, shape and bytes), to know the same flows
    when they are searched again (the dock's slider: :mod:`.topk`, :mod:`.search_inputs`)."""
    digest = hashlib.blake2b(digest_size=20)
    for value in arrays:
        value = np.ascontiguousarray(value)
        digest.update(f"{value.dtype.str}{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.digest()


@dataclass
class PlacedFlows:
    """A flow layer as a plain frame plus metric coordinates of its placed rows.

    Read-only once made: the search may be given the same one again and again
    (:func:`place_flows`), as the workshop dock does for each new distance.
    """

    frame: pd.DataFrame  # placed rows only, every FLOW_FIELDS column, index 0..n-1
    x: np.ndarray
    y: np.ndarray
    unplaced: pd.DataFrame  # layer, row, flow_id, actor_id, resource, reason, reason_fr
    crs_label: str
    name: str = ""  # "supply" or "need"
    metric: str = ""  # the metric CRS of x and y (pyproj's text of it)
    log: list[str] = field(default_factory=list)  # the log lines of the preparation


def place_flows(layer, name: str, metric_crs="EPSG:2154") -> PlacedFlows:
    """``layer`` checked and placed in ``metric_crs`` once, to give to
    :func:`.candidates.find_candidates` (as ``supply`` or ``need``, by ``name``) for several
    searches over the same flows: each search then skips that preparation and logs the same
    lines."""
    return prepare_flows(layer, name, metric_crs_of(metric_crs), [])


def _empty_unplaced() -> pd.DataFrame:
    cols = ["layer", "row", "flow_id", "actor_id", "resource", "reason", "reason_fr"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def _clean_text(values: pd.Series) -> pd.Series:
    """Strings stripped of surrounding spaces; null and blank become None."""
    return pd.Series(map_unique(values, _strip_or_none, None), index=values.index, dtype=object)


def _strip_or_none(value):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return str(value).strip() or None


def prepare_flows(layer, name: str, metric: pyproj.CRS, log: list[str]) -> PlacedFlows:
    """Check a flow layer, reproject its points to ``metric`` and split placed/unplaced rows.

    Non-point geometries are replaced by their centroid (said in the log). Rows without
    geometry, resource or flow id are returned in ``unplaced``; duplicated flow ids raise.
    ``layer`` may be the result of an earlier call (:func:`place_flows`) for the same
    ``name`` and ``metric``: it is returned as it is, its log lines added to ``log``.
    """
    if isinstance(layer, PlacedFlows):
        wanted = metric.to_string()
        if layer.name != name or layer.metric != wanted:
            raise ValueError(
                f"flows placed as {layer.name} in {layer.metric}, not as {name} in {wanted}"
            )
        log.extend(layer.log)
        return layer
    lines: list[str] = []
    placed = _prepare_flows(layer, name, metric, lines)
    placed.name, placed.metric, placed.log = name, metric.to_string(), lines
    log.extend(lines)
    return placed


def _prepare_flows(layer, name: str, metric: pyproj.CRS, log: list[str]) -> PlacedFlows:
    if layer is None:
        layer = pd.DataFrame({c: [] for c in FLOW_FIELDS})
    if not hasattr(layer, "geometry") and len(layer):
        raise EitError("not_a_layer", f"The {name} table has no geometry", layer=name)
    missing = [c for c in REQUIRED_FIELDS if c not in layer.columns]
    if missing and len(layer):
        raise EitError(
            "missing_column",
            f"The {name} layer lacks the field(s) {', '.join(missing)}",
            layer=name,
            field=missing[0],
            fields=missing,
        )
    n = len(layer)
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for col in FLOW_FIELDS:
        if col in layer.columns:
            frame[col] = layer[col].to_numpy()
        else:
            frame[col] = np.full(n, np.nan) if col in ("quantity", "quantity_norm") else None
    for col in ("current_distance_km", "current_lon", "current_lat"):  # core.places
        frame[col] = (
            pd.to_numeric(layer[col], errors="coerce").to_numpy(dtype=float)
            if col in layer.columns
            else np.full(n, np.nan)
        )
    for col in ("current_place", "current_outside"):
        frame[col] = layer[col].astype(object).to_numpy() if col in layer.columns else None
    for col in ("flow_id", "actor_id", "resource", "unit_norm", "synergy_type"):
        frame[col] = _clean_text(frame[col])
    frame["quantity_norm"] = pd.to_numeric(frame["quantity_norm"], errors="coerce")
    frame["confidential"] = to_bool(frame["confidential"])

    if n and hasattr(layer, "geometry"):
        geoms = np.asarray(layer.geometry.array, dtype=object)
    else:
        geoms = np.full(n, None, dtype=object)
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    has = ~no_geom
    if has.any():
        pts = geoms[has]
        not_point = shapely.get_type_id(pts) != 0
        if not_point.any():
            pts = pts.copy()
            pts[not_point] = shapely.centroid(pts[not_point])
            log.append(
                f"{name}: {int(not_point.sum())} non-point geometries replaced by their centroid"
            )
        x[has] = shapely.get_x(pts)
        y[has] = shapely.get_y(pts)
        # POINT (NaN NaN) (an actor without coordinates, as some writers store it) is no
        # geometry: shapely >= 2.1 no longer calls it empty
        nan_point = has & ~(np.isfinite(x) & np.isfinite(y))
        no_geom |= nan_point
        has &= ~nan_point
        src = getattr(layer, "crs", None)
        if src is None:
            raise EitError(
                "missing_crs", f"The {name} layer has no coordinate reference system", layer=name
            )
        src = pyproj.CRS.from_user_input(src)
        if not src.equals(metric):
            tr = pyproj.Transformer.from_crs(src, metric, always_xy=True)
            x[has], y[has] = tr.transform(x[has], y[has], errcheck=False)
            kind = "geographic" if src.is_geographic else "projected"
            log.append(
                f"{name}: reprojected from {crs_label(src)} ({kind}) to {crs_label(metric)}; "
                "distances are computed in metres"
            )
    bad_xy = has & ~(np.isfinite(x) & np.isfinite(y))

    reason = np.full(n, None, dtype=object)
    reason[frame["flow_id"].isna().to_numpy()] = "no_flow_id"
    reason[(reason == None) & frame["resource"].isna().to_numpy()] = "no_resource"  # noqa: E711
    reason[(reason == None) & no_geom] = "no_geometry"  # noqa: E711
    reason[(reason == None) & bad_xy] = "reprojection_failed"  # noqa: E711
    out = reason != None  # noqa: E711

    ids = frame["flow_id"][~out]
    dup = ids[ids.duplicated()]
    if len(dup):
        raise EitError(
            "duplicate_flow_id",
            f"The {name} layer has duplicated flow ids ({dup.iloc[0]!r}...)",
            layer=name,
            field="flow_id",
            value=str(dup.iloc[0]),
            count=int(dup.nunique()),
        )

    unplaced = _empty_unplaced()
    if out.any():
        rows = np.flatnonzero(out)
        unplaced = pd.DataFrame(
            {
                "layer": name,
                "row": rows,
                "flow_id": frame["flow_id"].to_numpy()[rows],
                "actor_id": frame["actor_id"].to_numpy()[rows],
                "resource": frame["resource"].to_numpy()[rows],
                "reason": reason[rows],
                "reason_fr": [UNPLACED_REASONS[r] for r in reason[rows]],
            }
        )
        log.append(f"{name}: {len(rows)} flow(s) not placed (see the unplaced table)")
    keep = ~out
    placed = frame[keep].reset_index(drop=True)
    label = crs_label(getattr(layer, "crs", None)) if n else "none"
    return PlacedFlows(placed, x[keep], y[keep], unplaced, label)
