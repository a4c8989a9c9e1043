"""Impact figures: t.km, CO2 with the factors read from the plugin's CSV."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import EitError
from eit_synergies.core.synergy import (
    add_impacts,
    find_candidates,
    impact_totals,
    load_impact_factors,
)
from eit_synergies.core.synergy.impacts import FACTORS_CSV, unit_kind
from shapely.geometry import Point

X0, Y0 = 780_000.0, 6_680_000.0


def test_factor_table_is_complete_and_sourced():
    table = pd.read_csv(FACTORS_CSV)
    assert list(table.columns) == ["code", "value", "unit", "label_fr", "label_en", "source"]
    factors = load_impact_factors()
    assert {"road_freight_tkm", "natural_gas_heat_kwh"} <= set(factors)
    for f in factors.values():
        assert f.value > 0 and f.source.strip() and f.label_fr and f.label_en
    assert "Base Carbone" in factors["road_freight_tkm"].source
    assert factors["road_freight_tkm"].unit == "kgCO2e/t.km"


def test_unit_kinds():
    assert unit_kind("t/yr") == ("mass", 1.0)
    assert unit_kind("kg") == ("mass", 0.001)
    assert unit_kind("MWh/yr") == ("energy", 1000.0)
    assert unit_kind("m3/yr")[0] is None
    assert unit_kind(None)[0] is None


def candidates_frame():
    return pd.DataFrame(
        {
            "matched_quantity": [12.0, 3.0, 40.0, np.nan, 5.0],
            "unit_norm": ["t/yr", "t/yr", "MWh/yr", "t/yr", "m3/yr"],
            "distance_km": [7.5, 20.0, 1.0, 3.0, 2.0],
            "family": ["wood", "wood", "energy", "wood", "water"],
            "supply_resource": ["WOOD_CHIPS", "WOOD_BARK", "EN_HEAT_MT", "WOOD_BARK", "WAT"],
            "supply_resource_label": [None, None, "Chaleur fatale", None, "Eau"],
            "status": ["retained", "proposed", "retained", "retained", "rejected"],
        }
    )


def test_per_candidate_figures():
    factors = load_impact_factors()
    road = factors["road_freight_tkm"].value
    gas = factors["natural_gas_heat_kwh"].value
    out = add_impacts(candidates_frame(), factors)
    assert out["diverted_t"].tolist()[:3] == [12.0, 3.0, 0.0]
    assert out["transport_tkm"].tolist()[:3] == [12.0 * 7.5, 3.0 * 20.0, 0.0]
    np.testing.assert_allclose(out["co2_transport_kg"][:2], [90.0 * road, 60.0 * road])
    assert out.loc[2, "avoided_co2_kg"] == pytest.approx(40.0 * 1000 * gas)
    assert out.loc[0, "avoided_co2_kg"] == 0.0
    assert math.isnan(out.loc[3, "diverted_t"]) and math.isnan(out.loc[3, "co2_transport_kg"])
    assert out.loc[4, "diverted_t"] == 0.0 and out.loc[4, "avoided_co2_kg"] == 0.0


def test_totals_all_and_by_status():
    factors = load_impact_factors()
    road = factors["road_freight_tkm"].value
    gas = factors["natural_gas_heat_kwh"].value
    frame = candidates_frame()
    every = impact_totals(frame)
    assert every["n_candidates"] == 5
    assert every["diverted_t"] == pytest.approx(15.0)
    assert every["transport_tkm"] == pytest.approx(150.0)
    assert every["co2_transport_kg"] == pytest.approx(150.0 * road)
    assert every["net_avoided_co2_kg"] == pytest.approx(40_000 * gas - 150.0 * road)
    assert every["quantity_by_unit"] == {"t/yr": 15.0, "MWh/yr": 40.0, "m3/yr": 5.0}
    assert set(every["sources"]) == set(factors)
    kept = impact_totals(frame, statuses=["retained"])
    assert kept["n_candidates"] == 3
    assert kept["transport_tkm"] == pytest.approx(90.0)
    assert kept["quantity_by_unit"] == {"t/yr": 12.0, "MWh/yr": 40.0}
    assert impact_totals(frame, statuses="rejected")["diverted_t"] == 0.0


def test_find_candidates_fills_the_impacts():
    factors = load_impact_factors()
    s = gpd.GeoDataFrame(
        {
            "flow_id": ["S"],
            "actor_id": ["A"],
            "resource": ["R"],
            "quantity_norm": [8.0],
            "unit_norm": ["t/yr"],
        },
        geometry=[Point(X0, Y0)],
        crs=2154,
    )
    n = gpd.GeoDataFrame(
        {
            "flow_id": ["N"],
            "actor_id": ["B"],
            "resource": ["R"],
            "quantity_norm": [20.0],
            "unit_norm": ["t/yr"],
        },
        geometry=[Point(X0 + 3_000, Y0 + 4_000)],
        crs=2154,
    )
    row = find_candidates(s, n, max_distance_km=10).candidates.iloc[0]
    assert row["diverted_t"] == 8.0
    assert row["transport_tkm"] == pytest.approx(8.0 * 5.0)
    assert row["co2_transport_kg"] == pytest.approx(40.0 * factors["road_freight_tkm"].value)


def test_broken_factor_file_raises(tmp_path):
    bad = tmp_path / "f.csv"
    bad.write_text("code,value,unit,label_fr,label_en,source\nroad_freight_tkm,abc,u,a,b,c\n")
    with pytest.raises(EitError) as err:
        load_impact_factors(bad)
    assert err.value.code == "invalid_number" and err.value.data["row"] == 2
    missing = tmp_path / "g.csv"
    missing.write_text("code,value,unit,label_fr,label_en,source\nroad_freight_tkm,1,u,a,b,c\n")
    with pytest.raises(EitError) as err:
        load_impact_factors(missing)
    assert err.value.code == "missing_impact_factor"
