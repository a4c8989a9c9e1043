"""The workshop dock: the facilitator's panel during a resource-sharing workshop.

It opens a workspace (``eit.gpkg``), filters the map live (subset strings), re-runs the
candidate search when the distance slider moves (a debounced ``QgsTask``), lists the
candidates by score, records the room's decisions at once in the GeoPackage (with undo),
takes new supplies and needs through a form, draws charts, and keeps confidential flows out
of sight in public mode. Its state is saved in the QGIS project.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from qgis.core import (
    Qgis,
    QgsExpression,
    QgsExpressionContextUtils,
    QgsFeatureRequest,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsSymbolLayerUtils,
)
from qgis.gui import (
    QgsDockWidget,
    QgsMapToolEmitPoint,
    QgsMapToolIdentifyFeature,
)
from qgis.PyQt.QtCore import QEvent, QSize, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QBrush, QColor, QFont, QIcon, QKeySequence, QPixmap
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.workspace import (
    DECIDED_STATUSES,
    LAYERS,
    STATUSES,
    candidate_mask,
    confidential_rows,
    decisions_to_carry,
    new_actor_id,
    new_flow_id,
)
from ..layers.precedents_text import precedents_line
from ..layers.project import CATEGORY_SYMBOLS, status_labels
from ..layers.styles import DECIDED
from ..layers.workspace import (
    STATUS_COLOURS,
    WorkspaceStore,
    actor_renderer,
    apply_workshop_style,
    category_label,
    find_layers,
    gpkg_tables,
    load_workspace,
    normalise_path,
    project_workspace,
)
from ..translation import tr
from .charts import FamilyCharts
from .filter_controls import DEFAULT_TOP_K, map_limit_row, top_k_row
from .marks import MapMarks
from .notes import NotesKeeper
from .presentation import Presentation
from .project_state import in_temporary_folder, temporary_warning, untouched
from .tasks import SearchRunner, TableWriter, attach, detach

SCOPE = "eit_synergies"
DISTANCE_MAX_KM = 60
#: rows of the candidate list: the best ones (the status line tells how many are shown)
LIST_LIMIT = 200
#: lines drawn on the map by default: the best visible ones, plus every decided one (tens of
#: thousands of lines are unreadable on a projector and slow to draw; the facilitator can
#: change it in the Filters tab, the status line tells when some are left out)
MAP_LIMIT = 3000
NO_CATEGORY = ""
_UNITS_FR = {"t/yr": "t/an", "MWh/yr": "MWh/an", "m3/yr": "m³/an", "h/yr": "h/an",
             "unit/yr": "u./an", "m2": "m²"}  # fmt: skip


def truthy(value) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "oui", "yes", "t", "o"}
    return bool(value)


def quantity_text(value, unit) -> str:
    """``1 234 t/an`` (French digit grouping), ``?`` when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    number = float(value)
    digits = 0 if abs(number) >= 10 else 1
    text = f"{number:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} {_UNITS_FR.get(str(unit), unit or '')}".strip()


def sql_in(column: str, values) -> str:
    """``"column" IN ('a','b')`` (``""`` in values stands for NULL or empty)."""
    values = list(values)
    quoted = [QgsExpression.quotedValue(v) for v in values if v != NO_CATEGORY]
    ref = QgsExpression.quotedColumnRef(column)
    parts = [f"{ref} IN ({','.join(quoted)})"] if quoted else []
    if NO_CATEGORY in values:
        parts.append(f"({ref} IS NULL OR {ref} = '')")
    return "(" + " OR ".join(parts) + ")" if parts else "(0 = 1)"


