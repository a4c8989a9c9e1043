"""The atlas's charts are SVG drawings: vectors and text in the PDF, drawn once per content."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from eit_synergies.layers.atlas_charts import SCREEN_PX_PER_MM, ChartMaker
from qgis.PyQt.QtSvg import QSvgRenderer


def _texts(path) -> str:
    root = ET.parse(path).getroot()
    return " ".join(" ".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))


def test_a_score_chart_is_an_svg_with_its_labels_and_values_as_text(qgis_app, tmp_path):
    charts = ChartMaker(tmp_path, "fr")
    path = charts.score(80.0, 24.0, [("Compatibilité", 1.0), ("Proximité", 0.25)])
    assert path.suffix == ".svg"
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid()
    box = renderer.viewBoxF()
    size = (round(box.width()), round(box.height()))
    assert size == (80 * SCREEN_PX_PER_MM, 24 * SCREEN_PX_PER_MM)
    text = _texts(path)
    for expected in ("Compatibilité", "Proximité", "0,25"):
        assert expected in text
    # the same chart again is the same file, drawn once
    assert charts.score(80.0, 24.0, [("Compatibilité", 1.0), ("Proximité", 0.25)]) == path
    other = charts.score(80.0, 24.0, [("Compatibilité", 1.0), ("Proximité", 0.5)])
    assert other != path and charts.count == 2
