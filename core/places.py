"""Where flows come from and go today: the flow table's origins and destinations.

A need (an input) may say where it comes from today (``provenance``/``origin``), a supply (an
output) where it goes (``destination``: a treatment site, a landfill, a buyer), and either may
give ``distance_actuelle_km``/``current_distance_km`` instead of, or with, the place.

A place is, in the order tried:

1. coordinates ``lon lat`` (WGS84, decimal point or comma, separated by spaces, ``;`` or
   ``,`` followed by a space);
2. an actor id of the actors table (the actor's point);
3. a named facility of the facilities table (``nom``/``name``, ``longitude``/``lon``,
   ``latitude``/``lat``; its name compared without regard to case, accents or punctuation);
4. an INSEE code, then a commune name, of the communes table (its centroid; the default table
   is the one the geocoder uses, ``data/reference/communes_58_cclnb.csv``). A name shared by
   several communes is not guessed.

:func:`resolve_places` adds to the supply or need table: ``current_place`` (the text given),
``current_lon``/``current_lat`` (WGS84 of the place found), ``current_distance_km`` (given, else
the straight line from the actor to the place), ``current_distance_method`` (``given`` |
``euclidean``), ``current_outside`` (the place lies outside the territory's communes; null when
no place is known or no territory is given). A place that cannot be found, a distance that is not
a non-negative number, or an origin given for a supply (a destination for a need) is reported
as an unusable value with its row, field and value (:data:`core.flows.REJECTED_FIELDS`, reason
codes ``unknown_place``, ``ambiguous_place``, ``bad_distance``, ``place_wrong_side``); the flow
itself is kept and counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .tables import normalise_id, normalise_key, to_number

#: columns added to the supply and need tables (after :func:`resolve_places`)
PLACE_FIELDS = (
    "current_place",
    "current_lon",
    "current_lat",
    "current_distance_km",
    "current_distance_method",
    "current_outside",
)
#: reason codes of unusable place values
PLACE_REASONS = ("unknown_place", "ambiguous_place", "bad_distance", "place_wrong_side")

_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_COORDS = re.compile(rf"^\s*({_NUMBER})\s*(?:[;\s]|,\s)\s*({_NUMBER})\s*$")
_ID_NUMBER = re.compile(r"(?<=\d)\.0+$")
_FACILITY_COLUMNS = {
    "name": ("nom", "name", "site", "installation", "facility", "libelle"),
    "lon": ("longitude", "lon", "lng", "x"),
    "lat": ("latitude", "lat", "y"),
}


@dataclass
class RawPlaces:
    """The place columns of :func:`core.flows.build_flows`, one value per input row."""

    place: np.ndarray  # object: destination for a supply, origin for a need
    distance: np.ndarray  # float, NaN when not given or unusable
    problems: list[dict] = field(default_factory=list)


def raw_places(frame: pd.DataFrame, is_need: np.ndarray, ok: np.ndarray, file: str) -> RawPlaces:
    """The current place and distance of each row of a flows frame (canonical ``origin``,
    ``destination``, ``current_distance_km`` columns), with the unusable values of the rows
    ``ok`` (the ones kept)."""
    n = len(frame)
    columns = frame.attrs.get("columns", {})
    rows = frame["row"].to_numpy() if "row" in frame else np.arange(2, n + 2)

    def text(name):
        if name not in frame.columns:
            return np.full(n, None, dtype=object)
        values = frame[name].to_numpy(dtype=object)
        out = np.full(n, None, dtype=object)
        for i, value in enumerate(values):
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                value = str(value).strip()
                out[i] = value or None
        return out

    origin, destination = text("origin"), text("destination")
    need = np.asarray(is_need) == 1
    place = np.where(need, origin, destination)
    problems: list[dict] = []
    wrong = np.where(need, destination, origin)
    for i in np.flatnonzero(ok & pd.notna(wrong)):
        name = "destination" if need[i] else "origin"
        problems.append(
            _problem(
                file,
                rows[i],
                columns.get(name, name),
                wrong[i],
                "place_wrong_side",
                "a need gives where it comes from (origin), a supply where it goes "
                "(destination): this value is not used"
                if name == "destination"
                else "a supply gives where it goes (destination), a need where it comes from "
                "(origin): this value is not used",
            )
        )
    if "current_distance_km" in frame.columns:
        distance, bad = to_number(frame["current_distance_km"])
        with np.errstate(invalid="ignore"):
            bad = bad | (distance < 0)
        given = columns.get("current_distance_km", "current_distance_km")
        for i in np.flatnonzero(ok & bad):
            problems.append(
                _problem(
                    file,
                    rows[i],
                    given,
                    frame["current_distance_km"].iloc[i],
                    "bad_distance",
                    "the current distance is not a non-negative number of km: not used",
                )
            )
        distance = np.where(bad, np.nan, distance)
    else:
        distance = np.full(n, np.nan)
    return RawPlaces(place, distance, problems)


def _problem(file, row, field_name, value, code, reason, suggestions="") -> dict:
    return {
        "source": file,
        "row": int(row),
        "field": str(field_name),
        "value": "" if value is None else str(value),
        "reason_code": code,
        "reason": reason,
        "suggestions": suggestions,
        "other_reasons": "",
        "values": "{}",
        "row_kept": True,
    }


def problems_frame(problems: list[dict]) -> pd.DataFrame:
    """Unusable values as a frame with the rejected table's columns and ``row_kept``."""
    from .flows import REJECTED_FIELDS

    columns = [*REJECTED_FIELDS, "row_kept"]
    if not problems:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(problems, columns=columns)


