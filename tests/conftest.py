"""Shared test set-up: register the plugin under its installed package name.

QGIS imports the plugin by its folder name (``eit_synergies``); CI clones the repository
into a folder of another name, so the package is registered here from the repository
root, whatever the checkout is called. This file imports nothing from QGIS.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

# Debian's pyproj (the one QGIS's PROJ goes with) looks for its data under the venv's prefix
# first; point it at the system's PROJ data.
if Path("/usr/share/proj/proj.db").exists():
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")

PLUGIN_DIR = Path(__file__).resolve().parents[1]
PACKAGE = "eit_synergies"
TEST_DATA = PLUGIN_DIR / "tests" / "data"


def register_package():
    """Import the repository root as the package ``eit_synergies`` (idempotent)."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.spec_from_file_location(
        PACKAGE, PLUGIN_DIR / "__init__.py", submodule_search_locations=[str(PLUGIN_DIR)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


register_package()
# helpers shared by the QGIS tests (``tests/support/qgis_helpers.py``)
sys.path.insert(0, str(PLUGIN_DIR / "tests" / "support"))
