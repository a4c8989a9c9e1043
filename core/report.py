"""Report figures and public-mode masking for the atlas, the tables and the slides (Qt-free).

Everything a report shows goes through :func:`publish_flows`, :func:`publish_candidates` and
:func:`publish_groups`: they return *display* frames whose text is final. In public mode
(``public=True``) a confidential flow (its own flag or its actor's) is published:

- without its actor's name or id: the actor becomes its category (with the NAF division
  when known), e.g. ``"Entreprise (industries alimentaires)"``;
- without its quantity: a size class instead (``"100 – 1 000 t/an"``);
- at its commune's centroid rather than at its address (:func:`locate_communes`);
- without its own label, comment or notes.

A candidate is confidential when either of its flows is; it is then published with masked
names, a quantity class, a distance class, a coverage class, score parts rounded to 0.1,
impact classes and no notes. Totals (cover, family pages, charts) are sums over the
*published* quantities only: a confidential quantity never enters a figure, even summed, and
the number of flows left out is given next to it.

The words and number formats of the reports are in :mod:`core.report_words`, where an actor
is placed (commune, centre) in :mod:`core.report_places`.

Language: ``lang`` is ``"fr"`` (default) or ``"en"``; the labels here are data (like the
catalogue's ``label_fr``/``label_en``), the core never calls a translator.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import EitError
from .report_places import locate_communes
from .report_words import (
    NBSP,
    STATUS_ORDER,
    UNKNOWN_ACTOR,
    _lang,
    _missing,
    anonymous_name,
    category_label,
    class_index,
    direction_label,
    distance_class,
    format_number,
    format_quantity,
    format_share,
    months_display,
    share_class,
    size_class,
    status_label,
    unit_label,
)
from .safe_cells import inert_cells, inert_names, is_formula_like
from .synergy._common import to_bool

PUBLISHED_FLOW_COLUMNS = [
    "flow_id",
    "actor_id",
    "actor_key",
    "actor_display",
    "actor_named",
    "category_display",
    "commune",
    "direction",
    "direction_label",
    "resource",
    "resource_label",
    "label_text",
    "family",
    "synergy_type",
    "months_text",
    "quantity_value",
    "unit_norm",
    "unit_text",
    "quantity_text",
    "size_class",
    "confidential",
    "masked",
]

PUBLISHED_CANDIDATE_COLUMNS = [
    "candidate_id",
    "status",
    "status_label",
    "family",
    "supply_flow",
    "need_flow",
    "supplier_key",
    "supplier_display",
    "supplier_commune",
    "receiver_key",
    "receiver_display",
    "receiver_commune",
    "supply_resource_label",
    "need_resource_label",
    "explanation",
    "precedent_count",
    "precedents",
    "distance_method",
    "distance_value",
    "distance_text",
    "matched_value",
    "matched_text",
    "unit_norm",
    "coverage_value",
    "coverage_text",
    "score_value",
    "score_text",
    "score_compat",
    "score_coverage",
    "score_distance",
    "score_season",
    "diverted_value",
    "diverted_text",
    "transport_value",
    "transport_text",
    "co2_transport_value",
    "co2_transport_text",
    "avoided_co2_value",
    "avoided_co2_text",
    "notes_text",
    "notes_withheld",
    "confidential",
    "masked",
]


# --------------------------------------------------------------------------- flows


def _column(frame, name, default=None) -> pd.Series:
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([default] * len(frame), dtype=object)


def _text_values(series) -> np.ndarray:
    values = list(series)
    # the type is part of the key: 1, 1.0 and True are equal keys but different texts
    return per_distinct(_text_or_none, values, [type(v) for v in values])


def _text_or_none(value, _type=None):
    return None if _missing(value) else str(value)


def per_distinct(func, *columns) -> np.ndarray:
    """``func`` of each row's values (an object array), computed once per distinct tuple of
    values: a region's 50,000 flows hold a few hundred distinct units, categories or
    quantity classes. Unhashable values are computed row by row."""
    n = len(columns[0]) if columns else 0
    out = np.empty(n, dtype=object)
    seen: dict = {}
    for i, key in enumerate(zip(*columns, strict=False)):
        try:
            value = seen[key]
        except KeyError:
            value = seen[key] = func(*key)
        except TypeError:
            value = func(*key)
        out[i] = value
    return out


def flows_from_candidates(candidates, known_flow_ids=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supply and need flows rebuilt from the candidates' own fields, for the flows a
    candidate names that are not in the flow layers (``known_flow_ids``). Positions are the
    ends of the candidate's line."""
    known = {str(v) for v in known_flow_ids}
    out = []
    for side, (flow, actor, name, category, resource, label, conf, quantity, end) in {
        "supply": (
            "supply_flow",
            "supplier_id",
            "supplier_name",
            "supplier_category",
            "supply_resource",
            "supply_resource_label",
            "supply_confidential",
            "supply_quantity",
            0,
        ),
        "need": (
            "need_flow",
            "receiver_id",
            "receiver_name",
            "receiver_category",
            "need_resource",
            "need_resource_label",
            "need_confidential",
            "need_quantity",
            -1,
        ),
    }.items():
        if candidates is None or not len(candidates) or flow not in candidates.columns:
            out.append(pd.DataFrame(columns=["flow_id", "geometry"]))
            continue
        ids = candidates[flow].astype(str)
        missing = ~ids.isin(known)
        part = candidates[missing].drop_duplicates(flow)
        lines = part.geometry.to_numpy() if len(part) else np.array([], dtype=object)
        ends = [
            shapely.Point(shapely.get_coordinates(g)[end]) if g is not None else None for g in lines
        ]
        frame = pd.DataFrame(
            {
                "flow_id": part[flow].astype(str).to_numpy(),
                "actor_id": _column(part, actor).to_numpy(),
                "actor_name": _column(part, name).to_numpy(),
                "actor_category": _column(part, category).to_numpy(),
                "direction": side,
                "resource": _column(part, resource).to_numpy(),
                "resource_label": _column(part, label).to_numpy(),
                "family": _column(part, "family").to_numpy(),
                "synergy_type": "substitution",
                "quantity_norm": pd.to_numeric(_column(part, quantity), errors="coerce").to_numpy(),
                "unit_norm": _column(part, "unit_norm").to_numpy(),
                "months": None,
                "confidential": to_bool(_column(part, conf, False)),
            }
        )
        out.append(gpd.GeoDataFrame(frame, geometry=ends, crs=candidates.crs))
    return out[0], out[1]


