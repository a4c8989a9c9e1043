"""Installing the plugin's Python libraries from QGIS: pip, for the Python QGIS itself runs,
into the user's site, as a background task with progress, cancel and a log.

Light at import time (no pandas...): it is what runs when those libraries are missing.
"""

from __future__ import annotations

import importlib
import os
import site
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from qgis.core import Qgis, QgsMessageLog, QgsTask

from ..core.dependencies import (
    REQUIREMENTS,
    constraints_text,
    pip_install_arguments,
    python_executable,
)
from ..translation import tr

LOG_TAG = "EIT Synergies"


def requirement_count(requirements: Path) -> int:
    """Number of requirement lines (markers included: an estimate of pip's steps)."""
    lines = requirements.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.lstrip().startswith(("#", "-")))


class PipInstallTask(QgsTask):
    """Runs ``pip install --user -r requirements.txt`` for QGIS's Python.

    Progress follows pip's "Collecting" / "Installing" lines; :meth:`cancel` stops pip; the
    whole output is kept in :attr:`log` and in the *EIT Synergies* log panel.
    ``extra`` adds pip options (e.g. ``--no-index --find-links DIR``), ``env`` extra variables.
    """

    def __init__(
        self,
        requirements: Path = REQUIREMENTS,
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
        on_done=None,
    ):
        super().__init__(tr("Installing the EIT Synergies libraries"), QgsTask.Flag.CanCancel)
        self.requirements = Path(requirements)
        self.extra = list(extra or [])
        self.env = dict(env or {})
        self.on_done = on_done
        self.log: list[str] = []
        self.returncode: int | None = None
        self.error = ""
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def command(self, constraints: Path) -> list[str] | None:
        python = python_executable()
        if python is None:
            return None
        return pip_install_arguments(python, self.requirements, constraints, self.extra)

    def run(self) -> bool:  # runs in a worker thread
        with tempfile.TemporaryDirectory(prefix="eit-pip-") as folder:
            constraints = Path(folder) / "constraints.txt"
            constraints.write_text(constraints_text(), encoding="utf-8")
            command = self.command(constraints)
            if command is None:
                self.error = "no-python"
                return False
            self.log.append("$ " + " ".join(command))
            steps = max(1, 2 * requirement_count(self.requirements))
            done = 0
            with self._lock:
                if self.isCanceled():
                    return False
                self._process = subprocess.Popen(  # noqa: S603 - our own pip command line
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    env={**os.environ, **self.env},
                )
            for line in self._process.stdout:
                self.log.append(line.rstrip())
                if line.startswith(("Collecting", "Requirement already satisfied", "Installing")):
                    done += 1
                    self.setProgress(min(99.0, 100.0 * done / steps))
                if self.isCanceled():
                    break
            if self.isCanceled():
                self._process.kill()
            self.returncode = self._process.wait()
        if self.isCanceled():
            self.error = "canceled"
            return False
        self.setProgress(100.0)
        return self.returncode == 0

    def cancel(self) -> None:
        super().cancel()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def finished(self, result: bool) -> None:  # back on the main thread
        QgsMessageLog.logMessage(
            "\n".join(self.log[-200:]),
            LOG_TAG,
            Qgis.MessageLevel.Info if result else Qgis.MessageLevel.Warning,
        )
        if result:
            make_user_site_visible()
        if self.on_done is not None:
            self.on_done(result, self)


def make_user_site_visible() -> None:
    """After a first user-site install, QGIS's running Python does not yet look there."""
    user_site = site.getusersitepackages()
    if user_site and os.path.isdir(user_site) and user_site not in sys.path:
        site.addsitedir(user_site)
    importlib.invalidate_caches()
