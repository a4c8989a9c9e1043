"""Origins and destinations of flows, what synergies save against today, the metabolism."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.metabolism import loop_rate_figures, sankey_svg, territory_metabolism
from eit_synergies.core.pipeline import PipelineOptions, run_pipeline
from eit_synergies.core.synergy.impacts import avoided_totals, load_impact_factors
from shapely.geometry import box

# a rectangle territory (3.04 .. 3.2, 47.0 .. 47.16) in WGS84
TERRITORY = gpd.GeoDataFrame(
    {"code_insee": ["99999"]}, geometry=[box(3.04, 47.0, 3.2, 47.16)], crs="EPSG:4326"
)
ACTORS = pd.DataFrame(
    {
        "id": ["A", "B", "C", "S"],
        "nom": ["Alpha", "Beta", "Gamma Secret SARL", "Sigma"],
        "longitude": [3.05, 3.10, 3.15, 3.12],
        "latitude": [47.10, 47.10, 47.10, 47.05],
        "confidentiel": ["non", "non", "oui", "non"],
    }
)
FACILITIES = pd.DataFrame(
    {"nom": ["Centre de tri du Nord"], "longitude": [3.08], "latitude": [47.15]}
)

TEXTS = {
    "title_before": "Today",
    "title_after": "After",
    "outside_in": "From outside",
    "inside_in": "From inside",
    "unknown_in": "Origin unknown",
    "inside_out": "Used inside",
    "outside_out": "Leaving",
    "unknown_out": "Destination unknown",
    "loop_rate": "Local loop rate: {rate}",
    "empty": "No flow",
}


def _flows(rows):
    columns = ["acteur", "sens", "ressource", "quantite", "unite", "destination", "provenance"]
    columns += ["distance_actuelle_km"]
    return pd.DataFrame(rows, columns=columns)


def _run(flows, **kwargs):
    options = PipelineOptions(facilities=FACILITIES, **kwargs)
    return run_pipeline(ACTORS, flows, options=options, territory=TERRITORY)


def test_places_are_found_in_every_form_and_the_flow_still_counts():
    flows = _flows(
        [
            ["A", "gisement", "WOOD_PALLETS", 10, "t/an", "B", "", ""],  # actor id
            ["A", "gisement", "WOOD_PALLETS", 11, "t/an", "58059", "", ""],  # INSEE code
            ["A", "gisement", "WOOD_PALLETS", 12, "t/an", "Raveau", "", ""],  # commune name
            ["A", "gisement", "WOOD_PALLETS", 13, "t/an", "3.5 47.5", "", ""],  # lon lat
            ["A", "gisement", "WOOD_PALLETS", 14, "t/an", "centre de tri du nord", "", ""],
            ["A", "gisement", "WOOD_PALLETS", 15, "t/an", "Nulle Part Du Tout", "", ""],
            ["A", "gisement", "WOOD_PALLETS", 16, "t/an", "", "", "42,5"],  # distance only
            ["A", "gisement", "WOOD_PALLETS", 17, "t/an", "", "B", ""],  # origin on a supply
            ["B", "besoin", "WOOD_PALLETS", 18, "t/an", "", "3.5 47.5", "-3"],
        ]
    )
    result = _run(flows)
    assert result.counts["rows_used"] == 9 and result.counts["rows_rejected"] == 0
    supply = result.supply.set_index("quantity")
    # actor B is 0.05° of longitude east of A at 47.1°N: about 3.8 km
    assert supply.loc[10, "current_distance_km"] == pytest.approx(3.79, abs=0.1)
    assert supply.loc[10, "current_distance_method"] == "euclidean"
    assert not supply.loc[10, "current_outside"]
    assert supply.loc[11, "current_outside"]  # La Charité-sur-Loire lies outside the square
    assert supply.loc[12, "current_outside"]
    assert supply.loc[13, "current_outside"]
    assert supply.loc[13, "current_distance_km"] > 50
    assert not supply.loc[14, "current_outside"]  # the facility lies inside
    assert supply.loc[14, "current_lat"] == pytest.approx(47.15)
    assert math.isnan(supply.loc[15, "current_distance_km"])
    assert pd.isna(supply.loc[15, "current_outside"])
    assert supply.loc[16, "current_distance_km"] == 42.5
    assert supply.loc[16, "current_distance_method"] == "given"
    assert pd.isna(supply.loc[16, "current_outside"])
    assert math.isnan(supply.loc[17, "current_distance_km"])
    need = result.need.iloc[0]
    assert need["current_outside"] and need["current_distance_method"] == "euclidean"
    # the unusable values are reported with their row, field and value; the rows are kept
    reported = result.rejected[result.rejected["row_kept"].eq(True)]
    found = {(r.row, r.field, r.value, r.reason_code) for r in reported.itertuples()}
    assert found == {
        (7, "destination", "Nulle Part Du Tout", "unknown_place"),
        (9, "provenance", "B", "place_wrong_side"),
        (10, "distance_actuelle_km", "-3", "bad_distance"),
    }
    assert any("not usable" in line for line in result.log)


def test_avoided_transport_on_a_constructed_case():
    # A's 100 t go today to a site 50 km away (given); B's need is 40 t, its supplier is
    # not stated; C's need of 30 t comes today from 2 km.
    flows = _flows(
        [
            ["A", "gisement", "WOOD_PALLETS", 100, "t/an", "", "", "50"],
            ["B", "besoin", "WOOD_PALLETS", 40, "t/an", "", "", ""],
            ["S", "besoin", "WOOD_PALLETS", 30, "t/an", "", "", "2"],
        ]
    )
    result = _run(flows, max_distance_km=30)
    cands = result.candidates.set_index("receiver_id")
    factor = load_impact_factors()["road_freight_tkm"].value
    to_b, to_s = cands.loc["B"], cands.loc["S"]
    assert to_b["matched_quantity"] == pytest.approx(40)
    assert to_b["current_km"] == 50
    expected_b = 40 * (50 - to_b["distance_km"])
    assert to_b["tkm_avoided"] == pytest.approx(expected_b)
    assert to_b["co2_avoided_t"] == pytest.approx(expected_b * factor / 1000)
    # both current trips are replaced by the synergy's one trip
    assert to_s["current_km"] == 52
    assert to_s["tkm_avoided"] == pytest.approx(30 * (52 - to_s["distance_km"]))
    # farther than today: negative, shown
    flows.loc[0, "distance_actuelle_km"] = "1"
    flows.loc[2, "distance_actuelle_km"] = ""
    near = _run(flows, max_distance_km=30).candidates.set_index("receiver_id").loc["B"]
    assert near["tkm_avoided"] == pytest.approx(40 * (1 - near["distance_km"]))
    assert near["tkm_avoided"] < 0
    # totals by status
    marked = result.candidates.copy()
    marked["status"] = np.where(marked["receiver_id"] == "B", "retained", "to_explore")
    totals = avoided_totals(marked)
    assert totals["retained"]["tkm"] == pytest.approx(expected_b)
    assert totals["to_explore"]["n"] == 1
    assert totals["to_explore"]["co2_t"] == pytest.approx(to_s["co2_avoided_t"])


def _metabolism_case():
    flows = _flows(
        [
            ["A", "gisement", "WOOD_PALLETS", 100, "t/an", "3.5 47.5", "", ""],  # leaving
            ["A", "gisement", "ORG_GREEN_WASTE", 50, "t/an", "S", "", ""],  # used inside
            ["S", "gisement", "WOOD_PALLETS", 30, "t/an", "", "", ""],  # not stated
            ["B", "besoin", "WOOD_PALLETS", 40, "t/an", "", "3.5 47.5", ""],  # entering
            ["C", "gisement", "WOOD_PALLETS", 7777, "t/an", "3.6 47.6", "", ""],  # confidential
        ]
    )
    return _run(flows, max_distance_km=30)


def test_metabolism_before_and_after_retained_synergies():
    result = _metabolism_case()
    cands = result.candidates.copy()
    pick = (cands["supplier_id"] == "A") & (cands["receiver_id"] == "B")
    assert pick.sum() == 1
    cands.loc[pick, "status"] = "retained"
    cands.loc[pick, "matched_quantity"] = 40.0
    m = territory_metabolism(result.supply, result.need, cands)
    t = m["totals"]["t/yr"]
    total_supply = 100 + 50 + 30 + 7777
    assert t["supply"] == (total_supply, total_supply)
    assert t["leaving"] == (100 + 7777, 60 + 7777)
    assert t["used_inside"] == (50, 90)
    assert t["unknown_outputs"] == (30, 30)
    assert t["entering"] == (40, 0)
    assert t["inside_inputs"] == (0, 40)
    before, after = m["loop_rate"]["t/yr"]
    assert before == pytest.approx(50 / total_supply)
    assert after == pytest.approx(90 / total_supply)
    assert m["loop_rate"]["MWh/yr"] == (None, None)
    fam = m["outputs"].set_index(["family", "cls"])
    assert fam["after"].sum() == pytest.approx(total_supply)  # nothing created or lost
    figures = loop_rate_figures(m)
    assert figures["loop_rate_t"] == pytest.approx(before)
    assert figures["loop_rate_t_after"] == pytest.approx(after)


def test_public_diagram_masks_confidential_flows():
    result = _metabolism_case()
    public = territory_metabolism(result.supply, result.need, result.candidates, public=True)
    private = territory_metabolism(result.supply, result.need, result.candidates)
    assert public["masked_flows"] == 1 and private["masked_flows"] == 0
    assert public["totals"]["t/yr"]["leaving"][0] == 100
    assert private["totals"]["t/yr"]["leaving"][0] == 7877
    labels = {"WOOD": "Bois", "ORG": "Organique"}
    svg_public = sankey_svg(public, "t/yr", TEXTS, labels, number=lambda v: f"{v:.0f}")
    svg_private = sankey_svg(private, "t/yr", TEXTS, labels, number=lambda v: f"{v:.0f}")
    assert "7877" in svg_private and "7777" not in svg_public and "7877" not in svg_public
    assert "Gamma" not in svg_public and "Secret" not in svg_public
    assert svg_public.startswith("<svg") and "Local loop rate" in svg_public
    assert "100" in svg_public  # the public flows are drawn


def test_actors_sending_the_same_resource_to_the_same_far_place_share_a_collection():
    flows = _flows(
        [
            ["A", "gisement", "WOOD_PALLETS", 10, "t/an", "3.5 47.5", "", ""],
            ["B", "gisement", "WOOD_PALLETS", 20, "t/an", "3.5000 47.50001", "", ""],
            ["S", "gisement", "WOOD_PALLETS", 30, "t/an", "Nevers", "", ""],
            ["A", "gisement", "ORG_GREEN_WASTE", 5, "t/an", "3.5 47.5", "", ""],
            ["C", "gisement", "WOOD_PALLETS", 40, "t/an", "B", "", ""],  # inside, near: no
        ]
    )
    result = _run(flows, max_distance_km=10)
    shared = result.groups[result.groups["kind"] == "shared_collection"]
    assert len(shared) == 1
    group = shared.iloc[0]
    assert group["members"] == "A,B" and group["resource"] == "WOOD_PALLETS"
    assert group["combined_quantity"] == 30
    assert group["destination"] == "3.5 47.5"
    supply = result.supply.set_index("flow_id")
    flows_in = group["supply_flows"].split(",")
    expected_km = supply.loc[flows_in, "current_distance_km"].mean()
    assert group["destination_km"] == pytest.approx(expected_km)
    assert group["max_pair_km"] == pytest.approx(3.79, abs=0.1)
    # farther apart than the limit: no group
    far_apart = _run(flows, group_distance_km=2).groups
    assert not (far_apart["kind"] == "shared_collection").any()
