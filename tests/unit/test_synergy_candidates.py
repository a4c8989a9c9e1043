"""Substitution candidates on hand-built layers whose answer is known by construction."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from eit_synergies.core.errors import EitError
from eit_synergies.core.progress import RecordingProgress
from eit_synergies.core.synergy import SCORE_WEIGHTS, find_candidates
from eit_synergies.core.synergy.candidates import OUTPUT_COLUMNS
from shapely.geometry import Point

X0, Y0 = 780_000.0, 6_680_000.0  # Lambert-93, in the Nièvre


def flows(rows, crs="EPSG:2154", direction="gisement"):
    """A flow layer from dicts with ``x``/``y`` (None: no geometry)."""
    table = pd.DataFrame(rows)
    xs, ys = table.pop("x"), table.pop("y")
    defaults = {
        "actor_name": None,
        "actor_category": None,
        "direction": direction,
        "resource_label": None,
        "family": None,
        "synergy_type": "substitution",
        "quantity": np.nan,
        "unit": None,
        "quantity_norm": np.nan,
        "unit_norm": "t/yr",
        "months": "",
        "confidential": False,
    }
    for col, value in defaults.items():
        if col not in table.columns:
            table[col] = value
        elif isinstance(value, str):
            table[col] = table[col].fillna(value)
    geom = [None if x is None else Point(x, y) for x, y in zip(xs, ys, strict=True)]
    return gpd.GeoDataFrame(table, geometry=geom, crs=crs)


def supply(rows, **kw):
    return flows(rows, direction="gisement", **kw)


def need(rows, **kw):
    return flows(rows, direction="besoin", **kw)


def by_id(result):
    return result.candidates.set_index("candidate_id")


def test_limit_is_inclusive_and_every_index_answer_is_rechecked():
    s = supply([dict(flow_id="S", actor_id="A", resource="R", x=X0, y=Y0)])
    n = need(
        [
            dict(flow_id="AT", actor_id="B", resource="R", x=X0 + 10_000.0, y=Y0),
            dict(flow_id="METRE", actor_id="C", resource="R", x=X0 - 10_001.0, y=Y0),
            dict(flow_id="HALFMM", actor_id="D", resource="R", x=X0, y=Y0 + 10_000.0005),
            dict(flow_id="IN", actor_id="E", resource="R", x=X0 + 3_000.0, y=Y0 + 4_000.0),
        ]
    )
    res = find_candidates(s, n, max_distance_km=10)
    got = by_id(res)
    assert set(got.index) == {"S>AT", "S>IN"}
    assert got.loc["S>AT", "distance_km"] == 10.0
    assert got.loc["S>IN", "distance_km"] == 5.0
    assert (got["distance_method"] == "euclidean").all()
    assert (got["max_distance_km"] == 10.0).all()


def test_zero_limit_uses_the_supply_resource_default_distance():
    s = supply(
        [
            dict(flow_id="S1", actor_id="A", resource="SHORT", x=X0, y=Y0),
            dict(flow_id="S2", actor_id="B", resource="LONG", x=X0, y=Y0 + 50_000),
            dict(flow_id="S3", actor_id="C", resource="NODEFAULT", x=X0, y=Y0 - 50_000),
        ]
    )
    n = need(
        [
            # 8 km from S1: beyond SHORT's 5 km
            dict(flow_id="N1", actor_id="D", resource="SHORT", x=X0 + 8_000, y=Y0),
            # 3 km from S1, a LONG need: the SHORT supply's 5 km applies (kept)
            dict(flow_id="N2", actor_id="E", resource="LONG", x=X0 - 3_000, y=Y0),
            # 8 km from S1, a LONG need: LONG's 20 km must not apply (dropped)
            dict(flow_id="N3", actor_id="F", resource="LONG", x=X0, y=Y0 + 8_000),
            # 8 km from S2 (LONG, 20 km): kept
            dict(flow_id="N4", actor_id="G", resource="LONG", x=X0 + 8_000, y=Y0 + 50_000),
            # 15 km from S3, no default anywhere: fallback 20 km
            dict(flow_id="N5", actor_id="H", resource="NODEFAULT", x=X0, y=Y0 - 65_000),
        ]
    )
    compat = pd.DataFrame(
        {"supply_resource": ["SHORT"], "need_resource": ["LONG"], "factor": [0.5]}
    )
    res = find_candidates(
        s, n, compat, max_distance_km=0, default_distances={"SHORT": 5, "LONG": 20}
    )
    got = by_id(res)
    assert set(got.index) == {"S1>N2", "S2>N4", "S3>N5"}
    assert got.loc["S1>N2", "max_distance_km"] == 5
    assert got.loc["S2>N4", "max_distance_km"] == 20
    assert got.loc["S3>N5", "max_distance_km"] == 20
    assert "limite par défaut de 20 km" in got.loc["S3>N5", "notes"]
    assert "limite par défaut" not in got.loc["S2>N4", "notes"]
    assert any("default distance" in line for line in res.log)


def test_need_resource_default_is_used_when_the_supply_has_none():
    s = supply([dict(flow_id="S", actor_id="A", resource="X", x=X0, y=Y0)])
    n = need([dict(flow_id="N", actor_id="B", resource="Y", x=X0 + 12_000, y=Y0)])
    compat = pd.DataFrame({"supply_resource": ["X"], "need_resource": ["Y"], "factor": [1.0]})
    res = find_candidates(s, n, compat, 0, {"Y": 15}, fallback_distance_km=10)
    assert by_id(res).loc["S>N", "max_distance_km"] == 15


def test_compatibility_table_and_implicit_identity():
    s = supply(
        [
            dict(flow_id="S1", actor_id="A", resource="WOOD", x=X0, y=Y0),
            dict(flow_id="S2", actor_id="B", resource="GLASS", x=X0 + 100, y=Y0),
        ]
    )
    n = need(
        [
            dict(flow_id="N1", actor_id="C", resource="WOOD", x=X0 + 1_000, y=Y0),
            dict(flow_id="N2", actor_id="D", resource="FUEL", x=X0 + 2_000, y=Y0),
            dict(flow_id="N3", actor_id="E", resource="SAND", x=X0 + 3_000, y=Y0),
        ]
    )
    compat = pd.DataFrame(
        {
            "supply_resource": ["WOOD", "GLASS", "WOOD"],
            "need_resource": ["FUEL", "SAND", "SAND"],
            "factor": [0.8, 0.0, 0.3],
            "explanation_fr": ["bois-énergie", "non", "remblai"],
            "source": ["src A", "src B", "src C"],
        }
    )
    got = by_id(find_candidates(s, n, compat, max_distance_km=10))
    assert set(got.index) == {"S1>N1", "S1>N2", "S1>N3"}  # GLASS->SAND factor 0: not a pair
    assert got.loc["S1>N1", "compatibility"] == 1.0
    assert got.loc["S1>N1", "explanation_fr"] == "même ressource"
    assert got.loc["S1>N2", "compatibility"] == 0.8
    assert got.loc["S1>N2", "compatibility_source"] == "src A"
    assert got.loc["S1>N3", "score_compat"] == 0.3
    without_table = by_id(find_candidates(s, n, None, max_distance_km=10))
    assert set(without_table.index) == {"S1>N1"}


def test_invalid_compatibility_factor_raises():
    s = supply([dict(flow_id="S", actor_id="A", resource="R", x=X0, y=Y0)])
    n = need([dict(flow_id="N", actor_id="B", resource="Q", x=X0, y=Y0)])
    bad = pd.DataFrame({"supply_resource": ["R"], "need_resource": ["Q"], "factor": [1.5]})
    with pytest.raises(EitError) as err:
        find_candidates(s, n, bad, max_distance_km=5)
    assert err.value.code == "invalid_compatibility_factor"
    assert err.value.data["row"] == 1


def test_same_actor_pairs_are_excluded_and_counted():
    s = supply([dict(flow_id="S", actor_id="A", resource="R", x=X0, y=Y0)])
    n = need(
        [
            dict(flow_id="OWN", actor_id="A", resource="R", x=X0, y=Y0),
            dict(flow_id="OTHER", actor_id="B", resource="R", x=X0 + 500, y=Y0),
        ]
    )
    res = find_candidates(s, n, max_distance_km=5)
    assert list(res.candidates["candidate_id"]) == ["S>OTHER"]
    assert res.stats["same_actor_excluded"] == 1
    assert any("same actor" in line for line in res.log)


def test_layers_in_different_crs_give_the_same_distances():
    pts_s = [(X0, Y0), (X0 + 7_000, Y0 + 2_000)]
    pts_n = [(X0 + 3_000, Y0 + 4_000), (X0 + 9_000, Y0 - 1_000), (X0 - 6_000, Y0)]
    rows_s = [
        dict(flow_id=f"S{k}", actor_id=f"A{k}", resource="R", x=x, y=y)
        for k, (x, y) in enumerate(pts_s)
    ]
    rows_n = [
        dict(flow_id=f"N{k}", actor_id=f"B{k}", resource="R", x=x, y=y)
        for k, (x, y) in enumerate(pts_n)
    ]
    ref = by_id(find_candidates(supply(rows_s), need(rows_n), max_distance_km=12))
    to_wgs = pyproj.Transformer.from_crs(2154, 4326, always_xy=True)
    rows_s84 = []
    for row in rows_s:
        lon, lat = to_wgs.transform(row["x"], row["y"])
        rows_s84.append({**row, "x": lon, "y": lat})
    res = find_candidates(supply(rows_s84, crs="EPSG:4326"), need(rows_n), max_distance_km=12)
    got = by_id(res)
    assert set(got.index) == set(ref.index) and len(got) == 5
    np.testing.assert_allclose(
        got.loc[ref.index, "distance_km"], ref["distance_km"], rtol=0, atol=1e-6
    )
    assert got.crs.to_epsg() == 2154
    assert any("reprojected from EPSG:4326" in line for line in res.log)
    assert any("different CRSs" in line for line in res.log)


def test_empty_layers_give_an_empty_frame_not_an_error():
    s = supply([dict(flow_id="S", actor_id="A", resource="R", x=X0, y=Y0)])
    empty = s.iloc[0:0]
    for a, b in ((empty, s), (s, empty), (None, s), (empty, None)):
        res = find_candidates(a, b, max_distance_km=10)
        assert len(res.candidates) == 0
        expected = OUTPUT_COLUMNS + ["supply_rank", "need_rank", "geometry"]
        assert list(res.candidates.columns) == expected
        assert res.candidates.crs.to_epsg() == 2154


def test_flows_without_geometry_are_reported_not_matched():
    s = supply(
        [
            dict(flow_id="S1", actor_id="A", resource="R", x=X0, y=Y0),
            dict(flow_id="S2", actor_id="B", resource="R", x=None, y=None),
        ]
    )
    n = need(
        [
            dict(flow_id="N1", actor_id="C", resource="R", x=X0 + 10, y=Y0),
            dict(flow_id="N2", actor_id="D", resource=None, x=X0 + 20, y=Y0),
        ]
    )
    n.loc[n["flow_id"] == "N1", "geometry"] = shapely.Point()  # empty geometry
    n = pd.concat(
        [n, need([dict(flow_id="N3", actor_id="E", resource="R", x=X0 + 30, y=Y0)])],
        ignore_index=True,
    )
    res = find_candidates(s, n, max_distance_km=10)
    assert list(res.candidates["candidate_id"]) == ["S1>N3"]
    unplaced = res.unplaced.set_index("flow_id")
    assert set(unplaced.index) == {"S2", "N1", "N2"}
    assert unplaced.loc["S2", "reason"] == "no_geometry"
    assert unplaced.loc["N1", "reason"] == "no_geometry"
    assert unplaced.loc["N2", "reason"] == "no_resource"
    assert unplaced.loc["S2", "layer"] == "supply" and unplaced.loc["N1", "layer"] == "need"
    assert res.stats["unplaced"] == 3


def test_scores_are_in_range_and_ordered():
    s = supply(
        [
            dict(
                flow_id="S",
                actor_id="A",
                resource="R",
                quantity_norm=10.0,
                months="",
                x=X0,
                y=Y0,
            )
        ]
    )
    n = need(
        [
            dict(flow_id="NEAR", actor_id="B", resource="R", quantity_norm=5, x=X0 + 1_000, y=Y0),
            dict(flow_id="FAR", actor_id="C", resource="R", quantity_norm=5, x=X0 + 9_000, y=Y0),
            dict(flow_id="BIG", actor_id="D", resource="R", quantity_norm=40, x=X0 + 1_000, y=Y0),
        ]
    )
    got = by_id(find_candidates(s, n, max_distance_km=10))
    parts = ["score", "score_compat", "score_coverage", "score_distance", "score_season"]
    values = got[parts].to_numpy(dtype=float)
    assert np.all((values >= 0) & (values <= 1))
    assert got.loc["S>NEAR", "score_distance"] == pytest.approx(0.9)
    assert got.loc["S>FAR", "score_distance"] == pytest.approx(0.1)
    assert got.loc["S>NEAR", "score"] > got.loc["S>FAR", "score"]
    # BIG: a quarter of the need covered, but the whole supply placed -> full quantity fit
    assert got.loc["S>BIG", "coverage"] == pytest.approx(10 / 40)
    assert got.loc["S>BIG", "supply_share"] == pytest.approx(1.0)
    assert got.loc["S>BIG", "score_coverage"] == pytest.approx(1.0)
    # NEAR: the whole need covered with half of the supply
    assert got.loc["S>NEAR", "coverage"] == pytest.approx(1.0)
    assert got.loc["S>NEAR", "supply_share"] == pytest.approx(0.5)
    w = SCORE_WEIGHTS
    expected = w["compat"] + w["coverage"] * 1.0 + w["distance"] * 0.9 + w["season"]
    assert got.loc["S>BIG", "score"] == pytest.approx(expected, abs=1e-4)
    assert got.loc["S>NEAR", "score"] == pytest.approx(got.loc["S>BIG", "score"])
    # best first; ranks among the candidates of the supply and of each need
    assert list(got.index)[-1] == "S>FAR"
    assert got.loc["S>FAR", "supply_rank"] == 3
    assert got.loc["S>NEAR", "supply_rank"] == got.loc["S>BIG", "supply_rank"] == 1
    assert set(got["need_rank"]) == {1}


def test_season_overlap_of_both_calendars():
    s = supply(
        [
            dict(flow_id="ALL", actor_id="A", resource="R", months="", x=X0, y=Y0),
            dict(flow_id="JAS", actor_id="B", resource="R", months="7-9", x=X0, y=Y0),
            dict(flow_id="WINTER", actor_id="C", resource="R", months="11-2", x=X0, y=Y0),
            dict(flow_id="BAD", actor_id="D", resource="R", months="printemps", x=X0, y=Y0),
        ]
    )
    n = need([dict(flow_id="N", actor_id="E", resource="R", months="6-8", x=X0 + 100, y=Y0)])
    got = by_id(find_candidates(s, n, max_distance_km=1))
    assert got.loc["ALL>N", "score_season"] == 1.0
    assert got.loc["JAS>N", "score_season"] == pytest.approx(2 / 3)
    assert got.loc["WINTER>N", "score_season"] == 0.0
    assert "aucun mois commun" in got.loc["WINTER>N", "notes"]
    assert got.loc["BAD>N", "score_season"] == 1.0
    assert "mois illisibles" in got.loc["BAD>N", "notes"]
    assert got.loc["ALL>N", "score"] > got.loc["JAS>N", "score"] > got.loc["WINTER>N", "score"]


def test_quantities_coverage_and_units():
    s = supply(
        [
            dict(flow_id="S", actor_id="A", resource="R", quantity_norm=10.0, x=X0, y=Y0),
            dict(
                flow_id="SE",
                actor_id="B",
                resource="R",
                quantity_norm=3.0,
                unit_norm="MWh/yr",
                x=X0,
                y=Y0,
            ),
            dict(flow_id="SU", actor_id="C", resource="R", x=X0, y=Y0),
        ]
    )
    n = need(
        [
            dict(flow_id="N", actor_id="D", resource="R", quantity_norm=4.0, x=X0 + 10, y=Y0),
            dict(flow_id="NQ", actor_id="E", resource="Q", quantity_norm=40.0, x=X0 + 10, y=Y0),
        ]
    )
    compat = pd.DataFrame({"supply_resource": ["R"], "need_resource": ["Q"], "factor": [0.5]})
    got = by_id(find_candidates(s, n, compat, max_distance_km=1))
    assert got.loc["S>N", "matched_quantity"] == 4.0 and got.loc["S>N", "coverage"] == 1.0
    # factor 0.5: half of the supply is usable for Q
    assert got.loc["S>NQ", "matched_quantity"] == 5.0
    assert got.loc["S>NQ", "coverage"] == pytest.approx(5 / 40)
    assert got.loc["S>N", "unit_norm"] == "t/yr"
    # t vs MWh do not combine
    assert math.isnan(got.loc["SE>N", "matched_quantity"])
    assert math.isnan(got.loc["SE>N", "coverage"])
    assert "unités normalisées différentes" in got.loc["SE>N", "notes"]
    # unknown quantity
    assert math.isnan(got.loc["SU>N", "coverage"])
    assert "quantité inconnue" in got.loc["SU>N", "notes"]
    assert got.loc["SU>N", "score_coverage"] != got.loc["SU>N", "score_coverage"]  # NaN


def test_lines_go_from_supplier_to_receiver_and_ids_are_stable():
    rows_s = [
        dict(flow_id=f"S{k}", actor_id=f"A{k}", resource="R", x=X0 + 700 * k, y=Y0)
        for k in range(4)
    ]
    rows_n = [
        dict(flow_id=f"N{k}", actor_id=f"B{k}", resource="R", x=X0 + 500 * k, y=Y0 + 900)
        for k in range(5)
    ]
    first = find_candidates(supply(rows_s), need(rows_n), max_distance_km=2).candidates
    again = find_candidates(supply(rows_s[::-1]), need(rows_n[::-1]), max_distance_km=2).candidates
    assert len(first) > 5
    assert first["candidate_id"].is_unique
    a = first.set_index("candidate_id").sort_index()
    b = again.set_index("candidate_id").sort_index()
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a["score"], b["score"])
    start = shapely.get_point(first.geometry.values, 0)
    end = shapely.get_point(first.geometry.values, -1)
    for k, row in enumerate(first.itertuples()):
        sx = X0 + 700 * int(row.supply_flow[1:])
        nx = X0 + 500 * int(row.need_flow[1:])
        assert (start[k].x, start[k].y) == (sx, Y0)
        assert (end[k].x, end[k].y) == (nx, Y0 + 900)
    np.testing.assert_allclose(first.length / 1000, first["distance_km"])


def test_mutualisation_flows_are_not_matched_here():
    s = supply([dict(flow_id="S", actor_id="A", resource="EQ", x=X0, y=Y0)])
    n = need(
        [
            dict(flow_id="N", actor_id="B", resource="EQ", x=X0, y=Y0),
            dict(
                flow_id="M", actor_id="C", resource="EQ", synergy_type="mutualisation", x=X0, y=Y0
            ),
        ]
    )
    res = find_candidates(s, n, max_distance_km=1)
    assert list(res.candidates["candidate_id"]) == ["S>N"]
    assert any("mutualisation" in line for line in res.log)


def test_bad_inputs_raise_coded_errors():
    s = supply([dict(flow_id="S", actor_id="A", resource="R", x=X0, y=Y0)])
    n = need([dict(flow_id="N", actor_id="B", resource="R", x=X0, y=Y0)])
    cases = [
        (dict(max_distance_km=-1), "invalid_distance"),
        (dict(metric_crs="EPSG:4326"), "metric_crs_not_projected"),
        (dict(default_distances={"R": 0}), "invalid_default_distance"),
    ]
    for kwargs, code in cases:
        with pytest.raises(EitError) as err:
            find_candidates(s, n, **kwargs)
        assert err.value.code == code
    with pytest.raises(EitError) as err:
        find_candidates(s.drop(columns="resource"), n, max_distance_km=1)
    assert err.value.code == "missing_column" and err.value.data["field"] == "resource"
    dup = pd.concat([n, n], ignore_index=True)
    with pytest.raises(EitError) as err:
        find_candidates(s, dup, max_distance_km=1)
    assert err.value.code == "duplicate_flow_id"
    no_crs = s.copy().set_crs(None, allow_override=True)
    with pytest.raises(EitError) as err:
        find_candidates(no_crs, n, max_distance_km=1)
    assert err.value.code == "missing_crs"


def test_too_many_candidates_stops_before_building_the_output():
    rows_s = [dict(flow_id=f"S{k}", actor_id=f"A{k}", resource="R", x=X0, y=Y0) for k in range(5)]
    rows_n = [dict(flow_id=f"N{k}", actor_id=f"B{k}", resource="R", x=X0, y=Y0) for k in range(5)]
    with pytest.raises(EitError) as err:
        find_candidates(supply(rows_s), need(rows_n), max_distance_km=1, max_candidates=20)
    assert err.value.code == "too_many_candidates"
    ok = find_candidates(supply(rows_s), need(rows_n), max_distance_km=1, max_candidates=25)
    assert len(ok.candidates) == 25


def test_progress_and_cancel():
    rows_s = [dict(flow_id="S", actor_id="A", resource="R", x=X0, y=Y0)]
    rows_n = [dict(flow_id="N", actor_id="B", resource="R", x=X0, y=Y0)]
    progress = RecordingProgress()
    find_candidates(supply(rows_s), need(rows_n), max_distance_km=1, progress=progress)
    assert progress.fractions[-1] == 1.0
    assert any("candidate" in m for m in progress.messages)
    from eit_synergies.core.errors import Canceled

    with pytest.raises(Canceled):
        find_candidates(
            supply(rows_s), need(rows_n), max_distance_km=1, progress=RecordingProgress(0)
        )


def test_confidential_flags_and_names_are_carried():
    s = supply(
        [
            dict(
                flow_id="S",
                actor_id="A",
                actor_name="Scierie",
                actor_category="industrie",
                resource="R",
                confidential="oui",
                x=X0,
                y=Y0,
            )
        ]
    )
    n = need([dict(flow_id="N", actor_id="B", actor_name="Chaufferie", resource="R", x=X0, y=Y0)])
    row = find_candidates(s, n, max_distance_km=1).candidates.iloc[0]
    assert row["supplier_name"] == "Scierie" and row["receiver_name"] == "Chaufferie"
    assert row["supplier_category"] == "industrie"
    assert bool(row["supply_confidential"]) is True and bool(row["need_confidential"]) is False
    assert row["status"] == "proposed"


def test_group_ranks_match_pandas_rank_min():
    from eit_synergies.core.synergy.scoring import group_ranks

    rng = np.random.default_rng(7)
    keys = rng.choice(["a", "b", "c", "d"], size=500)
    score = np.round(rng.random(500), 1)  # many ties
    expected = (
        pd.DataFrame({"k": keys, "s": score})
        .groupby("k")["s"]
        .rank(ascending=False, method="min")
        .astype("int64")
        .to_numpy()
    )
    assert (group_ranks(keys, score) == expected).all()
    # integer codes of the same groups (as the search passes its flow rows) rank alike
    codes = pd.factorize(pd.Series(keys))[0] * 7 + 3
    assert (group_ranks(codes, score) == expected).all()
    assert group_ranks(np.array([], dtype=object), np.array([])).size == 0


@pytest.mark.parametrize("spread", [50, 70_000])  # codes in 16 bits (a radix sort), or not
def test_group_ranks_of_rows_in_score_order_are_those_of_any_order(spread):
    """Rows given best score first (the search's output) rank as the general sort ranks
    them, ties included, whether the codes fit in 16 bits or not."""
    from eit_synergies.core.synergy.scoring import group_ranks

    rng = np.random.default_rng(spread)
    codes = rng.integers(0, 40, 3_000) * (spread // 40 + 1)
    score = np.round(rng.random(3_000), 2)  # many ties within a group
    order = np.argsort(-score, kind="stable")
    codes, score = codes[order], score[order]
    assert codes.max() >= 2**16 if spread > 2**16 else codes.max() < 2**16
    expected = group_ranks(codes, score)
    assert (group_ranks(codes, score, in_score_order=True) == expected).all()
    assert (group_ranks(codes.astype(str), score, in_score_order=True) == expected).all()
    # the flag is the caller's word: rows out of score order rank otherwise
    shuffled = rng.permutation(len(codes))
    assert not (group_ranks(codes[shuffled], score[shuffled], in_score_order=True)
                == expected[shuffled]).all()  # fmt: skip


def test_search_pairs_is_every_pair_within_its_limit_other_actors_exact_distances():
    """The pair search against every (supply, need) pair computed by hand: each resource
    pair's flows within its limit (points exactly at the limit included), other actors only,
    distances equal to ``np.hypot`` bit for bit, and the same-actor pairs counted."""
    from eit_synergies.core.synergy import search_pairs

    rng = np.random.default_rng(11)
    n_s, n_n = 300, 350
    s_xy = X0 + rng.integers(0, 40, (n_s, 2)) * 250.0  # a grid: many pairs exactly at a limit
    n_xy = X0 + rng.integers(0, 40, (n_n, 2)) * 250.0
    s_res, n_res = rng.integers(0, 4, n_s), rng.integers(0, 4, n_n)
    s_act, n_act = rng.integers(0, 60, n_s), rng.integers(0, 60, n_n)
    pair_s = np.array([0, 1, 2, 0, 3])
    pair_n = np.array([0, 1, 2, 3, 1])
    limit_m = np.array([1_000.0, 1_250.0, 500.0, 2_000.0, 750.0])
    found = search_pairs(s_xy, s_res, s_act, n_xy, n_res, n_act, pair_s, pair_n, limit_m)

    expected, same = set(), 0
    for p, (rs, rn, lim) in enumerate(zip(pair_s, pair_n, limit_m, strict=True)):
        for i in np.flatnonzero(s_res == rs):
            for j in np.flatnonzero(n_res == rn):
                d = float(np.hypot(s_xy[i, 0] - n_xy[j, 0], s_xy[i, 1] - n_xy[j, 1]))
                if d <= lim + 1e-6:
                    if s_act[i] == n_act[j]:
                        same += 1
                    else:
                        expected.add((int(i), int(j), p, d))
    got = set(zip(found["si"].tolist(), found["ni"].tolist(), found["pair"].tolist(),
                  found["d"].tolist(), strict=True))  # fmt: skip
    assert got == expected
    assert len(found["si"]) == len(expected)  # each pair once
    assert found["same_actor"] == same > 0
    assert any(d == limit_m[p] for _, _, p, d in expected)  # points exactly at a limit
    assert found["si"].dtype == found["ni"].dtype == found["pair"].dtype == np.int32
