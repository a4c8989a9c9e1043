"""Charts of the atlas pages, drawn with pyqtgraph and saved as SVG pictures.

QGIS 3.22's layouts have no chart item, so each chart is a picture that the page's picture
item reads from the path stored on the page. Charts only ever receive published figures
(see ``core/report.py``). pyqtgraph is imported here, after ``PYQTGRAPH_QT_LIB`` is set to
the Qt binding of ``qgis.PyQt``. Its items are laid out in a bare ``QGraphicsScene`` and
painted (what pyqtgraph's exporters do, without the widget they need, so charts are drawn
off-screen, in any thread) onto a ``QSvgGenerator``: the PDF gets the chart as vectors and
text, sharp at any zoom, and nothing is compressed as a PNG to be decoded and compressed
again as a JPEG (about 10 ms a chart; a region's atlas has a hundred).
"""

from __future__ import annotations

import hashlib
import html
import math
import os
from pathlib import Path

from qgis.PyQt.QtCore import PYQT_VERSION_STR, QCoreApplication, QRectF, QSize
from qgis.PyQt.QtGui import QFontMetricsF, QPainter
from qgis.PyQt.QtSvg import QSvgGenerator

from .atlas_style import MUTED, RULE, TEXT, font

SCREEN_PX_PER_MM = 6.0  # drawing scale of the widget
EXPORT_PX_PER_MM = 13.0  # ~330 dpi in the PDF (the pictures that are images)
_pg = None


def _pyqtgraph():
    global _pg
    if _pg is None:
        os.environ.setdefault("PYQTGRAPH_QT_LIB", "PyQt5" if PYQT_VERSION_STR < "6" else "PyQt6")
        import pyqtgraph

        _pg = pyqtgraph
    return _pg


