"""Stand-in for an algorithm whose Python libraries are missing: hidden from the toolbox and
the modeler (the algorithm is not offered), but reachable by its id, so that a script, a model
or ``qgis_process run eit:<id>`` gets the list of libraries to install instead of "algorithm
not found"."""

from __future__ import annotations

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException

from ..core.dependencies import PYPI_NAMES, pip_command
from ..layers.compat import algorithm_flag
from ..translation import tr


def missing_message(alg_id: str, lacking: list[str]) -> str:
    return tr("Algorithm {alg} is not available: install {modules} ({command}).").format(
        alg=f"eit:{alg_id}",
        modules=", ".join(PYPI_NAMES.get(m, m) for m in lacking),
        command=pip_command(lacking),
    )


class UnavailableAlgorithm(QgsProcessingAlgorithm):
    def __init__(self, alg_id: str, lacking: list[str]):
        super().__init__()
        self.alg_id = alg_id
        self.lacking = list(lacking)

    def createInstance(self):  # noqa: N802 - QGIS API
        return UnavailableAlgorithm(self.alg_id, self.lacking)

    def name(self) -> str:
        return self.alg_id

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        return tr("{alg} (libraries missing)").format(alg=self.alg_id)

    def flags(self):
        return (
            super().flags() | algorithm_flag("HideFromToolbox") | algorithm_flag("HideFromModeler")
        )

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        return missing_message(self.alg_id, self.lacking)

    def canExecute(self):  # noqa: N802 - QGIS API
        return False, missing_message(self.alg_id, self.lacking)

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        return

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        raise QgsProcessingException(missing_message(self.alg_id, self.lacking))
