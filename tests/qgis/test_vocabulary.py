"""The actor categories are named in several places; they must all name the same ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_place_names_the_same_actor_categories():
    from eit_synergies.core.report_words import CATEGORY_LABELS
    from eit_synergies.layers.project import CATEGORY_SYMBOLS, category_labels

    spec = importlib.util.spec_from_file_location(
        "eit_template", ROOT / "scripts/build_template.py"
    )
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    expected = set(CATEGORY_SYMBOLS)
    assert len(expected) == 9
    assert set(category_labels()) == expected
    assert set(CATEGORY_LABELS["fr"]) == set(CATEGORY_LABELS["en"]) == expected
    assert set(template.CATEGORIES) == expected
