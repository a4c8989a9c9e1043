"""Road distances: a hand-made network with known answers, then the real Monaco roads."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.synergy import RoadGraph, find_candidates
from eit_synergies.core.synergy._common import metric_crs_of
from shapely.geometry import LineString, Point

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
X0, Y0 = 780_000.0, 6_680_000.0


def layer(rows, crs="EPSG:2154"):
    table = pd.DataFrame(rows)
    geom = [Point(x, y) for x, y in zip(table.pop("x"), table.pop("y"), strict=True)]
    table["resource"] = "R"
    return gpd.GeoDataFrame(table, geometry=geom, crs=crs)


def roads(lines, crs="EPSG:2154"):
    return gpd.GeoDataFrame({"name": range(len(lines))}, geometry=lines, crs=crs)


def l_shaped():
    """Two lines meeting at a shared vertex (X0+1000, Y0): an L of 2 km."""
    return roads(
        [
            LineString([(X0, Y0), (X0 + 500, Y0), (X0 + 1000, Y0)]),
            LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 1000)]),
        ]
    )


def test_road_distance_follows_the_lines():
    s = layer([dict(flow_id="S", actor_id="A", x=X0, y=Y0 - 30)])
    n = layer([dict(flow_id="N", actor_id="B", x=X0 + 1000 + 40, y=Y0 + 1000)])
    res = find_candidates(s, n, max_distance_km=3, network=l_shaped())
    row = res.candidates.iloc[0]
    assert row["distance_method"] == "network"
    assert row["snap_supply_m"] == pytest.approx(30)
    assert row["snap_need_m"] == pytest.approx(40)
    assert row["distance_km"] == pytest.approx((30 + 2000 + 40) / 1000)
    assert row["euclidean_km"] == pytest.approx(np.hypot(1040, 1030) / 1000)
    assert row["score_distance"] == pytest.approx(1 - 2.07 / 3)


def test_pair_farther_by_road_than_the_limit_is_dropped_and_counted():
    s = layer([dict(flow_id="S", actor_id="A", x=X0, y=Y0)])
    n = layer([dict(flow_id="N", actor_id="B", x=X0 + 1000, y=Y0 + 1000)])
    res = find_candidates(s, n, max_distance_km=1.5, network=l_shaped())  # 1.41 vs 2 km
    assert len(res.candidates) == 0
    assert res.stats["dropped_by_road"] == 1
    assert any("1 pair(s) dropped, farther by road" in line for line in res.log)


def test_unconnected_lines_and_far_points_keep_the_straight_line_with_a_note():
    crossing = roads(
        [
            LineString([(X0, Y0), (X0 + 2000, Y0)]),
            # crosses the first line at (X0+1000, Y0) without a shared vertex: a bridge
            LineString([(X0 + 1000, Y0 - 1000), (X0 + 1000, Y0 + 1000)]),
        ]
    )
    s = layer([dict(flow_id="S", actor_id="A", x=X0, y=Y0)])
    n = layer(
        [
            dict(flow_id="UP", actor_id="B", x=X0 + 1000, y=Y0 + 1000),
            dict(flow_id="FAR", actor_id="C", x=X0 + 2000, y=Y0 + 600),
            dict(flow_id="END", actor_id="D", x=X0 + 2000, y=Y0),
        ]
    )
    res = find_candidates(s, n, max_distance_km=5, network=crossing, snap_tolerance_m=500)
    got = res.candidates.set_index("need_flow")
    assert got.loc["UP", "distance_method"] == "euclidean"
    assert got.loc["UP", "distance_km"] == pytest.approx(np.hypot(1000, 1000) / 1000)
    assert "non reliées par le réseau" in got.loc["UP", "notes"]
    assert got.loc["FAR", "distance_method"] == "euclidean"
    assert got.loc["FAR", "snap_need_m"] == pytest.approx(600)
    assert "plus de 500 m du réseau" in got.loc["FAR", "notes"]
    assert got.loc["END", "distance_method"] == "network"
    assert got.loc["END", "distance_km"] == pytest.approx(2.0)


def test_lines_sharing_a_vertex_are_joined_there():
    graph = RoadGraph(
        roads(
            [
                LineString([(X0, Y0), (X0 + 1000, Y0), (X0 + 2000, Y0)]),
                LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 700)]),  # T junction
            ]
        ),
        metric_crs_of("EPSG:2154"),
    )
    assert graph.graph.number_of_nodes() == 4
    assert graph.graph.number_of_edges() == 3
    node, dist = graph.snap(np.array([X0 + 1000.0, X0]), np.array([Y0 + 700.0, Y0]))
    assert dist.tolist() == [0.0, 0.0]
    length = graph.path_lengths(node[:1], node[1:], np.array([10_000.0]))
    assert length[0] == pytest.approx(1700)
    assert graph.path_lengths(node[:1], node[1:], np.array([1_000.0]))[0] == np.inf


@pytest.fixture(scope="module")
def monaco():
    return gpd.read_file(DATA / "monaco_roads.gpkg", layer="roads")


def test_monaco_road_distances(monaco):
    assert monaco.crs.to_epsg() == 4326
    # a need placed exactly on a vertex of a primary road
    vertex = monaco[monaco["highway"] == "primary"].geometry.iloc[0].coords[0]
    s = layer(
        [
            dict(flow_id="S1", actor_id="A", x=7.4200, y=43.7310),
            dict(flow_id="S2", actor_id="B", x=7.4050, y=43.7370),
            dict(flow_id="SEA", actor_id="C", x=7.4400, y=43.7000),  # 3 km out at sea
        ],
        crs="EPSG:4326",
    )
    n = layer(
        [
            dict(flow_id="N1", actor_id="D", x=7.4300, y=43.7420),
            dict(flow_id="N2", actor_id="E", x=7.4150, y=43.7300),
            dict(flow_id="ONROAD", actor_id="F", x=vertex[0], y=vertex[1]),
        ],
        crs="EPSG:4326",
    )
    res = find_candidates(s, n, max_distance_km=10, network=monaco)
    c = res.candidates
    assert len(c) == 9
    road = c[c["distance_method"] == "network"]
    assert len(road) == 6
    assert (road["distance_km"] >= road["euclidean_km"]).all()
    assert (road["distance_km"] > road["euclidean_km"] * 1.05).any()  # roads wind
    assert road[["snap_supply_m", "snap_need_m"]].notna().all().all()
    assert (road[["snap_supply_m", "snap_need_m"]] < 500).all().all()
    assert (c.loc[c["need_flow"] == "ONROAD", "snap_need_m"] < 0.01).all()
    sea = c[c["supply_flow"] == "SEA"]
    assert (sea["distance_method"] == "euclidean").all()
    assert (sea["snap_supply_m"] > 500).all()
    assert (sea["distance_km"] == sea["euclidean_km"]).all()
    assert sea["notes"].str.contains("plus de 500 m du réseau").all()
    # the same network given in Lambert-93 gives the same road distances
    again = find_candidates(s, n, max_distance_km=10, network=monaco.to_crs(2154)).candidates
    np.testing.assert_allclose(
        again.set_index("candidate_id").loc[c["candidate_id"], "distance_km"],
        c["distance_km"],
        atol=1e-3,
    )


def test_road_limit_uses_the_road_distance(monaco):
    s = layer([dict(flow_id="S1", actor_id="A", x=7.4200, y=43.7310)], crs="EPSG:4326")
    n = layer([dict(flow_id="N1", actor_id="D", x=7.4300, y=43.7420)], crs="EPSG:4326")
    full = find_candidates(s, n, max_distance_km=10, network=monaco).candidates.iloc[0]
    between = (full["euclidean_km"] + full["distance_km"]) / 2
    res = find_candidates(s, n, max_distance_km=between, network=monaco)
    assert len(res.candidates) == 0 and res.stats["dropped_by_road"] == 1
    kept = find_candidates(s, n, max_distance_km=full["distance_km"] + 0.001, network=monaco)
    assert kept.candidates.iloc[0]["distance_km"] == pytest.approx(full["distance_km"])


def test_empty_network_keeps_straight_lines(monaco):
    s = layer([dict(flow_id="S1", actor_id="A", x=X0, y=Y0)])
    n = layer([dict(flow_id="N1", actor_id="D", x=X0 + 10, y=Y0)])
    res = find_candidates(s, n, max_distance_km=1, network=monaco.iloc[0:0])
    row = res.candidates.iloc[0]
    assert row["distance_method"] == "euclidean"
    assert "réseau routier vide" in row["notes"]
