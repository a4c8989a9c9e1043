#!/usr/bin/env python3
"""Screenshots of the user guide, made from the real QGIS desktop under Xvfb.

    .venv/bin/python scripts/screenshots.py [demo-output]

Opens the demo workspace (run ``make demo`` first) in QGIS with the plugin enabled, in French,
and saves into ``docs/images/``: the workshop project (``projet-atelier.png``), the dialog of
``eit:runpipeline`` (``dialogue-chaine.png``) and the toolbox (``boite-a-outils.png``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"

STARTUP = r"""
import json, os, traceback
from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QDockWidget
from qgis.utils import iface, plugins

OUT = os.environ["EIT_SHOTS"]
report = {}

def shoot_project():
    try:
        QgsProject.instance().read(os.environ["EIT_PROJECT"])
        canvas = iface.mapCanvas()
        canvas.setExtent(QgsProject.instance().viewSettings().defaultViewExtent())
        canvas.refreshAllLayers()
        for name in ("Browser", "Browser2"):
            dock = iface.mainWindow().findChild(QDockWidget, name)
            if dock:
                dock.setVisible(False)
        QTimer.singleShot(4000, grab_project)
    except Exception:
        report["error"] = traceback.format_exc(); finish()

def grab_project():
    iface.mainWindow().grab().save(os.path.join(OUT, "projet-atelier.png"))
    plugins["eit_synergies"].show_tools()
    QTimer.singleShot(1500, grab_toolbox)

def grab_toolbox():
    iface.mainWindow().grab().save(os.path.join(OUT, "boite-a-outils.png"))
    from qgis import processing
    dialog = processing.createAlgorithmDialog("eit:runpipeline", {})
    dialog.resize(900, 700)
    dialog.show()
    report["dialog_title"] = dialog.windowTitle()
    QTimer.singleShot(1500, lambda: grab_dialog(dialog))

def grab_dialog(dialog):
    dialog.grab().save(os.path.join(OUT, "dialogue-chaine.png"))
    dialog.close()
    finish()

def finish():
    with open(os.path.join(OUT, "report.json"), "w") as handle:
        json.dump(report, handle)
    QgsApplication.exit(0)

QTimer.singleShot(2000, shoot_project)
"""


def main(argv) -> int:
    workspace = Path(argv[1] if len(argv) > 1 else ROOT / "demo-output").resolve()
    project = workspace / "eit.qgz"
    if not project.exists():
        raise SystemExit(f"{project} not found: run 'make demo' first")
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        profile = tmp / "profiles" / "default"
        plugins = profile / "python" / "plugins"
        plugins.mkdir(parents=True)
        (plugins / "eit_synergies").symlink_to(ROOT, target_is_directory=True)
        (profile / "QGIS").mkdir()
        (profile / "QGIS" / "QGIS3.ini").write_text(
            "[PythonPlugins]\neit_synergies=true\n\n[locale]\noverrideFlag=true\n"
            "userLocale=fr_FR\n\n[qgis]\ncheckVersion=false\n",
            encoding="utf-8",
        )
        startup = tmp / "startup.py"
        startup.write_text(STARTUP, encoding="utf-8")
        env = dict(os.environ)
        for key in ("QT_QPA_PLATFORM", "QGIS_CUSTOM_CONFIG_PATH"):
            env.pop(key, None)
        env.update(
            HOME=str(tmp), XDG_RUNTIME_DIR=str(tmp), EIT_SHOTS=str(IMAGES),
            EIT_PROJECT=str(project),
            PYTHONPATH=os.pathsep.join(
                filter(None, [sysconfig.get_paths()["purelib"], env.get("PYTHONPATH")])
            ),
        )  # fmt: skip
        command = [
            "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis.bin",
            "--profiles-path", str(tmp), "--noversioncheck", "--nologo", "--code", str(startup),
        ]  # fmt: skip
        subprocess.run(command, env=env, timeout=300, capture_output=True)
    report = json.loads((IMAGES / "report.json").read_text(encoding="utf-8"))
    (IMAGES / "report.json").unlink()
    if "error" in report:
        print(report["error"], file=sys.stderr)
        return 1
    for name in ("projet-atelier.png", "boite-a-outils.png", "dialogue-chaine.png"):
        print(IMAGES / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
