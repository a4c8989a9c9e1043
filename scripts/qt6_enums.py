#!/usr/bin/env python3
"""Qt6 / QGIS 4 readiness of the source tree: the checks of QGIS's own migration tool
(``scripts/pyqt5_to_pyqt6/pyqt5_to_pyqt6.py`` in the QGIS repository, run in its
QGIS-3-compatible mode), written again for this project.

- Enum values are written with their enum's name: ``Qt.AlignmentFlag.AlignLeft``, not
  ``Qt.AlignLeft``; ``QgsPalLayerSettings.Placement.OverPoint``, not
  ``QgsPalLayerSettings.OverPoint`` (on QGIS 3.40 that short name already means another
  enum's value). Found by introspection of the running PyQt and QGIS, as QGIS's tool does.
  ``QVariant.<Type>`` is left alone, as QGIS's tool does in that mode.
- ``exec()``, not ``exec_()``; no ``qApp``, ``QRegExp``, ``QDesktopWidget``, compiled
  ``resources_rc``, ``fontMetrics().width``, ``activated[str]``; Qt only through ``qgis.PyQt``.

    python scripts/qt6_enums.py check [paths...]   # list what is not ready (exit 1 if any)
    python scripts/qt6_enums.py fix [paths...]     # scope the enums in place

Runs in the Python of QGIS (``.venv/bin/python``), offscreen.
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {".venv", ".git", "build", "dist", "demo-output", "__pycache__"}
REMOVED_NAMES = {
    "qApp": "use QApplication.instance()",
    "QRegExp": "removed in Qt6: use QRegularExpression",
    "QDesktopWidget": "removed in Qt6: use QScreen",
    "resources_rc": "compiled resources are gone in Qt6: load files by path",
}
UNSCOPED_OK = {"QVariant"}  # QGIS's tool leaves QVariant.<Type> in its QGIS 3 mode


def _classes() -> dict[str, type]:
    from qgis import core, gui
    from qgis.PyQt import QtCore, QtGui, QtNetwork, QtSvg, QtTest, QtWidgets, QtXml

    found: dict[str, type] = {}
    for module in (QtCore, QtGui, QtWidgets, QtTest, QtXml, QtNetwork, QtSvg, core, gui):
        for name, value in vars(module).items():
            if inspect.isclass(value):
                found.setdefault(name, value)
    return found


_ENUM_TYPES: dict[type, dict[type, str]] = {}


def _enum_types(cls: type) -> dict[type, str]:
    """Enum type -> the name it has on ``cls`` (QGIS >= 3.30 aliases ``Qgis`` enums there:
    ``QgsProcessing.SourceType`` is ``Qgis.ProcessingSourceType``)."""
    if cls not in _ENUM_TYPES:
        found: dict[type, str] = {}
        for name in dir(cls):
            try:
                value = getattr(cls, name)
            except Exception:  # noqa: BLE001, S112 - an attribute that cannot be read is no enum
                continue
            if inspect.isclass(value) and value is not cls:
                if value not in found or name == value.__name__:
                    found[value] = name
        _ENUM_TYPES[cls] = found
    return _ENUM_TYPES[cls]


def enum_name_of(cls: type, attr: str) -> str | None:
    """The enum's name when ``cls.attr`` is an enum value reached without it, else None."""
    try:
        value = getattr(cls, attr)
    except Exception:  # noqa: BLE001 - any failure means: not an enum value
        return None
    kind = type(value)
    if inspect.isclass(value) or kind is cls or callable(value) or kind in (int, str, float):
        return None
    name = _enum_types(cls).get(kind)
    if name is None or name == attr:
        return None
    return name


def python_files(paths) -> list[Path]:
    files = []
    for path in paths:
        path = Path(path)
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        files += [p for p in candidates if not SKIP_PARTS & set(p.parts)]
    return files


def findings(path: Path, classes: dict[str, type]):
    """(line, column, end column, message, replacement or None) for each problem of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in {"PyQt5", "PyQt6"}:
                yield node.lineno, node.col_offset, None, f"import from {node.module}", None
            for alias in node.names:
                if alias.name in REMOVED_NAMES:
                    yield node.lineno, node.col_offset, None, REMOVED_NAMES[alias.name], None
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"PyQt5", "PyQt6"}:
                    yield node.lineno, node.col_offset, None, f"import {alias.name}", None
        elif isinstance(node, ast.Attribute):
            if node.attr == "exec_":
                yield node.lineno, node.col_offset, None, "exec_() is exec() in Qt6", None
            if (
                node.attr == "width"
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "fontMetrics"
            ):
                yield node.lineno, node.col_offset, None, "fontMetrics().width is gone", None
            if (
                isinstance(node.value, ast.Name)
                and node.value.id in classes
                and node.value.id not in UNSCOPED_OK
            ):
                enum = enum_name_of(classes[node.value.id], node.attr)
                if enum:
                    scoped = f"{node.value.id}.{enum}.{node.attr}"
                    message = f"{node.value.id}.{node.attr} -> {scoped}"
                    yield node.lineno, node.col_offset, node.end_col_offset, message, scoped
        elif isinstance(node, ast.Subscript):
            if (
                isinstance(node.value, ast.Attribute)
                and node.value.attr == "activated"
                and isinstance(node.slice, ast.Name)
                and node.slice.id == "str"
            ):
                yield node.lineno, node.col_offset, None, "activated[str] is gone", None
        elif isinstance(node, ast.FunctionDef) and node.name == "exec_":
            yield node.lineno, node.col_offset, None, "def exec_ is exec in Qt6", None


def unresolved(path: Path, classes: dict[str, type]) -> list[tuple[int, str]]:
    """``Class.Enum.Value`` chains that the running QGIS does not know (a scoped name that
    exists on one version only)."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in classes
        ):
            cls = classes[node.value.value.id]
            try:
                getattr(getattr(cls, node.value.attr), node.attr)
            except AttributeError:
                found.append((node.lineno, f"{node.value.value.id}.{node.value.attr}.{node.attr}"))
    return found


def fix(path: Path, classes: dict[str, type]) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    edits = [f for f in findings(path, classes) if f[4]]
    for line, col, end, _message, scoped in sorted(edits, reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:col] + scoped + text[end:]
    if edits:
        path.write_text("".join(lines), encoding="utf-8")
    return len(edits)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"check", "fix"}:
        print(__doc__)
        return 2
    from qgis.core import QgsApplication  # noqa: F401 - loads the QGIS bindings

    classes = _classes()
    files = python_files(argv[1:] or [ROOT])
    if argv[0] == "fix":
        total = sum(fix(path, classes) for path in files)
        print(f"{total} enum values scoped")
        return 0
    problems = [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}: {message}"
        for path in files
        for line, _col, _end, message, _scoped in findings(path, classes)
    ] + [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}: "
        f"{name} is unknown to this QGIS"
        for path in files
        for line, name in unresolved(path, classes)
    ]
    print("\n".join(problems) or "ready for Qt6")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
