"""Units of flow quantities: parsing French/English unit strings and annual normalisation.

Every quantity is brought to one unit per resource dimension, per year (flow balances are
annual): mass -> ``t/yr``, energy -> ``MWh/yr``, volume -> ``m3/yr``, time -> ``h/yr``,
count -> ``unit/yr``; an area is a stock, without period: ``m2``.

A unit string is an amount unit optionally followed by a period: ``t/an``, ``kg/semaine``,
``m3 par mois``, ``MWh``, ``t.an-1``, ``L/j``. No period means per year. Conversions go
through one pint registry (built once) with French units added; the year is the Gregorian
year (365.2425 days, so a week is 1/52.1775 year).

Rules (reason codes of rejected rows):

- ``unknown_unit``: the string is not a unit.
- ``unit_mismatch``: the amount's dimension does not fit the resource (MWh of gypsum; m3 of a
  mass resource without density; a power such as kW for an energy; an area with a period).
  A volume of a mass resource that has a density (or the reverse) is converted with the
  catalogue density; an energy of a fuel counted in mass or volume (or the reverse: tonnes of
  wood chips for a need in MWh, Nm3 of biogas) with its catalogue net calorific value (and
  density); the ``conversion`` note gives the figures used.
- ``ambiguous_unit``: a rate per hour/minute/second (operating hours unknown), or working
  time counted in days/weeks/months (hours per day unknown).
- An empty unit is the resource's default unit per year (noted).

:func:`normalise` parses each distinct unit string once and each distinct
(unit, resource) pair once, then multiplies in one vectorised step.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .tables import Coded, encode, normalise_key

DIMENSIONS = ("mass", "energy", "volume", "time", "count", "area")

#: dimension -> the unit its amounts are converted to (before the period)
BASE_UNITS = {
    "mass": "metric_ton",
    "energy": "megawatt_hour",
    "volume": "meter ** 3",
    "time": "hour",
    "count": "unite",
    "area": "meter ** 2",
}

#: dimension -> the normalised unit written in ``unit_norm``
NORM_UNITS = {
    "mass": "t/yr",
    "energy": "MWh/yr",
    "volume": "m3/yr",
    "time": "h/yr",
    "count": "unit/yr",
    "area": "m2",
}

_DEFINITIONS = (
    "an = gregorian_year = annee = année = ans = années",
    "mois = an / 12",
    "semaine = week = sem = semaines",
    "jour = day = jours",
    "heure = hour = heures",
    "unite = [item] = unité = unites = unités = piece = pièce = pieces = pièces = pce",
    "quintal = 100 * kilogram = qx = quintaux",
    "tep = tonne_of_oil_equivalent",
    "m3 = meter ** 3 = metre_cube",
    "m2 = meter ** 2 = metre_carre",
)

#: user spellings (compared without case, accents, spaces) -> registry expression
_ALIASES = {
    # mass
    "t": "metric_ton",
    "tonne": "metric_ton",
    "to": "metric_ton",
    "tonnemetrique": "metric_ton",
    "kg": "kilogram",
    "kilo": "kilogram",
    "kilogramme": "kilogram",
    "g": "gram",
    "gramme": "gram",
    "kt": "kilometric_ton",
    "kilotonne": "kilometric_ton",
    "q": "quintal",
    "qx": "quintal",
    "quintal": "quintal",
    "quintaux": "quintal",
    # volume
    "m3": "m3",
    "mcube": "m3",
    "metrecube": "m3",
    "metrescube": "m3",
    "metrescubes": "m3",
    "map": "m3",  # mètre cube apparent de plaquettes
    "mapp": "m3",
    "m3apparent": "m3",
    "nm3": "m3",  # normal cubic metre of gas (0 °C, 1 atm): densities are given per Nm3
    "m3n": "m3",
    "sm3": "m3",
    "stere": "stere",
    "l": "liter",
    "litre": "liter",
    "liter": "liter",
    "hl": "hectoliter",
    "hectolitre": "hectoliter",
    "dm3": "decimeter ** 3",
    "cm3": "centimeter ** 3",
    "ml": "milliliter",
    # energy (prefixes read without case: nobody means milliwatt-hours)
    "wh": "watt_hour",
    "kwh": "kilowatt_hour",
    "mwh": "megawatt_hour",
    "gwh": "gigawatt_hour",
    "twh": "terawatt_hour",
    "kj": "kilojoule",
    "mj": "megajoule",
    "gj": "gigajoule",
    "tj": "terajoule",
    "tep": "tep",
    "ktep": "kilotep",
    "toe": "tep",
    # time
    "h": "hour",
    "hr": "hour",
    "heure": "hour",
    "hour": "hour",
    "min": "minute",
    "minute": "minute",
    "j": "day",
    "jour": "day",
    "day": "day",
    "semaine": "week",
    "week": "week",
    "mois": "mois",
    "month": "mois",
    # count
    "u": "unite",
    "unite": "unite",
    "unit": "unite",
    "piece": "unite",
    "pce": "unite",
    "pc": "unite",
    "nb": "unite",
    "nombre": "unite",
    "ex": "unite",
    "exemplaire": "unite",
    "item": "unite",
    # area
    "m2": "m2",
    "metrecarre": "m2",
    "metrescarre": "m2",
    "metrescarres": "m2",
    "ha": "hectare",
    "hectare": "hectare",
    "km2": "kilometer ** 2",
}

#: period spellings -> registry unit; None marks a rate that cannot be made annual
_PERIODS = {
    **dict.fromkeys(("an", "ans", "annee", "annees", "a", "yr", "year", "years", "y"), "an"),
    **dict.fromkeys(("mois", "month", "months", "mo"), "mois"),
    **dict.fromkeys(("semaine", "semaines", "sem", "week", "weeks", "wk"), "semaine"),
    **dict.fromkeys(("jour", "jours", "j", "day", "days", "d"), "jour"),
    **dict.fromkeys(
        ("h", "heure", "heures", "hour", "hours", "hr", "min", "minute", "s", "sec"), None
    ),
}
_PERIOD_NAMES = {"an": "year", "mois": "month", "semaine": "week", "jour": "day"}

_SPLIT_SLASH = re.compile(r"^(?P<amount>.*?)\s*(?:/|\bpar\b|\bper\b)\s*(?P<period>[^/\s]+)$", re.I)
_SPLIT_POWER = re.compile(r"^(?P<amount>.*?)[\s.*]+(?P<period>[^\s.*]+?)\s*(?:\^|\*\*)?-1$")
_PINT_TOKEN = re.compile(r"^[A-Za-zµ_]+(?:\*\*[23])?$")


@lru_cache(maxsize=1)
def registry():
    """The one pint registry of the plugin, with French units added (built on first use)."""
    import pint

    ureg = pint.UnitRegistry(on_redefinition="raise")
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


@dataclass(frozen=True)
class ParsedUnit:
    """A unit string understood: amount dimension and factor, and period per year."""

    text: str
    dimension: str | None = None  # one of DIMENSIONS, 'power', 'other', or None (error)
    factor: float = math.nan  # amount unit -> BASE_UNITS[dimension]
    per_year: float | None = None  # periods per year; None when no period was given
    period: str | None = None  # 'year' | 'month' | 'week' | 'day'
    amount: str = ""  # the amount part as written
    error: str | None = None  # 'unknown_unit' | 'ambiguous_unit'
    message: str = ""


@dataclass(frozen=True)
class Conversion:
    """How a unit applies to a resource: multiply the quantity by ``factor``."""

    factor: float
    unit_norm: str | None
    note: str | None = None
    error: str | None = None
    message: str = ""


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).replace("\u2212", "-")
    text = re.sub(r"[(\[].*?[)\]]", " ", text).replace("·", ".").replace("×", "*")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> ParsedUnit:
    """Understand one unit string (cached: call it once per distinct string)."""
    cleaned = _clean(text)
    if not cleaned:
        return ParsedUnit(text, error="unknown_unit", message="empty unit")
    amount, period_key = cleaned, None
    for pattern in (_SPLIT_SLASH, _SPLIT_POWER):
        match = pattern.match(cleaned)
        if match and normalise_key(match.group("period")) in _PERIODS:
            amount, period_key = match.group("amount").strip(), normalise_key(match.group("period"))
            break
    per_year = period = None
    if period_key is not None:
        registry_period = _PERIODS[period_key]
        if registry_period is None:
            return ParsedUnit(
                text,
                error="ambiguous_unit",
                message=f"unit {text!r} is a rate per {match.group('period')}: operating hours "
                "are unknown, give the amount per year, month, week or day",
            )
        per_year = _round(registry().Quantity(1, "an").to(registry_period).magnitude)
        period = _PERIOD_NAMES[registry_period]
    quantity = _amount_quantity(amount)
    if quantity is None:
        return ParsedUnit(
            text,
            error="unknown_unit",
            message=f"unknown unit {text!r}; use t, kg, m3, L, MWh, kWh, GJ, h, unit or m2, "
            "optionally per year/month/week/day (t/an, kg/semaine)",
        )
    dimension = _dimension_of(quantity)
    factor = math.nan
    if dimension in BASE_UNITS:
        factor = _round(quantity.to(BASE_UNITS[dimension]).magnitude)
    return ParsedUnit(text, dimension, factor, per_year, period, amount)


def _amount_quantity(amount: str):
    ureg = registry()
    key = re.sub(r"(wh|j|tep)(pci|pcs|th|thermique|ef)$", r"\1", normalise_key(amount))
    expression = _ALIASES.get(key)
    if expression is None and len(key) > 2 and key.endswith("s"):
        expression = _ALIASES.get(key[:-1])
    if expression is None:
        token = re.sub(r"(?<=[A-Za-z])\^?([23])$", r"**\1", amount.replace(" ", ""))
        if not _PINT_TOKEN.match(token):
            return None
        expression = token
    import pint

    try:
        quantity = ureg.Quantity(1, expression)
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError):
        return None
    return quantity


def _dimension_of(quantity) -> str:
    dims = dict(quantity.dimensionality)
    table = {
        "mass": {"[mass]": 1},
        "volume": {"[length]": 3},
        "area": {"[length]": 2},
        "energy": {"[mass]": 1, "[length]": 2, "[time]": -2},
        "time": {"[time]": 1},
        "count": {"[item]": 1},
        "power": {"[mass]": 1, "[length]": 2, "[time]": -3},
    }
    for name, wanted in table.items():
        if dims == wanted:
            return name
    return "other"


def _round(value: float) -> float:
    return float(f"{value:.12g}")


_DIMENSION_WORDS = {
    "mass": "a mass",
    "energy": "an energy",
    "volume": "a volume",
    "time": "a time",
    "count": "a count",
    "area": "an area",
    "power": "a power",
    "other": "not a flow unit",
}


def conversion(parsed: ParsedUnit, resource) -> Conversion:
    """How ``parsed`` applies to ``resource`` (anything with ``code``, ``dimension``,
    ``default_unit``, ``density_t_per_m3``, ``density_source``)."""
    target = resource.dimension
    unit_norm = NORM_UNITS.get(target)
    if parsed.error:
        return Conversion(math.nan, unit_norm, error=parsed.error, message=parsed.message)
    if target not in NORM_UNITS:
        return Conversion(
            math.nan,
            None,
            error="unit_mismatch",
            message=f"resource {resource.code} has no known dimension ({target!r})",
        )
    got = parsed.dimension
    factor = parsed.factor
    note = None
    is_word = _DIMENSION_WORDS.get(got, "not a flow unit")
    expected = f"{resource.code} is counted as {_DIMENSION_WORDS[target]} ({resource.default_unit})"
    if got == "power" and target == "energy":
        return _mismatch(
            parsed,
            unit_norm,
            f"unit {parsed.text!r} is a power, not an energy: give the " "energy per year (MWh/an)",
        )
    if got != target:
        converted = _cross_dimension(got, target, factor, resource)
        if converted is None:
            density = getattr(resource, "density_t_per_m3", None)
            pair = {got, target}
            if pair == {"mass", "volume"} and not density:
                extra = " and has no density"
            elif "energy" in pair and pair <= {"mass", "volume", "energy"}:
                extra = " and has no calorific value"
            else:
                extra = ""
            return _mismatch(
                parsed, unit_norm, f"unit {parsed.text!r} is {is_word} but " f"{expected}{extra}"
            )
        factor, note = converted
    if target == "time" and factor >= 24:
        return Conversion(
            math.nan,
            unit_norm,
            error="ambiguous_unit",
            message=f"working time in {parsed.amount!r} is ambiguous (hours per day unknown): "
            "give hours",
        )
    if target == "area":
        if parsed.per_year is not None:
            return _mismatch(
                parsed,
                unit_norm,
                f"unit {parsed.text!r} has a period but an area is a stock: "
                "give it without period (m2)",
            )
        return Conversion(_round(factor), unit_norm, note)
    per_year = parsed.per_year if parsed.per_year is not None else 1.0
    return Conversion(_round(factor * per_year), unit_norm, note)


def _cross_dimension(got: str, target: str, factor: float, resource):
    """(factor, note) bringing an amount of dimension ``got`` to ``target`` through the
    catalogue density (t/m3) and net calorific value (MWh/t) of ``resource``; None when the
    resource lacks the figure needed."""
    density = getattr(resource, "density_t_per_m3", None) or None
    lhv = getattr(resource, "lhv_mwh_per_t", None) or None
    code = resource.code
    dens_txt = f"density {density:g} t/m3 (catalogue density of {code})" if density else ""
    lhv_txt = (
        f"net calorific value {lhv:g} MWh/t (catalogue calorific value of {code})" if lhv else ""
    )
    pair = (got, target)
    if pair == ("volume", "mass") and density:
        return factor * density, f"volume converted to mass with {dens_txt}"
    if pair == ("mass", "volume") and density:
        return factor / density, f"mass converted to volume with {dens_txt}"
    if pair == ("mass", "energy") and lhv:
        return factor * lhv, f"mass converted to energy with {lhv_txt}"
    if pair == ("energy", "mass") and lhv:
        return factor / lhv, f"energy converted to mass with {lhv_txt}"
    if pair == ("volume", "energy") and lhv and density:
        return (
            factor * density * lhv,
            f"volume converted to energy with {dens_txt} and {lhv_txt}",
        )
    if pair == ("energy", "volume") and lhv and density:
        return (
            factor / (density * lhv),
            f"energy converted to volume with {dens_txt} and {lhv_txt}",
        )
    return None


def _mismatch(parsed: ParsedUnit, unit_norm, message: str) -> Conversion:
    return Conversion(math.nan, unit_norm, error="unit_mismatch", message=message)


def default_conversion(resource) -> Conversion:
    """An empty unit: the resource's default unit per year, noted."""
    result = conversion(parse_unit(resource.default_unit), resource)
    period = "" if resource.dimension == "area" else "/yr"
    note = f"no unit given: {resource.default_unit}{period} assumed"
    return Conversion(result.factor, result.unit_norm, note, result.error, result.message)


