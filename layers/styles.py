"""Styles of the plugin's output layers, built from the catalogue.

Renderers are built in code rather than loaded from fixed ``.qml`` files because the
families come from the catalogue, which users can extend: a family added in a user's
catalogue gets its colour and its legend entry like the built-in ones. Legend labels follow
the QGIS locale (French labels of the catalogue in French).
"""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsMarkerSymbol,
    QgsProcessingLayerPostProcessorInterface,
    QgsProperty,
    QgsRendererCategory,
    QgsSymbol,
    QgsSymbolLayer,
)

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


def _flow_symbol(colour: str, kind: str) -> QgsMarkerSymbol:
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
        QgsSymbolLayer.PropertySize,
        QgsProperty.fromExpression(
            'coalesce(2.5 + 6 * sqrt("quantity_norm" / '
            'maximum("quantity_norm", group_by:="unit_norm")), 2.5)'
        ),
    )
    # confidential flows: thick red outline
    layer.setDataDefinedProperty(
        QgsSymbolLayer.PropertyStrokeColor,
        QgsProperty.fromExpression(f"if(\"confidential\", '{CONFIDENTIAL_COLOUR}', '#333333')"),
    )
    layer.setDataDefinedProperty(
        QgsSymbolLayer.PropertyStrokeWidth,
        QgsProperty.fromExpression('if("confidential", 0.9, 0.3)'),
    )
    return symbol


def flow_renderer(families_frame, kind: str) -> QgsCategorizedSymbolRenderer:
    """Colour by family, size by normalised quantity, confidential flows outlined in red."""
    categories = []
    for code, (label, colour) in family_labels(families_frame).items():
        categories.append(QgsRendererCategory(code, _flow_symbol(colour, kind), label))
    categories.append(QgsRendererCategory("", _flow_symbol("#999999", kind), tr("Other")))
    return QgsCategorizedSymbolRenderer("family", categories)


def style_flow_layer(layer, families_frame, kind: str) -> None:
    layer.setRenderer(flow_renderer(families_frame, kind))
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


def candidate_renderer(families_frame) -> QgsCategorizedSymbolRenderer:
    """Synergy lines coloured by family, width by exchanged quantity, rejected ones faded."""
    from qgis.core import QgsLineSymbol

    width = QgsProperty.fromExpression(
        'coalesce(0.4 + 2.6 * sqrt("matched_quantity" / '
        'maximum("matched_quantity", group_by:="unit_norm")), 0.4)'
    )
    opacity = QgsProperty.fromExpression("if(\"status\" = 'rejected', 25, 90)")
    categories = []
    for code, (label, colour) in family_labels(families_frame).items():
        symbol = QgsLineSymbol.createSimple({"color": colour, "width": "0.8", "capstyle": "round"})
        symbol.symbolLayer(0).setDataDefinedProperty(QgsSymbolLayer.PropertyStrokeWidth, width)
        symbol.setDataDefinedProperty(QgsSymbol.PropertyOpacity, opacity)
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
