#!/usr/bin/env python3
"""Build the atlas's print layout templates (``layers/templates/*.qpt``) with QGIS's API.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/build_layout_templates.py

The templates are committed; run this again after changing ``layers/atlas_layout.py``.
Each template is checked by loading it back with ``QgsPrintLayout.loadFromTemplate``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "eit_synergies"


def register_package():
    spec = importlib.util.spec_from_file_location(
        PACKAGE, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication, QgsProject

    app = QgsApplication([], False)
    app.initQgis()
    register_package()
    from eit_synergies.layers import atlas_layout

    project = QgsProject()
    for orientation, path in atlas_layout.TEMPLATES.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        layout = atlas_layout.build_template(orientation, project)
        atlas_layout.save_template(layout, path)
        loaded = atlas_layout.load_template(project, path)
        ids = sorted(i.id() for i in loaded.items() if hasattr(i, "id") and i.id())
        print(f"{path.relative_to(ROOT)}: {len(ids)} items")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