# --------------------------------------------------------------------------- gazetteer


def read_facilities(source) -> pd.DataFrame:
    """A named-facilities table (path or frame) as ``name``, ``key``, ``lon``, ``lat``.

    Rows without a name or usable WGS84 coordinates are skipped (they name no place).
    """
    from .errors import EitError
    from .tables import read_table

    frame = read_table(source) if not isinstance(source, pd.DataFrame) else source
    keys = {normalise_key(c): c for c in frame.columns}
    pick = {}
    for target, names in _FACILITY_COLUMNS.items():
        pick[target] = next(
            (keys[normalise_key(n)] for n in names if normalise_key(n) in keys), None
        )
    missing = [t for t, c in pick.items() if c is None]
    if missing:
        raise EitError(
            "missing_column",
            f"facilities table: missing column(s) {', '.join(missing)}",
            file=str(frame.attrs.get("source", "facilities")),
            missing=missing,
            found=[str(c) for c in frame.columns],
        )
    lon, _ = to_number(frame[pick["lon"]].astype(object))
    lat, _ = to_number(frame[pick["lat"]].astype(object))
    out = pd.DataFrame(
        {
            "name": frame[pick["name"]].astype(str).str.strip(),
            "lon": lon,
            "lat": lat,
        }
    )
    out["key"] = [normalise_key(v) for v in out["name"]]
    ok = (out["key"] != "") & np.isfinite(out["lon"]) & np.isfinite(out["lat"])
    ok &= (out["lon"].abs() <= 180) & (out["lat"].abs() <= 90)
    return out[ok].reset_index(drop=True)


