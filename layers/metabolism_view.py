"""The territory's metabolism as the reports show it: translated words, SVG and PNG.

The figures and the drawing come from :mod:`core.metabolism`; this module only brings the
translated texts (``tr``), the catalogue's family labels and colours, and renders the SVG to a
picture for the atlas (QGIS 3.22 layouts read the charts as raster pictures).
"""

from __future__ import annotations

from ..translation import tr as _tr


def metabolism_texts(translate=None) -> dict:
    """The diagram's words, through ``translate`` (an atlas's ``ReportText.tr``) or ``tr``."""
    tr = translate or _tr
    return {
        "title_before": tr("Today"),
        "title_after": tr("After the synergies to pursue"),
        "outside_in": tr("From outside"),
        "inside_in": tr("From the territory"),
        "unknown_in": tr("Origin not stated"),
        "inside_out": tr("Used in the territory"),
        "outside_out": tr("Leaving the territory"),
        "unknown_out": tr("Destination not stated"),
        "loop_rate": tr("Local loop rate: {rate}"),
        "empty": tr("No flow in this unit"),
    }


def family_styles(families=None) -> tuple[dict, dict]:
    """(labels, colours) by family code, from a catalogue's families frame (built-in default)."""
    if families is None:
        from ..core.catalogue import Catalogue

        families = Catalogue.builtin().families_frame
    from .summary import report_language

    column = "label_fr" if report_language() == "fr" else "label_en"
    labels = dict(zip(families["code"], families[column], strict=False))
    colours = dict(zip(families["code"], families.get("colour", families["code"]), strict=False))
    return labels, colours


def metabolism_svg(
    metabolism: dict, unit: str, families=None, number=None, styles=None, translate=None, **size
) -> str:
    """The diagram of ``unit``; ``styles``: (labels, colours) by family (else the catalogue's)."""
    from ..core.metabolism import sankey_svg

    labels, colours = styles or family_styles(families)
    texts = metabolism_texts(translate)
    return sankey_svg(metabolism, unit, texts, labels, number, family_colours=colours, **size)


def main_unit(metabolism: dict) -> str | None:
    """``t/yr`` when tonnes are known, else ``MWh/yr``, else None (nothing to draw)."""
    for unit, totals in metabolism["totals"].items():
        if any(before or after for before, after in totals.values()):
            return unit
    return None


def svg_to_png(svg: str, path, width_px: int, height_px: int) -> str:
    """Render an SVG text into a PNG file (white background); returns the path."""
    from qgis.PyQt.QtCore import QByteArray
    from qgis.PyQt.QtGui import QColor, QImage, QPainter
    from qgis.PyQt.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    image = QImage(width_px, height_px, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    image.save(str(path), "PNG")
    return str(path)
