"""Top-K per flow: the bounded search equals the brute-force top-K by score, ties included."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import Canceled, EitError
from eit_synergies.core.progress import RecordingProgress
from eit_synergies.core.synergy import (
    PlacedFlows,
    find_candidates,
    pair_parts,
    place_flows,
    search_inputs,
    topk,
)
from shapely.geometry import LineString, Point

X0, Y0 = 780_000.0, 6_680_000.0


def random_flows(rng, n, direction, prefix, resources, grid_m, extent_m, actors):
    """Flows on a coarse grid (many equal distances), few quantities and calendars (many
    equal scores), some of the same actors on both sides."""
    xs = X0 + rng.integers(0, extent_m // grid_m, n) * grid_m
    ys = Y0 + rng.integers(0, extent_m // grid_m, n) * grid_m
    quantity = rng.choice([np.nan, 1.0, 5.0, 10.0, 50.0], n)
    unit = rng.choice(["t/yr", "t/yr", "t/yr", "MWh/yr"], n)
    months = rng.choice(["", "1-6", "4-9", "x?", "11-2"], n)
    ids = [f"{prefix}{i:04d}" for i in rng.permutation(n)]  # ids in no particular order
    frame = pd.DataFrame(
        {
            "flow_id": ids,
            "actor_id": [f"A{a}" for a in rng.integers(0, actors, n)],
            "actor_name": None,
            "actor_category": None,
            "direction": direction,
            "resource": rng.choice(resources, n),
            "resource_label": None,
            "family": None,
            "synergy_type": "substitution",
            "quantity": quantity,
            "unit": unit,
            "quantity_norm": quantity,
            "unit_norm": unit,
            "months": months,
            "confidential": False,
        }
    )
    geometry = [Point(x, y) for x, y in zip(xs, ys, strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:2154")


COMPATIBILITY = pd.DataFrame(
    {
        "supply_resource": ["R1", "R2", "R3"],
        "need_resource": ["R2", "R3", "R1"],
        "factor": [0.8, 0.5, 0.3],
    }
)


def brute_top_k(frame: pd.DataFrame, k: int) -> set[str]:
    """Every pair's candidate kept when it is among the k first of its supply or of its
    need, in the order score (best first), distance, then the other flow's id."""
    kept = set()
    for key, other in (("supply_flow", "need_flow"), ("need_flow", "supply_flow")):
        ordered = frame.sort_values(
            [key, "score", "distance_km", other], ascending=[True, False, True, True]
        )
        kept |= set(ordered.groupby(key, sort=False).head(k)["candidate_id"])
    return kept


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("k", [1, 3, 10])
def test_top_k_is_the_brute_force_top_k_by_score_ties_included(seed, k):
    rng = np.random.default_rng(seed)
    resources = ["R1", "R2", "R3"]
    s = random_flows(rng, 300, "gisement", "S", resources, 500, 12_000, 120)
    n = random_flows(rng, 260, "besoin", "N", resources, 500, 12_000, 120)
    defaults = {"R1": 3.0, "R2": 6.0, "R3": 9.0}
    every = find_candidates(s, n, COMPATIBILITY, 0, defaults, top_k=0).candidates
    assert len(every) > 10 * len(s)  # the cut matters
    scores = every.groupby("supply_flow")["score"].apply(lambda v: v.duplicated().any())
    assert scores.any()  # ties on the score exist
    top = find_candidates(s, n, COMPATIBILITY, 0, defaults, top_k=k).candidates
    assert set(top["candidate_id"]) == brute_top_k(every, k)
    # the kept candidates are the same rows as in the full search
    cols = ["score", "distance_km", "coverage", "score_season", "notes", "supply_rank"]
    merged = top.merge(every, on="candidate_id", suffixes=("", "_all"))
    assert len(merged) == len(top)
    for col in cols[:5]:
        pd.testing.assert_series_equal(merged[col], merged[f"{col}_all"], check_names=False)
    # ranks are the places among the kept candidates of a flow; a supply has at most k
    # candidates of its own choice, every supply's rank 1 is its best overall
    assert top.groupby("supply_flow")["supply_rank"].min().eq(1).all()
    best_all = every.groupby("supply_flow")["score"].max()
    best_top = top.groupby("supply_flow")["score"].max()
    pd.testing.assert_series_equal(best_top, best_all.loc[best_top.index])
    assert set(best_all.index) == set(best_top.index)  # every supply with a candidate keeps one
    assert len(top) <= k * (len(s) + len(n))


