"""The workspace GeoPackage in QGIS: its tables as project layers, styled, and written back.

The workshop dock (``ui/dock.py``) works on one ``eit.gpkg`` (table names in
``core.workspace.LAYERS``). :func:`load_workspace` adds its map layers to the project (once,
in one group); :class:`WorkspaceStore` reads the tables unfiltered (the project's layers carry
the dock's filters as subset strings) and writes every change at once through the OGR
provider: each call is its own committed transaction, so a crash loses nothing already
entered (decisions go through :mod:`layers.decision_store`, the dock's whole store interface
is :mod:`layers.workspace_store`). :func:`apply_workshop_style` styles the layers for a
projector, with a public mode in which confidential flows show neither a name nor a quantity.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsExpression,
    QgsFeature,
    QgsFeatureRequest,
    QgsFields,
    QgsGeometry,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProject,
    QgsProperty,
    QgsRendererCategory,
    QgsSymbolLayer,
    QgsTextBackgroundSettings,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSizeF
from qgis.PyQt.QtGui import QColor, QFont

from ..core.workspace import GPKG_NAME, LAYERS
from ..translation import tr
from .compat import LabelPlacement
from .frames import _attribute, _python_value
from .project import CATEGORY_SYMBOLS, actor_label_expression, category_labels, layer_names
from .styles import DECIDED, PUBLIC, candidate_renderer, flow_renderer, quantity_maxima

#: custom layer property holding the role of a workspace layer (``actors``, ``supply``...)
ROLE_PROPERTY = "eit_synergies/role"
#: custom layer property holding the GeoPackage the layer comes from
SOURCE_PROPERTY = "eit_synergies/workspace"
#: roles shown on the map, top of the legend first
MAP_ROLES = ("actors", "candidates", "supply", "need", "groups", "territory")
#: roles whose layer is hidden when first loaded (shown from the legend when wanted)
HIDDEN_ROLES = ("supply", "need", "groups")
#: actor names placed at most on one map view (the names in view when zoomed in)
ACTOR_LABEL_LIMIT = 300
CONFIDENTIAL_FIELDS = {
    "actors": ("confidential",),
    "supply": ("confidential",),
    "need": ("confidential",),
    "candidates": ("supply_confidential", "need_confidential"),
    "groups": ("confidential",),
}
OTHER_CATEGORY = ("circle", "#636363")
STATUS_COLOURS = {
    "proposed": "#6b6b6b",
    "retained": "#1a9641",
    "to_explore": "#e6a000",
    "rejected": "#b2182b",
}


def category_label(value) -> str:
    if value is None or str(value).strip() == "":
        return tr("No category")
    return category_labels().get(str(value), str(value))


def normalise_path(path) -> str:
    return str(Path(str(path)).expanduser().resolve())


def table_uri(gpkg, table: str) -> str:
    return f"{normalise_path(gpkg)}|layername={table}"


def _connection(gpkg):
    """A QGIS database connection to the GeoPackage (it shares QGIS's OGR handles: opening
    the file behind QGIS's back while layers read it breaks their SQLite connections)."""
    from qgis.core import QgsProviderRegistry

    metadata = QgsProviderRegistry.instance().providerMetadata("ogr")
    return metadata.createConnection(normalise_path(gpkg), {})


def gpkg_tables(gpkg) -> list[str]:
    """Names of the tables of a GeoPackage (empty when it cannot be opened)."""
    if not Path(normalise_path(gpkg)).is_file():
        return []
    try:
        return [table.tableName() for table in _connection(gpkg).tables()]
    except Exception:  # noqa: BLE001 - QgsProviderConnectionException: not a GeoPackage
        return []


def project_workspace(project=None) -> str | None:
    """The ``eit.gpkg`` of the current project: the source of a loaded workspace layer, else a
    ``eit.gpkg`` next to the project file."""
    project = project or QgsProject.instance()
    for layer in project.mapLayers().values():
        source = layer.customProperty(SOURCE_PROPERTY)
        if source and Path(str(source)).exists():
            return str(source)
    home = project.absolutePath()
    if home and (Path(home) / GPKG_NAME).exists():
        return normalise_path(Path(home) / GPKG_NAME)
    return None


def find_layers(project, gpkg) -> dict[str, QgsVectorLayer]:
    """role -> layer of the project already loaded from ``gpkg``."""
    wanted = normalise_path(gpkg)
    found = {}
    for layer in project.mapLayers().values():
        role = layer.customProperty(ROLE_PROPERTY)
        if role and layer.customProperty(SOURCE_PROPERTY) == wanted:
            found.setdefault(str(role), layer)
            continue
        source = layer.source().split("|")[0]
        if isinstance(layer, QgsVectorLayer) and Path(source).exists():
            try:
                same = normalise_path(source) == wanted
            except OSError:
                same = False
            if same and "layername=" in layer.source():
                table = layer.source().split("layername=")[1].split("|")[0]
                for role_name, table_name in LAYERS.items():
                    if table == table_name:
                        layer.setCustomProperty(ROLE_PROPERTY, role_name)
                        layer.setCustomProperty(SOURCE_PROPERTY, wanted)
                        found.setdefault(role_name, layer)
    return found


def load_workspace(project, gpkg, families_frame) -> dict[str, QgsVectorLayer]:
    """Add the workspace's map layers to ``project`` (those not loaded yet), in one group,
    styled for the workshop. Returns role -> layer."""
    path = normalise_path(gpkg)
    tables = set(gpkg_tables(path))

    def make_layer(role):
        if LAYERS[role] not in tables:
            return None
        return QgsVectorLayer(table_uri(path, LAYERS[role]), layer_names()[role], "ogr")

    return add_workshop_layers(project, find_layers(project, path), make_layer, families_frame,
                               path)  # fmt: skip


def add_workshop_layers(project, layers, make_layer, families_frame, source) -> dict:
    """Add to ``project``, in the workshop's group and styled for it, the layer
    ``make_layer(role)`` gives (a layer or None) for each map role not in ``layers``; every
    layer is marked with its role and ``source`` (the workspace's key). Returns ``layers``."""
    root = project.layerTreeRoot()
    group_name = tr("EIT workshop")
    group = root.findGroup(group_name)
    for role in MAP_ROLES:
        if role in layers:
            continue
        layer = make_layer(role)
        if layer is None or not layer.isValid():
            continue
        apply_workshop_style(layer, role, families_frame)
        if group is None:
            group = root.insertGroup(0, group_name)
        project.addMapLayer(layer, False)
        node = group.addLayer(layer)
        if role in HIDDEN_ROLES:
            node.setItemVisibilityChecked(False)
        layers[role] = layer
    for role, layer in layers.items():
        layer.setCustomProperty(ROLE_PROPERTY, role)
        layer.setCustomProperty(SOURCE_PROPERTY, source)
    return layers


# --------------------------------------------------------------------------- styles


def _text_format(size: float, bold=True, colour="#111111", plate=False) -> QgsTextFormat:
    """Large text with a white halo, or on a white rounded plate (``plate``: as legible from
    the back of the room, and three times faster to draw than a halo for many labels)."""
    text = QgsTextFormat()
    font = QFont("DejaVu Sans")
    font.setBold(bold)
    text.setFont(font)
    text.setSize(size)
    text.setColor(QColor(colour))
    if plate:
        background = QgsTextBackgroundSettings()
        background.setEnabled(True)
        background.setType(QgsTextBackgroundSettings.ShapeType.ShapeRectangle)
        background.setSizeType(QgsTextBackgroundSettings.SizeType.SizeBuffer)
        background.setSize(QSizeF(0.9, 0.4))
        background.setRadii(QSizeF(0.8, 0.8))
        background.setFillColor(QColor(255, 255, 255, 220))
        background.setStrokeWidth(0)
        text.setBackground(background)
        return text
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(1.2)
    buffer.setColor(QColor("white"))
    text.setBuffer(buffer)
    return text


def confidential_condition(role: str) -> str:
    """SQL/QGIS expression true for the features of ``role`` that are confidential."""
    fields = CONFIDENTIAL_FIELDS.get(role, ())
    # a missing flag counts as confidential (the safe side)
    return " OR ".join(f'coalesce("{f}", true)' for f in fields) or "false"


def label_expression(role: str) -> str | None:
    """The label expression of a workspace layer. In public mode (:data:`layers.styles.PUBLIC`)
    a confidential actor is labelled by its type of activity, as in the pipeline's project,
    and other confidential features get an empty label (no name, no quantity)."""
    quantity = "format_number({q}, 0) || ' ' || replace(replace({u}, '/yr', '/an'), 'unit', 'u.')"
    if role == "actors":
        return actor_label_expression()
    if role in ("supply", "need"):
        qty = quantity.format(q='"quantity_norm"', u='"unit_norm"')
        text = f"\"actor_name\" || '\\n' || \"resource_label\" || coalesce('\\n' || {qty}, '')"
    elif role == "candidates":
        qty = quantity.format(q='"matched_quantity"', u='"unit_norm"')
        # only the lines the room kept carry a label: the map stays readable
        text = f"if({DECIDED}, coalesce({qty}, ''), '')"
    elif role == "groups":
        text = "\"resource_label\" || ' (' || \"n_actors\" || ')'"
    else:
        return None
    if role not in CONFIDENTIAL_FIELDS:
        return text
    hidden = f"{PUBLIC} AND ({confidential_condition(role)})"
    return f"CASE WHEN {hidden} THEN '' ELSE {text} END"


def with_quantity_text(renderer):
    """The candidate lines' quantity (:func:`label_expression`: decided lines only, none for
    confidential ones in public mode) written at the middle of each line by the symbol itself,
    not by the labelling engine: a new search then redraws the lines alone, not every label
    of the map (actor names included), and the few decided lines need no placement."""
    from qgis.core import QgsFontMarkerSymbolLayer, QgsMarkerLineSymbolLayer

    text = QgsProperty.fromExpression(label_expression("candidates"))
    for index, category in enumerate(renderer.categories()):
        marker = QgsMarkerSymbol()
        for index_layer, (fill, stroke) in enumerate((("#ffffff", 1.0), ("#111111", 0.0))):
            font = QgsFontMarkerSymbolLayer("DejaVu Sans", "", 5.0, QColor(fill))
            font.setFontStyle("Bold")
            font.setStrokeColor(QColor("#ffffff"))
            font.setStrokeWidth(stroke)  # the white one underneath is the halo
            font.setDataDefinedProperty(QgsSymbolLayer.Property.PropertyCharacter, text)
            if index_layer == 0:
                marker.changeSymbolLayer(0, font)
            else:
                marker.appendSymbolLayer(font)
        along = QgsMarkerLineSymbolLayer(False)  # horizontal text
        along.setPlacement(QgsMarkerLineSymbolLayer.Placement.CentralPoint)
        along.setSubSymbol(marker)
        along.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertyLayerEnabled,
            QgsProperty.fromExpression(DECIDED),
        )
        symbol = category.symbol().clone()
        symbol.appendSymbolLayer(along)
        renderer.updateCategorySymbol(index, symbol)
    return renderer


