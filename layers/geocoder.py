"""Geocoders for QGIS: the BAN API as a ``QgsGeocoderInterface`` and Nominatim for the core.

:class:`BanGeocoder` wraps :meth:`core.geocode.ban_api.BanApiClient.search`; it serves the
locator bar through ``QgsGeocoderLocatorFilter`` (:func:`create_ban_locator_filter`, used
with the ``ban`` prefix only, so nothing typed elsewhere in the locator leaves the machine).
:class:`NominatimAdapter` turns any ``QgsGeocoderInterface`` (QGIS's own
``QgsNominatimGeocoder`` by default) into the callable the core's ``METHOD`` 3 expects:
``f(address_text) -> (lon, lat, score, label, precision) | None``.
:func:`style_geocoded_layer` styles the output of ``eit:geocodeactors``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsField,
    QgsFields,
    QgsGeocoderContext,
    QgsGeocoderInterface,
    QgsGeocoderResult,
    QgsGeometry,
    QgsMarkerSymbol,
    QgsNominatimGeocoder,
    QgsPointXY,
    QgsProject,
    QgsProperty,
    QgsRectangle,
    QgsRendererCategory,
    QgsSymbolLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.errors import Canceled, EitError
from ..core.geocode.ban_api import DEFAULT_BASE_URL, BanApiClient
from ..core.geocode.normalize import expand_abbreviations, normalize_text
from ..translation import tr

WGS84 = "EPSG:4326"
LOCATOR_NAME = "eit_ban"
LOCATOR_PREFIX = "ban"
#: Half-size (degrees) of the view the locator zooms to, by precision.
VIEWPORT = {"housenumber": 0.002, "street": 0.005, "locality": 0.01, "municipality": 0.03}
#: Nominatim class/type → precision (``None``: let the core guess from the label).
_NOMINATIM_MUNICIPALITY = {"city", "town", "village", "municipality", "administrative"}
_NOMINATIM_LOCALITY = {
    "hamlet",
    "isolated_dwelling",
    "locality",
    "neighbourhood",
    "quarter",
    "suburb",
    "farm",
    "square",
    "city_block",
    "plot",
    "allotments",
}
_IGNORED_WORDS = {"france", "metropolitaine"}
STATUS_COLOURS = {"matched": "#1a9641", "approximate": "#fdae61", "unmatched": "#bababa"}
REVIEW_COLOUR = "#d01c8b"


def ban_cache_path(base_url: str = DEFAULT_BASE_URL) -> Path:
    """The BAN API cache in the QGIS profile folder (one file per service address).

    The Géoplateforme's answers go to ``<profile>/eit_synergies/ban_api.sqlite``; another
    service (a local mirror, a test server) gets its own file, so their answers never mix.
    """
    folder = Path(QgsApplication.qgisSettingsDirPath()) / "eit_synergies"
    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    if url == DEFAULT_BASE_URL.rstrip("/"):
        return folder / "ban_api.sqlite"
    digest = hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    return folder / f"ban_api-{digest}.sqlite"


def _to_wgs84(geometry: QgsGeometry, crs, transform_context) -> QgsPointXY | None:
    """The WGS84 point of a result's geometry (its centroid for lines and polygons)."""
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        return None
    geometry = QgsGeometry(geometry)
    wgs84 = QgsCoordinateReferenceSystem(WGS84)
    if crs is not None and crs.isValid() and crs != wgs84:
        geometry.transform(QgsCoordinateTransform(crs, wgs84, transform_context))
    if geometry.type() != QgsWkbTypes.GeometryType.PointGeometry or geometry.isMultipart():
        geometry = geometry.centroid()
    return geometry.asPoint()


# --------------------------------------------------------------------------- BAN API