def test_top_k_is_the_same_whatever_the_input_order():
    rng = np.random.default_rng(7)
    s = random_flows(rng, 200, "gisement", "S", ["R1", "R2"], 1000, 10_000, 50)
    n = random_flows(rng, 200, "besoin", "N", ["R1", "R2"], 1000, 10_000, 50)
    a = find_candidates(s, n, COMPATIBILITY, 4, top_k=2).candidates
    b = find_candidates(
        s.sample(frac=1, random_state=3), n.sample(frac=1, random_state=4), COMPATIBILITY, 4,
        top_k=2,
    ).candidates  # fmt: skip
    assert set(a["candidate_id"]) == set(b["candidate_id"])


def test_a_far_better_fit_beats_a_nearer_pair():
    """The score, not the distance, decides: thirty near needs in another unit and another
    season, a farther one that takes the supply in its months: it is the supply's best."""
    s = random_flows(np.random.default_rng(0), 1, "gisement", "S", ["R1"], 1, 1, 1)
    s.loc[0, ["quantity_norm", "unit_norm", "months"]] = [100.0, "t/yr", "1-6"]
    s.loc[0, "geometry"] = Point(X0, Y0)
    rows = []
    for i in range(30):
        rows.append((f"N{i:02d}", 500.0 + 10 * i, "MWh/yr", "7-10"))
    rows.append(("FAR", 3_000.0, "t/yr", ""))
    n = random_flows(np.random.default_rng(1), len(rows), "besoin", "N", ["R1"], 1, 1, 1)
    n["flow_id"] = [r[0] for r in rows]
    n["actor_id"] = [f"B{i}" for i in range(len(rows))]
    n["resource"] = "R1"
    n["quantity_norm"] = 100.0
    n["unit_norm"] = [r[2] for r in rows]
    n["months"] = [r[3] for r in rows]
    n["geometry"] = [Point(X0 + r[1], Y0) for r in rows]
    got = find_candidates(s, n, None, 5, top_k=1).candidates
    mine = got[got["supply_flow"] == s.loc[0, "flow_id"]]
    assert mine.sort_values("supply_rank")["need_flow"].iloc[0] == "FAR"


def test_top_k_with_a_road_network_ranks_by_road():
    rng = np.random.default_rng(5)
    s = random_flows(rng, 40, "gisement", "S", ["R1"], 200, 3_000, 40)
    n = random_flows(rng, 40, "besoin", "N", ["R1"], 200, 3_000, 40)
    grid = []
    for i in range(0, 3_001, 200):
        grid.append(LineString([(X0 + i, Y0), (X0 + i, Y0 + 3_000)]))
        grid.append(LineString([(X0, Y0 + i), (X0 + 3_000, Y0 + i)]))
    roads = gpd.GeoDataFrame(geometry=grid, crs="EPSG:2154")
    every = find_candidates(s, n, None, 2.5, network=roads, top_k=0).candidates
    top = find_candidates(s, n, None, 2.5, network=roads, top_k=2).candidates
    assert (top["distance_method"] == "network").any()
    assert set(top["candidate_id"]) == brute_top_k(every, 2)


def test_top_k_allocates_what_is_kept():
    rng = np.random.default_rng(11)
    s = random_flows(rng, 80, "gisement", "S", ["R1"], 500, 5_000, 60)
    n = random_flows(rng, 80, "besoin", "N", ["R1"], 500, 5_000, 60)
    res = find_candidates(s, n, None, 5, allocate=True, top_k=2)
    top = res.candidates
    plain = find_candidates(s, n, None, 5, allocate=False, top_k=2).candidates
    assert set(top["candidate_id"]) == set(plain["candidate_id"])
    # what a supply gives away never exceeds what it has
    given = top.groupby("supply_flow")["matched_quantity"].sum()
    has = top.groupby("supply_flow")["supply_quantity"].first()
    assert (given <= has.loc[given.index].fillna(np.inf) + 1e-6).all()