def apply_labels(layer, role: str) -> None:
    if role == "candidates":  # drawn by the symbol (:func:`with_quantity_text`)
        layer.setLabelsEnabled(False)
        return
    expression = label_expression(role)
    if expression is None:
        layer.setLabelsEnabled(False)
        return
    settings = QgsPalLayerSettings()
    settings.fieldName = expression
    settings.isExpression = True
    size = {"actors": 13, "supply": 10, "need": 10, "groups": 11}[role]
    settings.setFormat(
        _text_format(size, bold=role in ("actors", "groups"), plate=role in ("actors", "groups"))
    )
    if role in ("actors", "supply", "need"):
        settings.placement = LabelPlacement.OrderedPositionsAroundPoint
        settings.dist = 1.5
    settings.priority = 8 if role == "actors" else 4
    if role == "actors":
        # a projector shows a few dozen names legibly; placing a thousand costs a redraw
        # a third of a second
        thinning = settings.thinningSettings()
        thinning.setLimitNumberLabelsEnabled(True)
        thinning.setMaximumNumberLabels(ACTOR_LABEL_LIMIT)
        settings.setThinningSettings(thinning)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def actor_renderer() -> QgsCategorizedSymbolRenderer:
    """Actors by type of activity: one shape and colour per category, French labels."""
    categories = []
    for value, (shape, colour) in CATEGORY_SYMBOLS.items():
        symbol = QgsMarkerSymbol.createSimple(
            {
                "name": shape,
                "color": colour,
                "outline_color": "#ffffff",
                "outline_width": "0.5",
                "size": "5",
            }
        )
        categories.append(QgsRendererCategory(value, symbol, category_label(value)))
    shape, colour = OTHER_CATEGORY
    other = QgsMarkerSymbol.createSimple(
        {"name": shape, "color": colour, "outline_color": "#ffffff", "size": "4.5"}
    )
    categories.append(QgsRendererCategory("", other, tr("Other")))
    return QgsCategorizedSymbolRenderer("category", categories)


