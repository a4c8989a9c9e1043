"""eit:exportatlas on the demo territory: pages, French labels, and nothing confidential out.

A confidential actor of the demo is renamed "Zorglub Confidentiel SARL" and one of its flows
gets a quantity of 98 765 t/yr and a label naming Zorglub: in public mode none of these may
reach the PDF's text (tables, labels, map labels), its metadata, the CSV, the XLSX or the PNG;
in the working (non-public) version they are there, which shows the check can fail.
"""

from __future__ import annotations

import csv
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsPrintLayout,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsProperty,
    QgsReadWriteContext,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtXml import QDomDocument

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
ARTIFACTS = ROOT / "test-artifacts"
SECRET_NAME = "Zorglub Confidentiel SARL"
SECRET_LABEL = "Sables du projet Zorglub"
SECRET_ACTOR = "A05"  # confidential in the demo (a foundry)
SECRET_FLOW = "FL059"  # its foundry sand: 98 765 t/yr here
SECRET_NOTE = "Zorglub attend 98765 t"
PUBLIC_NOTE = "Rencontre prévue en mars avec les deux acteurs"
TITLE = "Atlas des synergies — CC Loire, Nièvre et Bertranges"
LEAKS = ("zorglub", "98765", "98 765", "98,765")


# --------------------------------------------------------------------------- set-up


@pytest.fixture
def french_report(plugin, french_qm_dir):
    """The report's French words from the shipped translation (the plugin's modules as
    loaded now)."""
    import importlib

    module = importlib.import_module("eit_synergies.layers.atlas_text")
    old = module.ReportText.qm_dir
    module.ReportText.qm_dir = french_qm_dir
    yield french_qm_dir
    module.ReportText.qm_dir = old