def test_top_k_bounds_the_count_and_skips_the_cap():
    rng = np.random.default_rng(3)
    s = random_flows(rng, 200, "gisement", "S", ["R1"], 100, 2_000, 150)
    n = random_flows(rng, 200, "besoin", "N", ["R1"], 100, 2_000, 150)
    with pytest.raises(EitError) as err:
        find_candidates(s, n, None, 5, max_candidates=1000)
    assert err.value.code == "too_many_candidates"
    top = find_candidates(s, n, None, 5, max_candidates=1000, top_k=2).candidates
    assert 0 < len(top) <= 2 * 400
    with pytest.raises(EitError) as err:
        find_candidates(s, n, None, 5, top_k=-1)
    assert err.value.code == "invalid_top_k"


def test_top_k_progress_and_cancel():
    rng = np.random.default_rng(9)
    s = random_flows(rng, 50, "gisement", "S", ["R1", "R2", "R3"], 500, 5_000, 40)
    n = random_flows(rng, 50, "besoin", "N", ["R1", "R2", "R3"], 500, 5_000, 40)
    progress = RecordingProgress()
    find_candidates(s, n, COMPATIBILITY, 5, progress=progress, top_k=3)
    assert progress.fractions[-1] == 1.0
    assert progress.fractions == sorted(progress.fractions)
    assert any("best of each supply" in m for m in progress.messages)
    for after in (1, 3, 6):  # inside the top-K search, at each resource pair
        with pytest.raises(Canceled):
            find_candidates(s, n, COMPATIBILITY, 5, progress=RecordingProgress(after), top_k=3)


# ------------------------------------------- flows placed once, searched at several distances


def flows(seed=11):
    rng = np.random.default_rng(seed)
    s = random_flows(rng, 150, "gisement", "S", ["R1", "R2", "R3"], 500, 12_000, 60)
    n = random_flows(rng, 140, "besoin", "N", ["R1", "R2", "R3"], 500, 12_000, 60)
    return s, n


@pytest.mark.parametrize("km", [2, 5, 9])
@pytest.mark.parametrize("top_k", [0, 3])
def test_placed_flows_give_the_same_candidates_and_log(km, top_k):
    s, n = flows()
    s_geo = s.to_crs("EPSG:4326")  # placing reprojects: its log line must come again
    expected = find_candidates(s_geo, n, COMPATIBILITY, km, top_k=top_k)
    log_direct = list(expected.log)
    placed_s, placed_n = place_flows(s_geo, "supply"), place_flows(n, "need")
    assert isinstance(placed_s, PlacedFlows)
    for _ in range(2):  # the same placed flows, searched twice
        again = find_candidates(placed_s, placed_n, COMPATIBILITY, km, top_k=top_k)
        pd.testing.assert_frame_equal(
            pd.DataFrame(again.candidates.drop(columns="geometry")),
            pd.DataFrame(expected.candidates.drop(columns="geometry")),
        )
        assert again.candidates.geometry.geom_equals_exact(expected.candidates.geometry, 1e-6).all()
        assert again.log == log_direct
        assert any("reprojected" in line for line in again.log)
    # placing never changed what it keeps
    assert len(placed_s.frame) == len(s)


def test_placed_flows_keep_their_unplaced_rows():
    s, n = flows(12)
    s.loc[s.index[:3], "geometry"] = None
    expected = find_candidates(s, n, COMPATIBILITY, 5)
    again = find_candidates(place_flows(s, "supply"), place_flows(n, "need"), COMPATIBILITY, 5)
    assert len(expected.unplaced) == len(again.unplaced) == 3
    pd.testing.assert_frame_equal(expected.unplaced, again.unplaced)


def test_placed_flows_must_be_given_for_their_side_and_crs():
    s, n = flows()
    with pytest.raises(ValueError, match="placed as need"):
        find_candidates(place_flows(n, "need"), n, COMPATIBILITY, 5)
    with pytest.raises(ValueError, match="EPSG:3857"):
        find_candidates(place_flows(s, "supply", "EPSG:3857"), n, COMPATIBILITY, 5)


def test_placing_checks_like_the_search():
    s, _ = flows()
    s.loc[s.index[1], "flow_id"] = s["flow_id"].iloc[0]
    with pytest.raises(EitError) as error:
        place_flows(s, "supply")
    assert error.value.code == "duplicate_flow_id"


# ------------------------------------------------ the k first of each group, ties included


def lexsorted_first_k(group, score, d_m, rank, k):
    """The k first rows of each group by one full sort (score best first, distance, rank)."""
    order = np.lexsort((rank, d_m, -score, group))
    keep = np.zeros(len(group), dtype=bool)
    seen: dict[int, int] = {}
    for row in order:
        seen[group[row]] = seen.get(group[row], 0) + 1
        keep[row] = seen[group[row]] <= k
    return keep


