"""eit:buildflowlayers — actors + flow table → supply and need point layers + rejected rows."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingMultiStepFeedback,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterVectorLayer,
    QgsWkbTypes,
)

from ..core.errors import Canceled, EitError
from ..layers.styles import attach_style, style_flow_layer
from .base import EitAlgorithm
from .feedback import FeedbackProgress
from .inputs import (
    catalogue_parameters,
    describe_counts,
    field_overrides,
    load_catalogue,
    read_table_parameter,
    table_parameters,
    write_frame,
)
from .messages import processing_error, translate_rejected

ACTOR_FIELD_PARAMETERS = {"ACTOR_ID_FIELD": "actor_id"}
FLOW_FIELD_PARAMETERS = {
    "FLOW_ACTOR_FIELD": "actor_id",
    "DIRECTION_FIELD": "direction",
    "RESOURCE_FIELD": "resource",
    "QUANTITY_FIELD": "quantity",
    "UNIT_FIELD": "unit",
}


def place_actors(actor_table, geometry_frame, progress):
    """Actor points: the layer's geometry when it has one, else coordinates or commune."""
    if geometry_frame is not None:
        return geometry_frame
    from ..core.geocode.pipeline import as_points, geocode_actors

    frame = as_points(geocode_actors(actor_table.frame, method=0, progress=progress))
    frame.attrs["source"] = actor_table.source
    return frame


def territory_and_facilities(alg, parameters, context):
    """The TERRITORY layer and FACILITIES file; without both, the demo's communes and sites
    (used by the core only when the actors lie in those communes)."""
    from qgis.core import QgsVectorLayer

    from ..layers.frames import source_to_frame
    from .alg_runpipeline import DEMO_COMMUNES, DEMO_SITES

    layer = alg.parameterAsVectorLayer(parameters, "TERRITORY", context)
    facilities = alg.parameterAsFile(parameters, "FACILITIES", context) or None
    if layer is None:
        facilities = facilities or str(DEMO_SITES)
        return source_to_frame(QgsVectorLayer(str(DEMO_COMMUNES), "communes", "ogr")), facilities
    return source_to_frame(layer, context=context), facilities


