"""Optimal allocation: known optimum, LP constraints, and an independent min-cost-flow check."""

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.synergy import allocate, allocate_arrays, find_candidates
from shapely.geometry import Point

X0, Y0 = 780_000.0, 6_680_000.0


def layer(rows, unit="t/yr"):
    table = pd.DataFrame(rows)
    geom = [Point(x, y) for x, y in zip(table.pop("x"), table.pop("y"), strict=True)]
    table["resource"] = table.get("resource", "R")
    table["unit_norm"] = table.get("unit_norm", pd.Series(unit, index=table.index)).fillna(unit)
    return gpd.GeoDataFrame(table, geometry=geom, crs="EPSG:2154")


def competing():
    s = layer([dict(flow_id="S", actor_id="A", quantity_norm=10.0, x=X0, y=Y0)])
    n = layer(
        [
            dict(flow_id="NEAR", actor_id="B", quantity_norm=6.0, x=X0 + 2_000, y=Y0),
            dict(flow_id="FAR", actor_id="C", quantity_norm=6.0, x=X0 + 8_000, y=Y0),
            dict(flow_id="FARTHEST", actor_id="D", quantity_norm=6.0, x=X0 + 9_000, y=Y0),
            dict(flow_id="UNKNOWN", actor_id="E", x=X0 + 1_000, y=Y0),
        ]
    )
    return s, n


def test_two_needs_compete_for_one_supply_nearest_served_first():
    s, n = competing()
    res = find_candidates(s, n, max_distance_km=10, allocate=True)
    got = res.candidates.set_index("need_flow")
    assert got.loc["NEAR", "matched_quantity"] == pytest.approx(6.0)
    assert got.loc["FAR", "matched_quantity"] == pytest.approx(4.0)
    assert got.loc["FARTHEST", "matched_quantity"] == 0.0  # kept, with a note
    assert "non alloué" in got.loc["FARTHEST", "notes"]
    assert math.isnan(got.loc["UNKNOWN", "matched_quantity"])
    assert "hors allocation" in got.loc["UNKNOWN", "notes"]
    # supply conserved: everything it had goes out, nothing more
    assert got["matched_quantity"].sum() == pytest.approx(10.0)
    assert got.loc["FAR", "coverage"] == pytest.approx(4 / 6)
    assert got.loc["FAR", "potential_quantity"] == pytest.approx(6.0)
    totals = res.allocation_totals["t/yr"]
    assert totals["quantity"] == pytest.approx(10.0)
    assert totals["quantity_km"] == pytest.approx(6 * 2 + 4 * 8)
    assert got.loc["FAR", "transport_tkm"] == pytest.approx(32.0)
    assert any("10 t/yr exchanged" in line and "44 t.km" in line for line in res.log)
    # the unallocated candidate now scores below the served ones
    assert got.loc["FARTHEST", "score"] < got.loc["FAR", "score"]


def test_allocate_on_a_frame_matches_allocate_in_find_candidates():
    s, n = competing()
    plain = find_candidates(s, n, max_distance_km=10).candidates
    assert plain["matched_quantity"].sum() == pytest.approx(18.0)  # potentials overlap
    redone = allocate(plain)
    direct = find_candidates(s, n, max_distance_km=10, allocate=True).candidates
    a = redone.candidates.set_index("candidate_id").sort_index()
    b = direct.set_index("candidate_id").sort_index()
    pd.testing.assert_series_equal(a["matched_quantity"], b["matched_quantity"])
    pd.testing.assert_series_equal(a["score"], b["score"])
    pd.testing.assert_series_equal(a["co2_transport_kg"], b["co2_transport_kg"])
    assert (a["notes"] == b["notes"]).all()


