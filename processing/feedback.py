"""Adapts ``QgsProcessingFeedback`` to the core's progress protocol."""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


class FeedbackProgress:
    """``core.progress.Progress`` over a Processing feedback (None allowed)."""

    def __init__(self, feedback: QgsProcessingFeedback | None):
        self.feedback = feedback or QgsProcessingFeedback()

    def report(self, fraction: float) -> None:
        self.feedback.setProgress(100.0 * min(max(fraction, 0.0), 1.0))

    def is_canceled(self) -> bool:
        return self.feedback.isCanceled()

    def log(self, message: str) -> None:
        """The core's technical lines (English) go to the log as debug detail; algorithms
        write their own summary for the user (``processing/summaries.py``)."""
        self.feedback.pushDebugInfo(message)