class Gazetteer:
    """Finds a place's WGS84 point from its text (see the module docstring for the order)."""

    def __init__(self, actors=None, facilities=None, communes=None):
        self.actors: dict[str, tuple[float, float]] = {}
        if actors is not None and len(actors):
            wgs = actors.to_crs("EPSG:4326") if getattr(actors, "crs", None) else actors
            id_column = "actor_id" if "actor_id" in wgs.columns else None
            if id_column is not None:
                geometry = wgs.geometry
                has = (geometry.notna() & ~geometry.is_empty).to_numpy()
                ids = normalise_id(wgs[id_column]).to_numpy(dtype=object)
                for i in np.flatnonzero(has):
                    point = geometry.iloc[i]
                    if point.geom_type != "Point":
                        point = point.representative_point()
                    self.actors[str(ids[i])] = (float(point.x), float(point.y))
        self.facilities: dict[str, tuple[float, float]] = {}
        if facilities is not None:
            table = read_facilities(facilities)
            for key, lon, lat in zip(table["key"], table["lon"], table["lat"], strict=True):
                self.facilities.setdefault(key, (float(lon), float(lat)))
        if communes is None:
            from .geocode.communes import CommuneTable

            communes = CommuneTable.from_file()
        self.communes = communes

    def find(self, text) -> tuple[tuple[float, float] | None, str, str]:
        """``((lon, lat) | None, kind, problem)``: kind ``coordinates`` | ``actor`` |
        ``facility`` | ``commune``; problem ``unknown_place`` | ``ambiguous_place`` | ''."""
        raw = str(text).strip()
        match = _COORDS.match(raw)
        if match:
            lon, lat = (float(g.replace(",", ".")) for g in match.groups())
            if abs(lon) <= 180 and abs(lat) <= 90:
                return (lon, lat), "coordinates", ""
            return None, "", "unknown_place"
        if raw in self.actors:
            return self.actors[raw], "actor", ""
        ident = _ID_NUMBER.sub("", raw)  # "12.0" -> "12", as normalise_id does
        if ident in self.actors:
            return self.actors[ident], "actor", ""
        key = normalise_key(raw)
        if key in self.facilities:
            return self.facilities[key], "facility", ""
        from .geocode.normalize import commune_key, normalize_insee

        communes = self.communes
        code = normalize_insee(raw) if re.fullmatch(r"\s*\d[\dABab]\d{3}\s*", raw) else ""
        if code and code in communes.by_insee:
            i = communes.by_insee[code]
            return (float(communes.lon[i]), float(communes.lat[i])), "commune", ""
        hits = communes.by_key.get(commune_key(raw), [])
        if len(hits) == 1:
            i = hits[0]
            return (float(communes.lon[i]), float(communes.lat[i])), "commune", ""
        if len(hits) > 1:
            return None, "", "ambiguous_place"
        return None, "", "unknown_place"


# --------------------------------------------------------------------------- resolution


def territory_shape(territory):
    """The union of the territory's polygons (a GeoDataFrame, any CRS) in EPSG:2154, or None."""
    if territory is None or not len(territory):
        return None
    shape = territory.to_crs("EPSG:2154").geometry.union_all()
    return None if shape is None or shape.is_empty else shape


