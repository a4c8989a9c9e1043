"""SIRET validation and SIRENE extract look-up (core/geocode/sirene.py).

The extract is built here with the real 57-column header of the geolocated SIRENE stock
and FICTITIOUS establishments (made-up SIRETs with a correct check digit).
"""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import pandas as pd
import pytest
from eit_synergies.core.errors import EitError
from eit_synergies.core.geocode.sirene import (
    check_siret,
    is_valid_siret,
    lookup_sirets,
    read_sirene_extract,
    validate_sirets,
)
from eit_synergies.core.progress import RecordingProgress

HEADER = Path(__file__).resolve().parents[1] / "data" / "geocode"
HEADER = HEADER / "sirene_geo_stock_etablissement_entete.csv"


def luhn_sum(digits: str) -> int:
    """Independent Luhn: double every second digit counted from the right."""
    total = 0
    for pos, ch in enumerate(digits[::-1], start=1):
        value = int(ch) * (2 if pos % 2 == 0 else 1)
        total += value // 10 + value % 10
    return total


def fictitious_siret(siren8: str, nic4: str) -> str:
    """A made-up SIRET: SIREN completed to pass Luhn, then the NIC's last digit."""
    siren = next(siren8 + d for d in "0123456789" if luhn_sum(siren8 + d) % 10 == 0)
    return next(siren + nic4 + d for d in "0123456789" if luhn_sum(siren + nic4 + d) % 10 == 0)


FICT_A = fictitious_siret("90000001", "0001")
FICT_B = fictitious_siret("90000002", "0002")
FICT_C = fictitious_siret("90000003", "0003")
FICT_D = fictitious_siret("90000004", "0004")
FICT_E = fictitious_siret("90000005", "0005")
FICT_ABSENT = fictitious_siret("90000009", "0009")


def la_poste_siret() -> str:
    """A La Poste SIRET following its own rule (digit sum multiple of 5), failing Luhn."""
    for nic in range(10000, 99999):
        siret = f"356000000{nic:05d}"
        if sum(map(int, siret)) % 5 == 0 and luhn_sum(siret) % 10:
            return siret
    raise AssertionError("no La Poste SIRET found")


def write_extract(path: Path, rows: list[dict], sep: str = ",", compress: bool = False) -> Path:
    header = HEADER.read_text(encoding="utf-8").strip().split(",")
    assert len(header) == 57
    text_rows = [[row.get(col, "") for col in header] for row in rows]
    opener = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(header)
        writer.writerows(text_rows)
    return path


def est(siret, lon="", lat="", score="", gtype="", adresse="", etat="A"):
    return {
        "siren": siret[:9],
        "nic": siret[9:],
        "siret": siret,
        "codeCommuneEtablissement": "58059",
        "codePostalEtablissement": "58400",
        "libelleCommuneEtablissement": "LA CHARITE-SUR-LOIRE",
        "etatAdministratifEtablissement": etat,
        "denominationUsuelleEtablissement": "ETABLISSEMENT FICTIF",
        "longitude": lon,
        "latitude": lat,
        "geo_score": score,
        "geo_type": gtype,
        "geo_adresse": adresse,
    }


@pytest.fixture()
def extract(tmp_path) -> Path:
    rows = [
        est(FICT_A, "3.0297", "47.1801", "0.93", "housenumber", "4 Rue X 58400 La Charité"),
        est(FICT_B, "3.0296", "47.1834", "0.41", "municipality", "La Charité-sur-Loire"),
        est(FICT_C),  # not geolocated
        est(FICT_D, "3.1", "47.2", "0.88", "interpolation", "7 Rue Y 58400 Narcy", etat="F"),
        est(FICT_E, "3.05", "47.15", "0.55", "street", "Rue Z 58400 Raveau"),
    ]
    return write_extract(tmp_path / "StockEtablissement_58_geo.csv", rows)


