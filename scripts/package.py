#!/usr/bin/env python3
"""Build the installable plugin zip.

``python scripts/package.py OUT_DIR`` writes OUT_DIR/eit_synergies-<version>.zip:

``git archive`` of the working tree's tracked files (uncommitted edits included,
through ``git stash create``) under one lowercase top folder, ``export-ignore`` honoured
(.gitattributes), plus the translations compiled by ``lrelease`` (``.qm`` files are built,
never committed).
"""

from __future__ import annotations

import configparser
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = "eit_synergies"


def version() -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"]


def build(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{FOLDER}-{version()}.zip"
    # a freshly copied checkout has stat-dirty files: refresh the index first, otherwise
    # `git stash create` finds "changes", then none, and exits 1 without a word
    subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=ROOT, capture_output=True)
    stash = subprocess.run(
        # a throw-away commit of the working tree: any identity will do (a machine with no
        # git identity configured would otherwise fail here)
        ["git", "-c", "user.name=eit", "-c", "user.email=eit@localhost", "stash", "create"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if stash.returncode not in (0, 1) or (stash.returncode == 1 and stash.stderr.strip()):
        raise subprocess.CalledProcessError(
            stash.returncode, stash.args, stash.stdout, stash.stderr
        )
    tree = stash.stdout.strip() or "HEAD"  # nothing uncommitted: HEAD
    subprocess.run(
        ["git", "archive", "--format=zip", f"--prefix={FOLDER}/", "-o", str(target), tree],
        cwd=ROOT,
        check=True,
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for ts in sorted((ROOT / "i18n").glob("*.ts")):
            qm = Path(tmp) / (ts.stem + ".qm")
            subprocess.run(["lrelease", "-silent", str(ts), "-qm", str(qm)], check=True)
            archive.write(qm, f"{FOLDER}/i18n/{qm.name}")
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