def publish_flows(
    flows,
    *,
    public: bool,
    places: pd.DataFrame | None = None,
    naf=None,
    naf_divisions=None,
    lang: str = "fr",
) -> gpd.GeoDataFrame:
    """The display frame of supply and/or need flows (see the module docstring).

    ``flows``: a GeoDataFrame with the contract's flow fields (points). ``places``: the output
    of :func:`locate_communes` for these rows (commune names and centres); ``naf``: the NAF
    code of each row's actor (aligned), used to name confidential actors. Masked rows lose
    ``actor_id``; they are grouped under ``actor_key`` ``anon-1``, ``anon-2``… (one per
    confidential actor, numbered in display order).
    """
    _lang(lang)
    flows = flows.reset_index(drop=True)
    n = len(flows)
    confidential = to_bool(_column(flows, "confidential", False))
    masked = confidential & bool(public)
    quantity = pd.to_numeric(_column(flows, "quantity_norm"), errors="coerce").to_numpy(float)
    units = _text_values(_column(flows, "unit_norm"))
    categories = _column(flows, "actor_category").to_numpy(dtype=object)
    naf_values = (
        pd.Series(naf).reset_index(drop=True).to_numpy(dtype=object)
        if naf is not None
        else np.full(n, None)
    )
    if places is None:
        places = locate_communes(flows.geometry)
    places = places.reset_index(drop=True)
    communes = places["commune"].to_numpy(dtype=object)
    actor_ids = _text_values(_column(flows, "actor_id"))
    names = _text_values(_column(flows, "actor_name"))
    resource_labels = _text_values(_column(flows, "resource_label"))
    resources = _text_values(_column(flows, "resource"))
    resource_labels = np.where(
        pd.isna(resource_labels), resources, resource_labels
    )  # label falls back on the code
    labels = _text_values(_column(flows, "label"))
    anonymous = np.full(n, None, dtype=object)
    anonymous[masked] = per_distinct(
        lambda c, f: anonymous_name(c, f, naf_divisions, lang),
        categories[masked],
        naf_values[masked],
    )
    display = np.where(masked, anonymous, names)
    display = np.array(
        [d if d else (a or UNKNOWN_ACTOR[lang]) for d, a in zip(display, actor_ids, strict=True)],
        dtype=object,
    )
    keys = np.where(masked, None, actor_ids).astype(object)
    if masked.any():
        order = pd.DataFrame(
            {"display": display, "commune": communes, "actor": actor_ids, "row": np.arange(n)}
        )[masked]
        order = order.fillna({"commune": ""}).sort_values(["display", "commune", "actor"])
        numbers = {a: i + 1 for i, a in enumerate(dict.fromkeys(order["actor"]))}
        for row, actor in zip(order["row"], order["actor"], strict=True):
            keys[row] = f"anon-{numbers[actor]}"
        # two confidential actors with the same public name in the same commune: number them
        same = order.drop_duplicates("actor").groupby(["display", "commune"])["actor"]
        for _, group in same:
            if len(group) > 1:
                for k, actor in enumerate(group, start=1):
                    rows = order.loc[order["actor"] == actor, "row"].to_numpy()
                    display[rows] = f"{display[rows[0]]} n°{NBSP}{k}"
    size = class_index(quantity)
    quantity_text = per_distinct(
        lambda q, u, m: size_class(q, u, lang) if m else format_quantity(q, u, lang),
        quantity,
        units,
        masked,
    )
    x = shapely.get_x(flows.geometry.to_numpy()) if n else np.array([])
    y = shapely.get_y(flows.geometry.to_numpy()) if n else np.array([])
    x = np.where(masked, places["x"].to_numpy(float), x)
    y = np.where(masked, places["y"].to_numpy(float), y)
    placed = np.isfinite(x) & np.isfinite(y)
    geometry = np.full(n, None, dtype=object)
    geometry[placed] = shapely.points(x[placed], y[placed])
    out = pd.DataFrame(
        {
            "flow_id": _text_values(_column(flows, "flow_id")),
            "actor_id": np.where(masked, None, actor_ids),
            "actor_key": keys,
            "actor_display": display,
            "actor_named": ~masked,
            "category_display": per_distinct(
                lambda c, m: category_label(c, lang, public=bool(m)), categories, masked
            ),
            "commune": communes,
            "direction": _text_values(_column(flows, "direction")),
            "direction_label": per_distinct(
                lambda d: direction_label(d, lang), _column(flows, "direction")
            ),
            "resource": resources,
            "resource_label": resource_labels,
            "label_text": np.where(masked | pd.isna(labels), resource_labels, labels),
            "family": _text_values(_column(flows, "family")),
            "synergy_type": _text_values(_column(flows, "synergy_type")),
            "months_text": per_distinct(
                lambda m: months_display(m, lang), _column(flows, "months")
            ),
            "quantity_value": np.where(masked, np.nan, quantity),
            "unit_norm": units,
            "unit_text": per_distinct(lambda u: unit_label(u, lang), units),
            "quantity_text": quantity_text,
            "size_class": size,
            "confidential": confidential,
            "masked": masked,
        },
        columns=PUBLISHED_FLOW_COLUMNS,
    )
    return gpd.GeoDataFrame(out, geometry=geometry, crs=flows.crs)


