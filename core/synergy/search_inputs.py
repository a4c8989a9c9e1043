"""What a substitution search reads from its two flow layers, as arrays, made once for the
same placed flows.

:func:`.candidates.find_candidates` turns the supply and need frames into codes and arrays
before it searches: substitution flows only, resource, actor and unit codes shared by both
sides, the compatible resource pairs present (with their precedents), quantities, month masks,
each flow's rank in the order of the ids, heat named on the supply side. None of this depends
on the distance limit. The workshop dock searches the same placed flows
(:func:`._common.place_flows`) again at each move of its distance slider: :func:`search_inputs`
keeps the inputs made for them (the same two placed-flow objects, a compatibility table with
the same content and the same precedents source) and gives them back, with the lines and
identifiers of the pairs their searches found (:class:`.pair_parts.KeptPairs`); the
algorithms and the pipeline, which search once, keep nothing. The inputs of the last
``KEPT_MOST`` pairs of placed flows are kept, so that another search of placed flows (a
benchmark's reference, a second view) does not make the dock's be made again; the inputs of
flows one side of which was replaced (a flow written in the dock) are let go at once. The
inputs are read-only once made (the kept pairs are replaced whole).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import EitError
from ._common import PlacedFlows, arrays_digest, months_masks
from .impacts import heat_named
from .pair_parts import KeptPairs

IDENTITY_EXPLANATION = "même ressource"
IDENTITY_SOURCE = "identité"

#: the inputs kept, the last used first: ``(supply, need, compatibility digest, precedents,
#: inputs)``
_KEPT: list = []
#: the most pairs of placed flows whose inputs are kept
KEPT_MOST = 2
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SearchInputs:
    """The arrays of one search's flows (``s_*`` supply rows, ``n_*`` need rows: the
    substitution flows, placed, numbered from 0)."""

    s_frame: pd.DataFrame
    n_frame: pd.DataFrame
    mutualisation_flows: int  # left to the mutualisation groups (for the log)
    s_xy: np.ndarray
    n_xy: np.ndarray
    s_res: np.ndarray  # resource codes shared by both sides
    n_res: np.ndarray
    s_act: np.ndarray  # actor codes shared by both sides
    n_act: np.ndarray
    pairs: pd.DataFrame  # compatible resource pairs (compatibility_pairs + precedents)
    pair_s: np.ndarray  # each pair's supply resource code
    pair_n: np.ndarray
    q_s: np.ndarray  # quantity_norm
    q_n: np.ndarray
    unit_names: np.ndarray  # unit_norm of each code
    u_s: np.ndarray  # unit codes shared by both sides (-1 unknown)
    u_n: np.ndarray
    m_s: np.ndarray  # 12-bit month masks and "readable" flags
    k_s: np.ndarray
    m_n: np.ndarray
    k_n: np.ndarray
    s_rank: np.ndarray  # place in the order of the flow ids
    n_rank: np.ndarray
    s_heat: np.ndarray  # the supply names heat
    #: lines and identifiers of the pairs the searches of these inputs found
    found: KeptPairs = field(default_factory=KeptPairs, compare=False)


def search_inputs(supply: PlacedFlows, need: PlacedFlows, compatibility, precedents,
                  keep: bool = False) -> SearchInputs:  # fmt: skip
    """The inputs of a search of ``supply`` against ``need`` (both checked and placed);
    ``keep``: the flows are searched again (the dock): the inputs made for the same flows
    are given back, and these kept for the next search (replacing those of flows that share
    one of their sides: the same territory, one side written since)."""
    if not keep:
        return _make(supply, need, compatibility, precedents)
    table = _table_digest(compatibility)
    with _LOCK:
        for i, entry in enumerate(_KEPT):
            s, n, t, p, inputs = entry
            if s is supply and n is need and t == table and p is precedents:
                _KEPT.insert(0, _KEPT.pop(i))
                return inputs
    inputs = _make(supply, need, compatibility, precedents)
    with _LOCK:
        others = [entry for entry in _KEPT if entry[0] is not supply and entry[1] is not need]
        _KEPT[:] = [(supply, need, table, precedents, inputs), *others][:KEPT_MOST]
    return inputs


def forget_inputs() -> None:
    """Let go of the inputs kept (and of the flows and pairs they hold)."""
    with _LOCK:
        _KEPT.clear()


def _table_digest(compatibility) -> bytes | None:
    if compatibility is None:
        return None
    hashed = pd.util.hash_pandas_object(compatibility.astype(object), index=False)
    return arrays_digest(np.asarray(list(compatibility.columns), dtype=str), hashed.to_numpy())


def _make(sp: PlacedFlows, nd: PlacedFlows, compatibility, precedents) -> SearchInputs:
    from .topk import flow_ranks

    def substitution(frame):
        kind = frame["synergy_type"].astype(object)
        return (kind.isna() | (kind.str.lower() != "mutualisation")).to_numpy()

    s_keep, n_keep = substitution(sp.frame), substitution(nd.frame)
    s_frame = sp.frame[s_keep].reset_index(drop=True)
    n_frame = nd.frame[n_keep].reset_index(drop=True)
    ns = len(s_frame)

    def shared_codes(column, as_text=False):
        values = pd.concat([s_frame[column], n_frame[column]], ignore_index=True)
        codes, names = pd.factorize(values.astype(str) if as_text else values)
        return codes[:ns], codes[ns:], names

    s_res, n_res, res_names = shared_codes("resource")
    s_act, n_act, _ = shared_codes("actor_id", as_text=True)
    u_s, u_n, unit_names = shared_codes("unit_norm")
    # no pair to find when a side is empty: the table is then not read (nor checked)
    table = compatibility if ns and len(n_frame) else None
    pairs = _with_precedents(
        compatibility_pairs(table, s_frame["resource"], n_frame["resource"]), precedents
    )
    code_of = {name: k for k, name in enumerate(res_names)}
    m_s, k_s = months_masks(s_frame["months"])
    m_n, k_n = months_masks(n_frame["months"])
    s_heat = heat_named(
        pd.DataFrame(
            {
                "family": s_frame["family"],
                "supply_resource": s_frame["resource"],
                "supply_resource_label": s_frame["resource_label"],
            }
        )
    )
    return SearchInputs(
        s_frame=s_frame,
        n_frame=n_frame,
        mutualisation_flows=int((~s_keep).sum() + (~n_keep).sum()),
        s_xy=np.column_stack([sp.x[s_keep], sp.y[s_keep]]),
        n_xy=np.column_stack([nd.x[n_keep], nd.y[n_keep]]),
        s_res=s_res,
        n_res=n_res,
        s_act=s_act,
        n_act=n_act,
        pairs=pairs,
        pair_s=pairs["supply_resource"].map(code_of).to_numpy(dtype=np.int64),
        pair_n=pairs["need_resource"].map(code_of).to_numpy(dtype=np.int64),
        q_s=s_frame["quantity_norm"].to_numpy(dtype=float),
        q_n=n_frame["quantity_norm"].to_numpy(dtype=float),
        unit_names=np.asarray(unit_names, dtype=object),
        u_s=u_s,
        u_n=u_n,
        m_s=m_s,
        k_s=k_s,
        m_n=m_n,
        k_n=k_n,
        s_rank=flow_ranks(s_frame["flow_id"]),
        n_rank=flow_ranks(n_frame["flow_id"]),
        s_heat=s_heat,
    )


def compatibility_pairs(compatibility, supply_resources, need_resources) -> pd.DataFrame:
    """Compatible (supply_resource, need_resource) pairs present in the data.

    Identity pairs (factor 1) for every resource on both sides, plus the table's pairs with a
    factor > 0 (the highest factor when a pair is repeated). A factor that is not a number in
    [0, 1] raises ``invalid_compatibility_factor``.
    """
    cols = ["supply_resource", "need_resource", "factor", "explanation_fr", "source"]
    s_set, n_set = set(supply_resources), set(need_resources)
    ident = sorted(s_set & n_set)
    pairs = pd.DataFrame(
        {
            "supply_resource": ident,
            "need_resource": ident,
            "factor": 1.0,
            "explanation_fr": IDENTITY_EXPLANATION,
            "source": IDENTITY_SOURCE,
        },
        columns=cols,
    )
    if compatibility is not None and len(compatibility):
        missing = [c for c in cols[:3] if c not in compatibility.columns]
        if missing:
            raise EitError(
                "missing_column",
                f"The compatibility table lacks {', '.join(missing)}",
                layer="compatibility",
                field=missing[0],
            )
        table = compatibility.reset_index(drop=True)
        factor = pd.to_numeric(table["factor"], errors="coerce")
        bad = factor.isna() | (factor < 0) | (factor > 1)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise EitError(
                "invalid_compatibility_factor",
                f"Compatibility row {row + 1}: factor {table['factor'].iloc[row]!r} "
                "is not a number between 0 and 1",
                layer="compatibility",
                row=row + 1,
                field="factor",
                value=str(table["factor"].iloc[row]),
            )
        extra = pd.DataFrame(
            {
                "supply_resource": table["supply_resource"].astype(str).str.strip(),
                "need_resource": table["need_resource"].astype(str).str.strip(),
                "factor": factor.astype(float),
                "explanation_fr": table.get("explanation_fr"),
                "source": table.get("source"),
            },
            columns=cols,
        )
        extra = extra[
            (extra["factor"] > 0)
            & (extra["supply_resource"] != extra["need_resource"])
            & extra["supply_resource"].isin(s_set)
            & extra["need_resource"].isin(n_set)
        ]
        extra = extra.sort_values("factor", ascending=False, kind="stable")
        extra = extra.drop_duplicates(["supply_resource", "need_resource"])
        pairs = pd.concat([pairs, extra], ignore_index=True) if len(extra) else pairs
    pairs["factor"] = pairs["factor"].astype(float)
    return pairs.reset_index(drop=True)


def _with_precedents(pairs: pd.DataFrame, precedents) -> pd.DataFrame:
    """``pairs`` with ``precedent_count`` and ``precedents`` (0 and "" without a source)."""
    pairs = pairs.copy()
    pairs["precedent_count"] = 0
    pairs["precedents"] = ""
    if precedents is None or not len(pairs):
        return pairs
    found = precedents(pairs[["supply_resource", "need_resource"]])
    key = pairs["supply_resource"] + "\x1f" + pairs["need_resource"]
    found_key = found["supply_resource"] + "\x1f" + found["need_resource"]
    lookup = dict(
        zip(found_key, zip(found["precedent_count"], found["precedents"], strict=True), strict=True)
    )
    pairs["precedent_count"] = [int(lookup.get(k, (0, ""))[0]) for k in key]
    pairs["precedents"] = [lookup.get(k, (0, ""))[1] for k in key]
    return pairs
