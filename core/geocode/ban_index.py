"""Offline geocoder over a BAN address file (nothing leaves the machine).

:meth:`BanIndex.from_file` reads an official BAN département file (``adresses-XX.csv`` or
``.csv.gz``, 23 columns, ``;``) or a BANO file (8 columns, no header), counts the lines it
cannot use instead of failing on them, and builds a search index cached next to the file
(``<file>.eitidx``, a NumPy ``.npz`` archive without pickles). The cache is rebuilt when the
file's size, modification time or SHA-256 changes.

Matching: the commune is resolved first (INSEE code, else postcode, else fuzzy name, a wrong
postcode being overruled by the name); the street is then searched among the streets of
that commune only, with rapidfuzz on the normalised street *core* (:mod:`.normalize`). A
street that is not close enough is never replaced by another street: the query falls back
to a lieu-dit, then to the commune, with a reason.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ..errors import EitError
from ..progress import SubProgress, check_canceled
from .normalize import (
    ARTICLES,
    LOCALITY_TYPES,
    ParsedAddress,
    commune_key,
    is_locality_name,
    normalize_insee,
    normalize_repetition,
    normalize_street,
    parse_address,
    same_repetition,
    split_street,
)

INDEX_VERSION = 3
INDEX_SUFFIX = ".eitidx"
#: Minimum similarity (0-1) for a street to be accepted; long names (at least
#: ``LONG_NAME`` characters of core) tolerate a little more. Chosen with the sweep of
#: ``benchmarks/bench_geocode.py``: about 0.4 % of queries for streets that do not exist
#: land on another street (target < 2 %), against 0.7 % at 0.80/0.80 and 0.3 % at 0.85/0.85,
#: which place 99.9 % and 97.3 % of the noisy queries within 50 m (98.7 % here).
STREET_CUTOFF = 0.82
STREET_CUTOFF_LONG = 0.80
LONG_NAME = 10
#: Commune names: similarity needed within the postcode, and over the whole file.
COMMUNE_CUTOFF_LOCAL = 85.0
COMMUNE_CUTOFF_GLOBAL = 88.0
#: Score of a result given at municipality precision, times the commune confidence.
MUNICIPALITY_SCORE = 0.5
#: Similarity given to a street that holds every word of the query ("av de gaulle").
SUBSET_SCORE = 0.86

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
RESULT_COLUMNS = (
    "lon",
    "lat",
    "score",
    "precision",
    "label",
    "status",
    "reason",
    "citycode",
    "postcode",
)
_INSEE_RE = r"^(?:\d{5}|2[AB]\d{3})$"
_NO_NUMBER = 99999  # BAN pseudo-number of lieux-dits without address
_KIND_STREET, _KIND_LOCALITY = 0, 1


@dataclass
class GeocodeResult:
    """One geocoded address (WGS84). ``status`` is matched, approximate or unmatched."""

    lon: float = float("nan")
    lat: float = float("nan")
    score: float = 0.0
    precision: str = ""
    label: str = ""
    status: str = "unmatched"
    reason: str = ""
    citycode: str = ""
    postcode: str = ""


def _unmatched(reason: str) -> GeocodeResult:
    return GeocodeResult(reason=reason)


def file_signature(path: str | os.PathLike) -> dict:
    """Size, modification time (ns) and SHA-256 of a file."""
    path = Path(path)
    st = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest.hexdigest()}


def default_index_path(ban_path: str | os.PathLike) -> Path:
    """``adresses-58.csv.gz`` → ``adresses-58.csv.gz.eitidx`` (next to the file)."""
    return Path(str(ban_path) + INDEX_SUFFIX)


def fallback_index_path(ban_path: str | os.PathLike) -> Path:
    """Cache used when the BAN file's folder is read-only (``~/.cache/eit_synergies``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    resolved = str(Path(ban_path).resolve())
    tag = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]
    return Path(base) / "eit_synergies" / f"{Path(ban_path).name}-{tag}{INDEX_SUFFIX}"


# --------------------------------------------------------------------------- reading


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


def _mode_first(values: pd.Series, groups: np.ndarray, n: int) -> np.ndarray:
    """Most frequent value per group (ties: first seen)."""
    frame = pd.DataFrame({"g": groups, "v": values.to_numpy()})
    counts = frame.groupby(["g", "v"], sort=False).size().reset_index(name="n")
    counts = counts.sort_values(["g", "n"], ascending=[True, False], kind="stable")
    best = counts.drop_duplicates("g")
    out = np.empty(n, dtype=object)
    out[:] = ""
    out[best["g"].to_numpy()] = best["v"].to_numpy()
    return out


