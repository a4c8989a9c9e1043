"""The real QGIS desktop, under Xvfb, with a throw-away profile where the plugin is enabled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def qgis_desktop() -> str:
    for name in ("qgis.bin", "qgis"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("the QGIS desktop is not installed (make setup installs it)")


def make_profile(base: Path) -> Path:
    """A profile with the plugin installed (linked) and enabled, as the plugin manager does."""
    profile = base / "profiles" / "default"
    plugins = profile / "python" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "eit_synergies").symlink_to(ROOT, target_is_directory=True)
    (profile / "QGIS").mkdir()
    (profile / "QGIS" / "QGIS3.ini").write_text(
        "[PythonPlugins]\neit_synergies=true\n\n[qgis]\nshowTips=false\n"
        "checkVersion=false\n\n[core]\nMessages\\firstRunVersionFlag=32200\n",
        encoding="utf-8",
    )
    return base


def run_desktop(tmp_path: Path, startup: Path, extra_env=None, timeout=180):
    profiles = make_profile(tmp_path / "qgis-profiles")
    report = tmp_path / "report.json"
    ARTIFACTS.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # a real X display (Xvfb), not offscreen
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)  # set by pytest-qgis for its own QGIS only
    env.update(
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(tmp_path),
        EIT_DESKTOP_REPORT=str(report),
        PYTHONPATH=os.pathsep.join(
            filter(None, [sysconfig.get_paths()["purelib"], os.environ.get("PYTHONPATH")])
        ),
        **(extra_env or {}),
    )
    command = [
        "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24",
        qgis_desktop(), "--profiles-path", str(profiles), "--noversioncheck", "--nologo",
        "--code", str(startup),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    assert (
        report.exists()
    ), f"QGIS wrote no report (rc={result.returncode}): {result.stderr[-3000:]}"
    return json.loads(report.read_text(encoding="utf-8"))


def test_plugin_loads_in_the_real_desktop(tmp_path):
    screenshot = ARTIFACTS / "desktop-plugin-loaded.png"
    if screenshot.exists():
        screenshot.unlink()
    report = run_desktop(
        tmp_path,
        Path(__file__).with_name("desktop_startup.py"),
        {"EIT_DESKTOP_SCREENSHOT": str(screenshot)},
    )
    assert "error" not in report, report.get("error")
    assert "eit_synergies" in report["active_plugins"]
    assert report["first"]["providers"] == 1
    assert report["first"]["algorithms"], "no eit algorithm in the running QGIS"
    assert report["first"]["tool_actions"] >= 1
    assert report["after_unload"]["providers"] == 0
    assert report["after_unload"]["tool_actions"] == 0
    assert report["after_reload"] == report["first"]  # no duplicate provider or menu entry
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
