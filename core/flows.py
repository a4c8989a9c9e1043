"""The flow model: actors and their input/output flows, validated and normalised.

:func:`read_actors` and :func:`read_flows` read the user's tables (see :mod:`core.tables`);
:func:`build_flows` validates every flow row against the actors and the catalogue and returns
the supply ("gisements") and need ("besoins") tables with the contract's output fields, plus a
table of rejected rows. Nothing is dropped silently: rows read = rows used + rows rejected.

Rules worth knowing:

- ``direction``: gisement, sortant, sortie, offre, disponible, production, supply, output,
  out, o, s -> ``supply``; besoin, entrant, entrée, demande, recherche, consommation, need,
  input, in, demand, i, b, e -> ``need``.
- ``flow_id``: the row's own ``id``/``identifiant`` when given (an id given twice rejects every
  row carrying it). Otherwise ``<actor>:<direction>:<resource>:<k>``, where ``k`` (1, 2, ...)
  numbers the actor's rows of that resource and direction ordered by their content
  (label, code as written, months, unit, quantity, year, comment), not by file order: the id
  stays the same when rows are reordered, and when other rows are added or removed. (A
  derived id that equals an id given on another row gets ``:derived`` appended.)
- ``quantity``: empty is accepted (common in interviews: "we need a shredder", "we have
  pallets"): ``quantity`` and ``quantity_norm`` are then null. Negative, non-numeric or
  non-finite quantities are rejected.
- ``months``: ``3-10``, ``11-2`` (wrapping), ``1,2,3``, month names (``mars-octobre``), a date
  that Excel made from ``3-10`` (read day-month); empty or ``toute l'année`` = all year. The
  output holds a canonical string (``3-10``, ``11-2``, ``1-3,6``, ``1-12``); see
  :func:`core.months.months_mask`.
- ``confidential``: the flow's flag OR its actor's flag. An unrecognised value counts as
  confidential (the safe side) and is reported in the notes.
- ``current_place`` (the ``destination`` of a supply, the ``provenance``/``origin`` of a need)
  and ``current_distance_km`` are carried as given; :mod:`core.places` resolves them, and its
  unusable values (``FlowResult.unusable``) never reject the row.
- Supply/need tables do not carry the user's extra columns (they could hold contact details
  that a public export must not show); ``row`` joins them back to the input.

Reason codes of rejected flow rows, in the order they are checked (the first one found is the
``reason_code``; the others are listed in ``other_reasons``): ``missing_actor``,
``unknown_actor``, ``missing_direction``, ``unknown_direction``, ``missing_resource``,
``unknown_resource`` (``suggestions``: the 3 closest catalogue codes),
``non_numeric_quantity``, ``negative_quantity``, ``unknown_unit``, ``unit_mismatch``,
``ambiguous_unit`` (see :mod:`core.units`), ``bad_months``, ``bad_year`` (not an integer
within 1900-2100), ``duplicate_flow_id``. Actor rows without id: ``missing_actor_id``.
Rows the reading of a file set aside (:mod:`core.csv_rows`): ``too_many_fields``,
``too_few_fields``, ``bad_encoding_row``, ``cell_too_long``; they count as rows read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .csv_rows import rejected_frame
from .errors import EitError
from .months import parse_months
from .places import problems_frame, raw_places
from .progress import check_canceled
from .resource_text import sided as _sided
from .resource_text import text_columns as _text_columns
from .resource_text import words_note as _words_note
from .tables import (
    ACTOR_FIELDS,
    ACTOR_REQUIRED,
    FLOW_FIELDS,
    FLOW_REQUIRED,
    READ_REJECTED,
    ROW,
    Coded,
    clean_text,
    coded_number,
    encode,
    encode_id,
    load_table,
    match_columns,
    normalise_id,
    normalise_key,
    take,
    to_bool,
    to_number,
)
from .units import normalise_codes

#: the contract's output fields of the supply and need layers, in order
OUTPUT_FIELDS = (
    "flow_id",
    "actor_id",
    "actor_name",
    "actor_category",
    "direction",
    "resource",
    "resource_label",
    "family",
    "synergy_type",
    "quantity",
    "unit",
    "quantity_norm",
    "unit_norm",
    "months",
    "confidential",
)
#: extra fields that follow them
EXTRA_FIELDS = (
    "ler_code",
    "hazardous",
    "label",
    "year",
    "comment",
    "conversion",
    "resource_from_text",
    "resource_text",
    "resource_confidence",
    "row",
    "max_distance_km",
    "current_place",
    "current_distance_km",
)
#: fields of the rejected table
REJECTED_FIELDS = (
    "source",
    "row",
    "field",
    "value",
    "reason_code",
    "reason",
    "suggestions",
    "other_reasons",
    "values",
)

SUPPLY_WORDS = (
    "gisement",
    "gisements",
    "sortant",
    "sortante",
    "sortants",
    "sortie",
    "sorties",
    "offre",
    "disponible",
    "production",
    "supply",
    "output",
    "out",
    "o",
    "s",
    "ressource_disponible",
)
NEED_WORDS = (
    "besoin",
    "besoins",
    "entrant",
    "entrante",
    "entrants",
    "entree",
    "entrees",
    "demande",
    "recherche",
    "consommation",
    "need",
    "needs",
    "input",
    "in",
    "demand",
    "i",
    "b",
    "e",
)
DIRECTIONS = {
    **{normalise_key(w): "supply" for w in SUPPLY_WORDS},
    **{normalise_key(w): "need" for w in NEED_WORDS},
}


# --------------------------------------------------------------------------- actors


@dataclass
class ActorTable:
    """Actors read from a table: ``frame`` (one row per usable actor) and ``rejected`` rows.

    ``frame`` has the canonical columns (``actor_id``, ``name``, ``category``, ``siret``,
    ``naf``, ``address``, ``postcode``, ``city``, ``insee``, ``longitude``, ``latitude``,
    ``confidential``), ``coord_status`` (``given`` | ``missing`` | ``incomplete`` |
    ``invalid`` | ``out_of_range``; coordinates not ``given`` are null), ``row`` and every
    original column.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)