def normalise(
    quantity, unit: pd.Series, resource: pd.Series, resources: Mapping[str, object]
) -> pd.DataFrame:
    """Normalised quantities, vectorised.

    ``quantity``: floats (NaN = not given); ``unit``: unit strings (empty/None = default);
    ``resource``: resource codes (None = unresolved, left alone); ``resources``: code ->
    resource. Returns a frame on ``unit``'s index with ``quantity_norm``, ``unit_norm``,
    ``conversion`` (note), ``unit_error`` (reason code) and ``unit_message``.
    """
    res_codes, codes = pd.factorize(resource, use_na_sentinel=True)
    result = normalise_codes(encode(unit), res_codes, [resources[c] for c in codes])
    return pd.DataFrame(
        {
            "quantity_norm": result.quantity_norm(quantity),
            **{name: result.rows(name) for name in ("unit_norm", "conversion")},
            "unit_error": result.rows("error"),
            "unit_message": result.rows("message"),
        },
        index=unit.index,
    )


@dataclass
class UnitResult:
    """Per distinct (unit, resource) pair: ``factor``, ``unit_norm``, ``conversion`` (note),
    ``error`` (reason code), ``message``, ``density`` (density used); ``pair_codes`` maps each
    row to its pair."""

    pair_codes: np.ndarray
    pairs: dict

    def rows(self, name: str) -> np.ndarray:
        """Per-row values of one per-pair array."""
        return self.pairs[name][self.pair_codes]

    def quantity_norm(self, quantity) -> np.ndarray:
        return np.asarray(quantity, dtype=float) * self.rows("factor")

    def error_mask(self, code: str) -> np.ndarray:
        """Rows whose unit gives reason ``code``."""
        return (self.pairs["error"] == code)[self.pair_codes]


