"""The territory's metabolism: what enters from outside, circulates inside and leaves.

From the supply and need tables with their current places (:mod:`core.places`) and the
synergy candidates, per resource family and per unit (``t/yr``, ``MWh/yr``):

- inputs (needs) by current origin: ``outside`` (entering from outside), ``inside`` (from the
  territory), ``unknown`` (origin not stated or not found);
- outputs (supplies) by current destination: ``inside`` (used inside the territory),
  ``outside`` (leaving), ``unknown``.

*After* applies the synergies marked à poursuivre (``status == "retained"``): a supply's
matched quantity (at most the supply's quantity) moves from its current destination class to
``inside`` (a supply already used inside stays so), and a need's matched quantity (at most the
need's quantity) moves from its origin class to ``inside``.

The **local loop rate** is the share of the supplies used inside the territory: supplies
going inside / all supplies of the unit (an unknown destination counts as not looped); null
without supplies.

In public mode (``public=True``) confidential flows, and retained candidates with a
confidential side, are left out of every figure (no quantity that identifies them); the
result says how many flows were left out. Family codes are the only names drawn.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

UNITS = ("t/yr", "MWh/yr")
CLASSES = ("outside", "inside", "unknown")


_TRUE = {"1", "1.0", "true", "vrai", "oui", "yes"}


def _bool(values) -> np.ndarray:
    """True for the truthy values (bool, 1, 'true', 'oui'...), once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    truthy = np.array([str(v).strip().lower() in _TRUE for v in uniques] + [False], dtype=bool)
    return truthy[codes]


def _place_class(frame: pd.DataFrame) -> np.ndarray:
    """0 outside, 1 inside, 2 unknown (indices into :data:`CLASSES`) of each flow's place."""
    if "current_outside" not in frame:
        return np.full(len(frame), 2, dtype=np.int64)
    raw = frame["current_outside"].astype(object).to_numpy()
    known = pd.notna(raw)
    return np.where(known, np.where(_bool(raw), 0, 1), 2).astype(np.int64)


@dataclass
class _Side:
    """The flows of one side that the metabolism counts, as arrays."""

    flow_id: np.ndarray
    family: np.ndarray  # codes into ``families``
    families: np.ndarray
    unit: np.ndarray  # indices into UNITS
    q: np.ndarray
    cls: np.ndarray  # indices into CLASSES
    masked: int = 0


def _side(frame, public: bool) -> _Side:
    if frame is None or not len(frame):
        empty = np.zeros(0, dtype=np.int64)
        return _Side(np.zeros(0, dtype=object), empty, np.zeros(0, dtype=object), empty,
                     np.zeros(0), empty)  # fmt: skip
    q = pd.to_numeric(frame["quantity_norm"], errors="coerce").to_numpy(dtype=float)
    unit_codes, unit_values = pd.factorize(frame["unit_norm"].astype(object), use_na_sentinel=True)
    unit_index = np.array([UNITS.index(u) if u in UNITS else -1 for u in unit_values] + [-1])
    unit = unit_index[unit_codes]
    keep = (unit >= 0) & np.isfinite(q)
    masked = 0
    if public and "confidential" in frame:
        values = frame["confidential"].to_numpy()
        hide = _bool(values) | pd.isna(values)  # unknown: the safe side
        masked = int(hide.sum())
        keep &= ~hide
    family = frame["family"].to_numpy(dtype=object)[keep]
    fam_codes, families = pd.factorize(
        pd.Series(family, dtype=object).fillna("").astype(str), use_na_sentinel=False
    )
    return _Side(
        frame["flow_id"].astype(str).to_numpy(dtype=object)[keep],
        fam_codes.astype(np.int64),
        np.asarray(families, dtype=object),
        unit[keep],
        q[keep],
        _place_class(frame)[keep],
        masked,
    )


def _moved(side: _Side, flows: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Quantity of each flow that the retained synergies bring inside (at most the flow's)."""
    if not len(side.q):
        return np.zeros(0)
    positions = pd.Index(side.flow_id).get_indexer(flows)
    found = positions >= 0
    total = np.bincount(positions[found], weights=matched[found], minlength=len(side.q))
    moved = np.minimum(side.q, total)
    return np.where(side.cls == 1, 0.0, moved)


def _table(side: _Side, moved: np.ndarray) -> pd.DataFrame:
    """Rows (family, unit, cls, before, after), one per combination with flows."""
    columns = ["family", "unit", "cls", "before", "after"]
    if not len(side.q):
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("before", "after") else object)
                             for c in columns})  # fmt: skip
    size = len(side.families) * len(UNITS) * len(CLASSES)
    base = (side.family * len(UNITS) + side.unit) * len(CLASSES)
    key = base + side.cls
    before = np.bincount(key, weights=side.q, minlength=size)
    after = np.bincount(key, weights=side.q - moved, minlength=size)
    after += np.bincount(base + 1, weights=moved, minlength=size)
    present = (np.bincount(key, minlength=size) > 0) | (after > 0)
    where = np.flatnonzero(present)
    rest, cls = np.divmod(where, len(CLASSES))
    family, unit = np.divmod(rest, len(UNITS))
    return pd.DataFrame(
        {
            "family": side.families[family],
            "unit": np.array(UNITS, dtype=object)[unit],
            "cls": np.array(CLASSES, dtype=object)[cls],
            "before": before[where],
            "after": after[where],
        }
    )


