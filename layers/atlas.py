"""The atlas export: published frames → pages → one atlas layout → PDF, tables and a slide.

:func:`export_atlas` is the engine of ``eit:exportatlas``. It touches the input frames in one
place only, :func:`publish`, which hands them to ``core/report.py`` (names, quantities and
positions masked there in public mode); everything after it, the pages, the map layers, the
tables, the charts, the PDF's metadata and the slide, is built from the published frames.

The atlas is one QGIS print layout whose coverage layer has one feature per page, the cover
first; each feature carries the page's final text (titles, key figures, the page's map focus),
and a table layer carries the rows of the page's tables. QGIS draws and exports everything.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsLayoutExporter,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt

from ..core import report
from ..core.errors import Canceled
from . import atlas_layout as lay
from . import atlas_style as sty
from .atlas_charts import ChartMaker
from .atlas_text import ReportText
from .frames import fields_for, frame_to_sink
from .precedents_text import precedents_line

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
    communes = report.commune_table(_to_metric(inputs.communes, crs))
    insee = naf = None
    if inputs.actors is not None and len(inputs.actors):
        actors = inputs.actors.drop_duplicates("actor_id").set_index("actor_id")
        ids = flows["actor_id"].astype(str)
        if "insee" in actors:
            insee = ids.map(actors["insee"])
        if "naf" in actors:
            naf = ids.map(actors["naf"])
    places = report.locate_communes(flows.geometry, communes, inputs.reference, insee)
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


# --------------------------------------------------------------------------- pages


def _wrap_ids(values) -> str:
    return "," + ",".join(str(v) for v in values if v is not None and v == v) + ","


def _extent(geometries, minimum: float = MIN_PAGE_EXTENT_M):
    """A polygon around the geometries, at least ``minimum`` metres wide and high."""
    geoms = [g for g in geometries if g is not None and not g.is_empty]
    if not geoms:
        return None
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.array(geoms, dtype=object))
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w = max(xmax - xmin, minimum) / 2
    half_h = max(ymax - ymin, minimum) / 2
    return shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def _fit(value, width_mm: float, lines: int = 2) -> str:
    """Text cut to what ``lines`` lines of a table column ``width_mm`` wide hold."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    limit = lay.chars_per_line(width_mm) * lines
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _lines(row: list[str], widths: list[float]) -> int:
    return max(
        max(math.ceil(len(t) / lay.chars_per_line(w)), 1) for t, w in zip(row, widths, strict=True)
    )