def tied_rows(rng, n, groups, steps=True):
    """Few scores, few distances (many rows equal on both), distinct ranks in a group."""
    group = rng.integers(0, groups, n)
    score = rng.integers(0, 6, n) / 8 if steps else rng.integers(0, 6, n) / 7
    d_m = rng.integers(0, 4, n) * 250.0
    rank = rng.permutation(n)
    return group, score, d_m, rank


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 5])
@pytest.mark.parametrize("steps", [True, False])
def test_best_of_groups_equals_one_full_sort(seed, k, steps):
    from eit_synergies.core.synergy.topk import best_of_groups

    rng = np.random.default_rng(seed)
    group, score, d_m, rank = tied_rows(rng, 3000, 150, steps)
    expected = lexsorted_first_k(group, score, d_m, rank, k)
    assert 0 < expected.sum() < len(group)
    np.testing.assert_array_equal(best_of_groups(group, score, d_m, rank, k), expected)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 8, 12])
def test_best_in_rows_equals_one_full_sort(seed, k):
    from eit_synergies.core.synergy.topk import best_in_rows

    rng = np.random.default_rng(seed)
    n, cols = 400, 10
    _, score, d_m, rank = tied_rows(rng, n * cols, 1)
    score, d_m, rank = score.reshape(n, cols), d_m.reshape(n, cols), rank.reshape(n, cols)
    ok = rng.random((n, cols)) < 0.8
    ok[:40] = rng.random((40, cols)) < 0.2  # rows with fewer than k columns
    taken, kth = best_in_rows(np.where(ok, score, -np.inf), d_m, rank, ok, k)
    group = np.broadcast_to(np.arange(n)[:, None], (n, cols))[ok]
    expected = np.zeros((n, cols), dtype=bool)
    expected[ok] = lexsorted_first_k(group, score[ok], d_m[ok], rank[ok], k)
    np.testing.assert_array_equal(taken, expected)
    counts = ok.sum(axis=1)
    lowest = np.where(expected, score, np.inf).min(axis=1)
    np.testing.assert_array_equal(kth, np.where(counts >= k, lowest, -np.inf))


# -------------------------------- a flow in several resource pairs, each its own limit and factor

WIDE_COMPATIBILITY = pd.DataFrame(
    {
        "supply_resource": ["R1", "R1", "R1", "R2", "R2", "R3", "R4", "R5", "R5"],
        "need_resource": ["R2", "R3", "R4", "R3", "R5", "R1", "R1", "R1", "R4"],
        "factor": [0.8, 0.5, 0.9, 0.3, 1.0, 0.6, 0.4, 0.7, 0.2],
    }
)


@pytest.mark.parametrize("seed", [5, 6, 7])
@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("chunk", [None, 40])
def test_top_k_over_several_pairs_of_each_resource(monkeypatch, seed, k, chunk):
    """Each resource in up to five compatible pairs, the limits of the supply resource, of
    the need resource or the fallback, dense places (scans) and sparse ones, actors on both
    sides; a tiny chunk forces the scan of the undecided flows to go piece by piece."""
    from eit_synergies.core.synergy import topk

    if chunk is not None:
        monkeypatch.setattr(topk, "CHUNK_PAIRS", chunk)
    rng = np.random.default_rng(seed)
    resources = ["R1", "R2", "R3", "R4", "R5"]
    s = random_flows(rng, 260, "gisement", "S", resources, 250, 8_000, 70)
    n = random_flows(rng, 240, "besoin", "N", resources, 250, 8_000, 70)
    dense = rng.random(len(s)) < 0.3  # a crowded corner: many flows at equal distances
    s.loc[dense, "geometry"] = [Point(X0 + 50 * (i % 3), Y0) for i in range(int(dense.sum()))]
    defaults = {"R1": 2.0, "R3": 5.0, "R5": 0.7}  # R2, R4: the need's default or 3 km
    every = find_candidates(
        s, n, WIDE_COMPATIBILITY, 0, defaults, top_k=0, fallback_distance_km=3.0
    ).candidates
    assert every["max_distance_km"].nunique() >= 3
    assert (every.groupby("supply_flow")["need_resource"].nunique() > 1).any()
    top = find_candidates(
        s, n, WIDE_COMPATIBILITY, 0, defaults, top_k=k, fallback_distance_km=3.0
    ).candidates
    assert set(top["candidate_id"]) == brute_top_k(every, k)
    # no pair of one actor, none twice
    assert not (top["supplier_id"] == top["receiver_id"]).any()
    assert top["candidate_id"].is_unique


