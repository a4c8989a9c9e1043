"""The pages' map layer set by page kind: what a kind of page leaves out is not drawn there."""

from __future__ import annotations

from eit_synergies.layers.atlas_layout import page_layer_set
from qgis.core import (
    QgsFeature,
    QgsField,
    QgsLayoutItemMap,
    QgsLayoutObject,
    QgsPrintLayout,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant


def _layers(project, names):
    layers = [QgsVectorLayer("Point?crs=EPSG:2154", name, "memory") for name in names]
    project.addMapLayers(layers, False)
    return layers


def _atlas(project, kinds):
    """A layout whose atlas has one page per kind, and its map."""
    pages = QgsVectorLayer("Point?crs=EPSG:2154", "pages", "memory")
    pages.dataProvider().addAttributes([QgsField("kind", QVariant.String)])
    pages.updateFields()
    features = []
    for kind in kinds:
        feature = QgsFeature(pages.fields())
        feature.setAttribute("kind", kind)
        features.append(feature)
    pages.dataProvider().addFeatures(features)
    project.addMapLayer(pages, False)
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    map_item = QgsLayoutItemMap(layout)
    layout.addLayoutItem(map_item)
    atlas = layout.atlas()
    atlas.setCoverageLayer(pages)
    atlas.setEnabled(True)
    atlas.beginRender()
    return layout, atlas, map_item


def _drawn(atlas, map_item, page) -> list[str]:
    assert atlas.seekTo(page)
    return [layer.name() for layer in map_item.layersToRender()]


def test_a_kind_of_page_leaves_its_layers_out_and_keeps_the_order():
    project = QgsProject()
    flows, groups, links, communes = _layers(
        project, ["Ressources", "Groupes d'acteurs", "Pistes", "Communes"]
    )
    stack = [flows, links, groups, communes]  # top first, as QgsLayoutItemMap.setLayers
    layout, atlas, map_item = _atlas(project, ["cover", "synergy", "actor"])
    map_item.setLayers(stack)
    properties = map_item.dataDefinedProperties()
    properties.setProperty(
        QgsLayoutObject.DataDefinedProperty.MapLayers,
        page_layer_set(stack, {"synergy": [groups]}),
    )
    map_item.setDataDefinedProperties(properties)
    every = ["Ressources", "Pistes", "Groupes d'acteurs", "Communes"]
    assert _drawn(atlas, map_item, 0) == every
    assert _drawn(atlas, map_item, 1) == ["Ressources", "Pistes", "Communes"]
    assert _drawn(atlas, map_item, 2) == every
    atlas.endRender()


def test_no_layer_set_when_names_are_not_unique_or_nothing_is_left_out():
    project = QgsProject()
    a, b, c = _layers(project, ["Territoire", "Territoire", "Pistes"])
    assert page_layer_set([a, c], {"synergy": [c]}) is None  # QGIS would find both
    assert page_layer_set([a, c], {}) is None
