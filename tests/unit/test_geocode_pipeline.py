"""geocode_actors (core/geocode/pipeline.py): the eit:geocodeactors contract."""

from __future__ import annotations

import csv
import importlib.util
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import Canceled, EitError
from eit_synergies.core.geocode.ban_api import BanApiClient, TokenBucket
from eit_synergies.core.geocode.ban_index import BanIndex
from eit_synergies.core.geocode.pipeline import OUTPUT_FIELDS, geocode_actors, guess_fields
from eit_synergies.core.progress import RecordingProgress

_spec = importlib.util.spec_from_file_location(
    "geocode_fake_ban", Path(__file__).with_name("_geocode_fake_ban.py")
)
fake_ban = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_ban)

DATA = Path(__file__).resolve().parents[1] / "data" / "geocode"
ALLEGRE_12 = (1.475792, 45.257819)
# A FICTITIOUS establishment (made-up SIRET with a valid Luhn check digit).
FICT_SIRET = "90000001900019"


@pytest.fixture(scope="module")
def ban_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ban")
    return Path(shutil.copy(DATA / "bano_limousin_format_ban.csv", folder / "adresses-19.csv"))


@pytest.fixture(scope="module")
def sirene_file(tmp_path_factory) -> Path:
    header = (DATA / "sirene_geo_stock_etablissement_entete.csv").read_text().strip().split(",")
    row = dict.fromkeys(header, "")
    row.update(
        siren=FICT_SIRET[:9],
        nic=FICT_SIRET[9:],
        siret=FICT_SIRET,
        longitude="3.0301",
        latitude="47.1795",
        geo_score="0.91",
        geo_type="housenumber",
        geo_adresse="2 Rue Fictive 58400 La Charité-sur-Loire",
        codeCommuneEtablissement="58059",
        codePostalEtablissement="58400",
    )
    path = tmp_path_factory.mktemp("sirene") / "sirene_58.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerow([row[c] for c in header])
    return path


def actors_table() -> pd.DataFrame:
    rows = [
        # id, nom, siret, adresse, code postal, commune, code insee, longitude, latitude
        ("A1", "Coordonnées", "", "", "", "", "", "3,0296", "47,18"),
        ("A2", "Adresse BAN", "", "12 pl. Allègre", "19240", "Allassac", "", "", ""),
        ("A3", "Rue inconnue", "", "8 rue des Lilas", "19240", "Allassac", "", "", ""),
        ("A4", "SIRENE", FICT_SIRET, "ZI du Port", "58400", "La Charité", "", "", ""),
        ("A5", "Commune", "", "", "", "", "58189", "", ""),
        ("A6", "Ambigu", "", "", "58400", "", "", "", ""),
        ("A7", "Vide", "", "", "", "", "", "", ""),
        ("A8", "Lambert", "", "12 place allegre", "19240", "Allassac", "", "702244", "6675905"),
        ("A9", "SIRET faux", "12345678901234", "", "58400", "Narcy", "", "", ""),
    ]
    cols = [
        "Identifiant",
        "Nom",
        "SIRET",
        "Adresse",
        "Code postal",
        "Commune",
        "Code INSEE",
        "Longitude",
        "Latitude",
    ]
    return pd.DataFrame(rows, columns=cols, index=[90, 10, 80, 20, 70, 30, 60, 40, 50])


def test_guess_fields_in_french_or_english():
    roles = guess_fields(actors_table().columns)
    assert roles == {
        "address": "Adresse",
        "postcode": "Code postal",
        "city": "Commune",
        "citycode": "Code INSEE",
        "siret": "SIRET",
        "lon": "Longitude",
        "lat": "Latitude",
    }
    assert guess_fields(["id", "address", "zip", "town", "lng", "lat"])["postcode"] == "zip"
    assert guess_fields(["rue", "adresse"], {"address": "rue"})["address"] == "rue"
    with pytest.raises(EitError) as err:
        guess_fields(["a"], {"address": "b"})
    assert err.value.code == "missing_column"


