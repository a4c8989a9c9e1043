"""A tiny progress/cancel protocol, so the core can report without QGIS.

The Processing glue adapts ``QgsProcessingFeedback`` to it; tests and scripts use
:class:`NullProgress` or :class:`RecordingProgress`.
"""

from __future__ import annotations

from typing import Protocol

from .errors import Canceled


class Progress(Protocol):
    def report(self, fraction: float) -> None:
        """``fraction`` in [0, 1] of the current job."""

    def is_canceled(self) -> bool:
        """True when the user asked to stop."""

    def log(self, message: str) -> None:
        """A plain-text line for the log."""


class NullProgress:
    def report(self, fraction: float) -> None:
        pass

    def is_canceled(self) -> bool:
        return False

    def log(self, message: str) -> None:
        pass


class RecordingProgress(NullProgress):
    """Keeps what was reported; can cancel after ``cancel_after`` reports."""

    def __init__(self, cancel_after: int | None = None):
        self.fractions: list[float] = []
        self.messages: list[str] = []
        self.cancel_after = cancel_after

    def report(self, fraction: float) -> None:
        self.fractions.append(fraction)

    def is_canceled(self) -> bool:
        return self.cancel_after is not None and len(self.fractions) >= self.cancel_after

    def log(self, message: str) -> None:
        self.messages.append(message)


def check_canceled(progress: Progress | None) -> None:
    """Raise :class:`Canceled` when ``progress`` says so."""
    if progress is not None and progress.is_canceled():
        raise Canceled()


class SubProgress:
    """Maps [0, 1] of a sub-step onto [start, end] of the parent's progress."""

    def __init__(self, parent: Progress | None, start: float, end: float):
        self.parent = parent or NullProgress()
        self.start = start
        self.end = end

    def report(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        self.parent.report(self.start + (self.end - self.start) * fraction)

    def is_canceled(self) -> bool:
        return self.parent.is_canceled()

    def log(self, message: str) -> None:
        self.parent.log(message)
