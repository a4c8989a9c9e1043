"""Presentation mode: the map full screen with its legend, the QGIS chrome hidden; Esc leaves.

Everything hidden is recorded and given back as it was on leaving (toolbars, other docks,
menu bar, status bar, window state).
"""

from __future__ import annotations

from qgis.core import QgsSymbolLayerUtils
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QKeySequence
from qgis.PyQt.QtWidgets import (
    QDockWidget,
    QFrame,
    QGridLayout,
    QLabel,
    QShortcut,
    QToolBar,
    QVBoxLayout,
)

from ..translation import tr


class LegendOverlay(QFrame):
    """A legend drawn over the map canvas: the entries of the workshop layers shown."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self.setObjectName("EitLegendOverlay")
        self.setStyleSheet(
            "#EitLegendOverlay { background: rgba(255, 255, 255, 228); border: 1px solid #999;"
            " border-radius: 6px; } QLabel { color: #111; background: transparent; }"
        )
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 10, 12, 10)
        self.layout_.setSpacing(4)
        self.entries: list[str] = []

    def clear(self) -> None:
        while self.layout_.count():
            item = self.layout_.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
            elif item.layout() is not None:
                inner = item.layout()
                while inner.count():
                    child = inner.takeAt(0).widget()
                    if child is not None:
                        child.deleteLater()
        self.entries = []

    def set_sections(self, sections) -> None:
        """``sections``: [(title, [(symbol, label), ...]), ...] (symbol may be None)."""
        self.clear()
        for title, items in sections:
            if not items:
                continue
            heading = QLabel(f"<b>{title}</b>")
            heading.setStyleSheet("font-size: 15pt;")
            self.layout_.addWidget(heading)
            grid = QGridLayout()
            grid.setHorizontalSpacing(8)
            grid.setVerticalSpacing(2)
            for row, (symbol, label) in enumerate(items):
                if symbol is not None:
                    icon = QLabel()
                    icon.setPixmap(QgsSymbolLayerUtils.symbolPreviewPixmap(symbol, QSize(30, 22)))
                    grid.addWidget(icon, row, 0)
                text = QLabel(label)
                text.setStyleSheet("font-size: 13pt;")
                grid.addWidget(text, row, 1)
                self.entries.append(label)
            self.layout_.addLayout(grid)
        hint = QLabel(legend_hint())
        hint.setStyleSheet("font-size: 10pt; color: #555;")
        self.layout_.addWidget(hint)
        self.adjustSize()
        self.place()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.move(14, max(parent.height() - self.height() - 14, 0))


class Presentation:
    """Enters and leaves the presentation mode of the main window."""

    def __init__(self, iface, keep_dock, on_leave=None):
        self.iface = iface
        self.keep_dock = keep_dock
        self.on_leave = on_leave
        self.active = False
        self.saved: dict = {}
        self.overlay: LegendOverlay | None = None
        self.shortcut: QShortcut | None = None

    def enter(self, sections) -> None:
        if self.active:
            self.update_legend(sections)
            return
        window = self.iface.mainWindow()
        hidden = []
        for widget in window.findChildren(QToolBar) + window.findChildren(QDockWidget):
            if widget is self.keep_dock or widget.parent() is not window:
                continue
            if widget.isVisible():
                hidden.append(widget)
                widget.hide()
        bars = []
        for bar in (window.menuBar(), window.statusBar()):
            if bar is not None and bar.isVisible():
                bars.append(bar)
                bar.hide()
        self.saved = {"widgets": hidden, "bars": bars, "state": window.windowState()}
        window.showFullScreen()
        canvas = self.iface.mapCanvas()
        self.overlay = LegendOverlay(canvas)
        self.overlay.set_sections(sections)
        self.overlay.show()
        self.overlay.raise_()
        self.shortcut = QShortcut(QKeySequence(Qt.Key_Escape), window)
        self.shortcut.setContext(Qt.ApplicationShortcut)
        self.shortcut.activated.connect(self.leave)
        self.active = True

    def update_legend(self, sections) -> None:
        if self.overlay is not None:
            self.overlay.set_sections(sections)

    def leave(self) -> None:
        if not self.active:
            return
        window = self.iface.mainWindow()
        for widget in self.saved.get("widgets", []):
            try:
                widget.show()
            except RuntimeError:  # deleted meanwhile
                pass
        for bar in self.saved.get("bars", []):
            bar.show()
        window.setWindowState(self.saved.get("state", Qt.WindowMaximized))
        if self.overlay is not None:
            self.overlay.hide()
            self.overlay.deleteLater()
            self.overlay = None
        if self.shortcut is not None:
            self.shortcut.activated.disconnect(self.leave)
            self.shortcut.setEnabled(False)
            self.shortcut.deleteLater()
            self.shortcut = None
        self.saved = {}
        self.active = False
        if self.on_leave is not None:
            self.on_leave()


def legend_hint() -> str:
    return tr("Esc: leave the presentation")