def territory_metabolism(supply, need, candidates=None, public: bool = False) -> dict:
    """The metabolism (see the module docstring).

    Returns ``inputs`` and ``outputs`` (DataFrames: ``family``, ``unit``, ``cls``, ``before``,
    ``after``), ``totals`` ({unit: {"entering", "inside_inputs", "unknown_inputs", "used_inside",
    "leaving", "unknown_outputs", "supply" : (before, after)}}), ``loop_rate`` ({unit: (before,
    after)}, each None without supplies), ``retained`` (candidates applied) and ``masked_flows``.
    """
    s_side = _side(supply, public)
    n_side = _side(need, public)
    n_retained = 0
    s_flows = n_flows = np.zeros(0, dtype=object)
    matched = np.zeros(0)
    if candidates is not None and len(candidates) and "status" in candidates:
        keep = (candidates["status"].astype(str) == "retained").to_numpy()
        if public:
            for column in ("supply_confidential", "need_confidential"):
                if column in candidates:
                    values = candidates[column].to_numpy()
                    keep &= ~(_bool(values) | pd.isna(values))
        n_retained = int(keep.sum())
        if n_retained:
            retained = candidates[keep]
            matched = pd.to_numeric(retained["matched_quantity"], errors="coerce")
            matched = matched.fillna(0.0).to_numpy(dtype=float)
            s_flows = retained["supply_flow"].astype(str).to_numpy(dtype=object)
            n_flows = retained["need_flow"].astype(str).to_numpy(dtype=object)
    outputs = _table(s_side, _moved(s_side, s_flows, matched))
    inputs = _table(n_side, _moved(n_side, n_flows, matched))
    totals, rates = {}, {}
    for unit in UNITS:
        sums = {}
        for name, frame in (("in", inputs), ("out", outputs)):
            part = frame[frame["unit"] == unit]
            for cls in CLASSES:
                rows = part["cls"] == cls
                sums[name, cls] = (
                    float(part.loc[rows, "before"].sum()),
                    float(part.loc[rows, "after"].sum()),
                )
        supply_total = sum(sums["out", cls][0] for cls in CLASSES)
        figures = {
            "entering": sums["in", "outside"],
            "inside_inputs": sums["in", "inside"],
            "unknown_inputs": sums["in", "unknown"],
            "used_inside": sums["out", "inside"],
            "leaving": sums["out", "outside"],
            "unknown_outputs": sums["out", "unknown"],
            "supply": (supply_total, supply_total),
        }
        totals[unit] = figures
        used = figures["used_inside"]
        rates[unit] = (
            (used[0] / supply_total, used[1] / supply_total) if supply_total > 0 else (None, None)
        )
    return {
        "inputs": inputs,
        "outputs": outputs,
        "totals": totals,
        "loop_rate": rates,
        "retained": n_retained,
        "masked_flows": s_side.masked + n_side.masked,
    }


def loop_rate_figures(metabolism: dict) -> dict:
    """Flat figures for the run record and the year-on-year comparison."""
    out = {}
    for unit, key in (("t/yr", "t"), ("MWh/yr", "mwh")):
        before, after = metabolism["loop_rate"].get(unit, (None, None))
        out[f"loop_rate_{key}"] = before
        out[f"loop_rate_{key}_after"] = after
        totals = metabolism["totals"].get(unit)
        if totals:
            out[f"entering_{key}"] = totals["entering"][0]
            out[f"leaving_{key}"] = totals["leaving"][0]
            out[f"used_inside_{key}"] = totals["used_inside"][0]
    return out


# --------------------------------------------------------------------------- drawing

_COLOURS = {"outside": "#b2182b", "inside": "#1b7837", "unknown": "#9e9e9e"}
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#edc948",
    "#76b7b2",
    "#ff9da7",
    "#9c755f",
    "#e15759",
    "#bab0ac",
)


