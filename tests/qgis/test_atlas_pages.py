"""Small parts of the atlas's pages (layers/atlas_pages.py)."""

from __future__ import annotations

import shapely
from eit_synergies.layers.atlas_pages import _extent


def test_a_page_extent_covers_its_geometries_and_skips_missing_and_empty_ones():
    line = shapely.LineString([(100, 50), (9000, 70)])
    geoms = [None, shapely.Point(), shapely.Point(0, 0), line]
    assert shapely.bounds(_extent(geoms, 1000.0)).tolist() == [0.0, -465.0, 9000.0, 535.0]
    # at least the minimum in each direction, centred on what it holds
    assert shapely.bounds(_extent([shapely.Point(10, 20)], 500.0)).tolist() == [
        -240.0, -230.0, 260.0, 270.0
    ]  # fmt: skip
    assert _extent([None, shapely.Point()]) is None
    assert _extent([]) is None
