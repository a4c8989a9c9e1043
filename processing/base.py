"""The small base class of every ``eit`` algorithm."""

from __future__ import annotations

from qgis.core import QgsProcessingAlgorithm
from qgis.PyQt.QtGui import QIcon

from ..__about__ import ICON_PATH, __uri_repository__
from ..translation import tr
from ..translation import tr as translate


def group_names() -> dict[str, str]:
    """Group id -> translated display name (ids are stable, names follow the locale)."""
    return {
        "data": tr("Data preparation"),
        "synergies": tr("Synergies"),
        "reports": tr("Reports"),
        "workflow": tr("Workflow"),
    }


class EitAlgorithm(QgsProcessingAlgorithm):
    """Id, group, translation, instance creation and help for our algorithms.

    Subclasses set ``ALG_ID`` (stable lowercase id), ``GROUP_ID`` (a key of
    :func:`group_names`), and implement ``displayName``, ``help_text``, ``initAlgorithm`` and
    ``processAlgorithm``. The Python libraries an algorithm needs are listed next to it in
    ``algorithms.ALGORITHMS``: the provider imports its module only when they are installed.
    """

    ALG_ID = ""
    GROUP_ID = ""

    def tr(self, text: str) -> str:
        return translate(text)

    def createInstance(self):  # noqa: N802 - QGIS API
        return type(self)()

    def name(self) -> str:
        return self.ALG_ID

    def group(self) -> str:
        return group_names()[self.GROUP_ID]

    def groupId(self) -> str:  # noqa: N802 - QGIS API
        return self.GROUP_ID

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def help_text(self) -> str:
        """The algorithm's help, translated (subclasses override)."""
        return ""

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API
        return self.help_text()

    def helpUrl(self) -> str:  # noqa: N802 - QGIS API
        return f"{__uri_repository__}#readme"
