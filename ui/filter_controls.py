"""Rows of the dock's Filters tab that hold a number: how many lines the map draws, and how
many candidates each flow keeps (``TOP_K`` of the synergy search)."""

from __future__ import annotations

from qgis.PyQt.QtWidgets import QHBoxLayout, QLabel, QSpinBox

from ..translation import tr

#: Best candidates kept per supply and per need, as ``eit:runpipeline`` does by default.
DEFAULT_TOP_K = 10


def _spin_row(text: str, low: int, high: int, step: int, value: int, tip: str):
    row = QHBoxLayout()
    label = QLabel(text)
    row.addWidget(label)
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setGroupSeparatorShown(True)
    spin.setValue(value)
    spin.setToolTip(tip)
    label.setBuddy(spin)
    row.addWidget(spin)
    return row, spin


def map_limit_row(value: int):
    """``(layout, spin box)``: the number of best-scored lines the map draws."""
    return _spin_row(
        tr("Lines on the map (the best ones)"), 10, 1_000_000, 500, value,
        tr("The map draws the best-scored synergies the filters keep, up to this number, "
           "and every synergy to pursue or to explore"),
    )  # fmt: skip


def top_k_row():
    """``(layout, spin box)``: the best candidates each flow keeps (0 = every pair); the
    search starts when the typing ends, not at each digit."""
    row, spin = _spin_row(
        tr("Best synergies kept per flow (0 = all)"), 0, 1000, 1, DEFAULT_TOP_K,
        tr("Each supply keeps its best outlets and each need its best sources, by score; "
           "0 keeps every pair within the distance (slow on a large territory)"),
    )  # fmt: skip
    spin.setKeyboardTracking(False)
    return row, spin
