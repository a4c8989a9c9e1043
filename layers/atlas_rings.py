"""Flows that share a place, spread on rings around it (what QGIS's point displacement
renderer does at draw time, computed once in arrays).

Several flows of one actor, or the confidential flows placed at their commune's centre, sit on
one point. The atlas draws them around that point, on concentric rings, as offsets in
millimetres of the page: the same on every map whatever its scale, so they are computed once
per export rather than grouped again by the renderer on every page (with 50,000 flows the
renderer's grouping was a third of the cover's drawing time).
"""

from __future__ import annotations

import math

import numpy as np

#: Diameter of the mark at the centre of a ring (mm), and the gap between a ring's marks.
CENTRE_MM = 0.9
GAP_MM = 0.2


def ring_offsets(x, y, size_mm) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (mm, x right, y down as QGIS's marker offset) of points at ``x``, ``y`` drawn
    ``size_mm`` wide; points alone on their place are not moved, the others are put in order
    (their order in the input) on concentric rings around it. Also returns how many points
    share each point's place."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    size = np.asarray(size_mm, dtype=float)
    n = len(x)
    dx = np.zeros(n)
    dy = np.zeros(n)
    if not n:
        return np.zeros((0, 2)), np.zeros(0, dtype=int)
    place = np.stack([np.round(np.nan_to_num(x, nan=np.inf), 2),
                      np.round(np.nan_to_num(y, nan=np.inf), 2)], axis=1)  # fmt: skip
    _, group, counts = np.unique(place, axis=0, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    shared = counts[group]
    order = np.argsort(group, kind="stable")
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    for g in np.flatnonzero(counts > 1):
        rows = order[starts[g] : starts[g] + counts[g]]
        # a square's diagonal: any mark fits in the slot
        step = float(np.max(size[rows])) * math.sqrt(2.0) + GAP_MM
        radius = CENTRE_MM / 2 + step / 2
        placed = 0
        while placed < len(rows):
            # as many marks as fit with a chord of at least ``step`` between neighbours
            half = step / (2 * radius)
            slots = max(1, int(math.pi / math.asin(half) + 1e-9)) if half < 1 else 1
            ring = rows[placed : placed + slots]
            angle = 2 * math.pi * np.arange(len(ring)) / slots
            dx[ring] = radius * np.sin(angle)
            dy[ring] = -radius * np.cos(angle)
            placed += len(ring)
            radius += step
    return np.stack([dx, dy], axis=1), shared


def offset_text(offsets: np.ndarray) -> np.ndarray:
    """``"dx,dy"`` per row: the value of a marker's data-defined offset."""
    return np.array([f"{a:.3f},{b:.3f}" for a, b in offsets], dtype=object)
