"""Resources written in words: share of labels whose resource is right first.

Run: ``.venv/bin/python benchmarks/bench_text_resources.py [labels.csv ...]``. Without
arguments it measures the three label sets of ``tests/data/catalogue/`` (labels as
questionnaires, registers and interviews phrase them, with the expected catalogue code):

- ``resource_labels_dev.csv``: the development set the synonym table was built on;
- ``resource_labels_holdout.csv``: written afterwards, with no label in common with the
  development set (normalised), across every family of the catalogue, its expected
  resources written before the matcher was run on it;
- ``resource_labels_blind.csv``: written after the held-out set had been used to improve the
  general rules, with no label in common with either, measured to see what generalises.

For each set it prints, for the meaning-first matcher (``core.lexicon`` through
``Catalogue.resolve``) and for the spelling-only reference measured in the same run
(rapidfuzz over codes and labels, the matcher before issue 13):

- right first: the first answer is the expected resource (or, for the matcher, a confident
  match of it); target >= 95 % on the development set;
- used: confident matches the flow table would use; of those, the share that is wrong (an
  unsure answer with three suggestions is better than a confident wrong one);
- in the three suggestions;

then the labels the matcher gets wrong, for review.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

from _support import ROOT, register_package

LABELS = ROOT / "tests" / "data" / "catalogue"
SETS = (
    LABELS / "resource_labels_dev.csv",
    LABELS / "resource_labels_holdout.csv",
    LABELS / "resource_labels_blind.csv",
)


def measure(cat, path: Path) -> None:
    from eit_synergies.core.errors import EitError

    with open(path, encoding="utf-8", newline="") as fh:
        labels = [(row["text"], row["resource"]) for row in csv.DictReader(fh)]
    start = time.perf_counter()
    first = used = used_wrong = in_three = 0
    wrong = []
    for text, expected in labels:
        try:
            found = cat.resolve(text)
            answer, suggestions = found.resource.code, [found.resource.code]
            used += 1
            used_wrong += answer != expected
        except EitError as exc:
            suggestions = list(exc.data.get("suggestions") or [])
            answer = None
        if answer == expected:
            first += 1
        else:
            wrong.append((text, expected, answer, suggestions[:3]))
        in_three += expected in (suggestions + cat.suggest(text))[:3] or answer == expected
    elapsed = time.perf_counter() - start
    ref_first = sum(cat._suggest_many([t], 1)[0][:1] == [e] for t, e in labels)
    n = len(labels)
    target = "  target >= 95 %" if path.name == SETS[0].name else ""
    print(f"labels: {n} ({path.name})")
    print(f"right first (meaning first): {first / n:6.1%}{target}")
    print(f"right first (spelling only, reference): {ref_first / n:6.1%}")
    print(
        f"used as confident matches: {used / n:6.1%}, "
        f"of which wrong: {used_wrong / max(used, 1):.1%}"
    )
    print(f"expected among the three suggestions: {in_three / n:6.1%}")
    print(f"time: {elapsed * 1000 / n:.2f} ms per label")
    for text, expected, answer, suggestions in wrong:
        print(f"  {text!r}: expected {expected}, got {answer} (suggestions {suggestions})")


def main() -> None:
    paths = [Path(arg) for arg in sys.argv[1:]] or list(SETS)
    register_package()
    from eit_synergies.core.catalogue import Catalogue

    cat = Catalogue.builtin()
    for index, path in enumerate(paths):
        if index:
            print()
        measure(cat, path)


if __name__ == "__main__":
    main()
