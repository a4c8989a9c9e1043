"""The list of the provider's algorithm classes (one algorithm per module)."""

from __future__ import annotations

from .alg_buildflowlayers import BuildFlowLayersAlgorithm

ALGORITHM_CLASSES: list = [
    BuildFlowLayersAlgorithm,
]
