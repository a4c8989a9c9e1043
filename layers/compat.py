"""The one place where the QGIS API differs between the versions the plugin supports
(3.22 LTR to 3.44, and QGIS 4): each name here is the scoped enum where QGIS has it
(``Qgis.LabelPlacement``, ``Qgis.ProcessingAlgorithmFlag``...), else the older class enum.
The rest of the code writes enum values with their enum's name (``Qt.AlignmentFlag.AlignLeft``,
checked by tests/qgis/test_qt6_ready.py), which every supported version accepts."""

from __future__ import annotations

from qgis.core import Qgis, QgsPalLayerSettings, QgsProcessingAlgorithm

#: Label placement (``settings.placement = LabelPlacement.OverPoint``). On QGIS 3.40
#: ``QgsPalLayerSettings.OverPoint`` is a value of another enum (the predefined positions).
LabelPlacement = getattr(Qgis, "LabelPlacement", None) or QgsPalLayerSettings.Placement


def algorithm_flag(name: str):
    """A Processing algorithm flag by its short name (``"NoThreading"``)."""
    scoped = getattr(Qgis, "ProcessingAlgorithmFlag", None)
    if scoped is not None:
        return getattr(scoped, name)
    return getattr(QgsProcessingAlgorithm.Flag, "Flag" + name)