# --------------------------------------------------------------------------- candidates


def _round_tenth(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * 10.0) / 10.0


def publish_candidates(candidates, published_flows, *, public: bool, lang: str = "fr"):
    """The display frame of synergy candidates (lines between the *published* positions).

    ``published_flows``: :func:`publish_flows` of the supply and need flows (both sides, with
    :func:`flows_from_candidates` for flows missing from the layers).
    """
    _lang(lang)
    cands = candidates.reset_index(drop=True)
    n = len(cands)
    flows = published_flows.drop_duplicates("flow_id").set_index("flow_id")
    supply_ids = _text_values(_column(cands, "supply_flow"))
    need_ids = _text_values(_column(cands, "need_flow"))
    s_pos = flows.index.get_indexer(supply_ids)
    n_pos = flows.index.get_indexer(need_ids)
    if (s_pos < 0).any() or (n_pos < 0).any():
        missing = [i for i, p in zip(supply_ids, s_pos, strict=True) if p < 0]
        missing += [i for i, p in zip(need_ids, n_pos, strict=True) if p < 0]
        raise EitError(
            "unknown_flow",
            f"Candidates name flows that were not published: {', '.join(missing[:10])}",
            ids=missing,
        )

    def side(column, pos):
        return flows[column].to_numpy()[pos] if n else np.array([], dtype=object)

    confidential = (
        to_bool(_column(cands, "supply_confidential", False))
        | to_bool(_column(cands, "need_confidential", False))
        | side("confidential", s_pos).astype(bool)
        | side("confidential", n_pos).astype(bool)
    )
    masked = confidential & bool(public)
    units = _text_values(_column(cands, "unit_norm"))

    def number(name):
        return pd.to_numeric(_column(cands, name), errors="coerce").to_numpy(dtype=float)

    distance = number("distance_km")
    matched = number("matched_quantity")
    coverage = number("coverage")
    score = number("score")
    impacts = {
        "diverted": (number("diverted_t"), 1.0, "t/yr"),
        "transport": (number("transport_tkm"), 1.0, "tkm/yr"),
        "co2_transport": (number("co2_transport_kg"), 0.001, "tCO2e/yr"),
        "avoided_co2": (number("avoided_co2_kg"), 0.001, "tCO2e/yr"),
    }
    statuses = _text_values(_column(cands, "status"))
    notes = _text_values(_column(cands, "notes"))
    data = {
        "candidate_id": _text_values(_column(cands, "candidate_id")),
        "status": statuses,
        "status_label": [status_label(s, lang) for s in statuses],
        "family": _text_values(_column(cands, "family")),
        "supply_flow": supply_ids,
        "need_flow": need_ids,
        "supplier_key": side("actor_key", s_pos),
        "supplier_display": side("actor_display", s_pos),
        "supplier_commune": side("commune", s_pos),
        "receiver_key": side("actor_key", n_pos),
        "receiver_display": side("actor_display", n_pos),
        "receiver_commune": side("commune", n_pos),
        "supply_resource_label": side("resource_label", s_pos),
        "need_resource_label": side("resource_label", n_pos),
        "explanation": _text_values(_column(cands, "explanation_fr")),
        # documented cases elsewhere, never about this territory's actors: always public
        "precedent_count": number("precedent_count"),
        "precedents": _text_values(_column(cands, "precedents")),
        "distance_method": _text_values(_column(cands, "distance_method")),
        "distance_value": np.where(masked, np.nan, distance),
        "distance_text": [
            distance_class(d, lang) if m else f"{format_number(d, 1, lang)}{NBSP}km"
            for d, m in zip(distance, masked, strict=True)
        ],
        "matched_value": np.where(masked, np.nan, matched),
        "matched_text": [
            size_class(q, u, lang) if m else format_quantity(q, u, lang)
            for q, u, m in zip(matched, units, masked, strict=True)
        ],
        "unit_norm": units,
        "coverage_value": np.where(masked, np.nan, coverage),
        "coverage_text": [
            share_class(c, lang) if m else format_share(c, lang)
            for c, m in zip(coverage, masked, strict=True)
        ],
        "score_value": np.where(masked, _round_tenth(score), score),
        "score_text": [
            format_number(s, 1 if m else 2, lang) for s, m in zip(score, masked, strict=True)
        ],
    }
    for part in ("score_compat", "score_coverage", "score_distance", "score_season"):
        values = number(part)
        data[part] = np.where(masked, _round_tenth(values), values)
    for name, (values, factor, unit) in impacts.items():
        scaled = values * factor
        data[f"{name}_value"] = np.where(masked, np.nan, scaled)
        data[f"{name}_text"] = [
            "—" if v == 0 else size_class(v, unit, lang) if m else format_quantity(v, unit, lang)
            for v, m in zip(scaled, masked, strict=True)
        ]
    data["notes_text"] = np.where(masked, None, notes)
    data["notes_withheld"] = masked & ~pd.isna(notes) & (notes != "")
    data["confidential"] = confidential
    data["masked"] = masked
    out = pd.DataFrame(data, columns=PUBLISHED_CANDIDATE_COLUMNS)
    starts = flows.geometry.to_numpy()[s_pos] if n else []
    ends = flows.geometry.to_numpy()[n_pos] if n else []
    lines = [
        shapely.LineString([a, b]) if a is not None and b is not None else None
        for a, b in zip(starts, ends, strict=True)
    ]
    return gpd.GeoDataFrame(out, geometry=lines, crs=published_flows.crs)


