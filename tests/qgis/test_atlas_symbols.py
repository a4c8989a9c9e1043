"""The atlas's flow markers read their shape, size, outline and ring offset from fields."""

from __future__ import annotations

import numpy as np
from eit_synergies.layers import atlas_style as sty
from qgis.core import QgsProperty, QgsSymbolLayer, QgsVectorLayer


def test_marker_size_of_each_class_and_the_first_for_unknown():
    sizes = sty.marker_sizes([0, 1, 2, 3, -1, None, float("nan"), 9])
    first, *_, last = sty.SIZES_MM
    assert list(sizes[:4]) == list(sty.SIZES_MM)
    assert list(sizes[4:7]) == [first] * 3  # unknown quantity: the smallest mark
    assert sizes[7] == last
    assert np.all(np.diff(sty.SIZES_MM) > 0)


def test_a_flow_placed_at_its_commune_has_a_dark_outline_the_others_a_white_one():
    dark, white = sty.outline_colours([True, False])
    assert white == "255,255,255,255"
    assert dark != white and dark.endswith(",255")


def test_flow_symbols_read_fields_not_expressions_for_what_does_not_depend_on_the_page():
    layer = QgsVectorLayer("Point?crs=EPSG:2154&field=family:string", "flows", "memory")
    sty.style_flows(layer, {"bois": ("Bois", "#8B5A2B")})
    for category in layer.renderer().categories():
        marker = category.symbol().symbolLayer(0)
        properties = marker.dataDefinedProperties()
        for key, field in (
            (QgsSymbolLayer.Property.PropertyName, "shape"),
            (QgsSymbolLayer.Property.PropertySize, "size_mm"),
            (QgsSymbolLayer.Property.PropertyOffset, "offset"),
            (QgsSymbolLayer.Property.PropertyStrokeColor, "outline"),
        ):
            prop = properties.property(key)
            assert prop.propertyType() == QgsProperty.Type.FieldBasedProperty
            assert prop.field() == field
        # the focus of the page stays an expression: the outline, the "stroke" field's
        # (dotted for a flow placed at its commune) in focus, none otherwise
        fill = properties.property(QgsSymbolLayer.Property.PropertyFillColor)
        assert "hl_flows" in fill.expressionString()
        outline = properties.property(QgsSymbolLayer.Property.PropertyStrokeStyle)
        assert _outline(outline, "synergy", ",F1,F7,", "dot") == "dot"
        assert _outline(outline, "synergy", ",F1,F7,", "solid") == "solid"
        assert _outline(outline, "synergy", ",F2,", "dot") == "no"
        assert _outline(outline, "cover", None, "solid") == "solid"


def _outline(prop, kind: str, highlighted, stroke: str) -> str:
    """The outline style of flow F7 (its ``stroke`` field) on an atlas page of ``kind``."""
    from qgis.core import QgsFeature, QgsPrintLayout, QgsProject

    project = QgsProject()
    uri = "Point?crs=EPSG:2154&field=kind:string&field=hl_flows:string"
    pages = QgsVectorLayer(uri, "p", "memory")
    page = QgsFeature(pages.fields())
    page.setAttributes([kind, highlighted])
    pages.dataProvider().addFeatures([page])
    project.addMapLayer(pages)
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    atlas = layout.atlas()
    atlas.setCoverageLayer(pages)
    atlas.setEnabled(True)
    atlas.beginRender()
    assert atlas.seekTo(0)
    uri = "Point?crs=EPSG:2154&field=flow_id:string&field=stroke:string"
    flows = QgsVectorLayer(uri, "f", "memory")
    flow = QgsFeature(flows.fields())
    flow.setAttributes(["F7", stroke])
    context = layout.createExpressionContext()
    context.setFeature(flow)
    value, ok = prop.valueAsString(context, "")
    atlas.endRender()
    assert ok
    return value


def test_the_atlas_layers_with_geometry_have_a_spatial_index():
    import geopandas as gpd
    import shapely
    from eit_synergies.layers.atlas import memory_layer
    from qgis.core import QgsFeatureSource, QgsRectangle

    frame = gpd.GeoDataFrame(
        {"flow_id": [f"F{i}" for i in range(50)]},
        geometry=shapely.points(np.arange(50) * 100.0, np.zeros(50)),
        crs="EPSG:2154",
    )
    layer = memory_layer(frame, "Point", "EPSG:2154", "flows")
    assert layer.hasSpatialIndex() == QgsFeatureSource.SpatialIndexPresence.SpatialIndexPresent
    near = {f["flow_id"] for f in layer.getFeatures(QgsRectangle(-1, -1, 250, 1))}
    assert near == {"F0", "F1", "F2"}
    table = memory_layer(frame.drop(columns="geometry").assign(geometry=None), "None", "", "t")
    assert table.featureCount() == 50
