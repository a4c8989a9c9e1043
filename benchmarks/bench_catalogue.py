"""Timing of ``Catalogue.resolve_many`` on a large flow table.

Run: ``.venv/bin/python benchmarks/bench_catalogue.py [rows]`` (default 1,000,000).
Prints the time of ``resolve_many`` and two references measured in the same run: a bare
``pandas.factorize`` of the same column (the floor) and a row-by-row ``resolve`` loop on a
sample (extrapolated), with the ratios.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _support import register_package

ROOT = Path(__file__).resolve().parents[1]


def make_column(cat, rows: int, seed: int = 1) -> pd.Series:
    """Resource texts as users write them: codes, LER codes in 4 spellings, typos, blanks."""
    rng = np.random.default_rng(seed)
    codes = list(cat.resources)
    ler = cat.ler_frame["ler_code"].tolist()
    values = [c for c in codes] + [c.lower() for c in codes[:40]]
    values += ler[::3]
    values += [f"{c[:2]} {c[2:4]} {c[4:]}" for c in ler[::5]]
    values += [f"{c[:2]} {c[2:4]} {c[4:]}*" for c in ler[1::7]]
    values += [f"{c[:2]}.{c[2:4]}.{c[4:]}" for c in ler[2::9]]
    values += [f"typo {i} {codes[i % len(codes)][:-2]}" for i in range(60)]
    values += [""]
    picks = rng.integers(0, len(values), rows)
    return pd.Series(np.asarray(values, dtype=object)[picks])


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    start = time.perf_counter()
    register_package()
    from eit_synergies.core.catalogue import Catalogue

    cat = Catalogue.builtin()
    load = time.perf_counter() - start
    column = make_column(cat, rows)
    distinct = column.nunique()

    start = time.perf_counter()
    pd.factorize(column)
    floor = time.perf_counter() - start

    start = time.perf_counter()
    out = cat.resolve_many(column)
    many = time.perf_counter() - start

    sample = column.iloc[: min(rows, 20_000)]
    start = time.perf_counter()
    for text in sample:
        try:
            cat.resolve(text)
        except Exception:  # noqa: BLE001 - unknown and empty values raise, as in real use
            pass
    loop = (time.perf_counter() - start) * rows / len(sample)

    print(f"catalogue load (builtin, first call): {load * 1000:.0f} ms")
    resolved, errors = out["resource"].notna().sum(), out["error_code"].notna().sum()
    print(
        f"rows: {rows:,}  distinct values: {distinct:,}  resolved: {resolved:,}  "
        f"errors: {errors:,}"
    )
    print(f"pandas.factorize (floor):             {floor:.3f} s")
    print(f"resolve_many:                         {many:.3f} s  ({many / floor:.1f}x the floor)")
    print(f"row-by-row resolve (extrapolated):    {loop:.1f} s  ({loop / many:.0f}x resolve_many)")


if __name__ == "__main__":
    main()