def _font(points: float, weight: str = "normal"):
    """The report font sized for the widget's scale (points as printed)."""
    qfont = font(points, weight)
    qfont.setPixelSize(max(int(round(points * 0.3528 * SCREEN_PX_PER_MM)), 6))
    return qfont


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _short(text: str, length: int) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class ChartMaker:
    """Writes charts into ``folder``; the same chart is drawn once (cached by content)."""

    def __init__(self, folder, lang: str = "fr"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lang = lang
        self.count = 0

    def _path(self, *key) -> tuple[Path, bool]:
        digest = hashlib.sha1(repr(key).encode("utf-8"), usedforsecurity=False).hexdigest()
        path = self.folder / f"chart-{digest[:16]}.svg"
        return path, path.exists()

    def _number(self, value: float) -> str:
        from ..core.report_words import format_number

        return format_number(value, lang=self.lang)

    def bars(
        self,
        width_mm: float,
        height_mm: float,
        labels: list[str],
        series: list[tuple[str, list[float], str]],
        unit: str = "",
        maximum: float | None = None,
        value_texts: list[list[str]] | None = None,
    ) -> Path:
        """Horizontal bars: one row per label, one bar per series (``(name, values,
        colour)``), the value at the end of each bar, a key (series and unit) on top."""
        key = ("bars", width_mm, height_mm, labels, series, unit, maximum, value_texts)
        path, done = self._path(*key)
        if done:
            return path
        pg = _pyqtgraph()
        width_px, height_px = width_mm * SCREEN_PX_PER_MM, height_mm * SCREEN_PX_PER_MM
        scene = pg.GraphicsScene()
        layout = pg.GraphicsLayout()
        scene.addItem(layout)
        layout.setContentsMargins(2, 2, 6, 2)
        plot = layout.addPlot(row=1, col=0)
        plot.hideButtons()
        # the ranges are set once everything is in (below): no auto-range on each item added
        plot.disableAutoRange()
        plot.setMenuEnabled(False)
        plot.getViewBox().setMouseEnabled(False, False)
        plot.hideAxis("bottom")
        n = max(len(labels), 1)
        k = max(len(series), 1)
        thickness = 0.8 / k
        values = [v for _, vals, _ in series for v in vals if _finite(v)]
        top = maximum if maximum is not None else max(values + [0.0]) or 1.0
        value_font = _font(6.0 if k == 1 else 5.4)
        for j, (_, vals, colour) in enumerate(series):
            ys = [n - 1 - i + (k - 1) * thickness / 2 - j * thickness for i in range(len(vals))]
            widths = [float(v) if _finite(v) else 0.0 for v in vals]
            plot.addItem(
                pg.BarGraphItem(
                    x0=0, y=ys, height=thickness * 0.9, width=widths, brush=colour, pen=None
                )
            )
            for i, (y, v) in enumerate(zip(ys, vals, strict=True)):
                if value_texts:
                    text = value_texts[j][i]
                else:
                    text = self._number(v) if _finite(v) and v else ""
                if not text:
                    continue
                item = pg.TextItem(text, color=TEXT, anchor=(0, 0.5))
                item.setFont(value_font)
                item.setPos((float(v) if _finite(v) else 0.0) + top * 0.015, y)
                plot.addItem(item)
        # category labels drawn as text left of the bars (no axis: exact control of the
        # room they take)
        plot.hideAxis("left")
        tick_font = _font(6.0)
        shown = [_short(t, 30) for t in labels]
        metrics = QFontMetricsF(tick_font)
        label_px = max([metrics.horizontalAdvance(t) for t in shown] + [10.0]) + 8.0
        right = top * 1.32
        per_px = right / max(width_px - 10.0 - label_px, 10.0)
        x_low = -label_px * per_px
        for i, text in enumerate(shown):
            item = pg.TextItem(text, color=TEXT, anchor=(1, 0.5))
            item.setFont(tick_font)
            item.setPos(-3.0 * per_px, n - 1 - i)
            plot.addItem(item)
        plot.addItem(pg.PlotDataItem([0, 0], [-0.5, n - 0.5], pen=pg.mkPen(RULE, width=1)))
        if len(series) > 1 or unit:
            parts = [
                f'<span style="color:{c}">&#9632;</span>&nbsp;{html.escape(name)}'
                for name, _, c in series
                if len(series) > 1
            ]
            if unit:
                parts.append(f'<span style="color:{MUTED}">{html.escape(unit)}</span>')
            key = layout.addLabel(
                "&nbsp;&nbsp;&nbsp;".join(parts),
                row=0,
                col=0,
                justify="right",
                color=TEXT,
                size=f"{max(int(round(6.3 * 0.3528 * SCREEN_PX_PER_MM)), 6)}px",
            )
            key.item.setFont(_font(6.3))
            layout.layout.setRowStretchFactor(1, 10)
        # lay the scene out (no widget: this also works outside the GUI thread)
        layout.setGeometry(QRectF(0, 0, width_px, height_px))
        layout.layout.activate()
        plot.setXRange(x_low, right, padding=0)
        plot.setYRange(-0.55, n - 0.45, padding=0)
        QCoreApplication.processEvents()
        scene.prepareForPaint()
        svg = QSvgGenerator()
        svg.setFileName(str(path))
        svg.setSize(QSize(int(round(width_px)), int(round(height_px))))
        svg.setViewBox(QRectF(0, 0, width_px, height_px))
        svg.setResolution(int(round(SCREEN_PX_PER_MM * 25.4)))
        painter = QPainter(svg)
        area = QRectF(0, 0, width_px, height_px)
        scene.render(painter, area, area)
        painter.end()
        scene.clear()
        self.count += 1
        return path

    def score(self, width_mm: float, height_mm: float, parts: list[tuple[str, float]]) -> Path:
        """The parts of a candidate's score as bars on a 0–1 scale."""
        from .atlas_style import PRIMARY

        values = [v if _finite(v) else float("nan") for _, v in parts]
        texts = [[self._number(round(float(v), 2)) if _finite(v) else "—" for v in values]]
        return self.bars(
            width_mm,
            height_mm,
            [label for label, _ in parts],
            [("score", values, PRIMARY)],
            maximum=1.0,
            value_texts=texts,
        )
