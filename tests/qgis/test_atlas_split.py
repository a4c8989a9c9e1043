"""The cover and the pages as two layouts of one PDF (layers/atlas_split.py)."""

from __future__ import annotations

import re

from eit_synergies.layers import atlas_layout as lay
from eit_synergies.layers import atlas_split as split
from qgis.core import QgsFeature, QgsLayoutItemLabel, QgsProject, QgsVectorLayer
from qgis.PyQt import sip


def _ids(layout) -> set[str]:
    return {item.id() for item in layout.items() if hasattr(item, "id") and item.id()}


def _pages_layer(project, kinds):
    uri = "Polygon?crs=EPSG:2154&field=page_key:string&field=kind:string"
    layer = QgsVectorLayer(uri, "pages", "memory")
    features = []
    for i, kind in enumerate(kinds):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([f"p{i}", kind])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    project.addMapLayer(layer, False)
    return layer


def test_each_layout_keeps_its_own_items_and_the_shared_ones(qgis_app):
    project = QgsProject()
    pages = lay.build_template("landscape", project)
    every = _ids(pages)
    cover = pages.clone()
    doomed = lay.item(pages, "eit_cover_map")
    removed = split.keep_only(cover, "cover") + split.keep_only(pages, "pages")
    assert removed > 20
    assert {"eit_cover_map", "eit_cover_legend", "eit_footer"} <= _ids(cover)
    assert not {"eit_map", "eit_legend", "eit_overview"} & _ids(cover)
    assert {"eit_map", "eit_legend", "eit_overview", "eit_footer"} <= _ids(pages)
    assert not {"eit_cover_map", "eit_cover_legend"} & _ids(pages)
    assert _ids(cover) | _ids(pages) == every  # nothing lost on the way
    # the removed items are deleted, not merely out of the scene (they would still refresh)
    assert sip.isdeleted(doomed)


def test_pages_are_numbered_across_both_layouts_in_order(qgis_app):
    project = QgsProject()
    coverage = _pages_layer(project, ["cover", "synergy", "synergy", "synergy"])
    pages = lay.build_template("landscape", project)
    cover = pages.clone()
    split.keep_only(cover, "cover")
    split.keep_only(pages, "pages")
    split.number_pages(cover, 0, 4)
    split.number_pages(pages, 1, 4)
    split.set_coverage(cover, coverage, split.COVER_FILTER)
    split.set_coverage(pages, coverage, split.PAGES_FILTER)
    footer = {layout: lay.item(layout, "eit_footer") for layout in (cover, pages)}
    assert all(isinstance(label, QgsLayoutItemLabel) for label in footer.values())
    iterator = split.CoverThenPages(cover, pages)
    assert iterator.beginRender()
    assert iterator.count() == 4
    seen = []
    while iterator.next():
        layout = iterator.layout()
        feature = layout.reportContext().feature()
        number = re.search(r"(\d+ / \d+)\s*$", footer[layout].currentText()).group(1)
        seen.append((feature["page_key"], layout is cover, number))
    assert iterator.endRender()
    assert [(key, is_cover) for key, is_cover, _ in seen] == [
        ("p0", True), ("p1", False), ("p2", False), ("p3", False)
    ]  # fmt: skip
    assert [n for *_, n in seen] == ["1 / 4", "2 / 4", "3 / 4", "4 / 4"]