class PageBuilder:
    """Pages (coverage features) and table rows of one export, from published frames."""

    def __init__(self, published: Published, options: AtlasOptions, text: ReportText, charts):
        self.p = published
        self.o = options
        self.t = text
        self.charts = charts
        self.pages: list[dict] = []
        self.geoms: list = []
        self.rows: list[dict] = []
        self.blocks: dict[str, lay.Block] = {}
        self.lang = options.lang

    # -- helpers
    def family_label(self, code) -> str:
        return self.p.family_labels.get(code, (str(code or "—"), ""))[0]

    def add_page(self, geometry, **values):
        page = {name: values.get(name) for name in PAGE_FIELDS}
        page["page_key"] = f"p{len(self.pages)}"
        self.pages.append(page)
        self.geoms.append(geometry)
        return page["page_key"]

    def add_rows(self, page_key: str, table: str, rows: list[list[str]], more_text: str = ""):
        """Rows of a table block, cut to the lines the block holds (a last row says how many
        were left out)."""
        block = self.blocks.get(table)
        if block is None:
            return 0
        widths = [c.share * block.rect[2] for c in block.columns]
        budget = block.rect[3] - lay.HEADING_MM - lay.row_height(1)  # below the header row
        kept, used = [], 0.0
        fitted = [[_fit(v, w, 3) for v, w in zip(row, widths, strict=True)] for row in rows]
        for i, row in enumerate(fitted):
            need = lay.row_height(_lines(row, widths))
            more = lay.row_height(1) if i < len(fitted) - 1 else 0.0
            if used + need + more > budget:
                break
            kept.append(row)
            used += need
        for row in kept:
            self._row(page_key, table, row)
        if len(kept) < len(fitted):
            more = (more_text or self.t.tr("… and {n} more")).format(n=len(fitted) - len(kept))
            cells = [""] * len(widths)
            cells[int(np.argmax(widths))] = more  # in the widest column: one line
            self._row(page_key, table, cells)
        return len(kept)

    def _row(self, page_key, table, cells):
        row = {"page": page_key, "tbl": table}
        for i in range(6):
            row[f"c{i + 1}"] = cells[i] if i < len(cells) else None
        self.rows.append(row)

    def kpis(self, pairs) -> dict:
        out = {}
        for i, (value, label) in enumerate(pairs, start=1):
            out[f"k{i}_value"] = value
            out[f"k{i}_label"] = label
        return out

    def number(self, value, decimals=None) -> str:
        return report.format_number(value, decimals, self.lang)

    def chart_size(self, name):
        block = self.blocks[name]
        return block.rect[2], block.rect[3] - lay.HEADING_MM

    # -- cover
    def cover(self, summary: dict, n_pages: int, geometry):
        t = self.t
        public = self.o.public
        star = "*" if public and summary["masked_candidates"] + summary["masked_flows"] else ""
        active = sum(v for k, v in summary["statuses"].items() if k != "rejected")
        description = {
            "synergies": t.tr("One page per synergy candidate ({n} pages)"),
            "actors": t.tr("One page per actor ({n} pages)"),
            "families": t.tr("One page per resource family ({n} pages)"),
        }[self.o.coverage].format(n=n_pages)
        if self.o.territory:
            description = f"{self.o.territory} · {description}"
        body = t.tr(
            "This atlas presents the synergy candidates found between the supplies (what "
            "actors have: by-products, waste, surplus heat, equipment) and the needs of the "
            "territory's actors. A candidate is a proposal to be checked with the actors; its "
            "score (0 to 1) combines the compatibility of the resources, the share of the "
            "need covered, the distance and the season."
        )
        if public:
            mode = t.tr(
                "Public version: {n} confidential flows appear without the actor's name, with "
                "a size class instead of the quantity and at the centre of their commune; "
                "totals marked * leave their quantities out."
            ).format(n=summary["masked_flows"])
        else:
            mode = t.tr(
                "Working document: it contains confidential data (names, quantities and "
                "positions of confidential flows). Do not distribute."
            )
        families = summary["families"]
        order = {c: i for i, c in enumerate(self.p.family_order)}
        families = families.assign(_o=families["family"].map(order)).sort_values("_o")
        chart = ""
        if len(families) and "cover_families" in self.blocks:
            width, height = self.chart_size("cover_families")
            chart = str(
                self.charts.bars(
                    width,
                    height,
                    [self.family_label(f) for f in families["family"]],
                    [
                        (
                            t.tr("Supplies"),
                            families["supply"].astype(float).tolist(),
                            SUPPLY_COLOUR,
                        ),
                        (t.tr("Needs"), families["need"].astype(float).tolist(), NEED_COLOUR),
                    ],
                    unit=t.tr("number of flows"),
                )
            )
        key = self.add_page(
            geometry,
            kind="cover",
            chart2=self.metabolism_chart(),
            title=self.o.title,
            subtitle=description,
            tag=f"{report.date_text(self.o.today or dt.date.today(), self.lang)}",
            text=f"{body}\n{mode}",
            chart1=chart,
            **self.kpis(
                [
                    (self.number(summary["actors"], 0), t.tr("actors")),
                    (self.number(summary["supply"], 0), t.tr("supplies")),
                    (self.number(summary["need"], 0), t.tr("needs")),
                    (self.number(active, 0), t.tr("synergy candidates")),
                    (
                        _figure(self.number, summary["matched_t"], star),
                        t.tr("t/yr that they can move"),
                    ),
                    (
                        _figure(self.number, summary["matched_mwh"], star),
                        t.tr("MWh/yr that they can move"),
                    ),
                ]
            ),
        )
        active_cands = self.p.candidates
        rows = []
        for status in report.STATUS_ORDER:
            count = summary["statuses"].get(status, 0)
            if not count:
                continue
            part = active_cands[active_cands["status"] == status]
            sums = []
            for unit in ("t/yr", "MWh/yr"):
                value = part.loc[part["unit_norm"] == unit, "matched_value"].sum(min_count=1)
                if value == value and value:
                    sums.append(report.format_quantity(value, unit, self.lang))
            masked = int(part["masked"].sum())
            quantity = " · ".join(sums) or "—"
            if masked and public:
                quantity += "*"
            avoided = self.p.avoided.get(status)
            if avoided and avoided["n"]:
                quantity += " · " + t.tr("{tkm} t·km avoided").format(
                    tkm=self.number(avoided["tkm"], 0)
                )
            rows.append([report.status_label(status, self.lang), self.number(count, 0), quantity])
        self.add_rows(key, "cover_status", rows)

    def metabolism_chart(self) -> str:
        """The cover's metabolism diagram (PNG path), '' without current places."""
        from .atlas_charts import EXPORT_PX_PER_MM
        from .metabolism_view import main_unit, metabolism_svg, svg_to_png

        meta = self.p.metabolism
        unit = main_unit(meta) if meta else None
        if unit is None or "cover_metabolism" not in self.blocks:
            return ""
        width, height = self.chart_size("cover_metabolism")
        labels = {code: label for code, (label, _c) in self.p.family_labels.items()}
        colours = {code: colour for code, (_l, colour) in self.p.family_labels.items()}
        svg = metabolism_svg(
            meta, unit, styles=(labels, colours), number=lambda v: self.number(v, 0),
            translate=self.t.tr, width=520, height=int(520 * height / max(width, 1)),
            stacked=True,
        )  # fmt: skip
        path = self.charts.folder / f"metabolism-{self.o.public:d}.png"
        return svg_to_png(svg, path, int(width * EXPORT_PX_PER_MM), int(height * EXPORT_PX_PER_MM))

    # -- synergies
    def synergy_pages(self):
        t = self.t
        flows = self.p.flows.drop_duplicates("flow_id").set_index("flow_id")
        ordered = report.order_candidates(self.p.candidates)
        total = len(ordered)
        for number, (_, c) in enumerate(ordered.iterrows(), start=1):
            same = c["supply_resource_label"] == c["need_resource_label"]
            need_label = re.sub(r"\s*\((besoin|need)\)$", "", str(c["need_resource_label"]))
            title = _title(
                c["supply_resource_label"]
                if same
                else f"{c['supply_resource_label']} → {need_label}"
            )
            subtitle = _title(
                f"{_place_text(c['supplier_display'], c['supplier_commune'])} → "
                f"{_place_text(c['receiver_display'], c['receiver_commune'])}",
                SUBTITLE_CHARS.get(self.o.orientation, 110),
            )
            notes = c["notes_text"]
            if c["notes_withheld"]:
                notes_line = t.tr("Open questions: not published (confidential flow).")
            elif notes:
                notes_line = t.tr("Open questions: {notes}").format(notes=notes)
            else:
                notes_line = t.tr("Open questions: none noted yet.")
            lines = [t.tr("Why it fits: {explanation}").format(explanation=c["explanation"] or "—")]
            lines.append(precedents_line(c.get("precedent_count"), c.get("precedents"), t.tr))
            lines.append(notes_line)
            if c["masked"]:
                lines.append(
                    t.tr(
                        "Confidential flow: the actor's name, the quantities and the exact "
                        "position are not published (size classes, centre of the commune)."
                    )
                )
            chart = ""
            if "score" in self.blocks:
                chart_w, chart_h = self.chart_size("score")
                chart = self.charts.score(
                    chart_w,
                    chart_h,
                    [
                        (t.tr("Compatibility"), c["score_compat"]),
                        (t.tr("Need covered"), c["score_coverage"]),
                        (t.tr("Proximity"), c["score_distance"]),
                        (t.tr("Season"), c["score_season"]),
                    ],
                )
            unit = report.unit_label(c["unit_norm"], self.lang)
            quantity = c["matched_text"] or "—"
            if unit:
                quantity = quantity.replace(unit, "").strip()
            road = c["distance_method"] == "network"
            key = self.add_page(
                c.geometry if c.geometry is None else _extent([c.geometry]),
                kind="synergy",
                title=title,
                subtitle=subtitle,
                tag=t.tr("Synergy {n} / {total} · {status}").format(
                    n=number, total=total, status=c["status_label"]
                ),
                tag2=self.family_label(c["family"]),
                text="\n".join(lines),
                hl_flows=_wrap_ids([c["supply_flow"], c["need_flow"]]),
                hl_cands=_wrap_ids([c["candidate_id"]]),
                hl_actors=_wrap_ids([c["supplier_key"], c["receiver_key"]]),
                family=c["family"],
                chart1=str(chart),
                **self.kpis(
                    [
                        (c["score_text"], t.tr("score (0 to 1)")),
                        (
                            c["distance_text"],
                            t.tr("by road") if road else t.tr("as the crow flies"),
                        ),
                        (quantity, t.tr("{unit} that can move").format(unit=unit or "—")),
                        (c["coverage_text"] or "—", t.tr("of the need covered")),
                    ]
                ),
            )
            rows = []
            for role, flow_id, display, commune in (
                (t.tr("Supplier"), c["supply_flow"], c["supplier_display"], c["supplier_commune"]),
                (t.tr("Receiver"), c["need_flow"], c["receiver_display"], c["receiver_commune"]),
            ):
                flow = flows.loc[flow_id]
                rows.append(
                    [
                        role,
                        f"{display} — {commune}" if commune else display,
                        flow["label_text"],
                        flow["quantity_text"],
                        flow["months_text"],
                    ]
                )
            self.add_rows(key, "flows", rows)
            distance_how = t.tr("by road") if road else t.tr("as the crow flies")
            self.add_rows(
                key,
                "impacts",
                [
                    [t.tr("Tonnes diverted from disposal"), c["diverted_text"]],
                    [t.tr("Road transport"), c["transport_text"]],
                    [t.tr("CO₂ emitted by the transport"), c["co2_transport_text"]],
                    [t.tr("CO₂ avoided (heat replacing gas)"), c["avoided_co2_text"]],
                    [t.tr("Distance"), f"{c['distance_text']} ({distance_how})"],
                ],
            )
            self.check()

    def check(self):
        if self.o.progress is not None:
            if self.o.progress.is_canceled():
                raise Canceled()

    # -- actors
    def actor_pages(self):
        t = self.t
        flows = self.p.flows
        cands = self.p.candidates
        groups = self.p.groups
        order = (
            flows.groupby("actor_key", sort=False)
            .agg(display=("actor_display", "first"), named=("actor_named", "first"))
            .reset_index()
            .sort_values(["named", "display"], ascending=[False, True], key=_casefold)
        )
        for _, actor in order.iterrows():
            key = actor["actor_key"]
            own = flows[flows["actor_key"] == key]
            first = own.iloc[0]
            mine = cands[(cands["supplier_key"] == key) | (cands["receiver_key"] == key)]
            mine = report.order_candidates(mine) if len(mine) else mine
            member = (
                groups[groups["member_keys"].str.contains(f",{key},", regex=False)]
                if len(groups)
                else groups
            )
            supplies = own[own["direction"] == "supply"]
            needs = own[own["direction"] == "need"]
            partners = (
                np.where(mine["supplier_key"] == key, mine["receiver_key"], mine["supplier_key"])
                if len(mine)
                else []
            )
            geoms = list(own.geometry) + (list(mine.geometry) if len(mine) else [])
            lines = []
            if len(member):
                items = [
                    t.tr("{resource} ({n} actors)").format(
                        resource=g["resource_label"], n=g["n_actors"]
                    )
                    for _, g in member.iterrows()
                ]
                lines.append(t.tr("Mutualisation: {items}.").format(items="; ".join(items)))
            if not actor["named"]:
                lines.append(
                    t.tr(
                        "Confidential actor: its name, its quantities and its exact position "
                        "are not published (size classes, centre of the commune)."
                    )
                )
            elif own["masked"].any():
                lines.append(t.tr("Some flows of this actor are confidential: not shown here."))
            commune = first["commune"] or "—"
            page = self.add_page(
                _extent(geoms),
                kind="actor",
                title=_title(actor["display"]),
                subtitle=f"{first['category_display']} · {commune}",
                tag=t.tr("Actor profile"),
                tag2=commune,
                text="\n".join(lines),
                hl_flows=_wrap_ids(own["flow_id"]),
                hl_cands=_wrap_ids(mine["candidate_id"]) if len(mine) else ",",
                hl_actors=_wrap_ids([key, *partners]),
                actor_key=key,
                **self.kpis(
                    [
                        (self.number(len(supplies), 0), t.tr("supplies")),
                        (self.number(len(needs), 0), t.tr("needs")),
                        (self.number(len(mine), 0), t.tr("synergy candidates")),
                        (self.number(len(member), 0), t.tr("mutualisation groups")),
                    ]
                ),
            )
            for table, part in (("supplies", supplies), ("needs", needs)):
                rows = [
                    [f["label_text"], f["quantity_text"], f["months_text"]]
                    for _, f in part.sort_values("label_text").iterrows()
                ]
                self.add_rows(page, table, rows)
            rows = []
            for _, c in mine.iterrows():
                gives = c["supplier_key"] == key
                partner = c["receiver_display"] if gives else c["supplier_display"]
                resource = c["supply_resource_label"]
                rows.append(
                    [
                        ("→ " if gives else "← ") + str(partner),
                        resource,
                        c["distance_text"],
                        c["score_text"],
                        c["status_label"],
                    ]
                )
            self.add_rows(page, "cands", rows)
            self.check()

    # -- families
    def family_pages(self):
        t = self.t
        flows = self.p.flows
        cands = self.p.candidates
        groups = self.p.groups
        totals = report.family_totals(flows)
        present = [f for f in self.p.family_order if (flows["family"] == f).any()]
        for code in present:
            own = flows[flows["family"] == code]
            mine = cands[cands["family"] == code]
            own_groups = groups[groups["family"] == code] if len(groups) else groups
            fam_totals = totals[totals["family"] == code]
            supplies = int((own["direction"] == "supply").sum())
            needs = int((own["direction"] == "need").sum())
            units = own["unit_norm"].value_counts()
            main_unit = units.index[0] if len(units) else None
            masked = int(own["masked"].sum())
            mutualisation = (own["synergy_type"] == "mutualisation").mean() > 0.5
            chart = ""
            in_unit = fam_totals[fam_totals["unit_norm"] == main_unit]
            has_values = (in_unit["supply_total"].notna() | in_unit["need_total"].notna()).any()
            if len(in_unit) and has_values and "family_chart" in self.blocks:
                in_unit = (
                    in_unit.assign(
                        _max=np.fmax(
                            in_unit["supply_total"].fillna(0), in_unit["need_total"].fillna(0)
                        )
                    )
                    .sort_values("_max", ascending=False)
                    .head(6)
                )
                width, height = self.chart_size("family_chart")
                chart = str(
                    self.charts.bars(
                        width,
                        height,
                        in_unit["resource_label"].tolist(),
                        [
                            (t.tr("Supplies"), in_unit["supply_total"].tolist(), SUPPLY_COLOUR),
                            (t.tr("Needs"), in_unit["need_total"].tolist(), NEED_COLOUR),
                        ],
                        unit=report.unit_label(main_unit, self.lang)
                        + (" *" if masked and self.o.public else ""),
                    )
                )
            lines = []
            if masked and self.o.public:
                lines.append(
                    t.tr(
                        "* Totals and charts add up the published quantities only: {n} "
                        "confidential flows of this family are counted but their quantities "
                        "are left out."
                    ).format(n=masked)
                )
            for _, g in own_groups.iterrows():
                lines.append(
                    t.tr("Group: {resource}, {n} actors: {members}.").format(
                        resource=g["resource_label"], n=g["n_actors"], members=g["member_names"]
                    )
                )
            matched = mine.loc[mine["unit_norm"] == main_unit, "matched_value"].sum(min_count=1)
            star = "*" if self.o.public and mine["masked"].any() else ""
            fourth = (
                (self.number(len(own_groups), 0), t.tr("mutualisation groups"))
                if mutualisation
                else (
                    (self.number(matched, 0) if matched == matched else "—") + star,
                    t.tr("{unit} that can move").format(
                        unit=report.unit_label(main_unit, self.lang) or "—"
                    ),
                )
            )
            page = self.add_page(
                _extent(list(own.geometry)),
                kind="family",
                title=self.family_label(code),
                subtitle=t.tr(
                    "{supplies} supplies, {needs} needs, {candidates} synergy candidates, "
                    "{groups} mutualisation groups"
                ).format(
                    supplies=supplies, needs=needs, candidates=len(mine), groups=len(own_groups)
                ),
                tag=t.tr("Resource family"),
                tag2=t.tr("Mutualisation") if mutualisation else t.tr("Substitution"),
                text="\n".join(lines),
                hl_flows=_wrap_ids(own["flow_id"]),
                hl_cands=_wrap_ids(mine["candidate_id"]),
                hl_actors=_wrap_ids(own["actor_key"].unique()),
                family=code,
                chart1=chart,
                **self.kpis(
                    [
                        (self.number(supplies, 0), t.tr("supplies")),
                        (self.number(needs, 0), t.tr("needs")),
                        (self.number(len(mine), 0), t.tr("synergy candidates")),
                        fourth,
                    ]
                ),
            )
            rows = []
            fam_totals = fam_totals.assign(
                _main=(fam_totals["unit_norm"] == main_unit).astype(int),
                _big=np.fmax(
                    fam_totals["supply_total"].fillna(0), fam_totals["need_total"].fillna(0)
                ),
                _n=fam_totals["n_supply"] + fam_totals["n_need"],
            ).sort_values(["_main", "_big", "_n"], ascending=False)
            for _, r in fam_totals.iterrows():
                rows.append(
                    [
                        r["resource_label"],
                        self._total(
                            r["n_supply"], r["supply_total"], r["unit_norm"], r["masked_supply"]
                        ),
                        self._total(r["n_need"], r["need_total"], r["unit_norm"], r["masked_need"]),
                    ]
                )
            self.add_rows(page, "totals", rows)
            rows = [
                [
                    f["direction_label"],
                    f"{f['actor_display']} — {f['commune']}"
                    if f["commune"]
                    else f["actor_display"],
                    f["label_text"],
                    f["quantity_text"],
                ]
                for _, f in own.sort_values(
                    ["direction", "resource_label"], ascending=[False, True]
                ).iterrows()
            ]
            self.add_rows(page, "family_flows", rows)
            self.check()

    def _total(self, count, total, unit, masked) -> str:
        """``"2 flows: 6 500 MWh/yr"`` (published quantities only; * when some are masked)."""
        if not count:
            return "—"
        if total == total and total is not None:
            quantity = report.format_quantity(total, unit, self.lang)
        else:
            quantity = self.t.tr("n/a")
        text = self.t.tr("{n} flows: {total}").format(n=self.number(count, 0), total=quantity)
        return text + ("*" if masked and self.o.public else "")