def order_candidates(published) -> pd.DataFrame:
    """Candidates in report order: retained, to explore, proposed, rejected; best score first."""
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    key = published["status"].map(lambda s: rank.get(s, len(rank)))
    return (
        published.assign(_rank=key.to_numpy(), _score=published["score_value"].fillna(-1))
        .sort_values(["_rank", "_score", "candidate_id"], ascending=[True, False, True])
        .drop(columns=["_rank", "_score"])
    )


# --------------------------------------------------------------------------- groups


def publish_groups(groups, published_need, published_supply=None, *, public, lang="fr"):
    """The display frame of mutualisation groups.

    Member and provider names come from the published flows (a member whose need flows in the
    group are confidential is shown under its public name); in public mode the polygon is
    rebuilt around the published positions and a group holding a confidential flow shows a
    quantity class.
    """
    _lang(lang)
    columns = [
        "group_id",
        "resource_label",
        "family",
        "n_actors",
        "member_names",
        "provider_names",
        "quantity_text",
        "quantity_value",
        "unit_norm",
        "max_pair_km",
        "status_label",
        "notes_text",
        "member_keys",
        "confidential",
        "masked",
    ]
    if groups is None or not len(groups):
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=[], crs=None)
    groups = groups.reset_index(drop=True)
    need = published_need.drop_duplicates("flow_id").set_index("flow_id")
    supply = (
        published_supply.drop_duplicates("flow_id").set_index("flow_id")
        if published_supply is not None and len(published_supply)
        else None
    )
    provider_names = {}  # (actor id, resource) -> the first published name of its supplies
    if supply is not None:
        known = supply[supply["resource"].notna()]
        firsts = known.assign(_actor=known["actor_id"].astype(str)).drop_duplicates(
            ["_actor", "resource"]
        )
        provider_names = dict(
            zip(
                zip(firsts["_actor"], firsts["resource"], strict=True),
                firsts["actor_display"].astype(str),
                strict=True,
            )
        )
    # each need flow once, as plain values: a group's rows are looked up in dicts, not frames
    need_conf = need["confidential"].fillna(False).to_numpy(dtype=bool)
    need_rows = dict(
        zip(
            need.index,
            zip(need_conf, need["actor_key"], need["actor_display"], need.geometry, strict=True),
            strict=True,
        )
    )
    group_conf = (
        np.asarray(to_bool(groups["confidential"]), dtype=bool)
        if "confidential" in groups.columns
        else np.zeros(len(groups), dtype=bool)
    )
    group_quantity = (
        pd.to_numeric(groups["combined_quantity"], errors="coerce").to_numpy(dtype=float)
        if "combined_quantity" in groups.columns
        else np.full(len(groups), np.nan)
    )
    records, geoms, hulls = [], [], []
    # plain dicts: a Series per group (iterrows) cost more than the rest of the loop
    group_geoms = groups.geometry.to_numpy()
    plain = pd.DataFrame(groups.drop(columns=groups.geometry.name)).to_dict("records")
    for i, group in enumerate(plain):
        flow_ids = [f for f in str(group.get("need_flows") or "").split(",") if f]
        rows = [need_rows[f] for f in flow_ids if f in need_rows]
        confidential = bool(group_conf[i]) or any(row[0] for row in rows)
        masked = confidential and bool(public)
        members, seen = [], set()
        for row in rows:  # one row per actor, the first (drop_duplicates)
            if row[1] not in seen:
                seen.add(row[1])
                members.append(row)
        names = sorted(str(row[2]) for row in members)
        if len(rows) < len(flow_ids) or not flow_ids:
            if masked or (public and not len(flow_ids)):
                # flows absent from the need layer cannot be checked: no name for them
                extra = int(group.get("n_actors") or 0) - len(names)
                names += [UNKNOWN_ACTOR[lang]] * max(extra, 0)
            else:
                names = [v for v in str(group.get("member_names") or "").split("; ") if v]
        providers = []
        resource = group.get("resource")
        for provider in [p for p in str(group.get("providers") or "").split(",") if p]:
            own = provider_names.get((provider, resource)) if pd.notna(resource) else None
            if own is not None:
                providers.append(own)
            elif not public:
                providers.append(provider)
        quantity = group_quantity[i]
        unit = group.get("unit_norm")
        if masked:
            quantity_text = size_class(quantity, unit, lang)
        else:
            quantity_text = format_quantity(quantity, unit, lang)
        points = [row[3] for row in rows if row[3] is not None and not row[3].is_empty]
        if public and points:
            geometry = None  # the hull of its members' places, made for all groups below
            hulls.append((len(geoms), points))
        elif masked:
            geometry = None
        else:
            geometry = group_geoms[i]
        records.append(
            {
                "group_id": str(group.get("group_id")),
                "resource_label": group.get("resource_label"),
                "family": group.get("family"),
                "n_actors": int(group.get("n_actors") or len(names)),
                "member_names": "; ".join(names),
                "provider_names": "; ".join(dict.fromkeys(providers)),
                "quantity_text": quantity_text,
                "quantity_value": np.nan if masked else quantity,
                "unit_norm": unit,
                "max_pair_km": np.nan if masked else group.get("max_pair_km"),
                "status_label": status_label(group.get("status"), lang),
                "notes_text": None if masked else group.get("notes"),
                "member_keys": "," + ",".join(str(row[1]) for row in members) + ","
                if members
                else ",",
                "confidential": confidential,
                "masked": masked,
            }
        )
        geoms.append(geometry)
    if hulls:  # a public group's outline: 500 m around the hull of its members' places
        places = shapely.multipoints(
            [p for _, points in hulls for p in points],
            indices=np.repeat(np.arange(len(hulls)), [len(points) for _, points in hulls]),
        )
        outlines = shapely.buffer(shapely.convex_hull(places), 500.0)
        for (position, _), outline in zip(hulls, outlines, strict=True):
            geoms[position] = outline
    return gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=columns), geometry=geoms, crs=groups.crs
    )


