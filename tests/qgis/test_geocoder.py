"""The BAN API as a QGIS geocoder and locator filter; Nominatim adapted for the core.

Nothing goes to the internet: the BAN answers come from the local fake server of the unit
tests (127.0.0.1), Nominatim is a fake ``QgsGeocoderInterface`` or a local JSON server.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsFeedback,
    QgsGeocoderContext,
    QgsGeocoderInterface,
    QgsGeocoderResult,
    QgsGeometry,
    QgsLocatorContext,
    QgsPointXY,
    QgsWkbTypes,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "geocode"
ALLEGRE_12 = (1.475792, 45.257819)  # 12 Place Allègre, Allassac, in the test BAN file

_spec = importlib.util.spec_from_file_location(
    "geocode_fake_ban", ROOT / "tests" / "unit" / "_geocode_fake_ban.py"
)
fake_ban = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_ban)


@pytest.fixture(scope="module")
def ban_index(tmp_path_factory):
    from eit_synergies.core.geocode.ban_index import BanIndex

    folder = tmp_path_factory.mktemp("ban")
    return BanIndex.from_file(shutil.copy(DATA / "bano_limousin_format_ban.csv", folder))


@pytest.fixture
def server(ban_index):
    with fake_ban.FakeBan(ban_index) as srv:
        yield srv


def geocoder_for(server, tmp_path):
    from eit_synergies.layers.geocoder import BanGeocoder

    return BanGeocoder(server.url, cache_path=tmp_path / "ban.sqlite")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def geocoder_context():
    return QgsGeocoderContext(QgsCoordinateTransformContext())


# --------------------------------------------------------------------------- BAN geocoder


def test_ban_geocoder_answers_a_string_from_the_local_server(qgis_app, server, tmp_path):
    geocoder = geocoder_for(server, tmp_path)
    assert geocoder.flags() & QgsGeocoderInterface.Flag.GeocodesStrings
    assert geocoder.wkbType() == QgsWkbTypes.Type.Point
    assert "ban_score" in geocoder.appendedFields().names()
    results = geocoder.geocodeString("12 place allegre 19240 allassac", geocoder_context())
    assert len(results) == 1
    result = results[0]
    assert result.isValid()
    assert result.identifier() == "12 Place Allègre 19240 Allassac"
    assert result.crs().authid() == "EPSG:4326"
    point = result.geometry().asPoint()
    assert (point.x(), point.y()) == pytest.approx(ALLEGRE_12)
    attributes = result.additionalAttributes()
    assert attributes["ban_type"] == "housenumber"
    assert attributes["ban_citycode"] == "19005"
    assert 0.6 <= attributes["ban_score"] <= 1.0
    assert result.viewport().contains(point)
    searches = [r for r in server.requests if r["path"].endswith("/search")]
    assert len(searches) == 1 and searches[0]["params"]["q"] == "12 place allegre 19240 allassac"
    # the same query again comes from the cache: nothing more is sent
    again = geocoder.geocodeString("12 place allegre 19240 allassac", geocoder_context())
    assert again[0].identifier() == result.identifier()
    assert len([r for r in server.requests if r["path"].endswith("/search")]) == 1
    geocoder.close()


def test_ban_geocoder_nothing_found_and_errors(qgis_app, server, tmp_path):
    from eit_synergies.core.geocode.ban_api import BanApiClient
    from eit_synergies.layers.geocoder import BanGeocoder

    geocoder = geocoder_for(server, tmp_path)
    assert geocoder.geocodeString("zzz qqq", geocoder_context()) == []
    assert geocoder.geocodeString("   ", geocoder_context()) == []
    canceled = QgsFeedback()
    canceled.cancel()
    assert geocoder.geocodeString("12 place allegre", geocoder_context(), canceled) == []
    geocoder.close()

    server.script = ["400"]
    geocoder = geocoder_for(server, tmp_path)
    error = geocoder.geocodeString("3 place allegre allassac", geocoder_context())
    assert len(error) == 1 and not error[0].isValid()
    assert "HTTP 400" in error[0].error()
    geocoder.close()

    closed = f"http://127.0.0.1:{free_port()}"  # nobody listens: said, never raised
    client = BanApiClient(closed, cache_path=tmp_path / "c2.sqlite", max_retries=0)
    unreachable = BanGeocoder(closed, client=client)
    error = unreachable.geocodeString("1 rue de la paix", geocoder_context())
    assert not error[0].isValid() and "network" in error[0].error()
    unreachable.close()


def test_ban_cache_lives_in_the_profile_and_opens_on_first_use(qgis_app):
    from eit_synergies.core.geocode.ban_api import DEFAULT_BASE_URL
    from eit_synergies.layers.geocoder import BanGeocoder, ban_cache_path

    profile = Path(QgsApplication.qgisSettingsDirPath())
    assert ban_cache_path() == profile / "eit_synergies" / "ban_api.sqlite"
    assert ban_cache_path(DEFAULT_BASE_URL + "/") == ban_cache_path()
    other = ban_cache_path("http://127.0.0.1:8080")
    assert other.parent == profile / "eit_synergies" and other != ban_cache_path()
    url = f"http://127.0.0.1:{free_port()}"
    geocoder = BanGeocoder(url)
    assert geocoder._client is None  # nothing opened, nothing sent until a query
    assert not ban_cache_path(url).exists()
    geocoder.close()


def test_locator_filter_geocodes_through_the_ban_geocoder(qgis_app, qgis_canvas, server, tmp_path):
    from eit_synergies.layers.geocoder import LOCATOR_PREFIX, create_ban_locator_filter

    geocoder = geocoder_for(server, tmp_path)
    locator_filter = create_ban_locator_filter(qgis_canvas, geocoder)
    assert locator_filter.prefix() == LOCATOR_PREFIX == "ban"
    assert not locator_filter.useWithoutPrefix()  # typed words go out only after "ban "
    assert locator_filter.geocoder() is geocoder
    found = []
    # copy in the slot: the result object lives only during the signal
    locator_filter.resultFetched.connect(lambda r: found.append((r.displayString, r.group)))
    locator_filter.fetchResults("12 place allegre allassac", QgsLocatorContext(), QgsFeedback())
    assert found == [("12 Place Allègre 19240 Allassac", "Addresses (BAN)")]
    geocoder.close()


class RegisteringIface:
    """An iface with the locator API: records what is registered and deregistered."""

    def __init__(self, iface):
        self._iface = iface
        self.registered: list = []
        self.deregistered: list = []

    def __getattr__(self, name):
        return getattr(self._iface, name)

    def registerLocatorFilter(self, locator_filter):
        self.registered.append(locator_filter)

    def deregisterLocatorFilter(self, locator_filter):
        assert locator_filter in self.registered
        self.registered.remove(locator_filter)
        self.deregistered.append(locator_filter)


class NoLocatorIface:
    """An iface without the locator API (as some mocks are)."""

    def __init__(self, iface):
        self._iface = iface

    def __getattr__(self, name):
        if "LocatorFilter" in name:
            raise AttributeError(name)
        return getattr(self._iface, name)


def test_plugin_registers_the_locator_filter_once_and_removes_it(
    recording_iface, qgis_processing, load_plugin
):
    iface = RegisteringIface(recording_iface)
    first = load_plugin(iface)
    assert len(iface.registered) == 1
    registered = iface.registered[0]
    assert registered.name() == "eit_ban" and registered.prefix() == "ban"
    first.unload()
    assert iface.registered == [] and iface.deregistered == [registered]
    assert first.locator_filter is None and first.ban_geocoder is None
    second = load_plugin(iface)
    try:
        assert len(iface.registered) == 1 and iface.registered[0] is not registered
    finally:
        second.unload()
    assert iface.registered == []

    bare = load_plugin(NoLocatorIface(recording_iface))
    assert bare.locator_filter is None
    bare.unload()


# --------------------------------------------------------------------------- Nominatim


class FakeNominatim(QgsGeocoderInterface):
    """A QgsGeocoderInterface answering from a dict, recording the time of each call."""

    def __init__(self, answers, clock=None):
        super().__init__()
        self.answers = answers
        self.clock = clock
        self.calls: list[tuple[str, float]] = []

    def flags(self):
        return QgsGeocoderInterface.Flag.GeocodesStrings

    def geocodeString(self, string, context, feedback=None):
        self.calls.append((string, self.clock() if self.clock else 0.0))
        for key, answer in self.answers.items():
            if key in string:
                return answer()
        return []


def nominatim_result(lon, lat, label, osm_class, osm_type, crs="EPSG:4326"):
    result = QgsGeocoderResult(
        label, QgsGeometry.fromPointXY(QgsPointXY(lon, lat)), QgsCoordinateReferenceSystem(crs)
    )
    result.setAdditionalAttributes({"display_name": label, "class": osm_class, "type": osm_type})
    return result


GARE = "12, Rue de la Gare, La Charité-sur-Loire, Nièvre, Bourgogne-Franche-Comté, 58400, France"


def test_nominatim_adapter_gives_the_core_tuple(qgis_app):
    from eit_synergies.core.errors import Canceled
    from eit_synergies.layers.geocoder import NominatimAdapter

    lambert = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsCoordinateReferenceSystem("EPSG:2154"),
        QgsCoordinateTransformContext(),
    ).transform(QgsPointXY(3.0301, 47.1795))
    fake = FakeNominatim(
        {
            "Gare": lambda: [
                nominatim_result(3.0301, 47.1795, GARE, "place", "house"),
                nominatim_result(3.1, 47.2, "elsewhere", "highway", "residential"),
            ],
            "Lambert": lambda: [
                nominatim_result(
                    lambert.x(), lambert.y(), "Rue Lambert, Narcy", "highway", "residential",
                    crs="EPSG:2154",
                )
            ],
            "Bourg": lambda: [nominatim_result(3.2, 47.1, "Bourg, Nièvre", "amenity", "school")],
            "panne": lambda: [QgsGeocoderResult.errorResult("Connection refused")],
        }
    )  # fmt: skip
    adapter = NominatimAdapter(fake, geocoder_context())
    lon, lat, score, label, precision = adapter("12 rue de la Gare, 58400 La Charité-sur-Loire")
    assert (lon, lat) == pytest.approx((3.0301, 47.1795))
    assert (score, label, precision) == (1.0, GARE, "housenumber")
    lon, lat, score, label, precision = adapter("3 rue Lambert, 58400 Narcy")
    assert (lon, lat) == pytest.approx((3.0301, 47.1795), abs=1e-7)  # back to WGS84
    assert precision == "street" and 0 < score < 1
    assert len(adapter("Le Bourg, 58400 Narcy")) == 4  # unknown kind: the core guesses
    assert adapter("nowhere at all") is None
    with pytest.raises(RuntimeError, match="Connection refused"):
        adapter("rue en panne")
    canceled = QgsFeedback()
    canceled.cancel()
    with pytest.raises(Canceled):
        NominatimAdapter(fake, geocoder_context(), canceled)("12 rue de la Gare")


def test_nominatim_precision_and_word_score():
    from eit_synergies.layers.geocoder import nominatim_precision, word_score

    cases = {
        ("place", "house"): "housenumber",
        ("building", "yes"): "housenumber",
        ("highway", "residential"): "street",
        ("place", "hamlet"): "locality",
        ("landuse", "industrial"): "locality",
        ("place", "village"): "municipality",
        ("boundary", "administrative"): "municipality",
        ("amenity", "school"): None,
        (None, None): None,
    }
    for (osm_class, osm_type), expected in cases.items():
        assert nominatim_precision(osm_class, osm_type) == expected, (osm_class, osm_type)
    assert word_score("12 rue de la Gare, La Charité, France", GARE) == 1.0
    assert word_score("12 r. de la gare", "Rue de la Gare") == pytest.approx(4 / 5)
    assert word_score("", GARE) == 0.0


def test_nominatim_through_the_core_is_rate_limited_to_one_request_a_second(qgis_app):
    from eit_synergies.core.geocode.ban_api import TokenBucket
    from eit_synergies.core.geocode.pipeline import NOMINATIM_RATE, geocode_actors
    from eit_synergies.layers.geocoder import NominatimAdapter

    assert NOMINATIM_RATE == 1.0
    clock = fake_ban.FakeClock()
    fake = FakeNominatim(
        {
            "Gare": lambda: [nominatim_result(3.0301, 47.1795, GARE, "place", "house")],
            "Forges": lambda: [nominatim_result(3.2, 47.1, "Guérigny", "place", "village")],
            "panne": lambda: [QgsGeocoderResult.errorResult("Connection refused")],
        },
        clock=clock,
    )
    actors = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "adresse": [
                "12 rue de la Gare", "12 rue de la Gare", "6 rue des Forges", "rue en panne",
                "3 rue Inconnue",
            ],
            "cp": ["58400", "58400", "58130", "58400", "58400"],
            "commune": ["La Charité-sur-Loire"] * 2 + ["Guérigny"] + ["Narcy"] * 2,
        }
    )  # fmt: skip
    limiter = TokenBucket(NOMINATIM_RATE, clock=clock, sleep=clock.sleep)
    out = geocode_actors(
        actors, 3, nominatim=NominatimAdapter(fake, geocoder_context()), nominatim_limiter=limiter
    )
    times = [t for _, t in fake.calls]
    assert len(times) == 4  # the repeated address is asked once
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert sum(clock.sleeps) >= 3.0 - 1e-9
    assert list(out["geo_status"]) == [
        "matched", "matched", "approximate", "unmatched", "unmatched"
    ]  # fmt: skip
    assert list(out["geo_precision"][:3]) == ["housenumber", "housenumber", "municipality"]
    assert "Connection refused" in out.loc[3, "geo_reason"]
    assert "not found by Nominatim" in out.loc[4, "geo_reason"]
    assert bool(out.loc[2, "geo_review"]) and not bool(out.loc[0, "geo_review"])


class _NominatimHandler(BaseHTTPRequestHandler):
    queries: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        type(self).queries.append(params)
        body = []
        if "Gare" in params.get("q", ""):
            body = [
                {
                    "place_id": "1",
                    "osm_type": "node",
                    "lat": "47.1795",
                    "lon": "3.0301",
                    "display_name": GARE,
                    "class": "place",
                    "type": "house",
                    "address": {"road": "Rue de la Gare", "postcode": "58400"},
                    "boundingbox": ["47.17", "47.19", "3.02", "3.04"],
                }
            ]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_qgis_nominatim_geocoder_through_the_adapter(qgis_app):
    """QGIS's own QgsNominatimGeocoder, pointed at a local server, read by the adapter."""
    from eit_synergies.layers.geocoder import NominatimAdapter, nominatim_geocoder

    _NominatimHandler.queries = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NominatimHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{httpd.server_address[1]}/search"
        geocoder = nominatim_geocoder(endpoint)
        assert geocoder.endpoint() == endpoint and geocoder.countryCodes() == "fr"
        adapter = NominatimAdapter(geocoder, geocoder_context(), QgsFeedback())
        lon, lat, score, label, precision = adapter(
            "12 rue de la Gare, 58400 La Charité-sur-Loire, France"
        )
        assert (lon, lat, label, precision) == (3.0301, 47.1795, GARE, "housenumber")
        assert score == 1.0
        assert adapter("1 chemin perdu, 58400 Narcy, France") is None
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
    assert [q["countrycodes"] for q in _NominatimHandler.queries] == ["fr", "fr"]
    assert _NominatimHandler.queries[0]["q"].startswith("12 rue de la Gare")
    assert not math.isnan(lon)
