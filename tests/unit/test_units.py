"""Units: French and English unit strings, annual normalisation, densities, mismatches."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.units import (
    NORM_UNITS,
    conversion,
    default_conversion,
    normalise,
    parse_unit,
    registry,
)

WEEKS_PER_YEAR = 365.2425 / 7  # Gregorian year: 52.1775 weeks


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue.builtin()


def factor(catalogue, unit: str, code: str):
    result = conversion(parse_unit(unit), catalogue.get(code))
    assert result.error is None, result.message
    return result.factor


def test_registry_has_french_periods_and_counts():
    ureg = registry()
    assert registry() is ureg  # built once
    assert ureg.Quantity(1, "an").to("jour").magnitude == pytest.approx(365.2425)
    assert ureg.Quantity(1, "année").to("mois").magnitude == pytest.approx(12)
    assert ureg.Quantity(1, "an").to("semaine").magnitude == pytest.approx(WEEKS_PER_YEAR)
    assert ureg.Quantity(3, "unités").to("unite").magnitude == 3
    assert ureg.Quantity(1, "tep").to("MWh").magnitude == pytest.approx(11.63)


@pytest.mark.parametrize(
    ("unit", "code", "expected"),
    [
        ("kg/semaine", "MIN_GYPSUM", WEEKS_PER_YEAR / 1000),
        ("kg / sem", "MIN_GYPSUM", WEEKS_PER_YEAR / 1000),
        ("t/an", "MIN_GYPSUM", 1.0),
        ("T", "MIN_GYPSUM", 1.0),
        ("tonnes par an", "MIN_GYPSUM", 1.0),
        ("t.an-1", "MIN_GYPSUM", 1.0),
        ("t·an⁻¹", "MIN_GYPSUM", 1.0),
        ("t/mois", "MIN_GYPSUM", 12.0),
        ("t/year", "MIN_GYPSUM", 1.0),
        ("kg", "MIN_GYPSUM", 0.001),
        ("quintaux", "MIN_GYPSUM", 0.1),
        ("m3/mois", "WAT_PROCESS", 12.0),
        ("m³", "WAT_PROCESS", 1.0),
        ("litres", "WAT_PROCESS", 0.001),
        ("L/j", "WAT_PROCESS", 365.2425 / 1000),
        ("hl", "WAT_PROCESS", 0.1),
        ("kWh", "EN_HEAT_LT", 0.001),
        ("kWh/mois", "EN_HEAT_LT", 0.012),
        ("mwh/an", "EN_HEAT_LT", 1.0),
        ("MWh PCI", "EN_HEAT_LT", 1.0),
        ("GWh", "EN_HEAT_LT", 1000.0),
        ("GJ", "EN_HEAT_LT", 1 / 3.6),
        ("MJ", "EN_HEAT_LT", 1 / 3600),
        ("tep", "EN_HEAT_LT", 11.63),
        ("h/an", "SRV_MAINTENANCE", 1.0),
        ("heures/mois", "SRV_MAINTENANCE", 12.0),
        ("unités", "EQ_WEIGHBRIDGE", 1.0),
        ("u", "EQ_WEIGHBRIDGE", 1.0),
        ("pièces/mois", "EQ_WEIGHBRIDGE", 12.0),
        ("m2", "SPC_STORAGE", 1.0),
        ("m²", "SPC_STORAGE", 1.0),
        ("ha", "SPC_STORAGE", 10000.0),
    ],
)
def test_conversion_factors(catalogue, unit, code, expected):
    assert factor(catalogue, unit, code) == pytest.approx(expected, rel=1e-12)


def test_normalised_units_per_dimension(catalogue):
    cases = {
        "MIN_GYPSUM": "t/yr",
        "EN_HEAT_LT": "MWh/yr",
        "WAT_PROCESS": "m3/yr",
        "SRV_MAINTENANCE": "h/yr",
        "EQ_WEIGHBRIDGE": "unit/yr",
        "SPC_STORAGE": "m2",
    }
    for code, unit_norm in cases.items():
        resource = catalogue.get(code)
        assert default_conversion(resource).unit_norm == unit_norm == NORM_UNITS[resource.dimension]


def test_volume_of_green_waste_becomes_tonnes_with_its_density(catalogue):
    resource = catalogue.get("ORG_GREEN_WASTE")
    density = resource.density_t_per_m3
    assert density and density > 0
    result = conversion(parse_unit("m3/mois"), resource)
    assert result.error is None
    assert result.factor == pytest.approx(12 * density)
    assert result.unit_norm == "t/yr"
    assert f"{density:g} t/m3" in result.note and "volume converted to mass" in result.note


def test_mass_of_water_becomes_m3_with_its_density(catalogue):
    resource = catalogue.get("WAT_PROCESS")
    result = conversion(parse_unit("t"), resource)
    assert result.error is None
    assert result.factor == pytest.approx(1 / resource.density_t_per_m3)
    assert "mass converted to volume" in result.note


def test_energy_of_gypsum_is_a_mismatch(catalogue):
    result = conversion(parse_unit("MWh"), catalogue.get("MIN_GYPSUM"))
    assert result.error == "unit_mismatch"
    assert math.isnan(result.factor)
    assert "MWh" in result.message and "MIN_GYPSUM" in result.message
    assert "energy" in result.message and "mass" in result.message


def test_volume_of_a_mass_resource_without_density_is_a_mismatch(catalogue):
    resource = catalogue.get("MIN_GYPSUM")
    assert resource.density_t_per_m3 is None
    result = conversion(parse_unit("m3"), resource)
    assert result.error == "unit_mismatch"
    assert "no density" in result.message


def test_power_is_not_an_energy(catalogue):
    result = conversion(parse_unit("kW"), catalogue.get("EN_HEAT_LT"))
    assert result.error == "unit_mismatch"
    assert "power" in result.message


def test_area_is_a_stock_without_period(catalogue):
    result = conversion(parse_unit("m2/an"), catalogue.get("SPC_STORAGE"))
    assert result.error == "unit_mismatch"
    assert "stock" in result.message


def test_rates_per_hour_and_working_days_are_ambiguous(catalogue):
    assert parse_unit("m3/h").error == "ambiguous_unit"
    result = conversion(parse_unit("jours/an"), catalogue.get("SRV_MAINTENANCE"))
    assert result.error == "ambiguous_unit"
    assert "hours" in result.message


@pytest.mark.parametrize("text", ["zorglub", "kg/m3", "/an", "10**10**10", "t MS", "%", "€"])
def test_unknown_units(text):
    parsed = parse_unit(text)
    assert parsed.error == "unknown_unit"
    assert repr(text) in parsed.message


def test_parse_unit_is_cached():
    parse_unit.cache_clear()
    parse_unit("kg/semaine")
    parse_unit("kg/semaine")
    info = parse_unit.cache_info()
    assert info.misses == 1 and info.hits == 1


def test_normalise_vectorised(catalogue):
    resources = {code: catalogue.get(code) for code in ("MIN_GYPSUM", "ORG_GREEN_WASTE")}
    density = resources["ORG_GREEN_WASTE"].density_t_per_m3
    frame = normalise(
        [700.0, 2.0, 5.0, 3.0, 4.0, np.nan, 1.0],
        pd.Series(["kg/semaine", "", "m3", "MWh", "zorglub", "t", None], dtype=object),
        pd.Series(
            [
                "MIN_GYPSUM",
                "MIN_GYPSUM",
                "ORG_GREEN_WASTE",
                "MIN_GYPSUM",
                "MIN_GYPSUM",
                "MIN_GYPSUM",
                None,
            ],
            dtype=object,
        ),
        resources,
    )
    assert frame["quantity_norm"][0] == pytest.approx(0.7 * WEEKS_PER_YEAR)
    assert frame["quantity_norm"][1] == 2.0
    assert frame["conversion"][1] == "no unit given: t/yr assumed"
    assert frame["quantity_norm"][2] == pytest.approx(5 * density)
    assert frame["unit_error"].tolist()[3:5] == ["unit_mismatch", "unknown_unit"]
    assert np.isnan(frame["quantity_norm"][5]) and frame["unit_error"][5] is None
    assert frame["unit_error"][6] is None and frame["unit_norm"][6] is None  # unresolved
    assert frame["unit_norm"].tolist()[:6] == ["t/yr"] * 6


def test_normalise_on_many_rows_equals_row_by_row(catalogue):
    rng = np.random.default_rng(7)
    codes = ["MIN_GYPSUM", "WAT_PROCESS", "EN_HEAT_LT", "ORG_GREEN_WASTE"]
    units = ["t", "kg/mois", "m3", "L/j", "kWh", "GJ/an", "MWh", "bidule", ""]
    n = 20_000
    code_col = pd.Series(rng.choice(codes, n), dtype=object)
    unit_col = pd.Series(rng.choice(units, n), dtype=object)
    quantity = rng.uniform(0, 100, n)
    resources = {c: catalogue.get(c) for c in codes}
    frame = normalise(quantity, unit_col, code_col, resources)
    for i in rng.choice(n, 300, replace=False):
        resource = resources[code_col[i]]
        result = (
            conversion(parse_unit(unit_col[i]), resource)
            if unit_col[i]
            else default_conversion(resource)
        )
        assert frame["unit_error"][i] == result.error
        if result.error is None:
            assert frame["quantity_norm"][i] == pytest.approx(quantity[i] * result.factor)
        else:
            assert np.isnan(frame["quantity_norm"][i])


# ----------------------------------------------------------------- fuels (issue 13)


def test_fuel_need_in_energy_becomes_tonnes_with_the_calorific_value(catalogue):
    res = catalogue.get("EN_BIOMASS_FUEL")  # counted in tonnes
    result = conversion(parse_unit("MWh/an"), res)
    assert result.error is None
    assert result.factor == pytest.approx(1 / res.lhv_mwh_per_t)
    assert "calorific value" in result.note and f"{res.lhv_mwh_per_t:g} MWh/t" in result.note
    assert "ISO 17225" in res.lhv_source or "ISO 18125" in res.lhv_source


def test_biogas_in_normal_cubic_metres_becomes_energy(catalogue):
    res = catalogue.get("EN_BIOGAS")  # counted in MWh
    factor_nm3 = factor(catalogue, "Nm3/an", "EN_BIOGAS")
    # about 6 kWh per Nm3 of biogas at 60 % methane
    assert factor_nm3 == pytest.approx(res.density_t_per_m3 * res.lhv_mwh_per_t)
    assert 0.0055 < factor_nm3 < 0.0065
    tonnes = conversion(parse_unit("t"), res)
    assert tonnes.factor == pytest.approx(res.lhv_mwh_per_t) and "mass converted" in tonnes.note


def test_biomethane_and_fuel_oil_in_any_unit(catalogue):
    # 1 Nm3 of methane is about 9.97 kWh (net)
    assert factor(catalogue, "Nm3", "EN_BIOMETHANE") == pytest.approx(0.00997, rel=0.01)
    # 1000 L of heating oil is about 10 MWh
    assert factor(catalogue, "L", "EN_FUEL_OIL") * 1000 == pytest.approx(10.07, rel=0.02)
    assert factor(catalogue, "t", "EN_FUEL_OIL") == pytest.approx(11.85)


def test_energy_of_a_resource_without_calorific_value_is_still_a_mismatch(catalogue):
    result = conversion(parse_unit("MWh"), catalogue.get("MIN_SLAG"))
    assert result.error == "unit_mismatch" and "calorific" in result.message
