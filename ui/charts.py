"""The dock's charts (pyqtgraph): supply vs need by family, candidates by family and status.

pyqtgraph is optional: :func:`load_pyqtgraph` sets ``PYQTGRAPH_QT_LIB`` to the binding behind
``qgis.PyQt`` before importing it, and returns None when it is not installed; the dock then
shows a message instead of the charts.
"""

from __future__ import annotations

import os

from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QFont
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..core.dependencies import pip_command
from ..core.workspace import STATUSES, candidates_by_status, family_balance
from ..layers.project import status_labels
from ..layers.workspace import STATUS_COLOURS
from ..translation import tr

_pg = None
_pg_checked = False


def qt_binding() -> str:
    """``PyQt5`` or ``PyQt6``: the binding ``qgis.PyQt`` is built on."""
    from qgis.PyQt.QtCore import QT_VERSION_STR

    return "PyQt6" if QT_VERSION_STR.startswith("6") else "PyQt5"


def load_pyqtgraph():
    """The pyqtgraph module on the right Qt binding, or None when it is missing."""
    global _pg, _pg_checked
    if _pg_checked:
        return _pg
    _pg_checked = True
    os.environ["PYQTGRAPH_QT_LIB"] = qt_binding()
    try:
        import pyqtgraph
    except ImportError:
        _pg = None
    else:
        # QGIS owns the application and tears it down itself: pyqtgraph's exit clean-up
        # would delete graphics items QGIS has already deleted (a crash on quitting)
        pyqtgraph.setConfigOptions(exitCleanup=False, antialias=True)
        _pg = pyqtgraph
    return _pg


def missing_message() -> str:
    return tr("Charts unavailable: pyqtgraph is not installed. Install it with: {command}").format(
        command=pip_command(["pyqtgraph"])
    )


def loop_rates(supply, need, candidates, public: bool) -> dict:
    """{unit: (today, after the synergies to pursue)} (core.metabolism; None: no supply)."""
    from ..core.metabolism import territory_metabolism

    if supply is None or need is None:
        return {}
    return territory_metabolism(supply, need, candidates, public=public)["loop_rate"]


def loop_text(rates: dict) -> str:
    from ..core.report_words import format_number
    from ..layers.summary import report_language

    lang = report_language()
    parts = []
    for unit, (before, after) in rates.items():
        if before is None:
            continue
        parts.append(
            tr("{unit}: {before} % today, {after} % with the synergies to pursue").format(
                unit=tr("tonnes") if unit == "t/yr" else tr("MWh"),
                before=format_number(100 * before, 0, lang),
                after=format_number(100 * after, 0, lang),
            )
        )
    if not parts:
        return tr("Local loop rate: no supply with a known quantity.")
    return tr("Local loop rate (supplies used in the territory): {rates}.").format(
        rates="; ".join(parts)
    )


