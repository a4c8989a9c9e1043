"""Client of the BAN geocoding API of the IGN Géoplateforme, standard library only.

``/search`` answers one address (GeoJSON); ``/search/csv`` a CSV file (multipart POST:
``data`` the file, ``columns`` the address columns, ``citycode`` the INSEE column). The
answer repeats the input columns and adds ``latitude, longitude, result_label,
result_score, result_type, result_citycode, result_postcode, ...`` (read by name: their
order has changed over time).

Safeguards: chunks of ``chunk_size`` rows; every row is checked to have come back (the
endpoint has been seen to truncate long answers silently) and missing rows are re-sent in
smaller chunks, then reported; retries with exponential back-off on 429 and 5xx (honouring
``Retry-After``); a token bucket that never exceeds 50 requests per second; an sqlite3
cache so that a rerun sends nothing already answered. Only the columns named in
:data:`DATA_NOTICE` leave the machine.

:func:`download_ban_file` fetches a département's BAN file for the offline geocoder.
"""

from __future__ import annotations

import contextlib
import csv
import email.utils
import io
import json
import os
import re
import sqlite3
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..errors import EitError
from ..progress import check_canceled
from .ban_index import RESULT_COLUMNS, GeocodeResult
from .normalize import commune_key, normalize_insee, normalize_postcode, normalize_text

DEFAULT_BASE_URL = "https://data.geopf.fr/geocodage"
BAN_DOWNLOAD_URL = "https://adresse.data.gouv.fr/data/ban/adresses/latest/csv"
#: What the BAN API path sends off the machine (shown to the user before it runs).
DATA_NOTICE = (
    "The BAN API method sends the address text, postcode and INSEE code of each actor to the "
    "IGN Géoplateforme (data.geopf.fr); names, SIRET numbers and flows never leave the machine."
)
USER_AGENT = "eit_synergies-qgis-plugin"
#: Result columns read from a ``/search/csv`` answer.
CSV_RESULT_COLUMNS = (
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_type",
    "result_citycode",
    "result_postcode",
)
PRECISIONS = {
    "housenumber": "housenumber",
    "street": "street",
    "locality": "locality",
    "municipality": "municipality",
}
_DEPARTEMENT = re.compile(r"^(0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5]|2A|2B|97[1-6])$")
_KEY_COL = "eit_key"


