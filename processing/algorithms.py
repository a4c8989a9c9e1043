"""The list of the provider's algorithm classes (one algorithm per module)."""

from __future__ import annotations

from .alg_buildflowlayers import BuildFlowLayersAlgorithm
from .alg_downloadban import DownloadBanAlgorithm
from .alg_exportatlas import ExportAtlasAlgorithm
from .alg_geocodeactors import GeocodeActorsAlgorithm
from .alg_mutualisationcandidates import MutualisationCandidatesAlgorithm
from .alg_runpipeline import RunPipelineAlgorithm
from .alg_synergycandidates import SynergyCandidatesAlgorithm

ALGORITHM_CLASSES: list = [
    GeocodeActorsAlgorithm,
    DownloadBanAlgorithm,
    BuildFlowLayersAlgorithm,
    SynergyCandidatesAlgorithm,
    MutualisationCandidatesAlgorithm,
    RunPipelineAlgorithm,
    ExportAtlasAlgorithm,
]
