"""The room's decisions in the workshop dock: status buttons, notes, undo (Ctrl+Z)."""

from __future__ import annotations

from qgis.PyQt.QtCore import QEvent
from qgis.PyQt.QtGui import QKeySequence


class Decisions:
    """The decisions of :class:`ui.dock.WorkshopDock`."""

    def set_status(self, status: str) -> None:
        if self._current_id is None:
            return
        self.write_decision(self._current_id, status, self.notes.toPlainText().strip())

    def save_notes(self) -> None:
        """Write the notes typed for the current candidate (its status unchanged); one
        typing session is one step of undo."""
        if self._current_id is None or self.store is None:
            return
        cand = self._candidate(self._current_id)
        status = str(cand["status"]) if cand is not None else "proposed"
        self.write_decision(self._current_id, status, self.notes.toPlainText().strip(),
                            typing=True)  # fmt: skip

    def write_decision(self, candidate_id, status, notes, action="set", typing=False) -> None:
        """Write at once to the GeoPackage (candidate row + decisions log), remember the
        previous values for undo, refresh the map and the list."""
        if self.store is None:
            return
        if str(candidate_id) == str(self._current_id):
            self.notes_keeper.loaded()  # the words in the field are written here
        self.settle_writes()
        self._decision_serial += 1
        try:
            previous = self.store.set_decision(candidate_id, status, notes, action)
        except KeyError:  # not among the current candidates: logged for the next search
            previous = None
            self.store.log_decision(candidate_id, status, notes, action)
        last = self.undo_stack[-1] if self.undo_stack else {}
        same_typing = typing and last.get("typing") and last["candidate_id"] == candidate_id
        if action == "set" and not same_typing:
            self.undo_stack.append(
                {
                    "candidate_id": candidate_id,
                    "status": (previous or {}).get("status") or "proposed",
                    "notes": (previous or {}).get("notes") or "",
                    "typing": typing,
                }
            )
        self.decisions = self.store.frame("decisions", with_geometry=False)
        if self.candidates is not None:
            hit = self.candidates["candidate_id"].astype(str) == str(candidate_id)
            self.candidates.loc[hit, "status"] = status
            self.candidates.loc[hit, "notes"] = notes or None
        layer = self.layers.get("candidates")
        if layer is not None:
            layer.dataProvider().reloadData()
            layer.triggerRepaint()
        self.undo_button.setEnabled(bool(self.undo_stack))
        self.refresh_list()
        self.refresh_charts()
        self._update_status_line()
        self.decisionWritten.emit(str(candidate_id))

    def undo(self) -> bool:
        """Restore the status and notes before the last decision (written at once)."""
        self.notes_keeper.flush()  # words typed just before are the last step
        if not self.undo_stack or self.store is None:
            return False
        entry = self.undo_stack.pop()
        self._current_id = entry["candidate_id"]
        self.write_decision(entry["candidate_id"], entry["status"], entry["notes"], "undo")
        self.select_candidate(entry["candidate_id"])
        return True

    def event(self, event) -> bool:
        # Ctrl+Z in the dock undoes the last decision (not QGIS's edit undo), except in the
        # notes field, where it undoes typing
        if event.type() == QEvent.Type.ShortcutOverride and event.matches(
            QKeySequence.StandardKey.Undo
        ):
            if not self.notes.hasFocus():
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.Undo) and not self.notes.hasFocus():
            self.undo()
            event.accept()
            return
        super().keyPressEvent(event)
