"""eit:synergycandidates — supply × need → distance-constrained substitution candidates."""

from __future__ import annotations

import functools

from qgis.core import (
    QgsProcessing,
    QgsProcessingMultiStepFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsWkbTypes,
)

from ..core.errors import Canceled, EitError
from ..core.precedents import precedent_pairs
from ..layers.styles import attach_style, style_candidate_layer
from .base import EitAlgorithm
from .feedback import FeedbackProgress
from .inputs import (
    catalogue_parameters,
    flow_layer_parameters,
    load_catalogue,
    read_layer_parameter,
    top_k_parameter,
    write_frame,
)
from .messages import processing_error
from .summaries import candidates_summary


class SynergyCandidatesAlgorithm(EitAlgorithm):
    ALG_ID = "synergycandidates"
    GROUP_ID = "synergies"

    SUPPLY = "SUPPLY"
    NEED = "NEED"
    MAX_DISTANCE_KM = "MAX_DISTANCE_KM"
    NETWORK = "NETWORK"
    SNAP_TOLERANCE_M = "SNAP_TOLERANCE_M"
    ALLOCATE = "ALLOCATE"
    TOP_K = "TOP_K"
    OUTPUT = "OUTPUT"
    OUTPUT_UNPLACED = "OUTPUT_UNPLACED"

    def displayName(self):
        return self.tr("Find substitution synergies")

    def help_text(self):
        return self.tr(
            "For every supply, finds the needs it can feed (same resource, or a compatible one "
            "from the compatibility table) within a distance: MAX_DISTANCE_KM, or when 0 the "
            "default distance of each supply resource in the catalogue. Distances are measured "
            "in Lambert-93 (EPSG:2154), along the road network when one is given (the snapping "
            "distance of each end is reported; a pair the network does not connect keeps its "
            "straight-line distance, with a note). Each candidate is a line from the supplier "
            "to the receiver with its score (0-1) and the score's parts: compatibility, "
            "quantity coverage, distance, season overlap; and its impact figures (tonnes "
            "diverted, tonne-km, CO2 of transport). With ALLOCATE, competing supplies and needs "
            "share quantities optimally (most quantity exchanged, then least tonne-km, linear "
            "programme solved by HiGHS). TOP_K keeps each supply's best outlets and each "
            "need's best sources by score (10 by default; 0 keeps every pair within the "
            "distance); the allocation shares what is kept."
        )

    def initAlgorithm(self, config=None):
        flow_layer_parameters(self)
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_DISTANCE_KM,
                self.tr("Maximum distance (km, 0 = each resource's default)"),
                QgsProcessingParameterNumber.Type.Double,
                0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.NETWORK,
                self.tr("Road network (optional, for road distances)"),
                [QgsProcessing.SourceType.TypeVectorLine],
                optional=True,
            )
        )
        snap = QgsProcessingParameterNumber(
            self.SNAP_TOLERANCE_M,
            self.tr("Largest snapping distance to the network (m)"),
            QgsProcessingParameterNumber.Type.Double,
            500.0,
            minValue=0.0,
        )
        snap.setFlags(snap.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(snap)
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.ALLOCATE, self.tr("Allocate quantities optimally"), False
            )
        )
        self.addParameter(top_k_parameter(self.TOP_K))
        catalogue_parameters(self)
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, self.tr("Synergy candidates"), QgsProcessing.SourceType.TypeVectorLine
            )
        )
        unplaced = QgsProcessingParameterFeatureSink(
            self.OUTPUT_UNPLACED,
            self.tr("Flows not matched (no position)"),
            QgsProcessing.SourceType.TypeVector,
            optional=True,
            createByDefault=False,
        )
        self.addParameter(unplaced)

    def processAlgorithm(self, parameters, context, feedback):
        steps = QgsProcessingMultiStepFeedback(3, feedback)
        try:
            return self.search(parameters, context, steps)
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            return {}

    def search(self, parameters, context, steps):
        from ..core.synergy import find_candidates

        catalogue = load_catalogue(self, parameters, context)
        supply = read_layer_parameter(self, parameters, self.SUPPLY, context, steps)
        need = read_layer_parameter(self, parameters, self.NEED, context, steps)
        network = read_layer_parameter(
            self, parameters, self.NETWORK, context, steps, optional=True
        )
        steps.setCurrentStep(1)
        result = find_candidates(
            supply,
            need,
            catalogue.compatibility_frame,
            self.parameterAsDouble(parameters, self.MAX_DISTANCE_KM, context),
            catalogue.max_distance_km(),
            network=network,
            allocate=self.parameterAsBool(parameters, self.ALLOCATE, context),
            progress=FeedbackProgress(steps),
            snap_tolerance_m=self.parameterAsDouble(parameters, self.SNAP_TOLERANCE_M, context),
            precedents=functools.partial(precedent_pairs, catalogue),
            top_k=self.parameterAsInt(parameters, self.TOP_K, context),
        )
        for line in candidates_summary(
            result.candidates, result.unplaced, result.allocation_totals, catalogue.families_frame
        ):
            steps.pushInfo(line)
        steps.setCurrentStep(2)
        candidates = result.candidates.sort_values("score", ascending=False, kind="stable")
        outputs = {
            self.OUTPUT: write_frame(
                self,
                candidates,
                self.OUTPUT,
                parameters,
                context,
                steps,
                QgsWkbTypes.Type.LineString,
            )
        }
        attach_style(
            context,
            outputs[self.OUTPUT],
            self.tr("Synergy candidates"),
            style_candidate_layer,
            catalogue.families_frame,
        )
        unplaced = result.unplaced
        if parameters.get(self.OUTPUT_UNPLACED) and unplaced is not None:
            outputs[self.OUTPUT_UNPLACED] = write_frame(
                self, unplaced, self.OUTPUT_UNPLACED, parameters, context, steps,
                QgsWkbTypes.Type.NoGeometry,
            )  # fmt: skip
        outputs["CANDIDATES"] = len(candidates)
        return outputs
