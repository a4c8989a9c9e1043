"""Long work of the dock as ``QgsTask``: the candidate search runs off the GUI thread."""

from __future__ import annotations

import threading
import time

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt.QtCore import QObject, QTimer

from ..core.errors import Canceled, EitError
from ..translation import tr
from .gc_pause import Pause


class TaskProgress:
    """The core's progress protocol over a ``QgsTask``."""

    def __init__(self, task: QgsTask):
        self.task = task
        self.lines: list[str] = []

    def report(self, fraction: float) -> None:
        self.task.setProgress(100.0 * min(max(fraction, 0.0), 1.0))

    def is_canceled(self) -> bool:
        return self.task.isCanceled()

    def log(self, message: str) -> None:
        self.lines.append(message)


#: the last frames detached and their parts: the dock sends the same supply and need frames
#: to every search (replaced, never changed in place, when a flow is written)
_DETACHED: list[tuple[object, tuple]] = []
_DETACHED_KEPT = 4


def detach(frame):
    """``(attributes, geometries, crs text)`` of a GeoDataFrame, to cross a thread.

    pyproj CRS objects belong to the thread that made them (PROJ contexts are per thread):
    a frame crosses between the GUI thread and a task as plain data and is rebuilt, with a
    CRS of its own, on the other side (:func:`attach`). The parts of the last few frames are
    kept: the same frame detached again gives the same parts (they are only read), so that a
    search does not copy the flows again, and the search task can reuse their preparation
    (:func:`prepared_flows`).
    """
    if frame is None:
        return None
    for kept, parts in _DETACHED:
        if kept is frame:
            return parts
    parts = _parts(frame)
    _DETACHED.insert(0, (frame, parts))
    del _DETACHED[_DETACHED_KEPT:]
    return parts


def _parts(frame, copy=True):
    """:func:`detach` without keeping anything. ``copy=False`` for a search's result, made
    in a task's thread and used by nobody else: its columns are handed over as they are
    (copying 150,000 candidates took a fifth of a second)."""
    import pandas as pd

    crs = frame.crs.to_string() if frame.crs is not None else None
    name = frame.geometry.name
    data = pd.DataFrame({c: frame[c] for c in frame.columns if c != name}, copy=copy)
    return data, frame.geometry.to_numpy(), crs


#: flows placed for the search (``core.synergy.place_flows``) by the parts they come from
_PLACED: list[tuple[tuple, str, object]] = []
_PLACED_LOCK = threading.Lock()


def prepared_flows(parts, name: str):
    """The flows of :func:`detach` ``parts`` checked and placed for the search, once for the
    same parts (the dock's flows, searched again at each new distance). Only plain arrays and
    frames are kept (no CRS object: they are used by the tasks' threads in turn)."""
    from ..core.synergy import place_flows

    with _PLACED_LOCK:
        for kept, kept_name, placed in _PLACED:
            if kept is parts and kept_name == name:
                return placed
    placed = place_flows(attach(parts), name)
    with _PLACED_LOCK:
        _PLACED.insert(0, (parts, name, placed))
        del _PLACED[_DETACHED_KEPT:]
    return placed


def forget_flows() -> None:
    """Let go of the frames, placed flows and neighbours kept for the next searches."""
    from ..core.synergy.search_inputs import forget_inputs
    from ..core.synergy.topk import forget_searches

    with _PLACED_LOCK:
        _PLACED.clear()
    _DETACHED.clear()
    forget_searches()
    forget_inputs()


def attach(parts):
    """The GeoDataFrame of :func:`detach` parts, its CRS made in the calling thread. The
    columns and geometries are taken as they are (no copy, no new check of 150,000 lines):
    the parts are not used again once attached, except the dock's flows, which the search
    only reads."""
    import geopandas as gpd
    import numpy as np
    from geopandas.array import GeometryArray

    if parts is None:
        return None
    data, geometry, crs = parts
    array = GeometryArray(np.asarray(geometry, dtype=object), crs=crs)
    columns = {name: data[name] for name in data.columns}
    columns["geometry"] = gpd.GeoSeries(array, index=data.index)
    return gpd.GeoDataFrame(columns, copy=False)  # the parts' columns, not copies


