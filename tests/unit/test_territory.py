"""The territory's name (core/territory.py): the EPCI of its communes, never one commune."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from eit_synergies.core.geocode.communes import DEFAULT_COMMUNES
from eit_synergies.core.territory import epci_of_communes, recorded_name, territory_name

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def reference():
    return pd.read_csv(DEFAULT_COMMUNES, dtype=str)


@pytest.fixture(scope="module")
def demo_communes():
    data = json.loads((DEMO / "communes.geojson").read_text(encoding="utf-8"))
    return pd.DataFrame([f["properties"] for f in data["features"]])


def test_the_demo_communes_are_named_by_their_epci_not_by_one_of_them(reference, demo_communes):
    name = territory_name(demo_communes, reference=reference)
    expected = reference.set_index("code_insee").loc[demo_communes["code_insee"], "epci_nom"]
    assert expected.nunique() == 1 and name == expected.iloc[0]
    assert "Bertranges" in name
    assert name not in set(demo_communes["nom"])


def test_an_epci_needs_most_of_the_communes(reference):
    by_epci = reference.groupby("epci_nom")["code_insee"].apply(list)
    big, other = by_epci.index[0], by_epci.index[1]
    mostly = by_epci[big][:3] + by_epci[other][:2]
    assert epci_of_communes(mostly, reference) == big
    split = by_epci[big][:2] + by_epci[other][:2] + ["99999"]
    assert epci_of_communes(split, reference) is None
    assert epci_of_communes(["58.0", ""], reference) is None


def test_insee_codes_are_read_as_written_in_tables(reference):
    row = reference.iloc[0]
    numbers = pd.DataFrame({"INSEE_COM": [float(row["code_insee"])] * 2})
    if row["code_insee"].isdigit():
        assert territory_name(numbers, reference=reference) == row["epci_nom"]


def test_given_name_then_epci_column_then_single_feature_then_actors(reference):
    communes = pd.DataFrame(
        {"nom": ["A", "B", "C"], "Nom_EPCI": ["CC du Val", "CC du Val", ""],
         "code_insee": list(reference["code_insee"][:3])}
    )  # fmt: skip
    assert territory_name(communes, given="  Pays de Test ", reference=reference) == (
        "Pays de Test"
    )
    assert territory_name(communes, reference=reference) == "CC du Val"
    perimeter = pd.DataFrame({"nom": ["Syndicat mixte du Pays"]})
    assert territory_name(perimeter, reference=reference) == "Syndicat mixte du Pays"
    many = pd.DataFrame({"nom": ["Commune 1", "Commune 2"]})
    assert territory_name(many, reference=reference) is None  # a commune is never the name
    actors = pd.DataFrame({"insee": list(reference["code_insee"][:1]) * 3})
    assert territory_name(None, actors, reference) == reference["epci_nom"].iloc[0]
    assert territory_name(None, None, reference) is None


def test_the_workspace_records_the_latest_run_name():
    runs = pd.DataFrame(
        {"run_at": ["2025-03-01T10:00:00", "2026-03-01T10:00:00", "2024-01-01T00:00:00"],
         "territory_name": ["Ancien nom", "CC Nouvelle", None]}
    )  # fmt: skip
    assert recorded_name(runs) == "CC Nouvelle"
    territory = pd.DataFrame({"name": ["CC du dessin"]})
    assert recorded_name(None, territory) == "CC du dessin"
    assert recorded_name(runs.drop(columns="territory_name"), territory) == "CC du dessin"
    assert recorded_name(None, pd.DataFrame({"nom": ["A", "B"]})) is None
