"""The workshop dock in the real QGIS desktop (Xvfb), on the demo workspace, in French."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def _desktop():
    spec = importlib.util.spec_from_file_location("eit_test_desktop", HERE / "test_desktop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dock_in_the_real_desktop(tmp_path, monkeypatch, french_qm_dir):
    desktop = _desktop()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dock.png"
    presentation = ARTIFACTS / "dock-presentation.png"
    for path in (shot, presentation):
        if path.exists():
            path.unlink()
    original = desktop.make_profile

    def french_profile(base):
        profiles = original(base)
        ini = profiles / "profiles" / "default" / "QGIS" / "QGIS3.ini"
        ini.write_text(
            ini.read_text(encoding="utf-8")
            + "\n[locale]\noverrideFlag=true\nuserLocale=fr_FR\nglobalLocale=fr_FR\n",
            encoding="utf-8",
        )
        return profiles

    monkeypatch.setattr(desktop, "make_profile", french_profile)
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    report = desktop.run_desktop(
        tmp_path,
        HERE / "dock_startup.py",
        {
            "EIT_DOCK_SCREENSHOT": str(shot),
            "EIT_DOCK_PRESENTATION_SCREENSHOT": str(presentation),
            "EIT_DOCK_FOLDER": str(tmp_path / "atelier"),
            "EIT_DOCK_TESTS": str(HERE),
            "EIT_EXTRA_QM": str(french_qm_dir / "eit_synergies_fr.qm"),
            # the workspace lies in a lasting folder, as a facilitator keeps it (pytest's
            # folders are in the system's temporary one, which the dock points out)
            "TMPDIR": str(system_tmp),
        },
        timeout=200,
    )
    assert "error" not in report, report.get("error")
    assert report["opened"] and report["rows"] > 50
    assert {"actors", "supply", "need", "candidates"} <= set(report["layers"])
    assert report["decided"] == 4
    texts = " ".join(report["list_texts"])
    assert "Huilerie Zorglub Confidentielle" not in texts  # public by default
    assert "à poursuivre" in texts.lower()  # French in the room ("À poursuivre")
    p = report["presentation"]
    assert p["active"] and p["public"] and not p["menubar_visible"]
    assert p["visible_toolbars"] == 0 and p["legend"]
    after = report["after_esc"]
    assert not after["active"] and after["menubar_visible"] and after["visible_toolbars"] > 0
    assert report["saved"]
    assert report["first"] == {"docks": 1, "toolbars": 1}
    assert report["after_unload"] == {"docks": 0, "toolbars": 0}
    assert report["after_reload"] == {"docks": 0, "toolbars": 1}  # the dock opens on demand
    restored = report["restored"]
    assert restored["dock"] and restored["workspace"].endswith("eit.gpkg")
    assert restored["decided"] == 4
    assert report["bands"] == 3  # the selected actor's two rings and its lines
    for path in (shot, presentation):
        assert path.exists() and path.stat().st_size > 50_000
