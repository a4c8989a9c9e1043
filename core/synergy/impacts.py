"""Impact figures of synergy candidates: tonnes diverted, transport, CO2.

Per candidate (from ``matched_quantity``, ``unit_norm`` and ``distance_km``):

- ``diverted_t``: tonnes diverted from disposal = the matched quantity of a mass flow
  (0 for other units, null when the matched quantity is unknown);
- ``transport_tkm``: ``diverted_t x distance_km`` (one loaded trip; energy flows: 0);
- ``co2_transport_kg``: ``transport_tkm x`` the road-freight factor ``road_freight_tkm``;
- ``avoided_co2_kg``: for waste heat (an energy unit and a family, resource or label naming heat,
  chaleur, vapeur...): matched kWh x ``natural_gas_heat_kwh`` (heat that a gas boiler would
  otherwise make; 1 kWh heat = 1 kWh PCI gas, so the figure is conservative); 0 otherwise.

What a synergy saves against today (:func:`avoided_arrays`), when the supply's current
destination or the need's current origin is known (``current_distance_km`` of the flows,
:mod:`core.places`):

- ``current_km``: the distance travelled today = the supply's current distance + the need's
  current distance (the known ones: the synergy's one trip replaces both); null when neither
  is known;
- ``tkm_avoided``: ``diverted_t x (current_km - distance_km)``; negative when the synergy is
  farther than what happens today (kept, not hidden); 0 for energy flows;
- ``co2_avoided_t``: ``tkm_avoided x road_freight_tkm / 1000`` (the same factor as
  ``co2_transport_kg``).

Factors and their sources are read from ``core/data/impact_factors.csv``
(columns ``code, value, unit, label_fr, label_en, source``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EitError
from ._common import map_unique

FACTORS_CSV = Path(__file__).resolve().parents[1] / "data" / "impact_factors.csv"
IMPACT_COLUMNS = ("diverted_t", "transport_tkm", "co2_transport_kg", "avoided_co2_kg")
#: what a synergy saves against the current destinations and origins
AVOIDED_COLUMNS = (
    "current_supply_km",
    "current_need_km",
    "current_km",
    "tkm_avoided",
    "co2_avoided_t",
)
HEAT_PATTERN = re.compile(r"chaleur|heat|vapeur|steam|thermique|fatale", re.IGNORECASE)

#: Normalised units understood here: kind and factor to tonnes (mass) or kWh (energy).
_UNITS = {
    "t": ("mass", 1.0),
    "tonne": ("mass", 1.0),
    "tonnes": ("mass", 1.0),
    "kg": ("mass", 0.001),
    "kwh": ("energy", 1.0),
    "mwh": ("energy", 1000.0),
    "gwh": ("energy", 1.0e6),
    "mj": ("energy", 1.0 / 3.6),
    "gj": ("energy", 1000.0 / 3.6),
}


@dataclass(frozen=True)
class ImpactFactor:
    code: str
    value: float
    unit: str
    label_fr: str
    label_en: str
    source: str


def load_impact_factors(path: str | Path | None = None) -> dict[str, ImpactFactor]:
    """The impact factors by code, from ``path`` (default: the plugin's CSV)."""
    path = Path(path) if path is not None else FACTORS_CSV
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    needed = ["code", "value", "unit", "label_fr", "label_en", "source"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise EitError(
            "missing_column", f"{path.name} lacks {missing[0]}", file=str(path), field=missing[0]
        )
    factors = {}
    for row_number, row in enumerate(table.itertuples(index=False), start=2):
        try:
            value = float(row.value)
        except ValueError as exc:
            raise EitError(
                "invalid_number",
                f"{path.name}, row {row_number}: value {row.value!r} is not a number",
                file=str(path),
                row=row_number,
                field="value",
                value=row.value,
            ) from exc
        factors[row.code] = ImpactFactor(
            row.code, value, row.unit, row.label_fr, row.label_en, row.source
        )
    for code in ("road_freight_tkm", "natural_gas_heat_kwh"):
        if code not in factors:
            raise EitError(
                "missing_impact_factor",
                f"{path.name} has no factor {code}",
                file=str(path),
                value=code,
            )
    return factors


def unit_kind(unit_norm) -> tuple[str | None, float]:
    """(``"mass"`` | ``"energy"`` | None, factor to t or kWh) of a normalised unit.

    A per-period suffix (``t/an``, ``MWh/year``) is ignored: quantities are yearly.
    """
    if unit_norm is None or (isinstance(unit_norm, float) and np.isnan(unit_norm)):
        return None, np.nan
    base = str(unit_norm).strip().split("/")[0].strip().lower()
    return _UNITS.get(base, (None, np.nan))


def impact_arrays(
    matched: np.ndarray,
    unit_norm: np.ndarray,
    distance_km: np.ndarray,
    is_heat: np.ndarray,
    factors: dict[str, ImpactFactor],
    unit_table: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The four impact columns from plain arrays (see the module docstring).

    With ``unit_table``, ``unit_norm`` holds integer codes into it (-1: unknown unit).
    """
    matched = np.asarray(matched, dtype=float)
    if unit_table is None:
        codes, uniques = pd.factorize(pd.Series(unit_norm, dtype=object), use_na_sentinel=True)
    else:
        codes, uniques = np.asarray(unit_norm, dtype=np.intp), list(unit_table)[:-1]
    kinds = [unit_kind(u) for u in uniques] + [(None, np.nan)]
    kind = np.array([k for k, _ in kinds], dtype=object)[codes]
    scale = np.array([f for _, f in kinds], dtype=float)[codes]
    is_mass = kind == "mass"
    is_energy = kind == "energy"
    known = ~np.isnan(matched)
    heat = is_energy & np.asarray(is_heat, dtype=bool)
    diverted = np.where(known, np.where(is_mass, matched * scale, 0.0), np.nan)
    tkm = diverted * np.asarray(distance_km, dtype=float)
    co2 = tkm * factors["road_freight_tkm"].value
    avoided = np.where(
        known,
        np.where(heat, matched * scale, 0.0) * factors["natural_gas_heat_kwh"].value,
        np.nan,
    )
    return {
        "diverted_t": diverted,
        "transport_tkm": tkm,
        "co2_transport_kg": co2,
        "avoided_co2_kg": avoided,
    }


def avoided_arrays(
    diverted_t: np.ndarray,
    distance_km: np.ndarray,
    current_supply_km: np.ndarray,
    current_need_km: np.ndarray,
    factors: dict[str, ImpactFactor],
) -> dict[str, np.ndarray]:
    """The :data:`AVOIDED_COLUMNS` from plain arrays (see the module docstring)."""
    supply_km = np.asarray(current_supply_km, dtype=float)
    need_km = np.asarray(current_need_km, dtype=float)
    known = ~np.isnan(supply_km) | ~np.isnan(need_km)
    current = np.where(known, np.nan_to_num(supply_km) + np.nan_to_num(need_km), np.nan)
    tkm = np.asarray(diverted_t, dtype=float) * (current - np.asarray(distance_km, dtype=float))
    return {
        "current_supply_km": supply_km,
        "current_need_km": need_km,
        "current_km": current,
        "tkm_avoided": tkm,
        "co2_avoided_t": tkm * factors["road_freight_tkm"].value / 1000.0,
    }


def avoided_totals(candidates: pd.DataFrame) -> dict:
    """``{status: {"n": candidates with a current distance, "tkm": .., "co2_t": ..}}``."""
    out = {}
    if candidates is None or "tkm_avoided" not in getattr(candidates, "columns", ()):
        return out
    tkm = pd.to_numeric(candidates["tkm_avoided"], errors="coerce")
    co2 = pd.to_numeric(candidates["co2_avoided_t"], errors="coerce")
    for status in ("retained", "to_explore"):
        rows = (candidates["status"].astype(str) == status).to_numpy() & tkm.notna().to_numpy()
        out[status] = {
            "n": int(rows.sum()),
            "tkm": float(tkm[rows].sum()),
            "co2_t": float(co2[rows].sum()),
        }
    return out


def heat_named(frame: pd.DataFrame) -> np.ndarray:
    """True where the family, supply resource or its label names heat (chaleur, vapeur...)."""
    out = np.zeros(len(frame), dtype=bool)
    for col in ("family", "supply_resource", "supply_resource_label"):
        if col in frame.columns:
            out |= map_unique(frame[col], _names_heat, False).astype(bool)
    return out


def _names_heat(value) -> bool:
    return HEAT_PATTERN.search(str(value)) is not None


def add_impacts(candidates: pd.DataFrame, factors: dict | None = None) -> pd.DataFrame:
    """A copy of ``candidates`` with the impact columns (re)computed."""
    factors = factors or load_impact_factors()
    out = candidates.copy()
    arrays = impact_arrays(
        out["matched_quantity"].to_numpy(dtype=float),
        out["unit_norm"].to_numpy(dtype=object),
        out["distance_km"].to_numpy(dtype=float),
        heat_named(out),
        factors,
    )
    for name, values in arrays.items():
        out[name] = values
    return out


def impact_totals(candidates: pd.DataFrame, statuses=None, factors: dict | None = None) -> dict:
    """Totals of the impact figures (only candidates whose ``status`` is in ``statuses``).

    Returns ``n_candidates``, ``diverted_t``, ``transport_tkm``, ``co2_transport_kg``,
    ``avoided_co2_kg``, ``net_avoided_co2_kg`` (avoided - transport), ``quantity_by_unit``
    ({unit_norm: matched total}) and ``sources`` ({factor code: source}).
    """
    factors = factors or load_impact_factors()
    frame = candidates
    if statuses is not None:
        wanted = {statuses} if isinstance(statuses, str) else set(statuses)
        frame = frame[frame["status"].isin(wanted)]
    if not all(c in frame.columns for c in IMPACT_COLUMNS):
        frame = add_impacts(frame, factors)
    sums = {c: float(np.nansum(frame[c].to_numpy(dtype=float))) for c in IMPACT_COLUMNS}
    matched = frame["matched_quantity"].to_numpy(dtype=float)
    by_unit = pd.Series(matched).groupby(frame["unit_norm"].to_numpy(dtype=object)).sum(min_count=1)
    return {
        "n_candidates": int(len(frame)),
        **sums,
        "net_avoided_co2_kg": sums["avoided_co2_kg"] - sums["co2_transport_kg"],
        "quantity_by_unit": {str(k): float(v) for k, v in by_unit.dropna().items()},
        "sources": {code: f.source for code, f in factors.items()},
    }
