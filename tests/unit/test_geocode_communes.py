"""Placement at the commune centroid (core/geocode/communes.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from eit_synergies.core.errors import Canceled, EitError
from eit_synergies.core.geocode.communes import DEFAULT_COMMUNES, CommuneTable, load_communes
from eit_synergies.core.progress import RecordingProgress

COMMUNES_58400 = {
    "58042": "Bulcy",
    "58056": "Champvoux",
    "58059": "La Charité-sur-Loire",
    "58067": "Chaulgnes",
    "58155": "La Marche",
    "58164": "Mesves-sur-Loire",
    "58189": "Narcy",
    "58220": "Raveau",
    "58298": "Tronsanges",
    "58302": "Varennes-lès-Narcy",
}


@pytest.fixture(scope="module")
def table() -> CommuneTable:
    return load_communes()


def test_bundled_table_is_plugin_data(table):
    assert DEFAULT_COMMUNES.parts[-3:] == ("data", "reference", "communes_58_cclnb.csv")
    assert len(table) == 310
    raw = pd.read_csv(DEFAULT_COMMUNES, dtype=str)
    row = raw[raw["code_insee"] == "58059"].iloc[0]
    res = table.place(insee="58059")
    assert (res.lon, res.lat) == (float(row["centroide_lon"]), float(row["centroide_lat"]))
    assert (res.precision, res.status, res.score) == ("municipality", "approximate", 1.0)
    assert (res.label, res.citycode, res.postcode) == ("La Charité-sur-Loire", "58059", "58400")


def test_insee_code_of_the_cher_member_of_the_cclnb(table):
    res = table.place(insee=18049)
    assert res.label == "La Chapelle-Montlinard"


def test_ambiguous_postcode_without_name_lists_the_candidates(table):
    res = table.place(postcode="58400")
    assert res.status == "unmatched"
    assert math.isnan(res.lon) and math.isnan(res.lat)
    assert "58400 covers several communes" in res.reason
    assert res.candidates == [f"{code} {name}" for code, name in sorted(COMMUNES_58400.items())]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Narcy", "58189"),
        ("NARCY", "58189"),
        ("Varennes les Narcy", "58302"),
        ("la charite", "58059"),
        ("Charite-sur-Loire", "58059"),
        ("Tronsange", "58298"),  # typo
        ("Chaulgne", "58067"),
    ],
)
def test_ambiguous_postcode_resolved_by_name(table, name, code):
    res = table.place(postcode="58400", name=name)
    assert res.citycode == code, res
    assert res.label == COMMUNES_58400[code]
    assert res.score >= 0.85


def test_postcode_and_name_that_disagree(table):
    res = table.place(postcode="58400", name="Nevers")
    assert res.citycode == "58194"
    assert "postcode 58400 does not match" in res.reason
    assert res.score < 1.0


def test_name_alone_and_unknowns(table):
    assert table.place(name="Pougues-les-Eaux").citycode == "58214"
    assert table.place(name="nevrs").citycode == "58194"
    ambiguous = table.place(name="Varennes")
    assert ambiguous.status == "unmatched"
    assert ambiguous.candidates == ["58302 Varennes-lès-Narcy", "58303 Varennes-Vauzelles"]
    assert table.place(name="Paris").status == "unmatched"
    assert "not found" in table.place(name="Paris").reason
    assert "no INSEE code" in table.place().reason
    unknown = table.place(insee="75056", name="Narcy")
    assert unknown.citycode == "58189"
    assert "75056 not in the communes table" in unknown.reason


def test_a_user_table_for_another_territory():
    frame = pd.DataFrame(
        {
            "INSEE": ["19005", "19010", "19011"],
            "Name": ["Allassac", "Argentat-sur-Dordogne", "Arnac-Pompadour"],
            "Postcodes": ["19240", "19400;19320", "19230"],
            "Longitude": ["1,4758", "1,9373", "1,3824"],
            "Latitude": ["45,2578", "45,0936", "45,3997"],
        }
    )
    table = CommuneTable(frame)
    res = table.place(postcode="19320", name="argentat")
    assert (res.citycode, res.lon, res.lat) == ("19010", 1.9373, 45.0936)
    assert res.postcode == "19320"
    assert table.place(postcode="19230").citycode == "19011"
    with pytest.raises(EitError) as err:
        CommuneTable(frame.drop(columns=["Latitude"]))
    assert err.value.code == "communes_missing_column"


def test_user_table_from_a_semicolon_file(tmp_path):
    path = tmp_path / "communes.csv"
    path.write_text(
        "code_commune;nom_commune;code_postal;lon;lat\n19005;Allassac;19240;1.4758;45.2578\n",
        encoding="utf-8",
    )
    table = load_communes(path)
    assert table.place(name="ALLASSAC").citycode == "19005"


def test_place_many(table):
    frame = pd.DataFrame(
        {
            "citycode": ["58059", None, "", ""],
            "postcode": [None, "58400", "58400", 58000.0],
            "city": [None, None, "Raveau", "Nevers"],
        },
        index=["a", "b", "c", "d"],
    )
    res = table.place_many(frame, RecordingProgress())
    assert list(res.index) == ["a", "b", "c", "d"]
    assert list(res["citycode"]) == ["58059", "", "58220", "58194"]
    assert list(res["status"]) == ["approximate", "unmatched", "approximate", "approximate"]
    assert "58189 Narcy" in res.loc["b", "candidates"]
    with pytest.raises(Canceled):
        table.place_many(pd.concat([frame] * 600), RecordingProgress(cancel_after=1))
