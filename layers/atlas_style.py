"""Look of the atlas: fonts, colours and the renderers of its map layers.

The atlas's maps highlight what the current page is about: every renderer below reads the
current page (``@atlas_feature``: ``kind``, ``hl_flows``, ``hl_cands``, ``hl_actors``,
``family``) and fades the rest. Outside an atlas (the slide image) everything is in focus.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from qgis.core import (
    QgsArrowSymbolLayer,
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProperty,
    QgsRendererCategory,
    QgsSimpleMarkerSymbolLayer,
    QgsSingleSymbolRenderer,
    QgsSymbolLayer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor, QFont, QFontDatabase

from .compat import LabelPlacement

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "Open Sans"

PRIMARY = "#1D4E5F"
ACCENT = "#2A9D8F"
LIGHT = "#EAF1F3"
TEXT = "#333333"
MUTED = "#6B7378"
RULE = "#C5D1D5"
COMMUNE_FILL = "#F4F2ED"
WARNING = "#B2182B"
STATUS_COLOURS = {
    "retained": "#1A9850",
    "to_explore": "#F28E2B",
    "proposed": "#3A6EA5",
}
SIZES_MM = (2.4, 3.2, 4.2, 5.4)  # marker size of each quantity class; unknown = the first

_registered: list[int] = []


def register_fonts() -> str:
    """Make the shipped Open Sans available to Qt (once); the family name to use."""
    if not _registered:
        for path in sorted(FONT_DIR.glob("*.ttf")):
            _registered.append(QFontDatabase.addApplicationFont(str(path)))
    if FONT_FAMILY in QFontDatabase().families():
        return FONT_FAMILY
    return QFont().defaultFamily()


def font(size: float, weight: str = "normal", italic: bool = False) -> QFont:
    """The report font at ``size`` points (``weight``: normal, semibold, bold)."""
    qfont = QFont(register_fonts())
    qfont.setPointSizeF(size)
    qfont.setWeight(
        {
            "normal": QFont.Weight.Normal,
            "semibold": QFont.Weight.DemiBold,
            "bold": QFont.Weight.Bold,
        }[weight]
    )
    qfont.setItalic(italic)
    return plain_glyphs(qfont)


def plain_glyphs(qfont: QFont) -> QFont:
    """No ligatures: the PDF's text then reads, copies and searches as typed ("fi", not "ﬁ")."""
    qfont.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
    return qfont


def text_format(size: float, colour: str = TEXT, weight="normal", italic=False, buffer=0.0):
    fmt = QgsTextFormat()
    fmt.setFont(font(size, weight, italic))
    fmt.setSize(size)
    fmt.setSizeUnit(QgsUnitTypes.RenderUnit.RenderPoints)
    fmt.setColor(QColor(colour))
    if buffer:
        settings = QgsTextBufferSettings()
        settings.setEnabled(True)
        settings.setSize(buffer)
        settings.setSizeUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
        settings.setColor(QColor(255, 255, 255, 230))
        fmt.setBuffer(settings)
    return fmt


def rgba(colour: str, alpha: int) -> str:
    c = QColor(colour)
    return f"{c.red()},{c.green()},{c.blue()},{alpha}"


def _page(attribute: str) -> str:
    return f"attribute(@atlas_feature, '{attribute}')"


#: True in legends (their scope has @legend_column_count), on the cover and the slide image.
ALL_IN_FOCUS = f"(@legend_column_count IS NOT NULL OR coalesce({_page('kind')}, 'cover') = 'cover')"


def in_list(attribute: str, field: str) -> str:
    """Expression: the feature's ``field`` is in the page's comma-wrapped list ``attribute``."""
    return f"strpos(coalesce({_page(attribute)}, ''), ',' || \"{field}\" || ',') > 0"


def focus(attribute: str, field: str) -> str:
    return f"({ALL_IN_FOCUS} OR {in_list(attribute, field)})"


# --------------------------------------------------------------------------- layers


