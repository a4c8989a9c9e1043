"""Styles of the plugin's output layers, built from the catalogue.

Renderers are built in code rather than loaded from fixed ``.qml`` files because the
families come from the catalogue, which users can extend: a family added in a user's
catalogue gets its colour and its legend entry like the built-in ones. Legend labels follow
the QGIS locale (French labels of the catalogue in French).
"""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsExpression,
    QgsFeatureRequest,
    QgsMarkerSymbol,
    QgsProcessingLayerPostProcessorInterface,
    QgsProperty,
    QgsRendererCategory,
    QgsSymbol,
    QgsSymbolLayer,
)

from ..core.workspace import DECIDED_STATUSES
from ..translation import qgis_locale, tr

CONFIDENTIAL_COLOUR = "#d7191c"
SHAPES = {"supply": "circle", "need": "square"}


def family_labels(families_frame) -> dict[str, tuple[str, str]]:
    """family code -> (label in the QGIS locale, colour)."""
    column = "label_fr" if qgis_locale() == "fr" else "label_en"
    return {
        str(row["code"]): (str(row[column]), str(row["colour"]))
        for _, row in families_frame.iterrows()
    }


def quantity_maxima(layer) -> dict[str, float]:
    """The largest ``quantity_norm`` of each ``unit_norm`` of a flow layer, read once.

    The flows' marker size is relative to these; they are written into the style as numbers
    rather than computed by an aggregate (``maximum(..., group_by:=...)``) in the expression:
    an aggregate runs in the map's render threads and reads the project there, which crashed
    QGIS 3.22 when a project was opened or cleared during a redraw."""
    if layer is None or not layer.isValid():
        return {}
    names = layer.fields().names()
    if "quantity_norm" not in names or "unit_norm" not in names:
        return {}
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
    request.setSubsetOfAttributes(["quantity_norm", "unit_norm"], layer.fields())
    maxima: dict[str, float] = {}
    for feature in layer.getFeatures(request):
        unit, value = feature["unit_norm"], feature["quantity_norm"]
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if unit is None or value != value or value <= 0:
            continue
        key = str(unit)
        if value > maxima.get(key, 0.0):
            maxima[key] = value
    return maxima


def size_expression(maxima: dict[str, float]) -> str:
    """Marker size: 2.5 to 8.5 by the square root of the quantity over the largest of its
    unit (``maxima``); 2.5 when the quantity or its unit's largest is unknown."""
    if not maxima:
        return "2.5"
    cases = " ".join(
        f'WHEN "unit_norm" = {QgsExpression.quotedValue(unit)} THEN {value:.17g}'
        for unit, value in sorted(maxima.items())
    )
    return (
        f'min(8.5, coalesce(2.5 + 6 * sqrt("quantity_norm" / '
        f"(CASE {cases} ELSE NULL END)), 2.5))"
    )


def _flow_symbol(colour: str, kind: str, maxima=None) -> QgsMarkerSymbol:
    symbol = QgsMarkerSymbol.createSimple(
        {
            "name": SHAPES.get(kind, "circle"),
            "color": colour,
            "outline_color": "#333333",
            "outline_width": "0.3",
            "size": "3",
        }
    )
    layer = symbol.symbolLayer(0)
    # size by normalised quantity, relative to the largest flow of the same unit
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertySize,
        QgsProperty.fromExpression(size_expression(maxima or {})),
    )
    # confidential flows: thick red outline
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeColor,
        QgsProperty.fromExpression(f"if(\"confidential\", '{CONFIDENTIAL_COLOUR}', '#333333')"),
    )
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeWidth,
        QgsProperty.fromExpression('if("confidential", 0.9, 0.3)'),
    )
    return symbol


def flow_renderer(families_frame, kind: str, maxima=None) -> QgsCategorizedSymbolRenderer:
    """Colour by family, size by normalised quantity (relative to ``maxima``, see
    :func:`quantity_maxima`), confidential flows outlined in red."""
    categories = []
    for code, (label, colour) in family_labels(families_frame).items():
        categories.append(QgsRendererCategory(code, _flow_symbol(colour, kind, maxima), label))
    categories.append(QgsRendererCategory("", _flow_symbol("#999999", kind, maxima), tr("Other")))
    return QgsCategorizedSymbolRenderer("family", categories)


