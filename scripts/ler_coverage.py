"""Print, per chapter of the European List of Waste, the share of codes mapped to a specific
resource of the catalogue (not to the catch-alls ``OTHER_WASTE_NH`` / ``OTHER_WASTE_H``).

    python scripts/ler_coverage.py
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

LER = Path(__file__).resolve().parents[1] / "core" / "data" / "ler.csv"
CATCH_ALL = {"OTHER_WASTE_NH", "OTHER_WASTE_H"}


def coverage(path: Path = LER) -> dict[str, tuple[int, int]]:
    """chapter -> (codes, codes mapped to a specific resource)."""
    total, specific = Counter(), Counter()
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            total[row["chapter"]] += 1
            specific[row["chapter"]] += row["resource"] not in CATCH_ALL
    return {ch: (total[ch], specific[ch]) for ch in sorted(total)}


def main() -> int:
    rows = coverage()
    print(f"{'chapter':>7} {'codes':>6} {'specific':>8} {'share':>6}")
    for chapter, (n, k) in rows.items():
        print(f"{chapter:>7} {n:>6} {k:>8} {k / n:>6.0%}")
    n = sum(v[0] for v in rows.values())
    k = sum(v[1] for v in rows.values())
    print(f"{'all':>7} {n:>6} {k:>8} {k / n:>6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
