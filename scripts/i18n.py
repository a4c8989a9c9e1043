#!/usr/bin/env python3
"""Keep the French translation in step with the code.

    python scripts/i18n.py update   # add new source strings to i18n/*.ts, drop removed ones
    python scripts/i18n.py check    # exit 1 if a string is missing or untranslated
    python scripts/i18n.py fill < translations.tsv   # "English<TAB>French" lines fill the .ts

Source strings are the literal first arguments of ``tr(...)`` / ``self.tr(...)`` calls in the
plugin's Python files, all in one context (``translation.CONTEXT``), which is why this small
extractor is used rather than pylupdate5 (pylupdate5 gives every class its own context, and
the context must be the same at run time). ``lrelease`` (Qt's tool) compiles the ``.ts``.
"""

from __future__ import annotations

import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = "EitSynergies"
LANGUAGES = {"fr": "fr_FR"}
SKIP_DIRS = {".venv", "tests", "benchmarks", "scripts", ".git", "build", "dist", "demo-output"}


def plugin_sources(root: Path = ROOT):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in SKIP_DIRS or "core" == rel.parts[0]:
            continue  # the core never translates (see ARCHITECTURE.md)
        yield path


def extract(root: Path = ROOT) -> dict[str, list[str]]:
    """source string -> locations (file:line), in order of first appearance."""
    found: dict[str, list[str]] = {}
    for path in plugin_sources(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name != "tr":
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                loc = f"{path.relative_to(root)}:{node.lineno}"
                found.setdefault(arg.value, []).append(loc)
            else:
                raise SystemExit(
                    f"{path.relative_to(root)}:{node.lineno}: tr() needs a string literal"
                )
    return found


def ts_path(lang: str, root: Path = ROOT) -> Path:
    return root / "i18n" / f"eit_synergies_{lang}.ts"


def read_ts(path: Path) -> dict[str, tuple[str, str]]:
    """source -> (translation, type attribute) from a .ts file."""
    if not path.exists():
        return {}
    out = {}
    for message in ET.parse(path).getroot().iter("message"):
        source = message.findtext("source") or ""
        tr_el = message.find("translation")
        out[source] = (tr_el.text or "" if tr_el is not None else "", tr_el.get("type", ""))
    return out


def write_ts(path: Path, lang: str, strings: dict[str, list[str]], old) -> None:
    ts = ET.Element("TS", version="2.1", language=LANGUAGES[lang])
    context = ET.SubElement(ts, "context")
    ET.SubElement(context, "name").text = CONTEXT
    for source, locations in strings.items():
        message = ET.SubElement(context, "message")
        for filename in dict.fromkeys(loc.rsplit(":", 1)[0] for loc in locations):
            ET.SubElement(message, "location", filename=f"../{filename}")
        ET.SubElement(message, "source").text = source
        translation, _ = old.get(source, ("", ""))
        el = ET.SubElement(message, "translation")
        el.text = translation
        if not translation:
            el.set("type", "unfinished")
    ET.indent(ts)
    body = ET.tostring(ts, encoding="unicode")
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8"
    )


def problems(root: Path = ROOT) -> list[str]:
    """Every way the shipped translations lag behind the code."""
    strings = extract(root)
    issues = []
    for lang in LANGUAGES:
        existing = read_ts(ts_path(lang, root))
        for source in strings:
            if source not in existing:
                issues.append(f"{lang}: not in the .ts (run 'make translations'): {source!r}")
            elif not existing[source][0] or existing[source][1] == "unfinished":
                issues.append(f"{lang}: no translation yet: {source!r}")
        for source in existing:
            if source not in strings:
                issues.append(f"{lang}: obsolete (no longer in the code): {source!r}")
    return issues


def main(argv) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        strings = extract()
        for lang in LANGUAGES:
            write_ts(ts_path(lang), lang, strings, read_ts(ts_path(lang)))
        print(f"{len(strings)} strings written to i18n/")
        return 0
    if command == "fill":
        old = read_ts(ts_path("fr"))
        for line in sys.stdin.read().splitlines():
            if "\t" in line:
                source, french = line.split("\t", 1)
                old[source.replace("\\n", "\n")] = (french.replace("\\n", "\n"), "")
        write_ts(ts_path("fr"), "fr", extract(), old)
        return main([argv[0], "check"])
    issues = problems()
    for issue in issues:
        print(issue)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