def read_actors(
    source, fields=None, *, layer=None, name: str | None = None, keep_geometry: bool = False
) -> ActorTable:
    """Read and check an actors table (path or DataFrame).

    Raises ``missing_column``, ``empty_file``... and ``duplicate_actor_id`` (with ``ids`` and
    ``rows``) before anything is returned. A row without id is rejected.
    """
    frame = load_table(
        source,
        ACTOR_FIELDS,
        fields,
        ACTOR_REQUIRED,
        layer=layer,
        name=name,
        keep_geometry=keep_geometry,
        kind="actors",
    )
    file = frame.attrs["source"]
    ids = normalise_id(frame["actor_id"])
    filled = ids.notna().to_numpy()
    _check_duplicate_ids(ids[filled], frame[ROW][filled], file)
    checks = _Checks(frame, file)
    checks.add(~filled, "missing_actor_id", "actor_id", "empty actor id")
    rejected = _with_read_rejects(checks.rejected_frame(), frame, file)
    used = checks.ok
    out = frame.loc[used].copy()
    out["actor_id"] = ids[used]
    for column in ("name", "category", "address", "city"):
        out[column] = clean_text(out[column]) if column in out else None
    for column, width in (("siret", 14), ("naf", 0), ("postcode", 5), ("insee", 5)):
        out[column] = _pad_code(out[column], width) if column in out else None
    notes = []
    confidential, unknown = to_bool(
        out["confidential"] if "confidential" in out else None, len(out)
    )
    out["confidential"] = confidential
    if unknown.any():
        notes.append(
            f"{file}: {int(unknown.sum())} unrecognised confidential value(s) counted as "
            f"confidential (rows {_rows_text(out[ROW].to_numpy()[unknown])})"
        )
    _coordinates(out)
    out = out.reset_index(drop=True)
    out.attrs.update(frame.attrs)
    return ActorTable(out, rejected, file, notes)


def _pad_code(series: pd.Series, width: int) -> pd.Series:
    """Identifier text; give back a leading zero lost by a spreadsheet (``1000`` -> ``01000``)."""
    coded = encode_id(series)
    fixed = np.array(
        ["0" + v if width and v.isdigit() and len(v) == width - 1 else v for v in coded.uniques],
        dtype=object,
    )
    return pd.Series(take(fixed, coded.codes), index=series.index, dtype=object)


