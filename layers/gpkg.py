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

from .frames import crs_of, fields_for, frame_to_sink, geometry_type, source_to_frame


class GpkgWriteError(RuntimeError):
    pass


def write_layer(frame, path: Path, table: str, feedback=None, wkb_type=None) -> int:
    """Write ``frame`` as table ``table`` of the GeoPackage ``path`` (created or replaced)."""
    if wkb_type is None:
        wkb_type = geometry_type(frame)
    has_geometry = wkb_type != QgsWkbTypes.NoGeometry
    geometry_column = "geometry" if has_geometry else None
    data = frame if has_geometry else frame.drop(columns="geometry", errors="ignore")
    fields = fields_for(data, geometry_column)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = table
    options.fileEncoding = "UTF-8"
    options.actionOnExistingFile = (
        QgsVectorFileWriter.CreateOrOverwriteLayer
        if Path(path).exists()
        else QgsVectorFileWriter.CreateOrOverwriteFile
    )
    crs = crs_of(frame) if has_geometry else QgsCoordinateReferenceSystem()
    writer = QgsVectorFileWriter.create(
        str(path), fields, wkb_type, crs, QgsProject.instance().transformContext(), options
    )
    if writer.hasError() != QgsVectorFileWriter.NoError:
        raise GpkgWriteError(f"{path}|{table}: {writer.errorMessage()}")
    try:
        count = frame_to_sink(data, writer, fields, feedback, geometry_column or "__none__")
    finally:
        del writer
    return count


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
