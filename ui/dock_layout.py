"""The workshop dock's widgets: head, sliders, tabs (synergies, filters, actors, charts) and
the status line. Built once; the other parts connect to what is built here."""

from __future__ import annotations

from qgis.core import QgsSymbolLayerUtils
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QFont
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..layers.workspace import STATUS_COLOURS, actor_renderer
from ..translation import tr
from .charts import FamilyCharts
from .dock_text import DISTANCE_MAX_KM, MAP_LIMIT
from .filter_controls import map_limit_row, top_k_row
from .notes import NotesKeeper


class DockLayout:
    """Builds the dock's widgets (a part of :class:`ui.dock.WorkshopDock`)."""

    def _build(self) -> None:
        root = QWidget()
        root.setObjectName("EitWorkshopRoot")
        font = QFont(root.font())
        font.setPointSize(max(font.pointSize(), 11))
        root.setFont(font)
        layout = QVBoxLayout(root)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)

        head = QHBoxLayout()
        self.title = QLabel(tr("No workspace open"))
        self.title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.title, 1)
        self.open_button = QPushButton(tr("Open a workspace…"))
        self.open_button.clicked.connect(self.choose_workspace)
        head.addWidget(self.open_button)
        self.open_pg_button = QPushButton(tr("PostgreSQL…"))
        self.open_pg_button.setToolTip(
            tr("Open a territory's workspace in PostgreSQL (a QGIS connection and a schema)")
        )
        self.open_pg_button.clicked.connect(self.choose_pg_workspace)
        head.addWidget(self.open_pg_button)
        layout.addLayout(head)

        modes = QHBoxLayout()
        self.public_check = QCheckBox(tr("Public mode"))
        self.public_check.setToolTip(
            tr("Confidential flows show neither a name nor a quantity, on the map and in the list")
        )
        self.public_check.setChecked(True)
        self.public_check.toggled.connect(self.set_public)
        modes.addWidget(self.public_check)
        self.presentation_button = QPushButton(tr("Presentation"))
        self.presentation_button.setCheckable(True)
        self.presentation_button.setToolTip(
            tr("Map full screen with its legend, QGIS toolbars hidden (Esc to leave)")
        )
        self.presentation_button.toggled.connect(self.set_presentation)
        modes.addWidget(self.presentation_button)
        self.undo_button = QPushButton(tr("Undo"))
        self.undo_button.setToolTip(tr("Undo the last decision (Ctrl+Z)"))
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo)
        modes.addWidget(self.undo_button)
        layout.addLayout(modes)

        sliders = QGridLayout()
        self.distance_label = QLabel()
        self.distance_slider = QSlider(Qt.Orientation.Horizontal)
        self.distance_slider.setRange(0, DISTANCE_MAX_KM)
        self.distance_slider.setValue(0)
        self.distance_slider.setPageStep(5)
        self.distance_slider.valueChanged.connect(self._distance_moved)
        self.distance_slider.sliderReleased.connect(self._distance_released)
        sliders.addWidget(self.distance_label, 0, 0)
        sliders.addWidget(self.distance_slider, 0, 1)
        self.score_label = QLabel()
        self.score_slider = QSlider(Qt.Orientation.Horizontal)
        self.score_slider.setRange(0, 100)
        self.score_slider.setSingleStep(5)
        self.score_slider.setPageStep(10)
        self.score_slider.valueChanged.connect(self._score_moved)
        sliders.addWidget(self.score_label, 1, 0)
        sliders.addWidget(self.score_slider, 1, 1)
        sliders.setColumnStretch(1, 1)
        layout.addLayout(sliders)
        self._update_slider_labels()

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_synergy_tab(), tr("Synergies"))
        self.tabs.addTab(self._build_filter_tab(), tr("Filters"))
        self.tabs.addTab(self._build_actor_tab(), tr("Actors"))
        self.charts = FamilyCharts()
        self.charts.familyClicked.connect(self.filter_on_family)
        if self.charts.measure is not None:
            self.charts.measure.currentIndexChanged.connect(self.refresh_charts)
        self.tabs.addTab(self.charts, tr("Charts"))
        self._charts_dirty = True
        self.tabs.currentChanged.connect(self._tab_changed)
        layout.addWidget(self.tabs, 1)

        self.status_line = QLabel()
        self.status_line.setWordWrap(True)
        self.status_line.setStyleSheet("color: #444;")
        layout.addWidget(self.status_line)
        self.setWidget(root)
        self.setMinimumWidth(420)
        self._set_enabled(False)

    def _build_synergy_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(2, 4, 2, 2)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [tr("Score"), tr("Resource, from → to"), tr("Quantity"), tr("Status")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        # a row holds the resource, then supplier → receiver: room for four lines in a
        # narrow panel (the tooltip has the whole text), at a fixed height instead of
        # measuring each cell again whenever the list changes
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().lineSpacing() * 4 + 8)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # fitted once per fill
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._row_selected)
        layout.addWidget(self.table, 3)

        detail = QGroupBox(tr("Selected synergy"))
        self.detail_box = detail
        grid = QVBoxLayout(detail)
        self.detail_title = QLabel(tr("Select a synergy in the list"))
        self.detail_title.setWordWrap(True)
        self.detail_title.setStyleSheet("font-weight: bold;")
        grid.addWidget(self.detail_title)
        self.parts_box = QWidget()  # hidden in presentation, where the dock is narrow
        parts = QGridLayout(self.parts_box)
        parts.setContentsMargins(0, 0, 0, 0)
        self.part_bars = {}
        names = {
            "score_compat": tr("Compatibility"),
            "score_coverage": tr("Quantities"),
            "score_distance": tr("Distance"),
            "score_season": tr("Season"),
        }
        for row, (column, name) in enumerate(names.items()):
            parts.addWidget(QLabel(name), row // 2, (row % 2) * 2)
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setTextVisible(True)
            bar.setMaximumHeight(18)
            parts.addWidget(bar, row // 2, (row % 2) * 2 + 1)
            self.part_bars[column] = bar
        grid.addWidget(self.parts_box)
        self.detail_flows = QLabel()
        self.detail_flows.setWordWrap(True)
        self.detail_flows.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(self.detail_flows)
        buttons = QHBoxLayout()
        self.status_buttons = {}
        for status, text in (
            ("retained", tr("To pursue")),
            ("to_explore", tr("To look into")),
            ("rejected", tr("Set aside")),
        ):
            button = QPushButton(text)
            button.setStyleSheet(
                f"QPushButton {{ background: {STATUS_COLOURS[status]}; color: white;"
                " font-weight: bold; padding: 6px; border-radius: 4px; }"
                " QPushButton:disabled { background: #cccccc; }"
            )
            button.clicked.connect(lambda _=False, s=status: self.set_status(s))
            buttons.addWidget(button)
            self.status_buttons[status] = button
        grid.addLayout(buttons)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(tr("Open questions raised in the room…"))
        self.notes.setMaximumHeight(70)
        self.notes.setToolTip(tr("Saved in the workspace as you type"))
        self.notes_keeper = NotesKeeper(self.notes, self.save_notes, parent=self)
        grid.addWidget(self.notes)
        layout.addWidget(detail, 2)
        self._show_detail(None)
        return tab

    def _build_filter_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(QLabel(tr("Resource families")))
        self.family_list = QListWidget()
        self.family_list.itemChanged.connect(self._filters_changed)
        layout.addWidget(self.family_list, 3)
        layout.addWidget(QLabel(tr("Types of actors")))
        self.category_list = QListWidget()
        self.category_list.itemChanged.connect(self._filters_changed)
        layout.addWidget(self.category_list, 2)
        row, self.map_limit = map_limit_row(MAP_LIMIT)
        self.map_limit.valueChanged.connect(self._filters_changed)
        layout.addLayout(row)
        row, self.top_k = top_k_row()
        self.top_k.valueChanged.connect(self._distance_moved)  # a new search, as the distance
        layout.addLayout(row)
        row = QHBoxLayout()
        everything = QPushButton(tr("Show everything"))
        everything.clicked.connect(self.reset_filters)
        row.addWidget(everything)
        layout.addLayout(row)
        return tab

    def _build_actor_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.pick_button = QPushButton(tr("Pick an actor on the map"))
        self.pick_button.setCheckable(True)
        self.pick_button.toggled.connect(self._pick_actor_mode)
        layout.addWidget(self.pick_button)
        self.place_button = QPushButton(tr("Place a new actor on the map"))
        self.place_button.setCheckable(True)
        self.place_button.toggled.connect(self._place_actor_mode)
        layout.addWidget(self.place_button)
        self.flow_button = QPushButton(tr("Add or correct a supply or need…"))
        self.flow_button.clicked.connect(lambda: self.open_flow_form(self.selected_actor))
        layout.addWidget(self.flow_button)
        self.actor_info = QLabel(tr("Click an actor to see its neighbours within the distance."))
        self.actor_info.setWordWrap(True)
        self.actor_info.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.actor_info)
        legend = QGroupBox(tr("Types of actors"))
        form = QFormLayout(legend)
        for category in actor_renderer().categories():
            icon = QLabel()
            size = QSize(20, 20)
            icon.setPixmap(QgsSymbolLayerUtils.symbolPreviewPixmap(category.symbol(), size))
            form.addRow(icon, QLabel(category.label()))
        layout.addWidget(legend)
        layout.addStretch(1)
        return tab

    def _tab_changed(self, _index) -> None:
        if self.tabs.currentWidget() is self.charts and self._charts_dirty:
            self.refresh_charts()

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.tabs, self.distance_slider, self.score_slider):
            widget.setEnabled(on)
