#!/usr/bin/env python3
"""``make demo``: the main job on the embedded demo territory, through the real qgis_process.

Writes into ``demo-output/`` (or the folder given as argument); running it again updates the
same folder and keeps the decisions recorded there (yearly-update behaviour).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def main(argv) -> int:
    out = Path(argv[1]).resolve() if len(argv) > 1 else ROOT / "demo-output"
    spec = importlib.util.spec_from_file_location("qp", ROOT / "scripts" / "qgis_process_run.py")
    qp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(qp)
    print(f"EIT Synergies — démonstration sur le territoire fictif de la CC Loire, Nièvre et "
          f"Bertranges\n→ {out}\n")  # fmt: skip
    result = qp.run(
        ["run", "eit:runpipeline", "--json", "--",
         f"ACTORS={DEMO / 'actors.csv'}", f"FLOWS={DEMO / 'flows.csv'}", "PUBLIC=true",
         f"OUTPUT_FOLDER={out}"],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
        return result.returncode
    payload = json.loads(result.stdout[result.stdout.index("{") :])
    results = payload["results"]
    info = payload.get("log", {}).get("info", [])
    lines = info.splitlines() if isinstance(info, str) else [str(x) for x in info]
    for line in lines[-12:]:
        print("  " + line)
    print(
        f"\n{results['ACTORS_COUNT']} acteurs, {results['ROWS_READ']} flux lus "
        f"({results['ROWS_REJECTED']} rejetés), {results['CANDIDATES']} synergies candidates, "
        f"{results['GROUPS']} groupes de mutualisation.\nFichiers écrits :"
    )
    for path in sorted(out.iterdir()):
        if path.is_file():
            print(f"  {path.name:<16} {path.stat().st_size / 1024:8.0f} Kio")
    print(
        "\nPour ouvrir l'espace de travail dans QGIS :  qgis " + str(out / "eit.qgz") +
        "\n(ou QGIS ▸ Projet ▸ Ouvrir…). La synthèse : " + str(out / "synthese.html")
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
