"""Run inside the real QGIS desktop (``qgis --code``) by test_desktop.py.

Proves from inside the running QGIS that the plugin loaded, its provider is registered, and
that unload → load leaves no duplicate; saves a screenshot; writes a JSON report; quits.
"""

import json
import os
import traceback

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QTimer
from qgis.utils import active_plugins, iface, loadPlugin, plugins, startPlugin, unloadPlugin

REPORT = os.environ["EIT_DESKTOP_REPORT"]
SCREENSHOT = os.environ["EIT_DESKTOP_SCREENSHOT"]


def eit_state():
    registry = QgsApplication.processingRegistry()
    providers = [p for p in registry.providers() if p.id() == "eit"]
    menu_actions = [
        a.text()
        for a in iface.mainWindow().findChildren(type(iface.mainWindow().menuBar().actions()[0]))
        if a.objectName() == "eitSynergiesTools"
    ]
    return {
        "providers": len(providers),
        "algorithms": sorted(a.id() for a in providers[0].algorithms()) if providers else [],
        "tool_actions": len(menu_actions),
    }


def run():
    report = {}
    try:
        report["active_plugins"] = list(active_plugins)
        report["loaded"] = "eit_synergies" in plugins
        report["first"] = eit_state()
        plugins["eit_synergies"].show_tools()  # the toolbox, filtered on our algorithms
        QgsApplication.processEvents()
        iface.mainWindow().grab().save(SCREENSHOT)
        report["unloaded"] = unloadPlugin("eit_synergies")
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # deleteLater() done
        report["after_unload"] = eit_state()
        report["reloaded"] = loadPlugin("eit_synergies") and startPlugin("eit_synergies")
        report["after_reload"] = eit_state()
    except Exception:  # report everything to the test, which fails on it
        report["error"] = traceback.format_exc()
    with open(REPORT, "w", encoding="utf-8") as handle:
        json.dump(report, handle)
    QgsApplication.exit(0)


QTimer.singleShot(3000, run)