class CandidateSearchTask(QgsTask):
    """``find_candidates`` on the supply/need frames, then the decisions carried over.

    ``supply`` and ``need`` come as :func:`detach` parts. ``on_done(task)`` is called on the
    GUI thread when the task ends: ``task.result`` holds the candidates as :func:`detach`
    parts (``attach`` them there), or ``task.error`` the core error; nothing when canceled.
    """

    def __init__(self, supply, need, catalogue, max_distance_km, previous, on_done, generation,
                 top_k=10):  # fmt: skip
        super().__init__(tr("EIT: searching synergies"), QgsTask.Flag.CanCancel)
        self.top_k = int(top_k)
        self.supply = supply
        self.need = need
        self.catalogue = catalogue
        self.max_distance_km = float(max_distance_km)
        self.previous = previous
        self.on_done = on_done
        self.generation = generation
        self.result = None
        self.carry = None
        self.error: EitError | None = None
        self.exception: Exception | None = None
        self.seconds = 0.0
        self.progress = TaskProgress(self)
        self.gc_pause: Pause | None = None

    def end_gc_pause(self) -> None:
        if self.gc_pause is not None:
            self.gc_pause.end()

    def run(self) -> bool:
        # the collector waits until the dock has taken the result (ui/gc_pause.py): the
        # pause ends in finished(), whatever the outcome
        self.gc_pause = Pause()
        # The work runs in a thread of its own, started and ended here: pyproj keeps one
        # PROJ context per OS thread and frees it with the Python thread state, which a
        # pooled QThread loses between two tasks; the next task in that thread would use
        # the freed context and crash (pyproj 3.7). A fresh thread has a fresh context.
        worker = threading.Thread(target=self._work, name="eit-candidate-search", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)  # the core checks isCanceled() through the progress
        return self.result is not None and not self.isCanceled()

    def _work(self) -> None:
        from ..core.synergy import find_candidates
        from ..core.workspace import carry_over_decisions

        start = time.perf_counter()
        try:
            found = find_candidates(
                prepared_flows(self.supply, "supply"),
                prepared_flows(self.need, "need"),
                self.catalogue.compatibility_frame,
                self.max_distance_km,
                self.catalogue.max_distance_km(),
                progress=self.progress,
                top_k=self.top_k,
            )
            if not self.isCanceled():
                frame = found.candidates
                if self.previous is not None and len(self.previous):  # else nothing to carry
                    frame, self.carry = carry_over_decisions(self.previous, frame, copy=False)
                self.result = _parts(frame, copy=False)
        except Canceled:
            pass
        except EitError as error:
            self.error = error
        except Exception as error:  # noqa: BLE001 - reported in the dock, never lost
            self.exception = error
        finally:
            self.seconds = time.perf_counter() - start

    def finished(self, result: bool) -> None:  # noqa: FBT001 - QgsTask API
        try:
            if self.on_done is not None:
                self.on_done(self)
        finally:
            self.end_gc_pause()


class SearchRunner(QObject):
    """Debounced, cancel-the-previous runner of :class:`CandidateSearchTask`.

    ``request(...)`` (re)starts a timer — ``delay_ms`` while a handle is dragged, ``step_ms``
    for keyboard or wheel steps; when it fires, the running task (if any) is canceled and a new
    one is queued. Only the newest task's result reaches ``on_result``; an older one that ends
    later is ignored. A burst of moves therefore gives one search whatever the speed of the
    machine or of QGIS's task manager.
    """

    def __init__(self, make_task_args, on_result, delay_ms=300, parent=None, step_ms=150):
        super().__init__(parent)
        self.make_task_args = make_task_args
        self.on_result = on_result
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.start_now)
        self.delay_ms = delay_ms
        self.step_ms = step_ms
        self.generation = 0
        self.tasks: dict[int, CandidateSearchTask] = {}  # alive until they end
        self.canceled = 0

    def request(self, dragging: bool = True) -> None:
        self.timer.start(self.delay_ms if dragging else self.step_ms)

    def busy(self) -> bool:
        return self.timer.isActive() or bool(self.tasks)

    def start_now(self) -> CandidateSearchTask | None:
        self.timer.stop()
        for task in list(self.tasks.values()):
            if not task.isCanceled():
                task.cancel()
                self.canceled += 1
        args = self.make_task_args()
        if args is None:
            return None
        self.generation += 1
        task = CandidateSearchTask(**args, on_done=self._done, generation=self.generation)
        self.tasks[self.generation] = task
        QgsApplication.taskManager().addTask(task)
        return task

    def _done(self, task: CandidateSearchTask) -> None:
        self.tasks.pop(task.generation, None)
        if task.generation == self.generation:
            self.on_result(task)

    def stop(self, wait_ms: int = 10000) -> None:
        """Cancel everything and wait (bounded) for a running task to end, so that nothing
        runs in a thread once the dock and its layers are gone; a task that still ends later
        is dropped (it is no longer the newest)."""
        self.timer.stop()
        self.generation += 1  # no running task is the newest any more
        for task in list(self.tasks.values()):
            task.cancel()
        for task in list(self.tasks.values()):
            task.waitForFinished(wait_ms)
            task.end_gc_pause()
        forget_flows()