def test_searches_over_the_same_flows_reuse_their_neighbours_and_find_the_same():
    """The dock searches the same flows, placed once, at each distance: the nearest flows
    kept from one search serve the next one, which finds what a first search would; flows
    moved, of another resource or actor are searched afresh."""
    from eit_synergies.core.synergy import topk

    rng = np.random.default_rng(21)
    resources = ["R1", "R2", "R3", "R4", "R5"]
    s = random_flows(rng, 200, "gisement", "S", resources, 250, 8_000, 60)
    n = random_flows(rng, 220, "besoin", "N", resources, 250, 8_000, 60)
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")

    def search(supply, need, km):
        found = find_candidates(supply, need, WIDE_COMPATIBILITY, km, top_k=3).candidates
        return pd.DataFrame(found.drop(columns="geometry"))

    fresh = {}
    for km in (4.0, 1.0, 2.5):
        topk.forget_searches()
        fresh[km] = search(placed_s, placed_n, km)
    topk.forget_searches()
    for km in (1.0, 4.0, 2.5, 1.0):  # one set of neighbours for every distance
        pd.testing.assert_frame_equal(search(placed_s, placed_n, km), fresh[km])
        assert topk._MEMO["parts"]
    moved = s.copy()
    moved.loc[moved.index[:60], "geometry"] = [Point(X0 + 30 * i, Y0 + 7_000) for i in range(60)]
    other = s.copy()
    other.loc[other.index[:60], "resource"] = "R4"
    actors = s.copy()
    actors.loc[actors.index[:90], "actor_id"] = n["actor_id"].iloc[:90].to_numpy()
    for changed in (moved, other, actors):
        placed = place_flows(changed, "supply")
        topk.forget_searches()
        expected = search(placed, placed_n, 2.5)
        assert not expected.equals(fresh[2.5])
        topk.forget_searches()
        search(placed_s, placed_n, 2.5)  # the old flows' neighbours kept
        pd.testing.assert_frame_equal(search(placed, placed_n, 2.5), expected)
    # flows not placed once are searched once: nothing is kept for them
    topk.forget_searches()
    pd.testing.assert_frame_equal(search(s, n, 2.5), fresh[2.5])
    assert not topk._MEMO["parts"]


def kept_pairs():
    """The pairs kept for the flows searched last: (keys, lines, identifiers)."""
    return search_inputs._KEPT[0][-1].found.get()


def test_pairs_found_again_keep_their_lines_and_identifiers():
    """Searched again over the same flows placed once, a pair found before keeps its line and
    identifier (the same objects, not made again), and every search gives what a first one
    would, lines included; other flows (even at the same places) never get the kept ones."""
    from eit_synergies.core.synergy import topk

    rng = np.random.default_rng(5)
    resources = ["R1", "R2", "R3"]
    s = random_flows(rng, 150, "gisement", "S", resources, 250, 6_000, 40)
    n = random_flows(rng, 160, "besoin", "N", resources, 250, 6_000, 40)
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")

    def search(supply, need, km):
        return find_candidates(supply, need, WIDE_COMPATIBILITY, km, top_k=3).candidates

    def forget():
        topk.forget_searches()
        search_inputs.forget_inputs()

    fresh = {}
    for km in (3.0, 1.5):
        forget()
        fresh[km] = search(s, n, km)  # flows not placed: nothing kept
        assert not search_inputs._KEPT
    forget()
    first = search(placed_s, placed_n, 3.0)
    second = search(placed_s, placed_n, 1.5)
    for found, km in ((first, 3.0), (second, 1.5)):
        pd.testing.assert_frame_equal(
            pd.DataFrame(found.drop(columns="geometry")),
            pd.DataFrame(fresh[km].drop(columns="geometry")),
        )
        assert found.geometry.geom_equals_exact(fresh[km].geometry, 0.0).all()
    before = dict(zip(first["candidate_id"], first.geometry.to_numpy(), strict=True))
    again = [(cid, line) for cid, line in zip(second["candidate_id"], second.geometry, strict=True)
             if cid in before]  # fmt: skip
    assert len(again) > len(second) // 2
    assert all(line is before[cid] for cid, line in again)
    # the same places under other flow ids: new identifiers, not the kept ones
    renamed = s.copy()
    renamed["flow_id"] = "X" + renamed["flow_id"].astype(str)
    moved = search(place_flows(renamed, "supply"), placed_n, 1.5)
    assert moved["supply_flow"].str.startswith("X").all()
    assert (moved["candidate_id"] == moved["supply_flow"] + ">" + moved["need_flow"]).all()
    forget()


