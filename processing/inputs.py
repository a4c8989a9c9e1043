"""Reading the algorithms' table parameters: files through the core, layers through frames."""

from __future__ import annotations

from qgis.core import QgsProcessingException, QgsWkbTypes

from ..layers.frames import source_to_frame, table_path, table_sheet
from ..translation import tr


def read_table_parameter(alg, parameters, name, context, feedback, keep_geometry=False):
    """``(frame_or_path, label, geometry_frame)`` for a table parameter.

    A CSV/XLSX/ODS file is handed to the core as a path (it sniffs separators, encodings and
    decimal commas better than a layer provider); anything else is read as a feature source.
    ``geometry_frame`` is a GeoDataFrame when the layer has geometry and ``keep_geometry``.
    """
    value = parameters.get(name)
    path = table_path(value) if isinstance(value, str) else None
    if path is not None:
        sheet = table_sheet(value)
        if sheet is None:
            return str(path), path.name, None
        from ..core.tables import read_table

        frame = read_table(str(path), layer=sheet, name=f"{path.name} ({sheet})")
        return frame, f"{path.name} ({sheet})", None
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(alg.invalidSourceError(parameters, name))
    label = source.sourceName() or name
    has_geometry = source.wkbType() != QgsWkbTypes.Type.NoGeometry
    frame = source_to_frame(source, with_geometry=keep_geometry and has_geometry, context=context)
    frame.attrs["source"] = label
    geometry_frame = frame if keep_geometry and has_geometry else None
    if geometry_frame is not None:
        frame = frame.drop(columns="geometry")
        frame.attrs["source"] = label
    return frame, label, geometry_frame


def field_overrides(alg, parameters, context, mapping) -> dict[str, str]:
    """``{canonical field: column}`` from the optional field parameters that are set."""
    out = {}
    for parameter, canonical in mapping.items():
        value = alg.parameterAsString(parameters, parameter, context)
        if value:
            out[canonical] = value
    return out


def describe_counts(counts: dict) -> str:
    return tr(
        "{read} rows read = {used} used ({supply} supplies, {need} needs) + {rejected} rejected"
    ).format(
        read=counts["rows_read"],
        used=counts["rows_used"],
        supply=counts.get("supply", 0),
        need=counts.get("need", 0),
        rejected=counts["rows_rejected"],
    )


def table_parameters(alg) -> None:
    """The ACTORS and FLOWS table parameters (files or layers, with or without geometry)."""
    from qgis.core import QgsProcessing, QgsProcessingParameterFeatureSource

    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "ACTORS", tr("Actors table"), [QgsProcessing.SourceType.TypeVector]
        )
    )
    alg.addParameter(
        QgsProcessingParameterFeatureSource(
            "FLOWS",
            tr("Flows table (input/output balances)"),
            [QgsProcessing.SourceType.TypeVector],
        )
    )


def flow_layer_parameters(alg) -> None:
    """The SUPPLY and NEED point layers (outputs of eit:buildflowlayers)."""
    from qgis.core import QgsProcessing, QgsProcessingParameterFeatureSource

    for name, label in (
        ("SUPPLY", tr("Supplies (gisements)")),
        ("NEED", tr("Needs (besoins)")),
    ):
        alg.addParameter(
            QgsProcessingParameterFeatureSource(
                name, label, [QgsProcessing.SourceType.TypeVectorPoint]
            )
        )


def catalogue_parameters(alg) -> None:
    """The optional user catalogue and compatibility tables (extend the built-in ones)."""
    from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterFile

    for name, label in (
        ("CATALOGUE", tr("Resource catalogue (extends the built-in one)")),
        ("COMPATIBILITY", tr("Compatibility table (extends the built-in one)")),
    ):
        parameter = QgsProcessingParameterFile(
            name, label, optional=True, fileFilter="CSV (*.csv);;XLSX (*.xlsx)"
        )
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        alg.addParameter(parameter)


def top_k_parameter(name: str = "TOP_K"):
    """``TOP_K``: each supply's best outlets and each need's best sources kept (0 = all)."""
    from qgis.core import QgsProcessingParameterNumber

    return QgsProcessingParameterNumber(
        name,
        tr("Best candidates kept per supply and per need (0 = every pair within the distance)"),
        QgsProcessingParameterNumber.Type.Integer,
        10,
        minValue=0,
    )


def load_catalogue(alg, parameters, context):
    """The built-in catalogue, extended/overridden by the user's tables when given."""
    from ..core.catalogue import Catalogue

    resources = alg.parameterAsFile(parameters, "CATALOGUE", context) or None
    compatibility = alg.parameterAsFile(parameters, "COMPATIBILITY", context) or None
    if resources is None and compatibility is None:
        return Catalogue.builtin()
    return Catalogue.load(resources=resources, compatibility=compatibility)


def read_layer_parameter(alg, parameters, name, context, feedback, optional=False):
    """A vector layer parameter as a GeoDataFrame (None when optional and unset)."""
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        if optional:
            return None
        raise QgsProcessingException(alg.invalidSourceError(parameters, name))
    frame = source_to_frame(source, with_geometry=True, context=context, feedback=feedback)
    frame.attrs["source"] = source.sourceName() or name
    return frame


def write_frame(alg, frame, key, parameters, context, feedback, wkb_type=None):
    """Write a (Geo)DataFrame to the sink parameter ``key``; returns the destination id.

    Into a GeoPackage (the usual file output), the sink makes the table and the rows go in
    bulk, in one SQLite transaction (:func:`..layers.gpkg.fill_table`); into any other sink
    (a temporary layer, a shapefile...), in batches of features."""
    from qgis.core import QgsCoordinateReferenceSystem

    from ..layers.frames import crs_of, fields_for, frame_to_sink, geometry_type
    from ..layers.gpkg import fill_table, gpkg_destination, gpkg_table_name

    if wkb_type is None:
        wkb_type = geometry_type(frame)
    geometry_column = "geometry" if wkb_type != QgsWkbTypes.Type.NoGeometry else None
    fields = fields_for(frame, geometry_column)
    crs = crs_of(frame) if geometry_column else QgsCoordinateReferenceSystem()
    sink, dest_id = alg.parameterAsSink(parameters, key, context, fields, wkb_type, crs)
    if sink is None:
        raise QgsProcessingException(alg.invalidSinkError(parameters, key))
    data = frame if geometry_column else frame.drop(columns="geometry", errors="ignore")
    target = gpkg_destination(dest_id) if len(data) else None
    if target is None:
        frame_to_sink(data, sink, fields, feedback, geometry_column or "__none__")
        del sink
        return dest_id
    del sink  # closed: the table exists, empty
    table = gpkg_table_name(*target)
    if table is not None:
        fill_table(data, target[0], table, wkb_type, feedback)
    else:  # a table the file does not name as expected: through QGIS's provider
        from qgis.core import QgsVectorLayer

        layer = QgsVectorLayer(dest_id, key, "ogr")
        frame_to_sink(data, layer.dataProvider(), fields, feedback, geometry_column or "__none__")
    return dest_id
