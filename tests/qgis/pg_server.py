"""A throw-away PostgreSQL + PostGIS server for the tests, from the distribution's packages.

``initdb`` in a temporary folder owned by the ``postgres`` system user (initdb refuses root),
password logins (scram) on 127.0.0.1 and a free port, a database ``eit`` with PostGIS; the
server is stopped and its folder removed at the end. The binaries are found under
``/usr/lib/postgresql/<version>/bin`` (15 on Debian 12, 17 on Debian 13, 18 on unstable).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "eit_admin"
PASSWORD = "admin-secret"
DATABASE = "eit"


def pg_bin() -> Path:
    """The newest installed PostgreSQL's binaries folder."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/setup_system.sh installs it)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    folder: Path
    port: int
    bin: Path

    host = "127.0.0.1"

    def uri(self, user=SUPERUSER, password=PASSWORD, database=DATABASE) -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{database}"

    def _run(self, *args, **kwargs):
        command = ["runuser", "-u", "postgres", "--", *map(str, args)]
        if os.geteuid() != 0:  # a developer's own account owns the folder: run directly
            command = [str(a) for a in args]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def psql(self, sql: str, database=DATABASE) -> str:
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        result = subprocess.run(
            [str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
             "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-c", sql],
            check=True, capture_output=True, text=True, env=env,
        )  # fmt: skip
        return result.stdout

    def start(self) -> PgServer:
        data = self.folder / "data"
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            self.bin / "initdb", "-D", data, "-U", SUPERUSER, "--pwfile", pwfile,
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off"
        )
        self._run(
            self.bin / "pg_ctl", "-D", data, "-o", options, "-l", self.folder / "log", "-w",
            "start",
        )  # fmt: skip
        for _ in range(50):
            try:
                self.psql("select 1", database="postgres")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        self.psql(f"create database {DATABASE}", database="postgres")
        self.psql("create extension postgis")
        return self

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PgServer:
    folder = Path(tempfile.mkdtemp(prefix="eit-pg-"))
    server = PgServer(folder, free_port(), pg_bin())
    try:
        return server.start()
    except BaseException:
        log = folder / "log"
        if log.exists():
            print(log.read_text())
        server.stop()
        raise
