"""Plugin metadata, read once from ``metadata.txt`` (the single source of truth)."""

from __future__ import annotations

import configparser
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent
PLUGIN_FOLDER = "eit_synergies"  # the folder name QGIS installs the plugin under


def _read_metadata() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep the keys' case (qgisMinimumVersion)
    parser.read(PLUGIN_DIR / "metadata.txt", encoding="utf-8")
    return dict(parser["general"])


METADATA = _read_metadata()
__title__ = METADATA["name"]
__version__ = METADATA["version"]
__summary__ = METADATA["description"]
__uri_tracker__ = METADATA["tracker"]
__uri_repository__ = METADATA["repository"]
ICON_PATH = PLUGIN_DIR / METADATA["icon"]
