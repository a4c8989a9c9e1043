"""Charts of the atlas pages: horizontal bars painted with ``QPainter`` into SVG pictures.

QGIS 3.22's layouts have no chart item, so each chart is a picture that the page's picture
item reads from the path stored on the page. Charts only ever receive published figures
(see ``core/report.py``). They are painted straight onto a ``QSvgGenerator`` (off-screen,
in any thread): the PDF gets the chart as vectors and text, sharp at any zoom, and nothing
is compressed as a PNG to be decoded and compressed again as a JPEG. A chart is a few bars
and labels: painting them costs about a millisecond, where building a pyqtgraph plot for
each (as the dock does, for charts one clicks) cost twenty; a region's atlas has a hundred.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from qgis.PyQt.QtCore import QPointF, QRectF, QSize, Qt
from qgis.PyQt.QtGui import QColor, QFontMetricsF, QPainter, QPen
from qgis.PyQt.QtSvg import QSvgGenerator

from .atlas_style import MUTED, RULE, TEXT, font

SCREEN_PX_PER_MM = 6.0  # drawing scale of the widget
EXPORT_PX_PER_MM = 13.0  # ~330 dpi in the PDF (the pictures that are images)
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


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
        width_px, height_px = width_mm * SCREEN_PX_PER_MM, height_mm * SCREEN_PX_PER_MM
        n = max(len(labels), 1)
        k = max(len(series), 1)
        thickness = 0.8 / k
        values = [v for _, vals, _ in series for v in vals if _finite(v)]
        top = maximum if maximum is not None else max(values + [0.0]) or 1.0
        svg = QSvgGenerator()
        svg.setFileName(str(path))
        svg.setSize(QSize(int(round(width_px)), int(round(height_px))))
        svg.setViewBox(QRectF(0, 0, width_px, height_px))
        svg.setResolution(int(round(SCREEN_PX_PER_MM * 25.4)))
        painter = QPainter(svg)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = QRectF(2.0, 2.0, width_px - 8.0, height_px - 4.0)  # inside the margins
        if len(series) > 1 or unit:
            plot.setTop(plot.top() + self._key(painter, plot, series, unit))
        # category labels left of the bars, the bars from 0 to their value, the value
        # after each bar; x in the values' unit, y in rows (row i at n - 1 - i)
        tick_font = _font(6.0)
        shown = [_short(t, 30) for t in labels]
        label_px = max([QFontMetricsF(tick_font).horizontalAdvance(t) for t in shown] + [10.0])
        label_px += 8.0
        right = top * 1.32
        per_px = right / max(plot.width() - 10.0 - label_px, 10.0)
        x_low = -label_px * per_px
        y_low, y_high = -0.55, n - 0.45

        def x_of(value):
            return plot.left() + (value - x_low) / (right - x_low) * plot.width()

        def y_of(row):
            return plot.top() + (y_high - row) / (y_high - y_low) * plot.height()

        row_px = plot.height() / (y_high - y_low)
        painter.setPen(Qt.PenStyle.NoPen)
        value_font = _font(6.0 if k == 1 else 5.4)
        texts = []  # drawn after the bars
        for j, (_, vals, colour) in enumerate(series):
            painter.setBrush(QColor(colour))
            for i, value in enumerate(vals):
                row = n - 1 - i + (k - 1) * thickness / 2 - j * thickness
                width = float(value) if _finite(value) else 0.0
                half = thickness * 0.9 / 2
                painter.drawRect(QRectF(QPointF(x_of(0.0), y_of(row + half)),
                                        QPointF(x_of(width), y_of(row - half))))  # fmt: skip
                if value_texts:
                    text = value_texts[j][i]
                else:
                    text = self._number(value) if _finite(value) and value else ""
                if text:
                    texts.append((x_of(width + top * 0.015), y_of(row), text))
        painter.setPen(QColor(TEXT))
        painter.setFont(value_font)
        for x, y, text in texts:
            painter.drawText(QRectF(x, y - row_px, width_px, 2 * row_px), _LEFT, text)
        painter.setFont(tick_font)
        label_right = x_of(-3.0 * per_px)
        for i, text in enumerate(shown):
            y = y_of(n - 1 - i)
            painter.drawText(QRectF(0.0, y - row_px, label_right, 2 * row_px), _RIGHT, text)
        painter.setPen(QPen(QColor(RULE), 1.0))
        painter.drawLine(QPointF(x_of(0.0), y_of(-0.5)), QPointF(x_of(0.0), y_of(n - 0.5)))
        painter.end()
        self.count += 1
        return path

    def _key(self, painter, plot: QRectF, series, unit: str) -> float:
        """The key on top, right-aligned: a coloured square and the name of each series (when
        there are several), then the unit. Returns the height it takes."""
        key_font = _font(6.3)
        metrics = QFontMetricsF(key_font)
        pieces = []  # (text, colour)
        if len(series) > 1:
            for name, _, colour in series:
                pieces += [("\u25a0", colour), ("\u00a0" + str(name) + "\u2003", TEXT)]
        if unit:
            pieces.append((str(unit), MUTED))
        total = sum(metrics.horizontalAdvance(text) for text, _ in pieces)
        height = metrics.height() + 4.0
        painter.setFont(key_font)
        x = plot.right() - total
        for text, colour in pieces:
            painter.setPen(QColor(colour))
            advance = metrics.horizontalAdvance(text)
            painter.drawText(QRectF(x, plot.top(), advance + 1.0, height), _LEFT, text)
            x += advance
        return height

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
