"""The EIT workspace: what the pipeline writes and the workshop dock works on.

One GeoPackage, ``eit.gpkg``, holds every layer under the names below (French, since users
see them in QGIS's layer panel). Candidates are keyed on ``candidate_id`` (supply flow id >
need flow id), groups on ``group_id``, actors on ``actor_id``, flows on ``flow_id``: a rerun
on updated tables carries the decisions taken (status, notes) and the manual placements
over to what still exists, and reports what is new, changed and gone.

Pure functions over frames: reading and writing the GeoPackage is the QGIS glue's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

GPKG_NAME = "eit.gpkg"
PROJECT_NAME = "eit.qgz"
ATLAS_NAME = "atlas.pdf"
SUMMARY_NAME = "synthese.html"

#: role -> table name in the GeoPackage
LAYERS = {
    "actors": "acteurs",
    "supply": "gisements",
    "need": "besoins",
    "candidates": "synergies",
    "groups": "mutualisations",
    "rejected": "lignes_rejetees",
    "unplaced": "flux_non_places",
    "territory": "territoire",
    "resources": "catalogue_ressources",
    "compatibility": "catalogue_compatibilites",
    "runs": "executions",
    "decisions": "decisions",
}

STATUSES = ("proposed", "retained", "to_explore", "rejected")
#: the statuses of the synergies the room kept (to pursue, to look into)
DECIDED_STATUSES = ("retained", "to_explore")
#: columns a facilitator edits, carried over from one run to the next
DECISION_COLUMNS = ("status", "notes")


@dataclass
class CarryOver:
    """What a rerun kept, and what changed since the previous run."""

    kept: int = 0
    new: list = field(default_factory=list)
    gone: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    kept_word: str = "decision(s) kept"  # what ``kept`` counts

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.kept} {self.kept_word}, {len(self.new)} new, "
            f"{len(self.changed)} changed, {len(self.gone)} gone"
        )


def carry_over_decisions(
    previous, current, key="candidate_id", compare=("matched_quantity",), *, copy=True
):
    """``(current with the previous status/notes, CarryOver)``.

    A row of ``current`` whose ``key`` existed before takes the previous ``status`` and
    ``notes`` when they were set by someone (status other than ``proposed`` or notes not
    empty). ``compare`` columns tell which kept rows changed in value. ``copy=False`` when
    ``current`` is not used again (the dock's search): the columns left as they were are
    shared with it instead of copied; ``current`` itself never changes.
    """
    report = CarryOver()
    out = current.copy(deep=copy)
    if previous is None or not len(previous) or key not in previous.columns:
        report.new = out[key].astype(str).tolist() if key in out.columns else []
        return out, report
    prev = previous.drop_duplicates(key).set_index(key)
    ids = out[key]
    known = ids.isin(prev.index).to_numpy()
    report.new = ids[~known].astype(str).tolist()
    report.gone = sorted(set(prev.index.astype(str)) - set(ids.astype(str)))
    matched = prev.reindex(ids[known])
    for column in DECISION_COLUMNS:
        if column not in prev.columns:
            continue
        if column not in out.columns:
            out[column] = None
        old = matched[column].to_numpy(dtype=object)
        if column == "status":
            use = pd.Series(old).isin(STATUSES[1:]).to_numpy()
        else:
            use = pd.Series(old).fillna("").astype(str).str.strip().ne("").to_numpy()
        values = out[column].to_numpy(dtype=object).copy()
        rows = np.flatnonzero(known)[use]
        values[rows] = old[use]
        out[column] = values
        if column == "status":
            report.kept = int(use.sum())
    for column in compare:
        if column in prev.columns and column in out.columns:
            before = pd.to_numeric(matched[column], errors="coerce").to_numpy(dtype=float)
            after = pd.to_numeric(out.loc[known, column], errors="coerce").to_numpy(dtype=float)
            differs = ~np.isclose(before, after, equal_nan=True)
            report.changed += ids[known][differs].astype(str).tolist()
    return out, report


def carry_over_placements(previous_actors, actors):
    """Actors placed by hand before (``geo_method = given``) keep that placement.

    ``previous_actors`` has ``actor_id``, ``geo_method``, ``lon``, ``lat`` (WGS84); the
    returned copy of ``actors`` has those coordinates in ``longitude``/``latitude`` and
    ``geo_method = given`` for them, which the geocoder keeps as they are.
    """
    out = actors.copy()
    if previous_actors is None or not len(previous_actors):
        return out, 0
    prev = previous_actors[previous_actors["geo_method"].astype(str).eq("given")]
    prev = prev.dropna(subset=["lon", "lat"]).drop_duplicates("actor_id").set_index("actor_id")
    hit = out["actor_id"].isin(prev.index).to_numpy()
    if not hit.any():
        return out, 0
    for column in ("longitude", "latitude", "geo_method"):
        if column not in out.columns:
            out[column] = None
        out[column] = out[column].astype(object)
    ids = out.loc[hit, "actor_id"]
    out.loc[hit, "longitude"] = prev.loc[ids, "lon"].to_numpy()
    out.loc[hit, "latitude"] = prev.loc[ids, "lat"].to_numpy()
    out.loc[hit, "geo_method"] = "given"
    return out, int(hit.sum())


def diff_flows(previous, current, key="flow_id", compare=("resource", "quantity_norm")):
    """New, changed and gone flows between two runs (lists of flow ids)."""
    report = CarryOver(kept_word="unchanged")
    if previous is None or not len(previous):
        report.new = current[key].astype(str).tolist()
        return report
    prev = previous.drop_duplicates(key).set_index(key)
    cur = current.drop_duplicates(key).set_index(key)
    report.new = sorted(set(cur.index.astype(str)) - set(prev.index.astype(str)))
    report.gone = sorted(set(prev.index.astype(str)) - set(cur.index.astype(str)))
    both = cur.index.intersection(prev.index)
    changed = np.zeros(len(both), dtype=bool)
    for column in compare:
        if column in prev.columns and column in cur.columns:
            a = prev.loc[both, column]
            b = cur.loc[both, column]
            if pd.api.types.is_numeric_dtype(b):
                changed |= ~np.isclose(
                    pd.to_numeric(a, errors="coerce").to_numpy(dtype=float),
                    pd.to_numeric(b, errors="coerce").to_numpy(dtype=float),
                    equal_nan=True,
                )
            else:
                changed |= a.astype(str).to_numpy() != b.astype(str).to_numpy()
    report.changed = sorted(both[changed].astype(str))
    report.kept = int(len(both) - changed.sum())
    return report


def key_figures(supply, need, candidates, groups=None, actors=None) -> dict:
    """The territory's summary figures (for the summary page, the atlas cover, year on year).

    Tonnes and MWh are totals of normalised quantities; ``retained_*`` count only the
    candidates a facilitator retained.
    """

    def total(frame, unit, column="quantity_norm"):
        if frame is None or not len(frame) or column not in frame:
            return 0.0
        rows = frame["unit_norm"].astype(str).eq(unit) if "unit_norm" in frame else False
        return float(pd.to_numeric(frame.loc[rows, column], errors="coerce").fillna(0).sum())

    cands = candidates if candidates is not None else pd.DataFrame()
    statuses = cands["status"].value_counts().to_dict() if len(cands) else {}
    retained = cands[cands["status"].eq("retained")] if len(cands) else cands
    figures = {
        "actors": int(len(actors))
        if actors is not None
        else int(pd.concat([supply["actor_id"], need["actor_id"]]).nunique()),
        "supply_flows": int(len(supply)),
        "need_flows": int(len(need)),
        "supply_t": total(supply, "t/yr"),
        "need_t": total(need, "t/yr"),
        "supply_mwh": total(supply, "MWh/yr"),
        "need_mwh": total(need, "MWh/yr"),
        "candidates": int(len(cands)),
        "groups": int(len(groups)) if groups is not None else 0,
        "candidates_t": total(cands, "t/yr", "matched_quantity"),
        "candidates_mwh": total(cands, "MWh/yr", "matched_quantity"),
        "retained_t": total(retained, "t/yr", "matched_quantity"),
        "retained_mwh": total(retained, "MWh/yr", "matched_quantity"),
        "retained_co2_kg": float(
            pd.to_numeric(retained.get("co2_transport_kg", pd.Series(dtype=float)), errors="coerce")
            .fillna(0)
            .sum()
        )
        if len(retained)
        else 0.0,
    }
    for status in STATUSES:
        figures[f"status_{status}"] = int(statuses.get(status, 0))
    by_family = {}
    for side, frame in (("supply", supply), ("need", need)):
        if frame is not None and len(frame):
            for family, count in frame["family"].value_counts().items():
                by_family.setdefault(str(family), {"supply": 0, "need": 0})[side] = int(count)
    figures["flows_by_family"] = by_family
    return figures


# --------------------------------------------------------------------------- workshop helpers
# Pure helpers of the workshop dock (ui/dock.py): what it shows, filters and writes.

#: unit strings offered in the flow form, per resource dimension (the core's units parse them)
UNIT_CHOICES = {
    "mass": ("t/an", "kg/an", "t/mois", "kg/mois", "kg/semaine", "t"),
    "energy": ("MWh/an", "kWh/an", "GWh/an", "GJ/an", "MWh/mois", "kWh/mois"),
    "volume": ("m3/an", "L/an", "m3/mois", "L/mois", "m3/semaine", "hL/an"),
    "time": ("h/an", "h/mois", "h/semaine"),
    "count": ("unité/an", "unité/mois", "unité"),
    "area": ("m2", "ha"),
}
#: units offered for a material counted the other way when the catalogue knows its density
_DENSITY_UNITS = {"mass": ("m3/an", "m3/mois"), "volume": ("t/an", "t/mois")}


def unit_choices(resource) -> list[str]:
    """Units a user may pick for ``resource`` (a catalogue ``Resource``): the ones of its
    dimension, plus volume (mass) or mass (volume) units when its density is known; every
    choice is checked against the core's unit conversion."""
    from .units import conversion, parse_unit

    choices = list(UNIT_CHOICES.get(resource.dimension, ()))
    density = getattr(resource, "density_t_per_m3", None)
    if density is not None and not (isinstance(density, float) and np.isnan(density)):
        choices += list(_DENSITY_UNITS.get(resource.dimension, ()))
    default = str(resource.default_unit or "")
    if default and resource.dimension != "area":
        default = f"{default}/an" if "/" not in default else default
    if default and default not in choices:
        choices.insert(0, default)
    elif default:
        choices.remove(default)
        choices.insert(0, default)
    return [u for u in choices if not conversion(parse_unit(u), resource).error]


def latest_decisions(decisions) -> pd.DataFrame:
    """The last decision taken on each candidate (``candidate_id``, ``status``, ``notes``),
    in the order the rows were written (``timestamp`` then row order)."""
    columns = ["candidate_id", "status", "notes"]
    if decisions is None or not len(decisions) or "candidate_id" not in decisions.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = decisions.reset_index(drop=True)
    order = np.arange(len(frame))
    if "timestamp" in frame.columns:
        stamp = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True)
        frame = frame.assign(_stamp=stamp, _order=order)
        frame = frame.sort_values(["_stamp", "_order"], kind="stable", na_position="first")
    last = frame.drop_duplicates("candidate_id", keep="last")
    out = pd.DataFrame({c: last[c] if c in last.columns else None for c in columns})
    return out.reset_index(drop=True)


