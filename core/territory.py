"""The territory's name: what the room reads on the wall, the project and the atlas cover.

A workspace covers an intercommunality (EPCI) or any area a user draws. Its name is found,
in this order, from:

1. a name the user gives (``TERRITORY_NAME`` of ``eit:runpipeline``);
2. the territory layer: a column naming the EPCI (``epci_nom``...) shared by most of its
   features, else the EPCI that holds most of its communes (INSEE codes looked up in the
   reference communes table, ``epci_nom``), else the name of a territory drawn as one
   feature (a perimeter);
3. the actors' INSEE codes, looked up the same way;
4. nothing (the caller then uses the output folder's name).

A commune's name is never taken for the territory's: a layer of communes has many rows.
"""

from __future__ import annotations

import pandas as pd

from .geocode.normalize import normalize_insee
from .tables import normalise_key

#: columns naming the EPCI of a commune (compared with :func:`core.tables.normalise_key`)
EPCI_NAME_COLUMNS = ("epci_nom", "nom_epci", "epci_name", "libepci", "lib_epci", "epci_libelle",
                     "libelle_epci", "intercommunalite", "intercommunality")  # fmt: skip
#: columns holding a commune's INSEE code
INSEE_COLUMNS = ("code_insee", "insee", "insee_com", "codgeo", "code_commune", "citycode")
#: columns naming a feature
NAME_COLUMNS = ("nom", "name", "libelle", "label", "territoire", "territory")
#: share of the communes (or actors) an EPCI must hold to name the territory
MAJORITY = 0.5


def _column(frame, names) -> str | None:
    if frame is None or not len(frame.columns):
        return None
    keys = {normalise_key(c): c for c in frame.columns}
    for name in names:
        found = keys.get(normalise_key(name))
        if found is not None:
            return found
    return None


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _dominant(values) -> str | None:
    """The value most rows share, when it is at least :data:`MAJORITY` of the rows."""
    texts = pd.Series([_text(v) for v in values], dtype=object)
    if not len(texts):
        return None
    counts = texts[texts != ""].value_counts()
    if not len(counts) or counts.iloc[0] < MAJORITY * len(texts):
        return None
    return str(counts.index[0])


def epci_of_communes(codes, reference: pd.DataFrame | None) -> str | None:
    """The name of the EPCI holding most of the communes ``codes`` (INSEE), from the reference
    table (columns ``code_insee`` and ``epci_nom``); None when none holds a majority."""
    if reference is None or not len(reference):
        return None
    insee = _column(reference, INSEE_COLUMNS)
    epci = _column(reference, EPCI_NAME_COLUMNS)
    if insee is None or epci is None:
        return None
    names = dict(zip(reference[insee].map(normalize_insee), reference[epci], strict=True))
    codes = [normalize_insee(c) for c in codes]
    codes = [c for c in codes if c]
    if not codes:
        return None
    return _dominant([names.get(c) for c in codes])


def territory_name(territory=None, actors=None, reference=None, given=None) -> str | None:
    """The territory's name (see the module docstring), or None."""
    if _text(given):
        return _text(given)
    if territory is not None and len(territory):
        column = _column(territory, EPCI_NAME_COLUMNS)
        if column is not None:
            found = _dominant(territory[column])
            if found:
                return found
        column = _column(territory, INSEE_COLUMNS)
        if column is not None:
            found = epci_of_communes(territory[column], reference)
            if found:
                return found
        column = _column(territory, NAME_COLUMNS)
        if column is not None and len(territory) == 1 and _text(territory[column].iloc[0]):
            return _text(territory[column].iloc[0])
    if actors is not None and len(actors):
        column = _column(actors, INSEE_COLUMNS)
        if column is not None:
            return epci_of_communes(actors[column], reference)
    return None


def recorded_name(runs=None, territory=None) -> str | None:
    """The name a workspace holds: the latest run's ``territory_name``, else what its
    territory table tells (an EPCI column, a single named feature)."""
    if runs is not None and len(runs) and "territory_name" in runs.columns:
        order = runs.sort_values("run_at") if "run_at" in runs.columns else runs
        names = [_text(v) for v in order["territory_name"]]
        names = [n for n in names if n]
        if names:
            return names[-1]
    return territory_name(territory)
