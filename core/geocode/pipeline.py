"""Geocoding of the actors table (``eit:geocodeactors``), Qt-free.

``METHOD``: 0 automatic (coordinates given → local BAN file → SIRENE file → commune),
1 local BAN file, 2 BAN API of the IGN Géoplateforme, 3 Nominatim (a callable given by the
QGIS glue), 4 commune centroid. Coordinates given by the user are always kept. Every input
row comes out exactly once, in input order, with every input field plus ``geo_status,
geo_score, geo_method, geo_precision, geo_label, geo_reason, geo_review, lon, lat``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import Canceled, EitError
from ..progress import SubProgress, check_canceled
from .ban_api import DATA_NOTICE, BanApiClient, TokenBucket
from .ban_index import RESULT_COLUMNS, BanIndex
from .communes import CommuneTable
from .normalize import normalize_text, parse_address, split_street
from .sirene import lookup_sirets

METHOD_AUTO, METHOD_BAN_FILE, METHOD_BAN_API, METHOD_NOMINATIM, METHOD_COMMUNE = range(5)
METHOD_NAMES = {
    METHOD_AUTO: "automatic",
    METHOD_BAN_FILE: "ban_file",
    METHOD_BAN_API: "ban_api",
    METHOD_NOMINATIM: "nominatim",
    METHOD_COMMUNE: "commune",
}
OUTPUT_FIELDS = (
    "geo_status",
    "geo_score",
    "geo_method",
    "geo_precision",
    "geo_label",
    "geo_reason",
    "geo_review",
    "lon",
    "lat",
)
#: Column names recognised for each role (compared without case, accents, spaces, ``_``).
FIELD_ALIASES = {
    "address": ("adresse", "address", "adresse_postale", "adr", "rue", "voie", "street"),
    "address2": ("complement", "complement_adresse", "adresse2", "address2", "lieu_dit"),
    "postcode": ("code_postal", "cp", "postcode", "postal_code", "zip", "zipcode"),
    "city": ("commune", "city", "ville", "localite", "town", "nom_commune"),
    "citycode": ("code_insee", "insee", "citycode", "code_commune", "cog"),
    "siret": ("siret", "numero_siret", "n_siret"),
    "lon": ("longitude", "lon", "lng", "long"),
    "lat": ("latitude", "lat"),
}
_STATUS_RANK = {"matched": 2, "approximate": 1, "unmatched": 0}
_PRECISION_RANK = {"given": 5, "housenumber": 4, "street": 3, "locality": 2, "municipality": 1}
NOMINATIM_RATE = 1.0  # requests per second (Nominatim usage policy)


def _key(name) -> str:
    return normalize_text(name).replace(" ", "")


def guess_fields(columns, fields: dict | None = None) -> dict[str, str]:
    """Map roles (address, postcode, city, citycode, siret, lon, lat...) to column names.

    ``fields`` overrides the guess (role → column); an override naming a missing column
    raises ``EitError("missing_column")``.
    """
    columns = [str(c) for c in columns]
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(_key(c), c)
    out: dict[str, str] = {}
    for role, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            col = by_key.get(_key(alias))
            if col is not None and col not in out.values():
                out[role] = col
                break
    for role, col in (fields or {}).items():
        if col is None or col == "":
            out.pop(role, None)
            continue
        if col not in columns:
            raise EitError(
                "missing_column",
                f"column '{col}' (for {role}) is not in the table",
                field=role,
                value=col,
                columns=columns,
            )
        out[role] = col
    return out


def _to_float(series: pd.Series) -> np.ndarray:
    if series.dtype.kind in "fi":
        return series.to_numpy(dtype=float)
    text = series.astype(str).str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def _query_frame(actors: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """Standard columns address, postcode, city, citycode, siret (strings, '' when absent)."""
    idx = actors.index

    def text(role):
        if role not in roles:
            return pd.Series([""] * len(actors), index=idx, dtype=object)
        col = actors[roles[role]]
        if col.dtype.kind == "f":
            col = col.map(lambda v: "" if v != v else (str(int(v)) if v.is_integer() else str(v)))
        return col.map(lambda v: "" if v is None or v != v else str(v).strip())

    address = text("address")
    extra = text("address2")
    address = address.where(extra == "", address + ", " + extra).str.strip(", ")
    return pd.DataFrame(
        {
            "address": address,
            "postcode": text("postcode"),
            "city": text("city"),
            "citycode": text("citycode"),
            "siret": text("siret"),
        },
        index=idx,
    )


def _empty_results(index) -> pd.DataFrame:
    n = len(index)
    return pd.DataFrame(
        {
            "lon": np.full(n, np.nan),
            "lat": np.full(n, np.nan),
            "score": np.zeros(n),
            "precision": [""] * n,
            "label": [""] * n,
            "status": ["unmatched"] * n,
            "reason": [""] * n,
            "citycode": [""] * n,
            "postcode": [""] * n,
            "method": [""] * n,
        },
        index=index,
    )


def _rank(frame: pd.DataFrame) -> np.ndarray:
    status = frame["status"].map(_STATUS_RANK).fillna(0).to_numpy(dtype=float)
    precision = frame["precision"].map(_PRECISION_RANK).fillna(0).to_numpy(dtype=float)
    return status * 100 + precision * 10 + frame["score"].fillna(0).to_numpy(dtype=float)


def _merge(best: pd.DataFrame, new: pd.DataFrame, method: str, notes: pd.Series) -> None:
    """Keep, row by row, the better of ``best`` and ``new`` (in place); collect reasons."""
    new = new.reindex(columns=list(RESULT_COLUMNS)).copy()
    new["method"] = method
    tried = new["reason"].fillna("").astype(str)
    unmatched = new["status"] == "unmatched"
    notes.loc[new.index] = [
        f"{n}; {method}: {r}" if n else f"{method}: {r}"
        for n, r in zip(notes.loc[new.index], tried.where(unmatched, ""), strict=True)
    ]
    current = best.loc[new.index]
    better = _rank(new) > _rank(current)
    rows = new.index[better]
    for col in best.columns:
        best.loc[rows, col] = new.loc[rows, col]


def _open_ban(ban_file, progress) -> BanIndex:
    if isinstance(ban_file, BanIndex):
        return ban_file
    index = BanIndex.from_file(ban_file, progress=progress)
    if progress is not None and index.bad_lines:
        progress.log(f"BAN file: {index.bad_lines} unusable lines skipped")
    return index


def _open_communes(communes) -> CommuneTable:
    if isinstance(communes, CommuneTable):
        return communes
    if isinstance(communes, pd.DataFrame):
        return CommuneTable(communes, "table")
    return CommuneTable.from_file(communes)


def _guess_precision(query: str, label: str) -> str:
    parsed = parse_address(query)
    words = normalize_text(label).split()
    if parsed.number is not None and str(parsed.number) in words:
        return "housenumber"
    if any(split_street(" ".join(words[i:]))[0] for i in range(min(len(words), 4))):
        return "street"
    return "municipality"


def _nominatim(
    queries: pd.DataFrame, func: Callable, limiter: TokenBucket, threshold: float, progress
) -> pd.DataFrame:
    out = _empty_results(queries.index).drop(columns="method")
    memo: dict[str, tuple | None | str] = {}
    n = len(queries)
    for k, (idx, row) in enumerate(queries.iterrows()):
        check_canceled(progress)
        parts = [row["address"], " ".join(p for p in (row["postcode"], row["city"]) if p)]
        text = ", ".join(p for p in parts if p)
        if not text:
            out.loc[idx, "reason"] = "empty address"
            continue
        text += ", France"
        if text not in memo:
            limiter.acquire()
            try:
                memo[text] = func(text)
            except Canceled:
                raise
            except Exception as exc:  # the glue's geocoder may fail in many ways
                memo[text] = f"Nominatim error: {exc}"
        hit = memo[text]
        if isinstance(hit, str) or hit is None:
            out.loc[idx, "reason"] = hit or "not found by Nominatim"
        else:
            lon, lat, score, label = hit[:4]
            precision = hit[4] if len(hit) > 4 else _guess_precision(text, str(label))
            score = float(score) if score is not None else 0.0
            ok = score >= threshold and precision in ("housenumber", "street")
            out.loc[idx, ["lon", "lat", "score", "precision", "label", "status", "reason"]] = [
                float(lon),
                float(lat),
                round(min(max(score, 0.0), 1.0), 4),
                precision,
                str(label),
                "matched" if ok else "approximate",
                "" if ok else f"Nominatim: {precision}, score {score:.2f}",
            ]
        if progress is not None:
            progress.report((k + 1) / max(n, 1))
    return out


def geocode_actors(
    actors: pd.DataFrame,
    method: int,
    ban_file: str | os.PathLike | BanIndex | None = None,
    sirene_file: str | os.PathLike | None = None,
    communes: CommuneTable | pd.DataFrame | str | os.PathLike | None = None,
    api_client: BanApiClient | None = None,
    nominatim: Callable | None = None,
    progress=None,
    *,
    fields: dict | None = None,
    review_threshold: float = 0.6,
    match_threshold: float = 0.6,
    nominatim_limiter: TokenBucket | None = None,
) -> pd.DataFrame:
    """Geocode the actors table; see the module docstring for methods and output fields.

    ``fields`` overrides the column guess (role → column: address, address2, postcode,
    city, citycode, siret, lon, lat). A row is flagged ``geo_review`` when its score is
    below ``review_threshold`` or it is placed at municipality precision (or not at all).
    """
    if method not in METHOD_NAMES:
        raise EitError("invalid_method", f"METHOD must be 0-4, not {method}", value=method)
    if method == METHOD_BAN_FILE and ban_file is None:
        raise EitError("missing_ban_file", "METHOD 1 (local BAN file) needs a BAN file")
    if method == METHOD_NOMINATIM and nominatim is None:
        raise EitError("missing_geocoder", "METHOD 3 (Nominatim) needs a geocoder")
    check_canceled(progress)
    original_index = actors.index
    actors = actors.reset_index(drop=True)  # positional: duplicate labels are harmless
    roles = guess_fields(actors.columns, fields)
    queries = _query_frame(actors, roles)
    best = _empty_results(actors.index)
    notes = pd.Series([""] * len(actors), index=actors.index, dtype=object)
    coord_notes = np.full(len(actors), "", dtype=object)

    # Coordinates given in the table (or kept from a previous run's manual correction).
    given = np.zeros(len(actors), dtype=bool)
    prev = (
        actors["geo_method"].astype(str).str.strip().eq("given").to_numpy()
        if ("geo_method" in actors.columns)
        else np.zeros(len(actors), dtype=bool)
    )
    lon = lat = np.full(len(actors), np.nan)
    if "lon" in roles and "lat" in roles:
        lon, lat = _to_float(actors[roles["lon"]]), _to_float(actors[roles["lat"]])
        finite = np.isfinite(lon) & np.isfinite(lat)
        ok = finite & (np.abs(lon) <= 180) & (np.abs(lat) <= 90) & ~((lon == 0) & (lat == 0))
        coord_notes[finite & ~ok] = "given coordinates ignored (not WGS84 longitude/latitude)"
        if "geo_method" in actors.columns and roles["lon"] == "lon":
            ok &= prev  # our own output columns: only manual corrections count as given
        given = ok
    if prev.any() and {"lon", "lat"} <= set(actors.columns):
        plon, plat = _to_float(actors["lon"]), _to_float(actors["lat"])
        keep = prev & np.isfinite(plon) & np.isfinite(plat) & ~given
        lon = np.where(keep, plon, lon)
        lat = np.where(keep, plat, lat)
        given |= keep
    gi = actors.index[given]
    best.loc[gi, ["lon", "lat"]] = np.column_stack([lon[given], lat[given]])
    best.loc[gi, ["score", "precision", "label", "status", "reason", "method"]] = [
        1.0,
        "given",
        "coordinates given",
        "matched",
        "",
        "given",
    ]

    def todo() -> pd.Index:
        return actors.index[(best["status"] != "matched").to_numpy()]

    cols = {"address": "address", "postcode": "postcode", "city": "city", "citycode": "citycode"}
    steps = []
    if method in (METHOD_AUTO, METHOD_BAN_FILE) and ban_file is not None:
        steps.append("ban_file")
    if method == METHOD_AUTO and sirene_file is not None and "siret" in roles:
        steps.append("sirene")
    if method == METHOD_BAN_API:
        steps.append("ban_api")
    if method == METHOD_NOMINATIM:
        steps.append("nominatim")
    if method in (METHOD_AUTO, METHOD_COMMUNE):
        steps.append("commune")
    n_steps = max(len(steps), 1)
    for k, step in enumerate(steps):
        check_canceled(progress)
        sub = SubProgress(progress, k / n_steps, (k + 1) / n_steps)
        rows = todo()
        if step == "sirene":
            rows = rows[queries.loc[rows, "siret"] != ""]
        if not len(rows):
            continue
        q = queries.loc[rows]
        if step == "ban_file":
            index = _open_ban(ban_file, SubProgress(sub, 0.0, 0.5))
            res = index.geocode_many(
                q, SubProgress(sub, 0.5, 1.0), threshold=match_threshold, **cols
            )
        elif step == "sirene":
            res = lookup_sirets(q["siret"], sirene_file, sub, threshold=match_threshold)
        elif step == "ban_api":
            if progress is not None:
                progress.log(DATA_NOTICE)
            client = api_client or BanApiClient(threshold=match_threshold)
            res = client.geocode_many(q[list(cols)], sub, **cols)
        elif step == "nominatim":
            limiter = nominatim_limiter or TokenBucket(NOMINATIM_RATE)
            res = _nominatim(q, nominatim, limiter, match_threshold, sub)
        else:
            table = _open_communes(communes)
            res = table.place_many(q, sub, insee="citycode", postcode="postcode", name="city")
        _merge(best, res, step, notes)

    # Output: every input field, then the geo_* fields.
    status = best["status"].to_numpy(dtype=object)
    unmatched = status == "unmatched"
    reason = best["reason"].astype(str).to_numpy(dtype=object)
    reason = np.where(unmatched, notes.to_numpy(dtype=object), reason)
    reason = np.where(unmatched & (reason == ""), "no method could place this row", reason)
    reason = np.array(
        [f"{c}; {r}" if c and r else (c or r) for c, r in zip(coord_notes, reason, strict=True)],
        dtype=object,
    )
    score = best["score"].astype(float).to_numpy()
    precision = best["precision"].astype(str).to_numpy(dtype=object)
    out = actors.drop(columns=[c for c in OUTPUT_FIELDS if c in actors.columns])
    out["geo_status"] = status
    out["geo_score"] = np.where(unmatched, 0.0, np.round(score, 4))
    last = steps[-1] if steps else ""
    out["geo_method"] = np.where(unmatched, last, best["method"].to_numpy(dtype=object))
    out["geo_precision"] = np.where(unmatched, "", precision)
    out["geo_label"] = best["label"].astype(str).to_numpy(dtype=object)
    out["geo_reason"] = reason
    out["geo_review"] = (score < review_threshold) | (precision == "municipality") | unmatched
    out["lon"] = np.where(unmatched, np.nan, best["lon"].astype(float).to_numpy())
    out["lat"] = np.where(unmatched, np.nan, best["lat"].astype(float).to_numpy())
    out.index = original_index
    if progress is not None:
        progress.report(1.0)
        counts = out["geo_status"].value_counts().to_dict()
        progress.log(f"geocoded {len(out)} actors: {counts}")
    return out


def as_points(placed: pd.DataFrame):
    """The output of :func:`geocode_actors` as a GeoDataFrame of points (WGS84); rows that
    could not be placed keep a null geometry."""
    import geopandas as gpd

    points = gpd.points_from_xy(placed["lon"], placed["lat"], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(placed, geometry=points, crs="EPSG:4326")
    frame.loc[placed["lon"].isna().to_numpy(), "geometry"] = None
    return frame
