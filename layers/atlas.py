"""The atlas export: published frames → pages → one atlas layout → PDF, tables and a slide.

:func:`export_atlas` is the engine of ``eit:exportatlas``. It touches the input frames in one
place only, :func:`.atlas_data.publish`, which hands them to ``core/report.py`` (names,
quantities and positions masked there in public mode); everything after it, the pages
(:mod:`.atlas_pages`), the map layers, the tables, the charts, the PDF's metadata and the
slide (here), is built from the published frames.

The atlas is one QGIS print layout whose coverage layer has one feature per page, the cover
first; each feature carries the page's final text (titles, key figures, the page's map focus),
and a table layer carries the rows of the page's tables. QGIS draws and exports everything.
"""

from __future__ import annotations

import datetime as dt
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

from ..core import report, report_words
from ..core.errors import Canceled
from . import atlas_layout as lay
from . import atlas_split as split
from . import atlas_style as sty
from .atlas_charts import ChartMaker
from .atlas_data import (  # noqa: F401 - the atlas's interface, re-exported
    COVERAGES,
    NAF_DIVISIONS,
    PAGE_FIELDS,
    REFERENCE_COMMUNES,
    ROW_FIELDS,
    AtlasInputs,
    AtlasOptions,
    Published,
    publish,
)
from .atlas_legend import AtlasLegends, atlas_sources
from .atlas_pages import PageBuilder, _extent, coverage_blocks
from .atlas_rings import offset_text, ring_offsets
from .atlas_text import ReportText
from .frames import fields_for, frame_to_sink

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
    if has_geometry:
        # each page's map, and its legend's hit test, then read the features in view only,
        # not all 50,000 flows of a region for every page
        layer.dataProvider().createSpatialIndex()
    layer.updateExtents()
    return layer


def build_layers(published: Published, pages: PageBuilder, crs: str, t: ReportText) -> dict:
    flows = published.flows
    point_flows = flows[flows.geometry.notna()]
    # flows sharing a place are spread on rings around it (offsets in mm, see atlas_rings)
    sizes = sty.marker_sizes(point_flows["size_class"])
    xs = shapely.get_x(point_flows.geometry.to_numpy())
    ys = shapely.get_y(point_flows.geometry.to_numpy())
    offsets, shared = ring_offsets(xs, ys, sizes)
    layers = {}
    layers["flows"] = memory_layer(
        gpd.GeoDataFrame(
            point_flows[["flow_id", "family", "direction", "size_class", "masked"]].assign(
                family=point_flows["family"].fillna(""),
                # what the symbols read as fields (no expression evaluated per flow)
                offset=offset_text(offsets),
                shape=np.where(point_flows["direction"].to_numpy() == "need", "square", "circle"),
                size_mm=sizes,
                stroke=np.where(point_flows["masked"].to_numpy(dtype=bool), "dot", "solid"),
                outline=sty.outline_colours(point_flows["masked"].to_numpy(dtype=bool)),
            ),
            geometry=point_flows.geometry,
            crs=crs,
        ),
        "Point",
        crs,
        t.tr("Resources (● supply, ■ need)"),
    )
    first = ~point_flows["actor_key"].duplicated().to_numpy()
    actors = point_flows[first]
    layers["actors"] = memory_layer(
        gpd.GeoDataFrame(
            {
                "actor_key": actors["actor_key"].to_numpy(),
                "label": actors["actor_display"],
                "stacked": shared[first] > 1,  # a dot at the centre of its ring
            },
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
        # not in any legend; its own name: the pages' layer sets name their layers
        layers["overview"] = memory_layer(territory, "MultiPolygon", crs, "overview")
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
        {s: report_words.status_label(s, t.lang) for s in sty.STATUS_COLOURS},
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
        parts = [published.flows.geometry, published.candidates.geometry]
        if published.communes is not None:
            parts.append(published.communes.geometry)
        extent = _extent(np.concatenate([p.to_numpy() for p in parts]), 5000.0)
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
        # a synergy page is about two flows: the mutualisation groups around them (faint
        # outlines, often hundreds in a dense town) are left out of its map
        left_out = {"synergy": [layers["groups"]]} if "groups" in layers else {}
        map_layers = lay.MapLayers(background, content, legend, overview, left_out)
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
                "eit_date_text": report_words.date_text(
                    options.today or dt.date.today(), options.lang
                ),
                "eit_page_word": t.tr("Page"),
                "eit_mode_text": t.tr("Public version: confidential flows masked")
                if options.public
                else t.tr("Confidential working document: do not distribute"),
                "eit_label_all": 0,
            },
        )
        # the cover and the pages as two layouts, each without the other's items (atlas_split)
        cover_layout = layout.clone()
        split.keep_only(cover_layout, "cover")
        split.keep_only(layout, "pages")
        split.number_pages(cover_layout, 0, len(builder.pages))
        split.number_pages(layout, 1, len(builder.pages))
        split.set_coverage(cover_layout, layers["pages"], split.COVER_FILTER)
        split.set_coverage(layout, layers["pages"], split.PAGES_FILTER)
        # the legends list what their map shows, worked out from the data (atlas_legend.py)
        legends = AtlasLegends(atlas_sources(published, layers), left_out)
        cover_legend = lay.item(cover_layout, "eit_cover_legend")
        page_legend, page_map = lay.item(layout, "eit_legend"), lay.item(layout, "eit_map")
        if cover_legend is not None:
            legends.show_all(cover_legend)
        if page_legend is not None and page_map is not None:
            legends.follow(page_legend, page_map)
        # each block goes into its own layout only: no "exclude from exports" to evaluate
        for name, group in blocks.items():
            target = cover_layout if name == "cover" else layout
            for block in group:
                if block.table:
                    lay.add_table(target, layers["rows"], block)
                else:
                    lay.add_chart(target, block)
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
        pages = split.CoverThenPages(cover_layout, layout)
        if options.before_drawing is not None:
            options.before_drawing()
        status, error = QgsLayoutExporter.exportToPdf(pages, str(pdf), settings, export_feedback)
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
            export_slide(project, map_layers, legends, extent, options, t, published)
            result.png = options.png
        _progress(feedback, 100)
        del pages, cover_layout, layout
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


def export_slide(project, map_layers, legends, extent, options, t, published) -> Path:
    """A 16:9 map of the whole territory for slides (PNG), from the same published layers."""
    from qgis.core import QgsLayoutExporter as Exporter
    from qgis.core import QgsLayoutSize, QgsPrintLayout, QgsUnitTypes

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
    lay.setup_legend(legend, map_item)
    legends.show_all(legend)
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