def public_flow_renderer(families_frame, kind: str, maxima=None):
    """The flow layers' renderer (``layers.styles``); in public mode a confidential flow's
    size no longer tells its quantity."""
    renderer = flow_renderer(families_frame, kind, maxima)
    hidden = f"{PUBLIC} AND ({confidential_condition(kind)})"
    for index, category in enumerate(renderer.categories()):
        symbol = category.symbol().clone()  # categories() hands out copies: set it back
        layer = symbol.symbolLayer(0)
        size = layer.dataDefinedProperties().property(QgsSymbolLayer.Property.PropertySize)
        expression = size.expressionString() if size else "3"
        layer.setDataDefinedProperty(
            QgsSymbolLayer.Property.PropertySize,
            QgsProperty.fromExpression(f"CASE WHEN {hidden} THEN 3 ELSE {expression} END"),
        )
        renderer.updateCategorySymbol(index, symbol)
    return renderer


def apply_workshop_style(layer, role: str, families_frame) -> None:
    """Renderer and labels of a workspace layer for the workshop. Public mode follows the
    project variable @eit_public (:data:`layers.styles.PUBLIC`): switching the mode needs no
    new style."""
    if role == "actors":
        layer.setRenderer(actor_renderer())
    elif role == "candidates":
        layer.setRenderer(with_quantity_text(candidate_renderer(families_frame)))
    elif role in ("supply", "need"):
        layer.setRenderer(public_flow_renderer(families_frame, role, quantity_maxima(layer)))
    elif role == "groups":
        from .styles import style_group_layer

        style_group_layer(layer, families_frame)
    elif role == "territory":
        from qgis.core import QgsFillSymbol, QgsSingleSymbolRenderer

        symbol = QgsFillSymbol.createSimple(
            {"color": "#f4f1e8", "outline_color": "#8c8c8c", "outline_width": "0.5"}
        )
        layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    apply_labels(layer, role)
    layer.triggerRepaint()


