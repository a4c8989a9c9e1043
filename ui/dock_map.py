"""The workshop dock on the map: the selected synergy highlighted, the selected actor's
neighbourhood, the map tools that pick or place an actor."""

from __future__ import annotations

import pandas as pd
from qgis.core import QgsExpression, QgsFeatureRequest
from qgis.gui import QgsMapToolEmitPoint, QgsMapToolIdentifyFeature

from ..layers.workspace import category_label
from ..translation import tr
from .dock_text import _html, truthy


class MapParts:
    """The map side of :class:`ui.dock.WorkshopDock`."""

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
