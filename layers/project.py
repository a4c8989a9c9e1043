"""The workshop-ready QGIS project of a workspace (``eit.qgz`` next to ``eit.gpkg``).

Styled layers in French, the territory's communes, attribute forms in French with the
catalogue as drop-down lists, the actor ↔ flow relations, the public-mode switch as a project
variable (``eit_public``) that every label expression reads.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsEditorWidgetSetup,
    QgsExpressionContextUtils,
    QgsFillSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProject,
    QgsReferencedRectangle,
    QgsRelation,
    QgsRelationContext,
    QgsRendererCategory,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..core.workspace import LAYERS
from ..translation import tr
from .styles import PUBLIC, style_candidate_layer, style_flow_layer, style_group_layer

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: actor category -> (marker shape, colour): one symbology for the project, the dock and the
#: atlas, chosen for a projector (distinct shapes, colours that stay apart when projected)
CATEGORY_SYMBOLS = {
    "entreprise": ("square", "#1f4e79"),
    "exploitation_agricole": ("triangle", "#4d9221"),
    "ehpad": ("cross_fill", "#c51b7d"),
    "hopital": ("cross_fill", "#8e0152"),
    "insertion": ("diamond", "#e08214"),
    "collectivite": ("pentagon", "#5e3c99"),
    "association": ("star", "#d6604d"),
    "laboratoire": ("hexagon", "#35978f"),
    "cuma": ("trapezoid", "#7f3b08"),
}


def category_labels() -> dict[str, str]:
    return {
        "entreprise": tr("Company"),
        "exploitation_agricole": tr("Farm"),
        "ehpad": tr("Care home (EHPAD)"),
        "hopital": tr("Hospital"),
        "insertion": tr("Social-integration structure"),
        "collectivite": tr("Public body"),
        "association": tr("Association"),
        "laboratoire": tr("Laboratory"),
        "cuma": tr("Farm machinery cooperative (CUMA)"),
    }


def layer_names() -> dict[str, str]:
    """Workspace role -> the layer's name in the layer panel (translated)."""
    return {
        "actors": tr("Actors"),
        "supply": tr("Supplies (gisements)"),
        "need": tr("Needs (besoins)"),
        "candidates": tr("Synergy candidates"),
        "groups": tr("Mutualisation groups"),
        "rejected": tr("Rejected rows"),
        "unplaced": tr("Flows not matched (no position)"),
        "territory": tr("Territory (communes)"),
        "resources": tr("Resource catalogue"),
        "compatibility": tr("Compatibility table"),
        "runs": tr("Runs"),
        "decisions": tr("Decisions"),
    }


def field_aliases() -> dict[str, str]:
    return {
        "flow_id": tr("Flow id"),
        "actor_id": tr("Actor id"),
        "actor_name": tr("Actor"),
        "actor_category": tr("Actor category"),
        "name": tr("Name"),
        "category": tr("Category"),
        "direction": tr("Direction"),
        "resource": tr("Resource"),
        "resource_label": tr("Resource (label)"),
        "family": tr("Family"),
        "synergy_type": tr("Type of synergy"),
        "quantity": tr("Quantity (as given)"),
        "unit": tr("Unit (as given)"),
        "quantity_norm": tr("Quantity (normalised)"),
        "unit_norm": tr("Normalised unit"),
        "months": tr("Months available"),
        "confidential": tr("Confidential"),
        "candidate_id": tr("Candidate id"),
        "supplier_name": tr("Supplier"),
        "receiver_name": tr("Receiver"),
        "distance_km": tr("Distance (km)"),
        "matched_quantity": tr("Exchanged quantity"),
        "coverage": tr("Share of the need covered"),
        "score": tr("Score"),
        "status": tr("Status"),
        "notes": tr("Open questions / notes"),
        "geo_status": tr("Geocoding status"),
        "geo_score": tr("Geocoding score"),
        "geo_precision": tr("Geocoding precision"),
        "geo_method": tr("Geocoding method"),
        "members": tr("Members"),
        "n_actors": tr("Number of actors"),
        "combined_quantity": tr("Combined quantity"),
    }


