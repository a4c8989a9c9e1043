"""The plugin zip meets the QGIS plugin repository's rules (as plugins.qgis.org checks them)."""

from __future__ import annotations

import configparser
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = [
    "name", "description", "version", "qgisMinimumVersion", "author", "email", "about",
    "tracker", "repository",
]  # fmt: skip


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("eit_package", ROOT / "scripts" / "package.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path_factory.mktemp("dist")
    zip_path = tool.build(out)
    extracted = tmp_path_factory.mktemp("extracted")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(extracted)
        names = archive.namelist()
    return zip_path, names, extracted


def test_one_lowercase_top_folder(package):
    _, names, _ = package
    tops = {n.split("/")[0] for n in names}
    assert tops == {"eit_synergies"}
    assert "eit_synergies" == "eit_synergies".lower()


def test_required_files_and_metadata(package):
    _, names, extracted = package
    for required in ("__init__.py", "metadata.txt", "LICENSE", "eit_plugin.py"):
        assert f"eit_synergies/{required}" in names
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(extracted / "eit_synergies" / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    for field in REQUIRED:
        assert general.get(field, "").strip(), f"metadata.txt: {field} is empty"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    assert (extracted / "eit_synergies" / general["icon"]).exists()


def test_no_tooling_or_bytecode_and_small(package):
    zip_path, names, _ = package
    bad = [
        n for n in names
        if "__pycache__" in n or n.endswith(".pyc") or "/.git/" in n or n.endswith("/.git")
    ]  # fmt: skip
    assert not bad, bad
    assert not [n for n in names if n.startswith(("eit_synergies/tests/", "eit_synergies/.ci/"))]
    assert not [n for n in names if n.startswith("eit_synergies/benchmarks/")]
    assert zip_path.stat().st_size < 25 * 1024 * 1024


def test_translations_are_compiled_into_the_zip(package):
    _, names, _ = package
    assert "eit_synergies/i18n/eit_synergies_fr.qm" in names


def test_bandit_finds_no_medium_or_high_issue(package):
    _, _, extracted = package
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-ll", "-r", "-q", str(extracted / "eit_synergies")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_detect_secrets_finds_nothing(package):
    _, _, extracted = package
    result = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "--all-files", "eit_synergies"],
        cwd=extracted,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["results"] == {}
