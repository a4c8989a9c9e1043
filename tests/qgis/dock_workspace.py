"""A demo workspace (``eit.gpkg``) for the dock's tests, benchmark and desktop screenshot.

Built by running the plugin's algorithms on the demo territory, each output written into one
GeoPackage under the table names of ``core.workspace.LAYERS`` (as ``eit:runpipeline`` will);
the actors table is geocoded by the core and written with ``layers.workspace.write_table``.
Not a test module: load it by path (tests run with ``--import-mode=importlib``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
#: a name planted on a confidential actor (A04) to prove that public mode hides it
SECRET_NAME = "Huilerie Zorglub Confidentielle"
SECRET_ACTOR = "A04"


def destination(gpkg: Path, table: str, geometry=True) -> str:
    suffix = " (geom)" if geometry else ""
    return f"ogr:dbname='{gpkg}' table=\"{table}\"{suffix}"


def planted_actors(folder: Path) -> Path:
    """The demo actors with :data:`SECRET_NAME` given to the confidential actor A04."""
    lines = (DEMO / "actors.csv").read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        cells = line.split(";")
        if cells[0] == SECRET_ACTOR:
            assert cells[-1] == "oui", "A04 must stay a confidential actor of the demo"
            cells[1] = SECRET_NAME
        out.append(";".join(cells))
    path = folder / "actors.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def build_demo_workspace(folder: Path, plant_secret=True, max_distance_km=0.0) -> Path:
    """``folder/eit.gpkg`` with acteurs, gisements, besoins, lignes_rejetees, synergies,
    mutualisations and territoire made from the demo tables."""
    import geopandas as gpd
    from eit_synergies.core.flows import read_actors
    from eit_synergies.core.geocode.pipeline import geocode_actors
    from eit_synergies.core.workspace import GPKG_NAME, LAYERS
    from eit_synergies.layers.workspace import write_table
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / GPKG_NAME
    if gpkg.exists():
        gpkg.unlink()
    inputs = folder / "inputs"
    inputs.mkdir(exist_ok=True)
    actors_csv = planted_actors(inputs) if plant_secret else DEMO / "actors.csv"
    flows_csv = inputs / "flows.csv"
    shutil.copy(DEMO / "flows.csv", flows_csv)

    # acteurs: the actors placed by the core's geocoder (coordinates, else commune)
    table = read_actors(str(actors_csv))
    placed = geocode_actors(table.frame, method=0)
    keep = [
        "actor_id", "name", "category", "siret", "naf", "address", "postcode", "city", "insee",
        "confidential", "geo_status", "geo_score", "geo_method", "geo_precision", "geo_label",
        "lon", "lat",
    ]  # fmt: skip
    actors = gpd.GeoDataFrame(
        placed[keep].copy(),
        geometry=gpd.points_from_xy(placed["lon"], placed["lat"], crs="EPSG:4326"),
    ).to_crs("EPSG:2154")
    write_table(actors, gpkg, LAYERS["actors"])
    territory = gpd.read_file(DEMO / "perimetre.geojson").to_crs("EPSG:2154")
    write_table(territory[["geometry"]].assign(name="CC Loire, Nièvre et Bertranges"), gpkg,
                LAYERS["territory"])  # fmt: skip

    def run(alg, parameters):
        return processing.run(
            alg, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
        )

    run(
        "eit:buildflowlayers",
        {
            "ACTORS": str(gpkg) + f"|layername={LAYERS['actors']}",
            "FLOWS": str(flows_csv),
            "OUTPUT_SUPPLY": destination(gpkg, LAYERS["supply"]),
            "OUTPUT_NEED": destination(gpkg, LAYERS["need"]),
            "OUTPUT_REJECTED": destination(gpkg, LAYERS["rejected"], geometry=False),
        },
    )
    supply = str(gpkg) + f"|layername={LAYERS['supply']}"
    need = str(gpkg) + f"|layername={LAYERS['need']}"
    run(
        "eit:synergycandidates",
        {
            "SUPPLY": supply,
            "NEED": need,
            "MAX_DISTANCE_KM": max_distance_km,
            "OUTPUT": destination(gpkg, LAYERS["candidates"]),
        },
    )
    run(
        "eit:mutualisationcandidates",
        {
            "NEED": need,
            "SUPPLY": supply,
            "MAX_DISTANCE_KM": 10,
            "MIN_ACTORS": 3,
            "OUTPUT": destination(gpkg, LAYERS["groups"]),
        },
    )
    return gpkg
