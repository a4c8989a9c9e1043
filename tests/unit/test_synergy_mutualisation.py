"""Mutualisation groups: complete linkage, minimum size, providers."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import EitError
from eit_synergies.core.synergy import find_mutualisation_groups
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist, squareform
from shapely.geometry import Point

X0, Y0 = 780_000.0, 6_680_000.0


def needs(rows, crs="EPSG:2154"):
    table = pd.DataFrame(rows)
    geom = [Point(x, y) for x, y in zip(table.pop("x"), table.pop("y"), strict=True)]
    if "synergy_type" not in table.columns:
        table["synergy_type"] = "mutualisation"
    table["synergy_type"] = table["synergy_type"].fillna("mutualisation")
    if "flow_id" not in table.columns:
        table["flow_id"] = [f"F{k}" for k in range(len(table))]
    return gpd.GeoDataFrame(table, geometry=geom, crs=crs)


def row_of_three():
    return needs(
        [
            dict(actor_id="A", actor_name="Ateliers", resource="EQ_FORKLIFT", x=X0, y=Y0),
            dict(actor_id="B", actor_name="Boulangerie", resource="EQ_FORKLIFT", x=X0 + 8e3, y=Y0),
            dict(actor_id="C", actor_name="Carrière", resource="EQ_FORKLIFT", x=X0 + 16e3, y=Y0),
        ]
    )


def test_complete_linkage_never_chains_far_apart_actors():
    layer = row_of_three()
    # chaining would join them: every neighbour pair is within 10 km
    d = squareform(pdist(np.column_stack([layer.geometry.x, layer.geometry.y])))
    assert connected_components(d <= 10_000)[0] == 1
    groups = find_mutualisation_groups(layer, max_distance_km=10)
    assert len(groups) == 1
    g = groups.iloc[0]
    assert g["n_actors"] == 2
    assert g["members"] in ("A,B", "B,C")
    assert g["max_pair_km"] == pytest.approx(8.0)
    assert g["status"] == "proposed"
    # with 20 km, all three are within reach of each other
    wide = find_mutualisation_groups(layer, max_distance_km=20)
    assert wide.iloc[0]["n_actors"] == 3 and wide.iloc[0]["max_pair_km"] == pytest.approx(16)


def test_min_actors_and_a_compact_cluster():
    square = [(0, 0), (5e3, 0), (0, 5e3), (5e3, 5e3)]
    rows = [
        dict(
            actor_id=f"A{k}",
            resource="SRV_CATERING",
            quantity_norm=10.0,
            unit_norm="unit/yr",
            x=X0 + dx,
            y=Y0 + dy,
        )
        for k, (dx, dy) in enumerate(square)
    ]
    rows.append(dict(actor_id="LONE", resource="SRV_CATERING", x=X0 + 60e3, y=Y0))
    layer = needs(rows)
    groups = find_mutualisation_groups(layer, max_distance_km=10, min_actors=4)
    assert len(groups) == 1
    g = groups.iloc[0]
    assert g["members"] == "A0,A1,A2,A3" and g["n_actors"] == 4
    assert g["combined_quantity"] == 40.0 and g["unit_norm"] == "unit/yr"
    assert g["max_pair_km"] == pytest.approx(np.hypot(5, 5))
    assert len(find_mutualisation_groups(layer, max_distance_km=10, min_actors=5)) == 0
    # the polygon covers every member, in the metric CRS
    assert groups.crs.to_epsg() == 2154
    assert all(groups.geometry.iloc[0].contains(p) for p in layer.geometry.iloc[:4])
    assert any("left without a group" in line for line in groups.attrs["log"])


def test_providers_within_the_distance_of_the_centroid_are_attached():
    layer = row_of_three().iloc[:2]
    supply = gpd.GeoDataFrame(
        {
            "flow_id": ["P1", "P2", "P3"],
            "actor_id": ["LOUEUR", "LOIN", "AUTRE"],
            "actor_name": ["Loueur", "Loin", "Autre"],
            "resource": ["EQ_FORKLIFT", "EQ_FORKLIFT", "EQ_SHREDDER"],
        },
        geometry=[Point(X0 + 4e3, Y0 + 3e3), Point(X0 + 4e3, Y0 + 30e3), Point(X0, Y0)],
        crs=2154,
    )
    g = find_mutualisation_groups(layer, supply, max_distance_km=10).iloc[0]
    assert g["providers"] == "LOUEUR"
    assert g["provider_names"] == "Loueur"
    assert "1 fournisseur" in g["notes"]


def test_groups_are_per_resource_and_ids_stable():
    rows = [
        dict(actor_id="A", resource="EQ_FORKLIFT", x=X0, y=Y0),
        dict(actor_id="B", resource="EQ_FORKLIFT", x=X0 + 1e3, y=Y0),
        dict(actor_id="A", resource="SRV_IT", x=X0, y=Y0),
        dict(actor_id="B", resource="SRV_IT", x=X0 + 1e3, y=Y0),
        dict(actor_id="A", resource="SRV_IT", x=X0, y=Y0),  # same actor twice: one member
        dict(actor_id="C", resource="WOOD", synergy_type="substitution", x=X0, y=Y0),
        dict(actor_id="D", resource="WOOD", synergy_type="substitution", x=X0, y=Y0),
        dict(actor_id="E", resource="SRV_IT", confidential=True, x=X0 + 2e3, y=Y0),
    ]
    layer = needs(rows)
    groups = find_mutualisation_groups(layer, max_distance_km=5)
    assert sorted(groups["resource"]) == ["EQ_FORKLIFT", "SRV_IT"]  # substitution ignored
    it = groups.set_index("resource").loc["SRV_IT"]
    assert it["members"] == "A,B,E" and it["n_actors"] == 3
    assert it["need_flows"] == "F2,F3,F4,F7"
    assert bool(it["confidential"]) is True
    assert not bool(groups.set_index("resource").loc["EQ_FORKLIFT", "confidential"])
    shuffled = find_mutualisation_groups(layer.iloc[::-1], max_distance_km=5)
    assert sorted(shuffled["group_id"]) == sorted(groups["group_id"])
    assert groups["group_id"].is_unique


def test_geographic_input_and_per_resource_default_distance():
    layer = row_of_three().to_crs(4326)
    groups = find_mutualisation_groups(
        layer, max_distance_km=0, default_distances={"EQ_FORKLIFT": 20}
    )
    assert groups.iloc[0]["n_actors"] == 3
    assert groups.iloc[0]["max_pair_km"] == pytest.approx(16, abs=1e-6)


def test_empty_and_bad_inputs():
    empty = find_mutualisation_groups(row_of_three().iloc[0:0], max_distance_km=10)
    assert len(empty) == 0 and "group_id" in empty.columns
    for kwargs, code in (
        (dict(max_distance_km=-1), "invalid_distance"),
        (dict(min_actors=1), "invalid_min_actors"),
    ):
        with pytest.raises(EitError) as err:
            find_mutualisation_groups(row_of_three(), **kwargs)
        assert err.value.code == code