def _planted_tables(folder: Path) -> tuple[Path, Path]:
    actors = folder / "actors.csv"
    flows = folder / "flows.csv"
    text = (DEMO / "actors.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(SECRET_ACTOR + ";"):
            fields = line.split(";")
            assert fields[-1] == "oui"  # the demo's foundry is confidential
            fields[1] = SECRET_NAME
            lines[i] = ";".join(fields)
    actors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = (DEMO / "flows.csv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(SECRET_FLOW + ";"):
            fields = line.split(";")
            fields[4], fields[5], fields[6] = SECRET_LABEL, "98765", "t/an"
            lines[i] = ";".join(fields)
    flows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return actors, flows


def _layer_from_frame(frame, name, wkb):
    from eit_synergies.layers.frames import crs_of, fields_for, frame_to_sink

    kind = QgsWkbTypes.displayString(wkb)
    layer = QgsVectorLayer(f"{kind}?crs={crs_of(frame).authid()}", name, "memory")
    fields = fields_for(frame, "geometry")
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    frame_to_sink(frame, layer.dataProvider(), fields)
    return layer


def _flow_layers(actors: Path, flows: Path):
    """Supply and need layers of the planted tables, built through the core."""
    import geopandas as gpd
    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.core.flows import attach_geometry, build_flows, read_actors, read_flows
    from eit_synergies.core.geocode.pipeline import geocode_actors

    actor_table = read_actors(str(actors))
    result = build_flows(actor_table, read_flows(str(flows)), Catalogue.builtin())
    placed = geocode_actors(actor_table.frame, method=0)
    points = gpd.GeoDataFrame(
        placed, geometry=gpd.points_from_xy(placed["lon"], placed["lat"]), crs="EPSG:4326"
    )
    supply = attach_geometry(result.supply, points).to_crs(2154)
    need = attach_geometry(result.need, points).to_crs(2154)
    return supply, need


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Planted demo: supply/need layers, a few candidates (two confidential), groups."""
    import functools

    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.core.precedents import precedent_pairs
    from eit_synergies.core.synergy import find_candidates, find_mutualisation_groups

    folder = tmp_path_factory.mktemp("demo")
    actors, flows = _planted_tables(folder)
    supply_frame, need_frame = _flow_layers(actors, flows)
    assert (supply_frame["quantity_norm"] == 98765).sum() == 1
    catalogue = Catalogue.builtin()
    candidates = find_candidates(
        supply_frame,
        need_frame,
        catalogue.compatibility_frame,
        0,
        catalogue.max_distance_km(),
        allocate=True,
        precedents=functools.partial(precedent_pairs, catalogue),
    ).candidates
    secret = (candidates["supplier_id"] == SECRET_ACTOR).to_numpy()
    confidential = (candidates["supply_confidential"] | candidates["need_confidential"]).to_numpy()
    best = candidates[~confidential].sort_values("score", ascending=False).index[:4]
    candidates["status"] = "rejected"
    candidates.loc[best[:2], "status"] = "retained"
    candidates.loc[best[2:3], "status"] = "to_explore"
    candidates.loc[best[3:4], "status"] = "proposed"
    candidates.loc[best[0], "notes"] = PUBLIC_NOTE
    planted = candidates.index[secret & (candidates["supply_flow"] == SECRET_FLOW).to_numpy()]
    others = candidates.index[secret & (candidates["supply_flow"] != SECRET_FLOW).to_numpy()]
    chosen = list(planted[:1]) + list(others[:1])
    assert len(chosen) == 2, "the planted actor must supply candidates"
    candidates.loc[chosen, "status"] = "proposed"
    candidates.loc[chosen, "notes"] = SECRET_NOTE
    groups = find_mutualisation_groups(need_frame, supply_frame, 10, 2)
    return {
        "layers": {
            "SYNERGIES": _layer_from_frame(candidates, "candidates", QgsWkbTypes.Type.LineString),
            "SUPPLY": _layer_from_frame(supply_frame, "supply", QgsWkbTypes.Type.Point),
            "NEED": _layer_from_frame(need_frame, "need", QgsWkbTypes.Type.Point),
            "MUTUALISATION": _layer_from_frame(groups, "groups", QgsWkbTypes.Type.Polygon),
            "TERRITORY": QgsVectorLayer(str(DEMO / "communes.geojson"), "communes", "ogr"),
            "ACTORS": str(actors),
        },
        "pages": int((candidates["status"] != "rejected").sum()),
        "supply": supply_frame,
        "need": need_frame,
    }


# --------------------------------------------------------------------------- helpers


def run_atlas(demo, tmp_path, **parameters):
    from qgis import processing

    values = dict(demo["layers"])
    values.update({"TITLE": TITLE, "OUTPUT": str(tmp_path / "atlas.pdf")})
    values.update(parameters)
    feedback = QgsProcessingFeedback()
    return processing.run(
        "eit:exportatlas", values, context=QgsProcessingContext(), feedback=feedback
    )


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def pdf_info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout


def normalised(text: str) -> str:
    """Ligatures unfolded, runs of spaces (no-break ones, line breaks) as one, case folded."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text).casefold()  # \s: no-break spaces and line breaks too


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    return normalised(out.stdout)


def leaks(text: str) -> list[str]:
    text = normalised(text)
    return [secret for secret in LEAKS if secret in text]


# --------------------------------------------------------------------------- tests


def test_templates_load_with_every_item(qgis_app):
    from eit_synergies.layers.atlas_layout import TEMPLATES

    needed = {
        "eit_title", "eit_map", "eit_overview", "eit_legend", "eit_scalebar", "eit_north",
        "eit_panel", "eit_footer", "eit_attribution", "eit_mode", "eit_cover_title",
        "eit_cover_map", "eit_cover_legend", "eit_cover_panel", "eit_kpi1_value",
    }  # fmt: skip
    sizes = {}
    for orientation, path in TEMPLATES.items():
        document = QDomDocument()
        assert document.setContent(path.read_text(encoding="utf-8"))
        layout = QgsPrintLayout(QgsProject.instance())
        _, ok = layout.loadFromTemplate(document, QgsReadWriteContext())
        assert ok, path
        ids = {i.id() for i in layout.items() if hasattr(i, "id")}
        assert needed <= ids, needed - ids
        page = layout.pageCollection().page(0).pageSize()
        sizes[orientation] = (round(page.width()), round(page.height()))
        atlas_map = layout.itemById("eit_map")
        assert atlas_map.atlasDriven()
        assert atlas_map.sizeWithUnits().height() > 100  # a real size, not NaN
    assert sizes == {"landscape": (297, 210), "portrait": (210, 297)}


def test_algorithm_shape(plugin):
    alg = QgsApplication.processingRegistry().algorithmById("eit:exportatlas")
    assert alg is not None and alg.groupId() == "reports"
    assert alg.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading
    names = {p.name() for p in alg.parameterDefinitions()}
    assert {"SYNERGIES", "SUPPLY", "NEED", "MUTUALISATION", "TERRITORY", "COVERAGE", "PUBLIC",
            "TITLE", "OUTPUT", "OUTPUT_CSV", "OUTPUT_XLSX", "OUTPUT_PNG"} <= names  # fmt: skip
    assert alg.parameterDefinition("PUBLIC").defaultValue() is True


def test_public_synergy_atlas_leaks_nothing(plugin, french_report, demo, tmp_path):
    outputs = {
        "OUTPUT_CSV": str(tmp_path / "synergies.csv"),
        "OUTPUT_XLSX": str(tmp_path / "synergies.xlsx"),
        "OUTPUT_PNG": str(tmp_path / "carte.png"),
    }
    result = run_atlas(demo, tmp_path, COVERAGE=0, PUBLIC=True, **outputs)
    pdf = Path(result["OUTPUT"])
    # one page per candidate not rejected, plus the cover
    assert pdf_pages(pdf) == demo["pages"] + 1 == result["PAGES"]
    text = pdf_text(pdf)
    for expected in (
        TITLE, "une fiche par piste de synergie", "pistes de synergies par statut",
        "flux concernés", "composantes du score", "impacts estimés", "questions ouvertes",
        "version publique", f"page 1 / {demo['pages'] + 1}", "fiche", "retenue", "à explorer",
        "limites communales © ign", "gisements", "besoins", "t/an mobilisables",
        "retours d'expérience (",
    ):  # fmt: skip
        assert normalised(expected) in text, expected
    # the confidential candidates are there, under their public names
    assert "entreprise (métallurgie)" in text
    assert "non publiées (flux confidentiel)" in text
    assert normalised(PUBLIC_NOTE) in text
    assert leaks(text) == []
    info = pdf_info(pdf)
    assert f"Title:           {TITLE}" in info
    assert "Author:          EIT Synergies" in info
    assert "Subject:" in info and "Keywords:" in info
    assert leaks(info) == []
    # tables and the slide image
    table = Path(result["OUTPUT_CSV"]).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(table.splitlines(), delimiter=";"))
    assert len(rows) == demo["pages"] + 1
    assert leaks(table) == []
    from openpyxl import load_workbook

    sheet = load_workbook(result["OUTPUT_XLSX"]).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert sheet.max_row == demo["pages"] + 1
    assert "Entreprise (métallurgie)" in cells
    assert leaks(cells) == []
    png = Path(result["OUTPUT_PNG"])
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert leaks(data.decode("latin-1")) == []
    # one page for the README
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "2", "-l", "2", "-singlefile", str(pdf),
         str(ARTIFACTS / "atlas-page")],
        check=True,
    )  # fmt: skip
    assert (ARTIFACTS / "atlas-page.png").stat().st_size > 50_000


