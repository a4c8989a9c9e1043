"""QGIS test set-up: load the plugin the way QGIS does.

QGIS reads ``metadata.txt``, checks the version range, imports the plugin folder as a package
(here under its installed name ``eit_synergies``, registered by ``tests/conftest.py``), calls
``classFactory(iface)``, then ``initProcessing()`` (hasProcessingProvider=yes) and
``initGui()``.
"""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "eit_synergies"


def read_metadata() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    return dict(parser["general"])


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


class RecordingIface:
    """pytest-qgis's iface, plus a record of plugin menus and toolbar icons.

    pytest-qgis's mock accepts ``addPluginToMenu`` but keeps nothing; this records every
    entry so tests can prove that unload removes what load added.
    """

    def __init__(self, iface):
        self._iface = iface
        self.plugin_menus: dict[str, list] = {}
        self.toolbar_icons: list = []

    def __getattr__(self, name):
        return getattr(self._iface, name)

    def addPluginToMenu(self, name, action):
        self.plugin_menus.setdefault(name, []).append(action)

    def removePluginMenu(self, name, action):
        self.plugin_menus[name].remove(action)
        if not self.plugin_menus[name]:
            del self.plugin_menus[name]

    def addToolBarIcon(self, action):
        self.toolbar_icons.append(action)

    def removeToolBarIcon(self, action):
        self.toolbar_icons.remove(action)


def load_plugin(iface):
    """The plugin object, created and started as QGIS does it."""
    metadata = read_metadata()
    qgis_version = version_tuple(Qgis.QGIS_VERSION.split("-")[0])
    assert version_tuple(metadata["qgisMinimumVersion"]) <= qgis_version
    assert qgis_version <= version_tuple(metadata["qgisMaximumVersion"])
    package = sys.modules[PACKAGE]
    plugin = package.classFactory(iface)
    if metadata.get("hasProcessingProvider") == "yes":
        plugin.initProcessing()
    plugin.initGui()
    return plugin


@pytest.fixture
def recording_iface(qgis_iface):
    return RecordingIface(qgis_iface)


@pytest.fixture
def plugin(recording_iface, qgis_processing):
    loaded = load_plugin(recording_iface)
    yield loaded
    loaded.unload()


def eit_providers():
    return [p for p in QgsApplication.processingRegistry().providers() if p.id() == "eit"]


@pytest.fixture(name="load_plugin")
def load_plugin_fixture():
    return load_plugin


@pytest.fixture(name="eit_providers")
def eit_providers_fixture():
    return eit_providers


@pytest.fixture(scope="session")
def french_qm_dir(tmp_path_factory) -> Path:
    """A folder holding ``eit_synergies_fr.qm``, compiled from the shipped ``.ts`` (which
    tests/unit/test_i18n.py keeps complete), whatever ``make`` has built or not."""
    import subprocess

    folder = tmp_path_factory.mktemp("qm")
    qm = folder / "eit_synergies_fr.qm"
    ts = ROOT / "i18n" / "eit_synergies_fr.ts"
    subprocess.run(["lrelease", "-silent", str(ts), "-qm", str(qm)], check=True)
    return folder


def pg_server_module():
    """``tests/qgis/pg_server.py`` (tests run in importlib mode: not on ``sys.path``)."""
    import importlib.util

    name = "eit_pg_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "pg_server.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def pg_server():
    """A throw-away PostgreSQL + PostGIS server for the session (``tests/qgis/pg_server.py``)."""
    server = pg_server_module().start_server()
    yield server
    server.stop()


@pytest.fixture
def close_docks(qgis_iface):
    """A function closing workshop docks, then leaving the canvas, the tasks and the project
    empty (no render job or search may read the layers being removed)."""

    def close(*docks):
        for dock in docks:
            dock.cleanup()
            dock.close()
            dock.deleteLater()
        QgsApplication.processEvents()
        canvas = qgis_iface.mapCanvas()
        canvas.stopRendering()
        canvas.waitWhileRendering()
        canvas.setLayers([])
        QgsApplication.taskManager().cancelAll()
        QgsProject.instance().clear()
        QgsApplication.processEvents()

    return close
