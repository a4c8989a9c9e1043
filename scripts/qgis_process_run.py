#!/usr/bin/env python3
"""Run ``qgis_process`` with this plugin enabled, from the project's venv.

    .venv/bin/python scripts/qgis_process_run.py run eit:runpipeline -- ACTORS=... FLOWS=...

Copes with Debian's wrapper (``qgis_process`` adds ``--noversioncheck``, which QGIS 3.22's
``qgis_process`` rejects: ``qgis_process.bin`` is used when present), uses a throw-away
QGIS profile under ``build/qgis-home`` (``plugins enable`` is remembered in the profile, the
user's own profile is left alone), and hands the venv's libraries to QGIS's Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = "eit_synergies"


def command() -> list[str]:
    for name in ("qgis_process.bin", "qgis_process"):
        found = shutil.which(name)
        if found:
            return [found]
    raise SystemExit("qgis_process not found: run 'make setup'")


def environment(home: Path) -> dict[str, str]:
    plugins = home / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / FOLDER
    if link.is_symlink() and link.resolve() != ROOT:
        link.unlink()
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    env.update(
        HOME=str(home),
        QGIS_PLUGINPATH=str(plugins),
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=os.pathsep.join(
            filter(None, [sysconfig.get_paths()["purelib"], os.environ.get("PYTHONPATH")])
        ),
    )
    return env


def set_locale(home: Path, locale: str) -> None:
    """The throw-away profile's language (French by default: the plugin's users are French)."""
    ini = home / ".local/share/QGIS/QGIS3/profiles/default/QGIS/QGIS3.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    text = ini.read_text(encoding="utf-8") if ini.exists() else ""
    if "[locale]" not in text:
        text += f"\n[locale]\noverrideFlag=true\nuserLocale={locale}\n"
        ini.write_text(text, encoding="utf-8")


def run(args, home: Path | None = None, locale=None, **kwargs) -> subprocess.CompletedProcess:
    """Run qgis_process; ``locale`` (default $EIT_LOCALE or fr_FR) is the profile's language."""
    home = home or ROOT / "build" / "qgis-home"
    env = environment(home)
    set_locale(home, locale or os.environ.get("EIT_LOCALE", "fr_FR"))
    enabled = home / ".eit-enabled"
    if not enabled.exists():
        subprocess.run(command() + ["plugins", "enable", FOLDER], env=env, capture_output=True)
        enabled.touch()
    return subprocess.run(command() + list(args), env=env, **kwargs)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]).returncode)
