"""A workshop played in the real QGIS desktop (Xvfb), as a facilitator runs it.

The workspace keeps every decision and every word typed, even when QGIS is quit at once or
killed; the presentation gives the map the screen at 1280 × 800 and 1920 × 1080; quitting
asks nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest
from qgis.core import QgsVectorLayer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def _desktop():
    spec = importlib.util.spec_from_file_location("eit_test_desktop", HERE / "test_desktop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


desktop = _desktop()


def environment(tmp_path: Path, report: Path, extra: dict) -> dict:
    """QGIS's environment: the workspace lies in a lasting folder, as a facilitator keeps it
    (pytest's folders are inside the system's temporary folder, whose files QGIS calls
    temporary: QGIS gets a temporary folder of its own)."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    env.update(
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(tmp_path),
        TMPDIR=str(system_tmp),
        EIT_DESKTOP_REPORT=str(report),
        EIT_WORKSHOP_FOLDER=str(tmp_path / "atelier"),
        EIT_WORKSHOP_DEMO=str(ROOT / "data" / "demo"),
        PYTHONPATH=os.pathsep.join(
            filter(None, [sysconfig.get_paths()["purelib"], os.environ.get("PYTHONPATH")])
        ),
        **extra,
    )
    return env


def start_qgis(tmp_path: Path, screen: str, extra: dict) -> tuple[subprocess.Popen, Path]:
    profiles = desktop.make_profile(tmp_path / "qgis-profiles")
    report = tmp_path / "report.json"
    command = [
        "xvfb-run", "-a", "-s", f"-screen 0 {screen}x24",
        desktop.qgis_desktop(), "--profiles-path", str(profiles), "--noversioncheck",
        "--nologo", "--code", str(HERE / "workshop_startup.py"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=environment(tmp_path, report, extra), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    return process, report


def read_report(report: Path) -> dict:
    try:
        return json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def workspace_rows(gpkg: Path, table: str) -> list[dict]:
    layer = QgsVectorLayer(f"{gpkg}|layername={table}", table, "ogr")
    assert layer.isValid(), table
    names = layer.fields().names()
    return [dict(zip(names, feature.attributes(), strict=True)) for feature in layer.getFeatures()]


def inside(point, rect, margin=8) -> bool:
    x, y, width, height = rect
    return (
        x - margin <= point[0] <= x + width + margin
        and y - margin <= point[1] <= y + height + margin
    )


@pytest.mark.parametrize("screen", ["1280x800", "1920x1080"])
def test_a_workshop_keeps_every_decision_and_word_and_quits_without_a_question(tmp_path, screen):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"workshop-presentation-{screen}.png"
    if shot.exists():
        shot.unlink()
    process, report_path = start_qgis(tmp_path, screen, {"EIT_WORKSHOP_SCREENSHOT": str(shot)})
    try:
        _, errors = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, errors = process.communicate()
    (tmp_path / "qgis-stderr.txt").write_text(errors, encoding="utf-8")
    report = read_report(report_path)
    assert "error" not in report, report.get("error")
    # QGIS quit by itself, asking nothing (no temporary layers, nothing to save)
    assert report["step"] == "quit returned", (report.get("step"), errors[-3000:])
    assert report["quit_dialogs"] == []
    assert "unable to open database file" not in errors  # the project's layers and the dock
    assert not report["dirty_before_quit"] and report["temporary_layers"] == []
    assert "memory" not in report["marks_layers"]
    # the room sees the territory's name
    assert report["opened"] and "Bertranges" in report["territory_name"]
    assert report["title"] == report["project_title"] == report["territory_name"]
    # the workspace holds every decision and every word typed, the last ones too
    gpkg = Path(report["workspace"])
    rows = {r["candidate_id"]: r for r in workspace_rows(gpkg, "synergies")}
    assert len(report["typed"]) == 4 and len(report["decided"]) == 3
    for candidate, words in report["typed"].items():
        assert words and rows[candidate]["notes"] == words
    for candidate, status in report["decided"].items():
        assert rows[candidate]["status"] == status
    undecided = set(report["typed"]) - set(report["decided"])
    assert undecided and all(rows[c]["status"] == "proposed" for c in undecided)
    logged = {(r["candidate_id"], r["notes"]) for r in workspace_rows(gpkg, "decisions")}
    assert set(report["typed"].items()) <= logged
    # presentation: the map has the screen, the legend covers no actor, the territory fills
    p = report["presentation"]
    width, height = (int(v) for v in screen.split("x"))
    assert p["screen"] == [width, height]
    canvas_w, canvas_h = p["canvas"]
    assert canvas_w >= 0.72 * width and canvas_h >= 0.9 * height
    assert p["dock_width"] <= 0.25 * width
    hidden = [a for a in p["actors"] if inside(a, p["legend"])]
    assert hidden == [], f"the legend covers {len(hidden)} actors"
    left, top, right, bottom = p["territory"]
    lx, ly, lw, lh = p["legend"]
    assert -2 <= left and right <= canvas_w + 2 and -2 <= top and bottom <= canvas_h + 2
    free_w = canvas_w - (lw + 28 if right <= lx + 1 or left >= lx + lw - 1 else 0)
    free_h = canvas_h - (lh + 28 if bottom <= ly + 1 or top >= ly + lh - 1 else 0)
    fill = max((right - left) / free_w, (bottom - top) / free_h)
    assert fill >= 0.85, f"the territory fills {fill:.0%} of the free area"
    assert shot.exists() and shot.stat().st_size > 50_000


def test_words_typed_survive_qgis_being_killed(tmp_path):
    process, report_path = start_qgis(tmp_path, "1280x800", {"EIT_WORKSHOP_MODE": "kill"})
    try:
        end = time.monotonic() + 240
        while time.monotonic() < end and read_report(report_path).get("step") != "typed":
            assert process.poll() is None, process.communicate()[1][-3000:]
            assert "error" not in read_report(report_path), read_report(report_path)["error"]
            time.sleep(0.2)
        report = read_report(report_path)
        assert report.get("step") == "typed", report
        time.sleep(max(0.0, report["typed_at"] + 3.0 - time.time()))  # a few seconds later
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # QGIS, its Xvfb: nothing runs its cleanup
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    rows = {r["candidate_id"]: r for r in workspace_rows(Path(report["workspace"]), "synergies")}
    ((candidate, words),) = report["typed"].items()
    assert words == "Qui transporte ? Voir la CUMA le 12 mars."
    assert rows[candidate]["notes"] == words and rows[candidate]["status"] == "retained"
    logged = workspace_rows(Path(report["workspace"]), "decisions")
    assert (candidate, words) in {(r["candidate_id"], r["notes"]) for r in logged}