def test_working_version_shows_the_confidential_data(plugin, french_report, demo, tmp_path):
    result = run_atlas(demo, tmp_path, COVERAGE=0, PUBLIC=False, OUTPUT_CSV=str(tmp_path / "s.csv"))
    text = pdf_text(Path(result["OUTPUT"]))
    assert normalised(SECRET_NAME) in text
    assert "98 765 t/an" in text
    assert normalised(SECRET_NOTE) in text
    assert "document de travail confidentiel" in text
    assert set(leaks(text)) >= {"zorglub", "98 765"}
    assert SECRET_NAME in Path(result["OUTPUT_CSV"]).read_text(encoding="utf-8-sig")


def expected_actor_pages(demo) -> int:
    import pandas as pd

    flows = pd.concat([demo["supply"], demo["need"]])
    by_actor = flows.groupby("actor_id")["confidential"]
    named = int((~by_actor.all()).sum())  # actors with a public flow: a named page
    anonymous = int(by_actor.any().sum())  # actors with a confidential flow: an anonymous one
    return named + anonymous


def test_actor_atlas(plugin, french_report, demo, tmp_path):
    result = run_atlas(demo, tmp_path, COVERAGE=1, PUBLIC=True)
    pdf = Path(result["OUTPUT"])
    assert pdf_pages(pdf) == expected_actor_pages(demo) + 1
    text = pdf_text(pdf)
    for expected in ("une fiche par acteur", "fiche acteur", "gisements", "besoins",
                     "pistes de synergies", "acteur confidentiel",
                     "scierie des bertranges (fictif)"):  # fmt: skip
        assert expected in text, expected
    assert leaks(text) == [] and leaks(pdf_info(pdf)) == []


