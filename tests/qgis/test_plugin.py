"""The plugin loads in QGIS, registers its provider, and unloads cleanly."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication

ROOT = Path(__file__).resolve().parents[2]


def test_provider_registered_with_its_algorithms(plugin, eit_providers):
    providers = eit_providers()
    assert len(providers) == 1
    provider = providers[0]
    ids = {alg.id() for alg in provider.algorithms()}
    assert ids, "the eit provider registers no algorithm"
    assert all(alg_id.startswith("eit:") for alg_id in ids)
    for alg in provider.algorithms():
        assert alg.displayName() and alg.group() and alg.shortHelpString()
        assert alg.createInstance().name() == alg.name()


def test_menu_and_toolbar_entries(plugin, recording_iface):
    assert sum(len(a) for a in recording_iface.plugin_menus.values()) == 1
    assert len(recording_iface.toolbar_icons) == 1


def test_load_unload_load_leaves_no_duplicate(
    recording_iface, qgis_processing, load_plugin, eit_providers
):
    first = load_plugin(recording_iface)
    first.unload()
    assert eit_providers() == []
    assert recording_iface.plugin_menus == {}
    assert recording_iface.toolbar_icons == []
    second = load_plugin(recording_iface)
    try:
        assert len(eit_providers()) == 1
        assert sum(len(a) for a in recording_iface.plugin_menus.values()) == 1
        assert len(recording_iface.toolbar_icons) == 1
    finally:
        second.unload()
    assert eit_providers() == []


def test_missing_library_is_reported_and_loading_goes_on(
    recording_iface, qgis_processing, monkeypatch, load_plugin, eit_providers
):
    from eit_synergies.core import dependencies
    from eit_synergies.processing.algorithms import ALGORITHMS
    from qgis.gui import QgsMessageBarItem
    from qgis.PyQt.QtWidgets import QPushButton

    real = dependencies.is_available
    monkeypatch.setattr(
        dependencies, "is_available", lambda m: False if m == "geopandas" else real(m)
    )
    loaded = load_plugin(recording_iface)
    try:
        assert loaded.missing_modules == ["geopandas"]
        bar = recording_iface.messageBar()
        messages = " ".join(item.text() for item in bar.findChildren(QgsMessageBarItem))
        assert "geopandas" in messages and "pip install" in messages
        assert bar.findChild(QPushButton, "eitInstallLibraries") is not None
        provider = eit_providers()[0]
        needing = {entry.alg_id for entry in ALGORITHMS if "geopandas" in entry.requires}
        assert needing and set(provider.skipped) == needing
        assert not needing & {alg.name() for alg in provider.offered()}
        # the others are there; the skipped ones answer by their id with what to install
        for alg_id in needing:
            alg = provider.algorithm(alg_id)
            ok, message = alg.canExecute()
            assert not ok and "geopandas" in message
    finally:
        loaded.unload()


def test_processing_module_is_qgis_own(qgis_processing):
    import processing  # QGIS's package, not the plugin's processing/ folder

    assert Path(processing.__file__).resolve().parent != (ROOT / "processing").resolve()
    assert hasattr(processing, "run")
    assert QgsApplication.processingRegistry().providerById("native") is not None
