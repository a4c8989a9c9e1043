"""Presentation mode: the map full screen with its legend, the QGIS chrome hidden; Esc leaves.

The workshop dock shrinks to a narrow column (or moves to a second screen when there is
one); the territory fills the rest beside the legend (:mod:`ui.stage`). Everything hidden or
resized is recorded and given back as it was on leaving (toolbars, other docks, menu bar,
status bar, window state, the dock's width).
"""

from __future__ import annotations

from qgis.core import QgsRectangle, QgsSymbolLayerUtils
from qgis.PyQt.QtCore import QEvent, QSize, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QGuiApplication, QKeySequence
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
from .stage import arrange

#: the dock's width in presentation: this share of the screen, within these bounds (pixels)
DOCK_SHARE, DOCK_MIN, DOCK_MAX = 0.2, 300, 420
QWIDGETSIZE_MAX = 16777215


def compact(dock, on: bool, saved=None):
    """The dock as the facilitator needs it in front of the room: the list, the decision
    buttons and the notes in a smaller font; the score bars and the open button hidden, the
    other tabs allowed to be narrower. Returns what to give back (``on``), or restores
    ``saved``."""
    from qgis.PyQt.QtWidgets import QSizePolicy

    root = dock.widget()
    pages = [dock.tabs.widget(i) for i in range(dock.tabs.count())]
    if on:
        buttons = list(dock.status_buttons.values())
        saved = {"style": root.styleSheet(), "policies": [p.sizePolicy() for p in pages],
                 "buttons": [b.styleSheet() for b in buttons]}  # fmt: skip
        for button in buttons:
            button.setStyleSheet(button.styleSheet().replace("padding: 6px", "padding: 4px 1px"))
        # a style sheet, since QGIS's own sets the font size of every widget
        root.setStyleSheet(saved["style"] + " QWidget { font-size: 9pt; }")
        dock.table.setColumnHidden(2, True)  # the quantities are in the detail below
        for page in pages:
            page.setSizePolicy(QSizePolicy.Policy.Ignored, page.sizePolicy().verticalPolicy())
        for widget in (dock.parts_box, dock.open_button):
            widget.hide()
        return saved
    root.setStyleSheet(saved["style"])
    for button, style in zip(dock.status_buttons.values(), saved["buttons"], strict=True):
        button.setStyleSheet(style)
    dock.table.setColumnHidden(2, False)
    for page, policy in zip(pages, saved["policies"], strict=True):
        page.setSizePolicy(policy)
    for widget in (dock.parts_box, dock.open_button):
        widget.show()
    return None


