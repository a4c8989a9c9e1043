"""Ready for QGIS 4 (Qt6): the source tree passes the checks of QGIS's migration tool
(scripts/qt6_enums.py), which is what earns ``supportsQt6=True`` in metadata.txt."""

from __future__ import annotations

import configparser
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def checker():
    spec = importlib.util.spec_from_file_location("eit_qt6", ROOT / "scripts" / "qt6_enums.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checker_finds_and_scopes_unscoped_enums(tmp_path, qgis_app):
    module = checker()
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from qgis.PyQt.QtCore import Qt\n"
        "from qgis.core import QgsProcessing, Qgis\n"
        "a = Qt.AlignLeft | Qt.AlignmentFlag.AlignTop\n"
        "b = QgsProcessing.TypeVectorPoint\n"
        "c = Qgis.Warning\n"
        "dialog.exec_()\n",
        encoding="utf-8",
    )
    classes = module._classes()
    messages = [f[3] for f in module.findings(sample, classes)]
    assert "Qt.AlignLeft -> Qt.AlignmentFlag.AlignLeft" in messages
    assert "QgsProcessing.TypeVectorPoint -> QgsProcessing.SourceType.TypeVectorPoint" in messages
    assert "Qgis.Warning -> Qgis.MessageLevel.Warning" in messages
    assert any("exec_" in m for m in messages)
    assert not any("AlignTop" in m for m in messages)  # already scoped
    assert module.fix(sample, classes) == 3
    text = sample.read_text(encoding="utf-8")
    assert "Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop" in text
    assert "QgsProcessing.SourceType.TypeVectorPoint" in text
    assert [f[3] for f in module.findings(sample, classes)] == ["exec_() is exec() in Qt6"]


def test_source_tree_is_ready_for_qt6(qgis_app):
    module = checker()
    classes = module._classes()
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {message}"
        for path in module.python_files([ROOT])
        for line, _col, _end, message, _scoped in module.findings(path, classes)
    ]
    assert problems == []


def test_every_scoped_enum_value_exists_in_this_qgis(qgis_app):
    """The scoped names must work on every supported QGIS (this suite runs on 3.22, 3.40 and
    3.44): ``QgsRenderContext.TextRenderFormat.TextFormatAlwaysText`` exists on one only."""
    module = checker()
    classes = module._classes()
    unknown = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in module.python_files([ROOT])
        for line, name in module.unresolved(path, classes)
    ]
    assert unknown == []


def test_metadata_declares_qt6_support():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    assert parser["general"].get("supportsQt6") == "True"