def test_pairs_of_several_searches_add_up_to_a_bound(monkeypatch):
    """Back at a distance searched before, every pair keeps the line made then, even after
    a search at another distance; beyond ``KEEP_MOST`` pairs only the last search's are
    kept. The candidates are a first search's all along."""
    rng = np.random.default_rng(9)
    resources = ["R1", "R2", "R3"]
    s = random_flows(rng, 150, "gisement", "S", resources, 250, 6_000, 40)
    n = random_flows(rng, 160, "besoin", "N", resources, 250, 6_000, 40)
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")

    def search(km):
        return find_candidates(placed_s, placed_n, WIDE_COMPATIBILITY, km, top_k=3).candidates

    def lines_of(found):
        return dict(zip(found["candidate_id"], found.geometry.to_numpy(), strict=True))

    def forget():
        topk.forget_searches()
        search_inputs.forget_inputs()

    forget()
    try:
        far = search(3.0)
        near = search(1.0)
        assert set(near["candidate_id"]) - set(far["candidate_id"])  # new pairs at 1 km
        kept = len(kept_pairs()[0])
        assert kept == len(set(far["candidate_id"]) | set(near["candidate_id"]))
        again = search(3.0)
        first = lines_of(far)
        assert all(line is first[cid] for cid, line in lines_of(again).items())
        assert len(kept_pairs()[0]) == kept  # nothing new to add
        forget()
        pd.testing.assert_frame_equal(
            pd.DataFrame(again.drop(columns="geometry")),
            pd.DataFrame(search(3.0).drop(columns="geometry")),
        )
        # over the bound: the last search's pairs only
        forget()
        monkeypatch.setattr(pair_parts, "KEEP_MOST", len(far) + 1)
        search(3.0)
        near = search(1.0)
        assert sorted(kept_pairs()[2]) == sorted(near["candidate_id"])
    finally:
        forget()


def test_flows_searched_again_are_searched_on_both_sides_at_once_with_the_same_result():
    """The dock's searches (the same placed flows, again) run the supply and need sides in
    two threads: the same candidates as one after the other, and a cancel seen in either
    thread stops the search with nothing left running."""
    import threading

    from eit_synergies.core.synergy import topk

    rng = np.random.default_rng(13)
    resources = ["R1", "R2", "R3", "R4"]
    s = random_flows(rng, 1300, "gisement", "S", resources, 250, 12_000, 150)
    n = random_flows(rng, 1400, "besoin", "N", resources, 250, 12_000, 150)
    assert len(s) + len(n) >= topk.PARALLEL_MIN_FLOWS
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")
    sides = []
    real = topk._best_of_side

    def side(*args):
        sides.append(threading.current_thread().name)
        return real(*args)

    def search(parallel, progress=None):
        topk.forget_searches()
        search_inputs.forget_inputs()
        topk.PARALLEL_SIDES = parallel
        try:
            found = find_candidates(placed_s, placed_n, WIDE_COMPATIBILITY, 2.0, top_k=4,
                                    progress=progress)  # fmt: skip
        finally:
            topk.PARALLEL_SIDES = True
        return pd.DataFrame(found.candidates.drop(columns="geometry"))

    topk._best_of_side = side
    try:
        at_once = search(True)
        assert "eit-top-k-side" in sides  # the need side ran in its own thread
        sides.clear()
        one_after_the_other = search(False)
        assert "eit-top-k-side" not in sides
        pd.testing.assert_frame_equal(at_once, one_after_the_other)
        assert len(at_once) > 1000

        class CancelLater(RecordingProgress):
            def __init__(self, after):
                super().__init__()
                self.asked, self.after = 0, after

            def is_canceled(self):
                self.asked += 1
                return self.asked > self.after

        before = threading.active_count()
        for after in (3, 12, 40):  # in the search's start, in one side or the other
            with pytest.raises(Canceled):
                search(True, CancelLater(after))
            assert threading.active_count() == before

        # an error in the supply side: raised as it is, the need side's thread stopped, and
        # one after the other the need side is never searched after it
        def failing(*args):
            sides.append(threading.current_thread().name)
            if threading.current_thread().name != "eit-top-k-side":
                raise ValueError("supply side failed")
            return real(*args)

        topk._best_of_side = failing
        for parallel in (True, False):
            sides.clear()
            with pytest.raises(ValueError, match="supply side failed"):
                search(parallel)
            assert threading.active_count() == before
            assert len(sides) == (2 if parallel else 1)
    finally:
        topk._best_of_side = real
        topk.forget_searches()
        search_inputs.forget_inputs()


