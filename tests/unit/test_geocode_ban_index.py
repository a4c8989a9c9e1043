"""Offline BAN geocoder (core/geocode/ban_index.py) on a copy of real BAN addresses.

The test file holds 2,000 real addresses of Allassac, Argentat and Arnac-Pompadour
(Corrèze, BANO/ODbL). Noisy queries are derived from them here.
"""

from __future__ import annotations

import gzip
import math
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import Canceled, EitError
from eit_synergies.core.geocode.ban_index import (
    BanIndex,
    default_index_path,
    fallback_index_path,
    read_ban_file,
)
from eit_synergies.core.geocode.normalize import strip_accents
from eit_synergies.core.progress import RecordingProgress

DATA = Path(__file__).resolve().parents[1] / "data" / "geocode"
BAN = DATA / "bano_limousin_format_ban.csv"
BANO = DATA / "bano_limousin_extrait.csv"
HEADER_ONLY = DATA / "ban_adresses_entete.csv"
ABBREV = {
    "Avenue": "av.",
    "Place": "pl",
    "Route": "rte",
    "Impasse": "imp.",
    "Allée": "all",
    "Rue": "r.",
    "Chemin": "ch",
}
#: Common street names absent from the three communes of the test file.
ABSENT_STREETS = [
    "Rue des Lilas",
    "Rue du Stade",
    "Avenue Jean Jaurès",
    "Place de la Mairie",
    "Rue des Acacias",
    "Impasse des Peupliers",
    "Rue Voltaire",
    "Route de Nevers",
    "Rue Émile Zola",
    "Chemin du Lavoir",
    "Rue des Coquelicots",
    "Allée des Mésanges",
    "Rue du Four à Chaux",
    "Rue Jules Ferry",
    "Avenue Anatole France",
    "Rue de la Forge",
    "Rue des Vignes",
    "Impasse du Verger",
    "Rue Paul Bert",
    "Place du Marché aux Bestiaux",
]