def _figure(number, value, star: str) -> str:
    """A key figure: "—" rather than 0 when quantities were left out (masked)."""
    return ("—" if star and not value else number(value, 0)) + star


def _title(text, limit: int = TITLE_CHARS) -> str:
    """A page title that holds on one line of the title box."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;(→") + "…"


def _place_text(name, commune) -> str:
    return f"{name}, {commune}" if commune else str(name)


def _casefold(series):
    if series.dtype == bool:
        return series
    return series.astype(str).str.casefold()


# --------------------------------------------------------------------------- blocks


def coverage_blocks(
    coverage: str, t: ReportText, metabolism: bool = False
) -> dict[str, list[lay.Block]]:
    """The panel blocks of the cover and of the pages of a coverage (``metabolism``: the
    cover shows the territory's metabolism)."""
    col = lay.Column
    right = Qt.AlignmentFlag.AlignRight
    cover = [
        lay.Block(
            t.tr("Supplies and needs by resource family"),
            name="cover_families",
            chart="chart1",
            height=60,
        ),
        lay.Block(
            t.tr("Synergy candidates by status"),
            table="cover_status",
            columns=[
                col("c1", t.tr("Status"), 0.30),
                col("c2", t.tr("Number"), 0.20, right),
                col("c3", t.tr("Quantity they can move"), 0.50),
            ],
            height=36,
        ),
    ]
    if metabolism:  # the diagram shows the families: it takes the place of their bar chart
        cover.pop(0)
        cover.insert(
            0,
            lay.Block(
                t.tr("Metabolism of the territory"),
                name="cover_metabolism",
                chart="chart2",
                height=62,
            ),
        )
    if coverage == "synergies":
        pages = [
            lay.Block(
                t.tr("Flows behind the synergy"),
                table="flows",
                columns=[
                    col("c1", t.tr("Role"), 0.15),
                    col("c2", t.tr("Actor"), 0.28),
                    col("c3", t.tr("Resource"), 0.24),
                    col("c4", t.tr("Quantity"), 0.19),
                    col("c5", t.tr("Months"), 0.14),
                ],
                height=32,
            ),
            lay.Block(t.tr("Score parts (0 to 1)"), name="score", chart="chart1", height=29),
            lay.Block(
                t.tr("Estimated impacts"),
                table="impacts",
                columns=[col("c1", t.tr("Indicator"), 0.58), col("c2", t.tr("Value"), 0.42)],
                height=36,
            ),
        ]
    elif coverage == "actors":
        flow_columns = [
            col("c1", t.tr("Resource"), 0.52),
            col("c2", t.tr("Quantity"), 0.27),
            col("c3", t.tr("Months"), 0.21),
        ]
        pages = [
            lay.Block(t.tr("Supplies"), table="supplies", columns=flow_columns, height=42),
            lay.Block(t.tr("Needs"), table="needs", columns=list(flow_columns), height=42),
            lay.Block(
                t.tr("Synergy candidates"),
                table="cands",
                columns=[
                    col("c1", t.tr("Partner"), 0.34),
                    col("c2", t.tr("Resource"), 0.28),
                    col("c3", t.tr("Distance"), 0.13),
                    col("c4", t.tr("Score"), 0.10, right),
                    col("c5", t.tr("Status"), 0.15),
                ],
                height=60,
            ),
        ]
    elif coverage == "families":
        pages = [
            lay.Block(
                t.tr("Supplies and needs by resource"),
                name="family_chart",
                chart="chart1",
                height=36,
            ),
            lay.Block(
                t.tr("Totals by resource"),
                table="totals",
                columns=[
                    col("c1", t.tr("Resource"), 0.44),
                    col("c2", t.tr("Supplies"), 0.28),
                    col("c3", t.tr("Needs"), 0.28),
                ],
                height=34,
            ),
            lay.Block(
                t.tr("Flows"),
                table="family_flows",
                columns=[
                    col("c1", t.tr("Direction"), 0.15),
                    col("c2", t.tr("Actor"), 0.39),
                    col("c3", t.tr("Resource"), 0.27),
                    col("c4", t.tr("Quantity"), 0.19),
                ],
                height=36,
            ),
        ]
    else:
        raise ValueError(f"unknown coverage {coverage!r}")
    return {"cover": cover, "pages": pages}


# --------------------------------------------------------------------------- layers


def memory_layer(frame, kind: str, crs: str, name: str) -> QgsVectorLayer:
    """A memory layer holding ``frame`` (``kind``: Point, LineString, Polygon or None)."""
    has_geometry = kind != "None" and "geometry" in frame.columns
    data = frame if has_geometry else frame.drop(columns="geometry", errors="ignore")
    fields = fields_for(data, "geometry")
    uri = f"{kind}?crs={crs}" if kind != "None" else "None"
    layer = QgsVectorLayer(uri, name, "memory")
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    if len(data):
        if has_geometry:
            geometry = data.geometry
            data = pd.DataFrame(data.drop(columns="geometry"))
            data["geometry"] = geometry.to_numpy()
        frame_to_sink(data, layer.dataProvider(), fields, None, "geometry")
    layer.updateExtents()
    return layer


def build_layers(published: Published, pages: PageBuilder, crs: str, t: ReportText) -> dict:
    flows = published.flows
    point_flows = flows[flows.geometry.notna()]
    layers = {}
    layers["flows"] = memory_layer(
        gpd.GeoDataFrame(
            point_flows[["flow_id", "family", "direction", "size_class", "masked"]].assign(
                family=point_flows["family"].fillna("")
            ),
            geometry=point_flows.geometry,
            crs=crs,
        ),
        "Point",
        crs,
        t.tr("Resources (● supply, ■ need)"),
    )
    actors = point_flows.drop_duplicates("actor_key")
    layers["actors"] = memory_layer(
        gpd.GeoDataFrame(
            {"actor_key": actors["actor_key"].to_numpy(), "label": actors["actor_display"]},
            geometry=actors.geometry.to_numpy(),
            crs=crs,
        ),
        "Point",
        crs,
        t.tr("Actors"),
    )
    cands = published.candidates
    lines = cands[cands.geometry.notna()]
    layers["links"] = memory_layer(
        gpd.GeoDataFrame(
            lines[["candidate_id", "status", "family"]], geometry=lines.geometry, crs=crs
        ),
        "LineString",
        crs,
        t.tr("Synergy candidates"),
    )
    groups = published.groups
    if len(groups):
        groups = groups[groups.geometry.notna()]
        layers["groups"] = memory_layer(
            gpd.GeoDataFrame(
                groups[["group_id", "family", "member_keys"]], geometry=groups.geometry, crs=crs
            ),
            "Polygon",
            crs,
            t.tr("Mutualisation groups"),
        )
    if published.communes is not None:
        layers["communes"] = memory_layer(
            published.communes[["name", "geometry"]], "MultiPolygon", crs, t.tr("Communes")
        )
        outline = shapely.union_all(published.communes.geometry.to_numpy())
        territory = gpd.GeoDataFrame({"name": ["territory"]}, geometry=[outline], crs=crs)
        layers["perimeter"] = memory_layer(territory, "MultiPolygon", crs, t.tr("Territory"))
        layers["overview"] = memory_layer(territory, "MultiPolygon", crs, t.tr("Territory"))
    page_frame = gpd.GeoDataFrame(
        pd.DataFrame(pages.pages, columns=PAGE_FIELDS).astype(object),
        geometry=pages.geoms,
        crs=crs,
    )
    layers["pages"] = memory_layer(page_frame, "Polygon", crs, "pages")
    layers["rows"] = memory_layer(
        pd.DataFrame(pages.rows, columns=ROW_FIELDS).astype(object), "None", crs, "rows"
    )
    family_labels = {k: v for k, v in published.family_labels.items()}
    sty.style_flows(layers["flows"], family_labels)
    sty.style_actor_labels(layers["actors"])
    sty.style_links(
        layers["links"],
        {s: report.status_label(s, t.lang) for s in sty.STATUS_COLOURS},
    )
    if "groups" in layers:
        sty.style_groups(layers["groups"], {k: v[1] for k, v in family_labels.items()})
    if "communes" in layers:
        sty.style_communes(layers["communes"])
        sty.style_perimeter(layers["perimeter"])
        sty.style_overview(layers["overview"])
    return layers


# --------------------------------------------------------------------------- export


def _rectangle(geometry) -> QgsRectangle:
    xmin, ymin, xmax, ymax = geometry.bounds
    return QgsRectangle(xmin, ymin, xmax, ymax)


def attribution_text(published: Published, options: AtlasOptions, t: ReportText) -> str:
    if options.attribution:
        return options.attribution
    parts = published.sources
    sources = t.tr("Sources: {sources}.").format(sources="; ".join(parts)) if parts else ""
    made = t.tr("Actors and flows: territory survey. Made with EIT Synergies for QGIS.")
    return f"{sources} {made}".strip()


def set_pdf_metadata(path: Path, metadata: dict) -> bool:
    """Title, author, subject, keywords and creator of a PDF (GDAL's PDF driver)."""
    from osgeo import gdal

    dataset = gdal.Open(str(path), gdal.GA_Update)
    if dataset is None:
        return False
    for key, value in metadata.items():
        dataset.SetMetadataItem(key, value)
    dataset = None
    return True


@dataclass
class AtlasResult:
    pdf: Path
    pages: int
    csv: Path | None = None
    xlsx: Path | None = None
    png: Path | None = None
    masked_flows: int = 0
    masked_candidates: int = 0
    log: list = field(default_factory=list)


class _Progress:
    def __init__(self, feedback):
        self.feedback = feedback

    def is_canceled(self) -> bool:
        return self.feedback is not None and self.feedback.isCanceled()


def export_atlas(inputs: AtlasInputs, options: AtlasOptions, feedback=None) -> AtlasResult:
    """Write the atlas PDF (and the optional CSV, XLSX and PNG) of ``inputs``."""
    if options.coverage not in COVERAGES:
        raise ValueError(f"unknown coverage {options.coverage!r}")
    t = ReportText(options.lang)
    if options.progress is None:
        options.progress = _Progress(feedback)
    sty.register_fonts()
    published = publish(inputs, options, t)
    _progress(feedback, 5)
    project = QgsProject()
    project.setCrs(QgsCoordinateReferenceSystem(options.metric_crs))
    full_title = f"{options.title} — {options.territory}" if options.territory else options.title
    project.setTitle(full_title)
    metadata = project.metadata()
    subject = {
        "synergies": t.tr("Synergy candidates of the territory, one page per synergy"),
        "actors": t.tr("Synergy candidates of the territory, one page per actor"),
        "families": t.tr("Synergy candidates of the territory, one page per resource family"),
    }[options.coverage]
    metadata.setTitle(full_title)
    metadata.setAuthor("EIT Synergies")
    metadata.setAbstract(subject)
    metadata.setKeywords({"EIT": [t.tr("industrial and territorial ecology"), t.tr("synergies")]})
    project.setMetadata(metadata)
    template = options.template or lay.TEMPLATES[options.orientation]
    layout = lay.load_template(project, template)
    from .metabolism_view import main_unit

    shows_metabolism = published.metabolism is not None and main_unit(published.metabolism)
    blocks = coverage_blocks(options.coverage, t, bool(shows_metabolism))
    panels = {"cover": lay.item(layout, "eit_cover_panel"), "pages": lay.item(layout, "eit_panel")}
    for name, panel in panels.items():
        if panel is None:
            blocks[name] = []
        else:
            lay.layout_blocks(blocks[name], lay.rect_of(panel))
    with tempfile.TemporaryDirectory(prefix="eit-atlas-") as folder:
        charts = ChartMaker(folder, options.lang)
        builder = PageBuilder(published, options, t, charts)
        builder.blocks = {b.key: b for group in blocks.values() for b in group}
        everything = [
            g
            for g in list(published.flows.geometry) + list(published.candidates.geometry)
            if g is not None
        ]
        if published.communes is not None:
            everything += list(published.communes.geometry)
        extent = _extent(everything, 5000.0)
        summary = report.summary_figures(
            published.flows, published.candidates, published.groups, published.n_actors
        )
        pages_count = {
            "synergies": len(published.candidates),
            "actors": published.flows["actor_key"].nunique(),
            "families": sum(
                1 for f in published.family_order if (published.flows["family"] == f).any()
            ),
        }[options.coverage]
        builder.cover(summary, pages_count, extent)
        {
            "synergies": builder.synergy_pages,
            "actors": builder.actor_pages,
            "families": builder.family_pages,
        }[options.coverage]()
        builder.geoms = [g if g is not None else extent for g in builder.geoms]
        _progress(feedback, 20)
        layers = build_layers(published, builder, options.metric_crs, t)
        project.addMapLayers(list(layers.values()), False)
        for key in ("flows", "links", "groups"):  # the legends list these, in this order
            if key in layers:
                project.layerTreeRoot().addLayer(layers[key])
        background = [layers[k] for k in ("communes", "perimeter") if k in layers]
        content = [layers[k] for k in ("groups", "links", "flows", "actors") if k in layers]
        legend = [layers[k] for k in ("flows", "links", "groups") if k in layers]
        overview = [layers["overview"]] if "overview" in layers else [layers["flows"]]
        filters = {
            layers["flows"].id(): sty.focus("hl_flows", "flow_id"),
            layers["links"].id(): sty.focus("hl_cands", "candidate_id"),
        }
        map_layers = lay.MapLayers(background, content, legend, overview, filters)
        lay.link_maps(
            layout,
            map_layers,
            QgsCoordinateReferenceSystem(options.metric_crs),
            _rectangle(extent),
            _rectangle(extent),
            not options.public,
        )
        lay.set_variables(
            layout,
            {
                "eit_report_title": options.title,
                "eit_attribution": attribution_text(published, options, t),
                "eit_date_text": report.date_text(options.today or dt.date.today(), options.lang),
                "eit_page_word": t.tr("Page"),
                "eit_mode_text": t.tr("Public version: confidential flows masked")
                if options.public
                else t.tr("Confidential working document: do not distribute"),
                "eit_label_all": 0,
            },
        )
        exclude = lay.ONLY_ON_PAGES
        for name, group in blocks.items():
            hide = lay.ONLY_ON_COVER if name == "cover" else exclude
            for block in group:
                if block.table:
                    lay.add_table(layout, layers["rows"], block, hide)
                else:
                    lay.add_chart(layout, block, hide)
        atlas = layout.atlas()
        atlas.setCoverageLayer(layers["pages"])
        atlas.setHideCoverage(True)
        atlas.setEnabled(True)
        atlas.setPageNameExpression('"page_key"')
        settings = QgsLayoutExporter.PdfExportSettings()
        settings.dpi = options.dpi
        settings.rasterizeWholeImage = False
        settings.forceVectorOutput = False
        settings.simplifyGeometries = True
        settings.exportMetadata = True
        settings.textRenderFormat = Qgis.TextRenderFormat.AlwaysText
        pdf = Path(options.pdf)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        export_feedback = _sub_feedback(feedback, 20, 92)
        status, error = QgsLayoutExporter.exportToPdf(atlas, str(pdf), settings, export_feedback)
        if status == QgsLayoutExporter.ExportResult.Canceled:
            raise Canceled()
        if status != QgsLayoutExporter.ExportResult.Success:
            raise OSError(error or f"PDF export failed ({status})")
        set_pdf_metadata(
            pdf,
            {
                "TITLE": options.title,
                "AUTHOR": "EIT Synergies",
                "SUBJECT": subject,
                "KEYWORDS": "; ".join(
                    ["EIT", t.tr("industrial and territorial ecology"), t.tr("synergies")]
                ),
                "CREATOR": f"QGIS {Qgis.QGIS_VERSION.split('-')[0]}, EIT Synergies",
            },
        )
        result = AtlasResult(
            pdf=pdf,
            pages=len(builder.pages),
            masked_flows=int(published.flows["masked"].sum()),
            masked_candidates=int(published.candidates["masked"].sum()),
        )
        result.log.append(f"{charts.count} charts drawn")
        _progress(feedback, 93)
        if options.csv or options.xlsx:
            table = report.synergy_table(
                published.candidates,
                {k: v[0] for k, v in published.family_labels.items()},
                options.lang,
            )
            headers = table_headers(t)
            for path in (options.csv, options.xlsx):
                if path:
                    report.write_table(table, path, headers, options.title, options.lang)
            result.csv, result.xlsx = options.csv, options.xlsx
        if options.png:
            export_slide(project, layers, map_layers, extent, options, t, published)
            result.png = options.png
        _progress(feedback, 100)
        del layout
        return result


def _progress(feedback, value: float) -> None:
    if feedback is not None:
        feedback.setProgress(value)
        if feedback.isCanceled():
            raise Canceled()


def _sub_feedback(feedback, start: float, end: float):
    """A feedback whose 0–100 maps onto [start, end] of ``feedback`` (and cancels with it)."""
    from qgis.core import QgsFeedback

    sub = QgsFeedback()
    if feedback is not None:
        sub.progressChanged.connect(
            lambda value: feedback.setProgress(start + (end - start) * value / 100.0)
        )
        feedback.canceled.connect(sub.cancel)
    return sub


def table_headers(t: ReportText) -> dict[str, str]:
    return {
        "candidate_id": t.tr("Candidate"),
        "status_label": t.tr("Status"),
        "family_label": t.tr("Family"),
        "supplier_display": t.tr("Supplier"),
        "supplier_commune": t.tr("Supplier's commune"),
        "supply_resource_label": t.tr("Resource supplied"),
        "receiver_display": t.tr("Receiver"),
        "receiver_commune": t.tr("Receiver's commune"),
        "need_resource_label": t.tr("Resource needed"),
        "distance_value": t.tr("Distance (km)"),
        "distance_text": t.tr("Distance (class)"),
        "matched_value": t.tr("Quantity that can move"),
        "matched_text": t.tr("Quantity (text or class)"),
        "unit_text": t.tr("Unit"),
        "coverage_value": t.tr("Share of the need covered"),
        "coverage_text": t.tr("Share of the need (text or class)"),
        "score_value": t.tr("Score"),
        "explanation": t.tr("Why it fits"),
        "diverted_value": t.tr("Tonnes diverted per year"),
        "avoided_co2_value": t.tr("CO₂ avoided (t/yr)"),
        "avoided_co2_text": t.tr("CO₂ avoided (text or class)"),
        "notes_text": t.tr("Open questions"),
        "masked": t.tr("Confidential (masked)"),
    }


def export_slide(project, layers, map_layers, extent, options, t, published) -> Path:
    """A 16:9 map of the whole territory for slides (PNG), from the same published layers."""
    from qgis.core import QgsLayoutExporter as Exporter
    from qgis.core import QgsLayoutSize, QgsPrintLayout, QgsUnitTypes
    from qgis.PyQt.QtCore import Qt

    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    width, height = 254.0, 142.875
    layout.pageCollection().page(0).setPageSize(
        QgsLayoutSize(width, height, QgsUnitTypes.LayoutUnit.LayoutMillimeters)
    )
    lay.add_box(layout, "eit_band", (0, 0, width, 2.5), sty.PRIMARY)
    lay.add_label(
        layout,
        "eit_slide_title",
        (8, 5, 238, 9),
        options.title,
        15.0,
        sty.PRIMARY,
        "bold",
        valign=Qt.AlignmentFlag.AlignVCenter,
    )
    lay.add_label(
        layout, "eit_slide_subtitle", (8, 14, 238, 5),
        t.tr("{actors} actors, {candidates} synergy candidates").format(
            actors=published.n_actors, candidates=len(published.candidates)
        ),
        8.5, sty.MUTED,
    )  # fmt: skip
    map_item = lay._add_map(layout, "eit_map", (8, 21, 170, 112))
    map_item.setLayers(list(reversed(map_layers.background + map_layers.content)))
    map_item.setKeepLayerSet(True)
    map_item.setExtent(lay.fitted_extent(_rectangle(extent), 170, 112))
    legend = lay._add_legend(layout, "eit_legend", (184, 24), columns=1)
    scalebar = lay._add_scalebar(layout, "eit_scalebar", (176, 131))
    north = lay._add_north(layout, "eit_north", (168, 23, 8, 11))
    for linked in (scalebar, north):
        linked.setLinkedMap(map_item)
    lay.setup_legend(legend, map_item, {})
    lay.add_label(
        layout, "eit_attribution", (8, 135, 238, 6), attribution_text(published, options, t),
        5.5, sty.MUTED,
    )  # fmt: skip
    lay.set_variables(layout, {"eit_label_all": 1})
    settings = Exporter.ImageExportSettings()
    settings.dpi = 150
    settings.exportMetadata = True
    png = Path(options.png)
    png.parent.mkdir(parents=True, exist_ok=True)
    from osgeo import gdal

    # QGIS tries to georeference the image through GDAL, whose PNG driver cannot: quiet it
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        status = Exporter(layout).exportToImage(str(png), settings)
    finally:
        gdal.PopErrorHandler()
    if status != Exporter.Success:
        raise OSError(f"PNG export failed ({status})")
    return png


__all__ = ["COVERAGES", "AtlasInputs", "AtlasOptions", "AtlasResult", "export_atlas", "publish"]
