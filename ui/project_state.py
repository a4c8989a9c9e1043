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