def _coordinates(out: pd.DataFrame) -> None:
    n = len(out)
    lon, lon_bad = to_number(out["longitude"]) if "longitude" in out else _nan(n)
    lat, lat_bad = to_number(out["latitude"]) if "latitude" in out else _nan(n)
    status = np.full(n, "given", dtype=object)
    has_lon, has_lat = ~np.isnan(lon) | lon_bad, ~np.isnan(lat) | lat_bad
    status[~has_lon & ~has_lat] = "missing"
    status[has_lon ^ has_lat] = "incomplete"
    range_bad = (np.abs(np.nan_to_num(lon)) > 180) | (np.abs(np.nan_to_num(lat)) > 90)
    status[range_bad & has_lon & has_lat] = "out_of_range"
    status[(lon_bad | lat_bad)] = "invalid"
    keep = status == "given"
    out["longitude"] = np.where(keep, lon, np.nan)
    out["latitude"] = np.where(keep, lat, np.nan)
    out["coord_status"] = status


def _nan(n: int):
    return np.full(n, np.nan), np.zeros(n, dtype=bool)


def _check_duplicate_ids(ids: pd.Series, rows: pd.Series, file: str) -> None:
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    grouped = pd.Series(rows.to_numpy()[dup]).groupby(ids.to_numpy()[dup], sort=False)
    dup_ids = [str(k) for k in grouped.groups]
    dup_rows = [[int(r) for r in group] for _, group in grouped]
    shown = ", ".join(
        f"{i} (rows {', '.join(map(str, r))})"
        for i, r in list(zip(dup_ids, dup_rows, strict=False))[:10]
    )
    more = f" and {len(dup_ids) - 10} more" if len(dup_ids) > 10 else ""
    raise EitError(
        "duplicate_actor_id",
        f"{file}: actor ids must be unique; duplicated: {shown}{more}",
        file=file,
        ids=dup_ids,
        rows=dup_rows,
    )


def _rows_text(rows, limit: int = 10) -> str:
    rows = [str(int(r)) for r in rows]
    return ", ".join(rows[:limit]) + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


# --------------------------------------------------------------------------- flows


def read_flows(source, fields=None, *, layer=None, name: str | None = None) -> pd.DataFrame:
    """Read a flows table (path or DataFrame): originals + canonical columns + ``row``.

    Required columns: actor, direction, resource (``missing_column`` otherwise).
    """
    return load_table(
        source, FLOW_FIELDS, fields, FLOW_REQUIRED, layer=layer, name=name, kind="flows"
    )


@dataclass
class FlowResult:
    """Output of :func:`build_flows`."""

    supply: pd.DataFrame
    need: pd.DataFrame
    rejected: pd.DataFrame
    counts: dict
    source: str = "flows"
    notes: list[str] = field(default_factory=list)
    #: unusable values of kept rows (origins, destinations, current distances: core.places)
    unusable: pd.DataFrame | None = None

    @property
    def flows(self) -> pd.DataFrame:
        """Supply and need together (row order of the input)."""
        return pd.concat([self.supply, self.need], ignore_index=True).sort_values(
            "row", kind="stable", ignore_index=True
        )

    def summary(self) -> str:
        """One line: rows read = used + rejected, with the reasons."""
        c = self.counts
        text = (
            f"{self.source}: {c['rows_read']} rows read = {c['rows_used']} used "
            f"({c['supply']} supply, {c['need']} need) + {c['rows_rejected']} rejected"
        )
        if c["rows_rejected"]:
            reasons = self.rejected["reason_code"].value_counts()
            text += " (" + ", ".join(f"{k}: {v}" for k, v in reasons.items()) + ")"
        return text