def style_communes(layer, with_labels: bool = True) -> None:
    symbol = QgsFillSymbol.createSimple(
        {
            "color": COMMUNE_FILL,
            "outline_color": "#FFFFFF",
            "outline_width": "0.35",
            "outline_width_unit": "MM",
        }
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    if with_labels:
        settings = QgsPalLayerSettings()
        settings.fieldName = "name"
        settings.setFormat(text_format(6.0, "#8E8A80", italic=True, buffer=0.0))
        settings.placement = LabelPlacement.OverPoint
        settings.obstacle = False
        settings.priority = 1
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
        layer.setLabelsEnabled(True)


def style_perimeter(layer) -> None:
    symbol = QgsFillSymbol.createSimple(
        {"color": "0,0,0,0", "outline_color": "#7A8A90", "outline_width": "0.6"}
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))


def style_groups(layer, family_colours: dict[str, str]) -> None:
    """Mutualisation groups: translucent family colour, dashed outline (one legend entry)."""
    in_focus = (
        f"({ALL_IN_FOCUS} OR (coalesce({_page('kind')}, '') = 'family' AND "
        f"\"family\" = {_page('family')}) OR "
        f"(coalesce({_page('kind')}, '') = 'actor' AND strpos(\"member_keys\", "
        f"',' || {_page('actor_key')} || ',') > 0))"
    )
    colour = (
        "CASE "
        + " ".join(f"WHEN \"family\" = '{code}' THEN '{{{code}}}'" for code in family_colours)
        + " ELSE '{other}' END"
    )

    def expression(alpha_in: int, alpha_out: int) -> str:
        def pick(alpha):
            values = {code: rgba(c, alpha) for code, c in family_colours.items()}
            values["other"] = rgba("#7A7A7A", alpha)
            return colour.format(**values)

        return f"if({in_focus}, {pick(alpha_in)}, {pick(alpha_out)})"

    symbol = QgsFillSymbol.createSimple(
        {
            "color": rgba("#7A7A7A", 50),
            "outline_color": "#7A7A7A",
            "outline_width": "0.45",
            "outline_style": "dash",
        }
    )
    fill = symbol.symbolLayer(0)
    fill.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyFillColor, QgsProperty.fromExpression(expression(55, 0))
    )
    fill.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeColor, QgsProperty.fromExpression(expression(230, 35))
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))


def style_overview(layer) -> None:
    symbol = QgsFillSymbol.createSimple(
        {"color": "#E3E7E8", "outline_color": "#8A9A9F", "outline_width": "0.3"}
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))


def style_links(layer, status_labels: dict[str, str]) -> None:
    """Candidates as arrows from supplier to receiver, coloured by status."""
    in_focus = focus("hl_cands", "candidate_id")
    categories = []
    for status, colour in STATUS_COLOURS.items():
        arrow = QgsArrowSymbolLayer()
        arrow.setIsCurved(False)
        arrow.setIsRepeated(False)
        arrow.setArrowWidth(0.5)
        arrow.setArrowStartWidth(0.5)
        arrow.setHeadLength(2.2)
        arrow.setHeadThickness(1.3)
        arrow.setArrowWidthUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
        arrow.setArrowStartWidthUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
        arrow.setHeadLengthUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
        arrow.setHeadThicknessUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
        body = QgsFillSymbol.createSimple(
            {"color": colour, "outline_color": "#FFFFFF", "outline_width": "0.1"}
        )
        body.symbolLayer(0).setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyFillColor,
            QgsProperty.fromExpression(
                f"if({in_focus}, '{rgba(colour, 235)}', '{rgba(colour, 45)}')"
            ),
        )
        body.symbolLayer(0).setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyStrokeColor,
            QgsProperty.fromExpression(f"if({in_focus}, '255,255,255,255', '255,255,255,0')"),
        )
        arrow.setSubSymbol(body)
        width = f"if({in_focus} AND NOT {ALL_IN_FOCUS}, 0.9, 0.45)"
        arrow.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyArrowWidth, QgsProperty.fromExpression(width)
        )
        arrow.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyArrowStartWidth, QgsProperty.fromExpression(width)
        )
        symbol = QgsLineSymbol()
        symbol.changeSymbolLayer(0, arrow)
        categories.append(QgsRendererCategory(status, symbol, status_labels.get(status, status)))
    layer.setRenderer(QgsCategorizedSymbolRenderer("status", categories))