class TokenBucket:
    """Rate limiter: at most ``rate`` acquisitions per second, ``capacity`` in a burst.

    With the default capacity of 1 the requests are evenly spaced, so no window of one
    second ever holds more than ``rate`` of them. ``clock`` and ``sleep`` are injectable.
    """

    def __init__(self, rate: float = 50.0, capacity: float = 1.0, clock=None, sleep=None):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.capacity = max(1.0, float(capacity))
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.tokens = self.capacity
        self.last = self.clock()

    def acquire(self) -> None:
        """Block until a request may be sent."""
        while True:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1.0 - 1e-9:
                self.tokens -= 1.0
                return
            self.sleep((1.0 - self.tokens) / self.rate)


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/eit_synergies/ban_api.sqlite`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eit_synergies" / "ban_api.sqlite"


def _check_url(url: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise EitError("bad_url", f"only http(s) URLs are allowed: {url}", url=url)
    return url


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Retrying:
    """Open URLs with retries on 429/5xx and network errors (exponential back-off)."""

    def __init__(self, max_retries, backoff, timeout, sleep, user_agent, limiter=None):
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.user_agent = user_agent
        self.limiter = limiter
        self.requests_sent = 0
        self.retries = 0

    def open(self, url: str, data: bytes | None = None, headers: dict | None = None):
        _check_url(url)
        headers = {"User-Agent": self.user_agent, **(headers or {})}
        for attempt in range(self.max_retries + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            req = urllib.request.Request(url, data=data, headers=headers)  # nosec B310
            self.requests_sent += 1
            try:
                return urllib.request.urlopen(req, timeout=self.timeout)  # nosec B310
            except urllib.error.HTTPError as exc:
                retryable = exc.code == 429 or 500 <= exc.code < 600
                delay = _retry_after(exc.headers)
                exc.close()
                if not retryable or attempt == self.max_retries:
                    raise EitError(
                        "ban_api_http_error",
                        f"HTTP {exc.code} from {url}",
                        status=exc.code,
                        url=url,
                    ) from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.max_retries:
                    raise EitError(
                        "ban_api_unreachable", f"cannot reach {url}: {exc}", url=url
                    ) from exc
                delay = None
            if delay is None:
                delay = self.backoff * (2**attempt)
            self.retries += 1
            self.sleep(min(delay, 300.0))
        raise EitError("ban_api_unreachable", f"cannot reach {url}", url=url)  # pragma: no cover


class BanApiClient:
    """Geocode through the BAN API of the Géoplateforme, with a cache and safeguards.

    ``base_url`` points at the service (tests use ``http://127.0.0.1:<port>``);
    ``cache_path`` is the sqlite3 cache (``None``: :func:`default_cache_path`, ``":memory:"``
    for none on disk). ``postcode_filter`` also sends the postcode as a filter (off by
    default: a wrong postcode would then hide the right answer; it is always part of the
    query text). ``clock``/``sleep`` drive the rate limiter and back-off (tests).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        cache_path: str | os.PathLike | None = None,
        chunk_size: int = 500,
        rate: float = 50.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        timeout: float = 120.0,
        threshold: float = 0.6,
        postcode_filter: bool = False,
        resend_rounds: int = 3,
        clock=None,
        sleep=None,
        user_agent: str = USER_AGENT,
    ):
        self.base_url = _check_url(base_url.rstrip("/"))
        self.chunk_size = max(1, int(chunk_size))
        self.threshold = threshold
        self.postcode_filter = postcode_filter
        self.resend_rounds = resend_rounds
        self.limiter = TokenBucket(rate, 1.0, clock, sleep)
        self.http = _Retrying(
            max_retries, backoff, timeout, sleep or time.sleep, user_agent, self.limiter
        )
        path = default_cache_path() if cache_path is None else cache_path
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.cache_path = str(path)
        # The glue may build the client in one thread and run it in a task's thread.
        self._db = sqlite3.connect(self.cache_path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, result TEXT NOT NULL, "
            "created TEXT NOT NULL)"
        )
        self._db.commit()
        #: Row labels of the last :meth:`geocode_many` that never came back.
        self.last_missing: list = []

    # -- plumbing ----------------------------------------------------------------------

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent by this client (retries included)."""
        return self.http.requests_sent

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def cache_key(address, postcode="", city="", citycode="") -> str:
        """Normalised query + INSEE code: the cache key."""
        query = " ".join(
            p
            for p in (normalize_text(address), normalize_postcode(postcode), commune_key(city))
            if p
        )
        return f"{query}|{normalize_insee(citycode)}"

    def _cache_get(self, keys: list[str]) -> dict[str, GeocodeResult]:
        found: dict[str, GeocodeResult] = {}
        cur = self._db.cursor()
        for key in keys:
            row = cur.execute("SELECT result FROM answers WHERE key = ?", (key,)).fetchone()
            if row is not None:
                found[key] = GeocodeResult(**json.loads(row[0]))
        return found

    def _cache_put(self, items: dict[str, GeocodeResult]) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._db.executemany(
            "INSERT OR REPLACE INTO answers (key, result, created) VALUES (?, ?, ?)",
            [(k, json.dumps(asdict(r)), now) for k, r in items.items()],
        )
        self._db.commit()

    def _result(self, lon, lat, score, rtype, label, citycode, postcode) -> GeocodeResult:
        try:
            lon_f, lat_f, score_f = float(lon), float(lat), float(score or 0.0)
        except (TypeError, ValueError):
            return GeocodeResult(reason="not found by the BAN API")
        precision = PRECISIONS.get(rtype or "", "municipality")
        ok = score_f >= self.threshold and precision in ("housenumber", "street")
        return GeocodeResult(
            lon=lon_f,
            lat=lat_f,
            score=round(min(max(score_f, 0.0), 1.0), 4),
            precision=precision,
            label=label or "",
            status="matched" if ok else "approximate",
            reason="" if ok else f"BAN API: {precision}, score {score_f:.2f}",
            citycode=citycode or "",
            postcode=postcode or "",
        )

    # -- one address -------------------------------------------------------------------

    def search(self, address, postcode=None, city=None, citycode=None) -> GeocodeResult:
        """Geocode one address with ``/search`` (cached)."""
        key = self.cache_key(address, postcode, city, citycode)
        hit = self._cache_get([key]).get(key)
        if hit is not None:
            return hit
        text = " ".join(
            str(p).strip() for p in (address, normalize_postcode(postcode), city) if _filled(p)
        )
        if not text:
            return GeocodeResult(reason="empty address")
        params = {"q": text, "limit": "1"}
        insee = normalize_insee(citycode)
        if insee:
            params["citycode"] = insee
        if self.postcode_filter and normalize_postcode(postcode):
            params["postcode"] = normalize_postcode(postcode)
        url = f"{self.base_url}/search?{urllib.parse.urlencode(params)}"
        with self.http.open(url) as resp:
            payload = json.loads(resp.read().decode("utf-8"))
        features = payload.get("features") or []
        if not features:
            result = GeocodeResult(reason="not found by the BAN API")
        else:
            feat = features[0]
            lon, lat = feat["geometry"]["coordinates"][:2]
            props = feat.get("properties", {})
            result = self._result(
                lon,
                lat,
                props.get("score"),
                props.get("type"),
                props.get("label"),
                props.get("citycode"),
                props.get("postcode"),
            )
        self._cache_put({key: result})
        return result

    # -- many addresses ----------------------------------------------------------------

    def geocode_many(
        self,
        frame: pd.DataFrame,
        progress=None,
        address: str = "address",
        postcode: str | None = "postcode",
        city: str | None = "city",
        citycode: str | None = "citycode",
    ) -> pd.DataFrame:
        """Geocode every row with ``/search/csv``; same index, columns ``RESULT_COLUMNS``.

        Rows already in the cache are not sent. Rows that never came back (after re-sending
        them in smaller chunks) are ``unmatched`` with a reason and listed in
        :attr:`last_missing`; they are not cached, so a rerun asks for them again.
        """
        n = len(frame)

        def col(name):
            if name and name in frame.columns:
                return frame[name].tolist()
            return [None] * n

        a_col, p_col, c_col, i_col = col(address), col(postcode), col(city), col(citycode)
        queries: dict[str, tuple[str, str, str, str]] = {}
        keys: list[str] = []
        for i in range(n):
            q = (
                _text(a_col[i]),
                normalize_postcode(p_col[i]),
                _text(c_col[i]),
                normalize_insee(i_col[i]),
            )
            key = self.cache_key(*q)
            keys.append(key)
            if q[0] or q[2]:
                queries.setdefault(key, q)
        answers = self._cache_get(list(queries))
        todo = [k for k in queries if k not in answers]
        missing = self._send(todo, queries, answers, progress)
        self.last_missing = [frame.index[i] for i, k in enumerate(keys) if k in missing]
        rows = []
        for key in keys:
            if key in answers:
                res = answers[key]
            elif key in missing:
                res = GeocodeResult(
                    reason="no answer from the BAN API for this row (truncated response)"
                )
            else:
                res = GeocodeResult(reason="empty address")
            rows.append(tuple(asdict(res).values()))
        if progress is not None:
            progress.report(1.0)
        return pd.DataFrame(rows, columns=list(RESULT_COLUMNS), index=frame.index)

    def _send(self, todo, queries, answers, progress) -> set[str]:
        """Send ``todo`` keys in chunks; fill ``answers``; return keys never answered."""
        total = max(len(todo), 1)
        done = 0
        pending = list(todo)
        size = self.chunk_size
        for round_no in range(self.resend_rounds + 1):
            if not pending:
                break
            if round_no:
                size = max(1, size // 4)
                if progress is not None:
                    progress.log(f"BAN API: {len(pending)} rows missing, re-sent by {size}")
            still: list[str] = []
            for start in range(0, len(pending), size):
                check_canceled(progress)
                chunk = pending[start : start + size]
                got = self._post_chunk(chunk, queries)
                self._cache_put(got)
                answers.update(got)
                still.extend(k for k in chunk if k not in got)
                done += len(got)
                if progress is not None:
                    progress.report(min(done / total, 0.99))
            pending = still
        if pending and progress is not None:
            progress.log(f"BAN API: {len(pending)} rows never came back")
        return set(pending)

    def _post_chunk(self, chunk: list[str], queries) -> dict[str, GeocodeResult]:
        got: dict[str, GeocodeResult] = {}
        with_code = [k for k in chunk if queries[k][3]]
        without = [k for k in chunk if not queries[k][3]]
        for part, use_code in ((with_code, True), (without, False)):
            if part:
                got.update(self._post_csv(part, queries, use_code))
        return got

    def _post_csv(self, keys: list[str], queries, use_code: bool) -> dict[str, GeocodeResult]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([_KEY_COL, "adresse", "code_postal", "commune", "code_insee"])
        for n, key in enumerate(keys):
            writer.writerow([str(n), *queries[key]])
        fields = [("columns", "adresse"), ("columns", "code_postal"), ("columns", "commune")]
        if use_code:
            fields.append(("citycode", "code_insee"))
        if self.postcode_filter:
            fields.append(("postcode", "code_postal"))
        body, ctype = _multipart(fields, "data", "actors.csv", buf.getvalue().encode("utf-8"))
        with self.http.open(
            f"{self.base_url}/search/csv", data=body, headers={"Content-Type": ctype}
        ) as resp:
            raw = resp.read()
        text = raw.decode("utf-8-sig", errors="replace")
        got: dict[str, GeocodeResult] = {}
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or _KEY_COL not in reader.fieldnames:
            return got
        for row in reader:
            pos = row.get(_KEY_COL)
            if pos is None or not pos.isdigit() or int(pos) >= len(keys):
                continue
            if None in row.values() or any(row.get(c) is None for c in CSV_RESULT_COLUMNS):
                continue  # a line cut by a truncated answer
            if (row.get("result_status") or "ok") not in ("ok", "not-found", "skipped"):
                continue
            got[keys[int(pos)]] = self._result(
                row["longitude"],
                row["latitude"],
                row["result_score"],
                row["result_type"],
                row["result_label"],
                row["result_citycode"],
                row["result_postcode"],
            )
        return got


def _filled(value) -> bool:
    return value is not None and value == value and str(value).strip() != ""


def _text(value) -> str:
    return str(value).strip() if _filled(value) else ""


def _multipart(fields, file_field, filename, content: bytes) -> tuple[bytes, str]:
    boundary = f"----eit{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode("utf-8") + b"\r\n")
    out.write(f"--{boundary}\r\n".encode())
    out.write(
        f'Content-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: text/csv; charset=utf-8\r\n\r\n".encode()
    )
    out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


# --------------------------------------------------------------------------- download


def normalize_departement(code) -> str:
    """``58`` / ``"58"`` / ``"2a"`` / ``"971"`` → valid code, else :class:`EitError`."""
    text = str(code).strip().upper()
    if text.isdigit() and len(text) == 1:
        text = text.zfill(2)
    if not _DEPARTEMENT.match(text):
        raise EitError(
            "invalid_departement",
            f"'{code}' is not a département code (01-95, 2A, 2B, 971-976)",
            value=str(code),
        )
    return text


def download_ban_file(
    departement,
    dest_dir: str | os.PathLike,
    base_url: str = BAN_DOWNLOAD_URL,
    progress=None,
    timeout: float = 120.0,
    max_retries: int = 3,
    sleep=None,
) -> Path:
    """Download ``adresses-XX.csv.gz`` into ``dest_dir`` and return its path.

    Streams with progress; cancelling (or any error) leaves no partial file: the data goes
    to a temporary file renamed into place only when complete and checked to be gzip.
    """
    code = normalize_departement(departement)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"adresses-{code}.csv.gz"
    url = f"{base_url.rstrip('/')}/{name}"
    http = _Retrying(max_retries, 1.0, timeout, sleep or time.sleep, USER_AGENT)
    dest = dest_dir / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as out, http.open(url) as resp:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            head = b""
            while True:
                check_canceled(progress)
                block = resp.read(1 << 16)
                if not block:
                    break
                if len(head) < 2:
                    head += block[:2]
                out.write(block)
                done += len(block)
                if progress is not None and total:
                    progress.report(min(done / total, 1.0))
        if total and done < total:
            raise EitError(
                "ban_download_incomplete",
                f"{name}: received {done} of {total} bytes",
                url=url,
                received=done,
                expected=total,
            )
        if head[:2] != b"\x1f\x8b":
            raise EitError("ban_download_invalid", f"{url} did not send a gzip file", url=url)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if progress is not None:
        progress.report(1.0)
        progress.log(f"BAN file saved: {dest}")
    return dest
