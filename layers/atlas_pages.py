"""The atlas's pages: the coverage features (one per page, the cover first) with their
final text, key figures and map focus, the rows of their tables (:class:`PageBuilder`), and
the blocks of the page panel for each coverage (:func:`coverage_blocks`), all from the
published frames (:mod:`.atlas_data`).
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import shapely
from qgis.PyQt.QtCore import Qt

from ..core import report, report_words
from ..core.errors import Canceled
from . import atlas_layout as lay
from .atlas_data import (
    MIN_PAGE_EXTENT_M,
    NEED_COLOUR,
    PAGE_FIELDS,
    SUBTITLE_CHARS,
    SUPPLY_COLOUR,
    TITLE_CHARS,
    AtlasOptions,
    Published,
)
from .atlas_text import ReportText
from .precedents_text import precedents_line

# --------------------------------------------------------------------------- pages


def _wrap_ids(values) -> str:
    return "," + ",".join(str(v) for v in values if v is not None and v == v) + ","


def _extent(geometries, minimum: float = MIN_PAGE_EXTENT_M):
    """A polygon around the geometries, at least ``minimum`` metres wide and high."""
    geoms = np.asarray(list(geometries), dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))] if len(geoms) else geoms
    if not len(geoms):
        return None
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
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
        return report_words.format_number(value, decimals, self.lang)

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
            tag=f"{report_words.date_text(self.o.today or dt.date.today(), self.lang)}",
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
        for status in report_words.STATUS_ORDER:
            count = summary["statuses"].get(status, 0)
            if not count:
                continue
            part = active_cands[active_cands["status"] == status]
            sums = []
            for unit in ("t/yr", "MWh/yr"):
                value = part.loc[part["unit_norm"] == unit, "matched_value"].sum(min_count=1)
                if value == value and value:
                    sums.append(report_words.format_quantity(value, unit, self.lang))
            masked = int(part["masked"].sum())
            quantity = " · ".join(sums) or "—"
            if masked and public:
                quantity += "*"
            avoided = self.p.avoided.get(status)
            if avoided and avoided["n"]:
                quantity += " · " + t.tr("{tkm} t·km avoided").format(
                    tkm=self.number(avoided["tkm"], 0)
                )
            rows.append(
                [report_words.status_label(status, self.lang), self.number(count, 0), quantity]
            )
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
            unit = report_words.unit_label(c["unit_norm"], self.lang)
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
                        unit=report_words.unit_label(main_unit, self.lang)
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
                        unit=report_words.unit_label(main_unit, self.lang) or "—"
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
            quantity = report_words.format_quantity(total, unit, self.lang)
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
                raster=True,  # drawn as SVG, handed over as PNG (metabolism_view.svg_to_png)
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
