"""The dock's view of a workspace does not make the QGIS project "modified".

Filters (subset strings), the public switch (project variable) and the workshop styles are
set again from the workspace and the project's saved state each time the dock opens; the
decisions and notes are written in the GeoPackage at once. Changing them is like panning the
map: quitting QGIS after a workshop asks nothing about them. What the user changes outside
the dock keeps marking the project as usual.
"""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def untouched(project):
    """Run the block without turning a clean ``project`` dirty (a dirty one stays dirty)."""
    clean = not project.isDirty()
    try:
        yield
    finally:
        if clean and project.isDirty():
            project.setDirty(False)


def in_temporary_folder(path) -> bool:
    """Is ``path`` in the system's temporary folder? QGIS calls the layers of such a file
    temporary (and asks about them when it closes); the system may erase the folder."""
    from pathlib import Path

    from qgis.PyQt.QtCore import QStandardPaths

    target = Path(path).resolve()
    for folder in QStandardPaths.standardLocations(QStandardPaths.StandardLocation.TempLocation):
        try:
            target.relative_to(Path(folder).resolve())
        except ValueError:
            continue
        return True
    return False


def temporary_warning(path) -> str:
    from pathlib import Path

    from ..translation import tr

    return tr(
        "This workspace is in a temporary folder ({folder}): the computer may erase it, and "
        "QGIS will call its layers temporary when it closes. Run the job again into a lasting "
        "folder, or copy the folder there."
    ).format(folder=Path(path).parent)
