"""What the benchmarks share (not a benchmark: ``make benchmarks`` runs ``bench_*.py``)."""

from __future__ import annotations

import importlib.util
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def register_package():
    """Import the repository as ``eit_synergies`` through ``tests/conftest.py`` (the one
    place that knows how; it also points pyproj at the system's PROJ data)."""
    conftest = sys.modules.get("eit_tests_conftest")
    if conftest is None:
        spec = importlib.util.spec_from_file_location(
            "eit_tests_conftest", ROOT / "tests" / "conftest.py"
        )
        conftest = importlib.util.module_from_spec(spec)
        sys.modules["eit_tests_conftest"] = conftest
        spec.loader.exec_module(conftest)
    return conftest.register_package()


def peak_memory_mb() -> float:
    """Peak resident memory of this process (VmHWM: ``ru_maxrss`` would include the RSS of
    the parent at fork time, which Linux carries across exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
