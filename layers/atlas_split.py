"""The cover and the pages of an atlas as two layouts written into one PDF.

The template holds the cover's items and the pages' items together, each kind excluded from
the export on the other kind of page (``atlas_layout.ONLY_ON_COVER``/``ONLY_ON_PAGES``). An
excluded item is not drawn, but QGIS still refreshes it on every page of an atlas (its
expressions, its picture, its map's extent): on a region's hundred synergy pages the cover's
thirty items cost about 2 s. So the export makes two layouts of the filled-in template, the
cover's (an atlas of the cover feature) and the pages' (an atlas of the other features),
each without the other's items, and :class:`CoverThenPages` hands them one after the other to
``QgsLayoutExporter.exportToPdf``, which writes them into one PDF. The page numbers of the
labels count across both (:func:`number_pages`).
"""

from __future__ import annotations

from qgis.core import QgsAbstractLayoutIterator, QgsLayoutItem, QgsLayoutItemLabel, QgsLayoutObject
from qgis.PyQt.QtCore import QCoreApplication, QEvent

from .atlas_layout import ONLY_ON_COVER, ONLY_ON_PAGES

COVER_FILTER = "\"kind\" = 'cover'"
PAGES_FILTER = '"kind" IS NULL OR "kind" <> \'cover\''


def shown_only_on(item) -> str | None:
    """``"cover"`` for an item the export shows on the cover only, ``"pages"`` for one it
    shows on the pages only (read from its "exclude from exports" expression), else None."""
    prop = item.dataDefinedProperties().property(
        QgsLayoutObject.DataDefinedProperty.ExcludeFromExports
    )
    if prop is None or not prop.isActive():
        return None
    expression = prop.expressionString()
    for kind, hidden_elsewhere in (("cover", ONLY_ON_COVER), ("pages", ONLY_ON_PAGES)):
        if expression == hidden_elsewhere or expression.startswith(f"({hidden_elsewhere}) OR "):
            return kind
    return None


def keep_only(layout, kind: str) -> int:
    """Remove from ``layout`` the items shown only on the other kind of page; returns how
    many. They are deleted at once: an item removed but alive would still follow the pages."""
    other = {"cover": "pages", "pages": "cover"}[kind]
    doomed = [
        item
        for item in layout.items()
        if isinstance(item, QgsLayoutItem) and shown_only_on(item) == other
    ]
    for item in doomed:
        layout.removeLayoutItem(item)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return len(doomed)


def number_pages(layout, offset: int, total: int) -> None:
    """Page numbers across the two layouts: in every label, the atlas's feature number
    counts from ``offset`` + 1 and its total is ``total``."""
    for item in layout.items():
        if isinstance(item, QgsLayoutItemLabel):
            text = item.text()
            if "@atlas_featurenumber" in text or "@atlas_totalfeatures" in text:
                text = text.replace(
                    "@atlas_featurenumber", f"(@atlas_featurenumber + {int(offset)})"
                ).replace("@atlas_totalfeatures", str(int(total)))
                item.setText(text)


def set_coverage(layout, layer, expression: str) -> None:
    """``layout``'s atlas: one page per feature of ``layer`` that ``expression`` selects."""
    atlas = layout.atlas()
    atlas.setCoverageLayer(layer)
    atlas.setHideCoverage(True)
    atlas.setFilterFeatures(True)
    atlas.setFilterExpression(expression)
    atlas.setEnabled(True)
    atlas.setPageNameExpression('"page_key"')


class CoverThenPages(QgsAbstractLayoutIterator):
    """The cover's atlas, then the pages' atlas, as one iterator for ``exportToPdf``."""

    def __init__(self, cover_layout, pages_layout):
        super().__init__()
        self.atlases = [cover_layout.atlas(), pages_layout.atlas()]
        self.index = 0
        self.current = None

    def beginRender(self) -> bool:  # noqa: N802 - QGIS's name
        return all(atlas.beginRender() for atlas in self.atlases)

    def count(self) -> int:
        return sum(atlas.count() for atlas in self.atlases)

    def next(self) -> bool:
        while self.index < len(self.atlases):
            atlas = self.atlases[self.index]
            if atlas.next():
                self.current = atlas.layout()
                return True
            self.index += 1
        return False

    def layout(self):
        return self.current

    def endRender(self) -> bool:  # noqa: N802 - QGIS's name
        return all([atlas.endRender() for atlas in self.atlases])

    def filePath(self, base_path: str, extension: str) -> str:  # noqa: N802 - QGIS's name
        return base_path
