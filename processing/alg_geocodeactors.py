"""eit:geocodeactors — actors table → point layer, every input row kept.

The computation is ``core.geocode.pipeline.geocode_actors``; this module reads the table
(a file through the core, or a layer — whose hand-corrected points, ``geo_method =
given``, are kept), builds the online geocoders (BAN API client with its cache in the
QGIS profile, QGIS's Nominatim geocoder), writes the point layer and styles it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsGeocoderContext,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..core.errors import Canceled, EitError
from ..core.progress import check_canceled
from ..layers.frames import source_to_frame, table_path
from ..layers.styles import attach_style
from ..translation import tr
from .base import EitAlgorithm
from .feedback import FeedbackProgress
from .inputs import field_overrides, write_frame
from .messages import processing_error, report_read_rejects

WGS84 = "EPSG:4326"
METHOD_AUTO, METHOD_BAN_FILE, METHOD_BAN_API, METHOD_NOMINATIM, METHOD_COMMUNE = range(5)
#: field parameter → role of the core's column guess
FIELD_PARAMETERS = {
    "ADDRESS_FIELD": "address",
    "POSTCODE_FIELD": "postcode",
    "CITY_FIELD": "city",
    "INSEE_FIELD": "citycode",
    "SIRET_FIELD": "siret",
    "LONGITUDE_FIELD": "lon",
    "LATITUDE_FIELD": "lat",
}
GEO_FIELDS = (
    "geo_status",
    "geo_score",
    "geo_method",
    "geo_precision",
    "geo_label",
    "geo_reason",
    "geo_review",
)
NOMINATIM_DEFAULT_HOST = "nominatim.qgis.org"
MAX_LISTED = 20


def data_notice() -> str:
    """``core.geocode.ban_api.DATA_NOTICE`` in the QGIS locale."""
    return tr(
        "The BAN API method sends the address text, postcode and INSEE code of each actor to "
        "the IGN Géoplateforme (data.geopf.fr); names, SIRET numbers and flows never leave the "
        "machine."
    )


def nominatim_notice(host: str = NOMINATIM_DEFAULT_HOST) -> str:
    return tr(
        "The Nominatim method sends the address text, postcode and commune of each actor to "
        "{host} (OpenStreetMap data), one address a second; names, SIRET numbers and flows "
        "never leave the machine."
    ).format(host=host)


def missing_ban_file_message() -> str:
    return tr(
        "The local BAN file method needs a BAN file (BAN_FILE): download one with "
        "'Download a BAN address file'."
    )


def _translated_core_log(message: str) -> str | None:
    """A core log line in the QGIS locale; None for the lines the glue says itself."""
    from ..core.geocode.ban_api import DATA_NOTICE

    if message == DATA_NOTICE or re.match(r"^geocoded \d+ actors: ", message):
        return None
    match = re.match(r"^BAN file: (\d+) unusable lines skipped$", message)
    if match:
        return tr("BAN file: {n} unusable lines skipped.").format(n=match[1])
    match = re.match(r"^BAN API: (\d+) rows missing, re-sent by (\d+)$", message)
    if match:
        return tr("BAN API: {n} rows missing from the answer, sent again by {size}.").format(
            n=match[1], size=match[2]
        )
    match = re.match(r"^BAN API: (\d+) rows never came back$", message)
    if match:
        return tr(
            "BAN API: {n} rows never came back; they are left unmatched (run again later)."
        ).format(n=match[1])
    match = re.match(r"^BAN file saved: (.+)$", message)
    if match:
        return tr("BAN file saved: {path}").format(path=match[1])
    match = re.match(r"^BAN index not cached \((.*)\); rebuilt next time$", message)
    if match:
        return tr(
            "The BAN index could not be saved ({detail}); it will be rebuilt next time."
        ).format(detail=match[1])
    return message


class GeocodeProgress(FeedbackProgress):
    """The feedback adapter, with the geocoding core's log lines translated."""

    def log(self, message: str) -> None:
        text = _translated_core_log(message)
        if text:
            self.feedback.pushInfo(text)


