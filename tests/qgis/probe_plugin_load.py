"""Run by tests/qgis/test_missing_libraries.py in a fresh interpreter whose libraries named in
``EIT_BLOCK_MODULES`` are masked (tests/support/block/sitecustomize.py); not collected by the
main run (no ``test_`` prefix)."""

from __future__ import annotations

import sys

import sitecustomize
from eit_synergies.core.dependencies import PYPI_NAMES
from eit_synergies.processing.algorithms import ALGORITHMS

LIBRARIES = [m for m in PYPI_NAMES if m != "pyproj"]


def bar_texts(iface) -> str:
    from qgis.gui import QgsMessageBarItem

    bar = iface.messageBar()
    items = [w for w in bar.findChildren(QgsMessageBarItem)]
    return " ".join(item.text() for item in items)


def test_plugin_loads_without(recording_iface, qgis_processing, load_plugin, eit_providers):
    masked = sorted(sitecustomize.BLOCKED)
    assert masked, "EIT_BLOCK_MODULES names no library"
    # QGIS itself may import some (QGIS 3.40 imports shapely): those cannot be masked
    before = {m for m in LIBRARIES if m in sys.modules}
    assert not before & set(masked), f"{before & set(masked)} imported before the plugin loaded"
    plugin = load_plugin(recording_iface)
    try:
        assert sorted(plugin.missing_modules) == sorted(masked)
        text = bar_texts(recording_iface)
        for module in masked:
            assert PYPI_NAMES[module] in text, text
        assert "pip install" in text
        assert recording_iface.messageBar().findChild(
            __import__("qgis.PyQt.QtWidgets", fromlist=["QPushButton"]).QPushButton,
            "eitInstallLibraries",
        )
        (provider,) = eit_providers()
        offered = {alg.name() for alg in provider.offered()}
        for entry in ALGORITHMS:
            needs_masked = bool(set(entry.requires) & set(masked))
            assert (entry.alg_id in offered) is not needs_masked, entry.alg_id
            assert (entry.alg_id in provider.skipped) is needs_masked
        assert recording_iface.toolbar_icons, "the toolbar entry is there"
    finally:
        plugin.unload()
    assert eit_providers() == []
    if set(masked) >= {"pandas", "pyqtgraph"}:
        # no algorithm could load: then the plugin, its provider and toolbar imported none
        assert {m for m in LIBRARIES if m in sys.modules} <= before