def normalise_codes(unit: Coded, resource_codes: np.ndarray, resources) -> UnitResult:
    """:func:`normalise` on coded columns: ``unit`` (see ``tables.encode``), resource codes
    (``-1`` = unresolved, left alone) into the ``resources`` list. Each distinct unit string
    is parsed once, each distinct (unit, resource) pair converted once."""
    width = len(resources) + 1
    pair = (unit.codes.astype(np.int64) + 1) * width + (np.asarray(resource_codes) + 1)
    pair_codes, pairs = pd.factorize(pair)
    size = len(pairs)
    table = {
        "factor": np.full(size, np.nan),
        "unit_norm": np.empty(size, dtype=object),
        "conversion": np.empty(size, dtype=object),
        "error": np.empty(size, dtype=object),
        "message": np.empty(size, dtype=object),
        "density": np.zeros(size, dtype=bool),
        "calorific": np.zeros(size, dtype=bool),
    }
    for index, key in enumerate(pairs.tolist()):
        u, r = divmod(key, width)
        if r == 0:
            continue
        res = resources[r - 1]
        text = str(unit.uniques[u - 1]) if u else ""
        result = conversion(parse_unit(text), res) if _clean(text) else default_conversion(res)
        table["factor"][index] = result.factor
        table["unit_norm"][index] = result.unit_norm
        table["conversion"][index] = result.note
        table["error"][index] = result.error
        table["message"][index] = result.message or None
        table["density"][index] = bool(result.note) and "density" in result.note
        table["calorific"][index] = bool(result.note) and "calorific" in result.note
    return UnitResult(pair_codes, table)
