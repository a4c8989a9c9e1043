"""Documented precedents (*retours d'expérience*) of substitution and pooling exchanges.

``core/data/precedents.csv`` lists exchanges documented in published inventories: each with
its place, park or territory, year when known, the partners' activities, the supply and need
resources in catalogue codes, and its reference (Kalundborg, Dunkerque, Roussillon, Fos,
Bazancourt-Pomacle, Kwinana, Gladstone, Guitang, Styria, Norrköping, Rotterdam, Ulsan,
Wissington; exchange types of the UK's NISP and of the open-access industrial-symbiosis
databases analysed by Jato-Espino & Ruiz-Puente, 2020, which include MAESTRI's; pooling
cases of French business parks documented by ORÉE).

A precedent supports a (supply resource, need resource) pair when both ends are the same
resource or one is a kind of the other (``parent`` in the catalogue): the steam of a power
station supports an exchange of low-pressure steam. :func:`precedent_pairs` gives, for every
pair the catalogue allows, ``precedent_count`` and up to three ``precedents`` written for a
reader (exact pairs first, then the most recent).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data" / "precedents.csv"
FIELDS = (
    "precedent_id",
    "place",
    "country",
    "park",
    "year",
    "supplier_activity",
    "receiver_activity",
    "supply_resource",
    "need_resource",
    "description",
    "reference",
)
#: at most this many precedents are written on a candidate
SHOWN = 3


@functools.lru_cache(maxsize=1)
def load() -> pd.DataFrame:
    """The built-in precedents table (read once)."""
    frame = pd.read_csv(DATA, dtype=str, keep_default_na=False, encoding="utf-8")
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame[list(FIELDS)]


def describe(row) -> str:
    """One precedent for a reader: place (year): supplier -> receiver (reference author)."""
    year = "" if pd.isna(row["year"]) else f", {int(row['year'])}"
    where = row["place"]
    if row["park"] and row["park"].split(" ")[0] not in where:
        where += f" ({row['park']})"
    exchange = f"{row['supplier_activity']} -> {row['receiver_activity']}"
    return f"{where}{year}: {exchange} [{_cite(row['reference'])}]"


def _cite(reference: str) -> str:
    """ "Jacobsen 2006" from "Jacobsen N.B. (2006) Industrial symbiosis in Kalundborg..."."""
    found = re.match(r"\s*((?:(?:van|von|de|der|du|le|la) )*[^\s,(]+)[^(]*?\((\d{4})\)", reference)
    if found:
        several = reference.count(".,") > 0 or " et al" in reference
        return f"{found.group(1)}{' et al.' if several else ''} {found.group(2)}"
    return reference.split(":")[0].split(";")[0][:60]


def precedent_pairs(catalogue, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """``supply_resource``, ``need_resource``, ``precedent_count``, ``precedents`` (text,
    ``" | "``-separated, up to :data:`SHOWN`) for ``pairs`` (default: every identity pair and
    every pair of the catalogue's compatibility table)."""
    if pairs is None:
        codes = list(catalogue.resources)
        comp = catalogue.compatibility_frame
        pairs = pd.concat(
            [
                pd.DataFrame({"supply_resource": codes, "need_resource": codes}),
                comp[["supply_resource", "need_resource"]],
            ],
            ignore_index=True,
        ).drop_duplicates()
    return _for_pairs(
        catalogue, tuple(zip(pairs["supply_resource"], pairs["need_resource"], strict=False))
    )


def _for_pairs(catalogue, keys: tuple) -> pd.DataFrame:
    table = load()
    known = [c in catalogue for c in table["supply_resource"]]
    known = [k and (n in catalogue) for k, n in zip(known, table["need_resource"], strict=True)]
    table = table[known].reset_index(drop=True)
    lineage = {code: set(catalogue.lineage(code)) for code in catalogue.resources}

    def related(a: str, b: str) -> bool:
        return a == b or a in lineage.get(b, ()) or b in lineage.get(a, ())

    texts = [describe(row) for _, row in table.iterrows()]
    years = table["year"].fillna(0).astype(int).tolist()
    by_supply: dict[str, list[int]] = {}
    for index, code in enumerate(table["supply_resource"]):
        by_supply.setdefault(code, []).append(index)
    out_count, out_text = [], []
    for supply, need in keys:
        found = []
        for p_supply, indices in by_supply.items():
            if not related(supply, p_supply):
                continue
            for index in indices:
                p_need = table.at[index, "need_resource"]
                if related(need, p_need):
                    exact = p_supply == supply and p_need == need
                    found.append((not exact, -years[index], index))
        found.sort()
        out_count.append(len(found))
        out_text.append(" | ".join(texts[i] for _, _, i in found[:SHOWN]))
    return pd.DataFrame(
        {
            "supply_resource": [k[0] for k in keys],
            "need_resource": [k[1] for k in keys],
            "precedent_count": out_count,
            "precedents": out_text,
        }
    )
