"""Reading the user's tables: CSV dialects and encodings, workbooks, GeoPackage, columns."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import EitError
from eit_synergies.core.tables import (
    ACTOR_FIELDS,
    ACTOR_REQUIRED,
    FLOW_FIELDS,
    FLOW_REQUIRED,
    detect_encoding,
    encode,
    load_table,
    match_columns,
    normalise_id,
    normalise_key,
    read_table,
    sniff_delimiter,
    to_bool,
    to_number,
)

ACTORS_FR = (
    "Identifiant;Nom;Catégorie;Commune\nA1;Scierie Dupré;industrie;Cosne\n"
    "A2;Mairie;public;Pouilly\n"
)


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def load_actors(source, **kwargs):
    return load_table(source, ACTOR_FIELDS, required=ACTOR_REQUIRED, **kwargs)


# ----------------------------------------------------------------------- CSV dialects


def test_csv_with_comma_delimiter(tmp_path):
    path = write(tmp_path / "a.csv", "id,name,city\nA1,Scierie,Cosne\nA2,Mairie,Pouilly\n")
    frame = load_actors(path)
    assert frame["actor_id"].tolist() == ["A1", "A2"]
    assert frame["name"].tolist() == ["Scierie", "Mairie"]
    assert frame["city"].tolist() == ["Cosne", "Pouilly"]


def test_csv_with_semicolon_delimiter_and_decimal_commas(tmp_path):
    text = "id;nom;longitude;latitude\nA1;Scierie, sarl;3,15;47,05\n"
    frame = load_actors(write(tmp_path / "a.csv", text))
    assert frame["name"].tolist() == ["Scierie, sarl"]  # the comma inside a value stays
    values, bad = to_number(frame["longitude"])
    assert values.tolist() == [3.15] and not bad.any()


def test_sniff_delimiter_prefers_the_most_frequent_outside_quotes():
    assert sniff_delimiter('id;"nom, prénom";ville') == ";"
    assert sniff_delimiter("id,nom,ville") == ","
    assert sniff_delimiter("id\tnom") == "\t"
    assert sniff_delimiter("id") == ","


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + ACTORS_FR.encode("utf-8"))
    frame = load_actors(path)
    assert "Identifiant" in frame.columns  # the BOM is not glued to the first header
    assert frame["name"].tolist() == ["Scierie Dupré", "Mairie"]
    assert frame["category"].tolist() == ["industrie", "public"]


def test_latin1_windows_file(tmp_path):
    text = ACTORS_FR.replace("Mairie", "Mairie € œuvre")
    path = write(tmp_path / "latin.csv", text, "cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    frame = load_actors(path)
    assert frame["name"].tolist() == ["Scierie Dupré", "Mairie € œuvre"]
    assert frame["category"].tolist() == ["industrie", "public"]


def test_utf16_with_bom_is_read(tmp_path):
    # Excel's "Unicode text" export: UTF-16 with byte-order mark
    path = write(tmp_path / "u16.csv", ACTORS_FR, "utf-16")
    frame = load_actors(path)
    assert frame["name"].tolist() == ["Scierie Dupré", "Mairie"]


def test_utf16_without_bom_is_refused_with_a_clear_error(tmp_path):
    path = write(tmp_path / "u16le.csv", ACTORS_FR, "utf-16-le")
    with pytest.raises(EitError) as info:
        load_actors(path)
    assert info.value.code == "bad_encoding"
    assert info.value.data["file"] == "u16le.csv"
    assert info.value.data["tried"] == ["utf-8", "cp1252"]
    assert "UTF-16" in str(info.value)


def test_bytes_neither_utf8_nor_cp1252_are_refused(tmp_path):
    # 0x81 and 0x8d are undefined in cp1252 and invalid as UTF-8
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id;nom\nA1;caf\x81\x8d\n")
    with pytest.raises(EitError) as info:
        read_table(path)
    assert info.value.code == "bad_encoding"
    assert info.value.data["position"] == len(b"id;nom\nA1;caf")


def test_detect_encoding_names():
    assert detect_encoding("é".encode(), "f") == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + b"a", "f") == "utf-8-sig"
    assert detect_encoding("é".encode("cp1252"), "f") == "cp1252"
    assert detect_encoding("é".encode("utf-16"), "f") == "utf-16"


def test_empty_file(tmp_path):
    for name, content in (("zero.csv", b""), ("blank.csv", b"\n\n  \n")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(EitError) as info:
            read_table(path)
        assert info.value.code == "empty_file"
        assert info.value.data["file"] == name


def test_header_without_rows_is_an_empty_file(tmp_path):
    with pytest.raises(EitError) as info:
        read_table(write(tmp_path / "h.csv", "id;nom\n"))
    assert info.value.code == "empty_file"
    assert info.value.data["columns"] == ["id", "nom"]


def test_missing_file():
    with pytest.raises(EitError) as info:
        read_table("/nonexistent/acteurs.csv")
    assert info.value.code == "file_not_found"


def test_row_numbers_are_spreadsheet_rows_blank_lines_included(tmp_path):
    text = '\nid;nom\nA1;x\n\nA2;y\n;\nA3;"multi\nligne"\nA4;z\n'
    frame = read_table(write(tmp_path / "rows.csv", text))
    # leading blank line = row 1, header = row 2, blank line 5 and the empty row 7 skipped
    assert frame["id"].tolist() == ["A1", "A2", "A3", "A4"]
    assert frame["row"].tolist() == [3, 5, 7, 8]


def test_row_with_too_many_fields_is_set_aside_with_its_row(tmp_path):
    text = "id,nom\nA1,x\nA2,12,5\nA3,y\n"
    frame = read_table(write(tmp_path / "bad.csv", text))
    assert frame["id"].tolist() == ["A1", "A3"] and frame["row"].tolist() == [2, 4]
    rejects = frame.attrs["read_rejected"]
    assert rejects.rows == [3] and rejects.codes == ["too_many_fields"]
    assert "3 fields where the header has 2" in rejects.reasons[0]
    assert rejects.excerpts == ["A2,12,5"]


def test_a_file_where_no_row_fits_the_header_is_refused_at_once(tmp_path):
    text = "Bilan des flux;2024\nA1;gisement;bois\nA2;besoin;bois;12\n\n"
    with pytest.raises(EitError) as info:
        read_table(write(tmp_path / "bad.csv", text))
    assert info.value.code == "bad_csv_row"
    assert info.value.data["row"] == 2
    assert info.value.data["found_fields"] == 3 and info.value.data["expected_fields"] == 2


def test_values_are_read_as_text(tmp_path):
    frame = read_table(write(tmp_path / "t.csv", "id;cp;q\n007;01000;1,5\n"))
    assert frame["id"].tolist() == ["007"]
    assert frame["cp"].tolist() == ["01000"]
    assert frame["q"].tolist() == ["1,5"]


# ----------------------------------------------------------------------- other formats


def test_xlsx_written_and_read_back(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Identifiant", "Nom", "Latitude"])
    sheet.append(["A1", "Scierie", 47.05])
    sheet.append([])  # a blank row: row numbers must still match the sheet
    sheet.append([12, "Mairie", 47.1])
    path = tmp_path / "acteurs.xlsx"
    book.save(path)
    frame = load_actors(path)
    assert frame["row"].tolist() == [2, 4]
    assert normalise_id(frame["actor_id"]).tolist() == ["A1", "12"]
    assert to_number(frame["latitude"])[0].tolist() == [47.05, 47.1]


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "notes"
    book.active.append(["rien"])
    sheet = book.create_sheet("acteurs")
    sheet.append(["id", "nom"])
    sheet.append(["A1", "x"])
    path = tmp_path / "classeur.xlsx"
    book.save(path)
    assert load_actors(path, layer="acteurs")["actor_id"].tolist() == ["A1"]
    with pytest.raises(EitError) as info:
        read_table(path, layer="absent")
    assert info.value.code == "missing_layer"


def test_ods_written_and_read_back(tmp_path):
    path = tmp_path / "flux.ods"
    pd.DataFrame(
        {
            "Acteur": ["A1", "A2"],
            "Sens": ["besoin", "gisement"],
            "Ressource": ["WOOD_CHIPS"] * 2,
            "Quantité": [1.5, 3],
        }
    ).to_excel(path, engine="odf", index=False)
    frame = load_table(path, FLOW_FIELDS, required=FLOW_REQUIRED)
    assert frame["actor_id"].tolist() == ["A1", "A2"]
    assert frame["direction"].tolist() == ["besoin", "gisement"]
    assert to_number(frame["quantity"])[0].tolist() == [1.5, 3.0]
    assert frame["row"].tolist() == [2, 3]


def test_geopackage_attributes_and_geometry(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "acteurs.gpkg"
    gpd.GeoDataFrame(
        {"identifiant": ["A1", "A2"], "nom": ["x", "y"]},
        geometry=[Point(3.1, 47.0), Point(3.2, 47.1)],
        crs="EPSG:4326",
    ).to_file(path, layer="acteurs", driver="GPKG")
    frame = load_actors(path)
    assert frame["actor_id"].tolist() == ["A1", "A2"]
    assert "geometry" not in frame.columns
    assert frame["row"].tolist() == [1, 2]  # the feature ids
    with_geometry = read_table(path, keep_geometry=True)
    assert isinstance(with_geometry, gpd.GeoDataFrame)
    assert with_geometry.geometry.x.tolist() == [3.1, 3.2]


def test_dataframe_source_keeps_its_row_column_or_gets_one():
    frame = pd.DataFrame({"ID": ["A1", "A2"], "Name": ["x", "y"]})
    assert load_actors(frame, name="layer")["row"].tolist() == [2, 3]
    frame["row"] = [10, 20]  # e.g. feature ids given by the QGIS glue
    loaded = load_actors(frame, name="layer")
    assert loaded["row"].tolist() == [10, 20]
    assert loaded.attrs["source"] == "layer"


def test_file_kind_comes_from_the_content(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "nom"])
    book.active.append(["A1", "x"])
    path = tmp_path / "actually_excel.csv"
    book.save(path)
    assert load_actors(path)["actor_id"].tolist() == ["A1"]


# ----------------------------------------------------------------------- columns


def test_french_and_english_headers_with_accents_case_spaces():
    columns = [
        "  IDENTIFIANT ",
        "Raison-Sociale",
        "CATÉGORIE",
        "Code Postal",
        "LONG",
        "lat",
        "Confidentialité",
    ]
    mapping = match_columns(columns, ACTOR_FIELDS, required=ACTOR_REQUIRED)
    assert mapping == {
        "actor_id": "  IDENTIFIANT ",
        "name": "Raison-Sociale",
        "category": "CATÉGORIE",
        "postcode": "Code Postal",
        "longitude": "LONG",
        "latitude": "lat",
        "confidential": "Confidentialité",
    }
    flows = [
        "Acteur",
        "SENS",
        "Ressource",
        "Libellé",
        "Quantité (t/an)",
        "Unités",
        "Année",
        "Mois",
        "Commentaires",
        "Identifiant",
    ]
    mapping = match_columns(flows, FLOW_FIELDS, required=FLOW_REQUIRED)
    assert mapping["quantity"] == "Quantité (t/an)"
    assert mapping["unit"] == "Unités"
    assert mapping["flow_id"] == "Identifiant"
    assert mapping["comment"] == "Commentaires"
    assert mapping["year"] == "Année"
    english = match_columns(["actor", "direction", "code", "qty", "months"], FLOW_FIELDS)
    assert english == {
        "actor_id": "actor",
        "direction": "direction",
        "resource": "code",
        "quantity": "qty",
        "months": "months",
    }


def test_field_override_beats_the_guess(tmp_path):
    text = "id;Code entreprise;sens;ressource\nF1;A1;besoin;WOOD_CHIPS\n"
    frame = load_table(
        write(tmp_path / "f.csv", text),
        FLOW_FIELDS,
        {"actor_id": "Code entreprise"},
        FLOW_REQUIRED,
    )
    assert frame["actor_id"].tolist() == ["A1"]
    assert frame["flow_id"].tolist() == ["F1"]
    # the key may be any accepted name, the column is matched like the guess
    mapping = match_columns(["Sens", "X", "R"], FLOW_FIELDS, {"acteur": "x", "ressource": "R"})
    assert mapping["actor_id"] == "X" and mapping["resource"] == "R"
    # an empty override (an unset QGIS field parameter) is ignored
    assert match_columns(["id"], ACTOR_FIELDS, {"name": ""}) == {"actor_id": "id"}


def test_field_override_to_an_absent_column(tmp_path):
    with pytest.raises(EitError) as info:
        match_columns(["id", "nom"], ACTOR_FIELDS, {"name": "Raison sociale"}, file="a.csv")
    assert info.value.code == "missing_column"
    assert info.value.data["expected"] == ["Raison sociale"]
    assert info.value.data["found"] == ["id", "nom"]


def test_override_of_an_unknown_field():
    with pytest.raises(EitError) as info:
        match_columns(["id"], ACTOR_FIELDS, {"colour": "id"})
    assert info.value.code == "unknown_field"


def test_missing_required_column_lists_accepted_names_and_columns_found(tmp_path):
    path = write(tmp_path / "flux.csv", "Acteur;Quantité\nA1;3\n")
    with pytest.raises(EitError) as info:
        load_table(path, FLOW_FIELDS, required=FLOW_REQUIRED)
    error = info.value
    assert error.code == "missing_column"
    assert error.data["file"] == "flux.csv"
    assert error.data["missing"] == ["direction", "resource"]
    assert "sens" in error.data["expected"] and "ressource" in error.data["expected"]
    assert error.data["found"] == ["Acteur", "Quantité"]
    assert "sens" in str(error) and "Quantité" in str(error)


def test_original_columns_are_kept_untouched(tmp_path):
    text = "Identifiant;Nom;Téléphone;name\nA1;Scierie;0386;autre\n"
    frame = load_table(write(tmp_path / "a.csv", text), ACTOR_FIELDS, {"name": "Nom"})
    assert frame["Identifiant"].tolist() == ["A1"]
    assert frame["Téléphone"].tolist() == ["0386"]
    assert frame["name"].tolist() == ["Scierie"]
    assert frame["name_original"].tolist() == ["autre"]  # renamed, not lost
    assert frame.attrs["columns"]["name"] == "Nom"
    assert frame.attrs["original_columns"] == ["Identifiant", "Nom", "Téléphone", "name_original"]


def test_normalise_key():
    assert normalise_key(" Code_Postal-Établissement ") == "codepostaletablissement"


# ----------------------------------------------------------------------- conversions


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,5", 1.5),
        ("1.5", 1.5),
        (" 2 ", 2.0),
        ("1 000,5", 1000.5),
        ("12\u00a0000", 12000.0),
        ("1\u202f234,5", 1234.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3,25", -3.25),
        ("1e3", 1000.0),
    ],
)
def test_to_number_accepts_french_and_english_numbers(text, value):
    values, bad = to_number(pd.Series([text, "7"], dtype=object))
    assert values[0] == pytest.approx(value)
    assert not bad.any()


def test_to_number_flags_text_but_not_empty_values():
    values, bad = to_number(pd.Series(["abc", "", None, "  ", "inf", "nan", "4"], dtype=object))
    assert bad.tolist() == [True, False, False, False, True, True, False]
    assert np.isnan(values[:6]).all() and values[6] == 4


def test_to_number_on_numeric_and_mixed_columns():
    assert to_number(pd.Series([1, 2.5, None]))[0][:2].tolist() == [1.0, 2.5]
    values, bad = to_number(pd.Series([1, "2,5", None], dtype=object))
    assert values[:2].tolist() == [1.0, 2.5] and not bad.any()


def test_to_number_large_column_of_distinct_values_matches_python():
    rng = np.random.default_rng(3)
    numbers = np.round(rng.uniform(0, 1000, 50_000), 2)
    text = pd.Series([f"{x:.2f}".replace(".", ",") for x in numbers], dtype=object)
    text[123] = "beaucoup"
    values, bad = to_number(text)
    assert np.flatnonzero(bad).tolist() == [123]
    expected = numbers.copy()
    expected[123] = np.nan
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_to_bool():
    values, unknown = to_bool(
        pd.Series(["Oui", "non", "X", None, "peut-être", "TRUE", "1", "0", "Faux", ""])
    )
    assert values.tolist() == [True, False, True, False, True, True, True, False, False, False]
    assert unknown.tolist() == [False, False, False, False, True] + [False] * 5


def test_normalise_id_and_encode():
    ids = normalise_id(pd.Series([" A12 ", 12.0, "12.0", None, "", 7], dtype=object))
    assert ids.tolist() == ["A12", "12", "12", None, None, "7"]
    coded = encode(pd.Series(["b ", "a", "b", None, " a"], dtype=object))
    assert coded.values().tolist() == ["b", "a", "b", None, "a"]
    assert len(coded.uniques) == 2
    assert coded.sort_codes().tolist() == [1, 0, 1, -1, 0]


def test_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes("id;nom\r\n\r\nA1;Dupré\r\nA2;x\r\n".encode("cp1252"))
    frame = load_actors(path)
    assert frame["actor_id"].tolist() == ["A1", "A2"]
    assert frame["name"].tolist() == ["Dupré", "x"]
    assert frame["row"].tolist() == [3, 4]


DEMO_FLOWS = Path(__file__).resolve().parents[2] / "data" / "demo" / "flows.csv"
QUIRKS = 'id;nom;note\r\nA1;"x;y";1\r\n\r\nA2;"multi\nligne ""citée""";\r\n  \r\nA4;;'


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        (DEMO_FLOWS.read_text("utf-8"), True),
        (QUIRKS, True),
        (QUIRKS + '\rA3;3" tube;\rA5;"a"b;', False),  # quotes inside values: row by row
    ],
    ids=["demo", "quirks", "quotes-inside-values"],
)
def test_row_by_row_reading_gives_what_pandas_reads(tmp_path, text, fits):
    """The row-by-row reader (used when a row does not fit) reads what pandas reads."""
    import io

    from eit_synergies.core.csv_rows import all_rows_fit, read_rows

    path = write(tmp_path / "t.csv", text)
    assert all_rows_fit(path.read_bytes(), ";") is fits
    ours = read_table(path)
    reference = pd.read_csv(
        io.StringIO(text), sep=";", dtype=object, keep_default_na=False, na_values=[""],
        skip_blank_lines=False,
    )  # fmt: skip
    reference["row"] = np.arange(2, len(reference) + 2)
    blank = reference.drop(columns="row").isna().all(axis=1)
    reference = reference[~blank].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, reference, check_dtype=False)
    slow, rows, rejects = read_rows(text, ";", "t.csv")
    assert len(rejects) == 0 and len(slow) == len(rows)
