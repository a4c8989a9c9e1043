"""What the atlas's legends list, worked out from the published data instead of QGIS's hit test.

A legend filtered by its map makes QGIS read every feature in the map's extent and write each
one's symbol out as XML to learn which symbols are drawn (``QgsMapHitTest``): about 60 ms for a
page in a dense town, almost 3 s for the cover of a region of 50,000 flows. The atlas knows
what each map shows, so it works the legend out itself, with the same rule:

* a symbol is listed when a feature drawn with it has its bounding box in the map's extent
  (as QGIS's feature request tests it) and is one the page is about: for the flows and the
  candidates, those the page's ``hl_flows`` and ``hl_cands`` name (every one on the cover);
  for the other layers, every feature;
* a layer the map leaves out on a kind of page, or with nothing to list, is not in the legend;
* a category QGIS does not draw (unchecked) is never listed.

:class:`AtlasLegends` fills the cover's legend once and keeps the pages' legend up to date as
the atlas turns its pages (on the map's ``preparedForAtlas``, once the page's extent is set).
``test_legends_list_what_qgis_own_hit_test_finds`` (``tests/qgis/test_alg_exportatlas.py``)
checks the result against QGIS's own hit test on every page of the three coverages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsLayerTreeLayer,
    QgsMapLayerLegendUtils,
    QgsPropertyCollection,
)

#: the page attribute listing the features a page is about, and the field it lists
FOCUS = {"flows": ("hl_flows", "flow_id"), "links": ("hl_cands", "candidate_id")}


@dataclass
class LegendSource:
    """A legend's layer and its features as arrays: bounding boxes (``n × 4``), the value
    its renderer classifies them by, and the ids a page's focus names."""

    layer: object
    bounds: np.ndarray
    values: np.ndarray
    ids: np.ndarray | None = None
    focus_attribute: str | None = None
    _legend_symbols: dict | None = None

    @classmethod
    def of_frame(cls, key: str, layer, frame) -> LegendSource:
        """``frame``: the (geo)frame ``layer`` was made of, its rows without geometry left out."""
        renderer = layer.renderer()
        categorized = isinstance(renderer, QgsCategorizedSymbolRenderer)
        by = renderer.classAttribute() if categorized else None
        attribute, id_field = FOCUS.get(key, (None, None))
        values = frame[by].to_numpy(dtype=object) if by else np.full(len(frame), None, object)
        ids = frame[id_field].astype(str).to_numpy(dtype=object) if id_field else None
        return cls(
            layer,
            shapely.bounds(frame.geometry.to_numpy()).reshape(-1, 4),
            np.asarray([_value(v) for v in values], dtype=object),
            ids,
            attribute,
        )

    def legend_symbols(self) -> dict:
        """The symbols a legend draws for the categories whose symbol has data-defined
        properties (the flows' size, shape and outline are fields): the category's symbol
        without them. A legend has no feature to read them from, and QGIS draws a marker
        sized by a field as a dot unless a hit test of the map ran before."""
        if self._legend_symbols is None:
            self._legend_symbols = {}
            renderer = self.layer.renderer()
            if isinstance(renderer, QgsCategorizedSymbolRenderer):
                for i, category in enumerate(renderer.categories()):
                    symbol = category.symbol()
                    if any(
                        layer.dataDefinedProperties().hasActiveProperties()
                        for layer in symbol.symbolLayers()
                    ):
                        plain = symbol.clone()
                        for layer in plain.symbolLayers():
                            layer.setDataDefinedProperties(QgsPropertyCollection())
                        self._legend_symbols[i] = plain
        return self._legend_symbols

    def listed(self, extent=None, focus: str | None = None) -> list[int]:
        """Indices of the legend entries to show: the categories of the features whose box
        meets ``extent`` (``(xmin, ymin, xmax, ymax)``; ``None``: all) and that ``focus`` (the
        page's comma-separated ids; ``None``: every feature) names."""
        index = np.arange(len(self.bounds))
        if extent is not None:
            x0, y0, x1, y1 = extent
            b = self.bounds
            index = index[(b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)]
        if focus is not None and self.ids is not None:
            wanted = {part for part in str(focus).split(",") if part}
            index = index[[self.ids[i] in wanted for i in index]]
        if not len(index):
            return []
        renderer = self.layer.renderer()
        if not isinstance(renderer, QgsCategorizedSymbolRenderer):
            return [0]
        present = set(self.values[index].tolist())
        return [
            i
            for i, category in enumerate(renderer.categories())
            if category.renderState() and _value(category.value()) in present
        ]


