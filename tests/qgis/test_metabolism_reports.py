"""The metabolism and the avoided transport in synthese.html and on the atlas cover.

The demo territory runs through the core with its current origins and destinations; a
confidential actor is renamed "Zorglub Confidentiel SARL" and one of its flows (foundry sand
going to a landfill outside the territory) gets 98 765 t/yr: in public mode neither may reach
the summary's diagram; the working version shows the quantity (so the check can fail).
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer, QgsWkbTypes

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SECRET_NAME = "Zorglub Confidentiel SARL"
SECRET_ACTOR = "A05"
SECRET_FLOW = "FL059"
LEAKS = ("zorglub", "98765", "98 765", "98,765")


def normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text).casefold()


def leaks(text: str) -> list[str]:
    text = normalised(text)
    return [secret for secret in LEAKS if secret in text]


def _planted(folder: Path) -> tuple[Path, Path]:
    actors, flows = folder / "actors.csv", folder / "flows.csv"
    lines = (DEMO / "actors.csv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(SECRET_ACTOR + ";"):
            fields = line.split(";")
            assert fields[-1] == "oui"
            fields[1] = SECRET_NAME
            lines[i] = ";".join(fields)
    actors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = (DEMO / "flows.csv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(SECRET_FLOW + ";"):
            fields = line.split(";")
            fields[5], fields[6] = "98765", "t/an"
            assert fields[12].startswith("ISDND")  # it goes to a landfill outside today
            lines[i] = ";".join(fields)
    flows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return actors, flows


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from eit_synergies.core.pipeline import PipelineOptions, run_pipeline
    from eit_synergies.layers.frames import source_to_frame

    folder = tmp_path_factory.mktemp("metabolism")
    actors, flows = _planted(folder)
    territory = source_to_frame(QgsVectorLayer(str(DEMO / "communes.geojson"), "c", "ogr"))
    result = run_pipeline(
        str(actors),
        str(flows),
        options=PipelineOptions(facilities=str(DEMO / "sites.csv")),
        territory=territory,
    )
    cands = result.candidates
    outside = set(result.supply.loc[result.supply["current_outside"].eq(True), "flow_id"])
    public = ~(cands["supply_confidential"] | cands["need_confidential"])
    pick = cands[public & cands["supply_flow"].isin(outside) & cands["tkm_avoided"].notna()]
    pick = pick.sort_values("score", ascending=False)
    assert len(pick) >= 3
    cands.loc[pick.index[:2], "status"] = "retained"
    cands.loc[pick.index[2:3], "status"] = "to_explore"
    return result, territory


def test_summary_shows_the_metabolism_and_masks_confidential_flows(run):
    from eit_synergies.core.metabolism import territory_metabolism
    from eit_synergies.layers.summary import summary_html

    result, _ = run
    assert result.counts["rows_rejected"] == 0
    assert "row_kept" not in result.rejected  # every origin and destination was found

    def page(public):
        return summary_html(
            result.figures, None, result.candidates, result.groups, result.counts, public,
            supply=result.supply, need=result.need,
        )  # fmt: skip

    public, private = page(True), page(False)
    assert public.count("<svg") >= 1 and "Metabolism of the territory" in public
    assert "Transport avoided against today" in public
    assert leaks(public) == []
    meta_public = territory_metabolism(result.supply, result.need, result.candidates, True)
    meta_private = territory_metabolism(result.supply, result.need, result.candidates)
    before, after = meta_public["loop_rate"]["t/yr"]
    assert after > before > 0
    leaving = meta_private["totals"]["t/yr"]["leaving"][0]
    assert leaving - meta_public["totals"]["t/yr"]["leaving"][0] >= 98765
    from eit_synergies.layers.summary import _number

    assert _number(leaving) in private and _number(leaving) not in public
    assert "confidential flows are left out" in public
    # the public key figures leave the confidential quantities out too: no total next to the
    # diagram tells a confidential quantity by difference
    from eit_synergies.layers.summary import public_figures

    shown = public_figures(result.figures, result.supply, result.need, result.candidates)
    assert shown["supply_t"] <= result.figures["supply_t"] - 98765 + 1e-6
    assert _number(shown["supply_t"]) in public and _number(result.figures["supply_t"]) in private
    assert _number(result.figures["supply_t"]) not in public
    assert shown["loop_rate_t"] == pytest.approx(meta_public["loop_rate"]["t/yr"][0])


def _layer(frame, name, wkb):
    from eit_synergies.layers.frames import crs_of, fields_for, frame_to_sink

    kind = QgsWkbTypes.displayString(wkb)
    layer = QgsVectorLayer(f"{kind}?crs={crs_of(frame).authid()}", name, "memory")
    fields = fields_for(frame, "geometry")
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    frame_to_sink(frame, layer.dataProvider(), fields)
    return layer


def test_atlas_cover_shows_the_metabolism(run, plugin, french_qm_dir, tmp_path):
    import importlib

    from qgis import processing

    module = importlib.import_module("eit_synergies.layers.atlas_text")
    old = module.ReportText.qm_dir
    module.ReportText.qm_dir = french_qm_dir
    result, _ = run
    try:
        out = processing.run(
            "eit:exportatlas",
            {
                "SYNERGIES": _layer(result.candidates, "c", QgsWkbTypes.Type.LineString),
                "SUPPLY": _layer(result.supply, "s", QgsWkbTypes.Type.Point),
                "NEED": _layer(result.need, "n", QgsWkbTypes.Type.Point),
                "TERRITORY": QgsVectorLayer(str(DEMO / "communes.geojson"), "communes", "ogr"),
                "PUBLIC": True,
                "OUTPUT": str(tmp_path / "atlas.pdf"),
            },
            context=QgsProcessingContext(),
            feedback=QgsProcessingFeedback(),
        )
    finally:
        module.ReportText.qm_dir = old
    text = normalised(
        subprocess.run(
            ["pdftotext", "-l", "1", out["OUTPUT"], "-"], capture_output=True, text=True
        ).stdout
    )
    assert "métabolisme du territoire" in text
    assert "t·km évitées" in text
    assert leaks(text) == []
    # the diagram is a picture on the cover: the cover page is drawn with it
    png = tmp_path / "cover"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", out["OUTPUT"],
         str(png)],
        check=True,
    )  # fmt: skip
    assert png.with_suffix(".png").stat().st_size > 20_000
