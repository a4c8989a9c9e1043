"""Reading an official BAN file (``adresses-XX.csv[.gz]``, 23 columns, ``;``) or a BANO file
(8 columns, no header) into a frame of valid addresses, counting the lines that cannot be used
instead of failing on them. Used by :mod:`.ban_index`.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EitError
from ..progress import check_canceled

BAN_REQUIRED = ("numero", "nom_voie", "code_insee", "lon", "lat")
BAN_OPTIONAL = (
    "rep",
    "code_postal",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "nom_ld",
)
BANO_COLUMNS = ("id", "numero", "nom_voie", "code_postal", "nom_commune", "source", "lat", "lon")
_INSEE_RE = r"^(?:\d{5}|2[AB]\d{3})$"


def _open_binary(path: Path):
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    return raw, raw


def _sniff(path: Path) -> tuple[str, str, str]:
    """Return ``(layout, encoding, first_line)``; layout is ``ban`` or ``bano``."""
    raw, stream = _open_binary(path)
    try:
        sample = stream.read(1 << 16)
    except (OSError, EOFError) as exc:
        raise EitError("ban_file_unreadable", f"cannot read {path}: {exc}", file=str(path)) from exc
    finally:
        raw.close()
    try:
        text = sample.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is fine.
        if exc.start >= len(sample) - 3:
            text, encoding = sample[: exc.start].decode("utf-8"), "utf-8-sig"
        else:
            text, encoding = sample.decode("latin-1"), "latin-1"
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    header = [h.strip().strip('"').lower() for h in first.split(";")]
    if all(col in header for col in BAN_REQUIRED):
        return "ban", encoding, first
    fields = next(csv.reader([first]), [])
    if len(fields) == len(BANO_COLUMNS) and re.match(r"^(?:\d{5}|2[AB]\d{3})", fields[0]):
        return "bano", encoding, first
    raise EitError(
        "ban_file_format",
        f"{path.name} is neither a BAN file (';' with columns {', '.join(BAN_REQUIRED)}) "
        "nor a BANO file (8 comma-separated columns)",
        file=str(path),
        first_line=first[:200],
    )


def _split_block(lines, sep_b, sep, expected, encoding, first_line_no, bad):
    """Keep the lines with the expected number of fields; record the others."""
    good, numbers = [], []
    for k, line in enumerate(lines):
        n = line.count(sep_b) + 1
        if n != expected and b'"' in line:
            text = line.decode(encoding, errors="replace")
            n = len(next(csv.reader([text], delimiter=sep), []))
        if n == expected:
            good.append(line)
            numbers.append(first_line_no + k)
        elif line.strip():
            bad.append((first_line_no + k, f"CSV: expected {expected} fields, saw {n}"))
    return good, numbers


def read_ban_file(path: str | os.PathLike, progress=None) -> tuple[pd.DataFrame, dict]:
    """Read a BAN or BANO file into a frame of valid addresses and a bad-line report.

    The frame has the columns ``insee, commune, postcode, street, number, rep, lon, lat,
    ld, old_insee, old_commune``. The report is ``{"bad_lines": n, "examples": [...]}``:
    lines with a wrong number of fields and rows whose INSEE code, number, street or
    coordinates are unusable (with their line number). Nothing raises for a bad line.
    """
    path = Path(path)
    if not path.is_file():
        raise EitError("ban_file_missing", f"BAN file not found: {path}", file=str(path))
    layout, encoding, first = _sniff(path)
    size = max(path.stat().st_size, 1)
    if layout == "ban":
        sep = ";"
        names = [h.strip().strip('"').lower() for h in first.lstrip("\ufeff").split(";")]
        wanted = (set(BAN_REQUIRED) | set(BAN_OPTIONAL)) & set(names)
    else:
        sep, names = ",", list(BANO_COLUMNS)
        wanted = set(names)
    sep_b = sep.encode()
    raw, stream = _open_binary(path)
    frames: list[pd.DataFrame] = []
    line_numbers: list[np.ndarray] = []
    bad_csv: list[tuple[int, str]] = []
    line_no = 1
    try:
        if layout == "ban":
            stream.readline()
            line_no = 2
        while True:
            check_canceled(progress)
            lines = stream.readlines(1 << 24)
            if not lines:
                break
            good, numbers = _split_block(lines, sep_b, sep, len(names), encoding, line_no, bad_csv)
            line_no += len(lines)
            if good:
                chunk = pd.read_csv(
                    io.BytesIO(b"".join(good)),
                    sep=sep,
                    header=None,
                    names=names,
                    usecols=lambda c: c in wanted,
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    encoding=encoding,
                    encoding_errors="replace",
                    engine="c",
                )
                frames.append(chunk)
                line_numbers.append(np.asarray(numbers, dtype=np.int64))
            if progress is not None:
                progress.report(min(raw.tell() / size, 1.0))
    except (OSError, EOFError, UnicodeError, pd.errors.ParserError) as exc:
        raise EitError(
            "ban_file_unreadable", f"cannot read {path.name}: {exc}", file=str(path)
        ) from exc
    finally:
        raw.close()
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)
    if df.empty and not bad_csv:
        raise EitError("ban_file_empty", f"{path.name} holds no address", file=str(path))
    for col in BAN_OPTIONAL:
        if col not in df.columns:
            df[col] = ""
    if layout == "bano":
        df["code_insee"] = df["id"].str[:5]
        df["rep"] = ""
    out, bad = _validate(df)
    lines_of = np.concatenate(line_numbers) if line_numbers else np.zeros(0, dtype=np.int64)
    bad_all = sorted(bad_csv + [(int(lines_of[i]), reason) for i, reason in bad])
    examples = [{"line": line, "reason": reason} for line, reason in bad_all[:20]]
    report = {"bad_lines": len(bad_all), "examples": examples, "layout": layout}
    if out.empty:
        raise EitError(
            "ban_file_empty",
            f"{path.name} holds no usable address ({report['bad_lines']} bad lines)",
            file=str(path),
            bad_lines=report["bad_lines"],
        )
    return out, report


def _validate(df: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    insee = df["code_insee"].str.strip().str.upper()
    num = df["numero"].str.strip().str.extract(r"^(\d{1,5})\s*([A-Za-z]*)\s*$")
    lon = pd.to_numeric(df["lon"].str.strip().str.replace(",", ".", regex=False), "coerce")
    lat = pd.to_numeric(df["lat"].str.strip().str.replace(",", ".", regex=False), "coerce")
    street = df["nom_voie"].str.strip()
    checks = [
        (~insee.str.match(_INSEE_RE), "invalid INSEE code"),
        (num[0].isna(), "invalid house number"),
        (street == "", "empty street name"),
        (lon.isna() | lat.isna(), "missing coordinates"),
        ((lon.abs() > 180) | (lat.abs() > 90) | ((lon == 0) & (lat == 0)), "bad coordinates"),
    ]
    bad_mask = np.zeros(len(df), dtype=bool)
    reasons = pd.Series("", index=df.index)
    for mask, reason in checks:
        mask = mask.fillna(True).to_numpy()
        reasons[mask & ~bad_mask] = reason
        bad_mask |= mask
    bad_idx = np.flatnonzero(bad_mask)
    bad = [(int(i), str(reasons.iat[i])) for i in bad_idx]
    ok = ~bad_mask
    rep_col = df["rep"].str.strip()
    rep = rep_col.where(rep_col != "", num[1].fillna(""))
    out = pd.DataFrame(
        {
            "insee": insee[ok].to_numpy(),
            "commune": df["nom_commune"].str.strip()[ok].to_numpy(),
            "postcode": df["code_postal"].str.strip()[ok].to_numpy(),
            "street": street[ok].to_numpy(),
            "number": num[0][ok].astype(np.int64).to_numpy(),
            "rep": rep[ok].to_numpy(),
            "lon": lon[ok].to_numpy(dtype=np.float64),
            "lat": lat[ok].to_numpy(dtype=np.float64),
            "ld": df["nom_ld"].str.strip()[ok].to_numpy(),
            "old_insee": df["code_insee_ancienne_commune"].str.strip()[ok].to_numpy(),
            "old_commune": df["nom_ancienne_commune"].str.strip()[ok].to_numpy(),
        }
    )
    return out, bad


# --------------------------------------------------------------------------- building