# --------------------------------------------------------------------------- reading/writing


def layer_frame(layer, with_geometry=True, request=None):
    """All features of ``layer`` as a (Geo)DataFrame, with its ``fid`` column."""
    names = layer.fields().names()
    has_geometry = with_geometry and layer.wkbType() != QgsWkbTypes.Type.NoGeometry
    request = request or QgsFeatureRequest()
    if not has_geometry:
        request.setFlags(QgsFeatureRequest.Flag.NoGeometry)
    rows, wkbs, fids = [], [], []
    for feature in layer.getFeatures(request):
        fids.append(feature.id())
        rows.append([_python_value(v) for v in feature.attributes()])
        if has_geometry:
            geometry = feature.geometry()
            empty = geometry is None or geometry.isNull() or geometry.isEmpty()
            wkbs.append(None if empty else bytes(geometry.asWkb()))
    frame = pd.DataFrame(rows, columns=names)
    frame["fid"] = fids
    if not has_geometry:
        return frame
    import geopandas as gpd
    import shapely

    geometry = shapely.from_wkb(pd.Series(wkbs, dtype=object).to_numpy())
    crs = layer.crs()
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=(crs.authid() or crs.toWkt()) or None)


def _features(frame, layer, geometry_column="geometry") -> list[QgsFeature]:
    """Features of ``layer``'s fields from the rows of ``frame`` (fid left to the provider)."""
    import shapely

    fields = layer.fields()
    pk = set(layer.dataProvider().pkAttributeIndexes())
    has_geometry = (
        geometry_column in frame.columns and layer.wkbType() != QgsWkbTypes.Type.NoGeometry
    )
    if has_geometry and getattr(frame, "crs", None) is not None:
        target = layer.crs().authid()
        if target and frame.crs.to_string() != target:
            frame = frame.to_crs(target)
    wkbs = (
        shapely.to_wkb(frame[geometry_column].to_numpy(), output_dimension=2)
        if has_geometry and len(frame)
        else None
    )
    # values converted column by column, then set as whole rows (one call per feature)
    n = len(frame)
    columns = []
    for i in range(fields.count()):
        name = fields.at(i).name()
        if i not in pk and name in frame.columns and name != geometry_column:
            kind = fields.at(i).type()
            columns.append([_attribute(v, kind) for v in frame[name].to_numpy(dtype=object)])
        else:
            columns.append([None] * n)
    features = []
    for row, attributes in enumerate(zip(*columns, strict=True) if columns else [()] * n):
        feature = QgsFeature(fields)
        feature.setAttributes(list(attributes))
        if has_geometry and wkbs[row] is not None:
            geometry = QgsGeometry()
            geometry.fromWkb(wkbs[row])
            feature.setGeometry(geometry)
        features.append(feature)
    return features


