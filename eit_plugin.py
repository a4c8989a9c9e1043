"""The plugin object QGIS creates through ``classFactory``."""

from __future__ import annotations

from qgis.core import Qgis, QgsApplication, QgsMessageLog
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QLineEdit, QPushButton

from .__about__ import ICON_PATH
from .core.dependencies import PYPI_NAMES, missing, pip_command
from .processing.provider import LOG_TAG, EitProvider
from .translation import install_translator, remove_translator, tr

#: What the BAN geocoder of the locator bar needs.
GEOCODER_NEEDS = ("pandas", "rapidfuzz")


class EitSynergiesPlugin:
    """Registers the ``eit`` provider, a menu and a toolbar entry; ``unload`` undoes it all."""

    def __init__(self, iface):
        self.iface = iface
        self.provider: EitProvider | None = None
        self.actions: list[QAction] = []
        self.menu_name = ""
        self.missing_modules: list[str] = []
        self.workshop = None  # the workshop dock and its toolbar (ui/workshop.py)
        self.ban_geocoder = None
        self.locator_filter = None
        self.install_task = None
        self.install_message = None
        install_translator()

    # --- Processing -------------------------------------------------------------------
    def initProcessing(self) -> None:  # noqa: N802 - QGIS API
        if self.provider is not None:
            return
        self.provider = EitProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    # --- GUI ----------------------------------------------------------------------------
    def initGui(self) -> None:  # noqa: N802 - QGIS API
        self.initProcessing()
        self.menu_name = tr("&EIT Synergies")
        action = QAction(QIcon(str(ICON_PATH)), tr("EIT Synergies tools"), self.iface.mainWindow())
        action.setObjectName("eitSynergiesTools")
        action.setToolTip(tr("Open the EIT Synergies algorithms in the Processing toolbox"))
        action.triggered.connect(self.show_tools)
        self.iface.addPluginToMenu(self.menu_name, action)
        self.iface.addToolBarIcon(action)
        self.actions.append(action)
        from .ui.workshop import WorkshopController

        self.workshop = WorkshopController(self.iface)
        self.workshop.init_gui()
        self.register_locator_filter()
        self.report_missing_dependencies()

    def report_missing_dependencies(self) -> list[str]:
        """Say in the message bar (with an *Install* button) and the log which libraries to
        install (if any)."""
        self.missing_modules = missing(list(PYPI_NAMES))
        if self.missing_modules:
            text = tr(
                "Some Python libraries are missing: {modules}. Install them with: {command}"
            ).format(
                modules=", ".join(self.missing_modules),
                command=pip_command(self.missing_modules),
            )
            QgsMessageLog.logMessage(text, LOG_TAG, Qgis.MessageLevel.Warning)
            bar = self.iface.messageBar()
            self.install_message = bar.createMessage(tr("EIT Synergies"), text)
            button = QPushButton(tr("Install"), self.install_message)
            button.setObjectName("eitInstallLibraries")
            button.clicked.connect(lambda: self.install_libraries())
            self.install_message.layout().addWidget(button)
            bar.pushWidget(self.install_message, Qgis.MessageLevel.Warning, 0)
        return self.missing_modules

    def install_libraries(self, requirements=None, extra=None, env=None):
        """Run pip for QGIS's Python in the background (the plugin's ``requirements.txt``);
        the provider is reloaded after."""
        from .core.dependencies import REQUIREMENTS
        from .ui.installer import PipInstallTask

        if self.install_task is not None:
            return self.install_task
        self.install_task = PipInstallTask(
            requirements or REQUIREMENTS, extra=extra, env=env, on_done=self._libraries_installed
        )
        QgsApplication.taskManager().addTask(self.install_task)
        return self.install_task

    def _libraries_installed(self, ok: bool, task) -> None:
        self.install_task = None
        bar = self.iface.messageBar()
        if self.install_message is not None:
            bar.popWidget(self.install_message)
            self.install_message = None
        if not ok:
            reason = (
                tr("installation canceled")
                if task.error == "canceled"
                else tr("pip failed, see the EIT Synergies log")
            )
            bar.pushMessage(
                tr("EIT Synergies"),
                tr("The libraries were not installed: {reason}.").format(reason=reason),
                Qgis.MessageLevel.Critical,
                0,
            )
            return
        if self.provider is not None:
            self.provider.refreshAlgorithms()
        self.register_locator_filter()
        if not self.report_missing_dependencies():
            bar.pushMessage(
                tr("EIT Synergies"),
                tr("The libraries are installed: every algorithm is available."),
                Qgis.MessageLevel.Success,
                10,
            )

    def register_locator_filter(self) -> None:
        """The BAN geocoder in the locator bar (prefix ``ban``), when the iface has one."""
        register = getattr(self.iface, "registerLocatorFilter", None)
        deregister = getattr(self.iface, "deregisterLocatorFilter", None)
        if self.locator_filter is not None or not (callable(register) and callable(deregister)):
            return
        if missing(GEOCODER_NEEDS):  # reported by report_missing_dependencies
            return
        from .layers.geocoder import BanGeocoder, create_ban_locator_filter

        self.ban_geocoder = BanGeocoder()
        self.locator_filter = create_ban_locator_filter(self.iface.mapCanvas(), self.ban_geocoder)
        register(self.locator_filter)

    def unregister_locator_filter(self) -> None:
        if self.locator_filter is not None:
            self.iface.deregisterLocatorFilter(self.locator_filter)  # QGIS deletes the filter
            self.locator_filter = None
        if self.ban_geocoder is not None:
            self.ban_geocoder.close()
            self.ban_geocoder = None

    def show_tools(self) -> None:
        """Show the Processing toolbox filtered on our provider."""
        toolbox = self.iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
        if toolbox is None:
            return
        toolbox.setVisible(True)
        toolbox.raise_()
        search = toolbox.findChild(QLineEdit)
        if search is not None:
            search.setText("eit")

    def unload(self) -> None:
        if self.install_task is not None:
            self.install_task.on_done = None
            self.install_task.cancel()
            self.install_task = None
        if self.workshop is not None:
            self.workshop.unload()
            self.workshop = None
        self.unregister_locator_filter()
        for action in self.actions:
            self.iface.removePluginMenu(self.menu_name, action)
            self.iface.removeToolBarIcon(action)
            action.deleteLater()
        self.actions = []
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator()