class FamilyCharts(QWidget):
    """Two horizontal bar charts by family; clicking a bar emits ``familyClicked(code)``."""

    familyClicked = pyqtSignal(str)  # noqa: N815 - Qt signal name

    def __init__(self, parent=None, pyqtgraph_module="auto"):
        super().__init__(parent)
        self.pg = load_pyqtgraph() if pyqtgraph_module == "auto" else pyqtgraph_module
        self.labels: dict[str, tuple[str, str]] = {}
        self.balance_families: list[str] = []
        self.status_families: list[str] = []
        self.last_balance = None
        self.last_status = None
        self._items: dict[str, list] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if self.pg is None:
            self.message = QLabel(missing_message())
            self.message.setWordWrap(True)
            self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.message)
            self.measure = None
            return
        self.message = None
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("Supply and need by family, in")))
        self.measure = QComboBox()
        self.measure.addItem(tr("number of flows"), "count")
        self.measure.addItem(tr("tonnes per year (materials)"), "tonnes")
        row.addWidget(self.measure, 1)
        layout.addLayout(row)
        self.loop_label = QLabel()  # the local loop rate, today and after the decisions
        self.loop_label.setWordWrap(True)
        layout.addWidget(self.loop_label)
        self.balance_plot = self._plot()
        layout.addWidget(self.balance_plot, 1)
        layout.addWidget(QLabel(tr("Synergies by family and status (click a bar to filter)")))
        self.status_plot = self._plot()
        layout.addWidget(self.status_plot, 1)
        for plot, kind in ((self.balance_plot, "balance"), (self.status_plot, "status")):
            plot.scene().sigMouseClicked.connect(
                lambda event, p=plot, k=kind: self._clicked(event, p, k)
            )

    def available(self) -> bool:
        return self.pg is not None

    def _plot(self):
        pg = self.pg
        plot = pg.PlotWidget(background="w")
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMinimumHeight(170)
        font = QFont()
        font.setPointSize(10)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setTickFont(font)
            axis.setPen(pg.mkPen("#444444"))
            axis.setTextPen(pg.mkPen("#222222"))
        plot.showGrid(x=True, y=False, alpha=0.25)
        return plot

    def family_label(self, code: str) -> str:
        return self.labels.get(code, (code, "#999999"))[0]

    def family_colour(self, code: str) -> str:
        return self.labels.get(code, (code, "#999999"))[1]

    def update_charts(
        self, supply, need, candidates, labels, public=True, all_candidates=None
    ) -> None:
        """Redraw both charts (``labels``: family code -> (label, colour)) and the local loop
        rate (``all_candidates``: every candidate, whatever the filters; default
        ``candidates``)."""
        self.labels = dict(labels)
        if self.pg is None:
            return
        self.loop_rates = loop_rates(
            supply, need, candidates if all_candidates is None else all_candidates, public
        )
        self.loop_label.setText(loop_text(self.loop_rates))
        measure = self.measure.currentData() or "count"
        balance = family_balance(supply, need, measure, public)
        self.last_balance = balance
        self.last_status = candidates_by_status(candidates)
        self._draw_balance(balance)
        self._draw_status(self.last_status)

    def _ticks(self, plot, families):
        plot.getAxis("left").setTicks(
            [[(i, self.family_label(f)) for i, f in enumerate(families)], []]
        )

    # Bars are made once and updated in place: removing items from a pyqtgraph plot inside
    # QGIS prints "unable to convert a QVariant back to a Python object" for each of them.
    def _bars(self, plot, key, count, **style):
        items = self._items.setdefault(key, [])
        while len(items) < count:
            item = self.pg.BarGraphItem(x0=[0], y=[0], height=0.1, width=[0], **style)
            plot.addItem(item)
            items.append(item)
        return items

    def _draw_balance(self, balance) -> None:
        pg = self.pg
        plot = self.balance_plot
        families = balance["family"].tolist()
        self.balance_families = families
        supply_bar, need_bar = self._bars(plot, "balance", 2)
        if "balance_legend" not in self._items:
            legend = plot.addLegend(offset=(-10, 10), labelTextSize="10pt")
            legend.addItem(pg.BarGraphItem(x0=[0], y=[0], height=1, width=1, brush="#777777"),
                           tr("supplies (solid)"))  # fmt: skip
            legend.addItem(pg.BarGraphItem(x0=[0], y=[0], height=1, width=1, brush="#77777755"),
                           tr("needs (light)"))  # fmt: skip
            self._items["balance_legend"] = [legend]
        for item in (supply_bar, need_bar):
            item.setVisible(bool(families))
        if not families:
            return
        ys = list(range(len(families)))
        need_brushes = []
        for f in families:
            colour = QColor(self.family_colour(f))
            colour.setAlpha(110)
            need_brushes.append(colour)
        supply_bar.setOpts(
            x0=[0] * len(ys),
            y=[y - 0.19 for y in ys],
            height=0.36,
            width=balance["supply"].tolist(),
            brushes=[QColor(self.family_colour(f)) for f in families],
            pen=pg.mkPen("#333333", width=0.5),
        )
        need_bar.setOpts(
            x0=[0] * len(ys),
            y=[y + 0.19 for y in ys],
            height=0.36,
            width=balance["need"].tolist(),
            brushes=need_brushes,
            pen=pg.mkPen("#333333", width=0.5, style=Qt.PenStyle.DashLine),
        )
        self._ticks(plot, families)
        plot.setYRange(-0.6, len(families) - 0.4, padding=0)
        top = float(max(balance["supply"].max(), balance["need"].max(), 1))
        plot.setXRange(0, top * 1.05, padding=0)

    def _draw_status(self, table) -> None:
        pg = self.pg
        plot = self.status_plot
        families = table["family"].tolist() if len(table) else []
        self.status_families = families
        names = status_labels()
        if "status" not in self._items:
            plot.addLegend(offset=(-10, 10), labelTextSize="10pt")
            items = []
            for status in STATUSES:
                item = pg.BarGraphItem(
                    x0=[0], y=[0], height=0.1, width=[0],
                    brush=QColor(STATUS_COLOURS[status]),
                    pen=pg.mkPen("#ffffff", width=1),
                    name=names[status],
                )  # fmt: skip
                plot.addItem(item)
                items.append(item)
            self._items["status"] = items
        for item in self._items["status"]:
            item.setVisible(bool(families))
        if not families:
            return
        ys = list(range(len(families)))
        left = [0.0] * len(ys)
        for status, item in zip(STATUSES, self._items["status"], strict=True):
            widths = [float(v) for v in table[status].tolist()]
            item.setOpts(x0=list(left), y=ys, height=0.6, width=widths)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        self._ticks(plot, families)
        plot.setYRange(-0.6, len(families) - 0.4, padding=0)
        plot.setXRange(0, max(max(left), 1) * 1.05, padding=0)

    def family_at(self, plot, scene_pos) -> str | None:
        """The family of the bar row under ``scene_pos`` in ``plot`` (None outside)."""
        view = plot.plotItem.vb
        if not view.sceneBoundingRect().contains(scene_pos):
            return None
        y = view.mapSceneToView(scene_pos).y()
        families = self.balance_families if plot is self.balance_plot else self.status_families
        index = int(round(y))
        if 0 <= index < len(families) and abs(y - index) <= 0.45:
            return families[index]
        return None

    def _clicked(self, event, plot, kind) -> None:
        family = self.family_at(plot, event.scenePos())
        if family is not None:
            self.familyClicked.emit(family)

    def grab_png(self, path) -> bool:
        return self.grab().save(str(path))