class WorkshopDock(QgsDockWidget):
    """The workshop panel (see the module docstring)."""

    candidatesUpdated = pyqtSignal()  # noqa: N815 - Qt signal name
    candidatesSaved = pyqtSignal()  # noqa: N815 - the whole table is in the GeoPackage
    decisionWritten = pyqtSignal(str)  # noqa: N815
    flowWritten = pyqtSignal(str)  # noqa: N815

    def __init__(self, iface, parent=None):
        super().__init__(tr("EIT workshop"), parent)
        self.setObjectName("EitWorkshopDock")
        self.iface = iface
        self.project = QgsProject.instance()
        self._catalogue = None
        self.store: WorkspaceStore | None = None
        self.layers: dict = {}
        self.actors = None
        self.supply = None
        self.need = None
        self.candidates = None
        self.decisions = None
        self.undo_stack: list[dict] = []
        self.public = True
        self.last_search_seconds = None
        self.last_round_trip = None
        self._search_started = None
        self._restoring = False
        self._current_id: str | None = None
        self.marks = MapMarks(iface.mapCanvas())
        self.selected_actor: str | None = None
        self.map_tool = None
        self._previous_tool = None
        self._connections: list = []
        self.presentation = Presentation(iface, self, self._presentation_left)
        self.runner = SearchRunner(self._task_args, self._search_done, 300, self)
        self.writer = TableWriter(self._table_saved, self)
        self._mask_cache = None
        self._pending_save = None  # the whole candidates table, to write in the background
        self._decision_serial = 0  # decisions written so far (a search started before one
        self._search_serial = 0  # of them carries it again when it ends)
        self._build()
        self._connect(self.project.writeProject, self.write_state)
        self._connect(self.project.readProject, self.read_state)
        self._connect(self.project.cleared, self.close_workspace)
        self._connect(self.project.layersWillBeRemoved, self._layers_removed)

    # ------------------------------------------------------------------ plumbing
    def _connect(self, signal, slot) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    def disconnect_all(self) -> None:
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        self._connections = []

    def cleanup(self) -> None:
        """Undo everything the dock did outside itself (called by the plugin's unload)."""
        self.runner.stop()
        self.notes_keeper.detach()
        self.settle_writes()
        self.presentation.leave()
        self._unset_map_tool()
        canvas = self.iface.mapCanvas()
        if canvas is not None:  # no render job may read the layers about to be removed
            canvas.stopRendering()
            canvas.waitWhileRendering()
        self.close_workspace()
        self.disconnect_all()

    @property
    def catalogue(self):
        if self._catalogue is None:
            from ..core.catalogue import Catalogue

            self._catalogue = Catalogue.builtin()
        return self._catalogue

    def family_labels(self) -> dict[str, tuple[str, str]]:
        from ..layers.styles import family_labels

        return family_labels(self.catalogue.families_frame)

    # ------------------------------------------------------------------ widgets
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

    # ------------------------------------------------------------------ workspace
    def choose_workspace(self) -> None:
        start = project_workspace(self.project) or self.project.absolutePath() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Open a workspace"), start, tr("EIT workspace (*.gpkg)")
        )
        if path:
            self.open_workspace(path)

    def open_workspace(self, path=None) -> bool:
        """Open ``path`` (default: the workspace of the current project) and load its layers."""
        path = path or project_workspace(self.project)
        if not path or not Path(path).exists():
            self._message(tr("No workspace found: open an eit.gpkg."), Qgis.MessageLevel.Warning)
            return False
        tables = set(gpkg_tables(path))
        missing = [LAYERS[r] for r in ("actors", "supply", "need", "candidates") if
                   LAYERS[r] not in tables]  # fmt: skip
        if missing:
            self._message(
                tr("{path} is not an EIT workspace (missing tables: {tables}).").format(
                    path=path, tables=", ".join(missing)
                ),
                Qgis.MessageLevel.Warning,
            )
            return False
        self.close_workspace()
        self.store = WorkspaceStore(path)
        self.store.ensure_decisions()
        self._set_public_variable()
        self.layers = load_workspace(self.project, path, self.catalogue.families_frame)
        with untouched(self.project):
            for role, layer in self.layers.items():
                apply_workshop_style(layer, role, self.catalogue.families_frame)
                layer.dataProvider().reloadData()  # opened by the project before WAL mode
        self._connect_layers()
        self.reload_frames()
        self.candidates = self.store.frame("candidates")
        self.decisions = self.store.frame("decisions", with_geometry=False)
        self._fill_filter_lists()
        self._restoring = True
        self.distance_slider.setValue(self._workspace_distance())
        self._restoring = False
        self._update_slider_labels()
        name = self._workspace_title(path)
        self.title.setText(name)
        self.title.setToolTip(path)
        if not self.project.title():
            with untouched(self.project):
                self.project.setTitle(name)
        if in_temporary_folder(path):
            self._message(temporary_warning(path), Qgis.MessageLevel.Warning)
        self._set_enabled(True)
        self.apply_filters()
        self.refresh_charts()
        self._zoom_to_workspace()
        self._update_status_line()
        return True

    def close_workspace(self) -> None:
        self.notes_keeper.flush()  # the words typed are written before the store closes
        self.runner.stop()
        self.settle_writes()  # the candidates table is left whole
        self.marks.clear()
        self._disconnect_layers()
        if self.store is not None:
            self.store.close()
        self.store = None
        self.layers = {}
        self.actors = self.supply = self.need = self.candidates = self.decisions = None
        self.undo_stack = []
        self._current_id = None
        if hasattr(self, "table"):
            self.table.setRowCount(0)
            self._show_detail(None)
            self.undo_button.setEnabled(False)
            self.title.setText(tr("No workspace open"))
            self._set_enabled(False)

    def _layers_removed(self, ids) -> None:
        gone = [role for role, layer in self.layers.items() if _layer_id(layer) in set(ids)]
        for role in gone:
            if role == "actors":
                self._disconnect_layers()
            self.layers.pop(role, None)

    def _connect_layers(self) -> None:
        actors = self.layers.get("actors")
        if actors is not None:
            actors.selectionChanged.connect(self._actor_selection_changed)

    def _disconnect_layers(self) -> None:
        actors = self.layers.get("actors") if self.layers else None
        if actors is not None:
            try:
                actors.selectionChanged.disconnect(self._actor_selection_changed)
            except (TypeError, RuntimeError):
                pass

    def reload_frames(self) -> None:
        """Read the actors and the flows again (unfiltered) from the GeoPackage."""
        self.actors = self.store.frame("actors")
        self.supply = self.store.frame("supply")
        self.need = self.store.frame("need")

    def _workspace_title(self, path) -> str:
        """The territory's name the workspace records (its latest run's, else its territory
        table's), else the folder's; never the name of one of its communes."""
        from ..core.territory import recorded_name

        runs = self.store.frame("runs", with_geometry=False)
        name = recorded_name(runs, self.store.frame("territory", with_geometry=False))
        return name or Path(path).parent.name or Path(path).name

    def _workspace_distance(self) -> int:
        if self.candidates is None or not len(self.candidates):
            return 0
        limits = pd.to_numeric(self.candidates["max_distance_km"], errors="coerce").dropna()
        if len(limits) and limits.nunique() == 1 and 0 < limits.iloc[0] <= DISTANCE_MAX_KM:
            return int(round(limits.iloc[0]))
        return 0

    def _zoom_to_workspace(self) -> None:
        canvas = self.iface.mapCanvas()
        extent = QgsRectangle()
        for role in ("actors", "territory"):
            layer = self.layers.get(role)
            if layer is not None and layer.featureCount():
                box = canvas.mapSettings().layerExtentToOutputExtent(layer, layer.extent())
                if extent.isEmpty():
                    extent = box
                else:
                    extent.combineExtentWith(box)
        if extent.isEmpty():
            return
        if self.presentation.active:  # the territory fills the screen beside the legend
            self.presentation.fit(extent, self._actor_points())
            return
        extent.scale(1.3)  # room for the labels around the edge
        canvas.setExtent(extent)
        canvas.refresh()

    def _actor_points(self) -> list[tuple[float, float, float]]:
        """The actors' positions in the map's CRS, with their labels' reach (pixels)."""
        layer = self.layers.get("actors")
        if layer is None or self.actors is None:
            return []
        settings = self.iface.mapCanvas().mapSettings()
        out = []
        for row in self.actors.itertuples():
            if row.geometry is not None and not row.geometry.is_empty:
                p = settings.layerToMapCoordinates(
                    layer, QgsPointXY(row.geometry.x, row.geometry.y)
                )
                text = self.actor_text(row.name, truthy(getattr(row, "confidential", True)))
                out.append((p.x(), p.y(), min(8.5 * len(text), 360.0)))  # its label
        return out

    # ------------------------------------------------------------------ filters
    def _fill_filter_lists(self) -> None:
        labels = self.family_labels()
        present = set()
        for frame in (self.supply, self.need):
            if frame is not None and len(frame):
                present |= set(frame["family"].dropna().astype(str))
        self.family_list.blockSignals(True)
        self.family_list.clear()
        for code, (label, colour) in labels.items():
            if code not in present:
                continue
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            pixmap = QPixmap(16, 16)
            pixmap.fill(QColor(colour))
            item.setIcon(QIcon(pixmap))
            self.family_list.addItem(item)
        self.family_list.blockSignals(False)
        categories = set()
        if self.actors is not None and len(self.actors):
            categories = {
                NO_CATEGORY if pd.isna(c) or str(c) == "" else str(c)
                for c in self.actors["category"]
            }
        self.category_list.blockSignals(True)
        self.category_list.clear()
        order = list(CATEGORY_SYMBOLS) + sorted(categories - set(CATEGORY_SYMBOLS))
        for value in order:
            if value not in categories:
                continue
            item = QListWidgetItem(category_label(value))
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.category_list.addItem(item)
        self.category_list.blockSignals(False)

    @staticmethod
    def _checked(widget: QListWidget, state=Qt.CheckState.Checked) -> list[str]:
        return [
            widget.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(widget.count())
            if widget.item(i).checkState() == state
        ]

    def selected_families(self):
        """Checked family codes (None when all are)."""
        if not self._checked(self.family_list, Qt.CheckState.Unchecked):
            return None
        return self._checked(self.family_list)

    def selected_categories(self):
        if not self._checked(self.category_list, Qt.CheckState.Unchecked):
            return None
        return self._checked(self.category_list)

    def min_score(self) -> float:
        return self.score_slider.value() / 100.0

    def distance_km(self) -> float:
        return float(self.distance_slider.value())

    def set_checked(self, widget: QListWidget, values) -> None:
        """Check exactly ``values`` (None: all) without applying one change per item."""
        widget.blockSignals(True)
        for i in range(widget.count()):
            item = widget.item(i)
            on = values is None or item.data(Qt.ItemDataRole.UserRole) in set(values)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        widget.blockSignals(False)
        self._filters_changed()

    def reset_filters(self) -> None:
        self.set_checked(self.family_list, None)
        self.set_checked(self.category_list, None)
        self.score_slider.setValue(0)

    def filter_on_family(self, family: str) -> None:
        """Show only ``family`` (a second click on the same family shows them all again)."""
        if self.selected_families() == [family]:
            self.set_checked(self.family_list, None)
        else:
            self.set_checked(self.family_list, [family])

    def _filters_changed(self, *_args) -> None:
        if not self._restoring:
            self.apply_filters()

    def _score_moved(self, _value) -> None:
        self._update_slider_labels()
        if not self._restoring:
            self.apply_filters()

    def _update_slider_labels(self) -> None:
        km = self.distance_slider.value()
        self.distance_label.setText(
            tr("Distance: {km} km").format(km=km) if km else tr("Distance: per resource")
        )
        self.score_label.setText(
            tr("Minimum score: {score}").format(
                score=f"{self.score_slider.value() / 100:.2f}".replace(".", ",")
            )
        )

    def subset_strings(self) -> dict[str, str]:
        """role -> the SQL filter of the current filters."""
        families = self.selected_families()
        categories = self.selected_categories()
        family = sql_in("family", families) if families is not None else ""
        out = {}
        out["actors"] = sql_in("category", categories) if categories is not None else ""
        for role in ("supply", "need"):
            parts = [family] if family else []
            if categories is not None:
                parts.append(sql_in("actor_category", categories))
            out[role] = " AND ".join(parts)
        parts = [family] if family else []
        if categories is not None:
            parts.append(
                f"({sql_in('supplier_category', categories)} OR "
                f"{sql_in('receiver_category', categories)})"
            )
        if self.score_slider.value():
            parts.append(f'"score" >= {self.min_score() - 1e-9:.6f}')
        threshold = self.map_threshold()
        if threshold is not None:
            parts.append(f'("score" >= {threshold - 1e-9:.9f} OR {DECIDED})')
        out["candidates"] = " AND ".join(parts)
        out["groups"] = family
        return out

    def map_threshold(self, frame=None) -> float | None:
        """The score from which the visible candidates are drawn: the map shows the
        ``map_limit`` best ones the filters keep (and every decided one); None when they all
        fit."""
        frame = self.candidates if frame is None else frame
        if frame is None or not len(frame) or "score" not in frame.columns:
            return None
        mask = self.visible_mask(frame)
        scores = pd.to_numeric(frame["score"][mask], errors="coerce").dropna().to_numpy()
        limit = int(self.map_limit.value())
        if len(scores) <= limit:
            return None
        return float(-np.partition(-scores, limit - 1)[limit - 1])

    def map_rows(self, frame) -> pd.Series:
        """Rows of ``frame`` the map draws under the current filters (as the candidates
        layer's subset string selects them)."""
        mask = pd.Series(self.visible_mask(frame).copy(), index=frame.index)
        threshold = self.map_threshold(frame)
        if threshold is not None:
            decided = frame["status"].astype(str).isin(DECIDED_STATUSES)
            mask &= (pd.to_numeric(frame["score"], errors="coerce") >= threshold - 1e-9) | decided
        return mask

    def apply_filters(self) -> None:
        """Filters → subset strings of the layers (no project reload) and the list."""
        if self.store is None:
            return
        with untouched(self.project):
            for role, subset in self.subset_strings().items():
                layer = self.layers.get(role)
                if layer is not None and layer.subsetString() != subset:
                    layer.setSubsetString(subset)
                    layer.triggerRepaint()
        self.refresh_list()
        self._refresh_proximity()
        self._update_legend()
        self._update_status_line()

    # ------------------------------------------------------------------ candidate search
    def _distance_moved(self, _value) -> None:
        """While the handle is dragged, wait for the hand to stop (debounced search); keyboard
        or wheel steps wait a shorter pause, so that a burst of them gives one search."""
        self._update_slider_labels()
        if self._restoring or self.store is None:
            return
        self._search_started = time.perf_counter()
        self.status_line.setText(tr("Searching synergies…"))
        self.runner.request(dragging=self.distance_slider.isSliderDown())

    def _distance_released(self) -> None:
        """The handle is let go: the search waiting for the debounce starts at once."""
        if self._restoring or self.store is None or not self.runner.timer.isActive():
            return
        self._search_started = time.perf_counter()
        self.runner.start_now()

    def search_now(self):
        """Start the candidate search at once (no debounce); returns the task."""
        self._search_started = time.perf_counter()
        return self.runner.start_now()

    def _task_args(self):
        if self.store is None or self.supply is None:
            return None
        self._search_serial = self._decision_serial
        return {
            "supply": detach(self.supply),
            "need": detach(self.need),
            "catalogue": self.catalogue,
            "max_distance_km": self.distance_km(),
            "top_k": self.top_k.value(),
            "previous": decisions_to_carry(self.candidates, self.decisions),
        }

    def _search_done(self, task) -> None:
        if self.store is None:
            return
        if task.error is not None or task.exception is not None:
            from ..processing.messages import error_message

            text = error_message(task.error) if task.error is not None else str(task.exception)
            self._message(
                tr("Synergy search failed: {error}").format(error=text), Qgis.MessageLevel.Critical
            )
            return
        if task.result is None:
            return
        self.last_search_seconds = task.seconds
        frame = attach(task.result)
        if self._decision_serial != self._search_serial:
            # decisions were taken while the search ran: carry them too
            from ..core.workspace import carry_over_decisions

            frame, _ = carry_over_decisions(
                decisions_to_carry(self.candidates, self.decisions), frame
            )
        self.candidates = frame  # what is written: no need to read it back
        self.write_candidates(frame)
        self.apply_filters()  # the map's share of the new candidates, the list, the legend
        self.refresh_charts()
        if self._search_started is not None:
            self.last_round_trip = time.perf_counter() - self._search_started
        self.start_pending_save()  # once the panel is up to date: it competes for Python
        self._update_status_line()
        self.candidatesUpdated.emit()

    def write_candidates(self, frame) -> None:
        """Write the candidates to the GeoPackage. When the map draws only some of them
        (``map_limit``), those rows are written first, at once, and the whole table follows
        in the background (:class:`TableWriter`): the map is redrawn without waiting for
        tens of thousands of rows. Any other write waits for the whole table first."""
        canvas = self.iface.mapCanvas()
        if canvas is not None:
            canvas.stopRendering()  # redrawn below; no render keeps reading the old rows
        self.writer.cancel()  # an older whole table is outdated: rolled back
        self._pending_save = None
        shown = self.map_rows(frame)
        plain = pd.DataFrame(frame)  # no CRS object crosses to the writer's thread
        if bool(shown.all()):
            self.store.replace_rows("candidates", plain)
            self._table_reloaded()
            return
        self.store.replace_rows("candidates", plain[shown.to_numpy()])
        self._table_reloaded()
        # no copy: nothing changes the candidates in place while the writer runs (a decision
        # waits for it first)
        self._pending_save = plain

    def _table_reloaded(self) -> None:
        layer = self.layers.get("candidates")
        if layer is not None:
            layer.dataProvider().reloadData()
            layer.triggerRepaint()

    def _table_saved(self, table, _rows, error) -> None:
        """The background write of the whole candidates table has ended."""
        if error is not None:
            self._message(
                tr("The synergies could not be saved in {path}: {error}").format(
                    path=self.store.path if self.store else "", error=error
                ),
                Qgis.MessageLevel.Critical,
            )
            return
        if self.store is None or table != LAYERS["candidates"]:
            return
        self._table_reloaded()
        self._update_status_line()
        self.candidatesSaved.emit()

    def start_pending_save(self) -> None:
        """Start the background write of the whole candidates table, if one is due."""
        plain, self._pending_save = self._pending_save, None
        if plain is not None and self.store is not None:
            self.writer.start(self.store.path, LAYERS["candidates"], plain)

    def saving(self) -> bool:
        """Is the whole candidates table still on its way to the GeoPackage?"""
        return self._pending_save is not None or self.writer.busy()

    def settle_writes(self) -> None:
        """Let the background write of the candidates end before writing anything else."""
        self.start_pending_save()
        if self.writer.busy():
            self.writer.wait()

    # ------------------------------------------------------------------ the list
    def visible_mask(self, frame=None) -> np.ndarray:
        """Rows of ``frame`` (default: the candidates) the filters keep; remembered for the
        current frame and filters, since the list, the map, the legend and the status line
        all ask for it after each change."""
        frame = self.candidates if frame is None else frame
        families, categories = self.selected_families(), self.selected_categories()
        key = (
            id(frame), len(frame),
            None if families is None else tuple(families),
            None if categories is None else tuple(categories),
            self.min_score(),
        )  # fmt: skip
        cached = self._mask_cache
        if cached is not None and cached[0] == key and cached[1] is frame:
            return cached[2]
        mask = candidate_mask(frame, families, categories, self.min_score())
        mask.flags.writeable = False  # shared by every caller: never changed in place
        self._mask_cache = (key, frame, mask)  # the frame is kept: its id stays its own
        return mask

    def visible_frame(self):
        """The candidates the filters keep, in no particular order."""
        if self.candidates is None or not len(self.candidates):
            return self.candidates
        mask = self.visible_mask()
        return self.candidates if mask.all() else self.candidates[mask]

    def visible_candidates(self, limit: int | None = None):
        """The candidates the filters keep, best score first (then by identifier); with
        ``limit``, only the first ``limit`` of them, without copying or sorting the others."""
        frame = self.candidates
        if frame is None or not len(frame):
            return frame
        keep = self.visible_mask()
        if limit is not None and int(keep.sum()) > limit:
            scores = pd.to_numeric(frame["score"], errors="coerce").fillna(-1.0).to_numpy()
            visible = scores[keep]
            cut = -np.partition(-visible, limit - 1)[limit - 1]
            keep = keep & (scores >= cut)  # the ties at the cut stay: same head as a full sort
        frame = frame if keep.all() else frame[keep]
        frame = frame.sort_values(["score", "candidate_id"], ascending=[False, True],
                                  kind="stable")  # fmt: skip
        return frame if limit is None else frame.iloc[:limit]

    def actor_text(self, name, confidential: bool) -> str:
        if self.public and confidential:
            return tr("Confidential actor")
        return "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)

    def refresh_list(self) -> None:
        """The list: the :data:`LIST_LIMIT` best visible candidates (what the room can read;
        thousands of rows would take seconds to lay out)."""
        self.notes_keeper.flush()  # the field is filled again below
        frame = self.visible_candidates(LIST_LIMIT)
        current = self._current_id
        self.table.blockSignals(True)
        self.table.setUpdatesEnabled(False)
        try:
            self.table.setRowCount(0)
            if frame is not None and len(frame):
                self._fill_rows(frame, current)
        finally:
            self.table.setUpdatesEnabled(True)
            self.table.blockSignals(False)
        self._show_detail(self._candidate(current) if current else None)

    def _fill_rows(self, frame, current) -> None:
        hidden = confidential_rows(frame)
        labels = status_labels()

        def column(name):
            if name in frame.columns:
                return frame[name].to_numpy(dtype=object)
            return [None] * len(frame)

        self.table.setRowCount(len(frame))
        select_row = None
        bold = QFont(self.table.font())
        bold.setBold(True)
        rows = zip(
            hidden, column("candidate_id"), column("score"), column("supply_resource_label"),
            column("supplier_name"), column("receiver_name"), column("supply_confidential"),
            column("need_confidential"), column("matched_quantity"), column("unit_norm"),
            column("status"), strict=True,
        )  # fmt: skip
        for row, (masked, cid, score, resource, s_name, r_name, s_conf, n_conf, qty, unit,
                  status) in enumerate(rows):  # fmt: skip
            cid = str(cid)
            supplier = self.actor_text(s_name, truthy(s_conf))
            receiver = self.actor_text(r_name, truthy(n_conf))
            quantity = "—" if self.public and masked else quantity_text(qty, unit)
            status = str(status) if status in STATUSES else "proposed"
            values = [
                f"{float(score):.2f}".replace(".", ","),
                f"{resource}\n{supplier} → {receiver}",
                quantity,
                labels[status],
            ]
            for index, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, cid)
                item.setToolTip(text)
                if index == 3:
                    item.setForeground(QBrush(QColor(STATUS_COLOURS[status])))
                    item.setFont(bold)
                self.table.setItem(row, index, item)
            if cid == current:
                select_row = row
        for column in (0, 2, 3):
            self.table.resizeColumnToContents(column)
        if select_row is not None:
            self.table.selectRow(select_row)

    def list_texts(self) -> list[str]:
        """Every text of the list and of the detail panel (what the room can read)."""
        texts = []
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is not None:
                    texts += [item.text(), item.toolTip()]
        texts += [self.detail_title.text(), self.detail_flows.text(), self.actor_info.text()]
        return texts

    def _candidate(self, candidate_id):
        if self.candidates is None or candidate_id is None:
            return None
        hit = self.candidates[self.candidates["candidate_id"].astype(str) == str(candidate_id)]
        return None if not len(hit) else hit.iloc[0]

    def select_candidate(self, candidate_id: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == candidate_id:
                self.table.selectRow(row)
                return True
        return False

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        candidate_id = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        self.notes_keeper.flush()  # the notes of the candidate left
        self._current_id = candidate_id
        cand = self._candidate(candidate_id)
        self._show_detail(cand)
        self._highlight(cand)

    def _show_detail(self, cand) -> None:
        on = cand is not None
        for button in self.status_buttons.values():
            button.setEnabled(on)
        self.notes.setEnabled(on)
        if not on:
            self.detail_title.setText(tr("Select a synergy in the list"))
            self.detail_flows.setText("")
            for bar in self.part_bars.values():
                bar.setValue(0)
                bar.setFormat("")
            self._load_notes("")
            return
        s_conf = truthy(cand.get("supply_confidential"))
        n_conf = truthy(cand.get("need_confidential"))
        masked = self.public and (s_conf or n_conf)
        status = str(cand["status"]) if cand["status"] in STATUSES else "proposed"
        self.detail_title.setText(
            tr("{resource} — score {score} — {km} km — {status}").format(
                resource=cand["supply_resource_label"],
                score=f"{float(cand['score']):.2f}".replace(".", ","),
                km=f"{float(cand['distance_km']):.1f}".replace(".", ","),
                status=status_labels()[status],
            )
        )
        for column, bar in self.part_bars.items():
            value = cand.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                bar.setValue(0)
                bar.setFormat(tr("unknown"))
            else:
                bar.setValue(int(round(float(value) * 100)))
                bar.setFormat(f"{float(value):.2f}".replace(".", ","))
        supplier = self.actor_text(cand["supplier_name"], s_conf)
        receiver = self.actor_text(cand["receiver_name"], n_conf)
        s_qty = "—" if masked else quantity_text(cand.get("supply_quantity"), cand["unit_norm"])
        n_qty = "—" if masked else quantity_text(cand.get("need_quantity"), cand["unit_norm"])
        m_qty = "—" if masked else quantity_text(cand.get("matched_quantity"), cand["unit_norm"])
        explanation = cand.get("explanation_fr") or ""
        self.detail_flows.setText(
            tr(
                "<b>Supply</b>: {supplier} — {s_res} ({s_qty})<br><b>Need</b>: {receiver} — "
                "{n_res} ({n_qty})<br><b>Exchanged</b>: {m_qty} · {why}"
            ).format(
                supplier=_html(supplier),
                s_res=_html(cand["supply_resource_label"]),
                s_qty=s_qty,
                receiver=_html(receiver),
                n_res=_html(cand["need_resource_label"]),
                n_qty=n_qty,
                m_qty=m_qty,
                why=_html(explanation),
            )
            + "<br>"
            + _html(precedents_line(cand.get("precedent_count"), cand.get("precedents"), tr))
        )
        notes = cand.get("notes")
        self._load_notes("" if notes is None or pd.isna(notes) else str(notes))

    def _load_notes(self, text: str) -> None:
        """Show the saved notes (the text typed stays as it is when it is what was saved:
        the cursor does not jump while the room types)."""
        if self.notes.toPlainText().strip() != text:
            self.notes.blockSignals(True)
            self.notes.setPlainText(text)
            self.notes.blockSignals(False)
        self.notes_keeper.loaded()

    # ------------------------------------------------------------------ decisions
    def set_status(self, status: str) -> None:
        if self._current_id is None:
            return
        self.write_decision(self._current_id, status, self.notes.toPlainText().strip())

    def save_notes(self) -> None:
        """Write the notes typed for the current candidate (its status unchanged); one
        typing session is one step of undo."""
        if self._current_id is None or self.store is None:
            return
        cand = self._candidate(self._current_id)
        status = str(cand["status"]) if cand is not None else "proposed"
        self.write_decision(self._current_id, status, self.notes.toPlainText().strip(),
                            typing=True)  # fmt: skip

    def write_decision(self, candidate_id, status, notes, action="set", typing=False) -> None:
        """Write at once to the GeoPackage (candidate row + decisions log), remember the
        previous values for undo, refresh the map and the list."""
        if self.store is None:
            return
        if str(candidate_id) == str(self._current_id):
            self.notes_keeper.loaded()  # the words in the field are written here
        self.settle_writes()
        self._decision_serial += 1
        try:
            previous = self.store.set_decision(candidate_id, status, notes, action)
        except KeyError:  # not among the current candidates: logged for the next search
            previous = None
            self.store.log_decision(candidate_id, status, notes, action)
        last = self.undo_stack[-1] if self.undo_stack else {}
        same_typing = typing and last.get("typing") and last["candidate_id"] == candidate_id
        if action == "set" and not same_typing:
            self.undo_stack.append(
                {
                    "candidate_id": candidate_id,
                    "status": (previous or {}).get("status") or "proposed",
                    "notes": (previous or {}).get("notes") or "",
                    "typing": typing,
                }
            )
        self.decisions = self.store.frame("decisions", with_geometry=False)
        if self.candidates is not None:
            hit = self.candidates["candidate_id"].astype(str) == str(candidate_id)
            self.candidates.loc[hit, "status"] = status
            self.candidates.loc[hit, "notes"] = notes or None
        layer = self.layers.get("candidates")
        if layer is not None:
            layer.dataProvider().reloadData()
            layer.triggerRepaint()
        self.undo_button.setEnabled(bool(self.undo_stack))
        self.refresh_list()
        self.refresh_charts()
        self._update_status_line()
        self.decisionWritten.emit(str(candidate_id))

    def undo(self) -> bool:
        """Restore the status and notes before the last decision (written at once)."""
        self.notes_keeper.flush()  # words typed just before are the last step
        if not self.undo_stack or self.store is None:
            return False
        entry = self.undo_stack.pop()
        self._current_id = entry["candidate_id"]
        self.write_decision(entry["candidate_id"], entry["status"], entry["notes"], "undo")
        self.select_candidate(entry["candidate_id"])
        return True

    def event(self, event) -> bool:
        # Ctrl+Z in the dock undoes the last decision (not QGIS's edit undo), except in the
        # notes field, where it undoes typing
        if event.type() == QEvent.Type.ShortcutOverride and event.matches(
            QKeySequence.StandardKey.Undo
        ):
            if not self.notes.hasFocus():
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.Undo) and not self.notes.hasFocus():
            self.undo()
            event.accept()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ map marks
    def _highlight(self, cand) -> None:
        self.marks.clear_highlight()
        layer = self.layers.get("candidates")
        geometry = getattr(cand, "geometry", None) if cand is not None else None
        if layer is None or geometry is None:
            return
        layer.selectByExpression(
            f'"candidate_id" = {QgsExpression.quotedValue(str(cand["candidate_id"]))}'
        )
        canvas = self.iface.mapCanvas()
        canvas.setExtent(self.marks.show_line(geometry, layer))
        canvas.refresh()

    def _actor_selection_changed(self, selected, _deselected, _clear) -> None:
        layer = self.layers.get("actors")
        if layer is None:
            return
        ids = layer.selectedFeatureIds()
        if len(ids) != 1:
            self.selected_actor = None
            self._refresh_proximity()
            return
        feature = next(layer.getFeatures(QgsFeatureRequest(ids[0])), None)
        self.selected_actor = None if feature is None else str(feature["actor_id"])
        self._refresh_proximity()

    def select_actor(self, actor_id: str) -> None:
        layer = self.layers.get("actors")
        if layer is not None:
            layer.selectByExpression(f'"actor_id" = {QgsExpression.quotedValue(actor_id)}')

    def proximity_radius_km(self) -> float:
        if self.distance_km() > 0:
            return self.distance_km()
        if self.candidates is None or self.selected_actor is None:
            return 15.0
        mine = self._actor_candidates()
        limits = pd.to_numeric(mine["max_distance_km"], errors="coerce").dropna()
        return float(limits.max()) if len(limits) else 15.0

    def _actor_candidates(self):
        frame = self.visible_frame()
        if frame is None or not len(frame) or self.selected_actor is None:
            return frame.iloc[0:0] if frame is not None else pd.DataFrame()
        mine = (frame["supplier_id"].astype(str) == self.selected_actor) | (
            frame["receiver_id"].astype(str) == self.selected_actor
        )
        return frame[mine]

    def _refresh_proximity(self) -> None:
        """Rings at the distance around the selected actor and lines to its candidates."""
        self.marks.clear_bands()
        actors = self.layers.get("actors")
        if self.selected_actor is None or actors is None or self.actors is None:
            return
        hit = self.actors[self.actors["actor_id"].astype(str) == self.selected_actor]
        if not len(hit) or hit.iloc[0].geometry is None:
            return
        actor = hit.iloc[0]
        radius = self.proximity_radius_km()
        mine = self._actor_candidates()
        lines = list(mine.geometry) if len(mine) else []
        self.marks.show_proximity(actor.geometry.x, actor.geometry.y, radius * 1000.0, lines,
                                  actors)  # fmt: skip
        name = self.actor_text(actor["name"], truthy(actor.get("confidential")))
        self.actor_info.setText(
            tr("<b>{name}</b> ({category}): {n} possible synergies within {km} km").format(
                name=_html(name),
                category=_html(category_label(actor.get("category"))),
                n=len(mine),
                km=f"{radius:g}".replace(".", ","),
            )
        )

    # ------------------------------------------------------------------ map tools
    def _unset_map_tool(self) -> None:
        canvas = self.iface.mapCanvas()
        if self.map_tool is not None:
            if canvas.mapTool() is self.map_tool:
                canvas.unsetMapTool(self.map_tool)
            self.map_tool.deleteLater()
            self.map_tool = None

    def _pick_actor_mode(self, on: bool) -> None:
        self._unset_map_tool()
        if not on:
            return
        self.place_button.setChecked(False)
        layer = self.layers.get("actors")
        if layer is None:
            return
        tool = QgsMapToolIdentifyFeature(self.iface.mapCanvas(), layer)
        tool.featureIdentified.connect(self._actor_identified)
        self.map_tool = tool
        self.iface.mapCanvas().setMapTool(tool)

    def _actor_identified(self, feature) -> None:
        self.select_actor(str(feature["actor_id"]))
        self.open_flow_form(str(feature["actor_id"]))

    def _place_actor_mode(self, on: bool) -> None:
        self._unset_map_tool()
        if not on:
            return
        self.pick_button.setChecked(False)
        tool = QgsMapToolEmitPoint(self.iface.mapCanvas())
        tool.canvasClicked.connect(self._point_placed)
        self.map_tool = tool
        self.iface.mapCanvas().setMapTool(tool)

    def _point_placed(self, point, _button) -> None:
        self.place_button.setChecked(False)
        self.open_flow_form(None, new_actor_point=point)

    # ------------------------------------------------------------------ flows entered
    def flow_form(self, actor_id=None, new_actor_point=None):
        """The flow form for ``actor_id`` (or a new actor at ``new_actor_point``), wired to
        :meth:`save_flow`; not shown."""
        from .flow_form import FlowFormDialog

        names = {code: label for code, (label, _) in self.family_labels().items()}
        flows = pd.concat([self.supply, self.need], ignore_index=True)
        dialog = FlowFormDialog(
            self.catalogue, names, self.actors, flows, actor_id,
            new_actor=new_actor_point is not None, parent=self,
        )  # fmt: skip
        dialog.validator = lambda d: self.save_flow(d, new_actor_point)
        return dialog

    def open_flow_form(self, actor_id=None, new_actor_point=None) -> None:
        if self.store is None:
            return
        self.flow_form(actor_id, new_actor_point).exec()

    def save_flow(self, dialog, new_actor_point=None) -> str | None:
        """Normalise the form's flow with the core and write it; the error text or None."""
        from .flow_form import normalise_flow

        if new_actor_point is not None:
            actor = self.write_new_actor(dialog.new_actor_values(), new_actor_point)
        else:
            hit = self.actors[self.actors["actor_id"].astype(str) == dialog.actor_id()]
            if not len(hit):
                return tr("Choose an actor.")
            row = hit.iloc[0]
            actor = {
                "actor_id": str(row["actor_id"]),
                "name": row["name"],
                "category": row["category"],
                "confidential": truthy(row.get("confidential")),
                "geometry": row.geometry,
            }
        values = dialog.values()
        old_id = values["flow_id"]
        if not old_id:
            existing = pd.concat([self.supply["flow_id"], self.need["flow_id"]])
            values["flow_id"] = new_flow_id(existing, actor["actor_id"])
        row, error = normalise_flow(values, actor, self.catalogue)
        if error:
            return error
        self.write_flow(row, actor["geometry"], old_id)
        return None

    def write_flow(self, row, point, replaces=None) -> None:
        """Write a normalised flow (one-row frame) at ``point`` (shapely, layer CRS)."""
        import geopandas as gpd

        self.settle_writes()
        crs = self.supply.crs if self.supply is not None else "EPSG:2154"
        frame = gpd.GeoDataFrame(row, geometry=[point], crs=crs)
        role = "supply" if row["direction"].iloc[0] == "supply" else "need"
        if replaces:
            for other in ("supply", "need"):
                if other != role:
                    layer = self.store.layer(other)
                    fids = self.store._fids(other, "flow_id", replaces)
                    if fids:
                        layer.dataProvider().deleteFeatures(fids)
        self.store.upsert(role, "flow_id", frame)
        for name in ("supply", "need"):
            layer = self.layers.get(name)
            if layer is not None:
                layer.dataProvider().reloadData()
                layer.triggerRepaint()
        self.reload_frames()
        self._fill_filter_lists_keeping()
        self.refresh_charts()
        self.search_now()
        self.flowWritten.emit(str(row["flow_id"].iloc[0]))

    def write_new_actor(self, values: dict, point) -> dict:
        """Add an actor placed on the map (``point`` in the canvas CRS) to the actors table."""
        import geopandas as gpd
        import shapely

        from ..layers.workspace import lon_lat, point_in_layer_crs

        self.settle_writes()
        layer = self.store.layer("actors")
        x, y = point_in_layer_crs(point, self.iface.mapCanvas().mapSettings().destinationCrs(),
                                  layer)  # fmt: skip
        lon, lat = lon_lat(x, y, layer.crs())
        actor_id = new_actor_id(self.actors["actor_id"])
        frame = gpd.GeoDataFrame(
            [
                {
                    "actor_id": actor_id,
                    "name": values["name"],
                    "category": values["category"],
                    "confidential": bool(values["confidential"]),
                    "geo_status": "matched",
                    "geo_score": 1.0,
                    "geo_method": "given",
                    "geo_precision": "given",
                    "geo_label": tr("placed in the workshop"),
                    "lon": lon,
                    "lat": lat,
                }
            ],
            geometry=[shapely.Point(x, y)],
            crs=layer.crs().authid(),
        )
        self.store.upsert("actors", "actor_id", frame)
        project_layer = self.layers.get("actors")
        if project_layer is not None:
            project_layer.dataProvider().reloadData()
            project_layer.triggerRepaint()
        self.actors = self.store.frame("actors")
        return {**values, "actor_id": actor_id, "geometry": shapely.Point(x, y)}

    def _fill_filter_lists_keeping(self) -> None:
        families_off = self._checked(self.family_list, Qt.CheckState.Unchecked)
        categories_off = self._checked(self.category_list, Qt.CheckState.Unchecked)
        self._fill_filter_lists()
        self._uncheck(self.family_list, families_off)
        self._uncheck(self.category_list, categories_off)

    def _uncheck(self, widget, values) -> None:
        widget.blockSignals(True)
        for i in range(widget.count()):
            if widget.item(i).data(Qt.ItemDataRole.UserRole) in set(values):
                widget.item(i).setCheckState(Qt.CheckState.Unchecked)
        widget.blockSignals(False)

    # ------------------------------------------------------------------ modes
    def set_public(self, on: bool) -> None:
        self.public = bool(on)
        if self.public_check.isChecked() != self.public:
            self.public_check.blockSignals(True)
            self.public_check.setChecked(self.public)
            self.public_check.blockSignals(False)
        self._set_public_variable()  # every label, width and size of the map follows it
        for layer in self.layers.values():
            layer.triggerRepaint()
        self.refresh_list()
        self._refresh_proximity()
        self.refresh_charts()
        self._update_legend()

    def _set_public_variable(self) -> None:
        with untouched(self.project):
            QgsExpressionContextUtils.setProjectVariable(
                self.project, "eit_public", int(self.public)
            )

    def set_presentation(self, on: bool) -> None:
        if self.presentation_button.isChecked() != bool(on):
            self.presentation_button.blockSignals(True)
            self.presentation_button.setChecked(bool(on))
            self.presentation_button.blockSignals(False)
        if on:
            self.set_public(True)
            self.presentation.enter(self.legend_sections())
            QTimer.singleShot(400, self._zoom_to_workspace)  # once the window is full screen
            self.status_line.setText(tr("Presentation mode: press Esc to leave."))
        else:
            self.presentation.leave()

    def _presentation_left(self) -> None:
        QTimer.singleShot(400, self._zoom_to_workspace)
        self.presentation_button.blockSignals(True)
        self.presentation_button.setChecked(False)
        self.presentation_button.blockSignals(False)

    def legend_sections(self):
        """Legend of the presentation: actors present, families shown, line meanings."""
        sections = []
        actors = self.layers.get("actors")
        if actors is not None and self.actors is not None:
            present = {str(c) for c in self.actors["category"].dropna()}
            shown = self.selected_categories()
            items = [
                (cat.symbol().clone(), cat.label())
                for cat in actors.renderer().categories()
                if cat.value() in present and (shown is None or cat.value() in shown)
            ]
            sections.append((tr("Actors"), items))
        layer = self.layers.get("candidates")
        if layer is not None and self.candidates is not None:
            visible = self.visible_frame()
            present = set(visible["family"].astype(str)) if visible is not None else set()
            items = [
                (cat.symbol().clone(), cat.label())
                for cat in layer.renderer().categories()
                if cat.value() in present
            ]
            sections.append((tr("Possible synergies"), items))
            sections.append(
                (
                    tr("Reading the lines"),
                    [
                        (None, tr("width: quantity exchanged")),
                        (None, tr("solid: to pursue · dashed: to explore further")),
                        (None, tr("faded dots: set aside")),
                    ],
                )
            )
        return sections

    def _update_legend(self) -> None:
        if self.presentation.active:
            self.presentation.update_legend(self.legend_sections())

    # ------------------------------------------------------------------ charts
    def refresh_charts(self, *_args) -> None:
        """Redraw the charts now when their tab is shown, else when it is next shown."""
        if self.store is None or not self.charts.available():
            return
        if self.tabs.currentWidget() is not self.charts and self.isVisible():
            self._charts_dirty = True
            return
        self._charts_dirty = False
        self.charts.update_charts(
            self.supply, self.need, self.visible_frame(), self.family_labels(), self.public,
            self.candidates,
        )  # fmt: skip

    # ------------------------------------------------------------------ project state
    def write_state(self, *_args) -> None:
        """Save the dock's state in the project (called on ``writeProject``)."""
        p = self.project
        path = p.pathResolver().writePath(self.store.path) if self.store else ""
        p.writeEntry(SCOPE, "workspace", path)
        p.writeEntry(SCOPE, "distance_km", int(self.distance_slider.value()))
        p.writeEntry(SCOPE, "min_score", int(self.score_slider.value()))
        p.writeEntry(SCOPE, "map_limit", int(self.map_limit.value()))
        p.writeEntry(SCOPE, "top_k", int(self.top_k.value()))
        p.writeEntry(
            SCOPE, "families_off", self._checked(self.family_list, Qt.CheckState.Unchecked)
        )
        p.writeEntry(
            SCOPE, "categories_off", self._checked(self.category_list, Qt.CheckState.Unchecked)
        )
        p.writeEntry(SCOPE, "public", bool(self.public))
        p.writeEntry(SCOPE, "presentation", bool(self.presentation.active))

    def read_state(self, *_args) -> bool:
        """Restore the dock's state from the project (called on ``readProject``)."""
        p = self.project
        path, found = p.readEntry(SCOPE, "workspace", "")
        if not found or not path:
            return False
        path = p.pathResolver().readPath(path)
        if not Path(path).exists():
            self._message(
                tr("The workspace {path} is missing.").format(path=path), Qgis.MessageLevel.Warning
            )
            return False
        public = p.readBoolEntry(SCOPE, "public", True)[0]
        self.public = public
        self.public_check.blockSignals(True)
        self.public_check.setChecked(public)
        self.public_check.blockSignals(False)
        if not self.open_workspace(path):
            return False
        self._restoring = True
        try:
            self.distance_slider.setValue(p.readNumEntry(SCOPE, "distance_km", 0)[0])
            self.score_slider.setValue(p.readNumEntry(SCOPE, "min_score", 0)[0])
            self.map_limit.setValue(p.readNumEntry(SCOPE, "map_limit", MAP_LIMIT)[0])
            self.top_k.setValue(p.readNumEntry(SCOPE, "top_k", DEFAULT_TOP_K)[0])
            self._uncheck(self.family_list, p.readListEntry(SCOPE, "families_off", [])[0])
            self._uncheck(self.category_list, p.readListEntry(SCOPE, "categories_off", [])[0])
        finally:
            self._restoring = False
        self._update_slider_labels()
        self.apply_filters()
        self.refresh_charts()
        if p.readBoolEntry(SCOPE, "presentation", False)[0]:
            QTimer.singleShot(0, lambda: self.set_presentation(True))
        return True

    # ------------------------------------------------------------------ messages
    def _message(self, text: str, level=Qgis.MessageLevel.Info) -> None:
        self.status_line.setText(text)
        self.iface.messageBar().pushMessage(tr("EIT workshop"), text, level, 6)

    def _update_status_line(self) -> None:
        if self.store is None:
            self.status_line.setText(tr("Open a workspace (eit.gpkg) to start."))
            return
        total = 0 if self.candidates is None else len(self.candidates)
        shown = int(self.visible_mask().sum()) if total else 0
        decided = 0
        if self.candidates is not None and len(self.candidates):
            decided = int(self.candidates["status"].isin(STATUSES[1:]).sum())
        text = tr("{shown} of {total} synergies shown · {decided} decided").format(
            shown=shown, total=total, decided=decided
        )
        if shown > LIST_LIMIT:
            text += " · " + tr("the {n} best listed").format(n=LIST_LIMIT)
        if self.map_threshold() is not None:
            text += " · " + tr("the {n} best on the map").format(
                n=f"{self.map_limit.value():,}".replace(",", "\u202f")
            )
        if self.saving():
            text += " · " + tr("saving…")
        if self.last_round_trip is not None:
            text += " · " + tr("updated in {s} s").format(
                s=f"{self.last_round_trip:.2f}".replace(".", ",")
            )
        self.status_line.setText(text)


def _html(text) -> str:
    from html import escape

    return escape("" if text is None else str(text))


def _layer_id(layer) -> str | None:
    try:
        return layer.id()
    except RuntimeError:
        return None


def find_workspace_layers(project, path):
    """role -> layer of ``project`` loaded from the workspace ``path``."""
    return find_layers(project, normalise_path(path))
