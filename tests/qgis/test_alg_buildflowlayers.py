"""eit:buildflowlayers on the demo territory and on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsVectorLayer,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
CONTRACT_FIELDS = [
    "flow_id", "actor_id", "actor_name", "actor_category", "direction", "resource",
    "resource_label", "family", "synergy_type", "quantity", "unit", "quantity_norm",
    "unit_norm", "months", "confidential",
]  # fmt: skip


def run(parameters, context=None):
    from qgis import processing

    context = context or QgsProcessingContext()
    feedback = QgsProcessingFeedback()
    return processing.run("eit:buildflowlayers", parameters, context=context, feedback=feedback)


def memory_outputs():
    return {
        "OUTPUT_SUPPLY": "memory:",
        "OUTPUT_NEED": "memory:",
        "OUTPUT_REJECTED": "memory:",
    }


def test_demo_territory(plugin):
    params = {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv")}
    result = run({**params, **memory_outputs()})
    supply, need, rejected = (result[k] for k in memory_outputs())
    assert result["ROWS_READ"] == result["ROWS_USED"] + result["ROWS_REJECTED"]
    assert supply.featureCount() + need.featureCount() == result["ROWS_USED"]
    assert result["ROWS_READ"] == sum(1 for _ in open(DEMO / "flows.csv", encoding="utf-8")) - 1
    names = supply.fields().names()
    for field in CONTRACT_FIELDS:
        assert field in names
    assert supply.crs().authid() == "EPSG:2154"
    directions = {f["direction"] for f in supply.getFeatures()}
    assert directions == {"supply"}
    assert {f["direction"] for f in need.getFeatures()} == {"need"}
    # every flow placed (demo actors have coordinates or a commune)
    assert all(not f.geometry().isNull() for f in supply.getFeatures())
    # the green waste track: a supply of green waste exists in tonnes per year
    green = [f for f in supply.getFeatures() if f["resource"] == "ORG_GREEN_WASTE"]
    assert green and all(f["unit_norm"] == "t/yr" for f in green)
    assert rejected.featureCount() == result["ROWS_REJECTED"]


def test_bad_rows_are_rejected_with_row_field_and_reason(plugin, tmp_path):
    flows = tmp_path / "flux.csv"
    flows.write_text(
        "acteur;sens;ressource;quantite;unite\n"
        "A01;gisement;ORG_GREEN_WASTE;12,5;t/an\n"
        "A01;gisement;PAS_UN_CODE;3;t\n"
        "ZZZ;besoin;ORG_GREEN_WASTE;3;t\n"
        "A01;gisement;MIN_GYPSUM;3;MWh\n"
        "A01;besoin;ORG_GREEN_WASTE;-3;t\n",
        encoding="utf-8",
    )
    result = run({"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(flows), **memory_outputs()})
    assert (result["ROWS_READ"], result["ROWS_USED"], result["ROWS_REJECTED"]) == (5, 1, 4)
    rejected = {f["row"]: f for f in result["OUTPUT_REJECTED"].getFeatures()}
    assert set(rejected) == {3, 4, 5, 6}
    assert rejected[3]["reason_code"] == "unknown_resource"
    assert rejected[3]["field"] == "ressource"  # the column as the user named it
    assert rejected[4]["reason_code"] == "unknown_actor"
    assert rejected[5]["reason_code"] == "unit_mismatch"
    assert rejected[6]["reason_code"] == "negative_quantity"
    assert all(f["reason"] for f in rejected.values())


def test_missing_column_names_file_and_columns(plugin, tmp_path):
    flows = tmp_path / "flux.csv"
    flows.write_text("acteur;ressource\nA01;ORG_GREEN_WASTE\n", encoding="utf-8")
    with pytest.raises(QgsProcessingException) as error:
        run({"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(flows), **memory_outputs()})
    assert "flux.csv" in str(error.value)
    assert "direction" in str(error.value) or "sens" in str(error.value)


def test_layer_inputs_and_style_post_processor(plugin):
    actors = QgsVectorLayer(
        f"file://{DEMO / 'actors.csv'}?delimiter=;&xField=longitude&yField=latitude&crs=EPSG:4326",
        "actors",
        "delimitedtext",
    )
    assert actors.isValid()
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    outputs = {
        key: QgsProcessingOutputLayerDefinition("memory:", QgsProject.instance())
        for key in memory_outputs()
    }
    alg = QgsApplication.processingRegistry().createAlgorithmById("eit:buildflowlayers")
    params = {"ACTORS": actors, "FLOWS": str(DEMO / "flows.csv"), **outputs}
    result, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok
    supply_id = result["OUTPUT_SUPPLY"]
    assert context.willLoadLayerOnCompletion(supply_id)
    details = context.layerToLoadOnCompletionDetails(supply_id)
    assert details.name and details.postProcessor() is not None
    layer = context.getMapLayer(supply_id)
    from eit_synergies.layers.styles import StylePostProcessor

    processor = details.postProcessor()
    assert processor in StylePostProcessor._alive
    processor.postProcessLayer(layer, context, QgsProcessingFeedback())
    assert processor not in StylePostProcessor._alive  # released once the layer is styled
    renderer = layer.renderer()
    assert renderer.type() == "categorizedSymbol"
    assert renderer.classAttribute() == "family"
    values = {c.value() for c in renderer.categories()}
    assert {"organic", "wood", "energy"} <= values
    # actors given as a point layer: 4 demo actors have no coordinates -> their flows unplaced
    unplaced = [f for f in layer.getFeatures() if f.geometry().isNull()]
    placed = [f for f in layer.getFeatures() if not f.geometry().isNull()]
    assert placed and len(unplaced) < len(placed)


def test_workbook_sheet_chosen_in_qgis_is_read(plugin, tmp_path):
    """A workbook whose flows are on a sheet that is neither first nor named Flux."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["rien à lire ici"])
    sheet = book.create_sheet("Bilan 2025")
    sheet.append(["acteur", "sens", "ressource", "quantite", "unite"])
    sheet.append(["A01", "gisement", "WOOD_SAWDUST", 12, "t/an"])
    sheet.append(["A02", "besoin", "WOOD_SAWDUST", 5, "t/an"])
    path = tmp_path / "classeur.xlsx"
    book.save(path)
    result = run(
        {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": f"{path}|layername=Bilan 2025",
         **memory_outputs()}
    )  # fmt: skip
    assert (result["ROWS_READ"], result["ROWS_USED"]) == (2, 2)
    assert result["OUTPUT_SUPPLY"].featureCount() == 1


