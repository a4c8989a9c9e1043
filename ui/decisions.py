"""The room's decisions in the workshop dock: status buttons, notes, undo (Ctrl+Z), and the
decisions other people write on the same workspace, shown as they come.

Every decision goes through the workspace's decision store (``store.decisions``,
:mod:`layers.decision_store`: a GeoPackage or a PostgreSQL schema, the candidate's row and the
log row in one transaction)."""

from __future__ import annotations

import pandas as pd
from qgis.PyQt.QtCore import QEvent
from qgis.PyQt.QtGui import QKeySequence

from ..core.workspace import STATUSES
from ..layers.decision_store import LOG_COLUMNS


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
        """Write at once to the workspace (candidate row + decisions log, one transaction),
        remember the previous values for undo, refresh the map and the list."""
        if self.store is None:
            return
        if str(candidate_id) == str(self._current_id):
            self.notes_keeper.loaded()  # the words in the field are written here
        self.settle_writes()
        self._decision_serial += 1
        store = self.store.decisions
        try:
            log_id = store.decide(candidate_id, status, notes, self.author, action)
        except KeyError:  # not among the current candidates: logged for the next search
            log_id = store.log(candidate_id, status, notes, self.author, action)
        self.live.mark(log_id)
        written = store.entry(log_id)
        previous = {
            "status": written.get("previous_status"),
            "notes": written.get("previous_notes"),
        }
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
        self._add_to_log([written])
        self._set_in_frame(candidate_id, status, notes)
        layer = self.layers.get("candidates")
        if layer is not None:
            layer.dataProvider().reloadData()
            layer.triggerRepaint()
        self.undo_button.setEnabled(bool(self.undo_stack))
        self.refresh_list()
        self.refresh_charts()
        self._update_status_line()
        self.decisionWritten.emit(str(candidate_id))

    def _add_to_log(self, rows) -> None:
        """Rows of the decision log this dock now knows (what a new search carries)."""
        rows = pd.DataFrame(list(rows), columns=list(LOG_COLUMNS))
        if self.decisions is None or not len(self.decisions):
            self.decisions = rows
        elif len(rows):
            self.decisions = pd.concat([self.decisions, rows], ignore_index=True)

    def _set_in_frame(self, candidate_id, status, notes) -> bool:
        if self.candidates is None:
            return False
        hit = self.candidates["candidate_id"].astype(str) == str(candidate_id)
        self.candidates.loc[hit, "status"] = status
        self.candidates.loc[hit, "notes"] = notes or None
        return bool(hit.any())

    def decisions_received(self, rows) -> None:
        """Decisions someone else wrote on this workspace (another dock, the note-taker),
        read from the log by :class:`ui.live_decisions.DecisionPoller`: the list, the map
        and the charts show them. A candidate's row that a search of this dock rewrote
        without knowing the decision yet gets it back (the log is the reference)."""
        if self.store is None or not len(rows):
            return
        self.settle_writes()  # the whole candidates table written before it is checked
        self._decision_serial += 1  # a search running now carries them when it ends
        self._add_to_log(rows.to_dict("records"))
        store = self.store.decisions
        last = rows.drop_duplicates("candidate_id", keep="last")
        changed = []
        for cid, status, notes in zip(last["candidate_id"], last["status"], last["notes"],
                                      strict=True):  # fmt: skip
            cid = str(cid)
            status = status if status in STATUSES else "proposed"
            notes = None if notes is None or pd.isna(notes) or notes == "" else str(notes)
            if self._set_in_frame(cid, status, notes):
                changed.append(cid)
                if store.state(cid) != (status, notes):
                    store.restate(cid, status, notes)
        if str(self._current_id) in changed:
            self.notes_keeper.flush()  # words typed here are written before theirs show
        layer = self.layers.get("candidates")
        if layer is not None:
            layer.dataProvider().reloadData()
            layer.triggerRepaint()
        self.refresh_list()
        self.refresh_charts()
        self._update_status_line()
        self.decisionsReceived.emit(changed)

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