def sankey_svg(
    metabolism: dict,
    unit: str,
    texts: dict,
    family_labels: dict | None = None,
    number=None,
    width: int = 900,
    height: int = 300,
    family_colours: dict | None = None,
    stacked: bool = False,
) -> str:
    """An inline SVG (text) of the metabolism in ``unit``: today on the left, after the
    retained synergies on the right (``stacked``: one above the other); each is origins →
    families → destinations.

    ``texts``: the (translated) words ``title_before``, ``title_after``, ``outside_in``,
    ``inside_in``, ``unknown_in``, ``inside_out``, ``outside_out``, ``unknown_out``,
    ``loop_rate`` (a format with ``{rate}``), ``empty``. ``number``: formats a quantity;
    ``family_labels`` and ``family_colours``: by family code (the catalogue's).
    """
    esc = html.escape
    number = number or (lambda v: f"{v:,.0f}")
    family_labels = family_labels or {}
    inputs = metabolism["inputs"]
    outputs = metabolism["outputs"]
    inputs = inputs[inputs["unit"] == unit]
    outputs = outputs[outputs["unit"] == unit]
    families = sorted(set(inputs["family"]) | set(outputs["family"]))
    colour = {f: _PALETTE[i % len(_PALETTE)] for i, f in enumerate(families)}
    colour.update({f: c for f, c in (family_colours or {}).items() if f in colour and c})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    legend_lines, run = 1, 10.0
    for family in families:
        step = 16 + 6.2 * len(str(family_labels.get(family, family)))
        if run + step > width:
            legend_lines, run = legend_lines + 1, 10.0
        run += step
    legend_h = 14 * (legend_lines - 1)
    for k, (stage, title) in enumerate(
        (("before", texts["title_before"]), ("after", texts["title_after"]))
    ):
        rate = metabolism["loop_rate"].get(unit, (None, None))[k]
        rate_text = texts["loop_rate"].format(rate="–" if rate is None else f"{rate * 100:.0f} %")
        if stacked:  # one above the other, a title line each
            sub_h = (height - 28 - legend_h - 2 * 20) / 2
            x0, y0, sub_w = 0.0, 20 + k * (sub_h + 20), width - 20
            parts.append(
                f'<text x="10" y="{y0 - 6:.1f}" font-size="12" font-weight="bold" fill="#222">'
                f'{esc(title)} <tspan font-weight="normal" fill="#1b7837">· {esc(rate_text)}'
                "</tspan></text>"
            )
        else:
            x0, y0, sub_w, sub_h = k * width / 2, 44.0, width / 2 - 20, height - 70 - legend_h
            parts.append(
                f'<text x="{x0 + 10:.1f}" y="16" font-size="13" font-weight="bold" '
                f'fill="#222">{esc(title)}</text>'
                f'<text x="{x0 + 10:.1f}" y="32" fill="#1b7837">{esc(rate_text)}</text>'
            )
        total_in = float(inputs[stage].sum())
        total_out = float(outputs[stage].sum())
        if total_in <= 0 and total_out <= 0:
            parts.append(
                f'<text x="{x0 + 10:.1f}" y="{y0 + 16:.1f}" fill="#666">{esc(texts["empty"])}'
                "</text>"
            )
            continue
        parts.append(
            _one_sankey(
                inputs,
                outputs,
                stage,
                families,
                colour,
                texts,
                family_labels,
                number,
                x0 + 10,
                y0,
                sub_w,
                sub_h,
            )  # fmt: skip
        )
    # legend of the families (the middle column's colours)
    x_pos, y_pos = 10.0, height - 10.0 - 14 * (legend_lines - 1)
    for family in families:
        label = str(family_labels.get(family, family))
        step = 16 + 6.2 * len(label)
        if x_pos + step > width:
            x_pos, y_pos = 10.0, y_pos + 14
        parts.append(
            f'<rect x="{x_pos:.1f}" y="{y_pos - 8:.1f}" width="9" height="9" '
            f'fill="{colour[family]}"/><text x="{x_pos + 12:.1f}" y="{y_pos:.1f}" '
            f'font-size="10" fill="#333">{esc(label)}</text>'
        )
        x_pos += step
    parts.append("</svg>")
    return "\n".join(parts)