def decisions_to_carry(current, decisions) -> pd.DataFrame:
    """The ``previous`` frame of :func:`carry_over_decisions` for a recomputation in the dock:
    the decided rows of ``current`` (status other than ``proposed``), overridden by the last
    row of each candidate in the ``decisions`` log. Automatic notes of undecided candidates are
    left out, so a new search writes its own notes for them."""
    columns = ["candidate_id", "status", "notes"]
    parts = []
    if current is not None and len(current) and "candidate_id" in current.columns:
        decided = current[current["status"].isin(STATUSES[1:])]
        parts.append(pd.DataFrame({c: decided[c] for c in columns if c in decided.columns}))
    last = latest_decisions(decisions)
    if len(last):
        parts.append(last)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    both = pd.concat(parts, ignore_index=True)
    return both.drop_duplicates("candidate_id", keep="last").reset_index(drop=True)


def _truthy(values) -> np.ndarray:
    """Booleans from a column of bools, 0/1 or text (``true``, ``oui``...); null is False."""
    series = pd.Series(values, dtype=object)
    text = series.map(lambda v: "" if v is None or v is pd.NA else str(v).strip().lower())
    return text.isin({"true", "1", "1.0", "oui", "yes", "vrai", "t", "o", "y"}).to_numpy()


def candidate_mask(candidates, families=None, categories=None, min_score=0.0) -> np.ndarray:
    """Rows of ``candidates`` kept by the dock's filters: family in ``families`` (None: all),
    supplier or receiver category in ``categories`` (None: all; ``""`` stands for no
    category), score at least ``min_score``."""
    n = len(candidates)
    keep = np.ones(n, dtype=bool)
    if not n:
        return keep
    if families is not None:
        keep &= candidates["family"].astype(object).isin(list(families)).to_numpy()
    if categories is not None:
        wanted = set(categories)
        hit = np.zeros(n, dtype=bool)
        for column in ("supplier_category", "receiver_category"):
            if column in candidates.columns:
                values = candidates[column].astype(object).where(candidates[column].notna(), "")
                hit |= values.isin(wanted).to_numpy()
        keep &= hit
    if min_score:
        score = pd.to_numeric(candidates["score"], errors="coerce").fillna(0).to_numpy()
        keep &= score >= float(min_score) - 1e-9
    return keep


