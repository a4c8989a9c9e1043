"""The ``eit`` Processing provider."""

from __future__ import annotations

from qgis.core import QgsMessageLog, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..__about__ import ICON_PATH, __version__
from ..core.dependencies import missing, pip_command
from ..translation import tr
from .algorithms import ALGORITHM_CLASSES

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
        self.skipped = {}
        for cls in ALGORITHM_CLASSES:
            lacking = missing(cls.REQUIRES) if cls.REQUIRES else []
            if lacking:
                self.skipped[cls.ALG_ID] = lacking
                QgsMessageLog.logMessage(
                    tr("Algorithm {alg} is not available: install {modules} ({command}).").format(
                        alg=f"eit:{cls.ALG_ID}",
                        modules=", ".join(lacking),
                        command=pip_command(lacking),
                    ),
                    LOG_TAG,
                )
                continue
            self.addAlgorithm(cls())