def status_labels() -> dict[str, str]:
    return {
        "proposed": tr("Proposed"),
        "retained": tr("To pursue"),
        "to_explore": tr("To explore further"),
        "rejected": tr("Set aside"),
    }


def _big_label(expression: str, size: float = 11) -> QgsVectorLayerSimpleLabeling:
    settings = QgsPalLayerSettings()
    settings.fieldName = expression
    settings.isExpression = True
    text = QgsTextFormat()
    text.setFont(QFont("DejaVu Sans"))
    text.setSize(size)
    text.setColor(QColor("#1a1a1a"))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(1.2)
    buffer.setColor(QColor("white"))
    text.setBuffer(buffer)
    settings.setFormat(text)
    return QgsVectorLayerSimpleLabeling(settings)


def actor_label_expression() -> str:
    """Label of an actor: its category (in words) instead of its name when public mode is on
    (:data:`layers.styles.PUBLIC`) and the actor is confidential (a missing flag counts as
    confidential)."""
    cases = " ".join(
        "WHEN \"category\" = '{}' THEN '{}'".format(code, label.replace("'", "''"))
        for code, label in category_labels().items()
    )
    category = f"CASE {cases} ELSE '{tr('Actor')}' END"
    return f'if({PUBLIC} and coalesce("confidential", true), {category}, "name")'


def style_actor_layer(layer) -> None:
    labels = category_labels()
    categories = []
    for code, (shape, colour) in CATEGORY_SYMBOLS.items():
        symbol = QgsMarkerSymbol.createSimple(
            {"name": shape, "color": colour, "outline_color": "white", "size": "4.2"}
        )
        categories.append(QgsRendererCategory(code, symbol, labels[code]))
    other = QgsMarkerSymbol.createSimple({"name": "circle", "color": "#999999", "size": "3.5"})
    categories.append(QgsRendererCategory("", other, tr("Other")))
    layer.setRenderer(QgsCategorizedSymbolRenderer("category", categories))
    layer.setLabeling(_big_label(actor_label_expression(), 9))
    layer.setLabelsEnabled(True)


def _apply_forms(layer, resources_layer) -> None:
    aliases = field_aliases()
    fields = layer.fields()
    for name, alias in aliases.items():
        index = fields.indexOf(name)
        if index >= 0:
            layer.setFieldAlias(index, alias)
    index = fields.indexOf("status")
    if index >= 0:
        value_map = [{label: code} for code, label in status_labels().items()]
        layer.setEditorWidgetSetup(index, QgsEditorWidgetSetup("ValueMap", {"map": value_map}))
    for name in ("resource", "supply_resource", "need_resource"):
        index = fields.indexOf(name)
        if index >= 0 and resources_layer is not None:
            layer.setEditorWidgetSetup(
                index,
                QgsEditorWidgetSetup(
                    "ValueRelation",
                    {
                        "Layer": resources_layer.id(),
                        "Key": "code",
                        "Value": "label_fr",
                        "AllowNull": False,
                        "OrderByValue": True,
                        "UseCompleter": True,
                    },
                ),
            )
    index = fields.indexOf("category")
    if index >= 0:
        value_map = [{label: code} for code, label in category_labels().items()]
        layer.setEditorWidgetSetup(index, QgsEditorWidgetSetup("ValueMap", {"map": value_map}))


def layout_names() -> dict[str, str]:
    """Template file -> the print layout's name in the project (translated)."""
    return {
        "atlas_a4_landscape.qpt": tr("EIT report, A4 landscape"),
        "atlas_a4_portrait.qpt": tr("EIT report, A4 portrait"),
    }


def add_layout_templates(project) -> int:
    """The shipped report templates as print layouts of the project (to fill by hand or with
    the atlas); returns how many were added."""
    from .atlas_layout import load_template

    added = 0
    for filename, name in layout_names().items():
        path = TEMPLATES / filename
        if not path.exists():
            continue
        layout = load_template(project, path)
        layout.setName(name)
        if project.layoutManager().addLayout(layout):
            added += 1
    return added


