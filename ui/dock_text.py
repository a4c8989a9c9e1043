"""Words and small helpers the workshop dock's parts share: numbers in French, SQL
filters, limits."""

from __future__ import annotations

import math

from qgis.core import QgsExpression

SCOPE = "eit_synergies"
DISTANCE_MAX_KM = 60
#: rows of the candidate list: the best ones (the status line tells how many are shown)
LIST_LIMIT = 200
#: lines drawn on the map by default: the best visible ones, plus every decided one (tens of
#: thousands of lines are unreadable on a projector and slow to draw; the facilitator can
#: change it in the Filters tab, the status line tells when some are left out)
MAP_LIMIT = 3000
NO_CATEGORY = ""
_UNITS_FR = {"t/yr": "t/an", "MWh/yr": "MWh/an", "m3/yr": "m³/an", "h/yr": "h/an",
             "unit/yr": "u./an", "m2": "m²"}  # fmt: skip


def truthy(value) -> bool:
    """A flag as the tables hold it (bool, 0/1, "oui"/"true"...); null (None, NaN, NA) is
    False."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "oui", "yes", "t", "o"}
    try:
        return bool(value)
    except TypeError:  # pandas' NA: unknown
        return False


def quantity_text(value, unit) -> str:
    """``1 234 t/an`` (French digit grouping), ``?`` when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    number = float(value)
    digits = 0 if abs(number) >= 10 else 1
    text = f"{number:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} {_UNITS_FR.get(str(unit), unit or '')}".strip()


def sql_in(column: str, values) -> str:
    """``"column" IN ('a','b')`` (``""`` in values stands for NULL or empty)."""
    values = list(values)
    quoted = [QgsExpression.quotedValue(v) for v in values if v != NO_CATEGORY]
    ref = QgsExpression.quotedColumnRef(column)
    parts = [f"{ref} IN ({','.join(quoted)})"] if quoted else []
    if NO_CATEGORY in values:
        parts.append(f"({ref} IS NULL OR {ref} = '')")
    return "(" + " OR ".join(parts) + ")" if parts else "(0 = 1)"


def _html(text) -> str:
    from html import escape

    return escape("" if text is None else str(text))


def _layer_id(layer) -> str | None:
    try:
        return layer.id()
    except RuntimeError:
        return None
