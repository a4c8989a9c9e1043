"""The words and numbers of the reports (Qt-free): labels of units, categories, statuses,
directions and months in French and English, number and quantity formatting, the size,
distance and share classes public mode shows instead of values, anonymous names.

Language: ``lang`` is ``"fr"`` (default) or ``"en"``; the labels here are data (like the
catalogue's ``label_fr``/``label_en``), the core never calls a translator.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

from .errors import EitError

LANGS = ("fr", "en")
NBSP = "\u00a0"
#: Upper bounds of the size classes (same for every unit): < 10, 10–100, 100–1 000, ≥ 1 000.
SIZE_BOUNDS = (10.0, 100.0, 1000.0)
#: Upper bounds of the distance classes, in km.
DISTANCE_BOUNDS = (2.0, 5.0, 10.0, 20.0, 50.0)
#: Upper bounds of the coverage classes (share of the need).
SHARE_BOUNDS = (0.25, 0.5, 0.75)

UNIT_LABELS = {
    "fr": {
        "t/yr": "t/an",
        "MWh/yr": "MWh/an",
        "m3/yr": "m³/an",
        "h/yr": "h/an",
        "unit/yr": "unités/an",
        "m2": "m²",
        "tkm/yr": "t·km/an",
        "tCO2e/yr": "t CO₂e/an",
    },
    "en": {
        "t/yr": "t/yr",
        "MWh/yr": "MWh/yr",
        "m3/yr": "m³/yr",
        "h/yr": "h/yr",
        "unit/yr": "units/yr",
        "m2": "m²",
        "tkm/yr": "t·km/yr",
        "tCO2e/yr": "t CO₂e/yr",
    },
}

CATEGORY_LABELS = {
    "fr": {
        "entreprise": "Entreprise",
        "exploitation_agricole": "Exploitation agricole",
        "ehpad": "EHPAD",
        "hopital": "Établissement de santé",
        "insertion": "Structure d'insertion",
        "collectivite": "Collectivité",
        "association": "Association",
        "laboratoire": "Laboratoire",
        "cuma": "CUMA",
    },
    "en": {
        "entreprise": "Company",
        "exploitation_agricole": "Farm",
        "ehpad": "Care home",
        "hopital": "Health facility",
        "insertion": "Work-integration organisation",
        "collectivite": "Local authority",
        "association": "Association",
        "laboratoire": "Laboratory",
        "cuma": "Farm machinery cooperative",
    },
}
#: Other spellings of the categories (folded: lower case, no accents, "_" for spaces).
CATEGORY_SYNONYMS = {
    "company": "entreprise",
    "business": "entreprise",
    "societe": "entreprise",
    "industrie": "entreprise",
    "artisan": "entreprise",
    "commerce": "entreprise",
    "farm": "exploitation_agricole",
    "agriculteur": "exploitation_agricole",
    "exploitation": "exploitation_agricole",
    "gaec": "exploitation_agricole",
    "earl": "exploitation_agricole",
    "care_home": "ehpad",
    "maison_de_retraite": "ehpad",
    "hospital": "hopital",
    "clinique": "hopital",
    "etablissement_de_sante": "hopital",
    "sante": "hopital",
    "structure_d'insertion": "insertion",
    "siae": "insertion",
    "commune": "collectivite",
    "epci": "collectivite",
    "local_authority": "collectivite",
    "syndicat": "collectivite",
    "laboratory": "laboratoire",
}
#: The name of an actor whose category is unknown, in public mode.
UNKNOWN_ACTOR = {"fr": "Acteur", "en": "Organisation"}

STATUS_LABELS = {
    "fr": {
        "proposed": "Proposée",
        "retained": "Retenue",
        "to_explore": "À explorer",
        "rejected": "Écartée",
    },
    "en": {
        "proposed": "Proposed",
        "retained": "Retained",
        "to_explore": "To explore",
        "rejected": "Rejected",
    },
}
#: Order of the statuses in reports (retained first).
STATUS_ORDER = ("retained", "to_explore", "proposed", "rejected")
DIRECTION_LABELS = {
    "fr": {"supply": "Gisement", "need": "Besoin"},
    "en": {"supply": "Supply", "need": "Need"},
}
MONTH_ABBREVIATIONS = {
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}
MONTH_NAMES = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre".split(),
    "en": "January February March April May June July August September October November "
    "December".split(),
}
ALL_YEAR = {"fr": "toute l'année", "en": "all year"}
NOT_GIVEN = {"fr": "non renseignée", "en": "not given"}
SECTOR = {"fr": "secteur", "en": "area"}


# --------------------------------------------------------------------------- formatting


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise EitError("unknown_language", f"Unknown report language {lang!r}", value=lang)
    return lang


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def format_number(value, decimals: int | None = None, lang: str = "fr") -> str:
    """``1234.5`` -> ``"1 234,5"`` (fr, no-break space) or ``"1,234.5"`` (en); ``""`` if null.

    Without ``decimals``: none from 100 up, one from 10, two below (trailing zeros dropped).
    """
    _lang(lang)
    if _missing(value):
        return ""
    value = float(value)
    if decimals is None:
        size = abs(value)
        decimals = 0 if size >= 100 else 1 if size >= 10 else 2
    text = f"{value:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "fr":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def unit_label(unit_norm, lang: str = "fr") -> str:
    """Display text of a normalised unit (``t/yr`` -> ``t/an``); unknown units as given."""
    if _missing(unit_norm) or unit_norm == "":
        return ""
    return UNIT_LABELS[_lang(lang)].get(str(unit_norm), str(unit_norm))


def format_quantity(value, unit_norm, lang: str = "fr") -> str:
    """``"1 234 t/an"``; ``"non renseignée"`` when the quantity is unknown."""
    if _missing(value):
        return NOT_GIVEN[_lang(lang)]
    unit = unit_label(unit_norm, lang)
    return f"{format_number(value, lang=lang)}{NBSP}{unit}".strip()


def format_share(value, lang: str = "fr") -> str:
    """``0.853`` -> ``"85 %"`` (fr) / ``"85%"`` (en); ``""`` if null."""
    if _missing(value):
        return ""
    number = format_number(100.0 * float(value), 0, lang)
    return f"{number}{NBSP}%" if lang == "fr" else f"{number}%"


def class_index(values, bounds=SIZE_BOUNDS) -> np.ndarray:
    """Class of each value among ``bounds`` (0 = below the first bound); -1 for null/negative."""
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    index = np.searchsorted(np.asarray(bounds, dtype=float), v, side="right").astype(int)
    index[~np.isfinite(v) | (v < 0)] = -1
    return index


def _class_of(value, bounds) -> int:
    """:func:`class_index` of one value (no Series built: it is called per row)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return -1
    if not math.isfinite(v) or v < 0:
        return -1
    return int(np.searchsorted(np.asarray(bounds, dtype=float), v, side="right"))


