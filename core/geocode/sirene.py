"""SIRET validation and look-up in a local extract of the geolocated SIRENE file.

The geolocated establishment stock (``StockEtablissement`` + ``longitude, latitude,
geo_score, geo_type, geo_adresse, ...``, 57 columns) is published by département; a user
points the plugin at the extract of their territory. Nothing leaves the machine.

SIRET check digit: Luhn over the 14 digits (and over the 9 digits of the SIREN), except
the establishments of La Poste (SIREN 356 000 000), whose SIRETs have a digit sum that is
a multiple of 5 (the head office, 356 000 000 00048, follows Luhn).
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..errors import EitError
from ..progress import check_canceled
from .ban_index import RESULT_COLUMNS, GeocodeResult

LA_POSTE_SIREN = "356000000"
SIRENE_COLUMNS = (
    "siret",
    "longitude",
    "latitude",
    "geo_score",
    "geo_type",
    "geo_adresse",
    "codeCommuneEtablissement",
    "codePostalEtablissement",
    "etatAdministratifEtablissement",
)
#: ``geo_type`` of the geolocated SIRENE file → precision of the contract.
GEO_TYPES = {
    "housenumber": "housenumber",
    "interpolation": "street",
    "street": "street",
    "locality": "locality",
    "municipality": "municipality",
}
_SEPARATORS = re.compile(r"[\s.\-_/\u00a0]")


def luhn_ok(digits: str) -> bool:
    """Luhn check of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalize_siret(value) -> str:
    """Digits of a SIRET as typed (spaces, dots removed; ``3.56e13`` read as an integer)."""
    if value is None or value != value:
        return ""
    if isinstance(value, float):
        if not value.is_integer():
            return str(value)
        value = int(value)
    if isinstance(value, int):
        return str(value).zfill(14)
    text = _SEPARATORS.sub("", str(value).strip())
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def check_siret(value) -> tuple[str, str]:
    """``(siret, problem)``: the normalised SIRET and ``""`` when valid, else why not."""
    siret = normalize_siret(value)
    if not siret:
        return "", "missing"
    if not siret.isdigit():
        return siret, "not only digits"
    if len(siret) != 14:
        return siret, f"{len(siret)} digits instead of 14"
    if siret.startswith(LA_POSTE_SIREN):
        # La Poste: the head office (…00048) follows Luhn, the others a digit sum rule.
        if luhn_ok(siret) or sum(int(c) for c in siret) % 5 == 0:
            return siret, ""
        return siret, "check digit fails (La Poste rule: digit sum multiple of 5)"
    if not luhn_ok(siret[:9]):
        return siret, "SIREN check digit fails (Luhn)"
    if not luhn_ok(siret):
        return siret, "SIRET check digit fails (Luhn)"
    return siret, ""


def is_valid_siret(value) -> bool:
    """True for a well-formed SIRET with a correct check digit."""
    return check_siret(value)[1] == ""


def validate_sirets(values) -> pd.DataFrame:
    """``siret``, ``siret_valid``, ``siret_problem`` for every value (same index)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values))
    checked = [check_siret(v) for v in series.tolist()]
    return pd.DataFrame(
        {
            "siret": [c[0] for c in checked],
            "siret_valid": [c[1] == "" for c in checked],
            "siret_problem": [c[1] for c in checked],
        },
        index=series.index,
    )


def _separator(path: Path) -> str:
    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        first = f.readline()
    if "siret" not in first.lower():
        raise EitError(
            "sirene_file_format",
            f"{path.name} has no 'siret' column: not a SIRENE establishment file",
            file=str(path),
        )
    return ";" if first.count(";") > first.count(",") else ","


def read_sirene_extract(
    path: str | os.PathLike, sirets=None, progress=None, chunksize: int = 200_000
) -> pd.DataFrame:
    """Rows of a geolocated SIRENE extract, indexed by SIRET (string).

    ``sirets``: keep only these (reads a large file in chunks). Only the columns
    :data:`SIRENE_COLUMNS` are kept; those absent from the file are left empty.
    """
    path = Path(path)
    if not path.is_file():
        raise EitError("sirene_file_missing", f"SIRENE file not found: {path}", file=str(path))
    sep = _separator(path)
    wanted = {s for s in sirets if s} if sirets is not None else None
    size = max(path.stat().st_size, 1)
    keep = set(SIRENE_COLUMNS)
    parts = []
    try:
        reader = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            usecols=lambda c: c in keep,
            chunksize=chunksize,
            on_bad_lines="skip",
            encoding_errors="replace",
        )
        for i, chunk in enumerate(reader):
            check_canceled(progress)
            chunk["siret"] = chunk["siret"].str.strip()
            if wanted is not None:
                chunk = chunk[chunk["siret"].isin(wanted)]
            parts.append(chunk)
            if progress is not None:
                progress.report(min((i + 1) * chunksize * 200 / size, 0.99))
    except (OSError, UnicodeError, pd.errors.ParserError) as exc:
        raise EitError("sirene_file_unreadable", f"cannot read {path.name}: {exc}") from exc
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["siret"])
    for col in SIRENE_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame.drop_duplicates("siret", keep="last").set_index("siret", drop=False)
    return frame[list(SIRENE_COLUMNS)]


def _result(row: dict, threshold: float) -> GeocodeResult:
    try:
        lon, lat = float(row["longitude"]), float(row["latitude"])
    except (TypeError, ValueError):
        return GeocodeResult(reason="no coordinates for this SIRET in the SIRENE file")
    if lon != lon or lat != lat or abs(lon) > 180 or abs(lat) > 90:
        return GeocodeResult(reason="no coordinates for this SIRET in the SIRENE file")
    try:
        score = float(row.get("geo_score") or 0.0)
    except ValueError:
        score = 0.0
    precision = GEO_TYPES.get((row.get("geo_type") or "").strip(), "municipality")
    ok = score >= threshold and precision in ("housenumber", "street")
    reasons = [] if ok else [f"SIRENE: {precision}, score {score:.2f}"]
    if (row.get("etatAdministratifEtablissement") or "").strip() == "F":
        reasons.append("establishment closed in SIRENE")
    return GeocodeResult(
        lon=lon,
        lat=lat,
        score=round(min(max(score, 0.0), 1.0), 4),
        precision=precision,
        label=row.get("geo_adresse") or "",
        status="matched" if ok else "approximate",
        reason="; ".join(reasons),
        citycode=row.get("codeCommuneEtablissement") or "",
        postcode=row.get("codePostalEtablissement") or "",
    )


def lookup_sirets(
    sirets, path: str | os.PathLike, progress=None, threshold: float = 0.6
) -> pd.DataFrame:
    """Place establishments by SIRET from a local SIRENE extract.

    Returns, for every input value (same index), :data:`RESULT_COLUMNS` plus ``siret``,
    ``siret_valid`` and ``siret_problem``. Invalid SIRETs are not looked up; their
    ``reason`` says why.
    """
    checks = validate_sirets(sirets)
    valid = checks.loc[checks["siret_valid"], "siret"].tolist()
    extract = read_sirene_extract(path, sirets=set(valid), progress=progress)
    records = extract.to_dict("index")
    rows = []
    for siret, ok, problem in checks.itertuples(index=False):
        if not ok:
            res = GeocodeResult(reason=f"invalid SIRET: {problem}")
        elif siret not in records:
            res = GeocodeResult(reason="SIRET not in the SIRENE extract")
        else:
            res = _result(records[siret], threshold)
        rows.append(tuple(asdict(res).values()))
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS), index=checks.index)
    if progress is not None:
        progress.report(1.0)
    return out.join(checks)
