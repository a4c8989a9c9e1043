"""Run inside the real QGIS desktop (``qgis --code``) by test_dock_desktop.py.

Builds the demo workspace, opens the workshop dock from the plugin, takes decisions, selects
an actor and a synergy, saves screenshots of the window (normal, then presentation mode),
leaves the presentation with Esc, checks that unload removes the dock and its toolbar, writes
a JSON report and quits.
"""

import importlib.util
import json
import os
import time
import traceback
from pathlib import Path

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QCoreApplication, QEvent, Qt, QTimer, QTranslator
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QDockWidget, QToolBar
from qgis.utils import iface, loadPlugin, plugins, startPlugin, unloadPlugin

REPORT = os.environ["EIT_DESKTOP_REPORT"]
SCREENSHOT = os.environ["EIT_DOCK_SCREENSHOT"]
PRESENTATION_SHOT = os.environ["EIT_DOCK_PRESENTATION_SCREENSHOT"]
FOLDER = Path(os.environ["EIT_DOCK_FOLDER"])
EXTRA_QM = os.environ.get("EIT_EXTRA_QM")
HERE = Path(os.environ["EIT_DOCK_TESTS"])  # exec()uted by QGIS: no __file__
_keep = []


def settle(seconds=1.0):
    """Process events until the map is drawn (bounded)."""
    canvas = iface.mapCanvas()
    end = time.monotonic() + 20
    start = time.monotonic()
    while time.monotonic() < end:
        QgsApplication.processEvents()
        if time.monotonic() - start > seconds and not canvas.isDrawing():
            break
        time.sleep(0.02)


def rendered(timeout=20):
    """Draw the map again and wait until it is drawn (a screenshot shows the new map, not
    the previous image stretched to a resized canvas)."""
    done = []
    canvas = iface.mapCanvas()

    def finished():
        done.append(1)

    canvas.mapCanvasRefreshed.connect(finished)
    canvas.refresh()
    wait_until(lambda: done, timeout)
    canvas.mapCanvasRefreshed.disconnect(finished)


def wait_until(condition, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not condition():
        QgsApplication.processEvents()
        time.sleep(0.02)
    return condition()


def workshop_state():
    window = iface.mainWindow()
    return {
        "docks": len([d for d in window.findChildren(QDockWidget)
                      if d.objectName() == "EitWorkshopDock"]),
        "toolbars": len([t for t in window.findChildren(QToolBar)
                         if t.objectName() == "EitSynergiesWorkshopToolbar"]),
    }  # fmt: skip


def write(report):
    with open(REPORT, "w", encoding="utf-8") as handle:
        json.dump(report, handle)


def watchdog(report):
    """A modal window left open would block the script: report it and quit."""
    from qgis.PyQt.QtWidgets import QApplication

    modal = QApplication.activeModalWidget()
    report.setdefault("error", f"timed out at step {report.get('step')}; modal: "
                      f"{modal.windowTitle() if modal else None}")  # fmt: skip
    write(report)
    os._exit(3)


def step(report, name):
    report["step"] = name


def run():
    report = {}
    QTimer.singleShot(150_000, lambda: watchdog(report))
    try:
        if EXTRA_QM:
            translator = QTranslator()
            report["extra_qm"] = translator.load(EXTRA_QM)
            QCoreApplication.installTranslator(translator)
            _keep.append(translator)
        spec = importlib.util.spec_from_file_location("dock_workspace", HERE / "dock_workspace.py")
        helper = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(helper)
        step(report, "build")
        gpkg = helper.build_demo_workspace(FOLDER)
        window = iface.mainWindow()
        window.setGeometry(0, 0, 1600, 1000)
        browser = window.findChild(QDockWidget, "Browser")
        if browser is not None:
            browser.hide()  # as a facilitator would: the layers panel stays, as the legend
        plugin = plugins["eit_synergies"]
        step(report, "show")
        dock = plugin.workshop.show()
        window.resizeDocks([dock], [560], Qt.Orientation.Horizontal)
        step(report, "open")
        report["opened"] = dock.open_workspace(str(gpkg))
        report["layers"] = sorted(dock.layers)
        report["rows"] = dock.table.rowCount()
        step(report, "decide")
        # the room decides
        for row, status in ((0, "retained"), (1, "retained"), (2, "to_explore"), (4, "rejected")):
            dock.table.selectRow(row)
            if status == "to_explore":
                dock.notes.setPlainText("Qui assure le transport ? Voir avec la CUMA.")
            dock.status_buttons[status].click()
        report["decided"] = int(dock.candidates["status"].isin(
            ["retained", "to_explore", "rejected"]).sum())  # fmt: skip
        dock.tabs.setCurrentIndex(0)
        dock.table.selectRow(2)
        settle(0.5)
        dock._zoom_to_workspace()
        dock.select_actor("A07")
        report["bands"] = len(dock.marks.bands)
        settle(1.0)
        dock._zoom_to_workspace()
        settle(1.5)
        step(report, "shot")
        window.grab().save(SCREENSHOT)
        report["list_texts"] = dock.list_texts()
        # the charts tab, for the record
        dock.tabs.setCurrentIndex(3)
        settle(0.5)
        dock.charts.grab().save(str(Path(SCREENSHOT).with_name("dock-charts.png")))
        dock.tabs.setCurrentIndex(0)
        step(report, "presentation")
        # presentation mode
        dock.public_check.setChecked(False)
        dock.presentation_button.setChecked(True)
        settle(1.5)
        dock._zoom_to_workspace()
        settle(2.0)
        rendered()
        report["presentation"] = {
            "active": dock.presentation.active,
            "public": dock.public,
            "menubar_visible": window.menuBar().isVisible(),
            "visible_toolbars": len([t for t in window.findChildren(QToolBar)
                                     if t.isVisible() and t.parent() is window]),
            "legend": list(dock.presentation.overlay.entries),
        }  # fmt: skip
        window.grab().save(PRESENTATION_SHOT)
        step(report, "esc")
        QTest.keyClick(window, Qt.Key.Key_Escape)
        wait_until(lambda: not dock.presentation.active, 5)
        report["after_esc"] = {
            "active": dock.presentation.active,
            "menubar_visible": window.menuBar().isVisible(),
            "visible_toolbars": len([t for t in window.findChildren(QToolBar)
                                     if t.isVisible() and t.parent() is window]),
        }  # fmt: skip
        qgz = FOLDER / "eit.qgz"
        step(report, "save")
        report["saved"] = QgsProject.instance().write(str(qgz))
        report["first"] = workshop_state()
        step(report, "unload")
        report["unloaded"] = unloadPlugin("eit_synergies")
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        report["after_unload"] = workshop_state()
        report["reloaded"] = loadPlugin("eit_synergies") and startPlugin("eit_synergies")
        report["after_reload"] = workshop_state()
        # reopening the saved project brings the dock back with its workspace
        step(report, "reopen")
        QgsProject.instance().clear()
        QgsProject.instance().read(str(qgz))
        settle(0.5)
        dock = plugins["eit_synergies"].workshop.dock
        report["restored"] = {
            "dock": dock is not None,
            "workspace": dock.store.path if dock is not None and dock.store else None,
            "decided": int(dock.candidates["status"].isin(
                ["retained", "to_explore", "rejected"]).sum()) if dock is not None else 0,
        }  # fmt: skip
    except Exception:  # report everything to the test, which fails on it
        report["error"] = traceback.format_exc()
    write(report)
    QgsApplication.exit(0)


write({"step": "script loaded"})
QTimer.singleShot(3000, run)
