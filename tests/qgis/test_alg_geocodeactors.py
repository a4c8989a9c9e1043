"""eit:geocodeactors and eit:downloadban: demo territory, local BAN file, BAN API (local
server), Nominatim (fake geocoder), manual corrections kept, cancel, output CRS, style."""

from __future__ import annotations

import gzip
import importlib.util
import random
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsGeocoderInterface,
    QgsGeocoderResult,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsVectorLayer,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
DATA = ROOT / "tests" / "data" / "geocode"
COMMUNES = ROOT / "data" / "reference" / "communes_58_cclnb.csv"
GEO_FIELDS = [
    "geo_status", "geo_score", "geo_method", "geo_precision", "geo_label", "geo_reason",
    "geo_review",
]  # fmt: skip
WITHOUT_COORDINATES = {"A14": "58131", "A19": "58056", "A24": "58218", "A33": "58059"}
ABBREVIATIONS = {"Avenue": "av.", "Place": "pl", "Route": "rte", "Impasse": "imp.", "Rue": "r."}

_spec = importlib.util.spec_from_file_location(
    "geocode_fake_ban", ROOT / "tests" / "unit" / "_geocode_fake_ban.py"
)
fake_ban = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_ban)


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps every log line; can cancel itself once progress passes ``cancel_at`` %."""

    def __init__(self, cancel_at=None):
        super().__init__()
        self.lines: list[str] = []
        if cancel_at is not None:
            self.progressChanged.connect(lambda p: p > cancel_at and self.cancel())

    def pushInfo(self, info):
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):
        self.lines.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N803 - QGIS API
        self.lines.append(error)
        super().reportError(error, fatalError)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


def run(alg_id, parameters, feedback=None, context=None):
    from qgis import processing

    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    context = context or QgsProcessingContext()
    ok, message = alg.checkParameterValues(parameters, context)
    assert ok, message
    return processing.run(
        alg_id, parameters, context=context, feedback=feedback or RecordingFeedback()
    )


def features(layer) -> dict:
    """Features by actor id (``identifiant`` or ``id``)."""
    key = "identifiant" if "identifiant" in layer.fields().names() else "id"
    return {f[key]: f for f in layer.getFeatures()}


def to_lambert(lon, lat) -> QgsPointXY:
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsCoordinateReferenceSystem("EPSG:2154"),
        QgsCoordinateTransformContext(),
    )
    return transform.transform(QgsPointXY(lon, lat))


def distance(feature, point: QgsPointXY) -> float:
    return feature.geometry().asPoint().distance(point)


@pytest.fixture(scope="module")
def ban_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ban")
    return Path(shutil.copy(DATA / "bano_limousin_format_ban.csv", folder / "adresses-19.csv"))


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return pd.read_csv(DATA / "bano_limousin_format_ban.csv", sep=";", dtype=str).fillna("")


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """The BAN API cache of these tests goes to a temporary folder, not to the profile."""
    from eit_synergies.layers import geocoder

    folder = tmp_path / "cache"
    monkeypatch.setattr(geocoder, "ban_cache_path", lambda url: folder / "ban_api.sqlite")
    return folder


def noisy_actors(truth, path: Path, n=12, seed=3) -> pd.DataFrame:
    """Actor rows derived from real BAN addresses, written with abbreviations, no accents,
    another case; plus three rows that cannot be placed at the address."""
    from eit_synergies.core.geocode.normalize import strip_accents

    rng = random.Random(seed)
    rows = truth[truth["numero"] != ""].sample(n, random_state=seed)
    out = []
    for k, (_, row) in enumerate(rows.iterrows()):
        words = row["nom_voie"].split()
        words[0] = ABBREVIATIONS.get(words[0], words[0])
        street = strip_accents(" ".join(words))
        street = rng.choice([street.lower(), street.upper(), street])
        number = row["numero"] + (f" {row['rep']}" if row["rep"] else "")
        out.append(
            {
                "id": f"B{k:02d}",
                "nom": f"Entreprise {k}",
                "adresse": f"{number} {street}",
                "cp": row["code_postal"],
                "ville": row["nom_commune"].upper(),
                "x_true": row["x"],
                "y_true": row["y"],
            }
        )
    out += [
        {"id": "U01", "nom": "Sans adresse", "adresse": "", "cp": "", "ville": ""},
        {"id": "U02", "nom": "Ailleurs", "adresse": "3 rue Haute", "cp": "", "ville": "Nulpart"},
        {"id": "U03", "nom": "Rue absente", "adresse": "8 rue des Lilas", "cp": "19240",
         "ville": "Allassac"},
    ]  # fmt: skip
    frame = pd.DataFrame(out).fillna("")
    frame.drop(columns=["x_true", "y_true"]).to_csv(path, sep=";", index=False)
    return frame.set_index("id")


# --------------------------------------------------------------------------- demo territory


def test_demo_actors_automatic_every_row_once(plugin):
    feedback = RecordingFeedback()
    result = run(
        "eit:geocodeactors",
        {"INPUT": str(DEMO / "actors.csv"), "METHOD": 0, "OUTPUT": "memory:"},
        feedback,
    )
    layer = result["OUTPUT"]
    table = pd.read_csv(DEMO / "actors.csv", sep=";", dtype=str, keep_default_na=False)
    assert layer.featureCount() == len(table) == result["ROWS_READ"] == 33
    assert [f["identifiant"] for f in layer.getFeatures()] == list(table["identifiant"])
    assert layer.fields().names() == [*table.columns, *GEO_FIELDS]
    assert layer.crs().authid() == "EPSG:2154"
    by_id = features(layer)
    for _, row in table.iterrows():  # every input field untouched
        feature = by_id[row["identifiant"]]
        assert [feature[c] or "" for c in ("nom", "adresse", "code_postal")] == [
            row["nom"], row["adresse"], row["code_postal"]
        ]  # fmt: skip
    communes = pd.read_csv(COMMUNES, dtype=str).set_index("code_insee")
    for actor, insee in WITHOUT_COORDINATES.items():
        feature = by_id[actor]
        assert feature["geo_method"] == "commune"
        assert feature["geo_precision"] == "municipality"
        assert feature["geo_status"] == "approximate" and feature["geo_review"] is True
        centroid = QgsPointXY(
            float(communes.loc[insee, "centroide_x_l93"]),
            float(communes.loc[insee, "centroide_y_l93"]),
        )
        assert distance(feature, centroid) < 2.0
    given = [f for f in layer.getFeatures() if f["identifiant"] not in WITHOUT_COORDINATES]
    assert len(given) == 29
    for feature in given:
        assert (feature["geo_method"], feature["geo_precision"]) == ("given", "given")
        assert feature["geo_review"] is False and feature["geo_score"] == 1.0
        where = to_lambert(float(feature["longitude"]), float(feature["latitude"]))
        assert distance(feature, where) < 0.01
    assert (result["MATCHED"], result["APPROXIMATE"], result["UNMATCHED"]) == (29, 4, 0)
    assert result["REVIEW"] == 4
    assert (
        "actors.csv: 33 rows read: 29 matched, 4 approximate, 0 not placed; "
        "4 flagged for review (geo_review)." in feedback.lines
    )
    assert "Placed by: given 29, commune 4." in feedback.lines


def test_output_crs(plugin):
    result = run(
        "eit:geocodeactors",
        {
            "INPUT": str(DEMO / "actors.csv"),
            "METHOD": 4,
            "OUTPUT_CRS": "EPSG:4326",
            "OUTPUT": "memory:",
        },
    )
    layer = result["OUTPUT"]
    assert layer.crs().authid() == "EPSG:4326"
    a01 = features(layer)["A01"].geometry().asPoint()
    assert (a01.x(), a01.y()) == pytest.approx((3.11593, 47.19064), abs=1e-9)


# --------------------------------------------------------------------------- BAN file


def test_local_ban_file_places_noisy_addresses_at_the_house_number(
    plugin, ban_file, truth, tmp_path
):
    actors = noisy_actors(truth, tmp_path / "acteurs.csv")
    alg = QgsApplication.processingRegistry().createAlgorithmById("eit:geocodeactors")
    ok, message = alg.checkParameterValues(
        {"INPUT": str(tmp_path / "acteurs.csv"), "METHOD": 1, "OUTPUT": "memory:"},
        QgsProcessingContext(),
    )
    assert not ok and "BAN_FILE" in message
    feedback = RecordingFeedback()
    result = run(
        "eit:geocodeactors",
        {
            "INPUT": str(tmp_path / "acteurs.csv"),
            "METHOD": 1,
            "BAN_FILE": str(ban_file),
            "OUTPUT": "memory:",
        },
        feedback,
    )
    layer = result["OUTPUT"]
    assert layer.featureCount() == len(actors) == 15
    assert layer.fields().names() == ["id", "nom", "adresse", "cp", "ville", *GEO_FIELDS]
    by_id = features(layer)
    derived = [i for i in actors.index if i.startswith("B")]
    for actor in derived:
        feature = by_id[actor]
        assert feature["geo_method"] == "ban_file", feature.attributes()
        assert feature["geo_precision"] == "housenumber", feature.attributes()
        assert feature["geo_status"] == "matched" and feature["geo_review"] is False
        truth_point = QgsPointXY(
            float(actors.loc[actor, "x_true"]), float(actors.loc[actor, "y_true"])
        )
        assert distance(feature, truth_point) < 1.0
    for actor in ("U01", "U02"):
        feature = by_id[actor]
        assert feature["geo_status"] == "unmatched"
        assert feature.geometry().isNull()
        assert feature["geo_reason"] and feature["geo_review"] is True
        assert feature["geo_score"] == 0.0
    lilas = by_id["U03"]
    assert (lilas["geo_status"], lilas["geo_precision"]) == ("approximate", "municipality")
    assert lilas["geo_review"] is True and "not found" in lilas["geo_reason"]
    assert (result["MATCHED"], result["APPROXIMATE"], result["UNMATCHED"]) == (12, 1, 2)
    assert any(line.startswith("Row 15 (U02) not placed: ") for line in feedback.lines)


def test_field_parameters_and_review_threshold(plugin, ban_file, truth, tmp_path):
    noisy_actors(truth, tmp_path / "acteurs.csv", n=6, seed=5)
    odd = pd.read_csv(tmp_path / "acteurs.csv", sep=";", dtype=str, keep_default_na=False)
    odd.columns = ["ref", "raison", "ligne1", "bp", "loc"]  # names no guess recognises
    odd.loc[len(odd)] = ["T01", "Faute de frappe", "12 pl alegre", "19240", "Allassac"]
    odd.to_csv(tmp_path / "odd.csv", sep=";", index=False)
    base = {"INPUT": str(tmp_path / "odd.csv"), "METHOD": 1, "BAN_FILE": str(ban_file)}
    guessed = run("eit:geocodeactors", {**base, "OUTPUT": "memory:"})
    assert guessed["UNMATCHED"] == len(odd)  # nothing to geocode without the columns
    fields = {"ADDRESS_FIELD": "ligne1", "POSTCODE_FIELD": "bp", "CITY_FIELD": "loc"}
    chosen = run("eit:geocodeactors", {**base, **fields, "OUTPUT": "memory:"})
    by_ref = {f["ref"]: f for f in chosen["OUTPUT"].getFeatures()}
    assert all(by_ref[f"B{k:02d}"]["geo_precision"] == "housenumber" for k in range(6))
    assert 0.6 <= by_ref["T01"]["geo_score"] < 0.999 and by_ref["T01"]["geo_review"] is False
    strict = run(
        "eit:geocodeactors", {**base, **fields, "REVIEW_THRESHOLD": 0.999, "OUTPUT": "memory:"}
    )
    for feature in strict["OUTPUT"].getFeatures():
        expected = (
            feature["geo_score"] < 0.999
            or feature["geo_precision"] == "municipality"
            or feature["geo_status"] == "unmatched"
        )
        assert feature["geo_review"] is expected
    assert strict["REVIEW"] > chosen["REVIEW"]


def test_a_bad_ban_file_gives_a_clear_message(plugin, tmp_path):
    bad = tmp_path / "pas_la_ban.csv"
    bad.write_text("nom,valeur\nx,1\n", encoding="utf-8")
    with pytest.raises(QgsProcessingException) as error:
        run(
            "eit:geocodeactors",
            {
                "INPUT": str(DEMO / "actors.csv"),
                "METHOD": 1,
                "BAN_FILE": str(bad),
                "OUTPUT": "memory:",
            },
        )
    assert "pas_la_ban.csv is neither a BAN file" in str(error.value)


# --------------------------------------------------------------------------- BAN API


def test_ban_api_through_a_local_server_says_what_leaves_the_machine(
    plugin, ban_file, truth, tmp_path, cache_folder
):
    from eit_synergies.core.geocode.ban_api import DATA_NOTICE
    from eit_synergies.core.geocode.ban_index import BanIndex
    from eit_synergies.processing.alg_geocodeactors import data_notice

    assert data_notice() == DATA_NOTICE  # the translatable text is the core's notice
    alg = QgsApplication.processingRegistry().createAlgorithmById("eit:geocodeactors")
    assert DATA_NOTICE in alg.shortHelpString()
    actors = noisy_actors(truth, tmp_path / "acteurs.csv", n=8, seed=11)
    params = {
        "INPUT": str(tmp_path / "acteurs.csv"),
        "METHOD": 2,
        "OUTPUT": "memory:",
    }
    with fake_ban.FakeBan(BanIndex.from_file(ban_file)) as server:
        params["API_URL"] = server.url
        feedback = RecordingFeedback()
        result = run("eit:geocodeactors", params, feedback)
        posts = [r for r in server.requests if r["path"].endswith("/search/csv")]
        again = run("eit:geocodeactors", params)
        posts_after_rerun = [r for r in server.requests if r["path"].endswith("/search/csv")]
    assert DATA_NOTICE in feedback.lines
    assert f"BAN API address: {server.url}" in feedback.lines
    layer = result["OUTPUT"]
    by_id = features(layer)
    for actor in (i for i in actors.index if i.startswith("B")):
        feature = by_id[actor]
        assert (feature["geo_method"], feature["geo_precision"]) == ("ban_api", "housenumber")
        truth_point = QgsPointXY(
            float(actors.loc[actor, "x_true"]), float(actors.loc[actor, "y_true"])
        )
        assert distance(feature, truth_point) < 1.0
    assert by_id["U01"]["geo_status"] == "unmatched" and by_id["U01"].geometry().isNull()
    sent = [row for post in posts for row in post["rows"]]
    assert {row["adresse"] for row in sent} == set(actors["adresse"]) - {""}
    text = " ".join(" ".join(row.values()) for row in sent)
    assert "Entreprise" not in text  # names never leave the machine
    assert (cache_folder / "ban_api.sqlite").is_file()
    assert posts_after_rerun == posts  # the rerun is answered by the cache
    assert [f.attributes() for f in again["OUTPUT"].getFeatures()] == [
        f.attributes() for f in layer.getFeatures()
    ]


# --------------------------------------------------------------------------- Nominatim


class FakeNominatim(QgsGeocoderInterface):
    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, float]] = []

    def flags(self):
        return QgsGeocoderInterface.Flag.GeocodesStrings

    def geocodeString(self, string, context, feedback=None):
        self.calls.append((string, time.monotonic()))
        if "Chaussade" not in string:
            return []
        result = QgsGeocoderResult(
            "14, Rue de la Chaussade, Guérigny, Nièvre, 58130, France",
            QgsGeometry.fromPointXY(QgsPointXY(3.2049, 47.0921)),
            QgsCoordinateReferenceSystem("EPSG:4326"),
        )
        result.setAdditionalAttributes({"class": "place", "type": "house"})
        return [result]


def test_nominatim_method_uses_the_qgis_geocoder_at_one_request_a_second(
    plugin, tmp_path, monkeypatch
):
    from eit_synergies.layers import geocoder

    fake = FakeNominatim()
    monkeypatch.setattr(geocoder, "nominatim_geocoder", lambda endpoint: fake)
    table = pd.read_csv(DEMO / "actors.csv", sep=";", dtype=str, keep_default_na=False)
    table[table["identifiant"].isin(["A14", "A19", "A24", "A01"])].to_csv(
        tmp_path / "quatre.csv", sep=";", index=False
    )
    feedback = RecordingFeedback()
    result = run(
        "eit:geocodeactors",
        {"INPUT": str(tmp_path / "quatre.csv"), "METHOD": 3, "OUTPUT": "memory:"},
        feedback,
    )
    assert any("nominatim.qgis.org" in line and "never leave" in line for line in feedback.lines)
    times = [t for _, t in fake.calls]
    assert len(times) == 3  # A01 has coordinates: not sent
    assert all(b - a >= 0.95 for a, b in zip(times, times[1:], strict=False))
    assert all(", France" in text and "fictif" not in text for text, _ in fake.calls)
    by_id = features(result["OUTPUT"])
    assert (by_id["A14"]["geo_method"], by_id["A14"]["geo_precision"]) == (
        "nominatim",
        "housenumber",
    )
    assert distance(by_id["A14"], to_lambert(3.2049, 47.0921)) < 0.01
    assert by_id["A19"]["geo_status"] == "unmatched" and by_id["A19"].geometry().isNull()
    assert by_id["A01"]["geo_method"] == "given"


# --------------------------------------------------------------------------- manual review


def test_points_moved_by_hand_with_geo_method_given_are_kept(plugin, tmp_path):
    first_path = tmp_path / "acteurs_geocodes.gpkg"
    run(
        "eit:geocodeactors",
        {"INPUT": str(DEMO / "actors.csv"), "METHOD": 0, "OUTPUT": str(first_path)},
    )
    layer = QgsVectorLayer(str(first_path), "acteurs", "ogr")
    assert layer.isValid() and layer.featureCount() == 33
    by_id = features(layer)
    a14 = by_id["A14"]  # placed at Guérigny's centroid, flagged for review
    assert a14["geo_review"] and a14["geo_method"] == "commune"
    moved_a14 = QgsPointXY(716410.0, 6665620.0)  # the user's placement
    moved_a01 = QgsPointXY(708900.0, 6676800.0)  # an actor with (wrong) coordinates
    moved_a19 = QgsPointXY(705800.0, 6671700.0)  # moved, but geo_method left as it was
    method = layer.fields().indexOf("geo_method")
    layer.startEditing()
    layer.changeGeometry(a14.id(), QgsGeometry.fromPointXY(moved_a14))
    layer.changeAttributeValue(a14.id(), method, "given")
    layer.changeGeometry(by_id["A01"].id(), QgsGeometry.fromPointXY(moved_a01))
    layer.changeGeometry(by_id["A19"].id(), QgsGeometry.fromPointXY(moved_a19))
    assert layer.commitChanges()

    feedback = RecordingFeedback()
    second = run(
        "eit:geocodeactors",
        {"INPUT": str(first_path), "METHOD": 0, "OUTPUT": "memory:"},
        feedback,
    )["OUTPUT"]
    assert second.featureCount() == 33
    names = second.fields().names()
    assert len(names) == len(set(names))
    assert names[-len(GEO_FIELDS) :] == GEO_FIELDS
    after = features(second)
    assert distance(after["A14"], moved_a14) < 0.01
    assert (after["A14"]["geo_method"], after["A14"]["geo_precision"]) == ("given", "given")
    assert after["A14"]["geo_review"] is False
    assert distance(after["A01"], moved_a01) < 0.01  # the moved point beats the old columns
    assert after["A19"]["geo_method"] == "commune"  # not marked given: placed again
    assert distance(after["A19"], moved_a19) > 100
    # the 29 actors with coordinates and A14
    assert "30 points of the layer kept as placed (geo_method = given)." in feedback.lines
    # and once more, from the second run's layer: still where the user put it
    third = run("eit:geocodeactors", {"INPUT": second, "METHOD": 0, "OUTPUT": "memory:"})["OUTPUT"]
    assert distance(features(third)["A14"], moved_a14) < 0.01
    assert third.featureCount() == 33


# --------------------------------------------------------------------------- cancel, style


def test_cancel_stops_without_output(plugin, ban_file, truth, tmp_path):
    noisy_actors(truth, tmp_path / "acteurs.csv", n=12)
    alg = QgsApplication.processingRegistry().createAlgorithmById("eit:geocodeactors")
    feedback = RecordingFeedback(cancel_at=40)  # during the geocoding step
    params = {
        "INPUT": str(tmp_path / "acteurs.csv"),
        "METHOD": 1,
        "BAN_FILE": str(ban_file),
        "OUTPUT": "memory:",
    }
    result, ok = alg.run(params, QgsProcessingContext(), feedback)
    assert feedback.isCanceled()
    assert "OUTPUT" not in (result or {})


def test_style_post_processor_categorises_on_geo_status(plugin):
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    alg = QgsApplication.processingRegistry().createAlgorithmById("eit:geocodeactors")
    params = {
        "INPUT": str(DEMO / "actors.csv"),
        "METHOD": 0,
        "OUTPUT": QgsProcessingOutputLayerDefinition("memory:", QgsProject.instance()),
    }
    result, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok
    details = context.layerToLoadOnCompletionDetails(result["OUTPUT"])
    assert details.name == "Geocoded actors" and details.postProcessor() is not None
    layer = context.getMapLayer(result["OUTPUT"])
    details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
    renderer = layer.renderer()
    assert renderer.type() == "categorizedSymbol"
    assert renderer.classAttribute() == "geo_status"
    colours = {c.value(): c.symbol().color().name() for c in renderer.categories()}
    assert colours["matched"] != colours["approximate"]
    assert set(colours) == {"matched", "approximate", "unmatched"}
    categories = renderer.categories()  # keep the copies alive while reading their symbols
    for category in categories:
        properties = category.symbol().symbolLayer(0).dataDefinedProperties()
        expressions = [properties.property(k).expressionString() for k in properties.propertyKeys()]
        assert len(expressions) == 2 and all('"geo_review"' in e for e in expressions)


# --------------------------------------------------------------------------- download


@pytest.fixture(scope="module")
def gz_ban() -> bytes:
    return gzip.compress((DATA / "bano_limousin_format_ban.csv").read_bytes())


def test_download_ban_file_then_geocode_with_it(plugin, gz_ban, ban_file, truth, tmp_path):
    from eit_synergies.core.geocode.ban_index import BanIndex

    folder = tmp_path / "ban"
    with fake_ban.FakeBan(
        BanIndex.from_file(ban_file), files={"adresses-19.csv.gz": gz_ban}
    ) as srv:
        feedback = RecordingFeedback()
        result = run(
            "eit:downloadban",
            {"DEPARTEMENT": "19", "BASE_URL": f"{srv.url}/ban/csv", "OUTPUT_FOLDER": str(folder)},
            feedback,
        )
        paths = [r["path"] for r in srv.requests]
    assert paths == ["/ban/csv/adresses-19.csv.gz"]
    path = Path(result["BAN_FILE"])
    assert path == folder / "adresses-19.csv.gz" and path.read_bytes() == gz_ban
    assert f"BAN file saved: {path}" in feedback.lines
    noisy_actors(truth, tmp_path / "acteurs.csv", n=4)
    placed = run(
        "eit:geocodeactors",
        {
            "INPUT": str(tmp_path / "acteurs.csv"),
            "METHOD": 1,
            "BAN_FILE": result["BAN_FILE"],
            "OUTPUT": "memory:",
        },
    )
    assert placed["MATCHED"] == 4


def test_download_cancel_bad_code_and_missing_file(plugin, gz_ban, ban_file, tmp_path):
    from eit_synergies.core.geocode.ban_index import BanIndex

    alg = QgsApplication.processingRegistry().createAlgorithmById("eit:downloadban")
    ok, message = alg.checkParameterValues(
        {"DEPARTEMENT": "99", "OUTPUT_FOLDER": str(tmp_path)}, QgsProcessingContext()
    )
    assert not ok and "99 is not a département code" in message
    folder = tmp_path / "ban"
    with fake_ban.FakeBan(
        BanIndex.from_file(ban_file), files={"adresses-58.csv.gz": gz_ban}
    ) as srv:
        params = {"DEPARTEMENT": "58", "BASE_URL": srv.url, "OUTPUT_FOLDER": str(folder)}
        feedback = RecordingFeedback(cancel_at=0)
        result, ok = alg.run(params, QgsProcessingContext(), feedback)
        assert feedback.isCanceled() and "BAN_FILE" not in (result or {})
        assert list(folder.iterdir()) == []  # nothing partial left behind
        with pytest.raises(QgsProcessingException) as error:
            run("eit:downloadban", {**params, "DEPARTEMENT": "2A"})
    assert "adresses-2A.csv.gz answered HTTP 404" in str(error.value)


def test_core_log_lines_go_through_translation(plugin):
    from eit_synergies.core.geocode.ban_api import DATA_NOTICE
    from eit_synergies.processing.alg_geocodeactors import GeocodeProgress

    feedback = RecordingFeedback()
    progress = GeocodeProgress(feedback)
    for line in (
        DATA_NOTICE,  # said by the algorithm itself, translated
        "geocoded 33 actors: {'matched': 33}",  # replaced by the algorithm's summary
        "BAN file: 3 unusable lines skipped",
        "BAN API: 12 rows missing, re-sent by 125",
        "BAN API: 2 rows never came back",
        "BAN index not cached (read-only folder); rebuilt next time",
        "a line the glue does not know",
    ):
        progress.log(line)
    assert feedback.lines == [
        "BAN file: 3 unusable lines skipped.",
        "BAN API: 12 rows missing from the answer, sent again by 125.",
        "BAN API: 2 rows never came back; they are left unmatched (run again later).",
        "The BAN index could not be saved (read-only folder); it will be rebuilt next time.",
        "a line the glue does not know",
    ]


def test_new_messages_are_translatable(plugin):
    """Every message of the two algorithms goes through tr() and has a French entry."""
    pending = {}  # the strings waiting to be merged into the .ts (none once merged)
    tsv = ROOT / "i18n" / "pending_geocode.tsv"
    for line in tsv.read_text(encoding="utf-8").splitlines() if tsv.exists() else []:
        english, french = line.split("\t")
        pending[english.replace("\\n", "\n")] = french
    import importlib

    tool_spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    tool = importlib.util.module_from_spec(tool_spec)
    tool_spec.loader.exec_module(tool)
    ours = {
        source
        for source, places in tool.extract().items()
        if any(
            p.startswith(("processing/alg_geocodeactors", "processing/alg_downloadban",
                          "layers/geocoder", "processing/messages"))
            for p in places
        )
    }  # fmt: skip
    existing = tool.read_ts(ROOT / "i18n" / "eit_synergies_fr.ts")
    missing = [s for s in ours if s not in pending and not existing.get(s, ("",))[0]]
    assert not missing, missing
    assert all(french and french != english for english, french in pending.items())