# The inputs of a search made once for the same placed flows (the dock's slider), and made
# again whenever what they are made of changes: the results are always a first search's.


def forget_all():
    topk.forget_searches()
    search_inputs.forget_inputs()


def search_with(supply, need, km, compatibility=WIDE_COMPATIBILITY, precedents=None):
    found = find_candidates(supply, need, compatibility, km, top_k=3, precedents=precedents)
    return pd.DataFrame(found.candidates.drop(columns="geometry"))


def fresh_search(supply, need, km, **kwargs):
    """What a first search finds (nothing kept from another one)."""
    forget_all()
    try:
        return search_with(supply, need, km, **kwargs)
    finally:
        forget_all()


def some_flows(seed=8):
    rng = np.random.default_rng(seed)
    resources = ["R1", "R2", "R3", "R4", "R5"]
    s = random_flows(rng, 180, "gisement", "S", resources, 250, 7_000, 50)
    n = random_flows(rng, 190, "besoin", "N", resources, 250, 7_000, 50)
    return s, n


def test_inputs_are_made_once_for_the_same_placed_flows_and_table():
    s, n = some_flows()
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")
    forget_all()
    try:
        search_with(placed_s, placed_n, 2.0)
        kept = search_inputs._KEPT[0][-1]
        # the same content in another frame (the catalogue gives a copy each time)
        search_with(placed_s, placed_n, 3.0, compatibility=WIDE_COMPATIBILITY.copy())
        assert search_inputs._KEPT[0][-1] is kept
        # flows searched once keep nothing
        search_with(s, n, 3.0)
        assert search_inputs._KEPT[0][-1] is kept
    finally:
        forget_all()


def test_inputs_of_other_placed_flows_leave_those_kept_and_a_side_replaced_lets_them_go():
    """Another search of placed flows (a second pair of objects) does not make the first
    pair's inputs again; flows one side of which was replaced let theirs go; at most
    ``KEPT_MOST`` are kept."""
    s, n = some_flows()

    def kept():
        """The identities of the inputs kept, the last used first."""
        return [id(entry[-1]) for entry in search_inputs._KEPT]

    dock = place_flows(s, "supply"), place_flows(n, "need")
    other = place_flows(s, "supply"), place_flows(n, "need")  # the same flows, other objects
    forget_all()
    try:
        first = search_with(*dock, 2.0)
        dock_inputs = search_inputs._KEPT[0][-1]
        assert search_with(*other, 2.0).equals(first)
        other_inputs = search_inputs._KEPT[0][-1]
        assert other_inputs is not dock_inputs
        assert kept() == [id(other_inputs), id(dock_inputs)]
        # the first pair's inputs (and the lines of its pairs) are given back
        lines = dock_inputs.found.get()[1]
        search_with(*dock, 2.0)
        assert kept() == [id(dock_inputs), id(other_inputs)]
        assert dock_inputs.found.get()[1] is lines
        # one side written: the inputs of the flows it replaces go, the others stay
        written = place_flows(s.iloc[1:], "supply")
        search_with(written, dock[1], 2.0)
        assert len(kept()) == 2 and id(dock_inputs) not in kept() and kept()[1] == id(other_inputs)
        # a third pair of flows: the one used longest ago goes
        third = place_flows(s.iloc[2:], "supply"), place_flows(n.iloc[2:], "need")
        search_with(*third, 2.0)
        assert len(kept()) == search_inputs.KEPT_MOST == 2
        assert id(other_inputs) not in kept()
    finally:
        forget_all()


