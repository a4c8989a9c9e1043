"""BAN API client and BAN downloader (core/geocode/ban_api.py) against a local server.

Nothing goes to the internet: a http.server on 127.0.0.1 (port 0) answers in the
Géoplateforme format, computing its answers from the real test addresses.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from eit_synergies.core.errors import Canceled, EitError
from eit_synergies.core.geocode.ban_api import (
    DATA_NOTICE,
    BanApiClient,
    TokenBucket,
    download_ban_file,
    normalize_departement,
)
from eit_synergies.core.geocode.ban_index import BanIndex
from eit_synergies.core.progress import RecordingProgress

_spec = importlib.util.spec_from_file_location(
    "geocode_fake_ban", Path(__file__).with_name("_geocode_fake_ban.py")
)
fake_ban = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_ban)

DATA = Path(__file__).resolve().parents[1] / "data" / "geocode"
BAN = DATA / "bano_limousin_format_ban.csv"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> BanIndex:
    folder = tmp_path_factory.mktemp("ban")
    return BanIndex.from_file(shutil.copy(BAN, folder / BAN.name))


@pytest.fixture()
def server(index):
    with fake_ban.FakeBan(index) as srv:
        yield srv


@pytest.fixture(scope="module")
def actors() -> pd.DataFrame:
    df = pd.read_csv(BAN, sep=";", dtype=str, keep_default_na=False).iloc[::80].head(25)
    frame = pd.DataFrame(
        {
            "nom": [f"Entreprise {i}" for i in range(len(df))],
            "siret": ["73282932000074"] * len(df),
            "address": (df["numero"] + " " + df["rep"] + " " + df["nom_voie"]).to_numpy(),
            "postcode": df["code_postal"].to_numpy(),
            "city": df["nom_commune"].to_numpy(),
            "citycode": [c if i % 2 else "" for i, c in enumerate(df["code_insee"])],
        },
        index=[f"A{i:02d}" for i in range(len(df))],
    )
    frame["true_lon"] = df["lon"].astype(float).to_numpy()
    frame["true_lat"] = df["lat"].astype(float).to_numpy()
    return frame


def _client(server, tmp_path, **kw) -> BanApiClient:
    clock = kw.pop("clock", None) or fake_ban.FakeClock()
    return BanApiClient(
        base_url=server.url,
        cache_path=kw.pop("cache_path", tmp_path / "cache.sqlite"),
        clock=clock,
        sleep=clock.sleep,
        **kw,
    )


def _posts(server) -> list[dict]:
    return [r for r in server.requests if r["path"].endswith("/search/csv")]


def _assert_all_placed(res: pd.DataFrame, actors: pd.DataFrame) -> None:
    assert list(res.index) == list(actors.index)
    assert (res["precision"] == "housenumber").all(), res
    assert (res["status"] == "matched").all()
    assert res["lon"].to_numpy() == pytest.approx(actors["true_lon"].to_numpy(), abs=1e-6)
    assert res["lat"].to_numpy() == pytest.approx(actors["true_lat"].to_numpy(), abs=1e-6)


# --------------------------------------------------------------------------- notice, limiter


def test_data_notice_says_what_leaves_the_machine():
    assert "\n" not in DATA_NOTICE
    text = DATA_NOTICE.lower()
    for word in ("address", "postcode", "insee", "names", "siret", "flows", "never"):
        assert word in text


def test_token_bucket_never_exceeds_50_per_second():
    clock = fake_ban.FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(400):
        bucket.acquire()
        stamps.append(clock())
    for i, t in enumerate(stamps):
        in_window = sum(1 for u in stamps[i:] if u < t + 1.0)
        assert in_window <= 50
    assert stamps[-1] - stamps[0] == pytest.approx(399 / 50, rel=1e-6)


# --------------------------------------------------------------------------- /search/csv


def test_csv_batch_places_every_row_and_sends_only_address_fields(server, actors, tmp_path):
    client = _client(server, tmp_path)
    res = client.geocode_many(actors)
    _assert_all_placed(res, actors)
    posts = _posts(server)
    assert len(posts) == 2  # rows with an INSEE code, rows without
    with_code = [p for p in posts if "citycode" in p["fields"]]
    assert len(with_code) == 1
    assert with_code[0]["fields"]["citycode"] == ["code_insee"]
    assert all(r["code_insee"] for r in with_code[0]["rows"])
    for post in posts:
        assert post["fields"]["columns"] == ["adresse", "code_postal", "commune"]
        assert set(post["rows"][0]) == {
            "eit_key",
            "adresse",
            "code_postal",
            "commune",
            "code_insee",
        }
        sent = " ".join(" ".join(r.values()) for r in post["rows"])
        assert "Entreprise" not in sent and "73282932000074" not in sent


def test_citycode_is_used_by_the_service(server, tmp_path):
    # Allassac's address with Argentat's INSEE code: the filter wins, as on the real API.
    frame = pd.DataFrame(
        {"address": ["12 Place Allègre"], "postcode": [""], "city": [""], "citycode": ["19010"]}
    )
    res = _client(server, tmp_path).geocode_many(frame)
    assert res.loc[0, "citycode"] == "19010"
    assert res.loc[0, "precision"] == "municipality"
    assert res.loc[0, "status"] == "approximate"


def test_truncated_answer_rows_are_resent_and_recovered(server, actors, tmp_path):
    server.script = ["truncate"]
    client = _client(server, tmp_path, chunk_size=25)
    progress = RecordingProgress()
    res = client.geocode_many(actors[actors["citycode"] == ""], progress)
    _assert_all_placed(res, actors[actors["citycode"] == ""])
    posts = _posts(server)
    assert len(posts) >= 2
    assert len(posts[1]["rows"]) < len(posts[0]["rows"])
    first_keys = {r["eit_key"] for r in posts[0]["rows"]}
    assert len(first_keys) == len(posts[0]["rows"])
    assert client.last_missing == []
    assert any("re-sent" in m for m in progress.messages)


def test_rows_that_never_come_back_are_reported(server, actors, tmp_path):
    server.truncate_always = True
    subset = actors.head(3)
    client = _client(server, tmp_path, chunk_size=4, resend_rounds=2)
    res = client.geocode_many(subset)
    first_missing = list(client.last_missing)
    assert first_missing  # at least the cut row of every answer
    missing = res.loc[first_missing]
    assert (missing["status"] == "unmatched").all()
    assert missing["lon"].isna().all()
    assert missing["reason"].str.contains("no answer from the BAN API").all()
    # Missing rows are not cached: a rerun asks for them (and only them) again.
    server.truncate_always = False
    before = len(_posts(server))
    again = client.geocode_many(subset)
    sent_again = sum(len(p["rows"]) for p in _posts(server)[before:])
    assert sent_again == len(first_missing)
    assert client.last_missing == []
    assert (again["status"] == "matched").all()


def test_429_and_502_are_retried_with_backoff(server, actors, tmp_path):
    server.script = ["429", "502"]
    clock = fake_ban.FakeClock()
    client = _client(server, tmp_path, clock=clock, backoff=0.5)
    res = client.geocode_many(actors[actors["citycode"] == ""])
    _assert_all_placed(res, actors[actors["citycode"] == ""])
    assert 2.0 in clock.sleeps  # Retry-After: 2
    assert 1.0 in clock.sleeps  # 0.5 * 2**1 after the 502
    assert client.requests_sent == 3


def test_client_errors_are_not_retried_and_server_errors_give_up(server, actors, tmp_path):
    server.script = ["400"]
    with pytest.raises(EitError) as err:
        _client(server, tmp_path).geocode_many(actors.head(2))
    assert err.value.code == "ban_api_http_error"
    assert err.value.data["status"] == 400
    server.script = ["502"] * 3
    client = _client(server, tmp_path, max_retries=2, cache_path=":memory:")
    with pytest.raises(EitError) as err:
        client.geocode_many(actors.head(2))
    assert err.value.data["status"] == 502
    assert client.requests_sent == 3


def test_rate_limit_with_a_fake_clock(server, actors, tmp_path):
    clock = fake_ban.FakeClock()
    client = _client(server, tmp_path, clock=clock, chunk_size=1)
    stamps = []
    acquire = client.limiter.acquire

    def recording_acquire():
        acquire()
        stamps.append(clock())

    client.limiter.acquire = recording_acquire
    client.geocode_many(actors[actors["citycode"] == ""])
    assert len(stamps) == len(_posts(server)) >= 12
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) >= 1 / 50 - 1e-9


def test_cache_means_a_rerun_sends_nothing(server, actors, tmp_path):
    cache = tmp_path / "answers.sqlite"
    first = _client(server, tmp_path, cache_path=cache)
    res1 = first.geocode_many(actors)
    first.close()
    sent = len(server.requests)
    assert sent > 0
    second = _client(server, tmp_path, cache_path=cache)
    res2 = second.geocode_many(actors)
    assert len(server.requests) == sent
    assert second.requests_sent == 0
    pd.testing.assert_frame_equal(res1, res2)
    # Same query with another spelling: the normalised key is the same.
    other = actors.assign(address=actors["address"].str.upper())
    second.geocode_many(other)
    assert len(server.requests) == sent


def test_single_search_passes_citycode_and_is_cached(server, tmp_path):
    client = _client(server, tmp_path)
    res = client.search("12 place allègre 19240 allassac", citycode="19005")
    assert (res.precision, res.label) == ("housenumber", "12 Place Allègre 19240 Allassac")
    assert server.requests[0]["params"]["citycode"] == "19005"
    assert server.requests[0]["params"]["limit"] == "1"
    again = client.search("12 PLACE ALLEGRE 19240 ALLASSAC", citycode="19005")
    assert again == res
    assert len(server.requests) == 1
    nothing = client.search("zzzz", citycode="19005")
    assert nothing.status in ("approximate", "unmatched")


def test_only_http_urls():
    with pytest.raises(EitError) as err:
        BanApiClient(base_url="file:///etc/passwd", cache_path=":memory:")
    assert err.value.code == "bad_url"


# --------------------------------------------------------------------------- download


@pytest.fixture()
def gz_payload() -> bytes:
    # A real gzip of the test file, a few hundred kilobytes: several 64 KB blocks.
    return gzip.compress(BAN.read_bytes() * 3, compresslevel=1)


def test_departement_codes():
    assert normalize_departement(58) == "58"
    assert normalize_departement("1") == "01"
    assert normalize_departement("2a") == "2A"
    assert normalize_departement("971") == "971"
    for bad in ("20", "00", "96", "2C", "977", "970", "5800", "", "nievre"):
        with pytest.raises(EitError) as err:
            normalize_departement(bad)
        assert err.value.code == "invalid_departement"


def test_download_streams_with_progress(gz_payload, tmp_path, index):
    with fake_ban.FakeBan(index, files={"adresses-58.csv.gz": gz_payload}) as srv:
        progress = RecordingProgress()
        path = download_ban_file(58, tmp_path, base_url=f"{srv.url}/data", progress=progress)
    assert path == tmp_path / "adresses-58.csv.gz"
    assert path.read_bytes() == gz_payload
    assert progress.fractions == sorted(progress.fractions)
    assert len(progress.fractions) >= 3 and progress.fractions[-1] == 1.0
    assert os.listdir(tmp_path) == ["adresses-58.csv.gz"]
    # The downloaded file feeds the offline geocoder directly.
    # (three copies of the test file: the two repeated headers are bad lines)
    downloaded = BanIndex.from_file(path, cache=False)
    assert (downloaded.n_addresses, downloaded.bad_lines) == (6000, 2)


def test_cancelled_download_leaves_no_file(gz_payload, tmp_path, index):
    with fake_ban.FakeBan(index, files={"adresses-58.csv.gz": gz_payload}) as srv:
        with pytest.raises(Canceled):
            download_ban_file(
                "58",
                tmp_path,
                base_url=f"{srv.url}/data",
                progress=RecordingProgress(cancel_after=2),
            )
    assert os.listdir(tmp_path) == []


def test_download_that_is_not_gzip_is_refused(tmp_path, index):
    html = io.BytesIO(b"<html>maintenance</html>").getvalue()
    with fake_ban.FakeBan(index, files={"adresses-2A.csv.gz": html}) as srv:
        with pytest.raises(EitError) as err:
            download_ban_file("2a", tmp_path, base_url=f"{srv.url}/data")
    assert err.value.code == "ban_download_invalid"
    assert os.listdir(tmp_path) == []


def test_download_of_a_missing_file_raises(tmp_path, index):
    with fake_ban.FakeBan(index) as srv:
        with pytest.raises(EitError) as err:
            download_ban_file("58", tmp_path, base_url=f"{srv.url}/data", max_retries=0)
    assert err.value.data["status"] == 404
    assert os.listdir(tmp_path) == []