class BanGeocoder(QgsGeocoderInterface):
    """The BAN API of the IGN Géoplateforme as a QGIS geocoder (one best answer a query).

    The client (with its sqlite cache in the profile folder) is made on first use, so a
    plugin that registers this geocoder sends nothing and opens nothing until asked.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, cache_path=None, client=None):
        super().__init__()
        self.base_url = base_url
        self.cache_path = cache_path
        self._client = client
        self._lock = threading.Lock()  # the locator runs queries in worker threads

    def client(self) -> BanApiClient:
        if self._client is None:
            path = self.cache_path or ban_cache_path(self.base_url)
            # The locator waits for the answer: few retries, short time-out.
            self._client = BanApiClient(
                base_url=self.base_url, cache_path=path, max_retries=1, backoff=0.5, timeout=10.0
            )
        return self._client

    def close(self) -> None:
        """Close the cache (waits for a running query)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def flags(self):
        return QgsGeocoderInterface.Flag.GeocodesStrings

    def wkbType(self):  # noqa: N802 - QGIS API
        return QgsWkbTypes.Type.Point

    def appendedFields(self):  # noqa: N802 - QGIS API
        fields = QgsFields()
        fields.append(QgsField("ban_label", QVariant.String))
        fields.append(QgsField("ban_score", QVariant.Double))
        fields.append(QgsField("ban_type", QVariant.String))
        fields.append(QgsField("ban_citycode", QVariant.String))
        fields.append(QgsField("ban_postcode", QVariant.String))
        return fields

    def geocodeString(self, string, context, feedback=None):  # noqa: N802 - QGIS API
        text = (string or "").strip()
        if not text or (feedback is not None and feedback.isCanceled()):
            return []
        try:
            with self._lock:
                result = self.client().search(text)
        except EitError as error:
            return [QgsGeocoderResult.errorResult(ban_error_message(error))]
        except Exception as error:  # sqlite or network trouble must not break the locator
            return [QgsGeocoderResult.errorResult(str(error))]
        if result.status == "unmatched" or not math.isfinite(result.lon):
            return []
        point = QgsPointXY(result.lon, result.lat)
        out = QgsGeocoderResult(
            result.label or text,
            QgsGeometry.fromPointXY(point),
            QgsCoordinateReferenceSystem(WGS84),
        )
        out.setAdditionalAttributes(
            {
                "ban_label": result.label,
                "ban_score": float(result.score),
                "ban_type": result.precision,
                "ban_citycode": result.citycode,
                "ban_postcode": result.postcode,
            }
        )
        out.setDescription(
            tr("BAN, {precision}, score {score}").format(
                precision=precision_label(result.precision), score=f"{result.score:.2f}"
            )
        )
        out.setGroup(tr("Addresses (BAN)"))
        half = VIEWPORT.get(result.precision, 0.01)
        out.setViewport(
            QgsRectangle(point.x() - half, point.y() - half, point.x() + half, point.y() + half)
        )
        return [out]


def precision_label(precision: str) -> str:
    """A precision code in the QGIS locale."""
    return {
        "housenumber": tr("house number"),
        "street": tr("street"),
        "locality": tr("locality"),
        "municipality": tr("municipality"),
        "given": tr("given"),
    }.get(precision, precision)


def ban_error_message(error: EitError) -> str:
    """A short translated message for the BAN API errors the locator can meet."""
    data = {k: str(v) for k, v in error.data.items()}
    if error.code == "ban_api_http_error":
        return tr("The BAN API answered HTTP {status}.").format(status=data.get("status", ""))
    if error.code == "ban_api_unreachable":
        return tr("The BAN API cannot be reached: check the network connection.")
    return str(error)


def create_ban_locator_filter(canvas, geocoder: BanGeocoder):
    """A locator filter over ``geocoder`` (prefix ``ban``; not used without the prefix)."""
    from qgis.gui import QgsGeocoderLocatorFilter

    locator_filter = QgsGeocoderLocatorFilter(
        LOCATOR_NAME,
        tr("Addresses (BAN, IGN Géoplateforme)"),
        LOCATOR_PREFIX,
        geocoder,
        canvas,
    )
    # Only "ban <address>" queries go to the Géoplateforme, never every typed word.
    locator_filter.setUseWithoutPrefix(False)
    return locator_filter


# --------------------------------------------------------------------------- Nominatim


def nominatim_geocoder(endpoint: str = "") -> QgsGeocoderInterface:
    """QGIS's own Nominatim geocoder, France only (``endpoint`` empty: QGIS's default)."""
    return QgsNominatimGeocoder("fr", endpoint or "")