def confidential_rows(candidates) -> np.ndarray:
    """Candidates with a confidential flow at either end (shown without names or quantities
    in public mode)."""
    hit = np.zeros(len(candidates), dtype=bool)
    for column in ("supply_confidential", "need_confidential"):
        if column in candidates.columns:
            hit |= _truthy(candidates[column].to_numpy(dtype=object))
    return hit


def family_balance(supply, need, measure="count", public=False) -> pd.DataFrame:
    """Supply and need per family: flow counts (``measure="count"``) or tonnes per year of
    the flows counted in mass (``"tonnes"``). With ``public``, tonnes leave confidential flows
    out (a family total must not reveal one company's quantity)."""
    rows = {}
    for side, frame in (("supply", supply), ("need", need)):
        if frame is None or not len(frame):
            continue
        data = frame
        if measure == "tonnes":
            data = data[data["unit_norm"].astype(str).eq("t/yr")]
            if public and "confidential" in data.columns:
                data = data[~_truthy(data["confidential"].to_numpy(dtype=object))]
            values = pd.to_numeric(data["quantity_norm"], errors="coerce").fillna(0)
            totals = values.groupby(data["family"].astype(str)).sum()
        else:
            totals = data.groupby(data["family"].astype(str)).size()
        for family, value in totals.items():
            rows.setdefault(family, {"supply": 0.0, "need": 0.0})[side] = float(value)
    out = pd.DataFrame(
        [{"family": f, **v} for f, v in rows.items()], columns=["family", "supply", "need"]
    )
    return out.sort_values("family", kind="stable").reset_index(drop=True)


def candidates_by_status(candidates) -> pd.DataFrame:
    """Candidate counts per family (rows) and status (columns, in :data:`STATUSES` order)."""
    if candidates is None or not len(candidates):
        return pd.DataFrame(columns=["family", *STATUSES])
    status = (
        candidates["status"]
        .astype(object)
        .where(candidates["status"].astype(object).isin(STATUSES), "proposed")
    )
    table = pd.crosstab(candidates["family"].astype(str), status)
    table = table.reindex(columns=list(STATUSES), fill_value=0)
    return table.reset_index().rename(columns={"index": "family"})


def new_flow_id(existing, actor_id: str) -> str:
    """A flow id for a flow entered in the workshop: ``<actor>-atelier-<k>``, unused so far."""
    taken = {str(v) for v in existing}
    k = 1
    while f"{actor_id}-atelier-{k}" in taken:
        k += 1
    return f"{actor_id}-atelier-{k}"


def new_actor_id(existing) -> str:
    """An actor id for an actor placed in the workshop: ``ATELIER-<k>``, unused so far."""
    taken = {str(v) for v in existing}
    k = 1
    while f"ATELIER-{k}" in taken:
        k += 1
    return f"ATELIER-{k}"
