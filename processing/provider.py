"""The ``eit`` Processing provider."""

from __future__ import annotations

from qgis.core import QgsMessageLog, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..__about__ import ICON_PATH, __version__
from ..core.dependencies import missing
from ..translation import tr
from .algorithms import ALGORITHMS
from .unavailable import UnavailableAlgorithm, missing_message

LOG_TAG = "EIT Synergies"


class EitProvider(QgsProcessingProvider):
    """Registers every algorithm whose Python dependencies are installed."""

    def __init__(self):
        super().__init__()
        self.skipped: dict[str, list[str]] = {}

    def id(self) -> str:
        return "eit"

    def name(self) -> str:
        return tr("EIT Synergies")

    def longName(self) -> str:  # noqa: N802 - QGIS API
        return tr("EIT Synergies (industrial and territorial ecology) {version}").format(
            version=__version__
        )

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def versionInfo(self) -> str:  # noqa: N802 - QGIS API
        return __version__

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API
        """Registers each algorithm whose libraries are installed (its module is imported only
        then); each other one as a hidden stand-in that says what to install. ``skipped`` maps
        those to what they lack."""
        self.skipped = {}
        for entry in ALGORITHMS:
            lacking = missing(entry.requires)
            if lacking:
                self.skipped[entry.alg_id] = lacking
                QgsMessageLog.logMessage(missing_message(entry.alg_id, lacking), LOG_TAG)
                self.addAlgorithm(UnavailableAlgorithm(entry.alg_id, lacking))
                continue
            self.addAlgorithm(entry.load()())

    def offered(self) -> list:
        """The algorithms a user can run (stand-ins for missing libraries left out)."""
        return [a for a in self.algorithms() if not isinstance(a, UnavailableAlgorithm)]