def test_family_atlas(plugin, french_report, demo, tmp_path):
    import pandas as pd

    result = run_atlas(demo, tmp_path, COVERAGE=2, PUBLIC=True)
    pdf = Path(result["OUTPUT"])
    families = pd.concat([demo["supply"], demo["need"]])["family"].dropna().nunique()
    assert pdf_pages(pdf) == families + 1
    text = pdf_text(pdf)
    for expected in ("une fiche par famille de ressources", "famille de ressources",
                     "matières organiques", "bois", "énergie", "totaux par ressource",
                     "gisements et besoins par ressource"):  # fmt: skip
        assert expected in text, expected
    assert leaks(text) == [] and leaks(pdf_info(pdf)) == []
    working = run_atlas(
        demo, tmp_path, COVERAGE=2, PUBLIC=False, OUTPUT=str(tmp_path / "working.pdf")
    )
    assert "98 765 t/an" in pdf_text(Path(working["OUTPUT"]))


def _listed(legend) -> set[tuple[str, str]]:
    """(layer, legend key) of every entry a legend lists now; each entry's symbol reads no
    field (a legend has no feature: a marker sized by a field was drawn as a dot)."""
    from qgis.core import QgsLayerTreeModelLegendNode

    role = QgsLayerTreeModelLegendNode.LegendNodeRoles.RuleKeyRole
    model = legend.model()
    listed = set()
    for node in model.rootGroup().findLayers():
        for entry in model.layerLegendNodes(node):
            listed.add((node.layer().name(), entry.data(role)))
            symbol = None  # what it draws: its own symbol unless given one for the legend
            if hasattr(entry, "symbol"):
                symbol = entry.customSymbol() or entry.symbol()
            for layer in symbol.symbolLayers() if symbol is not None else []:
                properties = layer.dataDefinedProperties()
                assert not any(
                    properties.property(key).propertyType() == QgsProperty.Type.FieldBasedProperty
                    for key in properties.propertyKeys()
                    if properties.isActive(key)
                ), node.layer().name()
    return listed


def _hit_test(map_item, layers, filters: dict) -> set[tuple[str, str]]:
    """What QGIS's own legend filter would list: its hit test of ``map_item`` as the legend
    runs it, the page's focus expressions applied."""
    from qgis.core import QgsGeometry, QgsMapHitTest, QgsUnitTypes
    from qgis.PyQt.QtCore import QSizeF

    rect = map_item.requestedExtent()
    dpi = 96.0
    scale = (
        map_item.layout()
        .convertFromLayoutUnits(
            map_item.mapUnitsToLayoutUnits(), QgsUnitTypes.LayoutUnit.LayoutMillimeters
        )
        .length()
        * dpi
        / 25.4
    )
    settings = map_item.mapSettings(rect, QSizeF(rect.width(), rect.height()) * scale, dpi, True)
    hit = QgsMapHitTest(settings, QgsGeometry(), filters)  # the map's extent, as a legend
    hit.run()
    drawn = {layer.id() for layer in settings.layers()}
    return {
        (layer.name(), item.ruleKey())
        for layer in layers
        if layer.id() in drawn
        for item in layer.renderer().legendSymbolItems()
        if hit.legendKeyVisible(item.ruleKey(), layer)
    }


@pytest.mark.parametrize("coverage", [0, 1, 2])
def test_legends_list_what_qgis_own_hit_test_finds(plugin, demo, tmp_path, monkeypatch, coverage):
    """The legends are worked out from the data (layers/atlas_legend.py); on every page and
    the cover they list what QGIS's filter by map and by the page's focus would."""
    from eit_synergies.layers import atlas, atlas_legend
    from eit_synergies.layers import atlas_style as sty

    seen = []

    class Checked(atlas_legend.AtlasLegends):
        def show_all(self, legend):
            super().show_all(legend)
            cover_map = legend.layout().itemById("eit_cover_map")
            layers = [s.layer for s in self.sources.values()]
            seen.append(("cover", _listed(legend), _hit_test(cover_map, layers, {})))

        def page_changed(self):
            super().page_changed()
            feature = self.map_item.layout().reportContext().feature()
            layers = {key: s.layer for key, s in self.sources.items()}
            filters = {
                layers["flows"].id(): sty.focus("hl_flows", "flow_id"),
                layers["links"].id(): sty.focus("hl_cands", "candidate_id"),
            }
            theirs = _hit_test(self.map_item, list(layers.values()), filters)
            seen.append((feature["page_key"], _listed(self.legend), theirs))

    monkeypatch.setattr(atlas, "AtlasLegends", Checked)
    result = run_atlas(demo, tmp_path, COVERAGE=coverage)
    assert len(seen) == result["PAGES"]  # the cover and every page
    for page, ours, theirs in seen:
        assert ours == theirs, page
    cover = seen[0][1]
    assert all(len(ours) < len(cover) for _, ours, _ in seen[1:])  # the pages' are filtered
    assert any({name for name, _ in ours} != {name for name, _ in cover} for _, ours, _ in seen)


