"""Months of availability: ``3-10``, ``11-2`` (wrapping), ``1,2,3``, month names in French
or English (``mars-octobre``), a date Excel made from ``3-10``; empty or "toute l'année" = all
year. :func:`parse_months` gives the canonical text and a 12-bit mask (bit 0 = January)."""

from __future__ import annotations

import math
import re
import unicodedata

from .errors import EitError
from .tables import normalise_key

ALL_MONTHS = 0xFFF
_ALL_YEAR = {
    normalise_key(w)
    for w in (
        "toute l'année",
        "toute lannee",
        "toute l annee",
        "toute année",
        "tout l'an",
        "toute la saison",
        "année",
        "annee",
        "an",
        "annuel",
        "all",
        "all year",
        "year round",
        "year-round",
        "whole year",
        "permanent",
        "continu",
        "continue",
        "12 mois",
        "12 months",
        "tous",
        "tous les mois",
        "all months",
    )
}
_MONTH_WORDS = {
    1: ("janvier", "january"),
    2: ("fevrier", "february"),
    3: ("mars", "march"),
    4: ("avril", "april"),
    5: ("mai", "may"),
    6: ("juin", "june"),
    7: ("juillet", "july"),
    8: ("aout", "august"),
    9: ("septembre", "september"),
    10: ("octobre", "october"),
    11: ("novembre", "november"),
    12: ("decembre", "december"),
}


def _month_prefixes() -> dict[str, int]:
    seen: dict[str, set[int]] = {}
    for month, words in _MONTH_WORDS.items():
        for word in words:
            for end in range(3, len(word) + 1):
                seen.setdefault(word[:end], set()).add(month)
    table = {prefix: next(iter(m)) for prefix, m in seen.items() if len(m) == 1}
    table.update({"juil": 7, "juin": 6, "mai": 5, "may": 5, "jun": 6, "jul": 7})
    return table


_MONTHS = _month_prefixes()


def parse_months(text) -> tuple[str | None, int | None]:
    """``(canonical, mask)`` for one availability text, ``(None, None)`` if not understood.

    Empty or "toute l'année" -> ``("1-12", 0xFFF)``; ``"11-2"`` -> ``("11-2", mask)``.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return "1-12", ALL_MONTHS
    raw = str(text).strip()
    date = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00:00)?", raw)
    if date and 1 <= int(date.group(3)) <= 12:
        raw = f"{int(date.group(3))}-{int(date.group(2))}"  # Excel read "3-10" as 3 October
    if normalise_key(raw) in _ALL_YEAR or not raw:
        return "1-12", ALL_MONTHS
    text = unicodedata.normalize("NFKD", raw.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    text = re.sub(r"\b(?:de|du|from)\s+|\bd'", " ", text)
    text = re.sub(r"\s*(?:-|\ba\b|\bau\b|\bto\b|\bjusqu'?a\b)\s*", "-", text)
    parts = [p for p in re.split(r"[,;/+&.\s]+|\bet\b|\band\b", text) if p and p != "-"]
    if not parts:
        return None, None
    mask = 0
    for part in parts:
        ends = part.split("-")
        if len(ends) == 1:
            ends = ends * 2
        if len(ends) != 2:
            return None, None
        start, end = (_month_number(e) for e in ends)
        if start is None or end is None:
            return None, None
        month = start
        while True:
            mask |= 1 << (month - 1)
            if month == end:
                break
            month = month % 12 + 1
    return months_text(mask), mask


def _month_number(token: str) -> int | None:
    token = token.strip().strip("'")
    if token.isdigit():
        value = int(token)
        return value if 1 <= value <= 12 else None
    return _MONTHS.get(token)


def months_text(mask: int) -> str:
    """Canonical text of a 12-bit month mask: ``"3-10"``, ``"11-2"``, ``"1-3,6"``, ``"1-12"``."""
    if mask & ALL_MONTHS == ALL_MONTHS:
        return "1-12"

    def has(month: int) -> bool:
        return bool(mask >> (month - 1) & 1)

    runs = []
    for month in range(1, 13):
        if has(month) and not has((month - 2) % 12 + 1):
            end = month
            while has(end % 12 + 1):
                end = end % 12 + 1
            runs.append(f"{month}" if end == month else f"{month}-{end}")
    return ",".join(runs)


def months_mask(text) -> int:
    """The 12-bit mask (bit 0 = January) of an availability text; empty = all year.

    Raises ``EitError("bad_months")`` when the text is not understood.
    """
    canonical, mask = parse_months(text)
    if mask is None:
        raise EitError("bad_months", f"months {text!r} not understood", value=str(text))
    return mask
