"""Offline geocoder over a BAN address file (nothing leaves the machine).

:meth:`BanIndex.from_file` reads an official BAN département file (``adresses-XX.csv`` or
``.csv.gz``, 23 columns, ``;``) or a BANO file (8 columns, no header) with
:mod:`.ban_read`, and builds a search index cached next to the file (``<file>.eitidx``, a
NumPy ``.npz`` archive without pickles). The cache is rebuilt when the file's size,
modification time or SHA-256 changes, or when it was written by another version of the
index (:data:`INDEX_VERSION`).

Matching (the commune from what the query gives, then the street, typo-tolerant) is in
:mod:`.ban_match`; this module places the result: on the number, interpolated along the
street, at the lieu-dit or at the commune.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EitError
from ..progress import SubProgress, check_canceled
from .ban_match import BanMatcher, street_words
from .ban_read import read_ban_file
from .normalize import (
    is_locality_name,
    normalize_repetition,
    normalize_street,
    same_repetition,
    split_street,
)

#: Version of the cached index: a cache written by another version is rebuilt.
#: 4: the words of each street name and which are its type (``s_words``, ``s_tmask``),
#: for the word-by-word matcher.
INDEX_VERSION = 4
INDEX_SUFFIX = ".eitidx"
#: Score of a result given at municipality precision, times the commune confidence.
MUNICIPALITY_SCORE = 0.5

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
#: Arrays of an index (a cache lacking one is rebuilt).
_ARRAYS = (
    "s_words",
    "s_tmask",
    "c_insee",
    "c_name",
    "c_lon",
    "c_lat",
    "u_commune",
    "u_old_insee",
    "u_old_name",
    "pc_code",
    "pc_commune",
    "s_unit",
    "s_name",
    "s_key",
    "s_type",
    "s_core",
    "s_kind",
    "s_post",
    "s_lon",
    "s_lat",
    "s_start",
    "a_num",
    "a_rep",
    "a_lon",
    "a_lat",
)
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

    # Words of every street name for the matcher, and which are its type (bit k: word k).
    all_names = np.concatenate([s_name.astype(str), np.asarray(extra["name"], dtype=str)])
    tagged = {n: street_words(n) for n in pd.unique(all_names)}
    s_words = np.array([" ".join(tagged[n][0]) for n in all_names], dtype=str)
    s_tmask = np.array(
        [sum(1 << k for k, t in enumerate(tagged[n][1]) if t) for n in all_names], np.int64
    )
    return {
        "s_words": s_words,
        "s_tmask": s_tmask,
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


class BanIndex(BanMatcher):
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
                if src.get("sha256") != signature["sha256"]:
                    continue
                try:
                    index = cls.load(idx_path)
                except EitError:
                    continue  # a damaged cache is rebuilt
                if src != signature:
                    # Touched or copied, same content: refresh the stamp only.
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
            missing = [k for k in _ARRAYS if k not in arrays]
            if missing:
                raise KeyError(f"arrays missing: {', '.join(missing)}")
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
        self.u_old_name = a["u_old_name"].tolist()
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
        self.a_num = a["a_num"]
        self.a_rep = a["a_rep"]
        self.a_lon = a["a_lon"]
        self.a_lat = a["a_lat"]
        self._prepare_matching()

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

    def _no_result(self, reason: str) -> GeocodeResult:
        return _unmatched(reason)

    def _at_commune(self, c: int, conf: float, postcode: str, reason: str) -> GeocodeResult:
        """The query placed at the centre of commune ``c`` (municipality precision)."""
        pcs = self.c_postcodes[c]
        pc = postcode if postcode in pcs else (pcs[0] if pcs else "")
        return GeocodeResult(
            lon=float(self.c_lon[c]),
            lat=float(self.c_lat[c]),
            score=round(MUNICIPALITY_SCORE * min(conf, 1.0), 4),
            precision="municipality",
            label=self.c_name[c],
            status="approximate",
            reason=_join(reason, "placed at the commune"),
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
            rows.append(
                (
                    res.lon,
                    res.lat,
                    res.score,
                    res.precision,
                    res.label,
                    res.status,
                    res.reason,
                    res.citycode,
                    res.postcode,
                )
            )
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


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a and b else (a or b)


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
    "default_index_path",
    "fallback_index_path",
    "file_signature",
    "geocode_frame",
    "read_ban_file",
]