class TableWriter(QObject):
    """Writes whole tables of the workspace in a thread of its own, one write at a time
    (:func:`layers.gpkg_rows.replace_rows`, one transaction: the table is either the old or
    the new one, never half written).

    ``start`` cancels a write still running (its transaction is rolled back) and begins the
    new one; ``wait`` blocks until the current write has ended, so that another write to the
    same file (a decision, a flow) never meets it. ``on_done(table, rows, error)`` is called
    on the GUI thread when a write ends (``error`` is None when it succeeded; a canceled
    write does not call it).
    """

    def __init__(self, on_done, parent=None, poll_ms=15):
        super().__init__(parent)
        self.on_done = on_done
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._outcome = None
        self.seconds = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self._poll)

    def busy(self) -> bool:
        return self._thread is not None

    def start(self, path, table: str, frame) -> None:
        """Write ``frame`` (a plain DataFrame with a ``geometry`` column already in the
        table's CRS: no CRS object crosses to the thread) as the rows of ``table``."""
        self.cancel()
        self._cancel = threading.Event()
        cancel = self._cancel
        outcome: dict = {"table": table}
        self._outcome = outcome

        def work():
            from ..layers.gpkg_rows import replace_rows

            start = time.perf_counter()
            try:
                outcome["rows"] = replace_rows(path, table, frame, is_canceled=cancel.is_set)
            except Canceled:
                outcome["canceled"] = True
            except Exception as error:  # noqa: BLE001 - reported on the GUI thread
                outcome["error"] = error
            finally:
                outcome["seconds"] = time.perf_counter() - start

        self._thread = threading.Thread(target=work, name="eit-table-writer", daemon=True)
        self._thread.start()
        self.timer.start()

    def cancel(self) -> None:
        """Stop the running write (rolled back) and wait for its thread."""
        if self._thread is None:
            return
        self._cancel.set()
        self._finish(deliver=False)

    def wait(self, timeout_s: float = 120.0) -> bool:
        """Let the running write end (and report it) before going on; False on timeout."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            return False
        self._finish(deliver=True)
        return True

    def _poll(self) -> None:
        if self._thread is not None and not self._thread.is_alive():
            self._finish(deliver=True)

    def _finish(self, deliver: bool) -> None:
        thread, outcome = self._thread, self._outcome
        if thread is None:
            return
        thread.join()
        self._thread = self._outcome = None
        self.timer.stop()
        self.seconds = outcome.get("seconds", 0.0)
        if deliver and not outcome.get("canceled") and self.on_done is not None:
            self.on_done(outcome["table"], outcome.get("rows", 0), outcome.get("error"))


class TableClearer:
    """Empties a table of the workspace in a thread of its own while the dock's search runs,
    in a transaction left open (:class:`layers.gpkg_rows.Replacement`): deleting 150,000
    old candidates then costs the map nothing when the new ones arrive. Until then, the map
    reads the old rows (WAL) and other writers wait; any other write of the dock gives it up
    first (:meth:`discard`: the table as it was).
    """

    def __init__(self, timeout_s: float = 2.0):
        self.timeout_s = timeout_s
        self._thread: threading.Thread | None = None
        self._made: dict = {}

    def ready(self) -> bool:
        """Is a table being emptied, or emptied and waiting for its rows?"""
        return self._thread is not None

    def start(self, path, table: str) -> None:
        if self._thread is not None:
            return
        made: dict = {"table": table}
        self._made = made

        def work():
            from ..layers.gpkg_rows import Replacement

            try:
                made["replacement"] = Replacement(path, table, self.timeout_s)
            except Exception as error:  # noqa: BLE001 - the rows are then written as before
                made["error"] = error

        self._thread = threading.Thread(target=work, name="eit-table-clearer", daemon=True)
        self._thread.start()

    def take(self, table: str):
        """The emptied ``table``'s :class:`Replacement`, to fill (or roll back): its
        caller's from now on; None when none was made (the rows are then written as
        before)."""
        if self._thread is None:
            return None
        self._thread.join()
        self._thread = None
        replacement = self._made.get("replacement")
        if replacement is not None and self._made["table"] != table:
            replacement.rollback()
            return None
        return replacement

    def discard(self) -> None:
        """Give the emptied table up: as it was."""
        replacement = self.take(self._made.get("table", ""))
        if replacement is not None:
            replacement.rollback()