def marker_sizes(size_class) -> np.ndarray:
    """The marker size (mm) of each quantity class (:data:`SIZES_MM`); unknown (-1 or
    null): the first."""
    index = pd.to_numeric(pd.Series(size_class, dtype=object), errors="coerce").to_numpy(float)
    index = np.where(np.isfinite(index) & (index >= 0), index, 0).astype(int)
    return np.asarray(SIZES_MM)[index.clip(0, len(SIZES_MM) - 1)]


def outline_colours(masked) -> np.ndarray:
    """The ``outline`` field of the atlas's flows: dark for a flow placed at its commune
    (public mode; its outline is dotted), white for the others."""
    masked = np.asarray(masked, dtype=bool)
    return np.where(masked, rgba(TEXT, 255), "255,255,255,255")


def _flow_symbol(colour: str) -> QgsMarkerSymbol:
    symbol = QgsMarkerSymbol.createSimple(
        {
            "name": "circle",
            "color": colour,
            "outline_color": "#FFFFFF",
            "outline_width": "0.35",
            "size": "3.2",
        }
    )
    layer = symbol.symbolLayer(0)
    in_focus = focus("hl_flows", "flow_id")
    # shape, size, outline colour and dotted outline are the flow's own fields (atlas.py), not
    # expressions: read, not evaluated, for every flow of every map; in a legend (no
    # feature) the symbol's own circle, size and solid outline. The flows a page is not
    # about are drawn without outline: a faint white one (alpha 60) changed little on the
    # page, but a translucent pen is written to the PDF as a filled outline path, and these
    # outlines were most of a page in a dense town (2 MB of the page's drawing, then deflated)
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyName, QgsProperty.fromField("shape")
    )
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertySize, QgsProperty.fromField("size_mm")
    )
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyFillColor,
        QgsProperty.fromExpression(f"if({in_focus}, '{rgba(colour, 255)}', '{rgba(colour, 55)}')"),
    )
    # the outline's colour too (dark for a flow placed at its commune, see OUTLINE): only
    # the flows in focus have one
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeColor, QgsProperty.fromField("outline")
    )
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeStyle,
        QgsProperty.fromExpression(f"if({in_focus}, \"stroke\", 'no')"),
    )
    # its place on the ring of the flows that share its point (layers/atlas_rings.py)
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyOffset, QgsProperty.fromField("offset")
    )
    return symbol


def style_flows(layer, family_labels: dict[str, tuple[str, str]]) -> None:
    """Supplies (circles) and needs (squares) coloured by family, sized by quantity class,
    spread on rings around their place when several share it (offsets computed by
    layers/atlas_rings.py); a dotted outline marks a flow
    placed at its commune (public mode)."""
    categories = [
        QgsRendererCategory(code, _flow_symbol(colour), label)
        for code, (label, colour) in family_labels.items()
    ]
    categories.append(QgsRendererCategory("", _flow_symbol("#9A9A9A"), "—", False))
    layer.setRenderer(QgsCategorizedSymbolRenderer("family", categories))


def style_actor_labels(layer) -> None:
    """Actor names next to their flows, on the pages that are about them."""
    symbol = QgsMarkerSymbol.createSimple(
        {"name": "circle", "color": "0,0,0,0", "outline_style": "no", "size": "5"}
    )
    centre = QgsSimpleMarkerSymbolLayer.create(
        {"name": "circle", "color": "#555555", "outline_style": "no", "size": "0.9"}
    )
    centre.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyLayerEnabled, QgsProperty.fromField("stacked")
    )
    symbol.appendSymbolLayer(centre)
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    settings = QgsPalLayerSettings()
    settings.isExpression = True
    settings.fieldName = (
        f"CASE WHEN @eit_label_all = 1 THEN \"label\" WHEN {ALL_IN_FOCUS} THEN NULL "
        f"WHEN {in_list('hl_actors', 'actor_key')} THEN \"label\" ELSE NULL END"
    )
    settings.setFormat(text_format(7.0, PRIMARY, weight="semibold", buffer=0.8))
    settings.placement = LabelPlacement.AroundPoint
    settings.dist = 2.6
    settings.distUnits = QgsUnitTypes.RenderUnit.RenderMillimeters
    settings.autoWrapLength = 28
    settings.priority = 8
    settings.displayAll = False
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)