def _value(value):
    """A category value as the legend compares it: empty and NULL are the same."""
    if value is None or value == "" or (hasattr(value, "isNull") and value.isNull()):
        return None
    return value


def _attribute(feature, name: str):
    if feature is None or feature.fields().indexOf(name) < 0:
        return None
    return _value(feature[name])


class AtlasLegends:
    """The legends of one atlas; keep it alive while the atlas is exported."""

    def __init__(self, sources: dict[str, LegendSource], left_out: dict | None = None):
        self.sources = sources  # in the legends' order
        self.left_out = left_out or {}  # page kind -> layers the pages' map leaves out
        self.legend = None
        self.map_item = None
        self.shown = {}  # id of a legend -> what it lists now

    def show_all(self, legend) -> None:
        """Every symbol the data has (the cover, the slide)."""
        self.fill(legend, {key: source.listed() for key, source in self.sources.items()})

    def follow(self, legend, map_item) -> None:
        """Keep ``legend`` listing what the atlas-driven ``map_item`` shows of each page."""
        self.legend, self.map_item = legend, map_item
        map_item.preparedForAtlas.connect(self.page_changed)

    def entries(self, feature, extent) -> dict[str, list[int]]:
        """What the legend lists on the page ``feature`` whose map shows ``extent``."""
        kind = _attribute(feature, "kind") or ""
        out = {layer.id() for layer in self.left_out.get(kind, [])}
        listed = {}
        for key, source in self.sources.items():
            if source.layer.id() in out:
                listed[key] = []
            elif source.focus_attribute and kind != "cover":
                listed[key] = source.listed(
                    extent, _attribute(feature, source.focus_attribute) or ""
                )
            else:
                listed[key] = source.listed(extent)
        return listed

    def page_changed(self) -> None:
        feature = self.map_item.layout().reportContext().feature()
        if (_attribute(feature, "kind") or "") == "cover":
            return  # the pages' legend is not on the cover
        e = self.map_item.extent()
        self.fill(
            self.legend,
            self.entries(feature, (e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum())),
        )

    def fill(self, legend, entries: dict[str, list[int]]) -> None:
        """Put in ``legend`` the layers that have entries, in the sources' order, each
        listing its entries (their indices in the layer's legend)."""
        shown = {key: list(indices) for key, indices in entries.items() if indices}
        if self.shown.get(id(legend)) == shown:
            return  # as on the page before: nothing to redo
        legend.setLegendFilterByMapEnabled(False)
        root = legend.model().rootGroup()
        root.removeAllChildren()
        for key, indices in shown.items():
            # the entries set before the node joins the tree: the model makes them once
            node = QgsLayerTreeLayer(self.sources[key].layer)
            QgsMapLayerLegendUtils.setLegendNodeOrder(node, indices)
            for index, symbol in self.sources[key].legend_symbols().items():
                if index in indices:
                    QgsMapLayerLegendUtils.setLegendNodeCustomSymbol(node, index, symbol)
            root.addChildNode(node)
        self.shown[id(legend)] = shown
        legend.adjustBoxSize()
        legend.update()


def atlas_sources(published, layers: dict) -> dict[str, LegendSource]:
    """The legend sources of the atlas's layers (``layers/atlas.build_layers``), in the
    legends' order: the flows, the candidates, the mutualisation groups."""
    frames = {
        "flows": published.flows.assign(family=published.flows["family"].fillna("")),
        "links": published.candidates,
        "groups": published.groups,
    }
    return {
        key: LegendSource.of_frame(key, layers[key], frame[frame.geometry.notna()])
        for key, frame in frames.items()
        if key in layers
    }
