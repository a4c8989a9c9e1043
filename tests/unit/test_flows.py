"""The flow model: actors, flows, validation, normalisation, rejected rows, geometry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.errors import Canceled, EitError
from eit_synergies.core.flows import (
    EXTRA_FIELDS,
    OUTPUT_FIELDS,
    REJECTED_FIELDS,
    attach_geometry,
    build_flows,
    read_actors,
    read_flows,
)
from eit_synergies.core.months import ALL_MONTHS, months_mask, months_text, parse_months
from eit_synergies.core.progress import RecordingProgress

ACTORS = """Identifiant;Nom;Catégorie;Longitude;Latitude;Confidentiel
A1;Scierie Dupont;industrie;3,15;47,05;non
A2;Mairie;collectivité;3.2;47.1;oui
A3;Ferme du Bois;agriculture;;;
"""
HEADER = "Acteur;Sens;Ressource;Libellé;Quantité;Unité;Mois;Année;Confidentiel;Commentaire\n"


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue.builtin()


@pytest.fixture
def actors(tmp_path):
    path = tmp_path / "acteurs.csv"
    path.write_text(ACTORS, encoding="utf-8")
    return read_actors(path)


def run(tmp_path, actors, catalogue, lines, header=HEADER, progress=None):
    """Build flows from CSV ``lines`` (without header) written to flux.csv."""
    path = tmp_path / "flux.csv"
    path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8")
    result = build_flows(actors, read_flows(path), catalogue, progress=progress)
    counts = result.counts
    assert counts["rows_read"] == counts["rows_used"] + counts["rows_rejected"]
    assert counts["rows_used"] == len(result.supply) + len(result.need)
    assert counts["rows_rejected"] == len(result.rejected)
    return result


def only_rejection(result):
    assert len(result.rejected) == 1, result.rejected
    return result.rejected.iloc[0]


# ----------------------------------------------------------------------- actors


def test_read_actors(actors):
    frame = actors.frame
    assert frame["actor_id"].tolist() == ["A1", "A2", "A3"]
    assert frame["name"].tolist() == ["Scierie Dupont", "Mairie", "Ferme du Bois"]
    assert frame["confidential"].tolist() == [False, True, False]
    assert frame["longitude"].tolist()[:2] == [3.15, 3.2]
    assert frame["latitude"].tolist()[:2] == [47.05, 47.1]
    assert frame["coord_status"].tolist() == ["given", "given", "missing"]
    assert frame["Catégorie"].tolist() == ["industrie", "collectivité", "agriculture"]
    assert actors.rejected.empty


def test_actor_coordinates_outside_wgs84_are_flagged(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "id;lon;lat\nL93;700000;6600000\nBAD;abc;47\nHALF;3.1;\nOK;-1,5;48\n", encoding="utf-8"
    )
    frame = read_actors(path).frame
    assert frame["coord_status"].tolist() == ["out_of_range", "invalid", "incomplete", "given"]
    assert frame["longitude"].isna().tolist() == [True, True, True, False]
    assert frame["lon"].tolist()[0] == "700000"  # the user's value is kept


def test_actor_confidential_values(tmp_path):
    path = tmp_path / "a.csv"
    values = ["oui", "non", "yes", "no", "true", "false", "1", "0", "x", "", "peut-être"]
    path.write_text(
        "id;confidentiel\n" + "".join(f"A{i};{v}\n" for i, v in enumerate(values)),
        encoding="utf-8",
    )
    table = read_actors(path)
    expected = [True, False, True, False, True, False, True, False, True, False, True]
    assert table.frame["confidential"].tolist() == expected
    assert len(table.notes) == 1 and "row" in table.notes[0] and "12" in table.notes[0]


def test_duplicated_actor_ids_raise_before_any_output(tmp_path):
    path = tmp_path / "acteurs.csv"
    path.write_text("id;nom\nA1;x\nA2;y\n A1 ;z\nA2;w\nA3;v\n", encoding="utf-8")
    with pytest.raises(EitError) as info:
        read_actors(path)
    error = info.value
    assert error.code == "duplicate_actor_id"
    assert error.data["file"] == "acteurs.csv"
    assert error.data["ids"] == ["A1", "A2"]
    assert error.data["rows"] == [[2, 4], [3, 5]]
    # build_flows reading the same file refuses it too, before producing anything
    flows = tmp_path / "flux.csv"
    flows.write_text("acteur;sens;ressource\nA1;besoin;WOOD_CHIPS\n", encoding="utf-8")
    with pytest.raises(EitError) as info:
        build_flows(path, flows)
    assert info.value.code == "duplicate_actor_id"


def test_actor_without_id_is_rejected(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id;nom\nA1;x\n;orphelin\n", encoding="utf-8")
    table = read_actors(path)
    assert table.frame["actor_id"].tolist() == ["A1"]
    assert table.rejected["row"].tolist() == [3]
    assert table.rejected["reason_code"].tolist() == ["missing_actor_id"]
    assert json.loads(table.rejected["values"][0]) == {"id": None, "nom": "orphelin"}


def test_postcodes_get_back_their_leading_zero():
    frame = read_actors(
        pd.DataFrame({"id": ["A", "B"], "cp": [1000, "58400"], "insee": ["1053", "58086"]})
    ).frame
    assert frame["postcode"].tolist() == ["01000", "58400"]
    assert frame["insee"].tolist() == ["01053", "58086"]


# ----------------------------------------------------------------------- output


def test_output_fields_and_values(tmp_path, actors, catalogue):
    result = run(
        tmp_path,
        actors,
        catalogue,
        [
            "A1;gisement;20 02 01;tontes;12,5;m3/mois;3-10;2023;;fauche",
            "A2;besoin;ORG_GREEN_WASTE;compost;100;t;;2024;;",
        ],
    )
    expected_columns = list(OUTPUT_FIELDS) + list(EXTRA_FIELDS)
    assert list(result.supply.columns) == expected_columns
    assert list(result.need.columns) == expected_columns
    supply = result.supply.iloc[0]
    density = catalogue.get("ORG_GREEN_WASTE").density_t_per_m3
    assert supply["actor_id"] == "A1"
    assert supply["actor_name"] == "Scierie Dupont"
    assert supply["actor_category"] == "industrie"
    assert supply["direction"] == "supply"
    assert supply["resource"] == "ORG_GREEN_WASTE"
    assert supply["resource_label"] == catalogue.get("ORG_GREEN_WASTE").label_fr
    assert supply["family"] == "organic"
    assert supply["synergy_type"] == "substitution"
    assert supply["quantity"] == 12.5 and supply["unit"] == "m3/mois"
    assert supply["quantity_norm"] == pytest.approx(12.5 * 12 * density)
    assert supply["unit_norm"] == "t/yr"
    assert supply["months"] == "3-10"
    assert not supply["confidential"]
    assert supply["ler_code"] == "200201" and not supply["hazardous"]
    assert supply["label"] == "tontes" and supply["comment"] == "fauche"
    assert supply["year"] == 2023
    assert "density" in supply["conversion"]
    assert supply["row"] == 2
    assert supply["max_distance_km"] == catalogue.get("ORG_GREEN_WASTE").max_distance_km
    need = result.need.iloc[0]
    assert need["direction"] == "need" and need["quantity_norm"] == 100
    assert need["months"] == "1-12"
    assert need["confidential"]  # the actor A2 is confidential
    assert need["ler_code"] is None
    assert list(result.rejected.columns) == list(REJECTED_FIELDS)


@pytest.mark.parametrize(
    "word",
    [
        "gisement",
        "Sortant",
        "sortie",
        "OFFRE",
        "disponible",
        "production",
        "supply",
        "output",
        "out",
        "O",
        "s",
    ],
)
def test_supply_direction_words(tmp_path, actors, catalogue, word):
    result = run(tmp_path, actors, catalogue, [f"A1;{word};WOOD_CHIPS;;1;t;;;;"])
    assert len(result.supply) == 1 and result.supply["direction"][0] == "supply"


@pytest.mark.parametrize(
    "word",
    [
        "besoin",
        "Entrant",
        "entrée",
        "DEMANDE",
        "recherche",
        "consommation",
        "need",
        "input",
        "in",
        "demand",
        "i",
        "b",
    ],
)
def test_need_direction_words(tmp_path, actors, catalogue, word):
    result = run(tmp_path, actors, catalogue, [f"A1;{word};WOOD_CHIPS;;1;t;;;;"])
    assert len(result.need) == 1 and result.need["direction"][0] == "need"


def test_confidential_is_the_flow_flag_or_the_actor_flag(tmp_path, actors, catalogue):
    result = run(
        tmp_path,
        actors,
        catalogue,
        [
            "A1;besoin;WOOD_CHIPS;;1;t;;;oui;",
            "A1;besoin;WOOD_CHIPS;;2;t;;;non;",
            "A2;besoin;WOOD_CHIPS;;3;t;;;non;",
        ],
    )
    by_row = dict(zip(result.need["row"], result.need["confidential"], strict=True))
    assert by_row == {2: True, 3: False, 4: True}


def test_empty_quantity_is_accepted_as_unknown(tmp_path, actors, catalogue):
    result = run(
        tmp_path,
        actors,
        catalogue,
        ["A3;besoin;EQ_SHREDDER;broyeur partagé;;;;;;", "A1;gisement;WOOD_PALLETS;palettes;;;;;;"],
    )
    assert result.counts["rows_rejected"] == 0
    for frame in (result.need, result.supply):
        assert np.isnan(frame["quantity"][0]) and np.isnan(frame["quantity_norm"][0])
    assert result.need["synergy_type"][0] == "mutualisation"
    assert result.need["unit"][0] == catalogue.get("EQ_SHREDDER").default_unit


def test_empty_unit_is_the_default_unit_per_year(tmp_path, actors, catalogue):
    result = run(tmp_path, actors, catalogue, ["A1;besoin;EN_HEAT_LT;;250;;;;;"])
    need = result.need.iloc[0]
    assert need["unit"] == "MWh" and need["quantity_norm"] == 250
    assert need["conversion"] == "no unit given: MWh/yr assumed"


def test_ler_code_with_spaces_and_star(tmp_path, actors, catalogue):
    hazardous = catalogue.resolve("17 06 05*")
    result = run(tmp_path, actors, catalogue, ["A1;gisement;17 06 05*;;1;t;;;;"])
    supply = result.supply.iloc[0]
    assert supply["resource"] == hazardous.resource.code
    assert supply["ler_code"] == "170605" and supply["hazardous"]


# ----------------------------------------------------------------------- rejections


def test_unknown_resource_code_gets_three_suggestions(tmp_path, actors, catalogue):
    result = run(tmp_path, actors, catalogue, ["A1;gisement;ORG_GREN_WASTE;;1;t;;;;"])
    rejected = only_rejection(result)
    assert rejected["reason_code"] == "unknown_resource"
    assert rejected["field"] == "Ressource"  # the user's header
    assert rejected["value"] == "ORG_GREN_WASTE"
    suggestions = rejected["suggestions"].split(", ")
    assert len(suggestions) == 3 and suggestions[0] == "ORG_GREEN_WASTE"
    assert "ORG_GREEN_WASTE" in rejected["reason"]
    assert rejected["row"] == 2 and rejected["source"] == "flux.csv"
    values = json.loads(rejected["values"])
    assert values["Ressource"] == "ORG_GREN_WASTE" and values["Quantité"] == "1"


def test_unknown_unit_is_rejected(tmp_path, actors, catalogue):
    rejected = only_rejection(
        run(tmp_path, actors, catalogue, ["A1;besoin;WOOD_CHIPS;;1;big bags;;;;"])
    )
    assert rejected["reason_code"] == "unknown_unit"
    assert rejected["field"] == "Unité" and rejected["value"] == "big bags"
    assert "big bags" in rejected["reason"]


def test_energy_of_gypsum_is_rejected(tmp_path, actors, catalogue):
    rejected = only_rejection(
        run(tmp_path, actors, catalogue, ["A1;gisement;MIN_GYPSUM;;5;MWh;;;;"])
    )
    assert rejected["reason_code"] == "unit_mismatch"
    assert "MWh" in rejected["reason"] and "MIN_GYPSUM" in rejected["reason"]


def test_negative_quantity_is_rejected(tmp_path, actors, catalogue):
    rejected = only_rejection(run(tmp_path, actors, catalogue, ["A1;besoin;WOOD_CHIPS;;-5;t;;;;"]))
    assert rejected["reason_code"] == "negative_quantity"
    assert rejected["field"] == "Quantité" and rejected["value"] == "-5"


def test_non_numeric_quantity_is_rejected(tmp_path, actors, catalogue):
    rejected = only_rejection(
        run(tmp_path, actors, catalogue, ["A1;besoin;WOOD_CHIPS;;beaucoup;t;;;;"])
    )
    assert rejected["reason_code"] == "non_numeric_quantity"
    assert rejected["value"] == "beaucoup"


def test_unknown_actor_is_rejected_with_close_ids(tmp_path, actors, catalogue):
    rejected = only_rejection(run(tmp_path, actors, catalogue, ["A9;besoin;WOOD_CHIPS;;1;t;;;;"]))
    assert rejected["reason_code"] == "unknown_actor"
    assert rejected["field"] == "Acteur" and rejected["value"] == "A9"
    assert "acteurs.csv" in rejected["reason"]
    assert len(rejected["suggestions"].split(", ")) == 3


def test_missing_actor_is_rejected(tmp_path, actors, catalogue):
    rejected = only_rejection(run(tmp_path, actors, catalogue, [";besoin;WOOD_CHIPS;;1;t;;;;"]))
    assert rejected["reason_code"] == "missing_actor"


def test_unknown_direction_is_rejected(tmp_path, actors, catalogue):
    rejected = only_rejection(
        run(tmp_path, actors, catalogue, ["A1;peut-être;WOOD_CHIPS;;1;t;;;;"])
    )
    assert rejected["reason_code"] == "unknown_direction"
    assert rejected["field"] == "Sens" and rejected["value"] == "peut-être"


def test_bad_months_and_bad_year_are_rejected(tmp_path, actors, catalogue):
    result = run(
        tmp_path,
        actors,
        catalogue,
        ["A1;besoin;WOOD_CHIPS;;1;t;13;;;", "A1;besoin;WOOD_CHIPS;;1;t;;20023;;"],
    )
    assert result.rejected["reason_code"].tolist() == ["bad_months", "bad_year"]
    assert result.rejected["row"].tolist() == [2, 3]


def test_other_problems_of_a_rejected_row_are_listed(tmp_path, actors, catalogue):
    rejected = only_rejection(
        run(tmp_path, actors, catalogue, ["A9;besoin;WOOD_CHIPS;;-1;zorglub;;;;"])
    )
    assert rejected["reason_code"] == "unknown_actor"
    assert rejected["other_reasons"] == "negative_quantity; unknown_unit"


def test_counts_and_summary_are_logged(tmp_path, actors, catalogue):
    progress = RecordingProgress()
    result = run(
        tmp_path,
        actors,
        catalogue,
        [
            "A1;gisement;WOOD_CHIPS;;1;t;;;;",
            "A2;besoin;WOOD_CHIPS;;2;t;;;;",
            "A9;besoin;WOOD_CHIPS;;1;t;;;;",
        ],
        progress=progress,
    )
    assert result.counts == {
        "rows_read": 3,
        "rows_used": 2,
        "rows_rejected": 1,
        "supply": 1,
        "need": 1,
    }
    assert progress.messages[0] == result.summary()
    assert "3 rows read = 2 used (1 supply, 1 need) + 1 rejected" in result.summary()
    assert "unknown_actor: 1" in result.summary()
    assert progress.fractions[0] == 0.0 and progress.fractions[-1] == 1.0
    assert progress.fractions == sorted(progress.fractions)


def test_cancel(tmp_path, actors, catalogue):
    with pytest.raises(Canceled):
        run(
            tmp_path,
            actors,
            catalogue,
            ["A1;gisement;WOOD_CHIPS;;1;t;;;;"],
            progress=RecordingProgress(cancel_after=2),
        )


# ----------------------------------------------------------------------- flow ids


def test_own_flow_ids_are_kept_and_duplicates_rejected(tmp_path, actors, catalogue):
    header = "id;acteur;sens;ressource;quantite\n"
    result = run(
        tmp_path,
        actors,
        catalogue,
        [
            "F1;A1;gisement;WOOD_CHIPS;1",
            "F2;A1;besoin;WOOD_CHIPS;1",
            "F2;A2;besoin;WOOD_CHIPS;2",
            ";A2;besoin;WOOD_CHIPS;3",
        ],
        header=header,
    )
    assert result.supply["flow_id"].tolist() == ["F1"]
    assert result.need["flow_id"].tolist() == ["A2:need:WOOD_CHIPS:1"]
    assert result.rejected["reason_code"].tolist() == ["duplicate_flow_id"] * 2
    assert result.rejected["row"].tolist() == [3, 4]


def test_derived_flow_ids_are_stable_when_rows_are_reordered(tmp_path, actors, catalogue):
    lines = [
        "A1;gisement;WOOD_CHIPS;plaquettes;10;t;;;;",
        "A1;gisement;WOOD_CHIPS;sciure fine;4;t;;;;",
        "A1;gisement;WOOD_CHIPS;plaquettes;10;t;;;;",  # same content as the first
        "A1;besoin;WOOD_CHIPS;;1;t;;;;",
        "A2;gisement;WOOD_CHIPS;;7;t;;;;",
        "A1;gisement;EN_HEAT_LT;;7;MWh;;;;",
    ]

    def ids(order):
        result = run(tmp_path, actors, catalogue, [lines[i] for i in order])
        flows = result.flows
        return sorted(zip(flows["flow_id"], flows["label"].fillna(""), strict=True))

    first = ids(range(len(lines)))
    assert ids([5, 2, 4, 1, 3, 0]) == first
    assert ids([3, 1, 0, 5, 4, 2]) == first
    flow_ids = [fid for fid, _ in first]
    assert len(set(flow_ids)) == len(lines)
    assert ("A1:supply:WOOD_CHIPS:3", "sciure fine") in first
    assert "A1:need:WOOD_CHIPS:1" in flow_ids and "A1:supply:EN_HEAT_LT:1" in flow_ids


# ----------------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("text", "canonical", "months"),
    [
        ("3-10", "3-10", range(3, 11)),
        ("11-2", "11-2", [11, 12, 1, 2]),
        ("1,2,3", "1-3", [1, 2, 3]),
        ("1;2;6", "1-2,6", [1, 2, 6]),
        ("mars-octobre", "3-10", range(3, 11)),
        ("de novembre à février", "11-2", [11, 12, 1, 2]),
        ("Juin, Juillet et Août", "6-8", [6, 7, 8]),
        ("sept-déc", "9-12", [9, 10, 11, 12]),
        ("april to june", "4-6", [4, 5, 6]),
        ("5", "5", [5]),
        ("toute l'année", "1-12", range(1, 13)),
        ("", "1-12", range(1, 13)),
        (None, "1-12", range(1, 13)),
        ("2024-10-03 00:00:00", "3-10", range(3, 11)),  # Excel turned "3-10" into 3 October
    ],
)
def test_months(text, canonical, months):
    expected_mask = sum(1 << (m - 1) for m in months)
    assert parse_months(text) == (canonical, expected_mask)
    assert months_mask(text) == expected_mask
    assert months_mask(canonical) == expected_mask


@pytest.mark.parametrize("text", ["13", "0", "3-15", "printemps", "1-2-3"])
def test_months_not_understood(text):
    assert parse_months(text) == (None, None)
    with pytest.raises(EitError) as info:
        months_mask(text)
    assert info.value.code == "bad_months"


def test_months_text():
    assert months_text(ALL_MONTHS) == "1-12"
    assert months_text(0b100000000011) == "12-2"
    assert months_text(0b000000100101) == "1,3,6"


# ----------------------------------------------------------------------- large file


def test_200000_rows_counts_and_row_numbers(tmp_path, actors, catalogue):
    n = 200_000
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "Acteur": rng.choice(["A1", "A2", "A3"], n),
            "Sens": rng.choice(["gisement", "besoin", "Entrant"], n),
            "Ressource": rng.choice(["WOOD_CHIPS", "20 02 01", "EN_HEAT_LT"], n),
            "Quantité": [f"{q:.2f}".replace(".", ",") for q in rng.uniform(0, 100, n)],
        }
    )
    frame["Unité"] = np.where(frame["Ressource"] == "EN_HEAT_LT", "kWh/mois", "kg/semaine")
    planted = {  # data index -> (column, value, reason)
        17: ("Ressource", "XYZ_INCONNU", "unknown_resource"),
        4_321: ("Unité", "zorglub", "unknown_unit"),
        99_999: ("Quantité", "-3", "negative_quantity"),
        150_000: ("Acteur", "A404", "unknown_actor"),
        199_999: ("Sens", "???", "unknown_direction"),
    }
    for index, (column, value, _) in planted.items():
        frame.loc[index, column] = value
    path = tmp_path / "gros.csv"
    frame.to_csv(path, sep=";", index=False)
    result = build_flows(actors, read_flows(path), catalogue)
    assert result.counts["rows_read"] == n
    assert result.counts["rows_rejected"] == len(planted)
    assert result.counts["rows_used"] == n - len(planted)
    assert len(result.supply) + len(result.need) == n - len(planted)
    rejected = result.rejected.set_index("row")["reason_code"].to_dict()
    assert rejected == {index + 2: reason for index, (_, _, reason) in planted.items()}
    all_rows = np.sort(np.concatenate([result.flows["row"], result.rejected["row"]]))
    assert (all_rows == np.arange(2, n + 2)).all()
    heat = result.need[result.need["resource"] == "EN_HEAT_LT"].iloc[0]
    assert heat["quantity_norm"] == pytest.approx(heat["quantity"] * 12 / 1000)
    assert result.flows["flow_id"].is_unique


# ----------------------------------------------------------------------- geometry


def test_attach_geometry_places_flows_at_their_actor(tmp_path, actors, catalogue):
    import geopandas as gpd
    from shapely.geometry import Point

    result = run(
        tmp_path,
        actors,
        catalogue,
        [
            "A1;gisement;WOOD_CHIPS;;1;t;;;;",
            "A3;gisement;WOOD_CHIPS;;2;t;;;;",
            "A2;gisement;WOOD_CHIPS;;3;t;;;;",
        ],
    )
    actors_gdf = gpd.GeoDataFrame(
        {"actor_id": ["A1", "A2", "A3"]},
        geometry=[Point(720000, 6680000), Point(721000, 6681000), None],
        crs="EPSG:2154",
    )
    placed = attach_geometry(result.supply, actors_gdf)
    assert isinstance(placed, gpd.GeoDataFrame)
    assert placed.crs.to_epsg() == 2154
    assert len(placed) == 3
    by_actor = dict(zip(placed["actor_id"], placed.geometry, strict=True))
    assert by_actor["A1"].equals(Point(720000, 6680000))
    assert by_actor["A2"].equals(Point(721000, 6681000))
    assert by_actor["A3"] is None
    assert placed.attrs["no_geometry"] == placed.loc[placed["actor_id"] == "A3", "flow_id"].tolist()
    assert placed["quantity"].tolist() == result.supply["quantity"].tolist()


def test_attach_geometry_refuses_duplicated_actors(tmp_path, actors, catalogue):
    import geopandas as gpd
    from shapely.geometry import Point

    result = run(tmp_path, actors, catalogue, ["A1;gisement;WOOD_CHIPS;;1;t;;;;"])
    actors_gdf = gpd.GeoDataFrame(
        {"actor_id": ["A1", "A1"]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:4326"
    )
    with pytest.raises(EitError) as info:
        attach_geometry(result.supply, actors_gdf)
    assert info.value.code == "duplicate_actor_id"


# ----------------------------------------------------------------------- other inputs


def test_flows_from_a_workbook_and_a_dataframe(tmp_path, actors, catalogue):
    frame = pd.DataFrame(
        {
            "actor": ["A1", "A2"],
            "direction": ["supply", "need"],
            "resource": ["WOOD_CHIPS"] * 2,
            "quantity": [2.5, 4],
            "unit": ["t/yr", "kg/month"],
        }
    )
    path = tmp_path / "flows.xlsx"
    frame.to_excel(path, index=False)
    from_book = build_flows(actors, read_flows(path), catalogue)
    from_frame = build_flows(actors, read_flows(frame, name="layer"), catalogue)
    for result in (from_book, from_frame):
        assert result.supply["quantity_norm"].tolist() == [2.5]
        assert result.need["quantity_norm"].tolist() == [pytest.approx(0.048)]
    assert from_frame.source == "layer"


def test_attach_geometry_finds_the_id_column_of_a_geocoded_layer(tmp_path, actors, catalogue):
    import geopandas as gpd
    from shapely.geometry import Polygon

    result = run(tmp_path, actors, catalogue, ["A1;besoin;WOOD_CHIPS;;1;t;;;;"])
    geocoded = gpd.GeoDataFrame(
        {"Identifiant": ["A1"], "geo_status": ["matched"]},
        geometry=[Polygon([(0, 0), (2, 0), (2, 2), (0, 2)])],
        crs="EPSG:4326",
    )
    placed = attach_geometry(result.need, geocoded)
    point = placed.geometry.iloc[0]
    assert point.geom_type == "Point" and geocoded.geometry.iloc[0].contains(point)
    assert placed.attrs["no_geometry"] == []


def test_typed_frame_from_a_layer(actors, catalogue):
    # what the QGIS glue gives: typed columns, feature ids in "row"
    frame = pd.DataFrame(
        {
            "acteur": ["A1", "A3"],
            "sens": ["gisement", "besoin"],
            "ressource": ["EN_HEAT_LT", "WAT_PROCESS"],
            "quantite": [1500.0, np.nan],
            "unite": ["kWh/mois", None],
            "annee": [2023, 2024],
            "confidentiel": [True, False],
            "row": [7, 9],
        }
    )
    result = build_flows(actors, read_flows(frame, name="flux"), catalogue)
    assert result.counts["rows_rejected"] == 0
    supply, need = result.supply.iloc[0], result.need.iloc[0]
    assert supply["quantity_norm"] == pytest.approx(18.0)
    assert supply["confidential"] and supply["year"] == 2023 and supply["row"] == 7
    assert np.isnan(need["quantity"]) and need["unit"] == "m3" and need["row"] == 9


# ----------------------------------------------------------------------- words (issue 13)


def test_resources_written_in_words_are_used_and_flagged(tmp_path, actors, catalogue):
    progress = RecordingProgress()
    result = run(
        tmp_path,
        actors,
        catalogue,
        [
            "A1;gisement;Palettes bois cassées;;12;t/an;;;;",
            "A3;besoin;ORG_MANURE;;5;t;;;;",
            "A2;gisement;Boues de la STEP communale;;300;t/an;;;;",
        ],
        progress=progress,
    )
    supply = result.supply.set_index("actor_id")
    assert supply.loc["A1", "resource"] == "WOOD_PALLETS"
    assert bool(supply.loc["A1", "resource_from_text"])
    assert supply.loc["A1", "resource_text"] == "Palettes bois cassées"
    assert 0.7 <= supply.loc["A1", "resource_confidence"] <= 1
    assert supply.loc["A2", "resource"] == "ORG_SEWAGE_SLUDGE"
    need = result.need.iloc[0]
    assert not need["resource_from_text"] and need["resource_text"] is None
    assert np.isnan(need["resource_confidence"])
    review = [line for line in progress.messages if "in words, to review" in line]
    assert review and "'Palettes bois cassées' -> WOOD_PALLETS" in review[0]


def test_unsure_words_are_rejected_with_three_suggestions(tmp_path, actors, catalogue):
    result = run(tmp_path, actors, catalogue, ["A1;gisement;cartons et plastiques;;3;t;;;;"])
    row = only_rejection(result)
    assert row["reason_code"] == "unknown_resource"
    suggestions = row["suggestions"].split(", ")
    assert len(suggestions) == 3
    assert {"REC_CARDBOARD", "REC_PLASTIC"} <= set(suggestions)


def test_two_sided_words_follow_the_direction(tmp_path, actors, catalogue):
    result = run(
        tmp_path,
        actors,
        catalogue,
        ["A1;gisement;froid;;100;MWh;;;;", "A2;besoin;froid;;100;MWh;;;;"],
    )
    assert result.supply["resource"].tolist() == ["EN_COLD"]
    assert result.need["resource"].tolist() == ["EN_COLD_NEED"]


def test_fuel_need_in_energy_is_converted_with_its_calorific_value(tmp_path, actors, catalogue):
    result = run(tmp_path, actors, catalogue, ["A3;besoin;EN_BIOMASS_FUEL;;349;MWh/an;;;;"])
    need = result.need.iloc[0]
    assert need["unit_norm"] == "t/yr"
    assert need["quantity_norm"] == pytest.approx(100)
    assert "calorific value" in need["conversion"]
