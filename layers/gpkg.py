"""Writing frames to the workspace GeoPackage and reading them back, through QGIS's OGR."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProject,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)

from .frames import crs_of, fields_for, geometry_type, source_to_frame
from .gpkg_rows import replace_rows


class GpkgWriteError(RuntimeError):
    pass


def write_layer(
    frame, path: Path, table: str, feedback=None, wkb_type=None, transform_context=None
) -> int:
    """Write ``frame`` as table ``table`` of the GeoPackage ``path`` (created or replaced).

    QGIS's writer makes the table (fields, geometry type, CRS, spatial index) and the rows go
    in bulk, in one SQLite transaction (:func:`.gpkg_rows.replace_rows`): a ``QgsFeature``
    per row cost ten times more. Single geometries go to a multi table as multi ones.
    ``feedback`` only needs ``isCanceled()``; ``transform_context`` (default: the project's)
    is read on the caller's thread when the writing runs on another one.
    """
    if wkb_type is None:
        wkb_type = geometry_type(frame)
    has_geometry = wkb_type != QgsWkbTypes.Type.NoGeometry
    geometry_column = "geometry" if has_geometry else None
    data = frame if has_geometry else frame.drop(columns="geometry", errors="ignore")
    fields = fields_for(data, geometry_column)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = table
    options.fileEncoding = "UTF-8"
    options.actionOnExistingFile = (
        QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer
        if Path(path).exists()
        else QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteFile
    )
    crs = crs_of(frame) if has_geometry else QgsCoordinateReferenceSystem()
    if transform_context is None:
        transform_context = QgsProject.instance().transformContext()
    writer = QgsVectorFileWriter.create(
        str(path), fields, wkb_type, crs, transform_context, options
    )
    if writer.hasError() != QgsVectorFileWriter.WriterError.NoError:
        raise GpkgWriteError(f"{path}|{table}: {writer.errorMessage()}")
    del writer  # the table exists, empty
    return fill_table(data, path, table, wkb_type, feedback)


def fill_table(data, path, table: str, wkb_type, feedback=None) -> int:
    """Put the rows of ``data`` in the existing, empty table ``table`` of the GeoPackage
    ``path`` in one transaction (single geometries made multi for a multi table)."""
    if (
        wkb_type != QgsWkbTypes.Type.NoGeometry
        and QgsWkbTypes.isMultiType(wkb_type)
        and "geometry" in data.columns
        and len(data)
    ):
        data = data.copy()
        data["geometry"] = as_multi(data["geometry"].to_numpy())
    canceled = feedback.isCanceled if feedback is not None else None
    return replace_rows(path, table, data, is_canceled=canceled, wal=False)


def stored_frame(frame, wkb_type=None, rows=None):
    """``frame`` as :func:`.frames.ogr_frame` reads back the table :func:`write_layer` makes of
    it, without the round trip through the file: ``fid`` (1, 2...) first, the columns as
    written (booleans and integers with a null as floats, text as ``str`` or None, lists
    joined, dates in milliseconds), the geometry last (multi in a multi table), same CRS.
    ``rows``: positions of the rows to keep (what a subset string on the table keeps, in the
    table's order); the columns' types are still those of the whole table.

    A table with geometry only (``ogr_frame`` reads those). ``eit:runpipeline`` hands the
    atlas these frames while its workspace is being written; the tests compare them with the
    file read back.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from qgis.PyQt.QtCore import QVariant

    from .gpkg_rows import column_values

    if wkb_type is None:
        wkb_type = geometry_type(frame)
    if wkb_type == QgsWkbTypes.Type.NoGeometry or "geometry" not in frame.columns:
        raise ValueError("stored_frame: a table with geometry")
    fields = fields_for(frame, "geometry")  # the writer's types, from the whole table
    rows = np.arange(len(frame)) if rows is None else np.sort(np.asarray(rows, dtype=np.int64))
    part = frame.iloc[rows]
    columns = {"fid": rows + 1}
    for field in fields:
        series = part[field.name()].reset_index(drop=True)
        kind = field.type()
        if kind in (QVariant.Bool, QVariant.LongLong):
            nulls = series.isna().to_numpy()
            if nulls.any():
                numbers = np.zeros(len(series))
                numbers[~nulls] = series[~nulls].to_numpy().astype(np.int64)
                numbers[nulls] = np.nan
                columns[field.name()] = numbers
            else:
                columns[field.name()] = series.to_numpy().astype(
                    bool if kind == QVariant.Bool else np.int64
                )
        elif kind == QVariant.Double:
            columns[field.name()] = series.to_numpy(dtype=float, na_value=np.nan)
        elif kind == QVariant.DateTime:
            columns[field.name()] = pd.to_datetime(series).dt.as_unit("ms")
        else:  # text: the very values the writer binds
            values = np.empty(len(series), dtype=object)
            values[:] = column_values(series, "TEXT")
            values[pd.isna(values)] = None
            columns[field.name()] = values
    geometry = part["geometry"].to_numpy()
    if QgsWkbTypes.isMultiType(wkb_type) and len(geometry):
        geometry = as_multi(geometry)
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=gpd.GeoSeries(geometry), crs=frame.crs)


def gpkg_destination(destination: str):
    """``(path, layer name or "")`` when a sink's destination is a GeoPackage file, else None
    (read from the destination string alone)."""
    from qgis.core import QgsProviderRegistry

    parts = QgsProviderRegistry.instance().decodeUri("ogr", destination or "")
    path = parts.get("path") or ""
    if not path.lower().endswith(".gpkg"):
        return None
    return path, parts.get("layerName") or ""


def gpkg_table_name(path, layer_name: str = "") -> str | None:
    """The table ``layer_name`` of the GeoPackage ``path`` (its only table when the name is
    empty), or None when there is no such table."""
    import sqlite3

    if not Path(path).is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [r[0] for r in connection.execute("SELECT table_name FROM gpkg_contents")]
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    if not layer_name and len(names) == 1:
        return names[0]
    return layer_name if layer_name in names else None


def as_multi(geometries):
    """The geometries with each single one (point, line, polygon) made a one-part multi."""
    import numpy as np
    import shapely

    geometries = np.asarray(geometries, dtype=object).copy()
    kinds = shapely.get_type_id(geometries)
    for single, make in ((0, shapely.multipoints), (1, shapely.multilinestrings),
                         (3, shapely.multipolygons)):  # fmt: skip
        mask = kinds == single
        if mask.any():
            geometries[mask] = make(geometries[mask], indices=np.arange(int(mask.sum())))
    return geometries


def open_layer(path: Path, table: str, name: str | None = None) -> QgsVectorLayer | None:
    """The table as a layer, or None when the GeoPackage or the table does not exist."""
    if not Path(path).exists():
        return None
    layer = QgsVectorLayer(f"{path}|layername={table}", name or table, "ogr")
    return layer if layer.isValid() else None


def read_layer(path: Path, table: str, with_geometry=True):
    """The table as a (Geo)DataFrame, or None when it does not exist."""
    layer = open_layer(path, table)
    if layer is None:
        return None
    frame = source_to_frame(layer, with_geometry=with_geometry)
    for column in ("fid",):
        if column in frame.columns:
            frame = frame.drop(columns=column)
    return frame
