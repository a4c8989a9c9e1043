"""The notes field of the workshop dock, saved as it is typed.

The words of the room (the open questions on a synergy) go to the workspace after a short
pause in the typing, and at once when anything may end the session: the workspace or the
project closes, another project is read, the plugin unloads, QGIS quits. Each save is a
decision like a status change (the candidate's ``notes`` and a row of the ``decisions`` log
carrying the words); one typing session on a candidate is one step of undo.
"""

from __future__ import annotations

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QObject, QTimer

#: pause in the typing after which the notes are written (milliseconds)
PAUSE_MS = 1000


class NotesKeeper(QObject):
    """Writes the dock's notes through ``save`` after :data:`PAUSE_MS` without typing, and
    at once on :meth:`flush` (connected to every way a session can end)."""

    def __init__(self, editor, save, pause_ms: int = PAUSE_MS, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.save = save
        self.dirty = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(pause_ms))
        self.timer.timeout.connect(self.flush)
        editor.textChanged.connect(self._typed)
        self._signals = []
        app = QgsApplication.instance()
        if app is not None:
            self._hook(app.aboutToQuit)
        # the project closed, or another one read: QGIS 3.22 has only ``cleared`` (the dock
        # closes its workspace on it, flushing first); later versions warn before
        signal = getattr(QgsProject.instance(), "aboutToBeCleared", None)
        if signal is not None:
            self._hook(signal)

    def _hook(self, signal) -> None:
        signal.connect(self.flush)
        self._signals.append(signal)

    def _typed(self) -> None:
        if self.editor.signalsBlocked():
            return
        self.dirty = True
        self.timer.start()

    def loaded(self) -> None:
        """The field now shows what is saved (another candidate, or none)."""
        self.timer.stop()
        self.dirty = False

    def flush(self, *_args) -> None:
        """Write the typed notes now, if some are not written yet."""
        self.timer.stop()
        if self.dirty:
            self.dirty = False
            self.save()

    def detach(self) -> None:
        """Write what is pending and let go of the application's signals."""
        self.flush()
        for signal in self._signals:
            try:
                signal.disconnect(self.flush)
            except (TypeError, RuntimeError):
                pass
        self._signals = []
