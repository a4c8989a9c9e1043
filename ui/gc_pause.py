"""Python's cyclic garbage collector paused while the dock answers a distance change.

A search makes some 150,000 shapely lines at 50,000 flows; the collector tracks them, and
their making sets off one or two full passes over every object of QGIS's Python (about
70 ms each), in the search's thread or on the GUI thread while the panel is redrawn. Paused
from the start of the search until the panel is up to date, the collector walks them once
after, while the map is drawn in QGIS's own threads. Objects are still freed as soon as
nothing refers to them (reference counting never stops): only the search for cycles waits.

Pauses nest and may end on another thread than the one they began on (a search starts in
its task's thread and ends on the GUI thread): the collector runs again when the last
pause ends, if it ran before the first.
"""

from __future__ import annotations

import gc
import threading

_LOCK = threading.Lock()
_STATE = {"depth": 0, "was_enabled": False}


class Pause:
    """One pause of the collector; :meth:`end` (once, from any thread) lets it go."""

    def __init__(self):
        self._open = True
        with _LOCK:
            if _STATE["depth"] == 0:
                _STATE["was_enabled"] = gc.isenabled()
                gc.disable()
            _STATE["depth"] += 1

    def end(self) -> None:
        with _LOCK:
            if not self._open:
                return
            self._open = False
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0 and _STATE["was_enabled"]:
                gc.enable()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.end()


def paused() -> bool:
    """Is a pause running?"""
    with _LOCK:
        return _STATE["depth"] > 0
