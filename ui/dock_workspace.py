"""Opening and closing a workspace in the workshop dock: its tables as project layers, its
frames, its title, the map zoomed on it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from qgis.core import Qgis, QgsPointXY, QgsRectangle
from qgis.PyQt.QtWidgets import QFileDialog, QInputDialog

from ..core.errors import EitError
from ..core.workspace import LAYERS
from ..layers.workspace import (
    REQUIRED_ROLES,
    apply_workshop_style,
    find_layers,
    gpkg_tables,
    normalise_path,
    project_workspace,
)
from ..layers.workspace_store import project_pg_workspace
from ..translation import tr
from .dock_text import DISTANCE_MAX_KM, _layer_id, truthy
from .project_state import in_temporary_folder, temporary_warning, untouched


class WorkspaceParts:
    """The workspace side of :class:`ui.dock.WorkshopDock`."""

    def choose_workspace(self) -> None:
        start = project_workspace(self.project) or self.project.absolutePath() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Open a workspace"), start, tr("EIT workspace (*.gpkg)")
        )
        if path:
            self.open_workspace(path)

    def choose_pg_workspace(self) -> None:
        """Pick a QGIS PostgreSQL connection, then one of its schemas holding a workspace."""
        from ..layers.postgres import Database, _metadata
        from ..layers.workspace_store import pg_workspaces
        from ..processing.messages import error_message

        metadata = _metadata()
        names = sorted(metadata.connections()) if metadata else []
        if not names:
            self._message(
                tr("No PostgreSQL connection in QGIS: add one in the Browser panel first."),
                Qgis.MessageLevel.Warning,
            )
            return
        name, ok = QInputDialog.getItem(
            self, tr("Open a workspace"), tr("PostgreSQL connection:"), names, 0, False
        )
        if not ok:
            return
        try:
            schemas = pg_workspaces(Database(name))
        except EitError as error:
            self._message(error_message(error), Qgis.MessageLevel.Critical)
            return
        if not schemas:
            self._message(
                tr("{name} holds no EIT workspace you may open.").format(name=name),
                Qgis.MessageLevel.Warning,
            )
            return
        schema, ok = QInputDialog.getItem(
            self, tr("Open a workspace"), tr("Territory (schema):"), schemas, 0, False
        )
        if ok:
            self.open_workspace(name, schema=schema)

    def _new_store(self, path, schema):
        """The store of a GeoPackage ``path``, or of ``schema`` in the database ``path``;
        None (with a message) when it is not a workspace or cannot be reached."""
        from ..layers.workspace_store import GpkgWorkspace, PgWorkspace
        from ..processing.messages import error_message

        if schema:
            try:
                store = PgWorkspace(path, schema)
                missing = store.missing_tables()
            except EitError as error:
                self._message(error_message(error), Qgis.MessageLevel.Critical)
                return None
            where = store.label
        else:
            if not path or not Path(path).exists():
                self._message(
                    tr("No workspace found: open an eit.gpkg."), Qgis.MessageLevel.Warning
                )
                return None
            tables = set(gpkg_tables(path))
            missing = [LAYERS[r] for r in REQUIRED_ROLES if LAYERS[r] not in tables]
            store, where = None, path
        if missing:
            self._message(
                tr("{path} is not an EIT workspace (missing tables: {tables}).").format(
                    path=where, tables=", ".join(missing)
                ),
                Qgis.MessageLevel.Warning,
            )
            if store is not None:
                store.close()
            return None
        return store if store is not None else GpkgWorkspace(path)

    def open_workspace(self, path=None, schema=None) -> bool:
        """Open the GeoPackage ``path``, or with ``schema`` that territory's workspace in the
        PostgreSQL database ``path`` (libpq URI, QGIS connection name, or data source), and
        load its layers. Without either: the workspace of the current project (an eit.gpkg,
        or the schema its layers read)."""
        if not path and not schema:
            path = project_workspace(self.project)
            found = None if path else project_pg_workspace(self.project)
            if found:
                path, schema = found
        store = self._new_store(path, schema)
        if store is None:
            return False
        self.close_workspace()
        self.store = store
        self.decisions = store.decisions.since(0)  # the log (created when missing)
        self._set_public_variable()
        self.layers = store.load_layers(self.project, self.catalogue.families_frame)
        with untouched(self.project):
            for role, layer in self.layers.items():
                apply_workshop_style(layer, role, self.catalogue.families_frame)
                layer.dataProvider().reloadData()  # opened by the project before WAL mode
        self._connect_layers()
        self.reload_frames()
        self.candidates = self.store.frame("candidates")
        self._fill_filter_lists()
        self._restoring = True
        self.distance_slider.setValue(self._workspace_distance())
        self._restoring = False
        self._update_slider_labels()
        name = self._workspace_title()
        self.title.setText(name)
        self.title.setToolTip(store.label)
        if not self.project.title():
            with untouched(self.project):
                self.project.setTitle(name)
        if store.kind == "gpkg" and in_temporary_folder(store.path):
            self._message(temporary_warning(store.path), Qgis.MessageLevel.Warning)
        self._set_enabled(True)
        self.apply_filters()
        self.refresh_charts()
        self._zoom_to_workspace()
        self._update_status_line()
        self.live.start(store.decisions, self.decisions)
        return True

    def close_workspace(self) -> None:
        self.notes_keeper.flush()  # the words typed are written before the store closes
        self.live.stop()
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

    def _workspace_title(self) -> str:
        """The territory's name the workspace records (its latest run's, else its territory
        table's), else the folder's; never the name of one of its communes."""
        from ..core.territory import recorded_name

        runs = self.store.frame("runs", with_geometry=False)
        name = recorded_name(runs, self.store.frame("territory", with_geometry=False))
        if name:
            return name
        if self.store.kind == "postgres":
            return self.store.schema
        path = Path(self.store.path)
        return path.parent.name or path.name

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


def find_workspace_layers(project, path):
    """role -> layer of ``project`` loaded from the workspace ``path``."""
    return find_layers(project, normalise_path(path))