class LegendOverlay(QFrame):
    """A legend drawn over the map canvas: the entries of the workshop layers shown."""

    canvasResized = pyqtSignal()  # noqa: N815 - Qt signal name

    def __init__(self, canvas):
        super().__init__(canvas)
        canvas.installEventFilter(self)
        self.setObjectName("EitLegendOverlay")
        self.setStyleSheet(
            "#EitLegendOverlay { background: rgba(255, 255, 255, 228); border: 1px solid #999;"
            " border-radius: 6px; } QLabel { color: #111; background: transparent; }"
        )
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 10, 12, 10)
        self.layout_.setSpacing(4)
        self.entries: list[str] = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.canvasResized.emit()
        return False

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
        """``sections``: [(title, [(symbol, label), ...]), ...] (symbol may be None); the
        text is sized for the map's height (readable from the back of the room, without
        taking a third of a small screen)."""
        self.clear()
        parent = self.parentWidget()
        k = min(max((parent.height() if parent is not None else 1080) / 1080, 0.75), 1.15)
        for title, items in sections:
            if not items:
                continue
            heading = QLabel(f"<b>{title}</b>")
            heading.setStyleSheet(f"font-size: {15 * k:.1f}pt;")
            self.layout_.addWidget(heading)
            grid = QGridLayout()
            grid.setColumnStretch(1, 1)
            grid.setHorizontalSpacing(8)
            grid.setVerticalSpacing(2)
            for row, (symbol, label) in enumerate(items):
                if symbol is not None:
                    icon = QLabel()
                    icon.setPixmap(
                        QgsSymbolLayerUtils.symbolPreviewPixmap(
                            symbol, QSize(round(30 * k), round(22 * k))
                        )
                    )
                    grid.addWidget(icon, row, 0)
                text = QLabel(label)
                text.setStyleSheet(f"font-size: {13 * k:.1f}pt;")
                grid.addWidget(text, row, 1)
                self.entries.append(label)
            self.layout_.addLayout(grid)
        hint = QLabel(legend_hint())
        hint.setStyleSheet(f"font-size: {10 * k:.1f}pt; color: #555;")
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
        self.stage = None  # the last layout of the map (ui.stage.Stage)
        self._fitted = None  # (box, points) it was made for

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
        self.saved = {"widgets": hidden, "bars": bars, "state": window.windowState(),
                      "geometry": window.geometry()}  # fmt: skip
        screen = window.screen() if hasattr(window, "screen") else None
        screen = screen or QGuiApplication.primaryScreen()
        window.showFullScreen()
        if window.geometry() != screen.geometry():  # no window manager to do it (Xvfb)
            window.setGeometry(screen.geometry())
        self._shrink_dock(window, screen)
        canvas = self.iface.mapCanvas()
        self.overlay = LegendOverlay(canvas)
        self.overlay.canvasResized.connect(self._canvas_resized)
        self.overlay.set_sections(sections)
        self.overlay.show()
        self.overlay.raise_()
        self.shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
        self.shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.shortcut.activated.connect(self.leave)
        self.active = True

    def _shrink_dock(self, window, screen) -> None:
        """The dock to a narrow column, or to another screen when there is one."""
        dock = self.keep_dock
        if dock is None:
            return
        self.saved["dock"] = {
            "minimum": dock.minimumWidth(), "width": dock.width(),
            "floating": dock.isFloating(), "geometry": dock.geometry(),
        }  # fmt: skip
        others = [s for s in QGuiApplication.screens() if s is not screen]
        if others:
            dock.setFloating(True)
            dock.setGeometry(others[0].availableGeometry())
            return
        self.saved["compact"] = compact(dock, True)
        width = int(min(max(screen.geometry().width() * DOCK_SHARE, DOCK_MIN), DOCK_MAX))
        dock.setMinimumWidth(DOCK_MIN)
        dock.setMaximumWidth(width)  # the main window gives the rest to the map
        window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def _restore_dock(self, window) -> None:
        saved = self.saved.get("dock")
        dock = self.keep_dock
        if not saved or dock is None:
            return
        if "compact" in self.saved:
            compact(dock, False, self.saved["compact"])
        dock.setMaximumWidth(QWIDGETSIZE_MAX)
        dock.setMinimumWidth(saved["minimum"])
        if dock.isFloating() != saved["floating"]:
            dock.setFloating(saved["floating"])
        if saved["floating"]:
            dock.setGeometry(saved["geometry"])
        else:
            window.resizeDocks([dock], [saved["width"]], Qt.Orientation.Horizontal)

    def fit(self, box: QgsRectangle, points) -> None:
        """Show ``box`` (the territory and its actors, map units) as large as the screen
        allows beside the legend, the legend in a corner without actors (``points``)."""
        canvas = self.iface.mapCanvas()
        legend = None
        if self.overlay is not None:
            legend = (self.overlay.width(), self.overlay.height())
        self._fitted = (QgsRectangle(box), list(points))
        self.stage = arrange(
            canvas.width(), canvas.height(),
            (box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()),
            legend, self._fitted[1],
        )  # fmt: skip
        canvas.setExtent(QgsRectangle(*self.stage.extent))
        canvas.refresh()
        if self.overlay is not None and self.stage.legend is not None:
            self.overlay.move(*self.stage.legend)

    def _canvas_resized(self) -> None:
        """The window or the dock settled after the map was fitted: fit it again."""
        if self._fitted is not None:
            QTimer.singleShot(0, lambda: self._fitted is not None and self.fit(*self._fitted))

    def update_legend(self, sections) -> None:
        if self.overlay is None:
            return
        before = self.overlay.size()
        self.overlay.set_sections(sections)
        if self._fitted is not None and self.overlay.size() != before:
            self.fit(*self._fitted)  # the map makes room for the legend's new size
        elif self.stage is not None and self.stage.legend is not None:
            self.overlay.move(*self.stage.legend)

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
        window.setWindowState(self.saved.get("state", Qt.WindowState.WindowMaximized))
        if "geometry" in self.saved and not window.isMaximized():
            window.setGeometry(self.saved["geometry"])
        self._restore_dock(window)
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
        self.stage = self._fitted = None
        self.active = False
        if self.on_leave is not None:
            self.on_leave()


def legend_hint() -> str:
    return tr("Esc: leave the presentation")
