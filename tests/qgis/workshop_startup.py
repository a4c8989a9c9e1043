"""Run inside the real QGIS desktop (``qgis --code``) by test_workshop_desktop.py.

A facilitator's workshop, played through the plugin as a user does: the main job writes the
demo territory's folder, QGIS opens its project, the toolbar button opens the workshop dock;
the room filters, decides, types its questions (key by key), goes to presentation mode, then
QGIS is quit at once, the last words typed without a pause. What was decided and typed, the
layout of the presentation and any dialog shown while quitting go to the JSON report.

``EIT_WORKSHOP_MODE=kill``: only open, decide and type; the report says "typed" and QGIS
waits for the test to kill it.
"""

import json
import os
import time
import traceback
from pathlib import Path

from qgis.core import QgsApplication, QgsPointXY, QgsProject
from qgis.PyQt.QtCore import QEvent, Qt, QTimer
from qgis.PyQt.QtGui import QKeyEvent
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QApplication, QDockWidget, QMessageBox
from qgis.utils import iface, plugins

REPORT = os.environ["EIT_DESKTOP_REPORT"]
FOLDER = Path(os.environ["EIT_WORKSHOP_FOLDER"])
DEMO = Path(os.environ["EIT_WORKSHOP_DEMO"])
SHOT = os.environ.get("EIT_WORKSHOP_SCREENSHOT", "")
MODE = os.environ.get("EIT_WORKSHOP_MODE", "workshop")
report = {"step": "script loaded", "typed": {}, "decided": {}}


def write():
    with open(REPORT, "w", encoding="utf-8") as handle:
        json.dump(report, handle, ensure_ascii=False)


def step(name):
    report["step"] = name
    write()


def pump(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QgsApplication.processEvents()
        time.sleep(0.02)


def dialogs():
    """Texts of the dialogs shown (a question QGIS asks while quitting)."""
    shown = []
    modal = QApplication.activeModalWidget()
    if modal is not None:
        shown.append(f"{modal.windowTitle()}: {getattr(modal, 'text', lambda: '')()}")
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            shown.append(f"{widget.windowTitle()}: {widget.text()}")
    return shown


def watch_quit():
    """While QGIS quits: a dialog shown is reported, and QGIS is ended (it would wait)."""
    shown = dialogs()
    if shown:
        report["quit_dialogs"] = shown
        write()
        os._exit(3)


def type_words(dock, words):
    """Key by key, as a keyboard sends them (QTest only knows ASCII keys)."""
    dock.notes.setFocus()
    for char in words:
        if ord(char) < 128:
            QTest.keyClicks(dock.notes, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                dock.notes, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char)
            )
    report["typed"][dock._current_id] = dock.notes.toPlainText()


def decide(dock, candidate, status):
    dock.select_candidate(candidate)
    dock.status_buttons[status].click()
    report["decided"][candidate] = status


def presentation_layout(dock):
    """The canvas, the dock, the legend and the territory on the screen (pixels)."""
    canvas = iface.mapCanvas()
    window = iface.mainWindow()
    settings = canvas.mapSettings()
    to_pixel = canvas.getCoordinateTransform()
    actors = []
    for geometry in dock.actors.geometry:
        point = settings.layerToMapCoordinates(
            dock.layers["actors"], QgsPointXY(geometry.x, geometry.y)
        )
        pixel = to_pixel.transform(point)
        actors.append((pixel.x(), pixel.y()))
    territory = dock.layers["territory"]
    box = settings.layerExtentToOutputExtent(territory, territory.extent())
    top_left = to_pixel.transform(QgsPointXY(box.xMinimum(), box.yMaximum()))
    bottom_right = to_pixel.transform(QgsPointXY(box.xMaximum(), box.yMinimum()))
    legend = dock.presentation.overlay.geometry()
    screen = window.screen().geometry()
    return {
        "screen": [screen.width(), screen.height()],
        "window": [window.width(), window.height()],
        "canvas": [canvas.width(), canvas.height()],
        "dock_width": dock.width() if dock.isVisible() and not dock.isFloating() else 0,
        "legend": [legend.x(), legend.y(), legend.width(), legend.height()],
        "actors": actors,
        "territory": [top_left.x(), top_left.y(), bottom_right.x(), bottom_right.y()],
        "side": dock.presentation.stage.side if dock.presentation.stage else None,
        "reach": [p[2] for p in dock._actor_points()],
    }


def run():
    QTimer.singleShot(280_000, lambda: (report.setdefault("error", "timed out"), write(),
                                        os._exit(4)))  # fmt: skip
    try:
        from qgis import processing

        step("pipeline")
        result = processing.run(
            "eit:runpipeline",
            {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"),
             "ATLAS": False, "OUTPUT_FOLDER": str(FOLDER)},
        )  # fmt: skip
        report["territory_name"] = result["TERRITORY_NAME"]
        window = iface.mainWindow()
        window.showMaximized()
        browser = window.findChild(QDockWidget, "Browser")
        if browser is not None:
            browser.hide()
        step("open")
        iface.addProject(str(FOLDER / "eit.qgz"))  # as Project ▸ Open does
        pump(1.0)
        report["dirty_after_open"] = QgsProject.instance().isDirty()
        plugin = plugins["eit_synergies"]
        plugin.workshop.action.trigger()  # the toolbar button
        dock = plugin.workshop.dock
        pump(1.0)
        report["opened"] = dock.store is not None
        report["title"] = dock.title.text()
        report["project_title"] = QgsProject.instance().title()
        report["workspace"] = dock.store.path
        step("filter")
        dock.score_slider.setValue(20)
        categories = dock._checked(dock.category_list)
        dock.set_checked(dock.category_list, categories[:-1])  # one type of actor set aside
        pump(0.5)
        ids = [
            dock.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            for r in range(dock.table.rowCount())
        ]
        report["rows"] = len(ids)
        step("decide")
        decide(dock, ids[0], "retained")
        type_words(dock, "Qui transporte ? Voir la CUMA le 12 mars.")
        if MODE == "kill":
            report["typed_at"] = time.time()
            step("typed")  # the test kills QGIS a few seconds from now
            return
        pump(1.5)  # a pause: saved as typed
        dock.select_candidate(ids[1])
        type_words(dock, "Quel volume en hiver ? Stockage à prévoir.")
        decide(dock, ids[2], "to_explore")  # another row at once: the words go first
        type_words(dock, "Contacter la mairie de La Charité.")
        decide(dock, ids[2], "rejected")
        decide(dock, ids[3], "retained")
        step("present")
        dock.presentation_button.click()
        pump(2.5)
        report["presentation"] = presentation_layout(dock)
        if SHOT:
            window.grab().save(SHOT)
        report["marks_layers"] = sorted(
            layer.providerType() for layer in QgsProject.instance().mapLayers().values()
        )
        dock.select_candidate(ids[4])
        type_words(dock, "Dernière question : qui porte le projet ?")
        report["dirty_before_quit"] = QgsProject.instance().isDirty()
        report["temporary_layers"] = [
            layer.name() for layer in QgsProject.instance().mapLayers().values()
            if layer.isTemporary()
        ]  # fmt: skip
        step("quit")
        watcher = QTimer()
        watcher.timeout.connect(watch_quit)
        watcher.start(300)
        iface.actionExit().trigger()  # no pause after the last words
        report["quit_dialogs"] = dialogs()
        step("quit returned")
    except Exception:  # everything goes to the test, which fails on it
        report["error"] = traceback.format_exc()
        write()
        QgsApplication.exit(1)


write()
QTimer.singleShot(2000, run)
