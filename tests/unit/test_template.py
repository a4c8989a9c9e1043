"""The template workbook shipped in the plugin (data/templates/modele_eit.xlsx), its build
script, and reading a chosen sheet of a workbook."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.errors import EitError
from eit_synergies.core.flows import build_flows, read_actors, read_flows
from eit_synergies.core.tables import read_table
from eit_synergies.core.units import conversion, parse_unit

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "data" / "templates" / "modele_eit.xlsx"
ACTOR_HEADERS = [
    "identifiant", "nom", "categorie", "siret", "naf", "adresse", "code_postal", "commune",
    "code_insee", "longitude", "latitude", "confidentiel",
]  # fmt: skip
FLOW_HEADERS = [
    "identifiant", "acteur", "sens", "ressource", "libelle", "quantite", "unite", "annee",
    "mois", "confidentiel", "commentaire", "provenance", "destination",
]  # fmt: skip
CATEGORIES = {
    "entreprise", "exploitation_agricole", "ehpad", "hopital", "insertion", "collectivite",
    "association", "laboratoire", "cuma",
}  # fmt: skip


def load_script():
    spec = importlib.util.spec_from_file_location(
        "build_template", ROOT / "scripts" / "build_template.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def book():
    return openpyxl.load_workbook(TEMPLATE)


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def list_validations(sheet) -> dict[str, tuple[str, str, str]]:
    """Column letter -> (formula, error style, sqref) of the sheet's drop-down lists."""
    out = {}
    for validation in sheet.data_validations.dataValidation:
        if validation.type == "list":
            sqref = str(validation.sqref)
            out[re.match(r"[A-Z]+", sqref).group(0)] = (
                validation.formula1,
                validation.errorStyle,
                sqref,
            )
    return out


def validations(sheet) -> list[tuple]:
    return [
        (v.type, v.formula1, v.formula2, v.errorStyle, str(v.sqref))
        for v in sheet.data_validations.dataValidation
    ]


def inline_list(formula: str) -> list[str]:
    assert formula.startswith('"') and formula.endswith('"'), formula
    return formula.strip('"').split(",")


def column_letter(headers, name):
    return openpyxl.utils.get_column_letter(headers.index(name) + 1)


# ----------------------------------------------------------------------- reading it back


def test_template_reads_back_with_no_rejected_row():
    actors = read_actors(TEMPLATE, layer="Acteurs")
    flows = read_flows(TEMPLATE, layer="Flux")
    result = build_flows(actors, flows, Catalogue.builtin())
    assert len(actors) == 3 and len(actors.rejected) == 0
    assert result.counts["rows_read"] == 3
    assert result.counts["rows_rejected"] == 0 and len(result.rejected) == 0
    assert result.counts["rows_used"] == 3
    frame = actors.frame.set_index("actor_id")
    # codes kept as text, coordinates as numbers, the third actor left to the geocoder
    assert frame.loc["E01", "postcode"] == "58400" and frame.loc["E01", "insee"] == "58059"
    assert frame.loc["E01", "longitude"] == pytest.approx(3.03)
    assert frame.loc["E03", "coord_status"] == "missing"
    assert bool(frame.loc["E03", "confidential"]) and not bool(frame.loc["E01", "confidential"])
    flows_out = result.flows.set_index("flow_id")
    assert flows_out.loc["F002", "resource"] == "ORG_BIOWASTE"  # LER 20 01 08
    assert flows_out.loc["F002", "ler_code"] == "200108"
    assert flows_out.loc["F003", "months"] == "10-4"
    assert flows_out.loc["F003", "direction"] == "need"
    assert bool(flows_out.loc["F003", "confidential"])  # its actor is confidential
    assert flows_out.loc["F001", "quantity_norm"] == pytest.approx(40 * 0.15)  # m3 -> t


def test_template_sheets_are_found_without_naming_them():
    actors = read_actors(TEMPLATE)
    flows = read_flows(TEMPLATE)
    assert actors.frame["actor_id"].tolist() == ["E01", "E02", "E03"]
    assert flows["flow_id"].tolist() == ["F001", "F002", "F003"]


def test_headers_examples_and_layout(book):
    assert book.sheetnames == ["Acteurs", "Flux", "Mode d'emploi", "Ressources"]
    assert book.active.title == "Mode d'emploi"
    assert [ws.title for ws in book.worksheets if ws.sheet_view.tabSelected] == ["Mode d'emploi"]
    for name, headers, note_column in (
        ("Acteurs", ACTOR_HEADERS, "nom"),
        ("Flux", FLOW_HEADERS, "commentaire"),
    ):
        sheet = book[name]
        rows = values(sheet)
        assert rows[0] == headers
        examples = rows[1:]
        assert 2 <= len(examples) <= 3
        assert all("fictif" in row[headers.index(note_column)] for row in examples)
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[column_letter(headers, h)].width >= 8 for h in headers)
    acteurs, flux = book["Acteurs"], book["Flux"]
    for sheet, headers, name in (
        (acteurs, ACTOR_HEADERS, "code_postal"),
        (acteurs, ACTOR_HEADERS, "code_insee"),
        (flux, FLOW_HEADERS, "mois"),
        (flux, FLOW_HEADERS, "ressource"),
    ):  # typed later: "3-10" must not become a date, "01000" must keep its zero
        assert sheet.column_dimensions[column_letter(headers, name)].number_format == "@"


