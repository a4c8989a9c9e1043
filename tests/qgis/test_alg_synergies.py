"""eit:synergycandidates and eit:mutualisationcandidates on the demo territory."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import NULL, QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
CANDIDATE_FIELDS = [
    "candidate_id", "supply_flow", "need_flow", "supplier_id", "receiver_id",
    "supply_resource", "need_resource", "family", "distance_km", "distance_method",
    "matched_quantity", "unit_norm", "coverage", "compatibility", "score", "status", "notes",
]  # fmt: skip


def run(alg_id, parameters):
    from qgis import processing

    return processing.run(
        alg_id, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
    )


@pytest.fixture
def flow_layers(plugin):
    result = run(
        "eit:buildflowlayers",
        {
            "ACTORS": str(DEMO / "actors.csv"),
            "FLOWS": str(DEMO / "flows.csv"),
            "OUTPUT_SUPPLY": "memory:",
            "OUTPUT_NEED": "memory:",
            "OUTPUT_REJECTED": "memory:",
        },
    )
    return result["OUTPUT_SUPPLY"], result["OUTPUT_NEED"]


def test_candidates_carry_the_contract_fields(flow_layers):
    supply, need = flow_layers
    result = run(
        "eit:synergycandidates",
        {"SUPPLY": supply, "NEED": need, "MAX_DISTANCE_KM": 0, "OUTPUT": "memory:"},
    )
    layer = result["OUTPUT"]
    assert layer.featureCount() == result["CANDIDATES"] > 0
    names = layer.fields().names()
    for field in CANDIDATE_FIELDS:
        assert field in names
    for feature in layer.getFeatures():
        assert 0 <= feature["score"] <= 1
        assert feature["distance_km"] <= feature["max_distance_km"] + 1e-9
        assert feature["status"] == "proposed"
        line = feature.geometry().asPolyline()
        assert len(line) == 2


def test_distance_parameter_limits_candidates(flow_layers):
    supply, need = flow_layers
    counts = {}
    for km in (2, 10):
        result = run(
            "eit:synergycandidates",
            {"SUPPLY": supply, "NEED": need, "MAX_DISTANCE_KM": km, "OUTPUT": "memory:"},
        )
        distances = [f["distance_km"] for f in result["OUTPUT"].getFeatures()]
        assert distances and max(distances) <= km
        counts[km] = len(distances)
    assert counts[2] < counts[10]


def test_geographic_input_and_allocation(flow_layers):
    supply, need = flow_layers
    from qgis import processing

    supply_4326 = processing.run(
        "native:reprojectlayer",
        {"INPUT": supply, "TARGET_CRS": "EPSG:4326", "OUTPUT": "memory:"},
    )["OUTPUT"]
    plain = run(
        "eit:synergycandidates",
        {"SUPPLY": supply, "NEED": need, "MAX_DISTANCE_KM": 10, "OUTPUT": "memory:"},
    )["OUTPUT"]
    mixed = run(
        "eit:synergycandidates",
        {
            "SUPPLY": supply_4326,
            "NEED": need,
            "MAX_DISTANCE_KM": 10,
            "ALLOCATE": True,
            "OUTPUT": "memory:",
        },
    )["OUTPUT"]
    by_id = {f["candidate_id"]: f for f in plain.getFeatures()}
    mixed_features = list(mixed.getFeatures())
    assert {f["candidate_id"] for f in mixed_features} == set(by_id)
    for feature in mixed_features:
        assert feature["distance_km"] == pytest.approx(
            by_id[feature["candidate_id"]]["distance_km"], abs=1e-3
        )
        potential = by_id[feature["candidate_id"]]["matched_quantity"]
        if feature["matched_quantity"] != NULL and potential != NULL:
            assert feature["matched_quantity"] <= potential + 1e-6


def test_road_network_distances(plugin, tmp_path):
    roads = QgsVectorLayer(str(ROOT / "tests/data/synergy/monaco_roads.gpkg") + "|layername=roads")
    assert roads.isValid()
    points = tmp_path / "monaco.csv"
    points.write_text(
        "identifiant;nom;longitude;latitude\n"
        "S1;Fournisseur;7.4200;43.7350\nN1;Receveur;7.4280;43.7400\n",
        encoding="utf-8",
    )
    flows = tmp_path / "flux.csv"
    flows.write_text(
        "acteur;sens;ressource;quantite;unite\nS1;gisement;REC_GLASS;10;t\n"
        "N1;besoin;REC_GLASS;10;t\n",
        encoding="utf-8",
    )
    layers = run(
        "eit:buildflowlayers",
        {
            "ACTORS": str(points),
            "FLOWS": str(flows),
            "OUTPUT_SUPPLY": "memory:",
            "OUTPUT_NEED": "memory:",
            "OUTPUT_REJECTED": "memory:",
        },
    )
    result = run(
        "eit:synergycandidates",
        {
            "SUPPLY": layers["OUTPUT_SUPPLY"],
            "NEED": layers["OUTPUT_NEED"],
            "MAX_DISTANCE_KM": 20,
            "NETWORK": roads,
            "OUTPUT": "memory:",
        },
    )
    [candidate] = list(result["OUTPUT"].getFeatures())
    assert candidate["distance_method"] == "network"
    assert candidate["distance_km"] >= candidate["euclidean_km"]
    assert candidate["snap_supply_m"] >= 0 and candidate["snap_need_m"] >= 0


def test_mutualisation_groups(flow_layers):
    supply, need = flow_layers
    result = run(
        "eit:mutualisationcandidates",
        {"NEED": need, "SUPPLY": supply, "MAX_DISTANCE_KM": 10, "MIN_ACTORS": 3,
         "OUTPUT": "memory:"},
    )  # fmt: skip
    layer = result["OUTPUT"]
    assert layer.featureCount() == result["GROUPS"] > 0
    for feature in layer.getFeatures():
        assert feature["n_actors"] >= 3
        assert len(feature["members"].split(",")) == feature["n_actors"]
        assert not feature.geometry().isEmpty()
    resources = {f["resource"] for f in layer.getFeatures()}
    assert "SRV_WASTE_COLLECTION" in resources


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.info, self.debug = [], []

    def pushInfo(self, text):
        self.info.append(text)

    def pushDebugInfo(self, text):
        self.debug.append(text)


def test_log_is_a_translated_summary_with_the_details_as_debug(flow_layers):
    from qgis import processing

    supply, need = flow_layers
    feedback = RecordingFeedback()
    processing.run(
        "eit:synergycandidates",
        {"SUPPLY": supply, "NEED": need, "ALLOCATE": True, "OUTPUT": "memory:"},
        context=QgsProcessingContext(),
        feedback=feedback,
    )
    info = "\n".join(feedback.info)
    assert "synergy candidates within the distance limit" in info  # tr() source, English here
    assert "Optimal allocation" in info
    assert any("pair(s) within the distance limit" in line for line in feedback.debug)
    assert not any("pair(s) within the distance limit" in line for line in feedback.info)


def features(layer):
    """candidate_id -> (values by field, the geometry as text); the GeoPackage's fid left out."""
    names = [n for n in layer.fields().names() if n != "fid"]
    return {
        f["candidate_id"]: ({n: f[n] for n in names}, f.geometry().asWkt(3))
        for f in layer.getFeatures()
    }


