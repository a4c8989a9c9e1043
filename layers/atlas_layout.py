"""The atlas's print layouts: the shipped templates and what each export adds to them.

A template (``layers/templates/atlas_a4_{landscape,portrait}.qpt``, built by
``scripts/build_layout_templates.py`` with :func:`build_template`) holds the page frame: the
cover (big title band, territory map, key figures) and the page (title, atlas map with its
overview inset, legend, scale bar and north arrow, key figures, a text box), and the footer
(attributions, date, page numbers, public/confidential notice). Items carry stable ids
(``eit_map``, ``eit_panel``…). The text is never in the template: labels show layout
variables (``@eit_report_title``…) and attributes of the current page (``title``,
``k1_value``…), so one template serves every language and every coverage.

The cover is the first feature of the atlas: cover items are excluded from the export on the
other pages and page items on the cover (data-defined "exclude from exports"), so the
template is one layout; the export then makes of it a cover layout and a pages layout, each
without the other's items, written into one PDF (``atlas_split.py``). :func:`fill_layout`
links the maps, legend and scale bars to the export's layers and lays the coverage's tables
and charts out in the ``eit_panel`` and ``eit_cover_panel`` rectangles (a custom template may
move or resize them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsExpressionContextUtils,
    QgsLayoutFrame,
    QgsLayoutItem,
    QgsLayoutItemAttributeTable,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemMapOverview,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutItemShape,
    QgsLayoutMeasurement,
    QgsLayoutMultiFrame,
    QgsLayoutObject,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTable,
    QgsLayoutTableColumn,
    QgsLayoutTableStyle,
    QgsLegendStyle,
    QgsPrintLayout,
    QgsProperty,
    QgsReadWriteContext,
    QgsRectangle,
    QgsScaleBarSettings,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtXml import QDomDocument

from .atlas_style import (
    LIGHT,
    MUTED,
    PRIMARY,
    RULE,
    TEXT,
    WARNING,
    font,
    plain_glyphs,
    text_format,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES = {
    "landscape": TEMPLATE_DIR / "atlas_a4_landscape.qpt",
    "portrait": TEMPLATE_DIR / "atlas_a4_portrait.qpt",
}
NORTH_ARROW = ":/images/north_arrows/layout_default_north_arrow.svg"
FRANCE_L93 = (99000.0, 6046000.0, 1243000.0, 7111000.0)

KIND = "coalesce(attribute(@atlas_feature, 'kind'), '')"
#: "Exclude from exports" of the cover's items (they show on the cover only) and the pages'.
ONLY_ON_COVER = f"{KIND} <> 'cover'"
ONLY_ON_PAGES = f"{KIND} = 'cover'"

#: Table look (points).
TABLE_FONT = 6.8
HEADER_FONT = 6.8
CELL_MARGIN = 0.8
# measured on the exported PDF (Open Sans 6.8 pt, cell margin 0.8 mm)
LINE_MM = TABLE_FONT * 0.3528 * 1.38  # one line of table text, with leading
CHAR_MM = TABLE_FONT * 0.3528 * 0.52  # mean width of a character


def page_attribute(name: str) -> str:
    return f"[% attribute(@atlas_feature, '{name}') %]"


# --------------------------------------------------------------------------- geometry

Rect = tuple[float, float, float, float]


def _geometry(orientation: str) -> dict:
    """Positions (mm) of the template's items for an orientation.

    ``legend`` and ``cover_legend`` are the upper-left corners of the legends, which grow to
    the right and down under their map; the other values are ``(x, y, width, height)``.
    """
    if orientation == "landscape":
        w, h = 297.0, 210.0
        g = {
            "size": (w, h),
            "columns": 4,
            "band": (0, 0, w, 3.2),
            "title": (12, 7, 196, 9.5),
            "subtitle": (12, 16.6, 196, 6),
            "tag": (212, 7.8, 73, 6),
            "tag2": (212, 14.6, 73, 6),
            "header_rule": (12, 24.2, 273, 0.25),
            "map": (12, 28, 160, 147),
            "legend": (12, 177.5),
            "overview": (178, 28, 52, 39),
            "kpis": [
                (233 + c * 27.0, 28 + r * 20.5, 25.0, 18.5) for r in range(2) for c in range(2)
            ],
            "panel": (178, 70, 107, 103),
            "text": (178, 175.5, 107, 22.5),
            "footer_rule": (12, 199, 273, 0.25),
            "attribution": (12, 200.4, 168, 8),
            "footer": (185, 200.4, 100, 4.5),
            "mode": (185, 204.6, 100, 4),
            "cover_band": (0, 0, w, 58),
            "cover_title": (14, 5, 269, 17),
            "cover_subtitle": (14, 23, 269, 7),
            "cover_meta": (14, 31, 269, 5.5),
            "cover_text": (14, 39.5, 269, 16),
            "cover_map": (12, 63, 166, 112),
            "cover_legend": (12, 177.5),
            "cover_columns": 5,
            "cover_kpis": [
                (184 + c * 34.33, 63 + r * 22.0, 32.33, 20.0) for r in range(2) for c in range(3)
            ],
            "cover_panel": (184, 108, 101, 90),
        }
    elif orientation == "portrait":
        w, h = 210.0, 297.0
        g = {
            "size": (w, h),
            "columns": 5,
            "band": (0, 0, w, 3.2),
            "title": (12, 6.5, 186, 9.5),
            "subtitle": (12, 16.6, 122, 6),
            "tag": (136, 16.2, 62, 4.2),
            "tag2": (136, 20.0, 62, 3.8),
            "header_rule": (12, 24.2, 186, 0.25),
            "map": (12, 28, 186, 118),
            "legend": (12, 148.5),
            "overview": (12, 168, 50, 36),
            "kpis": [(66 + i * 33.5, 168, 31.5, 16.5) for i in range(4)],
            "panel": (12, 207, 186, 79),
            "text": (66, 187, 132, 17),
            "footer_rule": (12, 287.5, 186, 0.25),
            "attribution": (12, 288.8, 118, 7),
            "footer": (130, 288.8, 68, 4),
            "mode": (130, 292.6, 68, 3.6),
            "cover_band": (0, 0, w, 62),
            "cover_title": (14, 5, 182, 18.5),
            "cover_subtitle": (14, 25, 182, 7),
            "cover_meta": (14, 32.5, 182, 5.5),
            "cover_text": (14, 39.5, 182, 20),
            "cover_map": (12, 66, 186, 108),
            "cover_legend": (12, 176.5),
            "cover_columns": 5,
            "cover_kpis": [
                (12 + c * 62.67, 202 + r * 21.5, 60.67, 19.5) for r in range(2) for c in range(3)
            ],
            "cover_panel": (12, 247, 186, 39),
        }
    else:
        raise ValueError(f"unknown orientation {orientation!r}")
    return g


# --------------------------------------------------------------------------- items


def _place(item, rect: Rect) -> None:
    x, y, w, h = rect
    item.attemptMove(QgsLayoutPoint(x, y, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    item.attemptResize(QgsLayoutSize(w, h, QgsUnitTypes.LayoutUnit.LayoutMillimeters))


def exclude_when(item, expression: str) -> None:
    """Data-defined "exclude from exports" (the item is skipped on pages where it is true)."""
    item.dataDefinedProperties().setProperty(
        QgsLayoutObject.DataDefinedProperty.ExcludeFromExports,
        QgsProperty.fromExpression(expression),
    )


def _add(layout, item, item_id: str, rect: Rect, exclude: str | None = None):
    layout.addLayoutItem(item)
    item.setId(item_id)
    _place(item, rect)
    if exclude:
        exclude_when(item, exclude)
    return item


def add_label(
    layout,
    item_id,
    rect,
    text,
    size=8.0,
    colour=TEXT,
    weight="normal",
    align=Qt.AlignmentFlag.AlignLeft,
    valign=Qt.AlignmentFlag.AlignTop,
    exclude=None,
    italic=False,
):
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    label.setFont(font(size, weight, italic))
    label.setFontColor(QColor(colour))
    label.setHAlign(align)
    label.setVAlign(valign)
    label.setMarginX(0.0)
    label.setMarginY(0.0)
    return _add(layout, label, item_id, rect, exclude)


def add_box(layout, item_id, rect, fill, stroke=None, exclude=None, radius=0.0):
    shape = QgsLayoutItemShape(layout)
    shape.setShapeType(QgsLayoutItemShape.Shape.Rectangle)
    props = {"color": fill, "outline_style": "no" if stroke is None else "solid"}
    if stroke is not None:
        props.update({"outline_color": stroke, "outline_width": "0.2"})
    from qgis.core import QgsFillSymbol

    shape.setSymbol(QgsFillSymbol.createSimple(props))
    if radius:
        shape.setCornerRadius(
            QgsLayoutMeasurement(radius, QgsUnitTypes.LayoutUnit.LayoutMillimeters)
        )
    return _add(layout, shape, item_id, rect, exclude)


def _add_map(layout, item_id, rect, exclude=None, frame=True):
    item = QgsLayoutItemMap(layout)
    item.setFrameEnabled(frame)
    item.setFrameStrokeColor(QColor(RULE))
    item.setFrameStrokeWidth(QgsLayoutMeasurement(0.25, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    item.setBackgroundColor(QColor("#FFFFFF"))
    item.setCrs(QgsCoordinateReferenceSystem("EPSG:2154"))
    _add(layout, item, item_id, rect, exclude)
    item.setExtent(fitted_extent(QgsRectangle(*FRANCE_L93), rect[2], rect[3]))
    return item


def fitted_extent(extent: QgsRectangle, width: float, height: float) -> QgsRectangle:
    """``extent`` grown to the width/height ratio of a map item (its size is then kept:
    ``QgsLayoutItemMap.setExtent`` changes the item's height to fit the extent)."""
    cx, cy = extent.center().x(), extent.center().y()
    w, h = max(extent.width(), 1.0), max(extent.height(), 1.0)
    ratio = width / height
    if w / h < ratio:
        w = h * ratio
    else:
        h = w / ratio
    return QgsRectangle(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _add_legend(layout, item_id, corner: tuple[float, float], columns: int = 4, exclude=None):
    """A legend without title or frame, growing right and down from ``corner``."""
    legend = QgsLayoutItemLegend(layout)
    legend.setTitle("")
    legend.setColumnCount(columns)
    legend.setSplitLayer(True)
    legend.setEqualColumnWidth(False)
    legend.setSymbolWidth(3.0)
    legend.setSymbolHeight(3.0)
    legend.setWrapString("\n")
    legend.setBoxSpace(0.0)
    legend.setColumnSpace(4.0)
    legend.setBackgroundEnabled(False)
    legend.setFrameEnabled(False)
    for style, size, weight in (
        (QgsLegendStyle.Style.Title, 7.5, "bold"),
        (QgsLegendStyle.Style.Group, 6.8, "semibold"),
        (QgsLegendStyle.Style.Subgroup, 6.6, "semibold"),
        (QgsLegendStyle.Style.SymbolLabel, 6.3, "normal"),
    ):
        legend.rstyle(style).setFont(font(size, weight))
    legend.rstyle(QgsLegendStyle.Style.Subgroup).setMargin(QgsLegendStyle.Side.Top, 0.0)
    legend.rstyle(QgsLegendStyle.Style.Subgroup).setMargin(QgsLegendStyle.Side.Bottom, 0.6)
    legend.rstyle(QgsLegendStyle.Style.Symbol).setMargin(QgsLegendStyle.Side.Top, 0.6)
    legend.rstyle(QgsLegendStyle.Style.SymbolLabel).setMargin(QgsLegendStyle.Side.Top, 0.6)
    legend.setFontColor(QColor(TEXT))
    legend.setResizeToContents(True)
    layout.addLayoutItem(legend)
    legend.setId(item_id)
    legend.setReferencePoint(QgsLayoutItem.ReferencePoint.UpperLeft)
    legend.attemptMove(
        QgsLayoutPoint(corner[0], corner[1], QgsUnitTypes.LayoutUnit.LayoutMillimeters)
    )
    if exclude:
        exclude_when(legend, exclude)
    return legend


def _add_scalebar(layout, item_id, corner: tuple[float, float], exclude=None):
    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setUnits(QgsUnitTypes.DistanceUnit.DistanceKilometers)
    bar.setUnitLabel("km")
    bar.setNumberOfSegments(2)
    bar.setNumberOfSegmentsLeft(0)
    bar.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeMode.SegmentSizeFitWidth)
    bar.setMinimumBarWidth(14)
    bar.setMaximumBarWidth(32)
    bar.setHeight(1.4)
    bar.setLabelBarSpace(1.0)
    bar.setBoxContentSpace(1.2)
    bar.setTextFormat(text_format(6.5, TEXT))
    bar.setBackgroundEnabled(True)
    bar.setBackgroundColor(QColor(255, 255, 255, 210))
    layout.addLayoutItem(bar)
    bar.setId(item_id)
    bar.setReferencePoint(QgsLayoutItem.ReferencePoint.LowerRight)
    bar.attemptResize(QgsLayoutSize(34, 8, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    bar.attemptMove(QgsLayoutPoint(corner[0], corner[1], QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    if exclude:
        exclude_when(bar, exclude)
    return bar


def _add_north(layout, item_id, rect, exclude=None):
    picture = QgsLayoutItemPicture(layout)
    picture.setPicturePath(NORTH_ARROW, QgsLayoutItemPicture.Format.FormatSVG)
    picture.setSvgFillColor(QColor(PRIMARY))
    picture.setSvgStrokeColor(QColor(PRIMARY))
    picture.setResizeMode(QgsLayoutItemPicture.ResizeMode.Zoom)
    return _add(layout, picture, item_id, rect, exclude)


def _add_kpi(layout, prefix, rect, index, exclude, value_size):
    x, y, w, h = rect
    empty = f"coalesce(attribute(@atlas_feature, 'k{index}_value'), '') = ''"
    hide = f"({exclude}) OR {empty}"
    add_box(layout, f"{prefix}{index}_box", rect, LIGHT, exclude=hide, radius=1.2)
    add_label(
        layout,
        f"{prefix}{index}_value",
        (x + 1.2, y + 1.6, w - 2.4, h * 0.5),
        page_attribute(f"k{index}_value"),
        size=value_size,
        colour=PRIMARY,
        weight="bold",
        align=Qt.AlignmentFlag.AlignHCenter,
        valign=Qt.AlignmentFlag.AlignVCenter,
        exclude=hide,
    )
    add_label(
        layout,
        f"{prefix}{index}_label",
        (x + 1.2, y + h * 0.56, w - 2.4, h * 0.42),
        page_attribute(f"k{index}_label"),
        size=6.3,
        colour=MUTED,
        align=Qt.AlignmentFlag.AlignHCenter,
        valign=Qt.AlignmentFlag.AlignTop,
        exclude=hide,
    )


def build_template(orientation: str, project) -> QgsPrintLayout:
    """The skeleton layout of an orientation (what the shipped ``.qpt`` files hold)."""
    g = _geometry(orientation)
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(f"EIT atlas A4 {orientation}")
    width, height = g["size"]
    layout.pageCollection().page(0).setPageSize(
        QgsLayoutSize(width, height, QgsUnitTypes.LayoutUnit.LayoutMillimeters)
    )
    pages = ONLY_ON_PAGES
    cover = ONLY_ON_COVER
    # pages
    add_box(layout, "eit_band", g["band"], PRIMARY, exclude=pages)
    add_label(
        layout, "eit_title", g["title"], page_attribute("title"), 15.5, PRIMARY, "bold",
        exclude=pages, valign=Qt.AlignmentFlag.AlignVCenter,
    )  # fmt: skip
    add_label(layout, "eit_subtitle", g["subtitle"], page_attribute("subtitle"), 9.0, MUTED,
              exclude=pages)  # fmt: skip
    add_label(
        layout, "eit_tag", g["tag"], page_attribute("tag"), 9.0, PRIMARY, "semibold",
        align=Qt.AlignmentFlag.AlignRight, exclude=pages,
    )  # fmt: skip
    add_label(
        layout, "eit_tag2", g["tag2"], page_attribute("tag2"), 8.0, MUTED,
        align=Qt.AlignmentFlag.AlignRight, exclude=pages,
    )  # fmt: skip
    add_box(layout, "eit_header_rule", g["header_rule"], RULE, exclude=pages)
    mx, my, mw, mh = g["map"]
    atlas_map = _add_map(layout, "eit_map", g["map"], exclude=pages)
    atlas_map.setAtlasDriven(True)
    atlas_map.setAtlasScalingMode(QgsLayoutItemMap.AtlasScalingMode.Auto)
    atlas_map.setAtlasMargin(0.22)
    _add_map(layout, "eit_overview", g["overview"], exclude=pages)
    # the north arrow under the map's right end: inside, it could hide what a page is about
    _add_north(layout, "eit_north", (mx + mw - 6, my + mh + 2.5, 6, 8.5), exclude=pages)
    _add_scalebar(layout, "eit_scalebar", (mx + mw - 2, my + mh - 2), exclude=pages)
    _add_legend(layout, "eit_legend", g["legend"], g["columns"], exclude=pages)
    add_label(layout, "eit_text", g["text"], page_attribute("text"), 7.0, TEXT, exclude=pages)
    for i, rect in enumerate(g["kpis"], start=1):
        _add_kpi(layout, "eit_kpi", rect, i, pages, 11.0)
    add_box(layout, "eit_panel", g["panel"], "0,0,0,0", exclude=pages)
    # cover
    add_box(layout, "eit_cover_band", g["cover_band"], PRIMARY, exclude=cover)
    add_label(
        layout, "eit_cover_title", g["cover_title"], "[% @eit_report_title %]", 19.0,
        "#FFFFFF", "bold", exclude=cover, valign=Qt.AlignmentFlag.AlignVCenter,
    )  # fmt: skip
    add_label(
        layout, "eit_cover_subtitle", g["cover_subtitle"], page_attribute("subtitle"), 11.0,
        "#FFFFFF", exclude=cover,
    )  # fmt: skip
    add_label(
        layout, "eit_cover_meta", g["cover_meta"], page_attribute("tag"), 8.5, "#CFE0E5",
        exclude=cover,
    )  # fmt: skip
    add_label(
        layout, "eit_cover_text", g["cover_text"], page_attribute("text"), 7.3, "#E8F1F3",
        exclude=cover,
    )  # fmt: skip
    cx, cy, cw, ch = g["cover_map"]
    _add_map(layout, "eit_cover_map", g["cover_map"], exclude=cover)
    # inside the map's upper right corner: under it, the cover's legend (one column per
    # few families) runs into it
    _add_north(layout, "eit_cover_north", (cx + cw - 8, cy + 2, 6, 8.5), exclude=cover)
    _add_scalebar(layout, "eit_cover_scalebar", (cx + cw - 2, cy + ch - 2), cover)
    _add_legend(layout, "eit_cover_legend", g["cover_legend"], g["cover_columns"], cover)
    for i, rect in enumerate(g["cover_kpis"], start=1):
        _add_kpi(layout, "eit_cover_kpi", rect, i, cover, 13.0)
    add_box(layout, "eit_cover_panel", g["cover_panel"], "0,0,0,0", exclude=cover)
    # every page
    add_box(layout, "eit_footer_rule", g["footer_rule"], RULE)
    add_label(layout, "eit_attribution", g["attribution"], "[% @eit_attribution %]", 6.0, MUTED)
    add_label(
        layout, "eit_footer", g["footer"],
        "[% @eit_date_text %]   ·   [% @eit_page_word %] [% @atlas_featurenumber %] / "
        "[% @atlas_totalfeatures %]",
        7.0, TEXT, align=Qt.AlignmentFlag.AlignRight,
    )  # fmt: skip
    add_label(
        layout, "eit_mode", g["mode"], "[% @eit_mode_text %]", 6.2, MUTED, "semibold",
        align=Qt.AlignmentFlag.AlignRight,
    )  # fmt: skip
    return layout


def save_template(layout, path) -> None:
    if not layout.saveAsTemplate(str(path), QgsReadWriteContext()):
        raise OSError(f"cannot write {path}")


def load_template(project, path) -> QgsPrintLayout:
    """A print layout from a ``.qpt`` file (raises ``ValueError`` when it cannot be read)."""
    document = QDomDocument()
    text = Path(path).read_text(encoding="utf-8")
    if not document.setContent(text):
        raise ValueError(f"{path}: not a QGIS layout template")
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    _, ok = layout.loadFromTemplate(document, QgsReadWriteContext())
    if not ok:
        raise ValueError(f"{path}: the layout template could not be loaded")
    plain_layout_glyphs(layout)
    return layout


def plain_layout_glyphs(layout) -> None:
    """Fonts read from a template lose their style strategy: set "no ligatures" again."""
    for layout_item in layout.items():
        if isinstance(layout_item, QgsLayoutItemLabel):
            layout_item.setFont(plain_glyphs(layout_item.font()))
        elif isinstance(layout_item, QgsLayoutItemLegend):
            for style in (
                QgsLegendStyle.Style.Title,
                QgsLegendStyle.Style.Group,
                QgsLegendStyle.Style.Subgroup,
                QgsLegendStyle.Style.SymbolLabel,
            ):
                layout_item.rstyle(style).setFont(plain_glyphs(layout_item.rstyle(style).font()))
        elif isinstance(layout_item, QgsLayoutItemScaleBar):
            fmt = layout_item.textFormat()
            fmt.setFont(plain_glyphs(fmt.font()))
            layout_item.setTextFormat(fmt)


# --------------------------------------------------------------------------- content


@dataclass
class Column:
    field: str
    heading: str
    share: float  # of the block's width
    align: int = Qt.AlignmentFlag.AlignLeft


@dataclass
class Block:
    """One element of a page's panel: a heading with a table or a chart below it."""

    heading: str
    table: str | None = None  # the ``tbl`` key of its rows
    name: str = ""  # the block's key (a table's key by default)
    columns: list[Column] = field(default_factory=list)
    chart: str | None = None  # the page attribute holding the chart's path
    raster: bool = False  # the chart is an image (PNG), not an SVG drawing
    height: float = 30.0  # mm, heading included
    max_lines: int = 0  # table lines that fit (computed by :func:`layout_blocks`)
    rect: Rect = (0, 0, 0, 0)

    @property
    def key(self) -> str:
        return self.name or self.table or self.chart or ""


HEADING_MM = 5.0


def row_height(lines: int) -> float:
    """Height (mm) of a table row of ``lines`` lines of text."""
    return lines * LINE_MM + 1.2


def table_lines(height_mm: float) -> int:
    """How many text lines a table of that height holds (header row included)."""
    usable = height_mm - HEADING_MM - 2 * CELL_MARGIN
    return max(int(usable // (LINE_MM + 2 * CELL_MARGIN * 0.6)), 1)


def chars_per_line(width_mm: float) -> int:
    return max(int((width_mm - 2 * CELL_MARGIN) / CHAR_MM), 4)


def layout_blocks(blocks: list[Block], panel: Rect, gap: float = 3.0) -> list[Block]:
    """Place blocks top-down in the panel (two columns when the panel is wide)."""
    x, y, w, h = panel
    columns = 2 if w > 150 else 1
    col_w = (w - (columns - 1) * 5.0) / columns
    if columns == 1:
        groups = [blocks]
    else:
        total = sum(b.height for b in blocks)
        groups, run = [[], []], 0.0
        for block in blocks:
            groups[0 if run + block.height / 2 <= total / 2 or not groups[0] else 1].append(block)
            run += block.height
    for c, group in enumerate(groups):
        gaps = gap * max(len(group) - 1, 0)
        wanted = sum(b.height for b in group)
        scale = (h - gaps) / max(wanted, 1e-6)
        heights = [b.height * min(scale, 1.0) for b in group]
        if scale > 1.0:  # room to spare: the last table of the column takes it
            tables = [i for i, b in enumerate(group) if b.table]
            if tables:
                heights[tables[-1]] += h - gaps - sum(heights)
        top = y
        for block, height in zip(group, heights, strict=True):
            block.rect = (x + c * (col_w + 5.0), top, col_w, height)
            block.max_lines = table_lines(height)
            top += height + gap
    return blocks


def _table_style(colour: str) -> QgsLayoutTableStyle:
    style = QgsLayoutTableStyle()
    style.enabled = True
    style.cellBackgroundColor = QColor(colour)
    return style


def add_table(layout, rows_layer, block: Block, exclude: str | None = None):
    """A heading and an attribute table of the rows of the current page for ``block``."""
    x, y, w, h = block.rect
    add_label(
        layout, f"eit_h_{block.table}", (x, y, w, HEADING_MM - 0.6), block.heading, 8.0,
        PRIMARY, "bold", exclude=exclude, valign=Qt.AlignmentFlag.AlignVCenter,
    )  # fmt: skip
    table = QgsLayoutItemAttributeTable.create(layout)
    table.setVectorLayer(rows_layer)
    table.setDisplayOnlyVisibleFeatures(False)
    table.setFilterFeatures(True)
    table.setFeatureFilter(
        f"\"page\" = attribute(@atlas_feature, 'page_key') AND \"tbl\" = '{block.table}'"
    )
    table.setMaximumNumberOfFeatures(500)
    columns = []
    for spec in block.columns:
        column = QgsLayoutTableColumn(spec.heading)
        column.setAttribute(spec.field)
        column.setWidth(max(spec.share * w - 2 * CELL_MARGIN - 0.1, 4.0))
        column.setHAlignment(spec.align)
        columns.append(column)
    table.setColumns(columns)
    table.setHeaderTextFormat(text_format(HEADER_FONT, "#FFFFFF", "semibold"))
    table.setContentTextFormat(text_format(TABLE_FONT, TEXT))
    table.setHeaderHAlignment(QgsLayoutTable.HeaderHAlignment.FollowColumn)
    table.setCellMargin(CELL_MARGIN)
    table.setShowGrid(True)
    table.setVerticalGrid(False)
    table.setHorizontalGrid(True)
    table.setGridStrokeWidth(0.12)
    table.setGridColor(QColor(RULE))
    table.setBackgroundColor(QColor("#FFFFFF"))
    table.setCellStyle(QgsLayoutTable.CellStyleGroup.HeaderRow, _table_style(PRIMARY))
    table.setCellStyle(QgsLayoutTable.CellStyleGroup.EvenRows, _table_style("#F5F8F9"))
    table.setWrapBehavior(QgsLayoutTable.WrapBehavior.WrapText)
    table.setEmptyTableBehavior(QgsLayoutTable.EmptyTableMode.ShowMessage)
    table.setEmptyTableMessage("—")
    table.setResizeMode(QgsLayoutMultiFrame.ResizeMode.UseExistingFrames)
    layout.addMultiFrame(table)
    frame = QgsLayoutFrame(layout, table)
    _place(frame, (x, y + HEADING_MM, w, h - HEADING_MM))
    frame.setId(f"eit_t_{block.table}")
    if exclude:
        exclude_when(frame, exclude)
    table.addFrame(frame)
    return table


def add_chart(layout, block: Block, exclude: str | None = None):
    x, y, w, h = block.rect
    add_label(
        layout, f"eit_h_{block.key}", (x, y, w, HEADING_MM - 0.6), block.heading, 8.0,
        PRIMARY, "bold", exclude=exclude, valign=Qt.AlignmentFlag.AlignVCenter,
    )  # fmt: skip
    picture = QgsLayoutItemPicture(layout)
    picture.setMode(
        QgsLayoutItemPicture.Format.FormatRaster
        if block.raster
        else QgsLayoutItemPicture.Format.FormatSVG
    )
    picture.setResizeMode(QgsLayoutItemPicture.ResizeMode.Zoom)
    picture.setPictureAnchor(QgsLayoutItem.ReferencePoint.UpperLeft)
    picture.dataDefinedProperties().setProperty(
        QgsLayoutObject.DataDefinedProperty.PictureSource,
        QgsProperty.fromExpression(f"attribute(@atlas_feature, '{block.chart}')"),
    )
    hide = f"coalesce(attribute(@atlas_feature, '{block.chart}'), '') = ''"  # no chart
    if exclude:
        hide = f"({exclude}) OR {hide}"
    rect = (x, y + HEADING_MM, w, h - HEADING_MM)
    return _add(layout, picture, f"eit_c_{block.key}", rect, hide)


def item(layout, item_id):
    """The item of a template by id (None when a custom template has none)."""
    return layout.itemById(item_id)


def rect_of(layout_item) -> Rect:
    pos = layout_item.positionWithUnits()
    size = layout_item.sizeWithUnits()
    return (pos.x(), pos.y(), size.width(), size.height())


def set_variables(layout, values: dict) -> None:
    for name, value in values.items():
        QgsExpressionContextUtils.setLayoutVariable(layout, name, value)


@dataclass
class MapLayers:
    """The export's layers, bottom to top, and which of them the legend lists."""

    background: list
    content: list
    legend: list
    overview: list = field(default_factory=list)
    #: page kind -> layers the pages' map leaves out on pages of that kind
    left_out: dict = field(default_factory=dict)


def page_layer_set(stack: list, left_out: dict) -> QgsProperty | None:
    """The pages' map layers by page kind (a data-defined layer set, top first as
    ``setLayers``): a layer left out of a kind of page is neither drawn nor hit-tested by its
    legend there. QGIS finds the layers of such a set by name: ``None`` (every layer on every
    page) unless the names are unique in the project."""
    if not left_out or not stack:
        return None
    project = stack[0].project()
    names = [layer.name() for layer in stack]
    if project is None or any(len(project.mapLayersByName(n)) != 1 for n in names):
        return None

    def listed(layers) -> str:
        return "'" + "|".join(layer.name() for layer in layers).replace("'", "''") + "'"

    cases = " ".join(
        f"WHEN {KIND} = '{kind}' THEN {listed([layer for layer in stack if layer not in out])}"
        for kind, out in left_out.items()
    )
    return QgsProperty.fromExpression(f"CASE {cases} ELSE {listed(stack)} END")


def link_maps(layout, layers: MapLayers, crs, extent, cover_extent, mode_warning: bool):
    """Give the template's maps their layers, extents, overview, legends and scale bars.

    The legends are linked to their maps; what they list is set by ``layers/atlas_legend.py``.
    """
    stack = list(reversed(layers.background + layers.content))
    atlas_map = item(layout, "eit_map")
    cover_map = item(layout, "eit_cover_map")
    for map_item in (atlas_map, cover_map, item(layout, "eit_overview")):
        if map_item is not None:
            map_item.setCrs(crs)
    for map_item in (atlas_map, cover_map):
        if map_item is None:
            continue
        map_item.setLayers(stack)
        map_item.setKeepLayerSet(True)
        size = map_item.sizeWithUnits()
        map_item.setExtent(fitted_extent(cover_extent, size.width(), size.height()))
    if atlas_map is not None:
        layer_set = page_layer_set(stack, layers.left_out)
        if layer_set is not None:
            properties = atlas_map.dataDefinedProperties()
            properties.setProperty(QgsLayoutObject.DataDefinedProperty.MapLayers, layer_set)
            atlas_map.setDataDefinedProperties(properties)
    overview = item(layout, "eit_overview")
    if overview is not None:
        overview.setLayers(list(reversed(layers.overview)) or stack)
        overview.setKeepLayerSet(True)
        size = overview.sizeWithUnits()
        overview.setExtent(fitted_extent(extent, size.width(), size.height()))
        if atlas_map is not None:
            frame = QgsLayoutItemMapOverview("frame", overview)
            frame.setLinkedMap(atlas_map)
            from qgis.core import QgsFillSymbol

            frame.setFrameSymbol(
                QgsFillSymbol.createSimple(
                    {"color": "220,60,40,60", "outline_color": "#C0392B", "outline_width": "0.4"}
                )
            )
            overview.overviews().addOverview(frame)
    for prefix, map_item in (("eit", atlas_map), ("eit_cover", cover_map)):
        bar = item(layout, f"{prefix}_scalebar")
        if bar is not None and map_item is not None:
            bar.setLinkedMap(map_item)
            bar.update()
        north = item(layout, f"{prefix}_north")
        if north is not None and map_item is not None:
            north.setLinkedMap(map_item)
        legend = item(layout, f"{prefix}_legend")
        if legend is not None and map_item is not None:
            setup_legend(legend, map_item)
    mode = item(layout, "eit_mode")
    if mode is not None and mode_warning:
        mode.setFontColor(QColor(WARNING))


def setup_legend(legend, map_item) -> None:
    """Link a legend to its map, with a tree of its own: what it lists is set by
    ``layers/atlas_legend.py`` (not by QGIS's filter by map, a hit test of every feature)."""
    legend.setLinkedMap(map_item)
    legend.setAutoUpdateModel(False)  # a copy of the project's tree, kept with the legend
    legend.setLegendFilterByMapEnabled(False)