# --------------------------------------------------------------------------- figures


def _sum(values) -> float:
    values = pd.to_numeric(pd.Series(values), errors="coerce")
    return float(values.sum()) if values.notna().any() else 0.0


def summary_figures(flows, candidates, groups=None, actors: int | None = None) -> dict:
    """The cover's figures from published frames (masked quantities are NaN, so they never
    enter a sum; the counts of flows and candidates left out of the sums are given).

    Keys: ``actors``, ``supply``, ``need``, ``groups``, ``statuses`` (status -> count),
    ``families`` (DataFrame: family, supply, need), ``supply_t``, ``supply_mwh``, ``need_t``,
    ``need_mwh``, ``matched_t``, ``matched_mwh`` (non-rejected candidates), ``masked_flows``,
    ``masked_candidates``. ``actors``: the number of actors when known (published frames
    cannot tell that an anonymous actor also has named flows).
    """
    direction = flows["direction"]
    active = candidates[candidates["status"] != "rejected"] if len(candidates) else candidates
    families = (
        flows.assign(one=1)
        .pivot_table(index="family", columns="direction", values="one", aggfunc="sum")
        .reindex(columns=["supply", "need"])
        .fillna(0)
        .astype(int)
        .reset_index()
        if len(flows)
        else pd.DataFrame(columns=["family", "supply", "need"])
    )

    def total(frame, unit, value="quantity_value"):
        return _sum(frame.loc[frame["unit_norm"] == unit, value]) if len(frame) else 0.0

    statuses = candidates["status"].value_counts().to_dict() if len(candidates) else {}
    return {
        "actors": int(flows["actor_key"].nunique()) if actors is None else int(actors),
        "supply": int((direction == "supply").sum()),
        "need": int((direction == "need").sum()),
        "groups": 0 if groups is None else len(groups),
        "statuses": {s: int(statuses.get(s, 0)) for s in STATUS_ORDER},
        "families": families,
        "supply_t": total(flows[direction == "supply"], "t/yr"),
        "supply_mwh": total(flows[direction == "supply"], "MWh/yr"),
        "need_t": total(flows[direction == "need"], "t/yr"),
        "need_mwh": total(flows[direction == "need"], "MWh/yr"),
        "matched_t": total(active, "t/yr", "matched_value"),
        "matched_mwh": total(active, "MWh/yr", "matched_value"),
        "masked_flows": int(flows["masked"].sum()),
        "masked_candidates": int(active["masked"].sum()) if len(active) else 0,
    }


