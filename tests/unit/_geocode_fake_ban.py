"""A local stand-in for the BAN API and download site (http.server on 127.0.0.1, port 0).

It answers ``/search`` and ``/search/csv`` in the Géoplateforme format, computing the
answers with the offline index of the test BAN file, and serves files for the downloader.
``script`` lists what to do with the next requests: ``"429"`` (with Retry-After),
``"502"``, ``"truncate"`` (cut the CSV answer in the middle of a row), ``None`` (normal).
Imported by path from the geocoding tests (it is not a test module).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.parse
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESULT_HEADER = [
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_score_next",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_name",
    "result_street",
    "result_postcode",
    "result_city",
    "result_context",
    "result_citycode",
    "result_oldcitycode",
    "result_oldcity",
    "result_district",
    "result_status",
]


class FakeBan:
    """The server's state: the index answering, the script, and what was received."""

    def __init__(self, index=None, files: dict[str, bytes] | None = None):
        self.index = index
        self.files = files or {}
        self.script: list = []
        self.truncate_always = False
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def next_action(self):
        with self.lock:
            return self.script.pop(0) if self.script else None

    def answer_row(self, row: dict, use_code: bool) -> dict:
        citycode = row.get("code_insee", "") if use_code else ""
        res = self.index.geocode(
            row.get("adresse"), row.get("code_postal"), row.get("commune"), citycode
        )
        if res.status == "unmatched":
            return dict.fromkeys(RESULT_HEADER[:-1], "") | {"result_status": "not-found"}
        return {
            "latitude": f"{res.lat:.6f}",
            "longitude": f"{res.lon:.6f}",
            "result_label": res.label,
            "result_score": f"{res.score:.2f}",
            "result_score_next": "",
            "result_type": res.precision,
            "result_id": "",
            "result_housenumber": "",
            "result_name": "",
            "result_street": "",
            "result_postcode": res.postcode,
            "result_city": "",
            "result_context": "19, Corrèze, Nouvelle-Aquitaine",
            "result_citycode": res.citycode,
            "result_oldcitycode": "",
            "result_oldcity": "",
            "result_district": "",
            "result_status": "ok",
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet
                pass

            def _send(self, code, body: bytes, ctype="text/plain", headers=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _scripted(self) -> str | None:
                action = fake.next_action()
                if action == "429":
                    self._send(429, b"too many requests", headers={"Retry-After": "2"})
                elif action == "502":
                    self._send(502, b"bad gateway")
                elif action == "400":
                    self._send(400, b"bad request")
                else:
                    return action or "ok"
                return None

            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                name = url.path.rsplit("/", 1)[-1]
                if name in fake.files:
                    with fake.lock:
                        fake.requests.append({"path": url.path})
                    body = fake.files[name]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for i in range(0, len(body), 65536):
                        self.wfile.write(body[i : i + 65536])
                    return
                if not url.path.endswith("/search"):
                    self._send(404, b"not found")
                    return
                params = dict(urllib.parse.parse_qsl(url.query))
                with fake.lock:
                    fake.requests.append({"path": url.path, "params": params})
                if self._scripted() is None:
                    return
                res = fake.index.geocode(params.get("q"), None, None, params.get("citycode"))
                features = []
                if res.status != "unmatched":
                    features.append(
                        {
                            "type": "Feature",
                            "geometry": {"type": "Point", "coordinates": [res.lon, res.lat]},
                            "properties": {
                                "label": res.label,
                                "score": res.score,
                                "type": res.precision,
                                "citycode": res.citycode,
                                "postcode": res.postcode,
                            },
                        }
                    )
                body = {"type": "FeatureCollection", "features": features, "query": params["q"]}
                self._send(200, json.dumps(body).encode(), "application/json")

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                ctype = self.headers.get("Content-Type", "")
                msg = BytesParser(policy=policy.default).parsebytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + raw
                )
                fields: dict[str, list[str]] = {}
                data = b""
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    payload = part.get_payload(decode=True)
                    if name == "data":
                        data = payload
                    else:
                        fields.setdefault(name, []).append(payload.decode("utf-8"))
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
                with fake.lock:
                    fake.requests.append({"path": self.path, "fields": fields, "rows": rows})
                action = self._scripted()
                if action is None:
                    return
                use_code = "citycode" in fields
                out = io.StringIO()
                header = list(rows[0].keys()) + RESULT_HEADER if rows else RESULT_HEADER
                writer = csv.DictWriter(out, header, lineterminator="\r\n")
                writer.writeheader()
                for row in rows:
                    writer.writerow(row | fake.answer_row(row, use_code))
                body = out.getvalue().encode("utf-8")
                if action == "truncate" or fake.truncate_always:
                    # Cut in the middle of a row, as the real endpoint was seen to do.
                    lines = body.split(b"\r\n")
                    keep = max(1, (len(lines) - 1) // 2)
                    body = (
                        b"\r\n".join(lines[:keep]) + b"\r\n" + lines[keep][: len(lines[keep]) // 2]
                    )
                self._send(200, body, "text/csv; charset=utf-8")

        return Handler


class FakeClock:
    """Injectable clock: ``sleep`` advances time and records the durations."""

    def __init__(self):
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
