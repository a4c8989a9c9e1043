"""Synergy engine: substitution candidates, allocation, impacts, mutualisation groups.

Qt-free: inputs and outputs are pandas/geopandas frames (see CONTRACT.md for the fields).
"""

from ._common import PlacedFlows, place_flows
from .allocation import AllocationResult, allocate, allocate_arrays
from .candidates import CandidateResult, compatibility_pairs, find_candidates, search_pairs
from .impacts import ImpactFactor, add_impacts, impact_totals, load_impact_factors
from .mutualisation import find_mutualisation_groups
from .network import RoadGraph
from .scoring import SCORE_WEIGHTS, combine_score, distance_score

__all__ = [
    "SCORE_WEIGHTS",
    "AllocationResult",
    "CandidateResult",
    "ImpactFactor",
    "PlacedFlows",
    "RoadGraph",
    "add_impacts",
    "allocate",
    "allocate_arrays",
    "combine_score",
    "compatibility_pairs",
    "distance_score",
    "find_candidates",
    "find_mutualisation_groups",
    "impact_totals",
    "load_impact_factors",
    "place_flows",
    "search_pairs",
]
