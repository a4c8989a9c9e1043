"""The list of the provider's algorithm classes (one algorithm per module)."""

from __future__ import annotations

from .alg_buildflowlayers import BuildFlowLayersAlgorithm
from .alg_mutualisationcandidates import MutualisationCandidatesAlgorithm
from .alg_runpipeline import RunPipelineAlgorithm
from .alg_synergycandidates import SynergyCandidatesAlgorithm

ALGORITHM_CLASSES: list = [
    BuildFlowLayersAlgorithm,
    SynergyCandidatesAlgorithm,
    MutualisationCandidatesAlgorithm,
    RunPipelineAlgorithm,
]