def test_inputs_are_made_again_for_another_table_other_precedents_or_other_flows():
    s, n = some_flows()
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")
    other_table = WIDE_COMPATIBILITY.copy()
    other_table.loc[0, "factor"] = 0.1  # R1 -> R2 nearly useless now
    other_table.loc[len(other_table)] = ["R3", "R5", 0.9]

    def precedents(pairs):
        out = pairs.copy()
        out["precedent_count"] = 2
        out["precedents"] = "Kalundborg; Dunkerque"
        return out

    quantities = s.copy()
    # half the supplies' quantities unknown now, the others a hundredth
    quantities["quantity_norm"] = np.where(
        np.arange(len(s)) % 2 == 0, np.nan, quantities["quantity_norm"] * 0.01
    )
    months = n.copy()
    months["months"] = "6-8"
    forget_all()
    try:
        search_with(placed_s, placed_n, 2.5)  # inputs, neighbours and pairs kept for these
        again = search_with(placed_s, placed_n, 2.5, compatibility=other_table)
        expected = fresh_search(placed_s, placed_n, 2.5, compatibility=other_table)
        pd.testing.assert_frame_equal(again, expected)
        assert not again.equals(fresh_search(placed_s, placed_n, 2.5))
        search_with(placed_s, placed_n, 2.5)
        with_precedents = search_with(placed_s, placed_n, 2.5, precedents=precedents)
        assert (with_precedents["precedent_count"] == 2).all()
        pd.testing.assert_frame_equal(
            with_precedents, fresh_search(placed_s, placed_n, 2.5, precedents=precedents)
        )
        # the same places, resources and actors with other quantities or months: the score
        # parts kept for the nearest flows are made again
        for supply, need in ((quantities, n), (s, months)):
            placed = place_flows(supply, "supply"), place_flows(need, "need")
            search_with(placed_s, placed_n, 2.5)
            changed = search_with(*placed, 2.5)
            pd.testing.assert_frame_equal(changed, fresh_search(*placed, 2.5))
            before = fresh_search(placed_s, placed_n, 2.5)
            assert not changed["score"].equals(before["score"])
    finally:
        forget_all()


def test_score_parts_kept_give_the_score_to_the_last_bit():
    """The top-K search keeps the parts of the score that do not depend on the distance: at
    every distance, its scores are the full formula's, bit for bit."""
    from eit_synergies.core.synergy.scoring import combine_score

    s, n = some_flows(3)
    placed_s, placed_n = place_flows(s, "supply"), place_flows(n, "need")
    forget_all()
    try:
        search_with(placed_s, placed_n, 4.0)
        assert any(isinstance(key, tuple) and key[0] == "parts" for key in topk._MEMO["parts"])
        for km in (1.5, 3.0, 4.0):
            found = search_with(placed_s, placed_n, km)
            pd.testing.assert_frame_equal(found, fresh_search(placed_s, placed_n, km))
            score = combine_score(found["score_compat"], found["score_coverage"],
                                  found["score_distance"], found["score_season"])  # fmt: skip
            assert np.array_equal(score, found["score"].to_numpy())
    finally:
        forget_all()


def test_score_parts_a_late_search_of_other_quantities_writes_are_never_used():
    """A search of other quantities canceled but still running when the next one begins
    writes its score parts into the shared memo after that one has let the old ones go: the
    next searches never use them (each search's parts are its quantities' own)."""
    s, n = some_flows(4)
    other = s.copy()
    # the tonnages corrected: half of them unknown now, the others a hundredth
    other["quantity_norm"] = np.where(
        np.arange(len(s)) % 2 == 0, np.nan, other["quantity_norm"] * 0.01
    )
    placed_old = place_flows(s, "supply"), place_flows(n, "need")
    placed_new = place_flows(other, "supply"), place_flows(n, "need")

    def parts_written():
        return {k: v for k, v in topk._MEMO["parts"].items()
                if isinstance(k, tuple) and k[0] == "parts"}  # fmt: skip

    forget_all()
    try:
        search_with(*placed_old, 2.5)
        late = parts_written()  # what the old search's thread writes
        assert late
        expected = fresh_search(*placed_new, 2.5)
        search_with(*placed_new, 2.5)
        topk._MEMO["parts"].update(late)  # ... after the new search has begun
        again = search_with(*placed_new, 2.5)
        pd.testing.assert_frame_equal(again, expected)
        assert not again["score"].equals(fresh_search(*placed_old, 2.5)["score"])
        # the late parts are let go at the next search
        search_with(*placed_new, 3.0)
        assert not set(late) & set(topk._MEMO["parts"])
    finally:
        forget_all()
