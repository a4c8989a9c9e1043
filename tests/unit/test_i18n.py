"""Every user-visible string of the plugin exists in French."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_tool():
    spec = importlib.util.spec_from_file_location("eit_i18n_tool", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_translation_is_complete_and_in_step_with_the_code():
    tool = load_tool()
    strings = tool.extract()
    assert "Data preparation" in strings  # the extractor sees the plugin's tr() calls
    assert tool.problems() == []


def test_extractor_catches_a_new_untranslated_string(tmp_path):
    tool = load_tool()
    (tmp_path / "i18n").mkdir()
    shutil.copy(ROOT / "i18n" / "eit_synergies_fr.ts", tmp_path / "i18n")
    (tmp_path / "eit_plugin.py").write_text("x = tr('A brand new label')\n", encoding="utf-8")
    issues = tool.problems(tmp_path)
    assert any("A brand new label" in i and "not in the .ts" in i for i in issues)


def test_ts_compiles_with_lrelease(tmp_path):
    qm = tmp_path / "fr.qm"
    result = subprocess.run(
        ["lrelease", str(ROOT / "i18n" / "eit_synergies_fr.ts"), "-qm", str(qm)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert qm.stat().st_size > 0
    assert "0 unfinished" in result.stdout


def test_french_translations_are_not_copies_of_the_english():
    root = ET.parse(ROOT / "i18n" / "eit_synergies_fr.ts").getroot()
    pairs = [(m.findtext("source"), m.findtext("translation")) for m in root.iter("message")]
    different = [s for s, t in pairs if s != t]
    # Proper nouns (the plugin's name) stay the same; most strings must really be French.
    assert len(different) >= 0.7 * len(pairs)
