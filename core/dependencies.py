"""Which optional Python libraries are installed (no import of the libraries themselves)."""

from __future__ import annotations

import importlib.util

#: import name -> name on PyPI
PYPI_NAMES = {
    "pandas": "pandas",
    "geopandas": "geopandas",
    "shapely": "shapely",
    "pyproj": "pyproj",
    "pint": "pint",
    "rapidfuzz": "rapidfuzz",
    "scipy": "scipy",
    "networkx": "networkx",
    "pyqtgraph": "pyqtgraph",
    "openpyxl": "openpyxl",
    "odf": "odfpy",
    "defusedxml": "defusedxml",
}


def is_available(module: str) -> bool:
    """True when ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(modules=None) -> list[str]:
    """The import names among ``modules`` (default: all known) that are not installed."""
    return [m for m in (modules or PYPI_NAMES) if not is_available(m)]


def pip_command(modules) -> str:
    """The command a user runs to install ``modules`` in the Python that QGIS uses."""
    names = " ".join(PYPI_NAMES.get(m, m) for m in modules)
    return f"python3 -m pip install --user {names}"
