"""The run's workspace GeoPackage written by a thread of its own while the atlas is drawn.

``eit:runpipeline`` writes a dozen tables (on a region, 140,000 synergy lines: about five
seconds, mostly inside SQLite) and draws the atlas from the same frames (QGIS drawing and
compressing pages, twenty seconds that release Python's lock): the two overlap. The writing
starts when the drawing does (:meth:`WorkspaceWriter.start`, called by the atlas once its
pages are laid out, which is Python work: two threads taking turns at Python's lock there
both ran slower). The atlas gets the frames as the file will hold them
(:func:`.gpkg.stored_frame`), so it is the atlas the finished workspace gives.

The thread only writes, each table with its own connections (QGIS's file writer for the
table, SQLite for the rows); it says nothing to the run's feedback (not made to be called from
two threads at once): the caller learns the outcome from :meth:`WorkspaceWriter.wait`, which
raises what the writing raised. A cancel is seen between two chunks of rows (the table being
written is rolled back, as in the sequential run). Used as a context manager, an error on the
caller's side stops the writing (if it started) and waits for it before going on: nothing
writes into the run's folder once the caller has left.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from qgis.core import QgsProject

from ..core.errors import Canceled
from .gpkg import write_layer


class _StopFlag:
    """What :func:`.gpkg.write_layer` asks of a feedback: ``isCanceled()``."""

    def __init__(self, stopped):
        self.isCanceled = stopped  # noqa: N815 - the feedback's method name


class WorkspaceWriter:
    """Writes ``tables`` (``(table name, frame, wkb type or None)``, in that order) into the
    GeoPackage ``path`` on a thread. ``is_canceled``: the run's cancel (read from the thread)."""

    def __init__(self, path, tables, is_canceled=None):
        self.path = Path(path)
        self.tables = list(tables)
        self._is_canceled = is_canceled or (lambda: False)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self.written: list[str] = []
        self.seconds = 0.0  # wall time of the writing
        # the project's transform context, read here, on the caller's thread
        self._context = QgsProject.instance().transformContext()
        self._thread = threading.Thread(target=self._run, name="eit-workspace", daemon=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is not None and self._started:  # the caller failed or was canceled: stop,
            self._stop.set()  # then let it go on
            self._thread.join()
        return False

    @property
    def _started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> None:
        """Start the writing (once; later calls do nothing)."""
        if not self._started:
            self._thread.start()

    def _stopped(self) -> bool:
        return self._stop.is_set() or bool(self._is_canceled())

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            for table, frame, wkb_type in self.tables:
                if self._stopped():
                    raise Canceled(table)
                write_layer(
                    frame, self.path, table, _StopFlag(self._stopped), wkb_type,
                    transform_context=self._context,
                )  # fmt: skip
                self.written.append(table)
        except BaseException as error:  # handed to the caller by wait()
            self._error = error
        finally:
            self.seconds = time.perf_counter() - start

    def wait(self, is_canceled=None, poll_s: float = 0.1) -> None:
        """Wait for the writing to end; raises what it raised (``Canceled`` after a cancel).
        ``is_canceled``, polled meanwhile on the caller's thread, stops it. Starts the writing
        if it was not started."""
        self.start()
        while self._thread.is_alive():
            self._thread.join(poll_s)
            if is_canceled is not None and is_canceled():
                self._stop.set()
        if self._error is not None:
            raise self._error
