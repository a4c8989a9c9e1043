"""Layout rules of the code base, written as tests (see ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT_QGIS = {"qgis", "PyQt5", "PyQt6", "sip", "processing"}
SKIP = {".venv", ".git", "demo-output", "dist", "build"}


def python_files(*subdirs):
    bases = [ROOT / s for s in subdirs] if subdirs else [ROOT]
    for base in bases:
        for path in sorted(base.rglob("*.py")):
            if not SKIP.intersection(path.relative_to(ROOT).parts):
                yield path


def imported_roots(path: Path):
    """(top-level module, line) of every absolute import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def test_core_sources_import_no_qt_or_qgis():
    offenders = [
        f"{p.relative_to(ROOT)}:{line} imports {mod}"
        for p in python_files("core")
        for mod, line in imported_roots(p)
        if mod in QT_QGIS
    ]
    assert not offenders, offenders


def test_every_core_module_imports_with_qgis_blocked():
    """conftest.py blocks qgis/PyQt here: importing each core module proves it needs none."""
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("qgis.core")
    import eit_synergies.core as core

    names = [m.name for m in pkgutil.walk_packages(core.__path__, "eit_synergies.core.")]
    assert "eit_synergies.core.errors" in names
    for name in names:
        importlib.import_module(name)
    assert not QT_QGIS.intersection(m.split(".")[0] for m in sys.modules)


def test_core_imports_in_a_fresh_interpreter_without_qgis():
    """Same check in a new process, where nothing else could have imported qgis first."""
    code = (
        "import importlib, importlib.util, pkgutil, sys\n"
        "class B:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('qgis','PyQt5','PyQt6','sip','processing'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, B())\n"
        f"root = {str(ROOT)!r}\n"
        "spec = importlib.util.spec_from_file_location('eit_synergies', root + '/__init__.py',"
        " submodule_search_locations=[root])\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['eit_synergies'] = m\n"
        "spec.loader.exec_module(m)\n"
        "import eit_synergies.core as core\n"
        "for i in pkgutil.walk_packages(core.__path__, 'eit_synergies.core.'):\n"
        "    importlib.import_module(i.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_nothing_imports_pyqt_directly():
    offenders = [
        f"{p.relative_to(ROOT)}:{line} imports {mod} (use qgis.PyQt)"
        for p in python_files()
        for mod, line in imported_roots(p)
        if mod in {"PyQt5", "PyQt6"}
    ]
    assert not offenders, offenders


def test_plugin_never_imports_its_processing_folder_by_absolute_name():
    """``import processing`` means QGIS's package; ours is reached by relative imports."""
    plugin_code = [
        p for p in python_files() if p.relative_to(ROOT).parts[0] not in {"tests", "scripts"}
    ]
    offenders = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in plugin_code
        for mod, line in imported_roots(p)
        if mod == "processing"
    ]
    assert not offenders, offenders


def test_ui_files_hold_no_connections():
    offenders = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.ui")
        if not SKIP.intersection(p.relative_to(ROOT).parts)
        and "<connection>" in p.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


def test_no_compiled_resources_module():
    assert not list(ROOT.glob("resources_rc.py")), "icons are loaded by path, not compiled"