def family_totals(flows) -> pd.DataFrame:
    """Per family, resource and unit: counts and published totals of supplies and needs.

    Columns: ``family``, ``resource``, ``resource_label``, ``unit_norm``, ``n_supply``,
    ``n_need``, ``supply_total``, ``need_total`` (NaN when no published quantity),
    ``masked_supply``, ``masked_need``.
    """
    columns = [
        "family",
        "resource",
        "resource_label",
        "unit_norm",
        "n_supply",
        "n_need",
        "supply_total",
        "need_total",
        "masked_supply",
        "masked_need",
    ]
    if not len(flows):
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "family": flows["family"].fillna(""),
            "resource": flows["resource"].fillna(""),
            "resource_label": flows["resource_label"].fillna(""),
            "unit_norm": flows["unit_norm"].fillna(""),
            "is_supply": (flows["direction"] == "supply").to_numpy(),
            "value": flows["quantity_value"].to_numpy(float),
            "masked": flows["masked"].to_numpy(bool),
        }
    )
    frame["supply_value"] = frame["value"].where(frame["is_supply"])
    frame["need_value"] = frame["value"].where(~frame["is_supply"])
    grouped = frame.groupby(["family", "resource", "resource_label", "unit_norm"], sort=True)
    out = grouped.agg(
        n_supply=("is_supply", "sum"),
        n_need=("is_supply", lambda s: int((~s).sum())),
        supply_total=("supply_value", lambda s: s.sum(min_count=1)),
        need_total=("need_value", lambda s: s.sum(min_count=1)),
        masked_supply=("masked", lambda s: int((s & frame.loc[s.index, "is_supply"]).sum())),
        masked_need=("masked", lambda s: int((s & ~frame.loc[s.index, "is_supply"]).sum())),
    ).reset_index()
    out["n_supply"] = out["n_supply"].astype(int)
    return out[columns]


