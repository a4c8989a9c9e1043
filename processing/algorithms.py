"""The provider's algorithms, each with the Python libraries it needs.

The modules are imported only once their libraries are installed: loading the plugin, its
provider and its toolbar never imports pandas, geopandas, shapely... (a QGIS whose Python lacks
one of them still starts the plugin and says what to install).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

_TABLES = ("pandas", "geopandas", "shapely")


@dataclass(frozen=True)
class AlgorithmEntry:
    alg_id: str
    module: str  # module of this package, relative to ``processing``
    class_name: str
    requires: tuple[str, ...]

    def load(self):
        """The algorithm class (imports its module: call only when ``requires`` are met)."""
        module = importlib.import_module(f".{self.module}", __package__)
        return getattr(module, self.class_name)


ALGORITHMS: tuple[AlgorithmEntry, ...] = (
    AlgorithmEntry(
        "geocodeactors", "alg_geocodeactors", "GeocodeActorsAlgorithm", (*_TABLES, "rapidfuzz")
    ),
    AlgorithmEntry(
        "downloadban", "alg_downloadban", "DownloadBanAlgorithm", ("pandas", "numpy", "rapidfuzz")
    ),
    AlgorithmEntry(
        "buildflowlayers",
        "alg_buildflowlayers",
        "BuildFlowLayersAlgorithm",
        (*_TABLES, "pint", "rapidfuzz"),
    ),
    AlgorithmEntry(
        "synergycandidates",
        "alg_synergycandidates",
        "SynergyCandidatesAlgorithm",
        (*_TABLES, "scipy", "networkx"),
    ),
    AlgorithmEntry(
        "mutualisationcandidates",
        "alg_mutualisationcandidates",
        "MutualisationCandidatesAlgorithm",
        (*_TABLES, "scipy"),
    ),
    AlgorithmEntry(
        "runpipeline",
        "alg_runpipeline",
        "RunPipelineAlgorithm",
        (*_TABLES, "pint", "rapidfuzz", "scipy", "networkx"),
    ),
    AlgorithmEntry(
        "copyworkspace",
        "alg_copyworkspace",
        "CopyWorkspaceAlgorithm",
        (*_TABLES, "pint", "rapidfuzz", "scipy", "networkx"),
    ),
    AlgorithmEntry("grantaccess", "alg_grantaccess", "GrantAccessAlgorithm", ("pandas", "numpy")),
    AlgorithmEntry(
        "regionalsummary",
        "alg_regionalsummary",
        "RegionalSummaryAlgorithm",
        ("pandas", "numpy"),
    ),
    AlgorithmEntry(
        "exportatlas",
        "alg_exportatlas",
        "ExportAtlasAlgorithm",
        (*_TABLES, "openpyxl"),
    ),
)


def requirements_of(alg_id: str) -> tuple[str, ...]:
    return next(entry.requires for entry in ALGORITHMS if entry.alg_id == alg_id)
