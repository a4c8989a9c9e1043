"""The plugin's entry to the workshop dock: a toolbar button, and the dock brought back when a
project that used it is opened. Light at import time: the dock (pandas, geopandas...) is
imported when first needed."""

from __future__ import annotations

from qgis.core import Qgis, QgsProject
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from ..__about__ import ICON_PATH
from ..core.dependencies import missing, pip_command
from ..translation import tr

NEEDS = ("pandas", "geopandas", "shapely", "scipy", "pint")


class WorkshopController:
    """Owns the workshop toolbar, action and dock; :meth:`unload` undoes all of it."""

    def __init__(self, iface):
        self.iface = iface
        self.dock = None
        self.action: QAction | None = None
        self.toolbar = None
        self._project_signal = None

    def init_gui(self) -> None:
        window = self.iface.mainWindow()
        self.action = QAction(QIcon(str(ICON_PATH)), tr("EIT workshop"), window)
        self.action.setObjectName("eitSynergiesWorkshop")
        self.action.setToolTip(tr("Open the EIT workshop panel"))
        self.action.setCheckable(True)
        self.action.triggered.connect(self.toggle)
        self.toolbar = self.iface.addToolBar(tr("EIT Synergies workshop"))
        self.toolbar.setObjectName("EitSynergiesWorkshopToolbar")
        self.toolbar.addAction(self.action)
        self._project_signal = QgsProject.instance().readProject
        self._project_signal.connect(self.project_read)

    def ensure_dock(self):
        if self.dock is None:
            absent = missing(list(NEEDS))
            if absent:
                self.iface.messageBar().pushMessage(
                    tr("EIT workshop"),
                    tr("The workshop needs {modules}: {command}").format(
                        modules=", ".join(absent), command=pip_command(absent)
                    ),
                    Qgis.MessageLevel.Warning,
                    0,
                )
                return None
            from .dock import WorkshopDock

            self.dock = WorkshopDock(self.iface, self.iface.mainWindow())
            self.dock.visibilityChanged.connect(self._visibility)
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        return self.dock

    def toggle(self, checked=True) -> None:
        dock = self.ensure_dock()
        if dock is None:
            self.action.setChecked(False)
            return
        dock.setUserVisible(bool(checked))
        if checked and dock.store is None:
            dock.open_workspace()

    def show(self):
        dock = self.ensure_dock()
        if dock is not None:
            dock.setUserVisible(True)
            dock.show()
        return dock

    def _visibility(self, visible: bool) -> None:
        if self.action is not None:
            self.action.setChecked(bool(visible))

    def project_read(self, *_args) -> None:
        """A project that used the dock brings it back, in the state it was saved in."""
        path, found = QgsProject.instance().readEntry("eit_synergies", "workspace", "")
        if found and path and self.dock is None:
            dock = self.show()
            if dock is not None:
                dock.read_state()

    def unload(self) -> None:
        if self._project_signal is not None:
            try:
                self._project_signal.disconnect(self.project_read)
            except (TypeError, RuntimeError):
                pass
            self._project_signal = None
        if self.dock is not None:
            self.dock.cleanup()
            try:
                self.dock.visibilityChanged.disconnect(self._visibility)
            except (TypeError, RuntimeError):
                pass
            self.iface.removeDockWidget(self.dock)
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None
        if self.toolbar is not None:
            self.toolbar.removeAction(self.action)
            self.iface.mainWindow().removeToolBar(self.toolbar)
            self.toolbar.setParent(None)
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.action is not None:
            self.action.deleteLater()
            self.action = None