SYNERGY_TABLE_COLUMNS = [
    "candidate_id",
    "status_label",
    "family_label",
    "supplier_display",
    "supplier_commune",
    "supply_resource_label",
    "receiver_display",
    "receiver_commune",
    "need_resource_label",
    "distance_value",
    "distance_text",
    "matched_value",
    "matched_text",
    "unit_text",
    "coverage_value",
    "coverage_text",
    "score_value",
    "explanation",
    "diverted_value",
    "avoided_co2_value",
    "avoided_co2_text",
    "notes_text",
    "masked",
]


def synergy_table(published, family_labels=None, lang: str = "fr") -> pd.DataFrame:
    """The synergy table for CSV/XLSX, in report order, from published candidates only."""
    table = order_candidates(published) if len(published) else published
    out = pd.DataFrame(
        {
            "candidate_id": table["candidate_id"].to_numpy(),
            "status_label": table["status_label"].to_numpy(),
            "family_label": [
                (family_labels or {}).get(f, f) for f in table["family"].to_numpy(dtype=object)
            ],
            "unit_text": [unit_label(u, lang) for u in table["unit_norm"]],
        }
    )
    for column in SYNERGY_TABLE_COLUMNS:
        if column not in out:
            out[column] = table[column].to_numpy() if column in table else None
    out["distance_value"] = np.round(out["distance_value"].astype(float), 2)
    out["coverage_value"] = np.round(out["coverage_value"].astype(float), 3)
    out["score_value"] = np.round(out["score_value"].astype(float), 3)
    return out[SYNERGY_TABLE_COLUMNS].reset_index(drop=True)


