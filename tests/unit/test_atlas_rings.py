"""Flows sharing a place, spread on rings around it (layers/atlas_rings.py, Qt-free)."""

from __future__ import annotations

import math

import numpy as np
from eit_synergies.layers.atlas_rings import CENTRE_MM, offset_text, ring_offsets


def test_points_alone_stay_and_shared_points_ring_their_place_without_overlap():
    # 1 point alone, 3 on a place, 40 on another (several rings), one without coordinates
    x = np.r_[0.0, [100.0] * 3, [500.0] * 40, np.nan]
    y = np.r_[0.0, [100.0] * 3, [200.0] * 40, np.nan]
    size = np.r_[3.0, 2.4, 5.4, 3.2, [3.2] * 40, 3.0]
    offsets, shared = ring_offsets(x, y, size)
    assert list(shared[:5]) == [1, 3, 3, 3, 40] and shared[-1] == 1
    assert np.allclose(offsets[0], 0) and np.allclose(offsets[-1], 0)
    for rows, biggest in ((slice(1, 4), 5.4), (slice(4, 44), 3.2)):
        ring = offsets[rows]
        radius = np.hypot(ring[:, 0], ring[:, 1])
        # around the centre mark, never on it
        assert radius.min() >= CENTRE_MM / 2 + biggest / 2
        # no two marks closer than the widest mark's diagonal
        gaps = np.hypot(*(ring[:, None, :] - ring[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(gaps, np.inf)
        assert gaps.min() >= biggest * math.sqrt(2) - 1e-9
    assert len(np.unique(np.round(np.hypot(*offsets[4:44].T), 6))) > 1  # 40: several rings


def test_offsets_do_not_depend_on_the_other_places_and_read_as_qgis_offsets():
    alone, _ = ring_offsets([5.0, 5.0], [7.0, 7.0], [3.2, 3.2])
    mixed, _ = ring_offsets([1.0, 5.0, 9.0, 5.0], [1.0, 7.0, 9.0, 7.0], [3.2] * 4)
    assert np.allclose(mixed[[1, 3]], alone)
    text = offset_text(alone)
    assert all(len(t.split(",")) == 2 for t in text)
    assert np.allclose([[float(v) for v in t.split(",")] for t in text], alone, atol=1e-3)
    empty, counts = ring_offsets([], [], [])
    assert empty.shape == (0, 2) and len(counts) == 0
