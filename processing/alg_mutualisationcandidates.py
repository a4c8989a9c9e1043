"""eit:mutualisationcandidates — the same shared need among nearby actors → groups."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsWkbTypes,
)

from ..core.errors import Canceled, EitError
from ..layers.styles import attach_style, style_group_layer
from .base import EitAlgorithm
from .feedback import FeedbackProgress
from .inputs import catalogue_parameters, load_catalogue, read_layer_parameter, write_frame
from .messages import processing_error
from .summaries import groups_summary


class MutualisationCandidatesAlgorithm(EitAlgorithm):
    ALG_ID = "mutualisationcandidates"
    GROUP_ID = "synergies"

    NEED = "NEED"
    SUPPLY = "SUPPLY"
    MAX_DISTANCE_KM = "MAX_DISTANCE_KM"
    MIN_ACTORS = "MIN_ACTORS"
    OUTPUT = "OUTPUT"

    def displayName(self):
        return self.tr("Find mutualisation groups")

    def help_text(self):
        return self.tr(
            "Groups actors that have the same mutualisation need (a service, equipment, a "
            "purchase, skills or space) and are close to each other: every two members of a "
            "group are within MAX_DISTANCE_KM (0 = the resource's default distance), and a "
            "group has at least MIN_ACTORS actors. Each group is a polygon around its members "
            "with the member list, the combined quantity and the resource; actors that offer "
            "that equipment or service nearby (supplies layer) are attached as providers. "
            "From the supplies layer, actors sending the same resource to the same far "
            "destination today (outside the territory or beyond the distance; columns "
            "destination / current place of the flow table) form shared-collection groups "
            "(kind = shared_collection, with the destination and its mean distance)."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.NEED, self.tr("Needs (besoins)"), [QgsProcessing.SourceType.TypeVectorPoint]
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.SUPPLY,
                self.tr("Supplies (gisements), for providers"),
                [QgsProcessing.SourceType.TypeVectorPoint],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_DISTANCE_KM,
                self.tr("Maximum distance between members (km, 0 = each resource's default)"),
                QgsProcessingParameterNumber.Type.Double,
                10.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_ACTORS,
                self.tr("Minimum number of actors in a group"),
                QgsProcessingParameterNumber.Type.Integer,
                2,
                minValue=2,
            )
        )
        catalogue_parameters(self)
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT,
                self.tr("Mutualisation groups"),
                QgsProcessing.SourceType.TypeVectorPolygon,
            )
        )

    def processAlgorithm(self, parameters, context, feedback):
        try:
            return self.find_groups(parameters, context, feedback)
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            return {}

    def find_groups(self, parameters, context, feedback):
        from ..core.synergy import find_mutualisation_groups

        catalogue = load_catalogue(self, parameters, context)
        need = read_layer_parameter(self, parameters, self.NEED, context, feedback)
        supply = read_layer_parameter(
            self, parameters, self.SUPPLY, context, feedback, optional=True
        )
        groups = find_mutualisation_groups(
            need,
            supply,
            max_distance_km=self.parameterAsDouble(parameters, self.MAX_DISTANCE_KM, context),
            min_actors=self.parameterAsInt(parameters, self.MIN_ACTORS, context),
            progress=FeedbackProgress(feedback),
            default_distances=catalogue.max_distance_km(),
        )
        min_actors = self.parameterAsInt(parameters, self.MIN_ACTORS, context)
        for line in groups_summary(groups, min_actors):
            feedback.pushInfo(line)
        dest = write_frame(
            self, groups, self.OUTPUT, parameters, context, feedback, QgsWkbTypes.Type.MultiPolygon
        )
        attach_style(
            context, dest, self.tr("Mutualisation groups"), style_group_layer,
            catalogue.families_frame,
        )  # fmt: skip
        return {self.OUTPUT: dest, "GROUPS": len(groups)}
