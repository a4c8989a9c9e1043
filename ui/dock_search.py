"""The workshop dock's candidate search: the distance slider starts a debounced ``QgsTask``;
its result is written to the workspace (the map's share first, the whole table in the
background)."""

from __future__ import annotations

import time

import pandas as pd
from qgis.core import Qgis
from qgis.PyQt.QtCore import QTimer

from ..core.workspace import LAYERS, decisions_to_carry
from ..translation import tr
from .tasks import attach, detach

#: the longest the whole table's write waits for the map to be redrawn (ms)
SAVE_AFTER_MS = 2000


class Search:
    """The candidate search of :class:`ui.dock.WorkshopDock`."""

    def _distance_moved(self, _value) -> None:
        """While the handle is dragged, wait for the hand to stop (debounced search); keyboard
        or wheel steps wait a shorter pause, so that a burst of them gives one search."""
        self._update_slider_labels()
        if self._restoring or self.store is None:
            return
        self._search_started = time.perf_counter()
        self.status_line.setText(tr("Searching synergies…"))
        self.runner.request(dragging=self.distance_slider.isSliderDown())

    def _distance_released(self) -> None:
        """The handle is let go: the search waiting for the debounce starts at once."""
        if self._restoring or self.store is None or not self.runner.timer.isActive():
            return
        self._search_started = time.perf_counter()
        self.runner.start_now()

    def search_now(self):
        """Start the candidate search at once (no debounce); returns the task."""
        self._search_started = time.perf_counter()
        return self.runner.start_now()

    def _task_args(self):
        if self.store is None or self.supply is None:
            return None
        self._search_serial = self._decision_serial
        if self.store.background_writes and not self.saving():
            # the old candidates are deleted while the search runs (kept while a whole
            # table is still on its way: a pause of the room, not a drag, saves it first)
            self.clearer.start(self.store.path, LAYERS["candidates"])
        return {
            "supply": detach(self.supply),
            "need": detach(self.need),
            "catalogue": self.catalogue,
            "max_distance_km": self.distance_km(),
            "top_k": self.top_k.value(),
            "previous": decisions_to_carry(self.candidates, self.decisions),
        }

    def _search_done(self, task) -> None:
        if self.store is None:
            return
        if task.error is not None or task.exception is not None:
            from ..processing.messages import error_message

            self.clearer.discard()  # the old candidates stay

            text = error_message(task.error) if task.error is not None else str(task.exception)
            self._message(
                tr("Synergy search failed: {error}").format(error=text), Qgis.MessageLevel.Critical
            )
            return
        if task.result is None:
            return
        self.last_search_seconds = task.seconds
        frame = attach(task.result)
        if self._decision_serial != self._search_serial:
            # decisions were taken while the search ran: carry them too
            from ..core.workspace import carry_over_decisions

            frame, _ = carry_over_decisions(
                decisions_to_carry(self.candidates, self.decisions), frame
            )
        canvas = self.iface.mapCanvas()
        previous = (self.candidates, self._mask_cache)
        self.candidates = frame  # what is written: no need to read it back
        self.write_candidates(frame)
        self.apply_subsets()  # the map's share of the new candidates: the map is redrawn
        self._save_when_drawn()
        # the list, the charts and the legend are updated while the map draws (in QGIS's
        # threads): the room sees both a tenth of a second sooner
        when_drawing(canvas, lambda: self._search_shown(frame))
        # then the previous candidates are let go, still while the map draws (freeing 150,000
        # lines and their texts takes up to a tenth of a second: done before, it delays it)
        let_go_later(canvas, *previous)

    def _search_shown(self, frame) -> None:
        """The panel's share of a search's result (its list, charts, legend, status)."""
        if self.store is None or self.candidates is not frame:
            return  # closed, or a newer result has come: its own update follows
        self.refresh_panel()
        self.refresh_charts()
        if self._search_started is not None:
            self.last_round_trip = time.perf_counter() - self._search_started
        self._update_status_line()
        self.candidatesUpdated.emit()

    def write_candidates(self, frame) -> None:
        """Write the candidates to the GeoPackage. When the map draws only some of them
        (``map_limit``), those rows are written first, at once, and the whole table follows
        in the background (:class:`TableWriter`): the map is redrawn without waiting for
        tens of thousands of rows. Any other write waits for the whole table first."""
        canvas = self.iface.mapCanvas()
        if canvas is not None:
            canvas.stopRendering()  # redrawn below; no render keeps reading the old rows
        self.writer.cancel()  # an older whole table is outdated: rolled back
        self._pending_save = None
        shown = self.map_rows(frame)
        plain = pd.DataFrame(frame)  # no CRS object crosses to the writer's thread
        if bool(shown.all()) or not self.store.background_writes:  # PostgreSQL: one call
            self._replace_candidates(plain)
            self._table_reloaded()
            return
        self._replace_candidates(plain[shown.to_numpy()])
        self._table_reloaded()
        # no copy: nothing changes the candidates in place while the writer runs (a decision
        # waits for it first)
        self._pending_save = plain

    def _replace_candidates(self, rows) -> None:
        """``rows`` as the whole candidates table: into the table emptied while the search
        ran (:class:`TableClearer`), else in one transaction of their own."""
        replacement = self.clearer.take(LAYERS["candidates"])
        if replacement is None:  # always so for a PostgreSQL schema (one SQL call)
            self.store.replace_rows("candidates", rows)
        else:
            self.store.replace_rows("candidates", rows, prepared=replacement)

    def _table_reloaded(self) -> None:
        layer = self.layers.get("candidates")
        if layer is not None:
            layer.dataProvider().reloadData()
            layer.triggerRepaint()

    def _table_saved(self, table, _rows, error) -> None:
        """The background write of the whole candidates table has ended."""
        if error is not None:
            self._message(
                tr("The synergies could not be saved in {path}: {error}").format(
                    path=self.store.path if self.store else "", error=error
                ),
                Qgis.MessageLevel.Critical,
            )
            return
        if self.store is None or table != LAYERS["candidates"]:
            return
        self._table_reloaded()
        self._update_status_line()
        self.candidatesSaved.emit()

    def start_pending_save(self) -> None:
        """Start the background write of the whole candidates table, if one is due."""
        plain, self._pending_save = self._pending_save, None
        if plain is not None and self.store is not None:
            self.writer.start(self.store.path, LAYERS["candidates"], plain)

    def _save_when_drawn(self) -> None:
        """Start the background write of the whole table once the map has been redrawn (or
        after ``SAVE_AFTER_MS`` if it is not): the writer competes with the map's drawing
        for the processors and with the panel for Python. Any other write starts it at once
        (:meth:`settle_writes`)."""
        canvas = self.iface.mapCanvas() if self._pending_save is not None else None
        if canvas is None:
            self.start_pending_save()
            return
        # once the canvas has told everyone else it has drawn: the writer's thread then
        # competes for Python with nobody waiting for the map
        after_signal(canvas.mapCanvasRefreshed, self.start_pending_save, SAVE_AFTER_MS)

    def saving(self) -> bool:
        """Is the whole candidates table still on its way to the GeoPackage?"""
        return self._pending_save is not None or self.writer.busy()

    def settle_writes(self) -> None:
        """Let the background write of the candidates end before writing anything else (a
        table emptied for a search still under way is given up: it stays as it was)."""
        self.clearer.discard()
        self.start_pending_save()
        if self.writer.busy():
            self.writer.wait()


