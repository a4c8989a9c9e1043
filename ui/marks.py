"""The dock's marks on the map: the selected synergy, the rings and lines around an actor.

They are canvas items (a highlight, rubber bands), never layers: nothing is added to the
project, and closing QGIS after a workshop asks nothing about temporary layers.
"""

from __future__ import annotations

from qgis.core import QgsGeometry, QgsPointXY, QgsRectangle, QgsWkbTypes
from qgis.gui import QgsHighlight, QgsRubberBand
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

#: (share of the radius, fill opacity) of the rings drawn around a selected actor
RINGS = ((1.0, 22), (0.5, 14))


class MapMarks:
    """Owns the canvas items the dock draws (see the module docstring)."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.highlight: QgsHighlight | None = None
        self.bands: list[QgsRubberBand] = []

    def _remove(self, item) -> None:
        item.hide()
        self.canvas.scene().removeItem(item)

    def clear(self) -> None:
        self.clear_highlight()
        self.clear_bands()

    def clear_highlight(self) -> None:
        if self.highlight is not None:
            self._remove(self.highlight)
            self.highlight = None

    def clear_bands(self) -> None:
        for band in self.bands:
            band.reset()
            self._remove(band)
        self.bands = []

    def show_line(self, geometry, layer) -> QgsRectangle:
        """Highlight ``geometry`` (shapely, ``layer``'s CRS); returns the map extent around
        it (canvas CRS) with room for its two ends' labels."""
        self.clear_highlight()
        qgs = QgsGeometry.fromWkt(geometry.wkt)
        self.highlight = QgsHighlight(self.canvas, qgs, layer)
        self.highlight.setColor(QColor(255, 221, 0, 230))
        self.highlight.setWidth(6)
        self.highlight.show()
        box = self.canvas.mapSettings().layerExtentToOutputExtent(layer, qgs.boundingBox())
        margin = max(box.width(), box.height(), 1500.0) * 0.6
        return QgsRectangle(box.xMinimum() - margin, box.yMinimum() - margin,
                            box.xMaximum() + margin, box.yMaximum() + margin)  # fmt: skip

    def show_proximity(self, x: float, y: float, radius_m: float, lines, layer) -> None:
        """Rings at ``radius_m`` (and half of it) around (x, y) and the ``lines`` (shapely
        geometries) to the actor's candidates, all in ``layer``'s CRS."""
        self.clear_bands()
        point = QgsGeometry.fromPointXY(QgsPointXY(x, y))
        for fraction, alpha in RINGS:
            band = QgsRubberBand(self.canvas, QgsWkbTypes.GeometryType.PolygonGeometry)
            band.setToGeometry(point.buffer(radius_m * fraction, 48), layer)
            band.setStrokeColor(QColor(20, 60, 120, 220))
            band.setFillColor(QColor(70, 130, 200, alpha))
            band.setWidth(2)
            band.setLineStyle(Qt.PenStyle.DashLine)
            self.bands.append(band)
        band = QgsRubberBand(self.canvas, QgsWkbTypes.GeometryType.LineGeometry)
        band.setStrokeColor(QColor(230, 100, 0, 220))
        band.setWidth(4)
        for geometry in lines:
            if geometry is not None:
                band.addGeometry(QgsGeometry.fromWkt(geometry.wkt), layer)
        self.bands.append(band)
