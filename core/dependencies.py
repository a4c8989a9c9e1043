"""Which optional Python libraries are installed (no import of the libraries themselves), and
how to install them in the Python that QGIS runs."""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
from pathlib import Path

#: import name -> name on PyPI
PYPI_NAMES = {
    "pandas": "pandas",
    "geopandas": "geopandas",
    "shapely": "shapely",
    "pyproj": "pyproj",
    "pint": "pint",
    "rapidfuzz": "rapidfuzz",
    "scipy": "scipy",
    "networkx": "networkx",
    "pyqtgraph": "pyqtgraph",
    "openpyxl": "openpyxl",
    "odf": "odfpy",
    "defusedxml": "defusedxml",
}

#: Libraries QGIS's own Python must keep from the distribution (QGIS, GDAL and PROJ are built
#: against them): the installer never upgrades or replaces them.
DISTRIBUTION_ONLY = ("numpy", "pyproj")

#: The requirements file shipped at the plugin's root (also read by the QPIP plugin).
REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"


def is_available(module: str) -> bool:
    """True when ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(modules=None) -> list[str]:
    """The import names among ``modules`` (default: all known) that are not installed."""
    return [m for m in (modules or PYPI_NAMES) if not is_available(m)]


def pip_command(modules) -> str:
    """The command a user runs to install ``modules`` in the Python that QGIS uses."""
    names = " ".join(PYPI_NAMES.get(m, m) for m in modules)
    return f"python3 -m pip install --user {names}"


def python_executable(
    executable: str | None = None, exec_prefix: str | None = None, platform: str | None = None
) -> str | None:
    """The Python interpreter of the running Python (inside QGIS ``sys.executable`` is often
    the QGIS program itself, not Python), or None when it cannot be found."""
    executable = sys.executable if executable is None else executable
    prefix = Path(sys.exec_prefix if exec_prefix is None else exec_prefix)
    platform = sys.platform if platform is None else platform
    if executable and Path(executable).name.lower().startswith("python"):
        return executable
    major, minor = sys.version_info[:2]
    if platform.startswith("win"):
        candidates = [prefix / "python.exe", prefix / "python3.exe", prefix / "bin" / "python.exe"]
    else:
        candidates = [
            prefix / "bin" / f"python{major}.{minor}",
            prefix / "bin" / f"python{major}",
            prefix / "bin" / "python3",
        ]
    return next((str(c) for c in candidates if c.is_file()), None)


def externally_managed() -> bool:
    """True when the distribution marks its Python as managed by its package manager (PEP 668,
    Debian 12 and later): a user-site install then needs ``--break-system-packages``."""
    stdlib = sysconfig.get_paths().get("stdlib") or ""
    return bool(stdlib) and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED"))


def pip_install_arguments(
    python: str,
    requirements: Path = REQUIREMENTS,
    constraints: Path | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The pip command line that installs ``requirements`` into the user site of ``python``,
    keeping the distribution's numpy and pyproj (``constraints``, see :func:`constraints_text`)."""
    args = [python, "-m", "pip", "install", "--user", "--disable-pip-version-check"]
    if externally_managed():
        args.append("--break-system-packages")
    args += ["-r", str(requirements)]
    if constraints is not None:
        args += ["-c", str(constraints)]
    return args + list(extra or [])


def constraints_text() -> str:
    """Pins for the distribution's own libraries that are installed (never replaced)."""
    from importlib import metadata

    lines = []
    for name in DISTRIBUTION_ONLY:
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join(lines) + "\n"
