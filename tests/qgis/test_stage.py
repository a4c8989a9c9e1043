"""Presentation mode's map layout (ui/stage.py), on made-up territories."""

from __future__ import annotations

from eit_synergies.ui.stage import MARGIN, arrange


def pixel(stage, x, y):
    xmin, _, _, ymax = stage.extent
    return (x - xmin) * stage.scale, (ymax - y) * stage.scale


def covered(stage, legend, points):
    lx, ly = stage.legend
    return [p for p in points if lx - 8 <= pixel(stage, *p)[0] <= lx + legend[0] + 8
            and ly - 8 <= pixel(stage, *p)[1] <= ly + legend[1] + 8]  # fmt: skip


def test_the_territory_fills_the_canvas_and_keeps_its_aspect():
    stage = arrange(1000, 800, (0, 0, 20_000, 10_000))
    left, top, right, bottom = stage.territory_px
    assert right - left >= 0.85 * 1000  # wide territory: the width is filled
    assert abs((right - left) / (bottom - top) - 2.0) < 1e-6
    assert abs((left + right) / 2 - 500) < 1 and abs((top + bottom) / 2 - 400) < 1
    xmin, ymin, xmax, ymax = stage.extent
    assert abs((xmax - xmin) / (ymax - ymin) - 1000 / 800) < 1e-9


def test_the_legend_goes_to_a_corner_without_actors_over_the_map():
    box = (0, 0, 10_000, 10_000)
    points = [(500, 500), (9_500, 9_500), (9_500, 500)]  # bottom left, top right, bottom right
    legend = (250, 200)
    stage = arrange(1000, 800, box, legend, points)
    assert stage.side == "over" and covered(stage, legend, points) == []
    assert stage.legend == (MARGIN, MARGIN)  # the top left corner, the only free one
    whole = arrange(1000, 800, box)
    assert stage.extent == whole.extent  # the map keeps the whole screen


def test_with_actors_in_every_corner_the_legend_takes_a_strip_beside_the_territory():
    box = (0, 0, 10_000, 10_000)
    points = [(0, 0), (0, 10_000), (10_000, 0), (10_000, 10_000), (5_000, 5_000)]
    legend = (300, 500)
    stage = arrange(1280, 800, box, legend, points)
    assert stage.side in ("left", "right")  # a square territory on a wide screen
    assert covered(stage, legend, points) == []
    left, top, right, bottom = stage.territory_px
    lx = stage.legend[0]
    assert right <= lx or left >= lx + legend[0]  # side by side
    assert bottom - top >= 0.85 * 800  # the height is filled
    tall = arrange(800, 1280, box, legend, points)
    assert tall.side in ("top", "bottom") and covered(tall, legend, points) == []
