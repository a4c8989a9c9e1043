"""The *Install* button's task: pip for QGIS's Python, user site, progress, cancel, log, then
the provider reloaded. Against a local wheel directory and a local server: never the internet."""

from __future__ import annotations

import base64
import hashlib
import site
import socket
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from eit_synergies.ui.installer import PipInstallTask
from qgis.core import QgsApplication

PROBE = "eit_probe_lib"


def build_wheel(folder: Path, name: str = PROBE, version: str = "1.0") -> Path:
    """A real, minimal pure-Python wheel (PEP 427) that pip installs."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\n"
        f"Version: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: eit-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def user_site(base: Path) -> Path:
    return base / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


def run_task(task, timeout=120, add=True) -> str:
    """Runs ``task`` in QGIS's task manager; "complete" or "terminated" (the manager deletes
    the C++ task once it ends: only its Python attributes are read afterwards)."""
    ended = []
    task.taskCompleted.connect(lambda: ended.append("complete"))
    task.taskTerminated.connect(lambda: ended.append("terminated"))
    if add:
        QgsApplication.taskManager().addTask(task)
    end = time.monotonic() + timeout
    while time.monotonic() < end and not ended:
        QgsApplication.processEvents()
        time.sleep(0.02)
    QgsApplication.processEvents()
    return ended[0] if ended else "running"


@pytest.fixture
def probe_index(tmp_path):
    wheels = tmp_path / "wheels"
    build_wheel(wheels)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"# test\n{PROBE.replace('_', '-')}==1.0\n", encoding="utf-8")
    return wheels, requirements


def test_installs_into_the_user_site_with_progress_and_log(qgis_app, tmp_path, probe_index):
    wheels, requirements = probe_index
    base = tmp_path / "userbase"
    results, progress = [], []
    task = PipInstallTask(
        requirements,
        extra=["--no-index", "--find-links", str(wheels)],
        env={"PYTHONUSERBASE": str(base)},
        on_done=lambda ok, t: results.append(ok),
    )
    task.progressChanged.connect(progress.append)
    assert run_task(task) == "complete"
    assert results == [True]
    assert (user_site(base) / PROBE / "__init__.py").is_file()
    log = "\n".join(task.log)
    assert "--user" in task.log[0] and "-c" in task.log[0].split()  # numpy/pyproj kept
    assert "Successfully installed" in log
    assert progress and max(progress) == 100.0


def test_cancel_stops_pip(qgis_app, tmp_path, probe_index):
    _, requirements = probe_index
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port = server.getsockname()[1]
    accepted = []

    def hold():  # accepts and never answers: pip waits
        server.settimeout(30)
        try:
            accepted.append(server.accept())
        except OSError:
            return

    threading.Thread(target=hold, daemon=True).start()
    results = []
    task = PipInstallTask(
        requirements,
        extra=["--no-index", "--find-links", f"http://127.0.0.1:{port}/", "--timeout", "60"],
        env={"PYTHONUSERBASE": str(tmp_path / "userbase")},
        on_done=lambda ok, t: results.append(ok),
    )
    ended = []
    task.taskTerminated.connect(lambda: ended.append("terminated"))
    QgsApplication.taskManager().addTask(task)
    end = time.monotonic() + 60
    while not accepted and time.monotonic() < end:  # pip is talking to the server
        QgsApplication.processEvents()
        time.sleep(0.05)
    assert accepted, "pip never reached the local server"
    started = time.monotonic()
    task.cancel()
    while not ended and time.monotonic() - started < 30:
        QgsApplication.processEvents()
        time.sleep(0.02)
    assert ended == ["terminated"]
    assert time.monotonic() - started < 15
    assert results == [False] and task.error == "canceled"
    assert task._process.poll() is not None  # pip is gone
    server.close()


def test_plugin_installs_then_offers_the_algorithms(
    recording_iface, qgis_processing, monkeypatch, load_plugin, eit_providers, tmp_path, probe_index
):
    """geopandas is 'missing' until the probe library is installed by the plugin's task."""
    from eit_synergies.core import dependencies

    wheels, requirements = probe_index
    base = tmp_path / "userbase"
    monkeypatch.setattr(site, "USER_BASE", str(base))
    monkeypatch.setattr(site, "USER_SITE", str(user_site(base)))
    monkeypatch.setattr(sys, "path", list(sys.path))
    real = dependencies.is_available
    monkeypatch.setattr(
        dependencies, "is_available", lambda m: real(PROBE) if m == "geopandas" else real(m)
    )
    plugin = load_plugin(recording_iface)
    try:
        (provider,) = eit_providers()
        assert "synergycandidates" in provider.skipped
        task = plugin.install_libraries(
            requirements=requirements,
            extra=["--no-index", "--find-links", str(wheels)],
            env={"PYTHONUSERBASE": str(base)},
        )
        assert run_task(task, add=False) == "complete"
        assert plugin.install_task is None
        assert provider.skipped == {}
        assert "synergycandidates" in {a.name() for a in provider.offered()}
        assert plugin.missing_modules == []
    finally:
        plugin.unload()
