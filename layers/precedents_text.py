"""The "Retours d'expérience" line of a synergy candidate, for the atlas and the dock.

Precedents are documented exchanges elsewhere (``core/data/precedents.csv``): they never name
the territory's actors, so they are shown in public outputs too.
"""

from __future__ import annotations

import math


def precedent_parts(count, cases) -> tuple[int, list[str]]:
    """(number of documented cases, up to three cases as text) of a candidate's fields."""
    try:
        number = 0 if count is None or math.isnan(float(count)) else int(float(count))
    except (TypeError, ValueError):
        number = 0
    text = "" if cases is None or (isinstance(cases, float) and math.isnan(cases)) else str(cases)
    return number, [case.strip() for case in text.split(" | ") if case.strip()]


def precedents_line(count, cases, tr) -> str:
    """One line of text: the number of documented cases and the cases themselves."""
    number, shown = precedent_parts(count, cases)
    if not number:
        return tr("Documented precedents: none in the built-in table.")
    return tr("Documented precedents ({n}): {cases}").format(n=number, cases="; ".join(shown))
