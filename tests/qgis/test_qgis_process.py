"""The real ``qgis_process`` command line sees the ``eit`` provider and all its algorithms."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def qgis_process_command() -> list[str]:
    """``qgis_process.bin`` when present: Debian's ``qgis_process`` wrapper adds
    ``--noversioncheck``, which qgis_process 3.22 rejects."""
    for name in ("qgis_process.bin", "qgis_process"):
        found = shutil.which(name)
        if found:
            return [found]
    pytest.fail("qgis_process is not installed (make setup installs it)")


def qgis_process_env(home: Path) -> dict[str, str]:
    plugins = home / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "eit_synergies"
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    env = dict(os.environ)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)  # set by pytest-qgis for its own QGIS only
    env.update(
        HOME=str(home),  # throw-away profile: 'plugins enable' is remembered there
        QGIS_PLUGINPATH=str(plugins),
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(home / "runtime"),
        # the venv's libraries (pandas, geopandas...) for QGIS's embedded Python
        PYTHONPATH=os.pathsep.join(
            filter(None, [sysconfig.get_paths()["purelib"], os.environ.get("PYTHONPATH")])
        ),
    )
    (home / "runtime").mkdir(mode=0o700, exist_ok=True)
    return env


def run_qgis_process(args, home: Path, timeout=300):
    result = subprocess.run(
        qgis_process_command() + args,
        env=qgis_process_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result


@pytest.fixture(scope="module")
def qp_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("qgis_process_home")
    result = run_qgis_process(["plugins", "enable", "eit_synergies"], home)
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def expected_algorithm_ids() -> set[str]:
    """What the provider registers in this environment (loaded in-process)."""
    from eit_synergies.processing.provider import EitProvider

    provider = EitProvider()
    provider.loadAlgorithms()
    return {f"eit:{alg.name()}" for alg in provider.algorithms()}


def test_qgis_process_lists_every_eit_algorithm(qp_home, qgis_processing):
    result = run_qgis_process(["list", "--json"], qp_home)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout[result.stdout.index("{") :])
    assert "eit" in listing["providers"], sorted(listing["providers"])
    listed = set(listing["providers"]["eit"]["algorithms"])
    expected = expected_algorithm_ids()
    assert expected, "the provider registers no algorithm"
    assert listed == expected


def test_qgis_process_help_of_each_algorithm(qp_home, qgis_processing):
    for alg_id in sorted(expected_algorithm_ids()):
        result = run_qgis_process(["help", alg_id], qp_home)
        assert result.returncode == 0, alg_id + result.stderr
        assert alg_id.split(":")[1] in result.stdout or "----" in result.stdout