def nominatim_precision(osm_class, osm_type) -> str | None:
    """Precision of a Nominatim answer from its OSM class and type (None: unknown)."""
    osm_class = str(osm_class or "")
    osm_type = str(osm_type or "")
    if osm_class == "building" or (osm_class == "place" and osm_type == "house"):
        return "housenumber"
    if osm_class == "highway":
        return "street"
    if osm_class == "boundary" or (osm_class == "place" and osm_type in _NOMINATIM_MUNICIPALITY):
        return "municipality"
    if osm_class in ("place", "landuse") and (
        osm_type in _NOMINATIM_LOCALITY or osm_class == "landuse"
    ):
        return "locality"
    return None


def word_score(query: str, label: str) -> float:
    """Share of the query's words (normalised, abbreviations expanded) found in the label."""
    wanted = set(expand_abbreviations(normalize_text(query)).split()) - _IGNORED_WORDS
    found = set(expand_abbreviations(normalize_text(label)).split())
    if not wanted:
        return 0.0
    return round(len(wanted & found) / len(wanted), 4)


class NominatimAdapter:
    """The core's Nominatim callable over a ``QgsGeocoderInterface``.

    Returns ``(lon, lat, score, label, precision)`` in WGS84 for the first valid answer,
    ``(lon, lat, score, label)`` when the precision cannot be told (the core then guesses
    it from the label), ``None`` when nothing is found; raises ``RuntimeError`` with the
    geocoder's error (the core records it as the row's reason) and
    :class:`core.errors.Canceled` when the feedback is canceled. The score is the share of
    the query's words found in the answer (Nominatim gives none). Rate limiting is the
    core's (1 request a second, Nominatim's usage policy).
    """

    def __init__(self, geocoder: QgsGeocoderInterface | None = None, context=None, feedback=None):
        self.geocoder = geocoder if geocoder is not None else nominatim_geocoder()
        if context is None:
            context = QgsGeocoderContext(QgsProject.instance().transformContext())
        self.context = context
        self.feedback = feedback
        self.calls = 0

    def __call__(self, text: str):
        self.calls += 1
        results = self.geocoder.geocodeString(text, self.context, self.feedback)
        if self.feedback is not None and self.feedback.isCanceled():
            raise Canceled()
        valid = [r for r in results if r.isValid()]
        if not valid:
            errors = [r.error() for r in results if r.error()]
            if errors:
                raise RuntimeError(errors[0])
            return None
        best = valid[0]
        point = _to_wgs84(best.geometry(), best.crs(), self.context.transformContext())
        if point is None:
            return None
        attributes = best.additionalAttributes() or {}
        label = str(attributes.get("display_name") or best.identifier() or "")
        score = word_score(text, label)
        precision = nominatim_precision(attributes.get("class"), attributes.get("type"))
        if precision is None:
            return (point.x(), point.y(), score, label)
        return (point.x(), point.y(), score, label, precision)


# --------------------------------------------------------------------------- style


def _status_symbol(colour: str) -> QgsMarkerSymbol:
    symbol = QgsMarkerSymbol.createSimple(
        {"name": "circle", "color": colour, "outline_color": "#333333", "size": "3"}
    )
    layer = symbol.symbolLayer(0)
    # rows to review (low score, or placed at their commune): thick magenta outline
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeColor,
        QgsProperty.fromExpression(f"if(\"geo_review\", '{REVIEW_COLOUR}', '#333333')"),
    )
    layer.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeWidth,
        QgsProperty.fromExpression('if("geo_review", 0.9, 0.3)'),
    )
    return symbol


def geocoded_renderer() -> QgsCategorizedSymbolRenderer:
    """Categories on ``geo_status``; points to review outlined in magenta."""
    labels = {
        "matched": tr("Matched"),
        "approximate": tr("Approximate (to review)"),
        "unmatched": tr("Not placed"),
    }
    categories = [
        QgsRendererCategory(status, _status_symbol(colour), labels[status])
        for status, colour in STATUS_COLOURS.items()
    ]
    return QgsCategorizedSymbolRenderer("geo_status", categories)


def style_geocoded_layer(layer) -> None:
    layer.setRenderer(geocoded_renderer())
    layer.triggerRepaint()