def keep_given_positions(frame, fields):
    """Coordinates of the points corrected by hand (``geo_method = given``) as given ones.

    ``frame`` is a GeoDataFrame in WGS84. The point of each such row is written into the
    longitude/latitude columns the core will read (the guessed or chosen ones, else new
    ``lon``/``lat`` columns), so that the core keeps it. Returns ``(table, rows kept)``.
    """
    import numpy as np
    import pandas as pd
    import shapely

    from ..core.geocode.pipeline import guess_fields

    geometry = frame.geometry.to_numpy()
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if "geo_method" not in table.columns:
        return table, 0
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    given = table["geo_method"].astype(str).str.strip().eq("given").to_numpy() & present
    if not given.any():
        return table, 0
    centres = shapely.centroid(geometry[given])
    roles = guess_fields(table.columns, fields)
    if "lon" in roles and "lat" in roles:
        columns = (roles["lon"], roles["lat"])
    else:
        columns = ("lon", "lat")
    values_xy = (shapely.get_x(centres), shapely.get_y(centres))
    for column, values in zip(columns, values_xy, strict=True):
        if column not in table.columns:
            table[column] = np.nan
        if table[column].dtype.kind != "f":
            table[column] = table[column].astype(object)
        table.loc[given, column] = values
    return table, int(given.sum())


