"""Layers ↔ data frames: the one place where QGIS features meet the core's frames."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProcessingException,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods"}


def _python_value(value):
    """A QVariant-ish attribute as a plain Python value (NULL → None)."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, QDateTime):
        return value.toPyDateTime()
    if isinstance(value, QDate):
        return value.toPyDate()
    return value


def source_to_frame(source, with_geometry=True, target_crs=None, context=None, feedback=None):
    """A feature source (layer) as a DataFrame, or a GeoDataFrame when it has geometry.

    ``target_crs`` (a ``QgsCoordinateReferenceSystem``) reprojects on the way.
    """
    names = [f.name() for f in source.fields()]
    has_geometry = with_geometry and source.wkbType() != QgsWkbTypes.Type.NoGeometry
    request = QgsFeatureRequest()
    if not has_geometry:
        request.setFlags(QgsFeatureRequest.Flag.NoGeometry)
    crs = source.sourceCrs()
    transform = None
    if has_geometry and target_crs is not None and target_crs.isValid() and target_crs != crs:
        transform_context = context.transformContext() if context is not None else None
        if transform_context is None:
            from qgis.core import QgsProject

            transform_context = QgsProject.instance().transformContext()
        transform = QgsCoordinateTransform(crs, target_crs, transform_context)
        crs = target_crs
    rows, wkbs = [], []
    total = source.featureCount() or 0
    plain = (str, float, int, bool)
    for i, feature in enumerate(source.getFeatures(request)):
        if feedback is not None and feedback.isCanceled():
            break
        rows.append([v if type(v) in plain else _python_value(v) for v in feature.attributes()])
        if has_geometry:
            geometry = feature.geometry()
            if geometry is None or geometry.isNull() or geometry.isEmpty():
                wkbs.append(None)
            else:
                if transform is not None:
                    geometry = QgsGeometry(geometry)
                    geometry.transform(transform)
                wkbs.append(bytes(geometry.asWkb()))
        if feedback is not None and total and i % 1000 == 0:
            feedback.setProgress(100.0 * i / total)
    frame = pd.DataFrame(rows, columns=names)
    if not has_geometry:
        return frame
    import geopandas as gpd
    import shapely

    geometry = shapely.from_wkb(pd.Series(wkbs, dtype=object).to_numpy())
    crs_text = crs.authid() or crs.toWkt()
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs_text or None)


def ogr_frame(layer, target_crs=None):
    """The frame :func:`source_to_frame` gives of a GeoPackage or other OGR layer, read by
    pyogrio (columnar: about ten times faster than a Python loop over 50,000 features), or
    None when the layer is not a plain OGR table: another provider, edits not saved, fields
    QGIS adds (virtual, joined) or a field pyogrio names differently. Its subset string is
    OGR's attribute filter, as when QGIS reads it."""
    if layer is None or not layer.isValid() or layer.providerType() != "ogr":
        return None
    if layer.isEditable() or layer.isModified():
        return None
    from qgis.core import QgsProviderRegistry

    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path, name = parts.get("path"), parts.get("layerName")
    if not path or not name or not Path(path).is_file():
        return None
    try:
        import pyogrio
    except ImportError:
        return None
    names = [f.name() for f in layer.fields()]
    frame = pyogrio.read_dataframe(
        path, layer=name, where=layer.subsetString() or None, fid_as_index=True
    )
    frame = frame.reset_index()
    if "fid" not in names and "fid" in frame.columns:
        frame = frame.drop(columns="fid")
    if sorted(names) != sorted(c for c in frame.columns if c != frame.geometry.name):
        return None
    frame = frame[[*names, frame.geometry.name]]
    # NULL is None, as QGIS hands it, not NaN, in text columns
    for column in names:
        if frame[column].dtype == object:
            frame[column] = frame[column].where(frame[column].notna(), None)
    if target_crs is not None and target_crs.isValid() and frame.crs is not None:
        frame = frame.to_crs(target_crs.authid() or target_crs.toWkt())
    return frame


def crs_of(frame) -> QgsCoordinateReferenceSystem:
    """The QGIS CRS of a GeoDataFrame (EPSG:2154 when it has none)."""
    crs = getattr(frame, "crs", None)
    if crs is None:
        return QgsCoordinateReferenceSystem("EPSG:2154")
    epsg = crs.to_epsg()
    if epsg:
        return QgsCoordinateReferenceSystem(f"EPSG:{epsg}")
    return QgsCoordinateReferenceSystem.fromWkt(crs.to_wkt())


def _field_type(series: pd.Series):
    if pd.api.types.is_bool_dtype(series):
        return QVariant.Bool
    if pd.api.types.is_integer_dtype(series):
        return QVariant.LongLong
    if pd.api.types.is_float_dtype(series):
        return QVariant.Double
    if pd.api.types.is_datetime64_any_dtype(series):
        return QVariant.DateTime
    non_null = series.dropna()
    if len(non_null) and all(isinstance(v, bool) for v in non_null):
        return QVariant.Bool
    return QVariant.String


