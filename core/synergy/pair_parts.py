"""The line and the identifier of each candidate pair, made once for the same placed flows.

A candidate's line (supply point to need point) and its ``candidate_id``
(``<supply flow id>><need flow id>``) depend on its two flows only, not on the distance limit
nor the score. The workshop dock searches the same placed flows (:func:`._common.place_flows`)
again at each move of its distance slider, and most pairs found at 12 km were already found at
10 km: :func:`lines_and_ids` takes those from the searches before (:class:`KeptPairs`, held
by the inputs of those flows, :class:`.search_inputs.SearchInputs`, and let go with them) and
makes only the new ones (making 150,000 lines and identifiers took a fifth of the search).
Lines are immutable shapely geometries: a frame sharing them with the previous one is never
changed by it.

The pairs of the searches over the same flows add up (a facilitator moves the slider back and
forth over a few distances) to :data:`KEEP_MOST` pairs; the algorithms and the pipeline,
which search once, keep nothing.
"""

from __future__ import annotations

import threading

import numpy as np
import shapely

#: The most pairs kept for the flows searched again (their lines and identifiers, a few
#: hundred bytes each): the pairs of every search add up to this, then only the last
#: search's are kept.
KEEP_MOST = 400_000


class KeptPairs:
    """The pairs found by the searches over one set of flows: their keys (sorted), and their
    lines and identifiers in that order; read and replaced whole (the arrays are never
    changed), from any thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pairs = None

    def get(self):
        """``(keys, lines, ids)``, or None before the first search."""
        with self._lock:
            return self._pairs

    def set(self, pairs) -> None:
        with self._lock:
            self._pairs = pairs


def candidate_ids(s_ids: np.ndarray, n_ids: np.ndarray) -> np.ndarray:
    """``<supply flow id>><need flow id>``: stable, readable and unique per pair of flows."""
    pairs = zip(s_ids.tolist(), n_ids.tolist(), strict=True)
    return np.array([f"{a}>{b}" for a, b in pairs], dtype=object)


def lines_and_ids(si, ni, s_xy, n_xy, s_flow_ids, n_flow_ids, kept_pairs=None):
    """``(lines, candidate ids)`` of the pairs (supply row ``si[i]``, need row ``ni[i]``).

    ``s_xy``/``n_xy``: every row's coordinates; ``s_flow_ids``/``n_flow_ids``: every row's
    flow id; ``kept_pairs``: the pairs kept for these flows (:class:`KeptPairs`), used and
    added to; None keeps nothing.
    """
    si = np.asarray(si, dtype=np.int64)
    ni = np.asarray(ni, dtype=np.int64)
    n = len(si)
    key = si * max(len(n_xy), 1) + ni
    lines = np.empty(n, dtype=object)
    ids = np.empty(n, dtype=object)
    new = np.ones(n, dtype=bool)
    kept = kept_pairs.get() if kept_pairs is not None else None
    if kept is not None and n and len(kept[0]):
        kept_key, kept_lines, kept_ids = kept
        at = np.minimum(np.searchsorted(kept_key, key), len(kept_key) - 1)
        hit = kept_key[at] == key
        lines[hit] = kept_lines[at[hit]]
        ids[hit] = kept_ids[at[hit]]
        new = ~hit
    rows = np.flatnonzero(new)
    if rows.size:
        s_rows, n_rows = si[rows], ni[rows]
        coords = np.empty((len(rows), 2, 2))
        coords[:, 0, :] = s_xy[s_rows]
        coords[:, 1, :] = n_xy[n_rows]
        lines[rows] = shapely.linestrings(coords)
        ids[rows] = candidate_ids(
            np.asarray(s_flow_ids, dtype=object)[s_rows],
            np.asarray(n_flow_ids, dtype=object)[n_rows],
        )
    if kept_pairs is not None:
        _keep(kept_pairs, kept, key, lines, ids, rows)
    return lines, ids


def _keep(kept_pairs: KeptPairs, kept, key, lines, ids, new_rows) -> None:
    """The pairs of a search added to ``kept`` (what ``kept_pairs`` held; in the order of
    their keys); only this search's pairs when there would be more than :data:`KEEP_MOST`."""
    if kept is None or len(kept[0]) + new_rows.size > KEEP_MOST:
        order = np.argsort(key, kind="stable")
        pairs = (key[order], lines[order], ids[order])
    elif not new_rows.size:
        return  # every pair was kept already
    else:
        order = new_rows[np.argsort(key[new_rows], kind="stable")]
        kept_key, kept_lines, kept_ids = kept
        at = np.searchsorted(kept_key, key[order])
        pairs = (
            np.insert(kept_key, at, key[order]),
            np.insert(kept_lines, at, lines[order]),
            np.insert(kept_ids, at, ids[order]),
        )
    kept_pairs.set(pairs)