def write_table(frame, gpkg, table: str, crs="EPSG:2154", wkb_type=None) -> QgsVectorLayer:
    """Create (or overwrite) ``table`` in ``gpkg`` with the rows of ``frame``."""
    from .frames import fields_for, geometry_type

    if wkb_type is None:
        wkb_type = geometry_type(frame)
    geometry_column = "geometry" if wkb_type != QgsWkbTypes.Type.NoGeometry else None
    fields = fields_for(frame, geometry_column)
    if geometry_column and getattr(frame, "crs", None) is not None:
        crs = frame.crs.to_string()
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = table
    options.fileEncoding = "UTF-8"
    path = normalise_path(gpkg)
    options.actionOnExistingFile = (
        QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer
        if Path(path).exists()
        else QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteFile
    )
    writer = QgsVectorFileWriter.create(
        path,
        fields,
        wkb_type,
        QgsCoordinateReferenceSystem(crs) if geometry_column else QgsCoordinateReferenceSystem(),
        QgsProject.instance().transformContext(),
        options,
    )
    if writer.hasError():
        raise OSError(writer.errorMessage())
    data = frame if geometry_column else frame.drop(columns="geometry", errors="ignore")
    writer.addFeatures(_features_for_fields(data, fields, geometry_column))
    del writer
    return QgsVectorLayer(table_uri(path, table), table, "ogr")


def _features_for_fields(frame, fields: QgsFields, geometry_column) -> list[QgsFeature]:
    import shapely

    wkbs = (
        shapely.to_wkb(frame[geometry_column].to_numpy(), output_dimension=2)
        if geometry_column and len(frame)
        else None
    )
    columns = [frame[fields.at(i).name()].to_numpy(dtype=object) for i in range(fields.count())]
    types = [fields.at(i).type() for i in range(fields.count())]
    features = []
    for row in range(len(frame)):
        feature = QgsFeature(fields)
        feature.setAttributes([_attribute(c[row], t) for c, t in zip(columns, types, strict=True)])
        if wkbs is not None and wkbs[row] is not None:
            geometry = QgsGeometry()
            geometry.fromWkb(wkbs[row])
            feature.setGeometry(geometry)
        features.append(feature)
    return features


def _wal_keeper(path):
    """A connection held open while the dock works on ``path``, the file in WAL mode.

    QGIS turns a GeoPackage to WAL mode when it first edits it, and SQLite removes the WAL's
    shared-memory file when the last connection closes; a read-only connection (a layer of
    the map) then cannot open the file until it is reopened ("unable to open database file"
    on the first feature count after the dock wrote its decisions table). With the mode set
    from the start and one connection kept, that file stays. None when the file is locked
    or read-only (everything works, without that guard).
    """
    import sqlite3

    try:
        connection = sqlite3.connect(path, timeout=5, isolation_level=None)
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.Error:
        return None
    if mode != "wal":
        connection.close()
        return None
    try:
        # an empty write transaction makes SQLite create the WAL and its index now: without
        # it, with SQLite 3.53 / GDAL 3.13 (Debian unstable), the map's read-only connections
        # still failed to open the file
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("COMMIT")
    except sqlite3.Error:
        connection.close()
        return None
    return connection


