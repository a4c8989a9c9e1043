"""Pure core tests: QGIS, Qt and QGIS's ``processing`` are made unimportable.

Whatever the machine has installed, a core module that imports one of them fails here,
which is how this suite proves that ``core/`` runs without QGIS (run with ``-p no:qgis``).
"""

from __future__ import annotations

import importlib.abc
import sys

BLOCKED = ("qgis", "PyQt5", "PyQt6", "sip", "processing", "pytest_qgis")


class QgisBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            message = f"{fullname} is blocked in the pure core tests"
            raise ModuleNotFoundError(message, name=fullname)
        return None


if not any(isinstance(finder, QgisBlocker) for finder in sys.meta_path):
    sys.meta_path.insert(0, QgisBlocker())
