"""Read one hostile file the way the algorithms do, in a process of its own (run by
``test_hostile_inputs.py`` under a memory limit and a timeout).

    python _hostile_read.py PATH flows|actors|layers

Prints one JSON line: ``{"result": "ok", ...counts, codes, rows}`` or
``{"result": "error", "code": ..., "message": ...}`` (an ``EitError``), and the peak
resident memory. Any other exception is a traceback and exit code 3: a failure.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _register():
    spec = importlib.util.spec_from_file_location("eit_tests_conftest", ROOT / "tests/conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.register_package()


def _peak_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(path: str, mode: str) -> dict:
    import pandas as pd
    from eit_synergies.core.errors import EitError
    from eit_synergies.core.flows import build_flows, read_actors
    from eit_synergies.core.tables import read_table

    try:
        if mode == "flows":
            actors = pd.DataFrame({"id": ["A1", "A2", "A3"], "nom": ["a", "b", "c"]})
            result = build_flows(read_actors(actors), path)
            counts, rejected = result.counts, result.rejected
        elif mode == "actors":
            table = read_actors(path)
            rejected = table.rejected
            counts = {"rows_used": len(table.frame), "rows_rejected": len(rejected)}
        else:  # every layer of a vector file, by its name
            import pyogrio

            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            frames = {name: read_table(path, layer=name) for name in names}
            return {
                "result": "ok",
                "layers": {name: frame["nom"].tolist() for name, frame in frames.items()},
            }
    except EitError as error:
        return {"result": "error", "code": error.code, "message": str(error)[:2000]}
    return {
        "result": "ok",
        **counts,
        "codes": rejected["reason_code"].tolist(),
        "rows": [int(r) for r in rejected["row"]],
        "fields": [str(f) for f in rejected["field"]],
    }


if __name__ == "__main__":
    _register()
    try:
        out = run(sys.argv[1], sys.argv[2])
    except BaseException:
        traceback.print_exc()
        sys.exit(3)
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))