def test_instructions_explain_every_column(book):
    rows = values(book["Mode d'emploi"])
    first_cells = [row[0] for row in rows]
    for header in set(ACTOR_HEADERS) | set(FLOW_HEADERS):
        assert header in first_cells, header
    text = " ".join(str(v) for row in rows for v in row if v is not None)
    for needle in ("3-10", "LER", "13 02 05*", "kg/semaine", "sorties publiques", "WGS84"):
        assert needle in text, needle


# ----------------------------------------------------------------------- resources and lists


def test_hidden_resources_sheet_is_the_catalogue(book):
    sheet = book["Ressources"]
    assert sheet.sheet_state == "hidden"
    rows = values(sheet)
    assert rows[0] == ["code", "label_fr", "unite"]
    catalogue = Catalogue.builtin()
    codes = [row[0] for row in rows[1:]]
    assert all(code in catalogue for code in codes)
    assert sorted(codes) == sorted(catalogue.resources)  # none missing either
    for code, label, unit in rows[1:]:
        resource = catalogue.get(code)
        assert label == resource.label_fr
        converted = conversion(parse_unit(unit), resource)
        assert converted.error is None, (code, unit)


def test_drop_down_lists(book):
    catalogue = Catalogue.builtin()
    acteurs = list_validations(book["Acteurs"])
    flux = list_validations(book["Flux"])

    formula, style, sqref = acteurs[column_letter(ACTOR_HEADERS, "categorie")]
    assert set(inline_list(formula)) == CATEGORIES and sqref.startswith("C2:")
    formula, style, _ = acteurs[column_letter(ACTOR_HEADERS, "confidentiel")]
    assert inline_list(formula) == ["oui", "non"] and style == "stop"

    formula, style, _ = flux[column_letter(FLOW_HEADERS, "sens")]
    assert inline_list(formula) == ["gisement", "besoin"] and style == "stop"
    formula, style, _ = flux[column_letter(FLOW_HEADERS, "confidentiel")]
    assert inline_list(formula) == ["oui", "non"]
    formula, style, sqref = flux[column_letter(FLOW_HEADERS, "ressource")]
    n = len(catalogue.resources)
    assert formula == f"'Ressources'!$A$2:$A${n + 1}"
    assert style == "warning"  # a LER code is accepted after the warning
    assert sqref.startswith("D2:D") and int(sqref.split(":D")[1]) >= 1000
    formula, style, _ = flux[column_letter(FLOW_HEADERS, "unite")]
    units = inline_list(formula)
    assert "t/an" in units and "MWh/an" in units and "unités/an" in units
    assert all(parse_unit(u).error is None for u in units)
    formula, _, _ = flux[column_letter(FLOW_HEADERS, "acteur")]
    assert formula.startswith("'Acteurs'!$A$2:$A$")


def test_build_script_regenerates_the_shipped_content(tmp_path, book):
    script = load_script()
    built = openpyxl.load_workbook(script.build(tmp_path / "modele.xlsx"))
    assert built.sheetnames == book.sheetnames
    for name in book.sheetnames:
        assert built[name].sheet_state == book[name].sheet_state
        assert values(built[name]) == values(book[name]), name
        assert validations(built[name]) == validations(book[name]), name


# ----------------------------------------------------------------------- choosing a sheet


@pytest.fixture
def workbook(tmp_path):
    """Sheets: 'Notes', 'Flux' (the flows), 'Acteurs' (the actors)."""
    path = tmp_path / "classeur.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"rien": ["a"]}).to_excel(writer, sheet_name="Notes", index=False)
        flows = pd.DataFrame({"acteur": ["A1"], "sens": ["besoin"], "ressource": ["EQ_SHREDDER"]})
        flows.to_excel(writer, sheet_name="Flux", index=False)
        actors = pd.DataFrame({"identifiant": ["A1", "A2"], "nom": ["x", "y"]})
        actors.to_excel(writer, sheet_name="Acteurs", index=False)
    return path


def test_sheet_named_without_regard_to_case_accents_or_spaces(workbook):
    assert read_table(workbook, layer="ACTEURS")["identifiant"].tolist() == ["A1", "A2"]
    assert read_table(workbook, layer=" flux")["acteur"].tolist() == ["A1"]
    assert read_table(workbook, layer=2)["identifiant"].tolist() == ["A1", "A2"]
    assert read_table(workbook)["rien"].tolist() == ["a"]  # no kind: the first sheet


def test_missing_sheet_lists_the_sheets(workbook):
    with pytest.raises(EitError) as info:
        read_actors(workbook, layer="Entreprises")
    assert info.value.code == "missing_layer"
    assert info.value.data["layers"] == ["Notes", "Flux", "Acteurs"]
    with pytest.raises(EitError) as info:
        read_table(workbook, layer=3)
    assert info.value.code == "missing_layer"


def test_actors_and_flows_sheets_are_preferred_to_the_first(workbook):
    assert read_actors(workbook).frame["actor_id"].tolist() == ["A1", "A2"]
    assert read_flows(workbook)["actor_id"].tolist() == ["A1"]
    # a sheet given by the caller still wins
    with pytest.raises(EitError) as info:
        read_flows(workbook, layer="Notes")
    assert info.value.code == "missing_column"


def test_ods_sheets_too(tmp_path):
    path = tmp_path / "classeur.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Lisez-moi", index=False)
        pd.DataFrame({"id": ["B7"]}).to_excel(writer, sheet_name="Actors", index=False)
    assert read_actors(path).frame["actor_id"].tolist() == ["B7"]
    assert read_table(path, layer="lisez moi")["x"].tolist() == ["1"]