def write_table(frame: pd.DataFrame, path, headers=None, title: str = "", lang: str = "fr"):
    """Write ``frame`` as CSV (``;`` and decimal comma in French, UTF-8 with BOM for
    spreadsheets) or XLSX (bold frozen header, widths fitted, document title set).

    Text is written as text (:mod:`core.safe_cells`): a name starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading apostrophe in CSV and the
    string cell type in XLSX, so that no spreadsheet runs it as a formula."""
    path = Path(path)
    table = frame.rename(columns=headers or {})
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        book = Workbook()
        sheet = book.active
        sheet.title = (title or "Synergies")[:31].translate(str.maketrans("", "", "[]:*?/\\"))
        _append_text_row(sheet, [str(c) for c in table.columns], None)
        _, risky = inert_cells(table, "xlsx")
        for i, row in enumerate(table.itertuples(index=False)):
            values = [None if _missing(v) else _excel_value(v) for v in row]
            _append_text_row(sheet, values, risky[i])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for i, column in enumerate(table.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in table[column].head(200)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)
        book.properties.title = title
        book.properties.creator = "EIT Synergies"
        book.save(path)
        return path
    table, _ = inert_cells(table, "csv")
    table.columns = inert_names(table.columns)
    table.to_csv(
        path,
        sep=";" if lang == "fr" else ",",
        decimal="," if lang == "fr" else ".",
        index=False,
        encoding="utf-8-sig",
        lineterminator="\r\n",  # RFC 4180; also makes a CR or LF inside a value quoted
    )
    return path


def _append_text_row(sheet, values, risky) -> None:
    """Append ``values``; formula-like texts (``risky``, or found here) get the string type
    (openpyxl makes every string that starts with ``=`` a formula)."""
    sheet.append(values)
    flags = risky if risky is not None else [is_formula_like(v) for v in values]
    if any(flags):
        for cell, flag in zip(sheet[sheet.max_row], flags, strict=False):
            if flag:
                cell.data_type = "s"


def _excel_value(value):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
