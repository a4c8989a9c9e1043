"""The workshop dock's modes and memory: public mode, presentation (with its legend), the
charts, and the dock's state saved in the QGIS project."""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsExpressionContextUtils
from qgis.PyQt.QtCore import Qt, QTimer

from ..layers.workspace_store import PG_PREFIX
from ..translation import tr
from .dock_text import MAP_LIMIT, SCOPE
from .filter_controls import DEFAULT_TOP_K
from .project_state import untouched


class Modes:
    """Modes, charts and project state of :class:`ui.dock.WorkshopDock`."""

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
        path = ""
        if self.store is not None:  # a schema by its key (postgres:<schema>): no credentials,
            # the project's layers know the database
            gpkg = self.store.kind == "gpkg"
            path = p.pathResolver().writePath(self.store.path) if gpkg else self.store.key
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
        schema = None
        if path.startswith(PG_PREFIX):
            from ..layers.workspace_store import pg_layers_of

            schema = path[len(PG_PREFIX) :]
            layers = pg_layers_of(p, schema)
            if not layers:
                self._message(
                    tr("The project has no layer of the schema {schema}.").format(schema=schema),
                    Qgis.MessageLevel.Warning,
                )
                return False
            path = next(iter(layers.values())).source()
        else:
            path = p.pathResolver().readPath(path)
        if schema is None and not Path(path).exists():
            self._message(
                tr("The workspace {path} is missing.").format(path=path), Qgis.MessageLevel.Warning
            )
            return False
        public = p.readBoolEntry(SCOPE, "public", True)[0]
        self.public = public
        self.public_check.blockSignals(True)
        self.public_check.setChecked(public)
        self.public_check.blockSignals(False)
        if not self.open_workspace(path, schema=schema):
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
