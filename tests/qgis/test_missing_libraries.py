"""The plugin starts whatever library is missing: masked one at a time, then all at once, in
fresh interpreters (a library already imported cannot be un-imported); and the real
``qgis_process`` without them answers with the message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from eit_synergies.core.dependencies import PYPI_NAMES

ROOT = Path(__file__).resolve().parents[2]
BLOCK = ROOT / "tests" / "support" / "block"
LIBRARIES = [m for m in PYPI_NAMES if m != "pyproj"]


def masked_env(masked) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(BLOCK), sysconfig.get_paths()["purelib"], env.get("PYTHONPATH")])
    )
    env["EIT_BLOCK_MODULES"] = ",".join(masked)
    return env


@pytest.mark.parametrize("masked", [[m] for m in LIBRARIES] + [LIBRARIES], ids=str)
def test_plugin_loads_and_names_what_is_missing(masked, tmp_path):
    pytest_bin = Path(sys.executable).with_name("pytest")
    result = subprocess.run(
        [str(pytest_bin), "-p", "no:cacheprovider", "-q", "tests/qgis/probe_plugin_load.py"],
        cwd=ROOT,
        env=masked_env(masked),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_qgis_process_without_libraries_says_what_to_install(tmp_path):
    from .test_qgis_process import qgis_process_command, qgis_process_env

    env = qgis_process_env(tmp_path)  # a throw-away profile (HOME), no pytest-qgis settings
    env["PYTHONPATH"] = os.pathsep.join([str(BLOCK), env["PYTHONPATH"]])
    env["EIT_BLOCK_MODULES"] = ",".join(LIBRARIES)
    enable = subprocess.run(
        qgis_process_command() + ["plugins", "enable", "eit_synergies"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert enable.returncode == 0, enable.stdout + enable.stderr
    result = subprocess.run(
        qgis_process_command() + ["run", "eit:runpipeline", "--", "OUTPUT_FOLDER=" + str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode != 0
    for module in ("pandas", "geopandas", "shapely"):
        assert PYPI_NAMES[module] in output, output
    assert "pip install" in output, output


def test_the_main_job_without_the_atlas_library_writes_the_rest(tmp_path):
    """Without openpyxl (the spreadsheet output of eit:exportatlas, which then is not
    available), eit:runpipeline still writes the workspace, the project and the summary, and
    says the atlas is not written."""
    from .test_qgis_process import qgis_process_command, qgis_process_env

    env = qgis_process_env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(BLOCK), env["PYTHONPATH"]])
    env["EIT_BLOCK_MODULES"] = "openpyxl"
    subprocess.run(
        qgis_process_command() + ["plugins", "enable", "eit_synergies"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    demo, out = ROOT / "data" / "demo", tmp_path / "sortie"
    result = subprocess.run(
        qgis_process_command() + ["run", "eit:runpipeline", "--",
                                  f"ACTORS={demo / 'actors.csv'}", f"FLOWS={demo / 'flows.csv'}",
                                  f"OUTPUT_FOLDER={out}"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["eit.gpkg", "eit.qgz", "synthese.html"]
    assert "atlas" in output.lower() and "no atlas written" in output, output[-3000:]
