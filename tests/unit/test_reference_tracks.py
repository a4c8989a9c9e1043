"""On the demo territory, the reference case's synergy tracks come out on top.

The CC Loire, Nièvre et Bertranges case: green waste → composting and farms; biowaste,
food waste and glycerine → the farm digester project; waste heat of two plants → a heating
network and the digester's preheating; a shared shredder, shared waste collection and shared
purchases as mutualisation groups. "On top" is read the way a facilitator reads the list:
for each supply flow of a track, a receiver of the track is among its best outlets.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.flows import attach_geometry, build_flows, read_actors
from eit_synergies.core.geocode.pipeline import geocode_actors
from eit_synergies.core.synergy import find_candidates, find_mutualisation_groups

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def demo():
    catalogue = Catalogue.builtin()
    actors = read_actors(DEMO / "actors.csv")
    flows = build_flows(actors, DEMO / "flows.csv", catalogue)
    placed = geocode_actors(actors.frame, method=0)
    points = gpd.GeoDataFrame(
        placed, geometry=gpd.points_from_xy(placed["lon"], placed["lat"]), crs="EPSG:4326"
    )
    supply = attach_geometry(flows.supply, points)
    need = attach_geometry(flows.need, points)
    assert not supply.geometry.isna().any() and not need.geometry.isna().any()
    result = find_candidates(
        supply, need, catalogue.compatibility_frame, 0, catalogue.max_distance_km()
    )
    groups = find_mutualisation_groups(need, supply, 10, 2)
    categories = dict(zip(actors.frame["actor_id"], actors.frame["category"], strict=True))
    return result.candidates, groups, categories


def best_outlets(candidates, supply_resources, top):
    """supply flow -> the candidates within its ``top`` best outlets."""
    rows = candidates[candidates["supply_resource"].isin(supply_resources)]
    assert len(rows), f"no candidate for {supply_resources}"
    return {flow: group[group["supply_rank"] <= top] for flow, group in rows.groupby("supply_flow")}


def test_green_waste_goes_to_composting_and_farms(demo):
    candidates, _, categories = demo
    outlets = best_outlets(candidates, ["ORG_GREEN_WASTE"], top=2)
    assert len(outlets) >= 3
    farm_seen = False
    for flow, best in outlets.items():
        receivers = {categories[r] for r in best["receiver_id"]}
        needs = set(best["need_resource"])
        assert needs & {"ORG_GREEN_WASTE", "ORG_COMPOST", "ORG_SOIL_AMENDMENT"}, flow
        farm_seen |= "exploitation_agricole" in receivers
    assert farm_seen, "no green waste supply has a farm among its two best outlets"


def test_biowaste_food_waste_and_glycerine_go_to_the_digester(demo):
    candidates, _, _ = demo
    organic = ["ORG_BIOWASTE", "ORG_FOOD_WASTE", "ORG_GLYCERINE"]
    reach = candidates[
        candidates["supply_resource"].isin(organic)
        & (candidates["need_resource"] == "ORG_DIGESTER_FEEDSTOCK")
    ]
    # care homes, hospitals, canteens and the oil mill within the digester's supply radius
    assert reach["supplier_id"].nunique() >= 5
    assert "ORG_GLYCERINE" in set(reach["supply_resource"])
    outlets = best_outlets(candidates, organic, top=1)
    for flow in set(reach["supply_flow"]):
        assert "ORG_DIGESTER_FEEDSTOCK" in set(outlets[flow]["need_resource"]), flow


def test_waste_heat_goes_to_heating_network_and_digester_preheating(demo):
    candidates, _, categories = demo
    outlets = best_outlets(candidates, ["EN_HEAT_LT", "EN_HEAT_MT", "EN_HEAT_HT"], top=1)
    assert len(outlets) >= 2  # the two plants
    best = candidates[candidates["supply_flow"].isin(outlets) & (candidates["supply_rank"] == 1)]
    assert set(best["need_resource"]) == {"EN_HEAT_NEED"}
    receivers = {categories[r] for r in best["receiver_id"]}
    assert "collectivite" in receivers  # the municipal heating network
    assert "exploitation_agricole" in receivers  # the digester's preheating


def test_mutualisation_groups_of_the_reference_case(demo):
    _, groups, _ = demo
    resources = set(groups["resource"])
    assert "EQ_SHREDDER" in resources
    assert "SRV_WASTE_COLLECTION" in resources
    assert resources & {"PUR_ENERGY", "PUR_CONSUMABLES", "PUR_PACKAGING"}
    assert (groups["n_actors"] >= 3).any()
    shredder = groups[groups["resource"] == "EQ_SHREDDER"]
    assert (shredder["providers"].fillna("") != "").any(), "the CUMA's shredder is attached"
