"""Flow rows whose resource is written in words (see :mod:`core.lexicon`).

:func:`sided` gives two-sided resources (cold available / cold needed, surplus / needed
electricity, waste heat / heat need) the side of their row's direction; :func:`words_note`
writes the log line that lists the texts read as words, for review.
"""

from __future__ import annotations

import numpy as np

from .lexicon import _side


def sided(rcode, from_text, is_need, res_list: list, catalogue) -> np.ndarray:
    """Resources read from words that exist on both sides (cold available / cold needed...)
    take the side of their row's direction; ``res_list`` grows with the new codes."""
    rcode = rcode.copy()
    for k, code in enumerate(list(res_list)):
        for direction, flag in (("supply", 0), ("need", 1)):
            other = _side(code, direction)
            if other == code or other not in catalogue:
                continue
            rows = (rcode == k) & from_text & (is_need == flag)
            if rows.any():
                if other not in res_list:
                    res_list.append(other)
                rcode[rows] = res_list.index(other)
    return rcode


def words_note(file, written, rcode, res_list, confidence_u, used) -> str:
    """The log line listing resources read from words, for review."""
    pairs = {}
    for pos in np.flatnonzero(used):
        text = str(written.uniques[written.codes[pos]])
        pairs.setdefault((text, res_list[rcode[pos]]), float(confidence_u[written.codes[pos]]))
    shown = "; ".join(
        f"{text!r} -> {code} ({conf:.2f})" for (text, code), conf in list(pairs.items())[:20]
    )
    more = f" and {len(pairs) - 20} more" if len(pairs) > 20 else ""
    return (
        f"{file}: {int(used.sum())} row(s) name their resource in words, to review: "
        f"{shown}{more}"
    )


def text_columns(sel, from_text, written, confidence_u) -> dict:
    """``resource_from_text``, ``resource_text`` and ``resource_confidence`` of rows ``sel``."""
    flags = from_text[sel]
    codes = written.codes[sel]
    texts = np.array([written.uniques[c] if c >= 0 else None for c in codes], dtype=object)
    return {
        "resource_from_text": flags,
        "resource_text": np.where(flags, texts, None),
        "resource_confidence": np.where(flags, np.append(confidence_u, np.nan)[codes], np.nan),
    }