def haversine_m(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371000 * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def ban_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ban")
    return Path(shutil.copy(BAN, folder / BAN.name))


@pytest.fixture(scope="module")
def index(ban_copy) -> BanIndex:
    return BanIndex.from_file(ban_copy)


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    df = pd.read_csv(BAN, sep=";", dtype=str, keep_default_na=False)
    df["lon"] = df["lon"].astype(float)
    df["lat"] = df["lat"].astype(float)
    return df


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(3)
    if op == 0:
        return word[:i] + word[i + 1 :]  # deletion
    if op == 1:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # transposition
    return word[:i] + "e" + word[i:]  # insertion


def _noisy(row, rng: random.Random) -> dict:
    words = row["nom_voie"].split()
    if words[0] in ABBREV and rng.random() < 0.5:
        words[0] = ABBREV[words[0]]
    long_words = [k for k, w in enumerate(words) if len(w) >= 7]
    if long_words and rng.random() < 0.4:
        k = rng.choice(long_words)
        words[k] = _typo(words[k], rng)
    street = " ".join(words)
    if rng.random() < 0.5:
        street = strip_accents(street)
    street = rng.choice([street, street.upper(), street.lower()])
    number = row["numero"] + (f" {row['rep']}" if row["rep"] else "")
    r = rng.random()
    postcode = row["code_postal"] if r < 0.6 else ("" if r < 0.8 else "19230")
    if postcode == "19230" and row["code_postal"] == "19230":
        postcode = "19400"
    city = rng.choice([row["nom_commune"], row["nom_commune"].upper()])
    if rng.random() < 0.5:
        return {"address": f"{number} {street} {postcode} {city}".replace("  ", " ")}
    return {"address": f"{number}, {street}", "postcode": postcode, "city": city}


# --------------------------------------------------------------------------- reading


def test_reads_ban_file_and_labels_like_ban(index):
    assert (index.n_addresses, index.n_communes, index.bad_lines) == (2000, 3, 0)
    res = index.geocode("12 Place Allègre", "19240", "Allassac")
    assert res.label == "12 Place Allègre 19240 Allassac"
    assert (res.precision, res.status, res.citycode) == ("housenumber", "matched", "19005")
    assert (res.lon, res.lat) == pytest.approx((1.475792, 45.257819))
    assert res.score == pytest.approx(1.0)


def test_bano_layout_counts_the_bad_last_line(tmp_path):
    path = Path(shutil.copy(BANO, tmp_path / BANO.name))
    idx = BanIndex.from_file(path)
    assert idx.n_addresses == 2000
    assert idx.bad_lines == 1
    assert idx.bad_examples == [{"line": 2001, "reason": "invalid INSEE code"}]
    res = idx.geocode("14 place allegre 19240 allassac")
    assert res.precision == "housenumber"
    assert (res.lon, res.lat) == pytest.approx((1.475761, 45.257879))


def test_bad_lines_are_counted_never_fatal(tmp_path):
    lines = BAN.read_text(encoding="utf-8").splitlines()
    good = lines[1].split(";")
    too_many = ";".join(good + ["extra"])
    bad_coord = ";".join(good[:12] + ["abc", good[13]] + good[14:])
    bad_number = ";".join(good[:2] + ["douze"] + good[3:])
    path = tmp_path / "adresses-19.csv"
    path.write_text(
        "\n".join([lines[0], *lines[1:11], too_many, bad_coord, bad_number]) + "\n",
        encoding="utf-8",
    )
    df, report = read_ban_file(path)
    assert len(df) == 10
    assert report["bad_lines"] == 3
    reasons = {e["line"]: e["reason"] for e in report["examples"]}
    assert "expected 23 fields" in reasons[12]
    assert reasons[13] == "missing coordinates"
    assert reasons[14] == "invalid house number"


def test_header_only_file_is_a_clear_error(tmp_path):
    path = Path(shutil.copy(HEADER_ONLY, tmp_path / HEADER_ONLY.name))
    with pytest.raises(EitError) as err:
        BanIndex.from_file(path)
    assert err.value.code == "ban_file_empty"


def test_not_a_ban_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(EitError) as err:
        BanIndex.from_file(path)
    assert err.value.code == "ban_file_format"


def test_gzipped_department_file(tmp_path):
    path = tmp_path / "adresses-19.csv.gz"
    path.write_bytes(gzip.compress(BAN.read_bytes()))
    idx = BanIndex.from_file(path)
    assert idx.n_addresses == 2000
    assert default_index_path(path).is_file()
    assert idx.geocode("5 rue du bac, 19400 argentat").precision == "housenumber"


# --------------------------------------------------------------------------- cache


def test_index_is_cached_and_rebuilt_when_the_file_changes(tmp_path):
    path = Path(shutil.copy(BAN, tmp_path / "adresses-19.csv"))
    first = BanIndex.from_file(path)
    assert first.built
    cache = default_index_path(path)
    assert cache.is_file()
    second = BanIndex.from_file(path)
    assert not second.built
    assert second.n_addresses == first.n_addresses

    # Touched only (same content): the cache is reused and its stamp refreshed.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    touched = BanIndex.from_file(path)
    assert not touched.built
    assert touched.meta["source"]["mtime_ns"] == path.stat().st_mtime_ns

    # New content: rebuilt, and the new address is found.
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[2], fields[0] = "999", fields[0] + "x"
    with path.open("a", encoding="utf-8") as f:
        f.write(";".join(fields) + "\n")
    rebuilt = BanIndex.from_file(path)
    assert rebuilt.built
    assert rebuilt.n_addresses == first.n_addresses + 1
    assert rebuilt.geocode("999 place allegre 19240 allassac").precision == "housenumber"

    # Same size and modification time, different bytes: the hash catches it.
    text = path.read_bytes()
    st = path.stat()
    changed = text.replace(b";999;", b";998;")
    assert len(changed) == len(text)
    path.write_bytes(changed)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    again = BanIndex.from_file(path)
    assert again.built
    assert again.geocode("998 place allegre 19240 allassac").precision == "housenumber"


def test_cache_falls_back_to_the_user_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = Path(shutil.copy(BAN, tmp_path / "adresses-19.csv"))
    default_index_path(path).mkdir()  # the place next to the file cannot take the index
    first = BanIndex.from_file(path)
    fallback = fallback_index_path(path)
    assert first.built and fallback.is_file()
    assert fallback.parent == tmp_path / "cache" / "eit_synergies"
    assert not BanIndex.from_file(path).built


def test_cache_can_be_disabled(tmp_path):
    path = Path(shutil.copy(BAN, tmp_path / "a.csv"))
    BanIndex.from_file(path, cache=False)
    assert not default_index_path(path).exists()


# --------------------------------------------------------------------------- matching


def test_noisy_queries_from_real_addresses(index, truth):
    rng = random.Random(7)
    rows = truth.sample(300, random_state=7)
    queries = pd.DataFrame([_noisy(r, rng) for _, r in rows.iterrows()], index=rows.index)
    res = index.geocode_many(queries)
    dist = haversine_m(res["lon"], res["lat"], rows["lon"], rows["lat"])
    within = float((dist.fillna(1e9) <= 50).mean())
    assert within >= 0.93, within
    # Never a wrong street: every street-level answer is the true point.
    street_level = res["precision"].isin(["housenumber", "street"])
    assert street_level.mean() >= 0.93
    assert (dist[street_level] < 1.0).all(), queries[street_level & (dist >= 1.0)]
    # The others fell back to their commune, with a reason.
    others = res[~street_level]
    assert (others["precision"] == "municipality").all()
    assert others["reason"].str.contains("not found").all()


def test_missing_or_wrong_postcode_and_insee_code(index):
    expected = (1.475792, 45.257819)
    cases = [
        ("12 pl allegre", "", "allassac", None),
        ("12 PLACE ALLEGRE", "19400", "Allassac", None),  # Argentat's postcode
        ("12 place allègre", None, None, "19005"),
        ("12 place allegre 19240", None, None, None),
    ]
    for address, pc, city, insee in cases:
        res = index.geocode(address, pc, city, insee)
        assert res.precision == "housenumber", (address, res)
        assert (res.lon, res.lat) == pytest.approx(expected)
    wrong = index.geocode("12 PLACE ALLEGRE", "19400", "Allassac")
    assert "postcode 19400 does not match" in wrong.reason


def test_typos_in_street_names(index):
    res = index.geocode("1427 avenue francois mitterand", None, "ARGENTAT")
    assert res.label == "1427 Avenue François Mitterrand 19400 Argentat"
    assert 0.85 <= res.score < 1.0
    res = index.geocode("av des ardoiseres, 19240 Allassac")
    assert (res.precision, res.label) == ("street", "Avenue des Ardoisières 19240 Allassac")


def test_number_that_does_not_exist_falls_back_to_the_street(index, truth):
    street = truth[truth["nom_voie"] == "Place Allègre"]
    nums = sorted(int(n) for n in street["numero"])
    absent = next(n for n in range(nums[0], nums[-1]) if n not in nums and n + 1 in nums)
    res = index.geocode(f"{absent} place allegre", "19240", "Allassac")
    assert (res.precision, res.status) == ("street", "matched")
    assert "interpolated" in res.reason
    assert res.label == "Place Allègre 19240 Allassac"
    assert street["lon"].min() - 1e-4 <= res.lon <= street["lon"].max() + 1e-4
    assert street["lat"].min() - 1e-4 <= res.lat <= street["lat"].max() + 1e-4
    far = index.geocode("4000 place allegre", "19240", "Allassac")
    assert far.precision == "street"
    assert "closest number" in far.reason


def test_unknown_streets_never_land_on_another_street(index):
    for commune, pc in (("Allassac", "19240"), ("Argentat", "19400"), ("Arnac-Pompadour", "19230")):
        for name in ABSENT_STREETS:
            res = index.geocode(f"3 {name}", pc, commune)
            assert res.precision == "municipality", (name, commune, res)
            assert res.status == "approximate"
            assert res.label == commune
            assert "not found" in res.reason and res.reason.endswith("placed at the commune")
            assert res.score < 0.6


def test_lieu_dit_and_farm_addresses(index):
    point = (1.905685, 45.098553)
    for address in ("Le Sirieix", "lieu-dit le sirieix", "LD Le Sirieix", "Ferme du Sirieix"):
        res = index.geocode(address, "19400", "Argentat")
        assert res.precision == "locality", (address, res)
        assert res.status == "approximate"
        assert (res.lon, res.lat) == pytest.approx(point)
        assert res.label == "Le Sirieix 19400 Argentat"
    numbered = index.geocode("12 Le Sirieix, Argentat")
    assert numbered.precision == "housenumber"
    assert numbered.label == "12 Le Sirieix 19400 Argentat"


def test_lieu_dit_from_the_nom_ld_column(tmp_path, truth):
    df = truth.copy()
    on = df["nom_voie"] == "Route du Chastang"
    df.loc[on, "nom_ld"] = "Les Granges"
    path = tmp_path / "adresses-19.csv"
    df.to_csv(path, sep=";", index=False)
    idx = BanIndex.from_file(path)
    res = idx.geocode("GAEC des Granges, lieu-dit Les Granges, 19400 Argentat")
    assert res.precision == "locality"
    assert res.label.startswith("Les Granges")
    lons, lats = df.loc[on, "lon"], df.loc[on, "lat"]
    assert lons.min() <= res.lon <= lons.max() and lats.min() <= res.lat <= lats.max()


def test_former_commune_name_of_a_new_commune(tmp_path, truth):
    df = truth.copy()
    arg = df["code_insee"] == "19010"
    df.loc[arg, "nom_commune"] = "Argentat-sur-Dordogne"
    df.loc[arg, "nom_ancienne_commune"] = "Argentat"
    df.loc[arg, "code_insee_ancienne_commune"] = "19010"
    path = tmp_path / "adresses-19.csv"
    df.to_csv(path, sep=";", index=False)
    idx = BanIndex.from_file(path)
    res = idx.geocode("5 rue du Bac", None, "Argentat")
    assert res.label == "5 Rue du Bac 19400 Argentat-sur-Dordogne"
    assert idx.geocode("5 rue du bac argentat sur dordogne").precision == "housenumber"


def test_no_commune_or_unknown_postcode_is_unmatched(index):
    # Nothing names a commune and the street exists in three of them: left for review.
    res = index.geocode("9 avenue de la gare")
    assert res.status == "unmatched"
    assert math.isnan(res.lon) and math.isnan(res.lat)
    assert "street found in 3 communes (Allassac, Argentat, Arnac-Pompadour)" in res.reason
    assert "no commune" in res.reason
    res = index.geocode("rue inconnue des bois", "58400")
    assert res.status == "unmatched"
    assert "postcode 58400 not in the BAN file" in res.reason


# --------------------------------------------------------------------------- batch


def test_geocode_many_keeps_index_and_order(index):
    frame = pd.DataFrame(
        {
            "adr": ["12 place allegre", "rue inconnue", None, "5 rue du bac"],
            "cp": ["19240", "19240", None, 19400.0],
            "ville": ["Allassac", "Allassac", None, "Argentat"],
        },
        index=[40, 10, 30, 20],
    )
    progress = RecordingProgress()
    res = index.geocode_many(
        frame, progress, address="adr", postcode="cp", city="ville", citycode=None
    )
    assert list(res.index) == [40, 10, 30, 20]
    assert list(res["precision"]) == ["housenumber", "municipality", "", "housenumber"]
    assert list(res["status"]) == ["matched", "approximate", "unmatched", "matched"]
    assert res.loc[30, "reason"]
    assert progress.fractions[-1] == 1.0


def test_geocode_many_can_be_canceled(index):
    frame = pd.DataFrame({"address": ["12 place allegre 19240 allassac"] * 5000})
    with pytest.raises(Canceled):
        index.geocode_many(frame, RecordingProgress(cancel_after=3))