class BuildFlowLayersAlgorithm(EitAlgorithm):
    ALG_ID = "buildflowlayers"
    GROUP_ID = "data"

    ACTORS = "ACTORS"
    FLOWS = "FLOWS"
    CATALOGUE = "CATALOGUE"
    COMPATIBILITY = "COMPATIBILITY"
    OUTPUT_CRS = "OUTPUT_CRS"
    OUTPUT_SUPPLY = "OUTPUT_SUPPLY"
    OUTPUT_NEED = "OUTPUT_NEED"
    OUTPUT_REJECTED = "OUTPUT_REJECTED"

    def displayName(self):
        return self.tr("Build supply and need layers")

    def help_text(self):
        return self.tr(
            "Reads the actors table and the flow table (input/output balance of each actor) "
            "and builds two point layers: supplies (gisements) and needs (besoins), each flow "
            "placed at its actor. Tables: CSV (comma or semicolon, UTF-8 or Latin-1, decimal "
            "comma accepted), XLSX, ODS, GeoPackage or a layer; column names in French or "
            "English. Resources are catalogue codes or 6-digit European List of Waste codes; "
            "quantities are converted to yearly normalised units (t/yr, MWh/yr, m3/yr, h/yr, "
            "units/yr). Actors without a geometry are placed from their coordinates, else at "
            "their commune. Rows that cannot be used go to the rejected table with their row "
            "number, values and reason: rows read = rows used + rows rejected. Where a flow "
            "comes from or goes today (columns provenance/origin for a need, destination for "
            "a supply: an actor id, an INSEE code or commune name, 'lon lat' coordinates or a "
            "facility of the FACILITIES table; or distance_actuelle_km) gives current_place, "
            "current_distance_km and current_outside (outside the TERRITORY's communes); a "
            "place that cannot be found goes to the rejected table with row_kept = true and the "
            "flow still counts."
        )

    def initAlgorithm(self, config=None):
        table_parameters(self)
        catalogue_parameters(self)
        labels = {
            "ACTOR_ID_FIELD": (self.tr("Actor id column (actors)"), self.ACTORS),
            "FLOW_ACTOR_FIELD": (self.tr("Actor id column (flows)"), self.FLOWS),
            "DIRECTION_FIELD": (self.tr("Direction column"), self.FLOWS),
            "RESOURCE_FIELD": (self.tr("Resource column"), self.FLOWS),
            "QUANTITY_FIELD": (self.tr("Quantity column"), self.FLOWS),
            "UNIT_FIELD": (self.tr("Unit column"), self.FLOWS),
        }
        for name, (label, parent) in labels.items():
            parameter = QgsProcessingParameterField(name, label, None, parent, optional=True)
            parameter.setFlags(
                parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced
            )
            self.addParameter(parameter)
        places = [
            QgsProcessingParameterVectorLayer(
                "TERRITORY", self.tr("Communes of the territory"),
                [QgsProcessing.SourceType.TypeVectorPolygon], optional=True,
            ),
            QgsProcessingParameterFile(
                "FACILITIES",
                self.tr("Named facilities for origins and destinations (name, longitude, "
                        "latitude)"),
                optional=True,
            ),
        ]  # fmt: skip
        for parameter in places:
            parameter.setFlags(
                parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced
            )
            self.addParameter(parameter)
        crs = QgsProcessingParameterCrs(
            self.OUTPUT_CRS, self.tr("Output CRS"), "EPSG:2154", optional=True
        )
        crs.setFlags(crs.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(crs)
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_SUPPLY,
                self.tr("Supplies (gisements)"),
                QgsProcessing.SourceType.TypeVectorPoint,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_NEED,
                self.tr("Needs (besoins)"),
                QgsProcessing.SourceType.TypeVectorPoint,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_REJECTED, self.tr("Rejected rows"), QgsProcessing.SourceType.TypeVector
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        steps = QgsProcessingMultiStepFeedback(4, feedback)
        try:
            result = self.build(parameters, context, steps)
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            return {}
        return result

    def places(self, parameters, context, result, flows, actor_points):
        """Supply and need with their current places (core.places), and unusable values."""
        from ..core.places import place_flows

        territory, facilities = territory_and_facilities(self, parameters, context)
        supply, need, unusable, _ = place_flows(
            result, actor_points, flows.attrs.get("columns", {}), facilities, territory
        )
        return supply.drop(columns="geometry"), need.drop(columns="geometry"), unusable

    def build(self, parameters, context, steps):
        from ..core.flows import attach_geometry, build_flows, read_actors

        progress = FeedbackProgress(steps)
        catalogue = load_catalogue(self, parameters, context)
        actors_value, actors_label, actors_geometry = read_table_parameter(
            self, parameters, self.ACTORS, context, steps, keep_geometry=True
        )
        flows_value, flows_label, _ = read_table_parameter(
            self, parameters, self.FLOWS, context, steps
        )
        actor_table = read_actors(
            actors_value,
            field_overrides(self, parameters, context, ACTOR_FIELD_PARAMETERS) or None,
            name=actors_label,
        )
        steps.setCurrentStep(1)
        from ..core.flows import read_flows

        flows = read_flows(
            flows_value,
            field_overrides(self, parameters, context, FLOW_FIELD_PARAMETERS) or None,
            name=flows_label,
        )
        result = build_flows(actor_table, flows, catalogue, progress, source_name=flows_label)
        steps.pushInfo(f"{flows_label}: " + describe_counts(result.counts))
        for note in actor_table.notes + result.notes:
            steps.pushDebugInfo(note)
        steps.setCurrentStep(2)
        actor_points = place_actors(actor_table, actors_geometry, progress)
        target = self.parameterAsCrs(parameters, self.OUTPUT_CRS, context)
        if not target.isValid():
            target = QgsCoordinateReferenceSystem("EPSG:2154")
        outputs = {}
        unplaced = []
        supply, need, unusable = self.places(parameters, context, result, flows, actor_points)
        for key, frame, kind in (
            (self.OUTPUT_SUPPLY, supply, "supply"),
            (self.OUTPUT_NEED, need, "need"),
        ):
            placed = attach_geometry(frame, actor_points)
            unplaced += placed.attrs.get("no_geometry", [])
            if target.isValid() and placed.crs is not None:
                placed = placed.to_crs(target.authid() or target.toWkt())
            outputs[key] = write_frame(
                self, placed, key, parameters, context, steps, QgsWkbTypes.Type.Point
            )
            name = (
                self.tr("Supplies (gisements)") if kind == "supply" else self.tr("Needs (besoins)")
            )
            attach_style(
                context, outputs[key], name, style_flow_layer, catalogue.families_frame, kind
            )
        if unplaced:
            steps.reportError(
                self.tr("{n} flows have no position (their actor has no geometry): {ids}").format(
                    n=len(unplaced), ids=", ".join(map(str, unplaced[:20]))
                )
            )
        steps.setCurrentStep(3)
        rejected = translate_rejected(
            actor_table.rejected.assign(source=actors_label) if len(actor_table.rejected) else None
        )
        import pandas as pd

        frames = [f for f in (rejected, translate_rejected(result.rejected)) if f is not None]
        if len(unusable):
            frames = [f.assign(row_kept=False) for f in frames] + [translate_rejected(unusable)]
            steps.pushWarning(
                self.tr(
                    "{n} origin, destination or current distance values cannot be used (see "
                    "the rejected table, row_kept = true); their flows are kept."
                ).format(n=len(unusable))
            )
        all_rejected = pd.concat(frames, ignore_index=True) if frames else result.rejected
        outputs[self.OUTPUT_REJECTED] = write_frame(
            self,
            all_rejected,
            self.OUTPUT_REJECTED,
            parameters,
            context,
            steps,
            QgsWkbTypes.Type.NoGeometry,
        )
        attach_style(
            context, outputs[self.OUTPUT_REJECTED], self.tr("Rejected rows"), lambda layer: None
        )
        outputs["VALUES_UNUSABLE"] = len(unusable)
        outputs["ROWS_READ"] = result.counts["rows_read"]
        outputs["ROWS_USED"] = result.counts["rows_used"]
        outputs["ROWS_REJECTED"] = result.counts["rows_rejected"]
        return outputs