def style_flow_layer(layer, families_frame, kind: str) -> None:
    layer.setRenderer(flow_renderer(families_frame, kind, quantity_maxima(layer)))
    layer.triggerRepaint()


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles an output layer when Processing loads it into the project."""

    _alive: list[StylePostProcessor] = []  # Processing keeps no Python reference

    def __init__(self, style, *args):
        super().__init__()
        self.style = style
        self.args = args

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API
        self.style(layer, *self.args)
        if self in StylePostProcessor._alive:  # styled: no longer needed by Processing
            StylePostProcessor._alive.remove(self)

    @classmethod
    def create(cls, style, *args) -> StylePostProcessor:
        processor = cls(style, *args)
        cls._alive.append(processor)
        return processor


def attach_style(context, dest_id: str, name: str, style, *args) -> None:
    """Name the output and style it on loading (when Processing will load it)."""
    if dest_id and context.willLoadLayerOnCompletion(dest_id):
        details = context.layerToLoadOnCompletionDetails(dest_id)
        details.name = name
        details.setPostProcessor(StylePostProcessor.create(style, *args))


#: QGIS expression: is public mode on? The project variable ``@eit_public``, which the
#: pipeline's project and the workshop dock set (on when it is not set: the safe side); the one
#: switch behind every label, width and size that could tell a confidential name or quantity
PUBLIC = "coalesce(@eit_public, 1) = 1"


#: flags of the two ends of a candidate; a missing flag counts as confidential (safe side)
CANDIDATE_CONFIDENTIAL = ("supply_confidential", "need_confidential")
#: QGIS expression: the room decided to pursue the synergy or to look into it
DECIDED = '"status" IN ({})'.format(", ".join(f"'{s}'" for s in DECIDED_STATUSES))


def candidate_line_width() -> str:
    """Line width (mm) of a candidate: by exchanged quantity on a log scale (0.3 mm for a
    few units, 2.6 mm from about 100,000 a year), the same for a given quantity whatever
    the search; 0.8 mm more when the room decided to pursue or look into it. In public mode
    a confidential exchange gets a constant width that tells nothing of its quantity.

    """
    width = 'min(2.6, 0.3 + 0.45 * log10(1 + coalesce("matched_quantity", 0)))'
    confidential = " OR ".join(f'coalesce("{f}", true)' for f in CANDIDATE_CONFIDENTIAL)
    width = f"CASE WHEN {PUBLIC} AND ({confidential}) THEN 0.8 ELSE {width} END"
    return f"({width}) + if({DECIDED}, 0.8, 0)"


def candidate_renderer(families_frame) -> QgsCategorizedSymbolRenderer:
    """Synergy lines: colour by family, width by exchanged quantity
    (:func:`candidate_line_width`); the lines the room kept get a white casing and full
    colour (dashed when to look into), proposed ones stay half transparent, set-aside ones
    dotted and faint.

    Built to stay quick with tens of thousands of lines: no aggregate in the expressions,
    and the casing is only drawn for decided lines.
    """
    from qgis.core import QgsLineSymbol

    width = candidate_line_width()
    style = (
        "CASE WHEN \"status\" = 'to_explore' THEN 'dash' "
        "WHEN \"status\" = 'rejected' THEN 'dot' ELSE 'solid' END"
    )
    opacity = f"CASE WHEN {DECIDED} THEN 100 WHEN \"status\" = 'rejected' THEN 30 ELSE 55 END"
    categories = []
    for code, (label, colour) in family_labels(families_frame).items():
        symbol = QgsLineSymbol.createSimple(
            {"color": "#ffffff", "width": "1.5", "capstyle": "round"}
        )
        casing = symbol.symbolLayer(0)
        casing.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyLayerEnabled, QgsProperty.fromExpression(DECIDED)
        )
        casing.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyStrokeWidth,
            QgsProperty.fromExpression(f"{width} + 0.9"),
        )
        line = QgsLineSymbol.createSimple({"color": colour, "width": "0.8", "capstyle": "round"})
        top = line.symbolLayer(0).clone()
        top.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyStrokeWidth, QgsProperty.fromExpression(width)
        )
        top.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyStrokeStyle, QgsProperty.fromExpression(style)
        )
        symbol.appendSymbolLayer(top)
        symbol.setDataDefinedProperty(
            QgsSymbol.Property.PropertyOpacity, QgsProperty.fromExpression(opacity)
        )
        categories.append(QgsRendererCategory(code, symbol, label))
    return QgsCategorizedSymbolRenderer("family", categories)


def style_candidate_layer(layer, families_frame) -> None:
    layer.setRenderer(candidate_renderer(families_frame))
    layer.triggerRepaint()


def style_group_layer(layer, families_frame) -> None:
    """Mutualisation groups: translucent polygons coloured by family."""
    from qgis.core import QgsFillSymbol

    categories = []
    for code, (label, colour) in family_labels(families_frame).items():
        symbol = QgsFillSymbol.createSimple(
            {"color": colour, "outline_color": colour, "outline_width": "0.6"}
        )
        symbol.setOpacity(0.35)
        categories.append(QgsRendererCategory(code, symbol, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer("family", categories))
    layer.triggerRepaint()
