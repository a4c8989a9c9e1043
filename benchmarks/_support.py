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


def qgis_process(home: Path) -> tuple[list[str], dict]:
    """The ``qgis_process`` command and environment with the plugin enabled in a throw-away
    profile under ``home`` (as ``tests/qgis/test_qgis_process.py`` runs it)."""
    import os
    import shutil
    import subprocess
    import sysconfig

    command = [shutil.which("qgis_process.bin") or shutil.which("qgis_process")]
    plugins = home / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "eit_synergies"
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    (home / "runtime").mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    env.update(
        HOME=str(home),
        QGIS_PLUGINPATH=str(plugins),
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(home / "runtime"),
        PROJ_DATA=env.get("PROJ_DATA", "/usr/share/proj"),
        PYTHONPATH=os.pathsep.join(
            filter(None, [sysconfig.get_paths()["purelib"], env.get("PYTHONPATH")])
        ),
    )
    subprocess.run([*command, "plugins", "enable", "eit_synergies"], env=env,
                   capture_output=True, check=True)  # fmt: skip
    return command, env


_MEASURED = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "returncode": done.returncode,
                  "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "stdout": done.stdout[-4000:], "stderr": done.stderr[-4000:]}))
"""


def run_measured(command: list[str], env: dict) -> dict:
    """Run ``command`` in a fresh wrapper process: wall seconds, CPU seconds and the
    command's own peak resident memory (``ru_maxrss`` of the wrapper's only child)."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-c", _MEASURED, *command], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])