#: the longest the previous candidates are kept waiting for the map's redraw to start (ms)
LET_GO_AFTER_MS = 1000
#: the longest the panel waits for the map's redraw to start after a search (ms)
PANEL_AFTER_MS = 100


def after_signal(signal, work, longest_ms: int) -> None:
    """Run ``work`` once, when the event loop turns after ``signal`` (a canvas's: once the
    canvas's own slot has returned), or ``longest_ms`` later if it never comes."""
    pending = [work]

    def run(*_args):
        try:
            signal.disconnect(run)
        except (TypeError, RuntimeError):  # already run, or the canvas is gone
            pass
        if pending:
            QTimer.singleShot(0, pending.pop())

    signal.connect(run)
    QTimer.singleShot(longest_ms, run)


def when_drawing(canvas, work) -> None:
    """Run ``work`` once ``canvas`` has started its redraw (drawn in QGIS's threads while
    the GUI thread works), at most ``PANEL_AFTER_MS`` later; at once without a canvas."""
    if canvas is None:
        work()
    else:
        after_signal(canvas.renderStarting, work, PANEL_AFTER_MS)


def let_go_later(canvas, *objects) -> None:
    """Keep ``objects`` until ``canvas`` has started its redraw (drawn in QGIS's threads,
    while the GUI thread frees them), at most ``LET_GO_AFTER_MS``; then drop them. Without a
    canvas, when the event loop turns again."""
    held = list(objects)
    if canvas is None:
        QTimer.singleShot(0, held.clear)
    else:
        after_signal(canvas.renderStarting, held.clear, LET_GO_AFTER_MS)