def fields_for(frame: pd.DataFrame, geometry_column: str | None = "geometry") -> QgsFields:
    """QgsFields matching the frame's columns (the geometry column left out)."""
    fields = QgsFields()
    for name in frame.columns:
        if name == geometry_column:
            continue
        fields.append(QgsField(str(name), _field_type(frame[name])))
    return fields


def _attribute(value, field_type):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if field_type == QVariant.Bool:
        return bool(value)
    if field_type == QVariant.LongLong:
        return int(value)
    if field_type == QVariant.Double:
        return float(value)
    if field_type == QVariant.DateTime:
        return QDateTime(pd.Timestamp(value).to_pydatetime())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


#: features per ``addFeatures`` call: between two, a cancel request is honoured
BATCH = 5000


def _column(series: pd.Series, field_type) -> list:
    """The attribute values of a column for a QGIS field type, converted column by column
    (numbers and text as they are, null as None): :func:`_attribute` only for the rest."""
    values = series.to_numpy(dtype=object)
    if field_type == QVariant.Double and pd.api.types.is_numeric_dtype(series):
        numbers = series.to_numpy(dtype=float)
        values = numbers.astype(object)
        values[~np.isfinite(numbers)] = None
        return values.tolist()
    if (
        field_type in (QVariant.LongLong, QVariant.Bool)
        and series.dtype != object
        and not series.isna().any()  # a nullable column's pd.NA goes through _attribute
    ):
        return series.to_numpy().tolist()
    if field_type == QVariant.String and pd.api.types.infer_dtype(series) in ("string", "empty"):
        return values.tolist()
    return [_attribute(v, field_type) for v in values.tolist()]


def frame_to_sink(frame, sink, fields: QgsFields, feedback=None, geometry_column="geometry"):
    """Write every row of ``frame`` to ``sink`` (fields as made by :func:`fields_for`), in
    batches of :data:`BATCH` features; returns the number written."""
    if sink is None:
        return 0
    import shapely

    has_geometry = geometry_column in frame.columns
    wkbs = (
        shapely.to_wkb(frame[geometry_column].to_numpy(), output_dimension=2)
        if has_geometry and len(frame)
        else None
    )
    names = [fields.at(i).name() for i in range(fields.count())]
    columns = [_column(frame[name], fields.at(i).type()) for i, name in enumerate(names)]
    total = len(frame)
    rows = zip(*columns, strict=True) if columns else ([] for _ in range(total))
    written = 0
    for start in range(0, total, BATCH):
        if feedback is not None and feedback.isCanceled():
            break
        batch = []
        for i in range(start, min(start + BATCH, total)):
            feature = QgsFeature(fields)
            feature.setAttributes(list(next(rows)))
            if has_geometry and wkbs[i] is not None:
                geometry = QgsGeometry()
                geometry.fromWkb(wkbs[i])
                feature.setGeometry(geometry)
            batch.append(feature)
        ok = sink.addFeatures(batch, QgsFeatureSink.Flag.FastInsert)
        if not (ok[0] if isinstance(ok, tuple) else ok):  # a provider also gives the features
            raise QgsProcessingException(sink.lastError())
        written += len(batch)
        if feedback is not None and total:
            feedback.setProgress(100.0 * written / total)
    return written


def geometry_type(frame, geometry_column="geometry"):
    """The QgsWkbTypes of a frame's geometries (NoGeometry for a plain table)."""
    if geometry_column not in frame.columns:
        return QgsWkbTypes.Type.NoGeometry
    kinds = set(frame.geometry.geom_type.dropna()) if hasattr(frame, "geometry") else set()
    if kinds <= {"Point"}:
        return QgsWkbTypes.Type.Point
    if kinds <= {"LineString"}:
        return QgsWkbTypes.Type.LineString
    if kinds <= {"LineString", "MultiLineString"}:
        return QgsWkbTypes.Type.MultiLineString
    if kinds <= {"Polygon"}:
        return QgsWkbTypes.Type.Polygon
    if kinds <= {"Polygon", "MultiPolygon"}:
        return QgsWkbTypes.Type.MultiPolygon
    return QgsWkbTypes.Type.Unknown


def table_path(value) -> Path | None:
    """The file behind a table parameter when it is a CSV/spreadsheet file the core reads."""
    if not isinstance(value, str) or not value:
        return None
    path = Path(value.split("|")[0])
    return path if path.suffix.lower() in TABLE_SUFFIXES and path.exists() else None


def table_sheet(value) -> str | None:
    """The sheet named in a QGIS source string (``classeur.xlsx|layername=Flux``), if any."""
    if not isinstance(value, str):
        return None
    for part in value.split("|")[1:]:
        key, _, name = part.partition("=")
        if key.strip().lower() == "layername" and name.strip():
            return name.strip()
    return None