def test_english_portrait_atlas(plugin, demo, tmp_path):
    result = run_atlas(demo, tmp_path, COVERAGE=0, PUBLIC=True, LANGUAGE=1, ORIENTATION=1, TITLE="")
    pdf = Path(result["OUTPUT"])
    assert "595 x 842 pts (A4)" in pdf_info(pdf)
    text = pdf_text(pdf)
    for expected in ("atlas of the industrial and territorial ecology synergies",
                     "flows behind the synergy", "score parts (0 to 1)",
                     "public version: confidential flows masked"):  # fmt: skip
        assert expected in text, expected
    assert leaks(text) == []


def test_bad_template_is_reported(plugin, demo, tmp_path):
    from qgis.core import QgsProcessingException

    bad = tmp_path / "bad.qpt"
    bad.write_text("not a layout", encoding="utf-8")
    with pytest.raises(QgsProcessingException) as error:
        run_atlas(demo, tmp_path, TEMPLATE=str(bad))
    assert "bad.qpt" in str(error.value)


HOSTILE = (
    '=HYPERLINK("http://x","clic")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\tX",
    "\rX",
)


def test_hostile_texts_stay_inert_in_the_tables(plugin, demo, tmp_path):
    """Names, labels, comments and notes that a spreadsheet would run as formulas come out
    of OUTPUT_CSV with a leading apostrophe and out of OUTPUT_XLSX as string cells."""
    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.core.synergy import find_candidates
    from openpyxl import load_workbook

    def plant(frame, columns, shift=0):
        frame = frame.copy()
        for k, column in enumerate(columns):
            frame[column] = [HOSTILE[(i + k + shift) % len(HOSTILE)] for i in range(len(frame))]
        return frame

    text_fields = ["actor_name", "resource_label", "label", "comment"]
    supply = plant(demo["supply"].assign(confidential=False), text_fields)
    need = plant(demo["need"].assign(confidential=False), text_fields, shift=3)
    catalogue = Catalogue.builtin()
    candidates = find_candidates(
        supply, need, catalogue.compatibility_frame, 0, catalogue.max_distance_km()
    ).candidates.head(12)
    candidates = plant(candidates, ["notes", "explanation_fr"], shift=1)
    candidates["status"] = "proposed"
    layers = dict(demo["layers"])
    layers.update(
        SYNERGIES=_layer_from_frame(candidates, "candidates", QgsWkbTypes.Type.LineString),
        SUPPLY=_layer_from_frame(supply, "supply", QgsWkbTypes.Type.Point),
        NEED=_layer_from_frame(need, "need", QgsWkbTypes.Type.Point),
    )
    result = run_atlas(
        {**demo, "layers": layers},
        tmp_path,
        COVERAGE=0,
        PUBLIC=False,
        OUTPUT_CSV=str(tmp_path / "t.csv"),
        OUTPUT_XLSX=str(tmp_path / "t.xlsx"),
    )
    with open(result["OUTPUT_CSV"], encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert len(rows) == len(candidates) + 1
    cells = [cell for row in rows for cell in row]
    for text in HOSTILE:  # every hostile text reached the table, neutralised
        assert "'" + text in cells, text
        assert text not in cells, text
    numeric = rows[0].index("Score")
    assert all(float(r[numeric].replace(",", ".")) >= 0 for r in rows[1:])
    for cell in cells:  # no cell of the CSV may start a formula, apart from numbers
        if cell[:1] in ("=", "+", "@", "\t", "\r"):
            raise AssertionError(cell)
        if cell[:1] == "-":
            float(cell.replace(",", "."))  # a negative number, nothing else
    import zipfile

    with zipfile.ZipFile(result["OUTPUT_XLSX"]) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    sheet = load_workbook(result["OUTPUT_XLSX"]).active
    found = set()
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
            if cell.value in HOSTILE:
                assert cell.data_type == "s"
                found.add(cell.value)
            elif isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                raise AssertionError(cell.value)
        assert row[rows[0].index("Score")].data_type == "n"
    assert found == set(HOSTILE)