def _medoid(groups: np.ndarray, lon: np.ndarray, lat: np.ndarray, n: int):
    """Point of each group closest to the group's mean (stays on the street)."""
    cnt = np.bincount(groups, minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mlon = np.bincount(groups, lon, minlength=n) / cnt
        mlat = np.bincount(groups, lat, minlength=n) / cnt
    d = (lon - mlon[groups]) ** 2 + ((lat - mlat[groups]) * 1.4) ** 2
    order = np.lexsort((d, groups))
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    pick = order[first]
    out_lon, out_lat = mlon.copy(), mlat.copy()
    out_lon[groups[pick]] = lon[pick]
    out_lat[groups[pick]] = lat[pick]
    return out_lon, out_lat


def _build_arrays(df: pd.DataFrame, progress=None) -> dict[str, np.ndarray]:
    """All index arrays from a validated address frame."""
    # Communes.
    c_codes, c_idx = np.unique(df["insee"].to_numpy(dtype=str), return_inverse=True)
    n_c = len(c_codes)
    c_name = _mode_first(df["commune"].where(df["commune"] != "", df["insee"]), c_idx, n_c)
    c_lon, c_lat = _medoid(c_idx, df["lon"].to_numpy(), df["lat"].to_numpy(), n_c)
    check_canceled(progress)
    # Units: a commune, or one former commune (commune déléguée) of a new commune.
    unit_key = df["insee"] + "|" + df["old_insee"]
    u_codes, u_idx = np.unique(unit_key.to_numpy(dtype=str), return_inverse=True)
    n_u = len(u_codes)
    u_commune = np.zeros(n_u, dtype=np.int32)
    u_commune[u_idx] = c_idx
    u_old_insee = np.array([k.split("|", 1)[1] for k in u_codes], dtype=str)
    u_old_name = _mode_first(df["old_commune"], u_idx, n_u)
    # Street keys, computed once per distinct name.
    names = pd.unique(df["street"])
    norm = {n: normalize_street(n) for n in names}
    parts = {n: split_street(v) for n, v in norm.items()}
    locality = {n: is_locality_name(v) for n, v in norm.items()}
    key_of = {n: f"{p[0]} {p[1]}".strip() for n, p in parts.items()}
    skey = df["street"].map(key_of)
    check_canceled(progress)
    s_codes, s_idx = np.unique(
        (pd.Series(u_idx).astype(str) + "|" + skey).to_numpy(str), return_inverse=True
    )
    n_s = len(s_codes)
    s_unit = np.zeros(n_s, dtype=np.int32)
    s_unit[s_idx] = u_idx
    s_name = _mode_first(df["street"], s_idx, n_s)
    s_post = _mode_first(df["postcode"], s_idx, n_s)
    s_lon, s_lat = _medoid(s_idx, df["lon"].to_numpy(), df["lat"].to_numpy(), n_s)
    s_key = np.array([c.split("|", 1)[1] for c in s_codes], dtype=object)
    s_type = np.array([parts[n][0] for n in s_name], dtype=object)
    s_core = np.array([parts[n][1] for n in s_name], dtype=object)
    s_kind = np.array([_KIND_LOCALITY if locality[n] else _KIND_STREET for n in s_name], np.int8)
    # Lieux-dits named in the nom_ld column become localities of their unit.
    ld = df["ld"].to_numpy(dtype=str)
    has_ld = ld != ""
    extra = {"unit": [], "name": [], "key": [], "core": [], "post": [], "lon": [], "lat": []}
    if has_ld.any():
        sub = df[has_ld]
        ld_norm = {n: normalize_street(n) for n in pd.unique(sub["ld"])}
        ld_parts = {n: split_street(v) for n, v in ld_norm.items()}
        ld_key = sub["ld"].map({n: f"{p[0]} {p[1]}".strip() for n, p in ld_parts.items()})
        g_codes, g_idx = np.unique(
            (pd.Series(u_idx[has_ld]).astype(str) + "|" + ld_key.to_numpy()).to_numpy(str),
            return_inverse=True,
        )
        g_lon, g_lat = _medoid(g_idx, sub["lon"].to_numpy(), sub["lat"].to_numpy(), len(g_codes))
        g_name = _mode_first(sub["ld"], g_idx, len(g_codes))
        g_post = _mode_first(sub["postcode"], g_idx, len(g_codes))
        existing = set(s_codes.tolist())
        for i, code in enumerate(g_codes):
            if code in existing:
                continue
            unit, key = code.split("|", 1)
            extra["unit"].append(int(unit))
            extra["name"].append(g_name[i])
            extra["key"].append(key)
            extra["core"].append(ld_parts[g_name[i]][1])
            extra["post"].append(g_post[i])
            extra["lon"].append(g_lon[i])
            extra["lat"].append(g_lat[i])
    check_canceled(progress)
    # Addresses with a real number, sorted by street then number.
    num = df["number"].to_numpy()
    keep = (num != _NO_NUMBER) & (num >= 0)
    a_sid = s_idx[keep]
    a_num = num[keep].astype(np.int32)
    a_rep = df["rep"].to_numpy(dtype=str)[keep]
    a_rep = np.array([normalize_repetition(r) if r else "" for r in a_rep], dtype=str)
    order = np.lexsort((a_rep, a_num, a_sid))
    n_ext = len(extra["unit"])
    counts = np.bincount(a_sid, minlength=n_s + n_ext)
    start = np.zeros(n_s + n_ext + 1, dtype=np.int64)
    start[1:] = np.cumsum(counts)

    def cat(a, b, dtype):
        return np.concatenate([np.asarray(a), np.asarray(b, dtype=a.dtype)]).astype(dtype)

    return {
        "c_insee": c_codes.astype(str),
        "c_name": c_name.astype(str),
        "c_lon": c_lon,
        "c_lat": c_lat,
        "u_commune": u_commune,
        "u_old_insee": u_old_insee,
        "u_old_name": u_old_name.astype(str),
        "pc_code": df["postcode"].to_numpy(dtype=str),
        "pc_commune": c_idx.astype(np.int32),
        "s_unit": cat(s_unit, extra["unit"], np.int32),
        "s_name": cat(s_name, extra["name"], str),
        "s_key": cat(s_key, extra["key"], str),
        "s_type": cat(s_type, [""] * n_ext, str),
        "s_core": cat(s_core, extra["core"], str),
        "s_kind": cat(s_kind, [_KIND_LOCALITY] * n_ext, np.int8),
        "s_post": cat(s_post, extra["post"], str),
        "s_lon": cat(s_lon, extra["lon"], np.float64),
        "s_lat": cat(s_lat, extra["lat"], np.float64),
        "s_start": start,
        "a_num": a_num[order],
        "a_rep": a_rep[order],
        "a_lon": df["lon"].to_numpy()[keep][order],
        "a_lat": df["lat"].to_numpy()[keep][order],
    }


def _dedupe_postcodes(arrays: dict) -> None:
    pairs = pd.DataFrame({"pc": arrays["pc_code"], "c": arrays["pc_commune"]})
    pairs = pairs[pairs["pc"] != ""].drop_duplicates()
    arrays["pc_code"] = pairs["pc"].to_numpy(dtype=str)
    arrays["pc_commune"] = pairs["c"].to_numpy(dtype=np.int32)


# --------------------------------------------------------------------------- the index


class BanIndex:
    """Search index over one BAN file. Build with :meth:`from_file`."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict):
        self.arrays = arrays
        self.meta = meta
        #: True when this instance was built from the file (False: loaded from the cache).
        self.built = False
        self._prepare()

    # -- construction ------------------------------------------------------------------

    @classmethod
    def build(cls, path: str | os.PathLike, progress=None, signature: dict | None = None):
        """Build the index from a BAN/BANO file (no cache involved)."""
        path = Path(path)
        df, report = read_ban_file(path, SubProgress(progress, 0.0, 0.6))
        arrays = _build_arrays(df, progress)
        _dedupe_postcodes(arrays)
        if progress is not None:
            progress.report(0.95)
        meta = {
            "version": INDEX_VERSION,
            "source": signature or file_signature(path),
            "file": path.name,
            "addresses": int(len(df)),
            "bad_lines": report["bad_lines"],
            "bad_examples": report["examples"],
            "layout": report["layout"],
        }
        index = cls(arrays, meta)
        index.built = True
        return index

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike,
        cache: bool = True,
        index_path: str | os.PathLike | None = None,
        progress=None,
    ) -> BanIndex:
        """Load the cached index of ``path``, or build it (and cache it) when stale.

        The cache is ``index_path``, else ``<file>.eitidx`` next to the file, else (folder
        not writable) a file in the user's cache folder (:func:`fallback_index_path`).
        """
        path = Path(path)
        if not path.is_file():
            raise EitError("ban_file_missing", f"BAN file not found: {path}", file=str(path))
        signature = file_signature(path)
        if index_path:
            places = [Path(index_path)]
        else:
            places = [default_index_path(path), fallback_index_path(path)]
        if cache:
            for idx_path in places:
                meta = _read_meta(idx_path) if idx_path.is_file() else None
                if not meta or meta.get("version") != INDEX_VERSION:
                    continue
                src = meta.get("source", {})
                if src == signature:
                    return cls.load(idx_path)
                if src.get("sha256") == signature["sha256"]:
                    # Touched or copied, same content: refresh the stamp only.
                    index = cls.load(idx_path)
                    index.meta["source"] = signature
                    index._save_first(places, progress)
                    return index
        index = cls.build(path, progress, signature)
        if cache:
            index._save_first(places, progress)
        if progress is not None:
            progress.report(1.0)
        return index

    def _save_first(self, places: list[Path], progress) -> Path | None:
        """Save to the first writable place; log when none is."""
        errors = []
        for idx_path in places:
            try:
                idx_path.parent.mkdir(parents=True, exist_ok=True)
                self.save(idx_path)
                return idx_path
            except OSError as exc:
                errors.append(str(exc))
        if progress is not None:
            progress.log(f"BAN index not cached ({'; '.join(errors)}); rebuilt next time")
        return None

    def save(self, idx_path: str | os.PathLike) -> None:
        """Write the index atomically (temporary file, then rename)."""
        idx_path = Path(idx_path)
        fd, tmp = tempfile.mkstemp(prefix=idx_path.name, suffix=".tmp", dir=idx_path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, meta=np.array(json.dumps(self.meta)), **self.arrays)
            os.replace(tmp, idx_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, idx_path: str | os.PathLike) -> BanIndex:
        """Read an index written by :meth:`save`."""
        try:
            with np.load(idx_path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files if k != "meta"}
                meta = json.loads(str(data["meta"]))
        except (OSError, ValueError, KeyError) as exc:
            raise EitError(
                "ban_index_unreadable", f"cannot read index {idx_path}: {exc}", file=str(idx_path)
            ) from exc
        return cls(arrays, meta)

    # -- look-up tables ------------------------------------------------------------------

    def _prepare(self) -> None:
        a = self.arrays
        self.c_insee = a["c_insee"].tolist()
        self.c_name = a["c_name"].tolist()
        self.c_lon = a["c_lon"].tolist()
        self.c_lat = a["c_lat"].tolist()
        self.insee_to_c = {code: i for i, code in enumerate(self.c_insee)}
        n_c = len(self.c_insee)
        u_commune = a["u_commune"].tolist()
        self.units_of: list[list[int]] = [[] for _ in range(n_c)]
        for u, c in enumerate(u_commune):
            self.units_of[c].append(u)
        self.u_commune = u_commune
        self.old_insee_to_u = {o: u for u, o in enumerate(a["u_old_insee"].tolist()) if o}
        # Commune names (and former commune names) for fuzzy matching.
        self.name_keys: list[str] = []
        self.name_target: list[tuple[int, int]] = []  # (commune, unit or -1)
        for c, name in enumerate(self.c_name):
            self.name_keys.append(commune_key(name))
            self.name_target.append((c, -1))
        self.u_old_name = a["u_old_name"].tolist()
        for u, name in enumerate(self.u_old_name):
            if name:
                self.name_keys.append(commune_key(name))
                self.name_target.append((u_commune[u], u))
        self.name_exact: dict[str, list[int]] = {}
        for i, key in enumerate(self.name_keys):
            self.name_exact.setdefault(key, []).append(i)
        self.pc_communes: dict[str, list[int]] = {}
        for pc, c in zip(a["pc_code"].tolist(), a["pc_commune"].tolist(), strict=True):
            self.pc_communes.setdefault(pc, []).append(c)
        self.c_postcodes: list[list[str]] = [[] for _ in range(n_c)]
        for pc, cs in self.pc_communes.items():
            for c in cs:
                self.c_postcodes[c].append(pc)
        # Streets per unit.
        self.s_name = a["s_name"].tolist()
        self.s_type = a["s_type"].tolist()
        self.s_kind = a["s_kind"].tolist()
        self.s_post = a["s_post"].tolist()
        self.s_lon = a["s_lon"].tolist()
        self.s_lat = a["s_lat"].tolist()
        self.s_start = a["s_start"].tolist()
        self.s_unit = a["s_unit"].tolist()
        n_u = len(u_commune)
        self.u_cores: list[list[str]] = [[] for _ in range(n_u)]
        self.u_sids: list[list[int]] = [[] for _ in range(n_u)]
        self.u_key: list[dict[str, int]] = [{} for _ in range(n_u)]
        for sid, (u, key, core) in enumerate(
            zip(self.s_unit, a["s_key"].tolist(), a["s_core"].tolist(), strict=True)
        ):
            self.u_cores[u].append(core)
            self.u_sids[u].append(sid)
            self.u_key[u][key] = sid
        self.a_num = a["a_num"]
        self.a_rep = a["a_rep"]
        self.a_lon = a["a_lon"]
        self.a_lat = a["a_lat"]
        self._commune_cache: dict = {}

    # -- facts -------------------------------------------------------------------------

    @property
    def bad_lines(self) -> int:
        """Lines of the source file that could not be used."""
        return int(self.meta.get("bad_lines", 0))

    @property
    def bad_examples(self) -> list[dict]:
        """Up to 20 ``{"line", "reason"}`` examples of bad lines."""
        return list(self.meta.get("bad_examples", []))

    @property
    def n_addresses(self) -> int:
        return int(len(self.a_num))

    @property
    def n_streets(self) -> int:
        return len(self.s_name)

    @property
    def n_communes(self) -> int:
        return len(self.c_insee)

    # -- commune resolution ------------------------------------------------------------

    def _resolve(self, citycode: str, postcode: str, city: str):
        """Candidate units ``[(unit, confidence)]`` and a note (why, when not certain)."""
        key = (citycode, postcode, city)
        hit = self._commune_cache.get(key)
        if hit is None:
            hit = self._resolve_uncached(citycode, postcode, city)
            if len(self._commune_cache) > 100_000:
                self._commune_cache.clear()
            self._commune_cache[key] = hit
        return hit

    def _units(self, c: int, conf: float, unit: int = -1) -> list[tuple[int, float]]:
        if unit < 0:
            return [(u, conf) for u in self.units_of[c]]
        return [(u, conf if u == unit else conf * 0.97) for u in self.units_of[c]]

    def _resolve_uncached(self, citycode: str, postcode: str, city: str):
        note = ""
        if citycode:
            c = self.insee_to_c.get(citycode)
            if c is not None:
                return self._units(c, 1.0), ""
            u = self.old_insee_to_u.get(citycode)
            if u is not None:
                return self._units(self.u_commune[u], 1.0, u), ""
            note = f"INSEE code {citycode} not in the BAN file"
        pc_list = self.pc_communes.get(postcode, []) if postcode else []
        if postcode and not pc_list:
            note = _join(note, f"postcode {postcode} not in the BAN file")
        if city:
            if pc_list:
                keys, targets = [], []
                for c in pc_list:
                    keys.append(self.name_keys[c])
                    targets.append((c, -1))
                    for u in self.units_of[c]:
                        if self.u_old_name[u]:
                            keys.append(commune_key(self.u_old_name[u]))
                            targets.append((c, u))
                sims = [_commune_similarity(city, k) for k in keys]
                top = max(sims)
                if top >= COMMUNE_CUTOFF_LOCAL:
                    out = []
                    for sim, (c, u) in zip(sims, targets, strict=True):
                        if sim >= top - 0.5:
                            out.extend(self._units(c, min(1.0, sim / 100 + 0.05), u))
                    return out, note
            mismatch = f"postcode {postcode} does not match the commune" if postcode else ""
            conf_pc = 0.95 if postcode else 1.0
            exact = self.name_exact.get(city)
            if exact:
                out = []
                for i in exact:
                    c, u = self.name_target[i]
                    out.extend(self._units(c, conf_pc, u))
                return out, _join(note, mismatch)
            best = process.extractOne(
                city, self.name_keys, scorer=fuzz.ratio, score_cutoff=COMMUNE_CUTOFF_GLOBAL
            )
            if best is None and len(city) >= 4:
                # "argentat" for "argentat sur dordogne": accepted when a single name holds it.
                hits = process.extract(
                    city, self.name_keys, scorer=fuzz.token_set_ratio, limit=2, score_cutoff=100
                )
                if len(hits) == 1:
                    best = (hits[0][0], 92.0, hits[0][2])
            if best is not None:
                c, u = self.name_target[best[2]]
                return self._units(c, best[1] / 100 * conf_pc, u), _join(note, mismatch)
            note = _join(note, f"commune '{city}' not found")
            if pc_list:
                out = []
                for c in pc_list:
                    out.extend(self._units(c, 0.9))
                return out, note
            return [], note
        if pc_list:
            out = []
            for c in pc_list:
                out.extend(self._units(c, 1.0))
            return out, note
        return [], note or "no commune: give a postcode, a commune name or an INSEE code"

    # -- street matching ---------------------------------------------------------------

    def _match_segment(self, segment: str, units: list[tuple[int, float]]):
        """Best ``(score, sid, similarity, needed)`` for one street text over the units.

        ``similarity`` (name similarity times type agreement) decides whether the street
        is accepted (``>= needed``); ``score`` also carries the confidence in the commune.
        """
        qtype, qcore = split_street(segment)
        qkey = f"{qtype} {qcore}".strip()
        need = street_cutoff(qcore)
        best = (0.0, -1, 0.0, need)
        cutoff = need * 100 - 1e-6
        for u, conf in units:
            sid = self.u_key[u].get(qkey)
            if sid is not None:
                if conf > best[0]:
                    best = (conf, sid, 1.0, need)
                continue
            cores = self.u_cores[u]
            if not cores:
                continue
            hits = process.extract(qcore, cores, scorer=fuzz.ratio, limit=4, score_cutoff=cutoff)
            for _core, sim, i in hits:
                sid = self.u_sids[u][i]
                sim_tf = sim / 100 * _type_factor(qtype, self.s_type[sid], self.s_kind[sid])
                if sim_tf * conf > best[0]:
                    best = (sim_tf * conf, sid, sim_tf, need)
            if not hits and len(qcore) >= 4:
                # "av de gaulle" for "avenue charles de gaulle": one street holds every word.
                subset = process.extract(
                    qcore, cores, scorer=fuzz.token_set_ratio, limit=2, score_cutoff=100
                )
                if len(subset) == 1 and SUBSET_SCORE * conf > best[0]:
                    core, _sim, i = subset[0]
                    sid = self.u_sids[u][i]
                    if self.s_kind[sid] == _KIND_LOCALITY:
                        # "ferme du sirieix" for the lieu-dit "le sirieix", or the reverse.
                        ok = _type_factor(qtype, "", _KIND_LOCALITY) == 1.0
                    else:
                        # Same type, and the query words end the name ("... de gaulle").
                        words = qcore.split()
                        ok = qtype == self.s_type[sid] and core.split()[-len(words) :] == words
                    if ok:
                        best = (SUBSET_SCORE * conf, sid, SUBSET_SCORE, min(need, SUBSET_SCORE))
        return best

    # -- geocoding ---------------------------------------------------------------------

    def geocode(self, address=None, postcode=None, city=None, citycode=None) -> GeocodeResult:
        """Geocode one address; never raises for bad input (the result says why)."""
        parsed = parse_address(address, postcode, city)
        insee = normalize_insee(citycode)
        res = self._geocode_parsed(parsed, insee)
        if parsed.commune or res.precision in ("housenumber", "street", "locality"):
            return res
        # "5 rue du bac argentat": the commune may end the street text.
        peeled = self._peel_commune(parsed)
        if peeled is None:
            return res
        other = self._geocode_parsed(peeled, insee)
        return other if _result_rank(other) > _result_rank(res) else res

    def _peel_commune(self, parsed: ParsedAddress) -> ParsedAddress | None:
        tokens = parsed.street.split()
        for n in range(min(5, len(tokens) - 1), 0, -1):
            key = " ".join(t for t in tokens[-n:] if t not in ARTICLES)
            if key in self.name_exact:
                street = " ".join(tokens[:-n])
                segments = tuple(street if s == parsed.street else s for s in parsed.segments)
                return replace(parsed, street=street, segments=segments, commune=key)
        return None

    def _geocode_parsed(self, parsed: ParsedAddress, insee: str) -> GeocodeResult:
        units, note = self._resolve(insee, parsed.postcode, parsed.commune)
        if not units:
            return _unmatched(note or "commune not found")
        best = (0.0, -1, 0.0, 1.0)
        for seg in parsed.segments[:4]:
            cand = self._match_segment(seg, units)
            if cand[0] > best[0] and (cand[2] >= cand[3] or best[2] < best[3]):
                best = cand
        score, sid, sim, need = best
        if sid >= 0 and sim >= need:
            if self.s_kind[sid] == _KIND_STREET:
                return self._on_street(sid, parsed.number, parsed.rep, score, note)
            return self._on_locality(sid, parsed.number, parsed.rep, score, note)
        return self._fallback(units, parsed, best, note)

    def _street_label(self, sid: int) -> str:
        c = self.u_commune[self.s_unit[sid]]
        return f"{self.s_name[sid]} {self.s_post[sid]} {self.c_name[c]}".replace("  ", " ")

    def _result(self, sid, lon, lat, score, precision, label, reason) -> GeocodeResult:
        c = self.u_commune[self.s_unit[sid]]
        return GeocodeResult(
            lon=float(lon),
            lat=float(lat),
            score=round(min(max(score, 0.0), 1.0), 4),
            precision=precision,
            label=label,
            status="matched",
            reason=reason,
            citycode=self.c_insee[c],
            postcode=self.s_post[sid],
        )

    def _find_number(self, sid: int, number: int, rep: str):
        s, e = self.s_start[sid], self.s_start[sid + 1]
        if e <= s:
            return None, s, e
        nums = self.a_num[s:e]
        i = int(np.searchsorted(nums, number, "left"))
        j = int(np.searchsorted(nums, number, "right"))
        if j > i:
            reps = self.a_rep[s + i : s + j].tolist()
            for k, r in enumerate(reps):
                if same_repetition(r, rep):
                    return (s + i + k, 1.0), s, e
            k = reps.index("") if "" in reps else 0
            return (s + i + k, 0.95), s, e
        return None, s, e

    def _on_street(self, sid, number, rep, score, note) -> GeocodeResult:
        name_label = self._street_label(sid)
        if number is None:
            return self._result(
                sid, self.s_lon[sid], self.s_lat[sid], score, "street", name_label, note
            )
        hit, s, e = self._find_number(sid, number, rep)
        if hit is not None:
            k, factor = hit
            r = self.a_rep[k]
            num_label = f"{self.a_num[k]}{' ' + r if r else ''}"
            reason = note
            if factor < 1.0:
                reason = _join(note, f"index '{rep or '-'}' not found, {num_label} used")
            return self._result(
                sid,
                self.a_lon[k],
                self.a_lat[k],
                score * factor,
                "housenumber",
                f"{num_label} {name_label}",
                reason,
            )
        lon, lat, how = self._interpolate(s, e, number)
        reason = _join(note, f"number {number} not found on the street; {how}")
        factor = 0.9 if how.startswith("interpolated") else 0.85
        return self._result(sid, lon, lat, score * factor, "street", name_label, reason)

    def _interpolate(self, s: int, e: int, number: int):
        nums = self.a_num[s:e]
        for parity_only in (True, False):
            if parity_only:
                mask = (nums % 2) == (number % 2)
            else:
                mask = np.ones(len(nums), dtype=bool)
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            sub = nums[idx]
            pos = int(np.searchsorted(sub, number))
            if 0 < pos < len(sub):
                lo, hi = s + idx[pos - 1], s + idx[pos]
                n_lo, n_hi = int(self.a_num[lo]), int(self.a_num[hi])
                t = (number - n_lo) / (n_hi - n_lo) if n_hi != n_lo else 0.5
                lon = self.a_lon[lo] + t * (self.a_lon[hi] - self.a_lon[lo])
                lat = self.a_lat[lo] + t * (self.a_lat[hi] - self.a_lat[lo])
                return lon, lat, f"interpolated between {n_lo} and {n_hi}"
            if parity_only:
                continue
            k = s + idx[0] if pos == 0 else s + idx[-1]
            return self.a_lon[k], self.a_lat[k], f"placed at the closest number {self.a_num[k]}"
        return self.a_lon[s], self.a_lat[s], f"placed at number {self.a_num[s]}"

    def _on_locality(self, sid, number, rep, score, note) -> GeocodeResult:
        label = self._street_label(sid)
        if number is not None:
            hit, _s, _e = self._find_number(sid, number, rep)
            if hit is not None:
                k, factor = hit
                r = self.a_rep[k]
                return self._result(
                    sid,
                    self.a_lon[k],
                    self.a_lat[k],
                    score * factor,
                    "housenumber",
                    f"{self.a_num[k]}{' ' + r if r else ''} {label}",
                    note,
                )
        res = self._result(
            sid, self.s_lon[sid], self.s_lat[sid], score * 0.9, "locality", label, note
        )
        res.status = "approximate"
        res.reason = _join(note, "placed at the lieu-dit")
        return res

    def _fallback(self, units, parsed, best, note) -> GeocodeResult:
        communes: dict[int, float] = {}
        for u, conf in units:
            c = self.u_commune[u]
            communes[c] = max(communes.get(c, 0.0), conf)
        what = parsed.street or "no street"
        if best[1] >= 0:
            cand = self.s_name[best[1]]
            why = f"street '{what}' not found (closest: '{cand}', {best[2]:.2f})"
        elif parsed.street:
            why = f"street '{what}' not found"
        else:
            why = "no street in the address"
        top = max(communes.values())
        chosen = [c for c, conf in communes.items() if conf >= top - 1e-9]
        if len(chosen) > 1:
            names = ", ".join(f"{self.c_insee[c]} {self.c_name[c]}" for c in sorted(chosen)[:12])
            return _unmatched(_join(note, f"{why}; ambiguous commune: {names}"))
        c = chosen[0]
        pcs = self.c_postcodes[c]
        pc = parsed.postcode if parsed.postcode in pcs else (pcs[0] if pcs else "")
        return GeocodeResult(
            lon=float(self.c_lon[c]),
            lat=float(self.c_lat[c]),
            score=round(MUNICIPALITY_SCORE * top, 4),
            precision="municipality",
            label=self.c_name[c],
            status="approximate",
            reason=_join(note, f"{why}; placed at the commune"),
            citycode=self.c_insee[c],
            postcode=pc,
        )

    def geocode_many(
        self,
        frame: pd.DataFrame,
        progress=None,
        address: str = "address",
        postcode: str | None = "postcode",
        city: str | None = "city",
        citycode: str | None = "citycode",
        threshold: float = 0.6,
    ) -> pd.DataFrame:
        """Geocode every row of ``frame``; same index, columns :data:`RESULT_COLUMNS`.

        Columns that are absent (or ``None``) are ignored. ``status`` is ``matched`` when
        ``score >= threshold`` at housenumber/street precision, ``approximate`` otherwise,
        ``unmatched`` when nothing was found (``reason`` says why).
        """
        n = len(frame)

        def col(name):
            if name and name in frame.columns:
                return frame[name].tolist()
            return [None] * n

        a_col, p_col, c_col, i_col = col(address), col(postcode), col(city), col(citycode)
        rows: list[tuple] = []
        memo: dict[tuple, GeocodeResult] = {}
        step = max(1, min(500, n // 100 or 1))
        for i in range(n):
            if i % step == 0:
                check_canceled(progress)
                if progress is not None:
                    progress.report(i / max(n, 1))
            key = (_s(a_col[i]), _s(p_col[i]), _s(c_col[i]), _s(i_col[i]))
            res = memo.get(key)
            if res is None:
                res = self.geocode(*key)
                if res.status == "matched" and (
                    res.score < threshold or res.precision not in ("housenumber", "street")
                ):
                    res.status = "approximate"
                    res.reason = _join(res.reason, f"score {res.score:.2f} below {threshold}")
                memo[key] = res
            rows.append(tuple(asdict(res).values()))
        if progress is not None:
            progress.report(1.0)
        out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS), index=frame.index)
        if n == 0:
            out = out.astype({"lon": float, "lat": float, "score": float})
        return out


def _s(value) -> str:
    if value is None or value != value:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _commune_similarity(query: str, key: str) -> float:
    """Similarity of two commune keys; a query holding only some words scores 92."""
    return max(fuzz.ratio(query, key), 0.92 * fuzz.token_set_ratio(query, key))


def street_cutoff(core: str) -> float:
    """Similarity a street name needs to be accepted (see :data:`STREET_CUTOFF`)."""
    return STREET_CUTOFF_LONG if len(core) >= LONG_NAME else STREET_CUTOFF


def _result_rank(res: GeocodeResult) -> tuple:
    order = {"housenumber": 4, "street": 3, "locality": 2, "municipality": 1}
    return (order.get(res.precision, 0), res.score)


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a and b else (a or b)


def _type_factor(qtype: str, stype: str, kind: int) -> float:
    if qtype == stype:
        return 1.0
    if not qtype:
        return 1.0 if kind == _KIND_LOCALITY else 0.95
    if qtype in LOCALITY_TYPES:
        return 1.0 if kind == _KIND_LOCALITY else 0.9
    if kind == _KIND_LOCALITY:
        return 0.9
    return 0.88


def _read_meta(idx_path: Path) -> dict | None:
    try:
        with np.load(idx_path, allow_pickle=False) as data:
            return json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None


def geocode_frame(
    ban_file: str | os.PathLike, frame: pd.DataFrame, progress=None, **columns
) -> pd.DataFrame:
    """Convenience: index ``ban_file`` (cached) and geocode ``frame``."""
    index = BanIndex.from_file(ban_file, progress=SubProgress(progress, 0.0, 0.3))
    return index.geocode_many(frame, SubProgress(progress, 0.3, 1.0), **columns)


__all__ = [
    "BanIndex",
    "GeocodeResult",
    "RESULT_COLUMNS",
    "STREET_CUTOFF",
    "default_index_path",
    "fallback_index_path",
    "file_signature",
    "geocode_frame",
    "read_ban_file",
]