def _one_sankey(inputs, outputs, stage, families, colour, texts, labels, number, x, y, w, h):
    esc = html.escape
    gap = 6.0
    node_w = 10.0
    fam_in = {f: float(inputs.loc[inputs["family"] == f, stage].sum()) for f in families}
    fam_out = {f: float(outputs.loc[outputs["family"] == f, stage].sum()) for f in families}
    fam_size = {f: max(fam_in[f], fam_out[f]) for f in families}
    fam_size = {f: v for f, v in fam_size.items() if v > 0}
    left = {c: float(inputs.loc[inputs["cls"] == c, stage].sum()) for c in CLASSES}
    right = {
        c: float(outputs.loc[outputs["cls"] == c, stage].sum())
        for c in ("inside", "outside", "unknown")
    }
    left = {c: v for c, v in left.items() if v > 0}
    right = {c: v for c, v in right.items() if v > 0}
    columns = [left, fam_size, right]
    scale = min(
        (h - gap * max(len(col) - 1, 0)) / max(sum(col.values()), 1e-9) for col in columns if col
    )
    # room for the side labels (about 5.4 px a character at 9 px)
    left_w = 8 + 5.4 * max(len(texts[k]) for k in ("outside_in", "inside_in", "unknown_in"))
    right_w = 8 + 5.4 * max(len(texts[k]) for k in ("inside_out", "outside_out", "unknown_out"))
    xs = [x + left_w, x + w / 2 - node_w / 2, x + w - right_w - node_w]
    nodes = []
    for col, xpos in zip(columns, xs, strict=True):
        placed, top = {}, y
        for key, value in col.items():
            height = value * scale
            placed[key] = [top, top, height]  # top, next link start, height
            top += height + gap
        nodes.append((placed, xpos))
    out = []

    def band(x_a, y_a, x_b, y_b, thickness, fill):
        mid = (x_a + x_b) / 2
        return (
            f'<path d="M{x_a:.1f},{y_a:.1f} C{mid:.1f},{y_a:.1f} {mid:.1f},{y_b:.1f} '
            f"{x_b:.1f},{y_b:.1f} L{x_b:.1f},{y_b + thickness:.1f} "
            f"C{mid:.1f},{y_b + thickness:.1f} "
            f'{mid:.1f},{y_a + thickness:.1f} {x_a:.1f},{y_a + thickness:.1f} Z" fill="{fill}" '
            'fill-opacity="0.45"/>'
        )

    (lnodes, lx), (fnodes, fx), (rnodes, rx) = nodes
    fam_in_cursor = {f: fnodes[f][0] for f in fnodes}
    for _, row in inputs.iterrows():
        value = float(row[stage])
        if value <= 0 or row["cls"] not in lnodes or row["family"] not in fnodes:
            continue
        t = value * scale
        a = lnodes[row["cls"]]
        out.append(
            band(lx + node_w, a[1], fx, fam_in_cursor[row["family"]], t, _COLOURS[row["cls"]])
        )
        a[1] += t
        fam_in_cursor[row["family"]] += t
    for _, row in outputs.iterrows():
        value = float(row[stage])
        if value <= 0 or row["cls"] not in rnodes or row["family"] not in fnodes:
            continue
        t = value * scale
        b = rnodes[row["cls"]]
        f = fnodes[row["family"]]
        out.append(band(fx + node_w, f[1], rx, b[1], t, colour[row["family"]]))
        f[1] += t
        b[1] += t
    names_left = {"outside": "outside_in", "inside": "inside_in", "unknown": "unknown_in"}
    names_right = {"outside": "outside_out", "inside": "inside_out", "unknown": "unknown_out"}
    for placed, xpos, fill, names, anchor in (
        (lnodes, lx, None, names_left, "end"),
        (fnodes, fx, None, None, "middle"),
        (rnodes, rx, None, names_right, "start"),
    ):
        floor = -1e9  # labels of a column never overlap: each starts below the previous
        for key, (top, _next, height) in placed.items():
            fill = _COLOURS.get(key, "#555") if names else colour[key]
            out.append(
                f'<rect x="{xpos:.1f}" y="{top:.1f}" width="{node_w}" '
                f'height="{max(height, 1):.1f}" fill="{fill}"/>'
            )
            if names:
                label = texts[names[key]]
                value = left[key] if anchor == "end" else right[key]
                tx = xpos - 3 if anchor == "end" else xpos + node_w + 3
            else:
                label = labels.get(key, key)
                value = fam_size[key]
                tx = xpos + node_w / 2
            ty = max(top + max(height, 1) / 2 + 4, floor)
            if anchor == "middle":
                if height < 14:  # too thin to hold a label: the legend names it
                    continue
                ty = top + height / 2 + 3
                out.append(
                    f'<text x="{tx + node_w / 2 + 2:.1f}" y="{ty:.1f}" font-size="9" '
                    'fill="#222" stroke="#ffffff" stroke-width="2.5" paint-order="stroke">'
                    f"{esc(str(label))}</text>"
                )
                continue
            out.append(
                f'<text x="{tx:.1f}" y="{ty - 5:.1f}" text-anchor="{anchor}" font-size="9" '
                f'fill="#222">{esc(str(label))}</text>'
                f'<text x="{tx:.1f}" y="{ty + 6:.1f}" text-anchor="{anchor}" font-size="9" '
                f'fill="#555">{esc(number(value))}</text>'
            )
            floor = ty + 22
    return "\n".join(out)
