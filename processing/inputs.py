"""Reading the algorithms' table parameters: files through the core, layers through frames."""

from __future__ import annotations

from qgis.core import QgsProcessingException, QgsWkbTypes

from ..layers.frames import source_to_frame, table_path
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
        return str(path), path.name, None
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(alg.invalidSourceError(parameters, name))
    label = source.sourceName() or name
    has_geometry = source.wkbType() != QgsWkbTypes.NoGeometry
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