def _class_labels(bounds, suffix: str, lang: str) -> list[str]:
    numbers = [format_number(b, 0, lang) for b in bounds]
    dash = f"{NBSP}–{NBSP}" if lang == "fr" else "–"
    labels = [f"<{NBSP}{numbers[0]}"]
    labels += [f"{a}{dash}{b}" for a, b in zip(numbers[:-1], numbers[1:], strict=True)]
    labels.append(f"≥{NBSP}{numbers[-1]}")
    return [f"{label}{NBSP}{suffix}".strip() for label in labels]


def size_class(value, unit_norm, lang: str = "fr") -> str:
    """Size class of a quantity: ``"< 10 t/an"``, ``"10 – 100 t/an"``, ``"100 – 1 000 t/an"``,
    ``"≥ 1 000 t/an"``; ``"non renseignée"`` when unknown."""
    index = _class_of(value, SIZE_BOUNDS)
    if index < 0:
        return NOT_GIVEN[_lang(lang)]
    return _class_labels(SIZE_BOUNDS, unit_label(unit_norm, lang), lang)[index]


def distance_class(km, lang: str = "fr") -> str:
    """``"< 2 km"``, ``"2 – 5 km"`` … ``"≥ 50 km"``; ``""`` when unknown."""
    index = _class_of(km, DISTANCE_BOUNDS)
    if index < 0:
        return ""
    return _class_labels(DISTANCE_BOUNDS, "km", _lang(lang))[index]