def resolve_places(flows, gazetteer: Gazetteer, territory=None, file: str = "flows", columns=None):
    """``(flows with the place columns, unusable values frame)`` for a supply or need table.

    ``flows``: a GeoDataFrame placed at the actors (any metric CRS) with ``current_place``
    and ``current_distance_km`` from :func:`core.flows.build_flows`; ``territory``: the
    territory's communes (a GeoDataFrame of polygons) or None (``current_outside`` then null);
    ``columns``: the flows table's canonical -> user column names (for the reports).
    """
    import geopandas as gpd
    import shapely

    out = flows.copy()
    n = len(out)
    if "current_place" not in out:
        out["current_place"] = np.full(n, None, dtype=object)
    given = (
        out["current_distance_km"].to_numpy(dtype=float)
        if "current_distance_km" in out
        else np.full(n, np.nan)
    )
    texts = out["current_place"].to_numpy(dtype=object)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    problems = []
    field_name = {"supply": "destination", "need": "origin"}
    cache: dict[str, tuple] = {}
    for i, value in enumerate(texts):
        if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value):
            continue
        key = str(value)
        if key not in cache:
            cache[key] = gazetteer.find(key)
        point, _kind, problem = cache[key]
        if point is None:
            side = field_name.get(str(out["direction"].iloc[i]), "destination")
            columns = columns or {}
            reason = (
                "several communes have this name: give the INSEE code"
                if problem == "ambiguous_place"
                else "place not found: give an actor id, an INSEE code or commune name, "
                "'lon lat' coordinates or a facility of the facilities table"
            )
            row = out["row"].iloc[i] if "row" in out else i + 2
            problems.append(_problem(file, row, columns.get(side, side), key, problem, reason))
            continue
        lon[i], lat[i] = point
    found = ~np.isnan(lon)
    crs = out.crs if getattr(out, "crs", None) is not None else "EPSG:2154"
    places = gpd.GeoSeries(
        shapely.points(np.where(found, lon, 0.0), np.where(found, lat, 0.0)), crs="EPSG:4326"
    )
    metric = places.to_crs("EPSG:2154")
    actor_points = gpd.GeoSeries(out.geometry.to_numpy(), crs=crs).reset_index(drop=True)
    actor_points = actor_points.to_crs("EPSG:2154")
    has_actor = (actor_points.notna() & ~actor_points.is_empty).to_numpy()
    straight = np.full(n, np.nan)
    both = found & has_actor
    if both.any():
        straight[both] = (
            actor_points[both].distance(metric.reset_index(drop=True)[both]).to_numpy() / 1000.0
        )
    distance = np.where(~np.isnan(given), given, straight)
    method = np.full(n, None, dtype=object)
    method[~np.isnan(straight)] = "euclidean"
    method[~np.isnan(given)] = "given"
    outside = pd.array(np.full(n, False), dtype="boolean")
    outside[:] = pd.NA
    shape = territory_shape(territory)
    if shape is not None and found.any():
        inside = shapely.covers(shape, places.to_crs("EPSG:2154").to_numpy()[found])
        outside[np.flatnonzero(found)] = ~np.asarray(inside, dtype=bool)
    out["current_lon"] = np.where(found, lon, np.nan)
    out["current_lat"] = np.where(found, lat, np.nan)
    out["current_distance_km"] = distance
    out["current_distance_method"] = method
    out["current_outside"] = outside
    return out, problems_frame(problems)


def place_flows(result, actors, columns=None, facilities=None, territory=None):
    """``(supply, need, unusable, log lines)``: the supply and need of a
    :class:`core.flows.FlowResult` placed at ``actors`` (points, their CRS) with the place
    columns; ``territory`` is used only when an actor lies in it (else ``current_outside`` is
    null, said in the log)."""
    import pandas as pd

    from .flows import attach_geometry

    log = []
    if territory is not None and len(territory):
        placed = actors[actors.geometry.notna() & ~actors.geometry.is_empty]
        shape = territory.to_crs(actors.crs).geometry
        if not len(placed) or not shape.intersects(placed.geometry.union_all()).any():
            log.append("territory: no actor lies in its communes; outside places not decided")
            territory = None
    gazetteer = Gazetteer(actors, facilities)
    frames = []
    problems = [result.unusable if result.unusable is not None else problems_frame([])]
    for side in (result.supply, result.need):
        placed, found = resolve_places(
            attach_geometry(side, actors), gazetteer, territory, result.source, columns
        )
        frames.append(placed)
        problems.append(found)
    unusable = pd.concat([p for p in problems if len(p)] or problems[:1], ignore_index=True)
    if len(unusable):
        log.append(
            f"{result.source}: {len(unusable)} origin/destination value(s) not usable "
            "(the flows are kept): "
            + ", ".join(f"{k}: {v}" for k, v in unusable["reason_code"].value_counts().items())
        )
    known = sum(int(f["current_distance_km"].notna().sum()) for f in frames)
    if known:
        log.append(f"{result.source}: {known} flow(s) with a current origin or destination")
    return frames[0], frames[1], unusable, log
