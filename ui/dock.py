"""The workshop dock: the facilitator's panel during a resource-sharing workshop.

It opens a workspace (``eit.gpkg`` or a territory's PostgreSQL schema, through one store
interface: :mod:`layers.workspace_store`), filters the map live (subset strings), re-runs
the candidate search when the distance slider moves (a debounced ``QgsTask``), lists the
candidates by score, records the room's decisions at once (with undo), shows within seconds
the decisions other people write on the same workspace, takes new supplies and needs through
a form, draws charts, and keeps confidential flows out of sight in public mode. Its state is
saved in the QGIS project.

This class is the view: it holds the state and composes the parts, one job each —
``dock_layout`` (widgets), ``dock_workspace`` (open/close, layers, zoom), ``dock_filters``,
``dock_search`` (the search task, candidates written back), ``candidate_list`` (list and
detail), ``decisions`` (status, notes, undo, other people's decisions; ``live_decisions``
polls the log), ``dock_map`` (marks, map tools), ``dock_flows`` (the flow form), ``dock_modes``
(public mode, presentation, charts, project state), ``dock_text`` (shared words).
"""

from __future__ import annotations

from qgis.core import Qgis, QgsApplication, QgsProject
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import pyqtSignal

from ..core.workspace import STATUSES
from ..layers.workspace import WorkspaceStore
from ..translation import tr
from .candidate_list import CandidateList
from .decisions import Decisions
from .dock_filters import Filters
from .dock_flows import FlowEntry
from .dock_layout import DockLayout
from .dock_map import MapParts
from .dock_modes import Modes
from .dock_search import Search
from .dock_text import LIST_LIMIT, quantity_text, sql_in, truthy
from .dock_workspace import WorkspaceParts, find_workspace_layers
from .live_decisions import DecisionPoller
from .marks import MapMarks
from .presentation import Presentation
from .tasks import SearchRunner, TableClearer, TableWriter

__all__ = ["WorkshopDock", "find_workspace_layers", "quantity_text", "sql_in", "truthy"]


class WorkshopDock(
    DockLayout, WorkspaceParts, Filters, Search, CandidateList, Decisions, MapParts, FlowEntry,
    Modes, QgsDockWidget,
):  # fmt: skip
    """The workshop panel (see the module docstring)."""

    candidatesUpdated = pyqtSignal()  # noqa: N815 - Qt signal name
    candidatesSaved = pyqtSignal()  # noqa: N815 - the whole table is in the GeoPackage
    decisionWritten = pyqtSignal(str)  # noqa: N815
    flowWritten = pyqtSignal(str)  # noqa: N815
    decisionsReceived = pyqtSignal(list)  # noqa: N815 - other people's, read from the log

    def __init__(self, iface, parent=None):
        super().__init__(tr("EIT workshop"), parent)
        self.setObjectName("EitWorkshopDock")
        self.iface = iface
        self.project = QgsProject.instance()
        self._catalogue = None
        self.store: WorkspaceStore | None = None  # a GpkgWorkspace or a PgWorkspace
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
        self.clearer = TableClearer()
        self._mask_cache = None
        self._pending_save = None  # the whole candidates table, to write in the background
        self._decision_serial = 0  # decisions written so far (a search started before one
        self._search_serial = 0  # of them carries it again when it ends)
        #: who decides, written with each row of the decision log
        self.author = QgsApplication.userFullName() or QgsApplication.userLoginName()
        self.live = DecisionPoller(self.decisions_received, parent=self)
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
        self.live.stop()
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

    # ------------------------------------------------------------------ messages
    def _message(self, text: str, level=Qgis.MessageLevel.Info) -> None:
        self.status_line.setText(text)
        self.iface.messageBar().pushMessage(tr("EIT workshop"), text, level, 6)

    def _update_status_line(self) -> None:
        if self.store is None:
            self.status_line.setText(
                tr("Open a workspace (eit.gpkg, or a PostgreSQL schema) to start.")
            )
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