class _Checks:
    """Row problems in check order: the first one is the reason, the others are listed.

    ``explain(value, pos)`` and ``suggest(pos)`` are called once per distinct ``key`` among
    the rejected rows (default key: the value shown), so that a file whose every row is
    rejected is still reported quickly.
    """

    def __init__(self, frame: pd.DataFrame, file: str):
        self.frame = frame
        self.file = file
        self.n = len(frame)
        self.first = np.full(self.n, -1, dtype=np.int16)
        self.items: list[tuple] = []

    def add(self, mask, code, field_name, explain, suggest=None, value=None, key=None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        index = len(self.items)
        self.items.append((mask, code, field_name, explain, suggest, value, key))
        self.first[mask & (self.first < 0)] = index

    @property
    def ok(self) -> np.ndarray:
        return self.first < 0

    def rejected_frame(self) -> pd.DataFrame:
        bad = np.flatnonzero(self.first >= 0)
        if not len(bad):
            return pd.DataFrame({name: pd.Series(dtype=object) for name in REJECTED_FIELDS})
        columns = self.frame.attrs.get("columns", {})
        first = self.first[bad]
        size = len(bad)
        field_out = np.empty(size, dtype=object)
        shown_out = np.empty(size, dtype=object)
        code_out = np.empty(size, dtype=object)
        reason_out = np.empty(size, dtype=object)
        suggest_out = np.full(size, "", dtype=object)
        others = [[] for _ in range(size)]
        for index, (mask, code, field_name, explain, suggest, value, key) in enumerate(self.items):
            for i in np.flatnonzero(mask[bad] & (first != index)):
                others[i].append(code)
            where = np.flatnonzero(first == index)
            if not len(where):
                continue
            positions = bad[where]
            shown = _shown(value if value is not None else self._column(field_name), positions)
            keys = shown if key is None else np.asarray(key)[positions]
            groups, uniques = pd.factorize(keys)
            firsts = np.zeros(len(uniques), dtype=np.int64)
            firsts[groups[::-1]] = np.arange(len(groups))[::-1]  # first row of each key
            reasons = np.array(
                [explain(shown[i], positions[i]) if callable(explain) else explain for i in firsts],
                dtype=object,
            )
            field_out[where] = columns.get(field_name, field_name)
            shown_out[where] = shown
            code_out[where] = code
            reason_out[where] = reasons[groups]
            if suggest is not None:
                hints = np.array([", ".join(suggest(positions[i])) for i in firsts], dtype=object)
                suggest_out[where] = hints[groups]
        return pd.DataFrame(
            {
                "source": self.file,
                "row": self.frame[ROW].to_numpy()[bad],
                "field": field_out,
                "value": shown_out,
                "reason_code": code_out,
                "reason": reason_out,
                "suggestions": suggest_out,
                "other_reasons": ["; ".join(o) for o in others],
                "values": self._values_json(bad),
            }
        )

    def _column(self, field_name):
        if field_name in self.frame.columns:
            return self.frame[field_name].to_numpy()
        return None

    def _values_json(self, positions: np.ndarray) -> list[str]:
        """The user's own columns of each rejected row, as one JSON object per row."""
        originals = [c for c in self.frame.attrs.get("original_columns", []) if c in self.frame]
        if not originals:
            return ["{}"] * len(positions)
        original = self.frame.iloc[positions][originals]
        original.columns = [str(c) for c in original.columns]
        lines = original.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
        out = lines.replace("\\/", "/").split("\n")  # ujson escapes every "/"
        return out[: len(positions)]


def _with_read_rejects(rejected: pd.DataFrame, frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """``rejected`` and the rows the reading of ``frame``'s file set aside, in row order."""
    rejects = frame.attrs.get(READ_REJECTED)
    if not rejects:
        return rejected
    read = rejected_frame(rejects, file, REJECTED_FIELDS)
    if not len(rejected):
        return read
    both = pd.concat([read, rejected], ignore_index=True)
    return both.sort_values("row", kind="stable", ignore_index=True)


def _shown(values, positions: np.ndarray) -> np.ndarray:
    """The rejected values as text ('' when empty)."""
    if values is None:
        return np.full(len(positions), "", dtype=object)
    if isinstance(values, Coded):
        return take(values.uniques, values.codes[positions], missing="")
    return np.array([_text(v) for v in np.asarray(values, dtype=object)[positions]], dtype=object)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _as_actor_table(actors) -> ActorTable:
    if isinstance(actors, ActorTable):
        return actors
    if isinstance(actors, pd.DataFrame) and actors.attrs.get("kind") == "actors":
        return ActorTable(
            actors,
            pd.DataFrame(columns=list(REJECTED_FIELDS)),
            actors.attrs.get("source", "actors"),
        )
    return read_actors(actors)


def build_flows(actors, flows, catalogue=None, progress=None, source_name=None) -> FlowResult:
    """Validate and normalise ``flows`` against ``actors`` and ``catalogue``.

    ``actors``: an :class:`ActorTable` (or what :func:`read_actors` reads); ``flows``: the frame
    of :func:`read_flows` (or what it reads); ``catalogue``: a ``Catalogue`` (default: the
    built-in one). Logs :meth:`FlowResult.summary` through ``progress``.
    """
    if catalogue is None:
        from .catalogue import Catalogue

        catalogue = Catalogue.builtin()
    actor_table = _as_actor_table(actors)
    if not (isinstance(flows, pd.DataFrame) and flows.attrs.get("kind") == "flows"):
        flows = read_flows(flows, name=source_name)
    file = source_name or flows.attrs.get("source", "flows")
    n = len(flows)
    _report(progress, 0.0)

    def column(name):
        return flows[name] if name in flows.columns else None

    checks = _Checks(flows, file)

    # actors
    actor = encode_id(flows["actor_id"])
    actor_frame = actor_table.frame
    known = pd.Index(actor_frame["actor_id"])
    actor_pos = take(known.get_indexer(actor.uniques), actor.codes, missing=-1)
    checks.add(actor.missing, "missing_actor", "actor_id", "empty actor id")
    checks.add(
        (actor_pos < 0) & ~actor.missing,
        "unknown_actor",
        "actor_id",
        lambda v, _: f"actor {v!r} is not in the actors table ({actor_table.source})",
        suggest=_closest(actor, [str(k) for k in known]),
        value=actor,
    )
    check_canceled(progress)
    _report(progress, 0.1)

    # direction: 0 supply, 1 need, -1 unknown
    direction = encode(flows["direction"])
    d_unique = np.array(
        [
            {"supply": 0, "need": 1}.get(DIRECTIONS.get(normalise_key(v)), -1)
            for v in direction.uniques
        ],
        dtype=np.int8,
    )
    is_need = take(d_unique, direction.codes, missing=-1)
    checks.add(direction.missing, "missing_direction", "direction", "empty direction")
    checks.add(
        (is_need < 0) & ~direction.missing,
        "unknown_direction",
        "direction",
        lambda v, _: f"direction {v!r} not understood: use gisement/supply or besoin/need",
        value=direction,
    )
    check_canceled(progress)
    _report(progress, 0.2)

    # resource: each distinct text resolved once
    written = encode(flows["resource"])
    resolved = catalogue.resolve_many(pd.Series(written.uniques, dtype=object))
    res_codes, res_list = pd.factorize(resolved["resource"].to_numpy(dtype=object))
    resource_u = np.asarray(res_codes, dtype=np.int64)
    rcode = take(resource_u, written.codes, missing=-1)  # index into resources, -1 unresolved
    res_list = list(res_list)
    from_text_u = resolved["from_text"].to_numpy(dtype=bool)
    confidence_u = resolved["confidence"].to_numpy(dtype=float)
    from_text = take(np.append(from_text_u, False), written.codes, missing=False)
    rcode = _sided(rcode, from_text, is_need, res_list, catalogue)
    resources = [catalogue.get(code) for code in res_list]
    checks.add(written.missing, "missing_resource", "resource", "empty resource code")
    error_u = resolved["error_code"].to_numpy(dtype=object)
    suggest_u = resolved["suggestions"].to_numpy(dtype=object)
    unresolved_u = resource_u < 0
    for code in pd.unique(error_u[unresolved_u]):
        same = unresolved_u & np.array([e == code for e in error_u], dtype=bool)
        checks.add(
            take(same, written.codes, missing=False),
            code if isinstance(code, str) and code else "unknown_resource",
            "resource",
            _resource_message(written, suggest_u),
            suggest=lambda pos, _s=suggest_u: list(_s[written.codes[pos]] or [])[:3],
            value=written,
        )
    check_canceled(progress)
    _report(progress, 0.35)

    # quantity
    quantity_in = _encode_number_column(column("quantity"), n)
    quantity, q_bad = _number(column("quantity"), quantity_in)
    checks.add(
        q_bad, "non_numeric_quantity", "quantity", lambda v, _: f"quantity {v!r} is not a number"
    )
    checks.add(
        quantity < 0,
        "negative_quantity",
        "quantity",
        lambda v, _: f"quantity {v} is negative: give supplies and needs as positive amounts",
    )
    check_canceled(progress)
    _report(progress, 0.45)

    # units (on rows whose resource is known)
    unit = encode(column("unit"), length=n)
    units = normalise_codes(unit, rcode, resources)
    unit_message = units.pairs["message"]
    for code in ("unknown_unit", "unit_mismatch", "ambiguous_unit"):
        checks.add(
            units.error_mask(code),
            code,
            "unit",
            lambda v, pos: unit_message[units.pair_codes[pos]],
            value=unit,
            key=units.pair_codes,
        )
    check_canceled(progress)
    _report(progress, 0.55)

    # months, year
    months_in = encode(column("months"), length=n)
    parsed = [parse_months(v) for v in months_in.uniques]
    months_u = np.array([p[0] for p in parsed], dtype=object)
    months_ok = np.array([p[0] is not None for p in parsed], dtype=bool)
    checks.add(
        ~take(months_ok, months_in.codes, missing=True),
        "bad_months",
        "months",
        lambda v, _: f"months {v!r} not understood: use 3-10, 11-2, 1,2,3 or month names",
        value=months_in,
    )
    months = take(months_u, months_in.codes, missing="1-12")
    year_in = _encode_number_column(column("year"), n)
    if column("year") is not None:
        year, y_bad = _number(column("year"), year_in)
        with np.errstate(invalid="ignore"):
            y_bad = y_bad | (~np.isnan(year) & ((year % 1 != 0) | (year < 1900) | (year > 2100)))
        checks.add(
            y_bad,
            "bad_year",
            "year",
            lambda v, _: f"year {v!r} is not a year between 1900 and 2100",
        )
    else:
        year = np.full(n, np.nan)
    _report(progress, 0.65)

    # flow ids
    own = encode_id(column("flow_id"), length=n)
    if len(own.uniques):
        counts = np.bincount(own.codes[~own.missing], minlength=len(own.uniques))
        checks.add(
            take(counts > 1, own.codes, missing=False),
            "duplicate_flow_id",
            "flow_id",
            lambda v, _: f"flow id {v!r} is given to several rows",
            value=own,
        )
    ok = checks.ok
    label = encode(column("label"), length=n)
    comment = encode(column("comment"), length=n)
    flow_id = _flow_ids(
        ok,
        own,
        actor,
        is_need,
        rcode,
        [str(r.code) for r in resources],
        [
            label.sort_codes(),
            written.sort_codes(),
            months_in.sort_codes(),
            unit.sort_codes(),
            _number_rank(quantity, quantity_in),
            _number_rank(year, year_in),
            comment.sort_codes(),
        ],
    )
    places = raw_places(flows, is_need, ok, file)
    check_canceled(progress)
    _report(progress, 0.75)

    # confidential: flow flag OR actor flag
    flow_conf, conf_unknown = to_bool(column("confidential"), n)
    actor_conf = np.append(actor_frame["confidential"].to_numpy(dtype=bool), False)
    confidential = flow_conf | actor_conf[actor_pos]
    notes = list(actor_table.notes)
    if (conf_unknown & ok).any():
        notes.append(
            f"{file}: {int((conf_unknown & ok).sum())} unrecognised confidential value(s) "
            f"counted as confidential (rows {_rows_text(flows[ROW].to_numpy()[conf_unknown & ok])})"
        )
    words_used = ok & from_text
    if words_used.any():
        notes.append(_words_note(file, written, rcode, res_list, confidence_u, words_used))
    density_used = ok & units.rows("density")
    if density_used.any():
        notes.append(f"{file}: {int(density_used.sum())} quantity(ies) converted with a density")
    calorific_used = ok & units.rows("calorific")
    if calorific_used.any():
        notes.append(
            f"{file}: {int(calorific_used.sum())} quantity(ies) converted with a calorific value"
        )

    # assemble
    res_attr = {
        name: np.array([getattr(r, name) for r in resources] + [None], dtype=object)
        for name in (
            "code",
            "label_fr",
            "family",
            "synergy_type",
            "default_unit",
            "max_distance_km",
        )
    }
    ler_u = np.append(resolved["ler_code"].to_numpy(dtype=object), None)
    hazardous_u = resolved["hazardous"].to_numpy(dtype=object)
    hazard_missing = np.append(pd.isna(hazardous_u), True)
    hazard_value = np.append([bool(h) if not pd.isna(h) else False for h in hazardous_u], False)
    written_codes = written.codes
    actor_names = np.append(_column_values(actor_frame, "name"), None)
    actor_categories = np.append(_column_values(actor_frame, "category"), None)
    unit_values = unit.values()
    rows = flows[ROW].to_numpy()
    factor = units.rows("factor")
    unit_norm = units.rows("unit_norm")
    conversion = units.rows("conversion")

    def table(sel: np.ndarray) -> pd.DataFrame:
        rc = rcode[sel]
        unit_out = np.where(unit.codes[sel] < 0, res_attr["default_unit"][rc], unit_values[sel])
        year_sel = year[sel]
        year_missing = np.isnan(year_sel)
        year_out = pd.arrays.IntegerArray(
            np.where(year_missing, 0, year_sel).astype(np.int64), year_missing
        )
        hazard_codes = written.codes[sel]
        return pd.DataFrame(
            {
                "flow_id": flow_id[sel],
                "actor_id": take(actor.uniques, actor.codes[sel]),
                "actor_name": actor_names[actor_pos[sel]],
                "actor_category": actor_categories[actor_pos[sel]],
                "direction": np.array(["supply", "need"], dtype=object)[is_need[sel]],
                "resource": res_attr["code"][rc],
                "resource_label": res_attr["label_fr"][rc],
                "family": res_attr["family"][rc],
                "synergy_type": res_attr["synergy_type"][rc],
                "quantity": quantity[sel],
                "unit": unit_out,
                "quantity_norm": quantity[sel] * factor[sel],
                "unit_norm": unit_norm[sel],
                "months": months[sel],
                "confidential": confidential[sel],
                "ler_code": ler_u[written_codes[sel]],
                "hazardous": pd.arrays.BooleanArray(
                    hazard_value[hazard_codes], hazard_missing[hazard_codes]
                ),
                "label": take(label.uniques, label.codes[sel]),
                "year": year_out,
                "comment": take(comment.uniques, comment.codes[sel]),
                "conversion": conversion[sel],
                **_text_columns(sel, from_text, written, confidence_u),
                "row": rows[sel],
                "max_distance_km": res_attr["max_distance_km"][rc].astype(float),
                "current_place": places.place[sel],
                "current_distance_km": places.distance[sel],
            },
            copy=False,
        )

    supply = table(np.flatnonzero(ok & (is_need == 0)))
    need = table(np.flatnonzero(ok & (is_need == 1)))
    _report(progress, 0.9)
    rejected = _with_read_rejects(checks.rejected_frame(), flows, file)
    set_aside = len(rejected) - int((checks.first >= 0).sum())  # rows the reading set aside
    counts = {
        "rows_read": n + set_aside,
        "rows_used": len(supply) + len(need),
        "rows_rejected": len(rejected),
        "supply": len(supply),
        "need": len(need),
    }
    unusable = problems_frame(places.problems)
    result = FlowResult(supply, need, rejected, counts, file, notes, unusable)
    if progress is not None:
        progress.log(result.summary())
        for note in notes:
            progress.log(note)
    _report(progress, 1.0)
    return result


def _column_values(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return frame[name].to_numpy(dtype=object)


def _encode_number_column(series, n: int) -> Coded | None:
    """Text columns are encoded once (parsing and ranking reuse it); numeric ones are not."""
    if series is None:
        return encode(None, length=n)
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    return encode(series)


def _number(series, coded: Coded | None):
    if coded is None:
        return to_number(series)
    return coded_number(coded)


def _number_rank(values: np.ndarray, coded: Coded | None) -> np.ndarray:
    """Order-independent sort codes of a number column (of its text when it was text)."""
    if coded is not None:
        return coded.sort_codes()
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64)


def _report(progress, fraction: float) -> None:
    if progress is not None:
        progress.report(fraction)


def _closest(coded: Coded, choices: list[str]):
    """A suggest(pos) callable: the 3 ``choices`` closest to the row's value (rapidfuzz)."""
    cache: dict[int, list[str]] = {}

    def suggest(pos: int) -> list[str]:
        code = int(coded.codes[pos])
        if code < 0 or not choices:
            return []
        if code not in cache:
            from rapidfuzz import process

            value = str(coded.uniques[code])
            cache[code] = [m[0] for m in process.extract(value, choices, limit=3)]
        return cache[code]

    return suggest


def _resource_message(written: Coded, suggestions: np.ndarray):
    def explain(value: str, pos: int) -> str:
        close = list(suggestions[written.codes[pos]] or [])[:3]
        hint = f"; closest catalogue codes: {', '.join(close)}" if close else ""
        return f"resource {value!r} is neither a catalogue code nor a known LER waste code{hint}"

    return explain


def _flow_ids(ok, own: Coded, actor: Coded, is_need, rcode, codes, content) -> np.ndarray:
    """Own ids where given, else ``actor:direction:resource:k`` (k ranked by row content)."""
    ids = np.full(len(ok), None, dtype=object)
    given = ~own.missing
    ids[given & ok] = own.values()[given & ok]
    derive = np.flatnonzero(ok & ~given)
    if not len(derive):
        return ids
    key = (actor.codes[derive].astype(np.int64) * 2 + is_need[derive]) * max(len(codes), 1)
    group, group_keys = pd.factorize(key + rcode[derive])
    packed = _pack([*reversed([c[derive] for c in content]), group])
    if len(packed) == 1:  # one key (rows that tie have the same content)
        order = np.argsort(packed[0])
    else:
        order = np.lexsort([np.arange(len(derive)), *packed])
    sorted_group = group[order]
    starts = np.r_[True, sorted_group[1:] != sorted_group[:-1]]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - start_pos + 1
    # labels of each group, then the ids with numpy object additions
    rest, res = np.divmod(np.asarray(group_keys, dtype=np.int64), max(len(codes), 1))
    actor_code, need = np.divmod(rest, 2)
    prefix = (
        actor.uniques.astype(str).astype(object)[actor_code]
        + ":"
        + np.array(["supply:", "need:"], dtype=object)[need]
        + np.array(codes + [""], dtype=object)[res]
        + ":"
    )
    numbers = np.array([str(k) for k in range(int(rank.max()) + 1)], dtype=object)
    derived = prefix[group] + numbers[rank]
    if given.any():
        clash = pd.Index(own.uniques).get_indexer(derived) >= 0
        derived[clash] = derived[clash] + ":derived"
    ids[derive] = derived
    return ids


def _pack(keys):
    """Merge integer sort keys (codes >= -1) into few int64 keys, same lexicographic order.

    ``keys`` are given least significant first (as ``np.lexsort`` wants them)."""
    packed = []
    current, span = None, 1
    for key in keys:
        key = key.astype(np.int64) + 1
        width = int(key.max()) + 1 if len(key) else 1
        if current is not None and span * width < 2**62:
            current = current + key * span
            span *= width
        else:
            if current is not None:
                packed.append(current)
            current, span = key, width
    if current is not None:
        packed.append(current)
    return packed


# --------------------------------------------------------------------------- geometry


def attach_geometry(flows_df: pd.DataFrame, actors_gdf):
    """Place each flow at its actor's point (``actors_gdf``: ``actor_id`` + geometry, any CRS).

    Flows whose actor has no geometry are kept with a null geometry; their ``flow_id`` are in
    ``result.attrs["no_geometry"]`` for the caller to report. Non-point geometries are
    replaced by a point inside them. Duplicated actor ids raise ``duplicate_actor_id``.
    """
    import geopandas as gpd

    file = str(actors_gdf.attrs.get("source", "actors"))
    if "actor_id" in actors_gdf.columns:
        id_column = "actor_id"
    else:
        columns = list(actors_gdf.columns)
        id_column = match_columns(columns, ACTOR_FIELDS, None, ACTOR_REQUIRED, file)["actor_id"]
    ids = normalise_id(actors_gdf[id_column]).reset_index(drop=True)
    geometry = actors_gdf.geometry.reset_index(drop=True)
    has = (geometry.notna() & ~geometry.is_empty).to_numpy() & ids.notna().to_numpy()
    _check_duplicate_ids(ids[has], pd.Series(np.arange(2, len(ids) + 2))[has], file)
    points = geometry[has]
    not_point = (points.geom_type != "Point").to_numpy()
    if not_point.any():
        points = points.copy()
        points[not_point] = points[not_point].representative_point()
    index = pd.Index(ids[has])
    positions = index.get_indexer(normalise_id(flows_df["actor_id"]).to_numpy())
    values = np.full(len(flows_df), None, dtype=object)
    found = positions >= 0
    values[found] = points.to_numpy()[positions[found]]
    frame = flows_df.drop(columns=["geometry"], errors="ignore").reset_index(drop=True)
    result = gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(values, crs=actors_gdf.crs), crs=actors_gdf.crs
    )
    result.attrs["no_geometry"] = (
        frame["flow_id"].to_numpy()[~found].tolist() if "flow_id" in frame else []
    )
    return result