class GeocodeActorsAlgorithm(EitAlgorithm):
    ALG_ID = "geocodeactors"
    GROUP_ID = "data"

    INPUT = "INPUT"
    METHOD = "METHOD"
    BAN_FILE = "BAN_FILE"
    SIRENE_FILE = "SIRENE_FILE"
    COMMUNES = "COMMUNES"
    REVIEW_THRESHOLD = "REVIEW_THRESHOLD"
    API_URL = "API_URL"
    NOMINATIM_URL = "NOMINATIM_URL"
    OUTPUT_CRS = "OUTPUT_CRS"
    OUTPUT = "OUTPUT"

    def displayName(self):
        return self.tr("Geocode actors")

    def help_text(self):
        return "\n\n".join(
            [
                self.tr(
                    "Places every actor of the actors table on the map and says how well: "
                    "geo_status (matched, approximate, unmatched), geo_score (0-1), "
                    "geo_method, geo_precision (housenumber, street, locality, municipality, "
                    "given), geo_label, geo_reason, geo_review. Every input row comes out "
                    "once with all its fields; a row that cannot be placed keeps an empty "
                    "geometry and the reason."
                ),
                self.tr(
                    "Methods: automatic (coordinates given, then the local BAN file, then the "
                    "SIRENE file by SIRET, then the commune centroid; nothing leaves the "
                    "machine), local BAN file only, BAN API of the IGN Géoplateforme, "
                    "Nominatim, commune centroid only. Coordinates given in the table "
                    "(WGS84 longitude/latitude) are always kept."
                ),
                data_notice(),
                nominatim_notice(),
                self.tr(
                    "Review: rows scored below the review threshold, or placed at their "
                    "commune, have geo_review = true and a magenta outline. Move such a point "
                    "by hand in QGIS and set its geo_method to given: when this layer is "
                    "geocoded again, that position is kept."
                ),
            ]
        )

    def initAlgorithm(self, config=None):
        from ..core.geocode.ban_api import DEFAULT_BASE_URL

        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.INPUT, self.tr("Actors table"), [QgsProcessing.SourceType.TypeVector]
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.METHOD,
                self.tr("Geocoding method"),
                options=[
                    self.tr("Automatic: coordinates given, local BAN file, SIRENE file, commune"),
                    self.tr("Local BAN file (offline)"),
                    self.tr("BAN API of the IGN Géoplateforme (online)"),
                    self.tr("Nominatim, OpenStreetMap (online, one address a second)"),
                    self.tr("Commune centroid (offline)"),
                ],
                defaultValue=METHOD_AUTO,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.BAN_FILE,
                self.tr("BAN address file (adresses-XX.csv.gz)"),
                optional=True,
                fileFilter=self.tr("BAN files (*.csv *.csv.gz *.gz);;All files (*)"),
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.SIRENE_FILE,
                self.tr("Geolocated SIRENE establishments file"),
                optional=True,
                fileFilter=self.tr("CSV files (*.csv *.csv.gz *.gz);;All files (*)"),
            )
        )
        labels = {
            "ADDRESS_FIELD": self.tr("Address column"),
            "POSTCODE_FIELD": self.tr("Postcode column"),
            "CITY_FIELD": self.tr("Commune column"),
            "INSEE_FIELD": self.tr("INSEE code column"),
            "SIRET_FIELD": self.tr("SIRET column"),
            "LONGITUDE_FIELD": self.tr("Longitude column (WGS84)"),
            "LATITUDE_FIELD": self.tr("Latitude column (WGS84)"),
        }
        for name, label in labels.items():
            parameter = QgsProcessingParameterField(name, label, None, self.INPUT, optional=True)
            self._advanced(parameter)
        self._advanced(
            QgsProcessingParameterFile(
                self.COMMUNES,
                self.tr("Communes table (INSEE code, name, postcodes, centroid), outside the "
                        "Nièvre"),
                optional=True,
                fileFilter=self.tr("CSV files (*.csv);;All files (*)"),
            )
        )  # fmt: skip
        self._advanced(
            QgsProcessingParameterNumber(
                self.REVIEW_THRESHOLD,
                self.tr("Review threshold (rows scored below it are flagged)"),
                QgsProcessingParameterNumber.Type.Double,
                0.6,
                minValue=0.0,
                maxValue=1.0,
            )
        )
        self._advanced(
            QgsProcessingParameterString(
                self.API_URL, self.tr("BAN API address"), DEFAULT_BASE_URL, optional=True
            )
        )
        self._advanced(
            QgsProcessingParameterString(
                self.NOMINATIM_URL,
                self.tr("Nominatim address (empty: the QGIS default service)"),
                "",
                optional=True,
            )
        )
        self._advanced(
            QgsProcessingParameterCrs(
                self.OUTPUT_CRS, self.tr("Output CRS"), "EPSG:2154", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, self.tr("Geocoded actors"), QgsProcessing.SourceType.TypeVectorPoint
            )
        )
        for name, label in (
            ("ROWS_READ", self.tr("Rows read")),
            ("MATCHED", self.tr("Rows matched")),
            ("APPROXIMATE", self.tr("Rows placed approximately")),
            ("UNMATCHED", self.tr("Rows not placed")),
            ("REVIEW", self.tr("Rows flagged for review")),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, label))

    def _advanced(self, parameter) -> None:
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(parameter)

    def checkParameterValues(self, parameters, context):  # noqa: N802 - QGIS API
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        method = self.parameterAsEnum(parameters, self.METHOD, context)
        if method == METHOD_BAN_FILE and not self.parameterAsFile(
            parameters, self.BAN_FILE, context
        ):
            return False, missing_ban_file_message()
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):
        steps = QgsProcessingMultiStepFeedback(3, feedback)
        try:
            return self.geocode(parameters, context, steps)
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            return {}

    # -- steps -----------------------------------------------------------------------------

    def read_input(self, parameters, context, feedback, fields):
        """``(table, label, row numbers, hand-placed rows kept, input columns)``."""
        import numpy as np

        value = parameters.get(self.INPUT)
        path = table_path(value) if isinstance(value, str) else None
        if path is not None:
            from ..core.tables import ROW, read_table

            table = read_table(str(path), name=path.name)
            report_read_rejects(table, path.name, feedback)
            rows = table[ROW].to_numpy()
            table = table.drop(columns=ROW)
            return table, path.name, rows, 0, list(table.columns)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        label = source.sourceName() or self.INPUT
        has_geometry = (
            source.wkbType() != QgsWkbTypes.Type.NoGeometry and source.sourceCrs().isValid()
        )
        frame = source_to_frame(
            source,
            with_geometry=has_geometry,
            target_crs=QgsCoordinateReferenceSystem(WGS84),
            context=context,
            feedback=feedback,
        )
        if feedback.isCanceled():
            raise Canceled()
        columns = [c for c in frame.columns if not has_geometry or c != frame.geometry.name]
        kept = 0
        if has_geometry:
            frame, kept = keep_given_positions(frame, fields)
        rows = np.arange(1, len(frame) + 1)
        return frame, label, rows, kept, columns

    def geocode(self, parameters, context, steps):
        from ..core.geocode.ban_api import DEFAULT_BASE_URL, BanApiClient
        from ..core.geocode.pipeline import geocode_actors
        from ..layers import geocoder as geocoders

        method = self.parameterAsEnum(parameters, self.METHOD, context)
        fields = field_overrides(self, parameters, context, FIELD_PARAMETERS) or None
        table, label, rows, kept, input_columns = self.read_input(
            parameters, context, steps, fields
        )
        steps.setCurrentStep(1)
        progress = GeocodeProgress(steps)
        client = nominatim = None
        if method == METHOD_BAN_API:
            url = self.parameterAsString(parameters, self.API_URL, context) or DEFAULT_BASE_URL
            steps.pushWarning(data_notice())
            if url.rstrip("/") != DEFAULT_BASE_URL:
                steps.pushInfo(self.tr("BAN API address: {url}").format(url=url))
            client = BanApiClient(base_url=url, cache_path=geocoders.ban_cache_path(url))
        elif method == METHOD_NOMINATIM:
            endpoint = self.parameterAsString(parameters, self.NOMINATIM_URL, context)
            host = urlsplit(endpoint).netloc if endpoint else NOMINATIM_DEFAULT_HOST
            steps.pushWarning(nominatim_notice(host or endpoint))
            nominatim = geocoders.NominatimAdapter(
                geocoders.nominatim_geocoder(endpoint),
                QgsGeocoderContext(context.transformContext()),
                steps,
            )
        try:
            result = geocode_actors(
                table,
                method,
                ban_file=self.parameterAsFile(parameters, self.BAN_FILE, context) or None,
                sirene_file=self.parameterAsFile(parameters, self.SIRENE_FILE, context) or None,
                communes=self.parameterAsFile(parameters, self.COMMUNES, context) or None,
                api_client=client,
                nominatim=nominatim,
                progress=progress,
                fields=fields,
                review_threshold=self.parameterAsDouble(parameters, self.REVIEW_THRESHOLD, context),
            )
        finally:
            if client is not None:
                client.close()
        check_canceled(progress)
        steps.setCurrentStep(2)
        points = self.to_points(result, input_columns, parameters, context)
        dest_id = write_frame(
            self, points, self.OUTPUT, parameters, context, steps, QgsWkbTypes.Type.Point
        )
        check_canceled(progress)
        attach_style(context, dest_id, self.tr("Geocoded actors"), geocoders.style_geocoded_layer)
        counts = self.report(result, label, rows, kept, steps)
        return {self.OUTPUT: dest_id, **counts}

    def to_points(self, result, input_columns, parameters, context):
        """The core's frame as points in the output CRS (empty geometry when unplaced).

        Reprojected with QGIS, through the context's transform context.
        """
        import geopandas as gpd
        import numpy as np
        import shapely

        keep = [c for c in result.columns if c not in ("lon", "lat") or c in input_columns]
        lon = result["lon"].to_numpy(dtype=float)
        lat = result["lat"].to_numpy(dtype=float)
        target = self.parameterAsCrs(parameters, self.OUTPUT_CRS, context)
        if not target.isValid():
            target = QgsCoordinateReferenceSystem("EPSG:2154")
        transform = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem(WGS84), target, context.transformContext()
        )
        x = np.full(len(result), np.nan)
        y = np.full(len(result), np.nan)
        for i in np.flatnonzero(np.isfinite(lon) & np.isfinite(lat)):
            try:
                point = transform.transform(QgsPointXY(lon[i], lat[i]))
            except QgsCsException:
                continue  # outside the output CRS: left without geometry
            x[i], y[i] = point.x(), point.y()
        geometry = shapely.points(x, y)
        geometry[~(np.isfinite(x) & np.isfinite(y))] = None
        crs = target.authid() or target.toWkt()
        return gpd.GeoDataFrame(result[keep], geometry=geometry, crs=crs)

    def report(self, result, label, rows, kept, feedback) -> dict:
        """Log the summary and the rows not placed; return the counts."""
        from ..core.tables import ACTOR_FIELDS, normalise_key

        status = result["geo_status"].astype(str)
        counts = {
            "ROWS_READ": len(result),
            "MATCHED": int((status == "matched").sum()),
            "APPROXIMATE": int((status == "approximate").sum()),
            "UNMATCHED": int((status == "unmatched").sum()),
            "REVIEW": int(result["geo_review"].astype(bool).sum()),
        }
        feedback.pushInfo(
            self.tr(
                "{source}: {read} rows read: {matched} matched, {approximate} approximate, "
                "{unmatched} not placed; {review} flagged for review (geo_review)."
            ).format(
                source=label,
                read=counts["ROWS_READ"],
                matched=counts["MATCHED"],
                approximate=counts["APPROXIMATE"],
                unmatched=counts["UNMATCHED"],
                review=counts["REVIEW"],
            )
        )
        methods = result.loc[status != "unmatched", "geo_method"].value_counts()
        if len(methods):
            feedback.pushInfo(
                self.tr("Placed by: {methods}.").format(
                    methods=", ".join(f"{m} {n}" for m, n in methods.items())
                )
            )
        if kept:
            feedback.pushInfo(
                self.tr("{n} points of the layer kept as placed (geo_method = given).").format(
                    n=kept
                )
            )
        id_keys = {normalise_key(a) for a in ACTOR_FIELDS["actor_id"]}
        id_column = next((c for c in result.columns if normalise_key(c) in id_keys), None)
        unplaced = [i for i, s in enumerate(status) if s == "unmatched"]
        for i in unplaced[:MAX_LISTED]:
            actor = f" ({result.iloc[i][id_column]})" if id_column else ""
            feedback.pushInfo(
                self.tr("Row {row}{actor} not placed: {reason}").format(
                    row=rows[i], actor=actor, reason=result.iloc[i]["geo_reason"]
                )
            )
        if len(unplaced) > MAX_LISTED:
            feedback.pushInfo(
                self.tr("… and {n} more rows not placed.").format(n=len(unplaced) - MAX_LISTED)
            )
        return counts
