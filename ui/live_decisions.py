"""The other people's decisions, seen within seconds: the dock polls the decision log.

A facilitator and a note-taker (two QGIS, or a dock and a script) write decisions on the same
workspace; each decision is a row of the append-only log (:mod:`layers.decision_store`). A
:class:`DecisionPoller` asks the store every two seconds for the rows after the last one it
has seen and hands the new ones, those this dock did not write, to the dock. It reads back a
few ids before the last one seen: in PostgreSQL, ids are taken when a row is written and two
writers may commit out of order, so a row may appear behind one already seen.
"""

from __future__ import annotations

import pandas as pd
from qgis.core import Qgis, QgsMessageLog
from qgis.PyQt.QtCore import QObject, QTimer

#: how often the log is read (ms)
POLL_MS = 2000
#: ids read again below the last one seen (rows committed out of order)
WINDOW = 100


class DecisionPoller(QObject):
    """Reads ``store.since(...)`` on a timer; ``on_rows(frame)`` gets the new rows."""

    def __init__(self, on_rows, interval_ms: int = POLL_MS, parent=None):
        super().__init__(parent)
        self.on_rows = on_rows
        self.store = None
        self.seen: set[int] = set()
        self.last = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self, store, known: pd.DataFrame | None = None) -> None:
        """Poll ``store`` (a :class:`layers.decision_store.DecisionStore`); the rows of
        ``known`` are already shown."""
        self.store = store
        ids = [] if known is None or not len(known) else [int(i) for i in known["log_id"]]
        self.seen = set(ids)
        self.last = max(ids, default=0)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.store = None
        self.seen = set()
        self.last = 0

    def mark(self, log_id: int) -> None:
        """A row this dock wrote: not handed back."""
        self.seen.add(int(log_id))
        self.last = max(self.last, int(log_id))

    def poll(self) -> pd.DataFrame | None:
        """Read the new rows now (also called by the timer); the new rows, or None."""
        if self.store is None:
            return None
        try:
            rows = self.store.since(max(0, self.last - WINDOW))
        except Exception as error:  # noqa: BLE001 - the server away a moment: next time
            QgsMessageLog.logMessage(
                f"decision log not read: {error}", "EIT Synergies", Qgis.MessageLevel.Warning
            )
            return None
        if not len(rows):
            return None
        ids = rows["log_id"].astype(int)
        new = rows[~ids.isin(self.seen)]
        self.seen |= set(ids)
        self.last = max(self.last, int(ids.max()))
        if len(new):
            self.on_rows(new.reset_index(drop=True))
            return new
        return None