#: the tables a workspace must hold for the dock
REQUIRED_ROLES = ("actors", "supply", "need", "candidates")


class WorkspaceStore:
    """Unfiltered access to the workspace tables; every write is committed at once."""

    def __init__(self, gpkg):
        self.path = normalise_path(gpkg)
        self._layers: dict[str, QgsVectorLayer] = {}
        self._keeper = _wal_keeper(self.path)

    def tables(self) -> list[str]:
        return gpkg_tables(self.path)

    def missing_tables(self) -> list[str]:
        """The tables the dock needs that the workspace lacks."""
        tables = set(self.tables())
        return [LAYERS[r] for r in REQUIRED_ROLES if LAYERS[r] not in tables]

    def close(self) -> None:
        """Let go of the tables (their OGR handles close with the layers)."""
        self._layers.clear()
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def layer(self, role: str) -> QgsVectorLayer | None:
        layer = self._layers.get(role)
        if layer is None:
            table = LAYERS[role]
            if table not in self.tables():
                return None
            layer = QgsVectorLayer(table_uri(self.path, table), table, "ogr")
            if not layer.isValid():
                return None
            self._layers[role] = layer
        return layer

    def frame(self, role: str, with_geometry=True):
        layer = self.layer(role)
        if layer is None:
            return None
        layer.dataProvider().reloadData()
        return layer_frame(layer, with_geometry)

    def _fids(self, role: str, key: str, value) -> list[int]:
        layer = self.layer(role)
        request = QgsFeatureRequest().setFilterExpression(
            f"{QgsExpression.quotedColumnRef(key)} = {QgsExpression.quotedValue(value)}"
        )
        request.setFlags(QgsFeatureRequest.Flag.NoGeometry)
        layer.dataProvider().reloadData()
        return [f.id() for f in layer.dataProvider().getFeatures(request)]

    def replace_rows(self, role: str, frame, is_canceled=None, prepared=None) -> int:
        """Replace every row of a table by the rows of ``frame`` in one transaction (columns
        the table lacks are left out; see :func:`layers.gpkg_rows.replace_rows`).
        ``prepared``: the table already emptied in a transaction left open
        (:class:`layers.gpkg_rows.Replacement`), filled and committed here."""
        import sqlite3

        from .gpkg_rows import replace_rows

        try:
            if prepared is not None:
                return prepared.fill(frame, is_canceled)
            return replace_rows(self.path, LAYERS[role], frame, is_canceled=is_canceled)
        except sqlite3.Error as error:
            raise OSError(f"cannot update {LAYERS[role]} in {self.path}: {error}") from error

    def upsert(self, role: str, key: str, frame) -> int:
        """Write the rows of ``frame``: a row whose ``key`` exists replaces it, others are
        added."""
        layer = self.layer(role)
        provider = layer.dataProvider()
        count = 0
        for _, row in frame.iterrows():
            fids = self._fids(role, key, row[key])
            if fids:
                provider.deleteFeatures(fids)
            part = frame.loc[[row.name]]
            ok, _ = provider.addFeatures(_features(part, layer))
            if not ok:
                raise OSError(f"cannot write {row[key]} in {LAYERS[role]} ({self.path})")
            count += 1
        return count


def point_in_layer_crs(point, source_crs, layer) -> tuple[float, float]:
    """``point`` (QgsPointXY in ``source_crs``) in ``layer``'s CRS."""
    transform = QgsCoordinateTransform(
        source_crs, layer.crs(), QgsProject.instance().transformContext()
    )
    out = transform.transform(point)
    return out.x(), out.y()


def lon_lat(x: float, y: float, crs) -> tuple[float, float]:
    """WGS84 longitude/latitude of a point of ``crs``."""
    from qgis.core import QgsPointXY

    transform = QgsCoordinateTransform(
        crs, QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance().transformContext()
    )
    out = transform.transform(QgsPointXY(x, y))
    return out.x(), out.y()


def is_nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
