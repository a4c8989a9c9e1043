"""Helpers the QGIS tests share (``tests/conftest.py`` puts this folder on the path): the
Qt event loop run until a condition holds, the plugin's Processing provider registered for a
block, and an ``eit:`` algorithm run in process."""

from __future__ import annotations

import contextlib
import time

from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback


def wait_for(condition, timeout=30.0):
    """Run the Qt event loop (timers included) until ``condition()`` is true (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QgsApplication.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@contextlib.contextmanager
def eit_provider():
    """The plugin's provider registered while the block runs (unless it already is)."""
    from eit_synergies.processing.provider import EitProvider

    registry = QgsApplication.processingRegistry()
    provider = None
    if registry.providerById("eit") is None:
        provider = EitProvider()
        registry.addProvider(provider)
    try:
        yield
    finally:
        if provider is not None:
            registry.removeProvider(provider)


def alg(alg_id, parameters):
    """Run ``eit:<alg_id>`` in this process; its results."""
    from qgis import processing

    return processing.run(
        f"eit:{alg_id}", parameters, context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )  # fmt: skip