def test_automatic_method_every_row_once_in_order(ban_file, sirene_file):
    actors = actors_table()
    progress = RecordingProgress()
    out = geocode_actors(actors, 0, ban_file, sirene_file, progress=progress)
    # Every input row once, in input order, every input field untouched.
    assert list(out.index) == list(actors.index)
    pd.testing.assert_frame_equal(out[actors.columns], actors)
    assert list(out.columns) == [*actors.columns, *OUTPUT_FIELDS]
    by = out.set_index("Identifiant")

    a1 = by.loc["A1"]
    assert (a1["geo_method"], a1["geo_precision"], a1["geo_status"]) == (
        "given",
        "given",
        "matched",
    )
    assert (a1["lon"], a1["lat"]) == (3.0296, 47.18)
    assert not a1["geo_review"]

    a2 = by.loc["A2"]
    assert (a2["geo_method"], a2["geo_precision"]) == ("ban_file", "housenumber")
    assert (a2["lon"], a2["lat"]) == pytest.approx(ALLEGRE_12)
    assert a2["geo_label"] == "12 Place Allègre 19240 Allassac"
    assert a2["geo_status"] == "matched" and not a2["geo_review"]

    a3 = by.loc["A3"]
    assert (a3["geo_precision"], a3["geo_status"]) == ("municipality", "approximate")
    assert "not found" in a3["geo_reason"] and a3["geo_review"]

    a4 = by.loc["A4"]
    assert (a4["geo_method"], a4["geo_precision"], a4["geo_score"]) == (
        "sirene",
        "housenumber",
        0.91,
    )
    assert (a4["lon"], a4["lat"]) == (3.0301, 47.1795)

    a5 = by.loc["A5"]
    assert (a5["geo_method"], a5["geo_precision"], a5["geo_label"]) == (
        "commune",
        "municipality",
        "Narcy",
    )
    assert a5["geo_review"]

    for key, words in (("A6", "58400 covers several communes"), ("A7", "no INSEE code")):
        row = by.loc[key]
        assert row["geo_status"] == "unmatched"
        assert math.isnan(row["lon"]) and math.isnan(row["lat"])
        assert words in row["geo_reason"]
        assert row["geo_review"] and row["geo_score"] == 0.0
    assert "58189 Narcy" in by.loc["A6", "geo_reason"]

    a8 = by.loc["A8"]  # Lambert-93 numbers are not taken as WGS84
    assert a8["geo_method"] == "ban_file"
    assert "given coordinates ignored" in a8["geo_reason"]

    a9 = by.loc["A9"]  # invalid SIRET: placed at its commune, SIRENE says why not
    assert (a9["geo_method"], a9["geo_label"]) == ("commune", "Narcy")
    assert progress.fractions[-1] == 1.0
    assert any("geocoded 9 actors" in m for m in progress.messages)


def test_duplicate_index_labels_are_kept_as_they_are(ban_file):
    actors = actors_table()
    actors.index = [1, 1, 2, 2, 3, 3, 4, 4, 5]
    out = geocode_actors(actors, 0, ban_file)
    assert list(out.index) == [1, 1, 2, 2, 3, 3, 4, 4, 5]
    assert list(out["Identifiant"]) == list(actors["Identifiant"])
    assert out.iloc[1]["geo_method"] == "ban_file" and out.iloc[0]["geo_method"] == "given"


def test_manual_correction_from_a_previous_run_is_kept(ban_file):
    first = geocode_actors(actors_table(), 0, ban_file)
    first.loc[80, ["lon", "lat", "geo_method"]] = [1.48, 45.26, "given"]
    again = geocode_actors(first, 0, ban_file)
    assert list(again.index) == list(first.index)
    assert (again.loc[80, "lon"], again.loc[80, "lat"]) == (1.48, 45.26)
    assert (again.loc[80, "geo_method"], again.loc[80, "geo_precision"]) == ("given", "given")
    # Coordinates computed by the previous run are not mistaken for given ones.
    assert again.loc[10, "geo_method"] == "ban_file"
    assert again.loc[30, "geo_status"] == "unmatched"
    assert again.columns.tolist().count("lon") == 1


def test_commune_method_only(ban_file):
    out = geocode_actors(actors_table(), 4)
    by = out.set_index("Identifiant")
    assert by.loc["A1", "geo_method"] == "given"
    assert by.loc["A5", "geo_label"] == "Narcy"
    # No communes table entry for Allassac (Corrèze) in the bundled Nièvre table.
    assert by.loc["A2", "geo_status"] == "unmatched"
    assert by.loc["A2", "geo_method"] == "commune"
    assert "commune" in by.loc["A2", "geo_reason"]


