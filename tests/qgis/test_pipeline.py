"""eit:runpipeline: the main job on the demo territory, its yearly rerun, and cancel."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from qgis.core import (
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
TABLES = [
    "acteurs", "gisements", "besoins", "synergies", "mutualisations", "lignes_rejetees",
    "territoire", "catalogue_ressources", "catalogue_compatibilites", "executions", "decisions",
]  # fmt: skip


def atlas_subset(candidates, count: int) -> str:
    """The subset string that keeps, in the synergies table, the rows the run's atlas shows
    (``atlas_rows``): what a user gives eit:exportatlas to draw that atlas again."""
    from eit_synergies.processing.alg_runpipeline import atlas_rows

    ids = candidates["candidate_id"].astype(str).to_numpy()[atlas_rows(candidates, count)]
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    return f'"candidate_id" IN ({quoted})'


def qgis_process_module():
    spec = importlib.util.spec_from_file_location("eit_qp", ROOT / "scripts/qgis_process_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def layer(folder: Path, table: str) -> QgsVectorLayer:
    found = QgsVectorLayer(f"{folder / 'eit.gpkg'}|layername={table}", table, "ogr")
    assert found.isValid(), table
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The demo territory through the real qgis_process command line."""
    base = tmp_path_factory.mktemp("pipeline")
    out = base / "sortie"
    result = qgis_process_module().run(
        ["run", "eit:runpipeline", "--json", "--",
         f"ACTORS={DEMO / 'actors.csv'}", f"FLOWS={DEMO / 'flows.csv'}", "PUBLIC=true",
         f"OUTPUT_FOLDER={out}"],
        home=base / "home", capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    payload = json.loads(result.stdout[result.stdout.index("{") :])
    return out, payload["results"]


def test_every_output_exists_and_opens(first_run, qgis_processing):
    out, results = first_run
    for name in ("eit.gpkg", "eit.qgz", "synthese.html"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / ".eit-run-en-cours").exists()
    for table in TABLES:
        layer(out, table)
    assert layer(out, "synergies").featureCount() == results["CANDIDATES"] > 0
    assert layer(out, "acteurs").featureCount() == results["ACTORS_COUNT"] == 33
    assert layer(out, "mutualisations").featureCount() == results["GROUPS"] > 0
    supply, need = layer(out, "gisements"), layer(out, "besoins")
    assert (
        supply.featureCount() + need.featureCount()
        == results["ROWS_READ"] - results["ROWS_REJECTED"]
    )
    assert layer(out, "executions").featureCount() == 1
    html = (out / "synthese.html").read_text(encoding="utf-8")
    assert "<table>" in html and str(results["CANDIDATES"]) in html
    # current origins and destinations (the demo's sites table and communes are the defaults)
    assert {"current_place", "current_distance_km", "current_outside"} <= set(
        supply.fields().names()
    )
    landfill = [
        f["current_outside"]
        for f in supply.getFeatures()
        if f["current_place"] == "ISDND du Sud Nivernais (fictif)"
    ]
    assert landfill and all(landfill)
    assert {"tkm_avoided", "co2_avoided_t"} <= set(layer(out, "synergies").fields().names())
    assert "<svg" in html  # the metabolism diagram


def test_project_loads_with_valid_layers(first_run, qgis_processing):
    out, _ = first_run
    project = QgsProject()
    assert project.read(str(out / "eit.qgz"))
    layers = list(project.mapLayers().values())
    assert len(layers) >= len(TABLES)
    assert all(item.isValid() for item in layers)
    actors = next(item for item in layers if item.source().endswith("layername=acteurs"))
    assert actors.renderer().type() == "categorizedSymbol"
    assert project.relationManager().relations()
    layouts = [layout.name() for layout in project.layoutManager().printLayouts()]
    assert len(layouts) == 2 and all(layouts)
    status = next(item for item in layers if item.source().endswith("layername=synergies"))
    setup = status.editorWidgetSetup(status.fields().indexOf("status"))
    assert setup.type() == "ValueMap"


def test_the_workspace_knows_its_territory_s_name(first_run, qgis_processing):
    """The demo's communes all belong to one EPCI: its name, from the reference communes,
    is the territory's (not the first commune's), in the run record, the project's title and
    on the atlas cover."""
    import pandas as pd

    out, results = first_run
    reference = pd.read_csv(ROOT / "data" / "reference" / "communes_58_cclnb.csv", dtype=str)
    communes = json.loads((DEMO / "communes.geojson").read_text(encoding="utf-8"))
    codes = [f["properties"]["code_insee"] for f in communes["features"]]
    epci = set(reference.set_index("code_insee").loc[codes, "epci_nom"])
    assert len(epci) == 1
    name = epci.pop()
    assert results["TERRITORY_NAME"] == name and "Bertranges" in name
    assert name not in {f["properties"]["nom"] for f in communes["features"]}
    runs = list(layer(out, "executions").getFeatures())
    assert [f["territory_name"] for f in runs] == [name]
    project = QgsProject()
    assert project.read(str(out / "eit.qgz"))
    assert project.title() == name
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(out / "atlas.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert name in cover


def test_a_territory_name_given_is_kept(tmp_path, plugin):
    from qgis import processing

    result = processing.run(
        "eit:runpipeline",
        {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"),
         "ATLAS": False, "TERRITORY_NAME": "Pays Loire Val d'Aubois",
         "OUTPUT_FOLDER": str(tmp_path / "pays")},
    )  # fmt: skip
    assert result["TERRITORY_NAME"] == "Pays Loire Val d'Aubois"
    project = QgsProject()
    assert project.read(str(tmp_path / "pays" / "eit.qgz"))
    assert project.title() == "Pays Loire Val d'Aubois"


def test_public_summary_hides_confidential_names(first_run):
    out, _ = first_run
    html = (out / "synthese.html").read_text(encoding="utf-8")
    import csv

    with open(DEMO / "actors.csv", encoding="utf-8") as handle:
        confidential = [
            row["nom"]
            for row in csv.DictReader(handle, delimiter=";")
            if row["confidentiel"].strip().lower() in {"oui", "yes", "1", "true", "x"}
        ]
    assert confidential
    for name in confidential:
        assert name not in html


def test_public_map_labels_hide_confidential_names(first_run, qgis_processing):
    from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils

    out, _ = first_run
    project = QgsProject()
    assert project.read(str(out / "eit.qgz"))
    actors = next(
        item for item in project.mapLayers().values() if item.source().endswith("=acteurs")
    )
    text = actors.labeling().settings().fieldName
    assert not QgsExpression(text).hasParserError(), QgsExpression(text).parserErrorString()
    labels = {}
    for public in (1, 0):
        QgsExpressionContextUtils.setProjectVariable(project, "eit_public", public)
        expression = QgsExpression(text)  # a new one: evaluate() caches static variables
        context = QgsExpressionContext()
        context.appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(actors))
        context.appendScope(QgsExpressionContextUtils.projectScope(project))
        for feature in actors.getFeatures():
            context.setFeature(feature)
            labels[(public, feature["actor_id"], feature["confidential"])] = (
                expression.evaluate(context),
                feature["name"],
            )
    confidential = [k for k in labels if k[0] == 1 and k[2]]
    assert confidential
    for key in confidential:
        label, name = labels[key]
        assert label and label != name  # the category, never the name
        assert labels[(0, key[1], key[2])][0] == name  # the working map shows the name
    assert all(label == name for (p, _, c), (label, name) in labels.items() if p and not c)


def run_in_process(parameters, feedback=None):
    from qgis import processing

    return processing.run(
        "eit:runpipeline",
        parameters,
        context=QgsProcessingContext(),
        feedback=feedback or QgsProcessingFeedback(),
    )


def test_yearly_rerun_keeps_decisions_and_placements(first_run, tmp_path, plugin):
    out = tmp_path / "sortie"
    shutil.copytree(first_run[0], out)
    candidates = layer(out, "synergies")
    first = next(candidates.getFeatures(QgsFeatureRequest().setLimit(1)))
    candidate_id = first["candidate_id"]
    with_edit = candidates.startEditing()
    assert with_edit
    candidates.changeAttributeValue(first.id(), candidates.fields().indexOf("status"), "retained")
    candidates.changeAttributeValue(
        first.id(), candidates.fields().indexOf("notes"), "Visite du site en mars"
    )
    assert candidates.commitChanges()
    actors = layer(out, "acteurs")
    a01 = next(actors.getFeatures("\"actor_id\" = 'A01'"))
    moved = QgsPointXY(a01.geometry().asPoint().x() + 250, a01.geometry().asPoint().y())
    actors.startEditing()
    actors.changeGeometry(a01.id(), QgsGeometry.fromPointXY(moved))
    actors.changeAttributeValue(a01.id(), actors.fields().indexOf("geo_method"), "given")
    assert actors.commitChanges()
    del candidates, actors
    # a year later: one quantity changed, one flow added
    flows = tmp_path / "flux_2025.csv"
    lines = (DEMO / "flows.csv").read_text(encoding="utf-8").splitlines()
    fields = [
        "FL999",
        "A22",
        "gisement",
        "ORG_BIOWASTE",
        "Nouveaux biodéchets",
        "6",
        "t/an",
        "2025",
    ]
    lines.append(";".join(fields + [""] * (lines[0].count(";") + 1 - len(fields))))
    flows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = run_in_process(
        {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(flows), "ATLAS": False,
         "OUTPUT_FOLDER": str(out)}
    )  # fmt: skip
    again = layer(out, "synergies")
    kept = next(again.getFeatures(f"\"candidate_id\" = '{candidate_id}'"))
    assert kept["status"] == "retained"
    assert kept["notes"] == "Visite du site en mars"
    assert results["KEPT_CANDIDATES"] == 1
    assert results["NEW_FLOWS"] == 1
    new_ids = [f["candidate_id"] for f in again.getFeatures("\"supply_flow\" = 'FL999'")]
    assert new_ids
    a01_again = next(layer(out, "acteurs").getFeatures("\"actor_id\" = 'A01'"))
    assert a01_again["geo_method"] == "given"
    assert a01_again.geometry().asPoint().distance(moved) < 0.01
    assert layer(out, "executions").featureCount() == 2
    # the loop rate is kept in each run record and compared year on year
    figures = [json.loads(f["figures"]) for f in layer(out, "executions").getFeatures()]
    assert all(0 < f["loop_rate_t"] < 1 for f in figures)
    html = (out / "synthese.html").read_text(encoding="utf-8")
    row = re.search(
        r"<tr><td>(?:Local loop rate of tonnes, today|Taux de bouclage local des tonnes, "
        r"aujourd&#x27;hui)</td>(.*?)</tr>",
        html,
    )
    assert row and row.group(1).count("%") == 2, row


class CancelAfter(QgsProcessingFeedback):
    def __init__(self, at_percent):
        super().__init__()
        self.at_percent = at_percent
        self.progressChanged.connect(self._maybe_cancel)

    def _maybe_cancel(self, value):
        if value >= self.at_percent:
            self.cancel()


def test_cancelled_run_leaves_previous_outputs_intact(first_run, tmp_path, plugin):
    out = tmp_path / "sortie"
    shutil.copytree(first_run[0], out)
    before = {p.name: digest(p) for p in out.iterdir() if p.is_file()}
    run_in_process(
        {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"), "ATLAS": False,
         "OUTPUT_FOLDER": str(out)},
        CancelAfter(30),
    )  # fmt: skip
    after = {p.name: digest(p) for p in out.iterdir() if p.is_file()}
    assert after == before
    assert not (out / ".eit-run-en-cours").exists()


def test_the_run_s_atlas_is_the_one_its_workspace_gives(first_run, tmp_path, plugin):
    """The run draws its atlas while the workspace is being written, from its frames as the
    file holds them: eit:exportatlas on the finished workspace gives the same pages."""
    from eit_synergies.processing.alg_runpipeline import ATLAS_SYNERGIES
    from qgis import processing

    out, results = first_run
    assert results["CANDIDATES"] > ATLAS_SYNERGIES  # the atlas's subset is used
    layers = f"{out / 'eit.gpkg'}|layername="
    synergies = layer(out, "synergies")
    import pandas as pd

    frame = pd.DataFrame(
        [{n: f[n] for n in ("candidate_id", "status", "score")} for f in synergies.getFeatures()]
    )
    again = tmp_path / "atlas.pdf"
    processing.run(
        "eit:exportatlas",
        {
            "SYNERGIES": layers + "synergies|subset=" + atlas_subset(frame, ATLAS_SYNERGIES),
            "SUPPLY": layers + "gisements",
            "NEED": layers + "besoins",
            "MUTUALISATION": layers + "mutualisations",
            "TERRITORY": layers + "territoire",
            "PUBLIC": True,
            "TERRITORY_NAME": results["TERRITORY_NAME"],
            "OUTPUT": str(again),
        },
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )

    def pages(path):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
        return text.split("\f")

    run_pages = pages(out / "atlas.pdf")
    assert len(run_pages) > ATLAS_SYNERGIES
    assert run_pages == pages(again)

    def picture(path, page):
        return subprocess.run(
            ["pdftoppm", "-r", "30", "-f", str(page), "-l", str(page), "-png", str(path)],
            capture_output=True, check=True,
        ).stdout  # fmt: skip

    for page in (1, 2, len(run_pages) - 1):
        assert picture(out / "atlas.pdf", page) == picture(again, page), page


class CancelInAtlas(QgsProcessingFeedback):
    """Cancels the run halfway through its atlas (the second of its five steps: 20-40 %),
    while the workspace is being written on its own thread."""

    def __init__(self):
        super().__init__()
        self.at = None
        self.progressChanged.connect(self._maybe_cancel)

    def _maybe_cancel(self, value):
        if value >= 30 and self.at is None:
            self.at = value
            self.cancel()


def test_a_run_cancelled_during_its_atlas_leaves_the_previous_outputs(first_run, tmp_path,
                                                                      plugin):  # fmt: skip
    import threading

    out = tmp_path / "sortie"
    shutil.copytree(first_run[0], out)
    before = {p.name: digest(p) for p in out.iterdir() if p.is_file()}
    feedback = CancelInAtlas()
    run_in_process(
        {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"),
         "OUTPUT_FOLDER": str(out)},
        feedback,
    )  # fmt: skip
    assert feedback.isCanceled() and 30 <= feedback.at < 40
    after = {p.name: digest(p) for p in out.iterdir() if p.is_file()}
    assert after == before
    assert not (out / ".eit-run-en-cours").exists()
    assert not any(t.name == "eit-workspace" for t in threading.enumerate())


def test_defaults_keep_each_flows_ten_best_and_the_atlas_subset_is_their_head(first_run):
    out, _ = first_run
    synergies = layer(out, "synergies")
    rows = [
        {n: f[n] for n in ("candidate_id", "status", "score", "supply_rank", "need_rank")}
        for f in synergies.getFeatures()
    ]
    assert rows and all(r["supply_rank"] <= 10 or r["need_rank"] <= 10 for r in rows)
    import pandas as pd

    frame = pd.DataFrame(rows)
    frame.loc[frame.index[-1], "status"] = "retained"  # a decided line comes first
    order = {"retained": 0, "to_explore": 1, "proposed": 2, "rejected": 3}
    expected = sorted(rows, key=lambda r: (0 if r is rows[-1] else order[r["status"]],
                                           -r["score"], r["candidate_id"]))[:5]  # fmt: skip
    subset = QgsVectorLayer(
        f"{out / 'eit.gpkg'}|layername=synergies|subset={atlas_subset(frame, 5)}", "s", "ogr"
    )
    assert subset.isValid() and subset.featureCount() == 5
    assert {f["candidate_id"] for f in subset.getFeatures()} == {
        r["candidate_id"] for r in expected
    }