def test_top_k_and_a_geopackage_output_hold_the_same_rows_as_a_temporary_layer(
    flow_layers, tmp_path
):
    """Into a GeoPackage the rows go in bulk (one SQLite transaction): the same rows, the
    same values as a temporary layer written feature by feature; TOP_K keeps fewer."""
    supply, need = flow_layers
    common = {"SUPPLY": supply, "NEED": need, "MAX_DISTANCE_KM": 30, "ALLOCATE": True}
    memory = run("eit:synergycandidates", {**common, "TOP_K": 0, "OUTPUT": "memory:"})
    path = tmp_path / "synergies.gpkg"
    filed = run("eit:synergycandidates", {**common, "TOP_K": 0, "OUTPUT": str(path)})
    in_memory = features(memory["OUTPUT"])
    layer = QgsVectorLayer(filed["OUTPUT"], "file", "ogr")
    assert layer.isValid() and layer.featureCount() == len(in_memory) > 0
    assert features(layer) == in_memory
    assert layer.extent().toString(2) == memory["OUTPUT"].extent().toString(2)
    assert layer.hasSpatialIndex() == layer.SpatialIndexPresent
    top = run("eit:synergycandidates", {**common, "TOP_K": 1, "OUTPUT": "memory:"})["OUTPUT"]
    kept = features(top)
    assert 0 < len(kept) < len(in_memory)
    supplies = {values["supply_flow"] for values, _ in in_memory.values()}
    assert {values["supply_flow"] for values, _ in kept.values()} == supplies  # its best kept
