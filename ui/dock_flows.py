"""Supplies and needs entered in the workshop: the flow form, new actors placed on the map,
written to the workspace and searched again."""

from __future__ import annotations

import pandas as pd

from ..core.workspace import new_actor_id, new_flow_id
from ..translation import tr
from .dock_text import truthy


class FlowEntry:
    """The flows entered in :class:`ui.dock.WorkshopDock`."""

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
