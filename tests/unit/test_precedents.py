"""Documented precedents: the table, its link to compatibility pairs, candidates' fields."""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd
import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.precedents import describe, load, precedent_pairs
from eit_synergies.core.synergy import find_candidates


@pytest.fixture(scope="module")
def cat():
    return Catalogue.builtin()


def test_at_least_150_documented_exchanges_with_place_and_reference():
    table = load()
    assert len(table) >= 150 and table["precedent_id"].is_unique
    for column in ("place", "supplier_activity", "receiver_activity", "reference"):
        assert table[column].str.strip().str.len().gt(2).all(), column
    assert table["year"].notna().sum() >= 30  # years only where the source gives them
    assert table["park"].replace("", None).dropna().nunique() >= 10


def test_every_precedent_is_a_compatible_pair_of_the_catalogue(cat):
    for row in load().itertuples():
        assert row.supply_resource in cat and row.need_resource in cat
        pair = cat.compatibility(row.supply_resource, row.need_resource)
        assert pair is not None and pair.factor > 0, (row.supply_resource, row.need_resource)


def test_pairs_get_exact_precedents_first_and_kinds_of_resources_too(cat):
    pairs = pd.DataFrame(
        {
            "supply_resource": ["MIN_FGD_GYPSUM", "EN_STEAM_LP", "SPC_PARKING"],
            "need_resource": ["MIN_GYPSUM", "EN_STEAM", "SPC_PARKING"],
        }
    )
    out = precedent_pairs(cat, pairs).set_index("supply_resource")
    gypsum = out.loc["MIN_FGD_GYPSUM"]
    assert gypsum["precedent_count"] >= 3
    first = gypsum["precedents"].split(" | ")[0]
    assert first.startswith("Kalundborg, 1993") and "Jacobsen 2006" in first
    assert len(gypsum["precedents"].split(" | ")) == 3
    assert out.loc["EN_STEAM_LP", "precedent_count"] > 0  # a kind of steam
    assert out.loc["SPC_PARKING", "precedent_count"] == 0


def test_describe_is_readable():
    row = load().iloc[0]
    text = describe(row)
    assert row["place"] in text and "->" in text and "[" in text


def test_candidates_carry_precedent_count_and_precedents(cat):
    def flows(rows):
        frame = pd.DataFrame(
            rows, columns=["flow_id", "actor_id", "resource", "lon", "lat", "quantity_norm"]
        )
        frame["actor_name"] = frame["actor_id"]
        frame["actor_category"] = "industrie"
        frame["resource_label"] = frame["resource"]
        frame["family"] = "mineral"
        frame["synergy_type"] = "substitution"
        frame["quantity"] = frame["quantity_norm"]
        frame["unit"] = "t"
        frame["unit_norm"] = "t/yr"
        frame["months"] = "1-12"
        frame["confidential"] = False
        frame["direction"] = "supply"
        return gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
        )

    supply = flows([("S1", "A", "MIN_FGD_GYPSUM", 11.10, 55.68, 100.0)])
    need = flows(
        [
            ("N1", "B", "MIN_GYPSUM", 11.12, 55.67, 80.0),
            ("N2", "C", "MIN_CEMENT_RAW", 11.11, 55.69, 50.0),
        ]
    )
    need["direction"] = "need"
    result = find_candidates(
        supply,
        need,
        cat.compatibility_frame,
        300,
        precedents=functools.partial(precedent_pairs, cat),
    ).candidates.set_index("need_flow")
    assert result.loc["N1", "precedent_count"] >= 3
    assert "Kalundborg" in result.loc["N1", "precedents"]
    assert result.loc["N2", "precedent_count"] >= 0
    bare = find_candidates(supply, need, cat.compatibility_frame, 300).candidates
    assert (bare["precedent_count"] == 0).all() and (bare["precedents"] == "").all()
