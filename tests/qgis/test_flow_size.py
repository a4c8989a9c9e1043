"""Flow markers are sized by quantity relative to the largest flow of the same unit, with
the largest values written into the style (no aggregate evaluated while the map renders)."""

from __future__ import annotations

import math

import pandas as pd
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.layers.styles import quantity_maxima, style_flow_layer
from qgis.core import (
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsSymbolLayer,
    QgsVectorLayer,
)

ROWS = [("t/an", 100.0), ("t/an", 25.0), ("t/an", None), ("MWh/an", 4.0), ("MWh/an", 1.0)]


def flow_layer():
    layer = QgsVectorLayer(
        "Point?crs=EPSG:2154&field=family:string&field=quantity_norm:double"
        "&field=unit_norm:string&field=confidential:boolean",
        "flows",
        "memory",
    )
    features = []
    for k, (unit, quantity) in enumerate(ROWS):
        feature = QgsFeature(layer.fields())
        feature.setAttributes(["ORG", quantity, unit, False])
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(700_000 + k, 6_600_000)))
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)[0]
    return layer


def test_sizes_are_relative_to_the_largest_flow_of_the_unit_without_an_aggregate(qgis_app):
    layer = flow_layer()
    assert quantity_maxima(layer) == {"t/an": 100.0, "MWh/an": 4.0}
    style_flow_layer(layer, Catalogue.builtin().families_frame, "supply")
    categories = layer.renderer().categories()  # copies: keep them alive
    size = (
        categories[0]
        .symbol()
        .symbolLayer(0)
        .dataDefinedProperties()
        .property(QgsSymbolLayer.Property.PropertySize)
    )
    text = size.expressionString()
    assert "maximum(" not in text and "aggregate(" not in text
    maxima = pd.DataFrame(ROWS, columns=["unit", "q"]).groupby("unit")["q"].max()
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    for feature, (unit, quantity) in zip(layer.getFeatures(), ROWS, strict=True):
        context.setFeature(feature)
        value, ok = size.valueAsDouble(context, -1)
        assert ok
        expected = 2.5 if quantity is None else 2.5 + 6 * math.sqrt(quantity / maxima[unit])
        assert math.isclose(value, expected, rel_tol=1e-9), (unit, quantity, value)