def build_project(
    gpkg: Path,
    project_path: Path,
    families_frame,
    public: bool = True,
    title: str = "",
    database=None,
) -> dict:
    """Write ``project_path`` (.qgz) over the workspace ``gpkg``, titled with the territory's
    name ``title``; returns role -> layer.

    ``database``: ``(layers.postgres.Database, schema)`` when the workspace lives in PostGIS:
    the layers then read the schema's tables (same names) through QGIS's PostgreSQL provider.
    """
    project = QgsProject()
    project.setTitle(title or tr("EIT Synergies workspace"))
    project.setCrs(QgsCoordinateReferenceSystem("EPSG:2154"))
    names = layer_names()
    layers: dict[str, QgsVectorLayer] = {}
    order = [
        "territory", "groups", "candidates", "need", "supply", "actors", "rejected", "unplaced",
        "resources", "compatibility", "runs", "decisions",
    ]  # fmt: skip
    for role in order:
        layer = QgsVectorLayer(f"{gpkg}|layername={LAYERS[role]}", names[role], "ogr")
        if layer.isValid() and database is not None:
            db, schema = database
            source = db.layer_uri(schema, LAYERS[role], geometry=layer.isSpatial())
            layer = QgsVectorLayer(source, names[role], "postgres")
        if layer.isValid():
            layers[role] = layer
    root = project.layerTreeRoot()
    map_group = root.addGroup(tr("Workshop map"))
    table_group = root.addGroup(tr("Tables"))
    for role in order:  # each inserted on top: the actors end up above everything
        layer = layers.get(role)
        if layer is None:
            continue
        project.addMapLayer(layer, False)
        group = map_group if layer.isSpatial() else table_group
        group.insertLayer(0, layer)
    if "supply" in layers:
        style_flow_layer(layers["supply"], families_frame, "supply")
    if "need" in layers:
        style_flow_layer(layers["need"], families_frame, "need")
    if "candidates" in layers:
        style_candidate_layer(layers["candidates"], families_frame)
    if "groups" in layers:
        style_group_layer(layers["groups"], families_frame)
    if "actors" in layers:
        style_actor_layer(layers["actors"])
    if "territory" in layers:
        fill = QgsFillSymbol.createSimple(
            {"color": "#f4f1e8", "outline_color": "#8c8c8c", "outline_width": "0.3"}
        )
        layers["territory"].setRenderer(QgsSingleSymbolRenderer(fill))
        layers["territory"].setLabeling(_big_label('"nom"', 8))
        layers["territory"].setLabelsEnabled(True)
    for layer in layers.values():
        _apply_forms(layer, layers.get("resources"))
    for role in ("supply", "need"):
        if "actors" in layers and role in layers:
            relation = QgsRelation(QgsRelationContext(project))
            relation.setId(f"eit_actor_{role}")
            relation.setName(tr("Actor's supplies") if role == "supply" else tr("Actor's needs"))
            relation.setReferencingLayer(layers[role].id())
            relation.setReferencedLayer(layers["actors"].id())
            relation.addFieldPair("actor_id", "actor_id")
            if relation.isValid():
                project.relationManager().addRelation(relation)
    add_layout_templates(project)
    QgsExpressionContextUtils.setProjectVariable(project, "eit_public", 1 if public else 0)
    QgsExpressionContextUtils.setProjectVariable(
        project, "eit_workspace", gpkg.name if database is None else database[1]
    )
    extent_layer = layers.get("territory") or layers.get("actors")
    if extent_layer is not None:
        extent = QgsReferencedRectangle(extent_layer.extent(), extent_layer.crs())
        project.viewSettings().setDefaultViewExtent(extent)
    project.writeEntryBool("Paths", "/Absolute", False)
    if not project.write(str(project_path)):
        raise OSError(f"{project_path}: {project.error()}")
    return layers