def test_malformed_lines_go_to_the_rejected_output_and_the_rest_is_used(plugin, tmp_path):
    actors = tmp_path / "acteurs.csv"
    lines = (DEMO / "actors.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(2, "A99;Une ligne;de trop;;;;;;;;;;;;;x")  # row 3: more fields than the header
    actors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    flows = tmp_path / "flux.csv"
    flows.write_bytes(
        "acteur;sens;ressource;libelle;quantite;unite\n"
        "A01;gisement;ORG_GREEN_WASTE;Tontes;12,5;t/an\n"
        "A01;gisement;ORG_GREEN_WASTE;Tontes; 12;5;t/an\n"  # row 3: an extra ';'
        "A02;besoin;ORG_GREEN_WASTE\n"  # row 4: too few fields
        "A02;besoin;ORG_GREEN_WASTE;Élagage forestier;3;t\n".encode()
        + "A03;besoin;ORG_GREEN_WASTE;Forêt;3;t\n".encode("cp1252")  # row 6: Latin-1 bytes
        + ("A03;besoin;ORG_GREEN_WASTE;" + "x" * 12_000 + ";3;t\n").encode()  # row 7
        + "A04;besoin;ORG_GREEN_WASTE;Déchets verts à broyer;3;t\n".encode()
    )
    result = run({"ACTORS": str(actors), "FLOWS": str(flows), **memory_outputs()})
    assert (result["ROWS_READ"], result["ROWS_USED"], result["ROWS_REJECTED"]) == (7, 3, 4)
    rejected = {(f["source"], f["row"]): f for f in result["OUTPUT_REJECTED"].getFeatures()}
    codes = {key: f["reason_code"] for key, f in rejected.items()}
    assert codes == {
        ("acteurs.csv", 3): "too_many_fields",
        ("flux.csv", 3): "too_many_fields",
        ("flux.csv", 4): "too_few_fields",
        ("flux.csv", 6): "bad_encoding_row",
        ("flux.csv", 7): "cell_too_long",
    }
    assert rejected[("flux.csv", 7)]["field"] == "libelle"
    assert rejected[("flux.csv", 3)]["value"].startswith("A01;gisement;ORG_GREEN_WASTE;Tontes")
    assert all(f["reason"] and f["reason"] != f["detail"] for f in rejected.values())
    assert "7 fields where the header has 6" in rejected[("flux.csv", 3)]["detail"]