def test_several_supplies_share_a_need_and_units_stay_apart():
    s = layer(
        [
            dict(flow_id="S1", actor_id="A", quantity_norm=5.0, x=X0, y=Y0),
            dict(flow_id="S2", actor_id="B", quantity_norm=5.0, x=X0 + 6_000, y=Y0),
            dict(flow_id="H", actor_id="C", quantity_norm=50.0, unit_norm="MWh/yr", x=X0, y=Y0),
        ]
    )
    n = layer(
        [
            dict(flow_id="N", actor_id="D", quantity_norm=7.0, x=X0 + 1_000, y=Y0),
            dict(
                flow_id="NH", actor_id="E", quantity_norm=80.0, unit_norm="MWh/yr", x=X0, y=Y0 + 9
            ),
        ]
    )
    res = find_candidates(s, n, max_distance_km=10, allocate=True)
    got = res.candidates.set_index("candidate_id")
    assert got.loc["S1>N", "matched_quantity"] == pytest.approx(5.0)  # 1 km
    assert got.loc["S2>N", "matched_quantity"] == pytest.approx(2.0)  # 5 km, the rest
    assert got.loc["H>NH", "matched_quantity"] == pytest.approx(50.0)
    assert set(res.allocation_totals) == {"t/yr", "MWh/yr"}
    assert res.allocation_totals["MWh/yr"]["quantity"] == pytest.approx(50.0)
    # t and MWh are never allocated to each other
    assert "H>N" in got.index and math.isnan(got.loc["H>N", "matched_quantity"])


def random_instance(seed, n_sup=25, n_need=30, n_cand=220):
    rng = np.random.default_rng(seed)
    sk = rng.integers(0, n_sup, n_cand)
    nk = rng.integers(0, n_need, n_cand)
    pairs = pd.DataFrame({"s": sk, "n": nk}).drop_duplicates()
    sk, nk = pairs["s"].to_numpy(), pairs["n"].to_numpy()
    q_s = rng.integers(1, 40, n_sup).astype(float)
    q_n = rng.integers(1, 40, n_need).astype(float)
    factor = rng.choice([1.0, 0.5, 0.25], len(sk))
    cap = np.floor(np.minimum(q_s[sk] * factor, q_n[nk]))
    cost = rng.integers(1, 50, len(sk)).astype(float)
    return sk, nk, cap, q_s, q_n, cost


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lp_respects_constraints_and_matches_networkx_min_cost_flow(seed):
    sk, nk, cap, q_s, q_n, cost = random_instance(seed)
    res = allocate_arrays(sk, nk, cap, q_s[sk], q_n[nk], cost, np.full(len(sk), "t/yr"))
    x = res.x
    tol = 1e-6
    assert res.eligible.all()
    assert (x >= 0).all() and (x <= cap + tol).all()
    per_supply = np.bincount(sk, weights=x, minlength=len(q_s))
    per_need = np.bincount(nk, weights=x, minlength=len(q_n))
    assert (per_supply <= q_s + tol).all()
    assert (per_need <= q_n + tol).all()
    # independent optimum: networkx max-flow-min-cost on integer data
    g = nx.DiGraph()
    for k in range(len(sk)):
        g.add_edge(("s", sk[k]), ("n", nk[k]), capacity=int(cap[k]), weight=int(cost[k]))
    for i, q in enumerate(q_s):
        g.add_edge("source", ("s", i), capacity=int(q), weight=0)
    for j, q in enumerate(q_n):
        g.add_edge(("n", j), "sink", capacity=int(q), weight=0)
    flow = nx.max_flow_min_cost(g, "source", "sink")
    best_quantity = sum(flow["source"].values())
    best_cost = nx.cost_of_flow(g, flow)
    assert x.sum() == pytest.approx(best_quantity, abs=1e-6)
    assert float((x * cost).sum()) == pytest.approx(best_cost, rel=1e-7, abs=1e-6)


def test_allocation_of_ten_thousand_candidates_is_correct():
    sk, nk, cap, q_s, q_n, cost = random_instance(7, n_sup=2_000, n_need=2_500, n_cand=10_500)
    res = allocate_arrays(sk, nk, cap, q_s[sk], q_n[nk], cost, np.full(len(sk), "t/yr"))
    assert len(sk) > 10_000
    assert (np.bincount(sk, weights=res.x, minlength=len(q_s)) <= q_s + 1e-6).all()
    assert (np.bincount(nk, weights=res.x, minlength=len(q_n)) <= q_n + 1e-6).all()
    assert res.totals["t/yr"]["allocated"] > 0


def test_nothing_known_means_nothing_allocated():
    res = allocate_arrays(["a"], ["b"], [np.nan], [np.nan], [3.0], [1.0], [None])
    assert not res.eligible.any() and np.isnan(res.x).all()
    assert "no candidate" in res.log[0]