def share_class(value, lang: str = "fr") -> str:
    """Coverage class: ``"< 25 %"``, ``"25 – 50 %"``, ``"50 – 75 %"``, ``"≥ 75 %"``."""
    index = _class_of(value, SHARE_BOUNDS)
    if index < 0:
        return ""
    pct = f"{NBSP}%" if lang == "fr" else "%"
    dash = f"{NBSP}–{NBSP}" if lang == "fr" else "–"
    labels = [f"<{NBSP}25{pct}", f"25{dash}50{pct}", f"50{dash}75{pct}", f"≥{NBSP}75{pct}"]
    return labels[index]


def months_display(text, lang: str = "fr") -> str:
    """``"3-10"`` -> ``"mars – oct."``; ``"1-12"`` or empty -> ``"toute l'année"``."""
    _lang(lang)
    if _missing(text) or str(text).strip() in ("", "1-12"):
        return ALL_YEAR[lang]
    names = MONTH_ABBREVIATIONS[lang]
    parts = []
    for part in str(text).replace(" ", "").split(","):
        ends = part.split("-")
        try:
            numbers = [int(e) for e in ends]
        except ValueError:
            return str(text)
        if not all(1 <= n <= 12 for n in numbers) or len(numbers) > 2:
            return str(text)
        parts.append(" – ".join(names[n - 1] for n in numbers))
    return ", ".join(parts)


def date_text(day, lang: str = "fr") -> str:
    """``datetime.date(2026, 3, 1)`` -> ``"1er mars 2026"`` (fr) / ``"1 March 2026"`` (en)."""
    _lang(lang)
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{number} {MONTH_NAMES[lang][day.month - 1]} {day.year}"


def fold(text) -> str:
    """Lower case, no accents, ``_`` for runs of spaces or dashes (matching keys)."""
    text = unicodedata.normalize("NFKD", str(text).strip().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", text)


def category_key(category) -> str | None:
    """The closed-vocabulary key of a category (``"Hôpital"`` -> ``"hopital"``), or None."""
    if _missing(category) or not str(category).strip():
        return None
    key = fold(category)
    if key in CATEGORY_LABELS["fr"]:
        return key
    return CATEGORY_SYNONYMS.get(key)


def category_label(category, lang: str = "fr", public: bool = False) -> str:
    """Display text of a category. Unknown categories: as written, or a generic word when
    ``public`` (a free-text category could name the actor)."""
    key = category_key(category)
    if key is not None:
        return CATEGORY_LABELS[_lang(lang)][key]
    if public or _missing(category) or not str(category).strip():
        return UNKNOWN_ACTOR[_lang(lang)]
    text = str(category).strip().replace("_", " ")
    return text[:1].upper() + text[1:]


def status_label(status, lang: str = "fr") -> str:
    if _missing(status):
        return ""
    return STATUS_LABELS[_lang(lang)].get(str(status), str(status))


def direction_label(direction, lang: str = "fr") -> str:
    if _missing(direction):
        return ""
    return DIRECTION_LABELS[_lang(lang)].get(str(direction), str(direction))


def naf_division(naf) -> str | None:
    """The 2-digit NAF division of a code (``"10.41A"`` -> ``"10"``), or None."""
    if _missing(naf):
        return None
    digits = re.sub(r"\D", "", str(naf))
    return digits[:2] if len(digits) >= 2 else None


def anonymous_name(category, naf=None, naf_divisions=None, lang: str = "fr") -> str:
    """Public name of a confidential actor: its category, with its NAF division when known."""
    label = category_label(category, lang, public=True)
    division = naf_division(naf)
    if division and naf_divisions and division in naf_divisions:
        activity = re.split(r",|;| \(", str(naf_divisions[division]))[0].strip()
        if activity:
            return f"{label} ({activity[:1].lower()}{activity[1:]})"
    return label


def read_naf_divisions(path) -> dict[str, str]:
    """``{division: label}`` from a CSV with ``division`` and ``libelle_division`` columns."""
    table = pd.read_csv(path, dtype=str, encoding="utf-8")
    return dict(zip(table["division"].str.zfill(2), table["libelle_division"], strict=True))