def test_siret_check_digits():
    assert luhn_sum(FICT_A) % 10 == 0
    assert check_siret(FICT_A) == (FICT_A, "")
    spaced = f"{FICT_A[:3]} {FICT_A[3:6]} {FICT_A[6:9]} {FICT_A[9:]}"
    assert check_siret(spaced) == (FICT_A, "")
    assert check_siret(float(FICT_A))[1] == ""  # read as a number by a spreadsheet
    wrong = FICT_A[:-1] + str((int(FICT_A[-1]) + 1) % 10)
    assert check_siret(wrong)[1] == "SIRET check digit fails (Luhn)"
    bad_siren = str((int(FICT_A[0]) + 1) % 10) + FICT_A[1:]
    assert "check digit fails" in check_siret(bad_siren)[1]
    assert check_siret(FICT_A[:-1])[1] == "13 digits instead of 14"
    assert check_siret("9000000A000011")[1] == "not only digits"
    assert check_siret(None) == ("", "missing")
    assert check_siret(float("nan")) == ("", "missing")


def test_la_poste_sirets_follow_their_own_rule():
    poste = la_poste_siret()
    assert luhn_sum(poste) % 10  # fails Luhn...
    assert is_valid_siret(poste)  # ...but is valid under La Poste's rule
    bad = next(
        f"356000000{n:05d}"
        for n in range(10000, 99999)
        if sum(map(int, f"356000000{n:05d}")) % 5 and luhn_sum(f"356000000{n:05d}") % 10
    )
    assert not is_valid_siret(bad)
    assert "La Poste" in check_siret(bad)[1]
    assert is_valid_siret("35600000000048")  # the head office follows Luhn


def test_validate_sirets_keeps_the_index():
    out = validate_sirets(pd.Series([FICT_A, "123", None], index=["x", "y", "z"]))
    assert list(out.index) == ["x", "y", "z"]
    assert list(out["siret_valid"]) == [True, False, False]
    assert out.loc["y", "siret_problem"] == "3 digits instead of 14"


def test_lookup_by_siret(extract):
    sirets = pd.Series(
        [FICT_A, FICT_B, FICT_C, FICT_D, FICT_ABSENT, "12345", FICT_E],
        index=[10, 11, 12, 13, 14, 15, 16],
    )
    res = lookup_sirets(sirets, extract, RecordingProgress())
    assert list(res.index) == list(sirets.index)
    a = res.loc[10]
    assert (a["status"], a["precision"], a["score"]) == ("matched", "housenumber", 0.93)
    assert (a["lon"], a["lat"]) == (3.0297, 47.1801)
    assert a["label"] == "4 Rue X 58400 La Charité"
    assert (a["citycode"], a["postcode"]) == ("58059", "58400")
    assert (res.loc[11, "status"], res.loc[11, "precision"]) == ("approximate", "municipality")
    assert res.loc[12, "status"] == "unmatched"
    assert "no coordinates" in res.loc[12, "reason"]
    assert math.isnan(res.loc[12, "lon"])
    assert res.loc[13, "precision"] == "street"  # interpolated number
    assert "closed" in res.loc[13, "reason"]
    assert res.loc[14, "reason"] == "SIRET not in the SIRENE extract"
    assert res.loc[15, "reason"].startswith("invalid SIRET")
    assert not res.loc[15, "siret_valid"]
    assert res.loc[16, "status"] == "approximate"  # score 0.55 below the threshold
    assert lookup_sirets(sirets, extract, threshold=0.5).loc[16, "status"] == "matched"


def test_semicolon_and_gzip_extracts(tmp_path):
    rows = [est(FICT_A, "3.0297", "47.1801", "0.93", "housenumber", "x")]
    for name, sep, gz in (("a.csv", ";", False), ("b.csv.gz", ",", True)):
        path = write_extract(tmp_path / name, rows, sep=sep, compress=gz)
        frame = read_sirene_extract(path)
        assert list(frame.index) == [FICT_A]
        assert frame.loc[FICT_A, "geo_type"] == "housenumber"


def test_not_a_sirene_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(EitError) as err:
        lookup_sirets([FICT_A], path)
    assert err.value.code == "sirene_file_format"
    with pytest.raises(EitError) as err:
        lookup_sirets([FICT_A], tmp_path / "missing.csv")
    assert err.value.code == "sirene_file_missing"
