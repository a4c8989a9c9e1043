"""Opening and closing a workspace in the workshop dock: its tables as project layers, its
frames, its title, the map zoomed on it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from qgis.core import Qgis, QgsPointXY, QgsRectangle
from qgis.PyQt.QtWidgets import QFileDialog

from ..core.workspace import LAYERS
from ..layers.workspace import (
    WorkspaceStore,
    apply_workshop_style,
    find_layers,
    gpkg_tables,
    load_workspace,
    normalise_path,
    project_workspace,
)
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


def find_workspace_layers(project, path):
    """role -> layer of ``project`` loaded from the workspace ``path``."""
    return find_layers(project, normalise_path(path))