def test_ban_file_method_only_and_method_checks(ban_file):
    out = geocode_actors(actors_table(), 1, ban_file=BanIndex.from_file(ban_file))
    by = out.set_index("Identifiant")
    assert by.loc["A2", "geo_precision"] == "housenumber"
    assert by.loc["A5", "geo_status"] == "unmatched"  # no fallback to the communes table
    for method, kwargs, code in (
        (1, {}, "missing_ban_file"),
        (3, {}, "missing_geocoder"),
        (7, {}, "invalid_method"),
    ):
        with pytest.raises(EitError) as err:
            geocode_actors(actors_table(), method, **kwargs)
        assert err.value.code == code


def test_nominatim_callable_is_rate_limited_to_one_per_second():
    clock = fake_ban.FakeClock()
    calls: list[tuple[str, float]] = []

    def geocoder(text):
        calls.append((text, clock()))
        if "Lilas" in text:
            return None
        if "panne" in text:
            raise RuntimeError("network down")
        if text.startswith("58400"):
            return (3.03, 47.18, 0.5, "La Charité-sur-Loire")
        return (3.02, 47.18, 0.9, "12 Rue de la Gare 58400 La Charité-sur-Loire")

    actors = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "adresse": [
                "12 rue de la Gare",
                "12 rue de la Gare",
                "3 rue des Lilas",
                "rue en panne",
                "",
            ],
            "cp": ["58400"] * 5,
            "commune": ["La Charité-sur-Loire"] * 4 + [""],
        }
    )
    limiter = TokenBucket(1.0, clock=clock, sleep=clock.sleep)
    out = geocode_actors(actors, 3, nominatim=geocoder, nominatim_limiter=limiter)
    assert len(calls) == 4  # the repeated address is asked once
    times = [t for _, t in calls]
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert "12 rue de la Gare, 58400 La Charité-sur-Loire" in calls[0][0]
    assert list(out["geo_method"]) == ["nominatim"] * 5
    assert list(out["geo_precision"][:2]) == ["housenumber", "housenumber"]
    assert list(out["geo_status"]) == [
        "matched",
        "matched",
        "unmatched",
        "unmatched",
        "approximate",
    ]
    assert out.loc[4, "geo_precision"] == "municipality"
    assert "not found by Nominatim" in out.loc[2, "geo_reason"]
    assert "network down" in out.loc[3, "geo_reason"]


def test_ban_api_method_through_a_local_server(ban_file, tmp_path):
    index = BanIndex.from_file(ban_file)
    actors = actors_table()
    with fake_ban.FakeBan(index) as server:
        clock = fake_ban.FakeClock()
        client = BanApiClient(
            base_url=server.url,
            cache_path=tmp_path / "c.sqlite",
            clock=clock,
            sleep=clock.sleep,
        )
        progress = RecordingProgress()
        out = geocode_actors(actors, 2, api_client=client, progress=progress)
        sent = [r for r in server.requests if r["path"].endswith("/search/csv")]
    by = out.set_index("Identifiant")
    assert by.loc["A1", "geo_method"] == "given"
    assert (by.loc["A2", "geo_method"], by.loc["A2", "geo_precision"]) == (
        "ban_api",
        "housenumber",
    )
    assert (by.loc["A2", "lon"], by.loc["A2", "lat"]) == pytest.approx(ALLEGRE_12)
    assert any("never leave the machine" in m for m in progress.messages)
    rows = [r for post in sent for r in post["rows"]]
    # Given coordinates and empty rows are not sent; names and SIRETs never are.
    # A5 (INSEE code only) and A6 (postcode only) have nothing to search for.
    assert [r["commune"] for r in rows].count("Allassac") == 3
    assert len(rows) == 5
    text = " ".join(" ".join(r.values()) for r in rows)
    assert FICT_SIRET not in text and "Adresse BAN" not in text


def test_cancel(ban_file):
    with pytest.raises(Canceled):
        geocode_actors(actors_table(), 0, ban_file, progress=RecordingProgress(cancel_after=1))


def test_review_threshold_parameter(ban_file):
    out = geocode_actors(actors_table(), 0, ban_file, review_threshold=0.99)
    typo = geocode_actors(
        pd.DataFrame({"adresse": ["12 pl alegre"], "cp": ["19240"], "commune": ["Allassac"]}),
        1,
        ban_file,
        review_threshold=0.99,
    )
    assert typo.loc[0, "geo_score"] < 0.99 and typo.loc[0, "geo_review"]
    assert not out.set_index("Identifiant").loc["A2", "geo_review"]
    assert np.isfinite(typo.loc[0, "lon"])
