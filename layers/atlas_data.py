"""The atlas's inputs, options and published frames.

:func:`publish` is the one place where the atlas touches its input frames: it hands them to
``core/report.py`` (names, quantities and positions masked there in public mode); the pages,
map layers, tables, charts, PDF metadata and slide are all built from what it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core import report, report_places
from .atlas_text import ReportText

COVERAGES = ("synergies", "actors", "families")
DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"
REFERENCE_COMMUNES = DATA_DIR / "communes_58_cclnb.csv"
NAF_DIVISIONS = DATA_DIR / "naf_rev2_divisions.csv"
MIN_PAGE_EXTENT_M = 5000.0
TITLE_CHARS = 58  # one line of the page title (15.5 pt bold on A4)
SUBTITLE_CHARS = {"landscape": 110, "portrait": 68}  # one line of the subtitle (9 pt)
SUPPLY_COLOUR = "#2A9D8F"
NEED_COLOUR = "#E07A5F"
PAGE_FIELDS = (
    ["page_key", "kind", "title", "subtitle", "tag", "tag2", "text"]
    + [f"k{i}_{part}" for i in range(1, 7) for part in ("value", "label")]
    + ["hl_flows", "hl_cands", "hl_actors", "actor_key", "family", "chart1", "chart2"]
)
ROW_FIELDS = ["page", "tbl", "c1", "c2", "c3", "c4", "c5", "c6"]


@dataclass
class AtlasInputs:
    """Input frames (any CRS; reprojected to ``metric_crs``)."""

    supply: gpd.GeoDataFrame
    need: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None = None
    groups: gpd.GeoDataFrame | None = None
    communes: gpd.GeoDataFrame | None = None
    actors: pd.DataFrame | None = None  # core.flows.read_actors().frame: naf, insee
    families: pd.DataFrame | None = None  # catalogue families_frame
    reference: pd.DataFrame | None = None  # commune centroids by INSEE code
    naf_divisions: dict | None = None


@dataclass
class AtlasOptions:
    pdf: Path
    coverage: str = "synergies"
    public: bool = True
    title: str = ""
    territory: str = ""  # the territory's name, on the cover and in the PDF's title
    lang: str = "fr"
    orientation: str = "landscape"
    template: Path | None = None
    statuses: tuple = ("retained", "to_explore", "proposed")
    attribution: str = ""
    csv: Path | None = None
    xlsx: Path | None = None
    png: Path | None = None
    metric_crs: str = "EPSG:2154"
    dpi: int = 200
    today: dt.date | None = None
    progress: object = None  # anything with is_canceled()
    #: called once the pages are laid out, just before QGIS draws them (the drawing releases
    #: Python's lock: eit:runpipeline writes its workspace meanwhile)
    before_drawing: object = None


@dataclass
class Published:
    """What may appear in the outputs, and only that."""

    flows: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    groups: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame | None
    n_actors: int
    family_labels: dict  # code -> (label, colour)
    family_order: list
    network: bool
    sources: list = field(default_factory=list)
    metabolism: dict | None = None  # core.metabolism, confidential flows left out when public
    avoided: dict = field(default_factory=dict)  # status -> avoided transport (masked)


# --------------------------------------------------------------------------- publish


def _to_metric(frame, crs):
    if frame is None or not len(frame):
        return frame
    if frame.crs is None:
        return frame.set_crs(crs, allow_override=True)
    return frame.to_crs(crs)


def _metabolism(supply, need, candidates, public: bool):
    """The metabolism (when the flows carry current places) and the avoided transport."""
    from ..core.metabolism import territory_metabolism
    from ..core.synergy.impacts import avoided_totals

    frames = [f for f in (supply, need) if f is not None and len(f)]
    if not any("current_outside" in f for f in frames):
        return None, {}
    shown = candidates
    if public and len(shown):
        hidden = np.zeros(len(shown), dtype=bool)
        for column in ("supply_confidential", "need_confidential"):
            if column in shown:
                hidden |= shown[column].fillna(True).astype(bool).to_numpy()
        shown = shown[~hidden]
    return territory_metabolism(supply, need, candidates, public=public), avoided_totals(shown)


def publish(inputs: AtlasInputs, options: AtlasOptions, text: ReportText) -> Published:
    """The only function that reads the input frames (everything is masked on the way)."""
    crs = options.metric_crs
    supply = _to_metric(inputs.supply, crs)
    need = _to_metric(inputs.need, crs)
    candidates = _to_metric(inputs.candidates, crs)
    if candidates is None:
        candidates = gpd.GeoDataFrame(
            pd.DataFrame(columns=["candidate_id", "supply_flow", "need_flow", "status"]),
            geometry=[],
            crs=crs,
        )
    candidates = candidates[
        candidates["status"].fillna("proposed").isin(options.statuses)
    ].reset_index(drop=True)
    flows = pd.concat([f for f in (supply, need) if f is not None and len(f)], ignore_index=True)
    flows = gpd.GeoDataFrame(flows, geometry="geometry", crs=crs)
    extra_supply, extra_need = report.flows_from_candidates(candidates, flows["flow_id"])
    extras = [f for f in (extra_supply, extra_need) if len(f)]
    if extras:
        flows = gpd.GeoDataFrame(
            pd.concat([flows, *[_to_metric(f, crs) for f in extras]], ignore_index=True),
            geometry="geometry",
            crs=crs,
        )
    communes = report_places.commune_table(_to_metric(inputs.communes, crs))
    insee = naf = None
    if inputs.actors is not None and len(inputs.actors):
        actors = inputs.actors.drop_duplicates("actor_id").set_index("actor_id")
        ids = flows["actor_id"].astype(str)
        if "insee" in actors:
            insee = ids.map(actors["insee"])
        if "naf" in actors:
            naf = ids.map(actors["naf"])
    places = report_places.locate_communes(flows.geometry, communes, inputs.reference, insee)
    published_flows = report.publish_flows(
        flows,
        public=options.public,
        places=places,
        naf=naf,
        naf_divisions=inputs.naf_divisions,
        lang=options.lang,
    )
    published_candidates = report.publish_candidates(
        candidates, published_flows, public=options.public, lang=options.lang
    )
    directions = published_flows["direction"]
    published_groups = report.publish_groups(
        _to_metric(inputs.groups, crs),
        published_flows[directions == "need"],
        published_flows[directions == "supply"],
        public=options.public,
        lang=options.lang,
    )
    families = inputs.families
    column = "label_fr" if options.lang == "fr" else "label_en"
    labels, order = {}, []
    if families is not None:
        for _, row in families.iterrows():
            labels[str(row["code"])] = (str(row[column]), str(row["colour"]))
            order.append(str(row["code"]))
    for code in published_flows["family"].dropna().unique():
        if code not in labels:
            labels[code] = (str(code), "#9A9A9A")
            order.append(code)
    sources = []
    if communes is not None:
        sources.append(text.tr("commune boundaries © IGN – Admin Express"))
    if set(places["method"]) & {"insee", "nearest"}:
        sources.append(text.tr("communes INSEE (COG)"))
    network = bool((published_candidates["distance_method"] == "network").any())
    if network:
        sources.append(text.tr("road distances © OpenStreetMap contributors"))
    metabolism, avoided = _metabolism(supply, need, candidates, options.public)
    return Published(
        metabolism=metabolism,
        avoided=avoided,
        flows=published_flows,
        candidates=published_candidates,
        groups=published_groups,
        communes=communes,
        n_actors=int(flows["actor_id"].astype(str).nunique()),
        family_labels=labels,
        family_order=order,
        network=network,
        sources=sources,
    )
