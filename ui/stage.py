"""Presentation mode's map layout: the territory fills the screen, the legend sits where no
actor is.

The territory (its outline and every actor) is first fitted to the whole map; the legend
goes in the first corner where it covers no actor (bottom left, top left, bottom right, top
right). When every corner has actors, the legend takes a strip along one edge of the map
(left, right, top or bottom), the territory is fitted into what is left, the strip chosen so
that the territory is drawn largest, and the legend sits in the corner of its strip with the
fewest actors (none: the territory lies outside the strip). Pure arithmetic on pixels and
map units: tested without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass

#: space between the legend and the map's edge (pixels)
MARGIN = 14
#: room left around the territory for the labels at its edge (share of its size, each side)
PADDING = 0.05
#: half the size of an actor's symbol on screen (pixels): the legend keeps clear of it
SYMBOL = 10


@dataclass
class Stage:
    extent: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax of the canvas
    legend: tuple[int, int] | None  # top-left corner of the legend (pixels)
    side: str  # "over" the map, "left", "right", "top", "bottom" or "" (no legend)
    territory_px: tuple[float, float, float, float]  # the territory's box on screen
    scale: float  # pixels per map unit


def _free_areas(width, height, legend):
    """side -> the free rectangle (x, y, w, h) when the legend takes that side's strip."""
    if legend is None:
        return {"": (0, 0, width, height)}
    lw, lh = legend[0] + 2 * MARGIN, legend[1] + 2 * MARGIN
    areas = {
        "left": (lw, 0, width - lw, height),
        "right": (0, 0, width - lw, height),
        "top": (0, lh, width, height - lh),
        "bottom": (0, 0, width, height - lh),
    }
    if legend[1] + 2 * MARGIN > height:  # too tall for a side strip: it cannot fit beside
        areas = {k: v for k, v in areas.items() if k in ("top", "bottom")} or areas
    return {k: v for k, v in areas.items() if v[2] > 0 and v[3] > 0}


def _corners(width, height, legend, side):
    """Top-left corners of the legend in the corners of its strip."""
    lw, lh = legend
    left, right = MARGIN, width - lw - MARGIN
    top, bottom = MARGIN, height - lh - MARGIN
    if side == "left":
        return [(left, bottom), (left, top)]
    if side == "right":
        return [(right, bottom), (right, top)]
    if side == "top":
        return [(left, top), (right, top)]
    return [(left, bottom), (right, bottom)]


def arrange(width: int, height: int, box, legend=None, points=()) -> Stage:
    """Lay out a ``width`` × ``height`` canvas: ``box`` (xmin, ymin, xmax, ymax, map units)
    is the territory with its actors, ``legend`` the legend's (width, height) in pixels or
    None, ``points`` the actors' (x, y) in map units, or (x, y, reach): ``reach`` pixels
    on either side of the point are the actor's too (its label)."""
    if legend is not None:
        whole = arrange(width, height, box, None)
        free = [c for c in _all_corners(width, height, legend)
                if not _covered(whole, c, legend, points)]  # fmt: skip
        if free:  # over the territory, where it has no actor: the map keeps the screen
            return Stage(whole.extent, free[0], "over", whole.territory_px, whole.scale)
    xmin, ymin, xmax, ymax = box
    bw = max(xmax - xmin, 1e-9) * (1 + 2 * PADDING)
    bh = max(ymax - ymin, 1e-9) * (1 + 2 * PADDING)
    best = None
    for side, (fx, fy, fw, fh) in _free_areas(width, height, legend).items():
        scale = min(fw / bw, fh / bh)  # pixels per map unit
        if best is None or scale > best[0] * (1 + 1e-9):
            best = (scale, side, (fx, fy, fw, fh))
    scale, side, (fx, fy, fw, fh) = best
    unit = 1.0 / scale
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    # the territory's centre goes to the centre of the free area
    centre_x = cx - (fx + fw / 2 - width / 2) * unit
    centre_y = cy + (fy + fh / 2 - height / 2) * unit
    extent = (
        centre_x - width / 2 * unit,
        centre_y - height / 2 * unit,
        centre_x + width / 2 * unit,
        centre_y + height / 2 * unit,
    )

    def to_px(x, y):
        return (x - extent[0]) * scale, (extent[3] - y) * scale

    left, top = to_px(xmin, ymax)
    right, bottom = to_px(xmax, ymin)
    stage = Stage(extent, None, side, (left, top, right, bottom), scale)
    if legend is not None:
        corners = _corners(width, height, legend, side)
        # the first corner when they tie
        position = min(corners, key=lambda c: _covered(stage, c, legend, points))
        stage.legend = (int(round(position[0])), int(round(max(position[1], 0))))
    return stage


def _all_corners(width, height, legend):
    """The legend's top-left corner in the canvas's four corners (bottom-left first)."""
    lw, lh = legend
    left, right = MARGIN, width - lw - MARGIN
    top, bottom = MARGIN, height - lh - MARGIN
    if right < left or bottom < top:
        return []
    return [(left, bottom), (left, top), (right, bottom), (right, top)]


def _covered(stage: Stage, corner, legend, points) -> int:
    """How many actors (points in map units, with their reach) the legend at ``corner``
    would cover, a symbol's size around each point included."""
    xmin, _, _, ymax = stage.extent
    scale = stage.scale
    x0, y0 = corner[0] - SYMBOL, corner[1] - SYMBOL
    x1, y1 = corner[0] + legend[0] + SYMBOL, corner[1] + legend[1] + SYMBOL
    count = 0
    for point in points:
        px, py = (point[0] - xmin) * scale, (ymax - point[1]) * scale
        reach = point[2] if len(point) > 2 else 0
        if x0 - reach <= px <= x1 + reach and y0 <= py <= y1:
            count += 1
    return count
