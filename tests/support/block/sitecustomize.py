"""Makes the libraries named in ``EIT_BLOCK_MODULES`` (comma-separated) unimportable, as in a
Python where they are not installed. Put this folder first on ``PYTHONPATH``: Python imports
``sitecustomize`` at start-up, before QGIS or the plugin. The set can be changed while the
process runs (``BLOCKED``), since the plugin never imports them at load."""

from __future__ import annotations

import os
import sys

BLOCKED: set[str] = {m for m in os.environ.get("EIT_BLOCK_MODULES", "").split(",") if m}


class _Blocker:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked for the test)", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
