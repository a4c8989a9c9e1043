"""On the demo territory, the reference case's synergy tracks come out on top.

The CC Loire, Nièvre et Bertranges case: green waste → composting and farms; biowaste,
food waste and glycerine → the farm digester project; waste heat of two plants → a heating
network and the digester's preheating; a shared shredder, shared waste collection and shared
purchases as mutualisation groups. "On top" is read the way a facilitator reads the list:
for each supply flow of a track, a receiver of the track is among its best outlets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eit_synergies.core.pipeline import PipelineOptions, run_pipeline

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def demo():
    """The demo through the main job, allocation off: the raw ranking a facilitator reads."""
    result = run_pipeline(
        DEMO / "actors.csv", DEMO / "flows.csv", options=PipelineOptions(allocate=False)
    )
    assert result.counts["unplaced"] == 0  # every flow placed (coordinates or commune)
    actors = result.actors
    categories = dict(zip(actors["actor_id"], actors["category"], strict=True))
    return result.candidates, result.groups, categories


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
