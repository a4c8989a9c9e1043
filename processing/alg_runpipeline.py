"""eit:runpipeline — the whole job on two tables, into a workshop-ready folder."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsWkbTypes,
)

from ..core.errors import Canceled, EitError
from ..core.workspace import ATLAS_NAME, GPKG_NAME, LAYERS, PROJECT_NAME, SUMMARY_NAME
from ..layers.gpkg import read_layer
from ..layers.workspace_writer import WorkspaceWriter
from ..translation import tr
from .base import EitAlgorithm
from .feedback import FeedbackProgress
from .inputs import (
    catalogue_parameters,
    describe_counts,
    load_catalogue,
    read_table_parameter,
    table_parameters,
    top_k_parameter,
)
from .messages import processing_error, translate_rejected
from .summaries import (
    candidates_summary,
    carry_over_summary,
    groups_summary,
    metabolism_summary,
    placement_summary,
)

PLUGIN_DIR = Path(__file__).resolve().parents[1]
DEMO_COMMUNES = PLUGIN_DIR / "data" / "demo" / "communes.geojson"
DEMO_SITES = PLUGIN_DIR / "data" / "demo" / "sites.csv"
TMP_NAME = ".eit-run-en-cours"
#: synergy pages of the atlas at most (a region holds tens of thousands of candidates)
ATLAS_SYNERGIES = 100


class StageClock:
    """Wall and CPU seconds of the run's stages, for the log (technical, in English)."""

    def __init__(self):
        self.inner: dict = {}  # run_pipeline's own stages
        self.background: dict = {}  # wall seconds of work done on another thread meanwhile
        self.done: list[tuple[str, float, float]] = []
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def stage(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.done.append((name, wall - self._wall, cpu - self._cpu))
        self._wall, self._cpu = wall, cpu

    def line(self) -> str:
        stages = ", ".join(f"{n} {w:.1f} s (CPU {c:.1f} s)" for n, w, c in self.done)
        inner = ", ".join(f"{n} {w:.1f}" for n, w in self.inner.items())
        background = "".join(
            f"; {n} on its own thread during the atlas {w:.1f} s"
            for n, w in self.background.items()
        )
        return f"stage timings: {stages}; pipeline stages (s): {inner}{background}"


def atlas_rows(candidates, count: int):
    """Positions of the ``count`` first candidates in the atlas's order (retained, to
    explore, proposed, rejected; best score first; then by id), in the table's order."""
    import numpy as np
    import pandas as pd

    from ..core.report_words import STATUS_ORDER

    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    ordered = pd.DataFrame(
        {
            "_rank": candidates["status"].map(lambda s: rank.get(s, len(rank))).to_numpy(),
            "_score": candidates["score"].fillna(-1).to_numpy(),
            "candidate_id": candidates["candidate_id"].to_numpy(),
        }
    ).sort_values(["_rank", "_score", "candidate_id"], ascending=[True, False, True])
    return np.sort(ordered.index.to_numpy()[:count])


def read_previous(folder: Path) -> dict:
    """The previous run's frames (empty dict on a first run)."""
    gpkg = folder / GPKG_NAME
    if not gpkg.exists():
        return {}
    previous = {}
    for role in ("actors", "supply", "need", "candidates", "groups"):
        frame = read_layer(gpkg, LAYERS[role])
        if frame is not None:
            previous[role] = frame
    for role in ("runs", "decisions"):
        frame = read_layer(gpkg, LAYERS[role], with_geometry=False)
        if frame is not None:
            previous[role] = frame
    return with_lon_lat(previous)


def read_previous_schema(db, schema: str) -> dict:
    """The previous run's frames from a PostgreSQL schema (empty dict on a first run)."""
    from ..layers.postgres import read_workspace

    roles = ("actors", "supply", "need", "candidates", "groups", "runs", "decisions")
    return with_lon_lat(read_workspace(db, schema, roles))


def with_lon_lat(previous: dict) -> dict:
    """The previous actors' WGS84 ``lon``/``lat`` (manual placements are carried over)."""
    actors = previous.get("actors")
    if actors is not None and len(actors) and actors.crs is not None:
        wgs84 = actors.to_crs("EPSG:4326")
        has = wgs84.geometry.notna() & ~wgs84.geometry.is_empty
        actors["lon"] = wgs84.geometry.x.where(has)
        actors["lat"] = wgs84.geometry.y.where(has)
    return previous


def territory_frame(alg, parameters, context, actors):
    """Communes of the territory: the TERRITORY layer, else the shipped CCLNB communes when
    the actors lie in them (read through QGIS's OGR, the only GDAL in the process)."""
    from qgis.core import QgsVectorLayer

    from ..layers.frames import source_to_frame

    source = alg.parameterAsVectorLayer(parameters, "TERRITORY", context)
    if source is None:
        source = QgsVectorLayer(str(DEMO_COMMUNES), "communes", "ogr")
        communes = source_to_frame(source).to_crs("EPSG:2154")
        placed = actors[actors.geometry.notna() & ~actors.geometry.is_empty]
        if not len(placed) or not communes.intersects(placed.geometry.union_all()).any():
            return None
        return communes
    return source_to_frame(source, context=context).to_crs("EPSG:2154")


def candidate_territory(alg, parameters, context):
    """The TERRITORY layer, else the shipped CCLNB communes, as a frame (the core keeps it
    only when actors lie in it)."""
    from qgis.core import QgsVectorLayer

    from ..layers.frames import source_to_frame

    source = alg.parameterAsVectorLayer(parameters, "TERRITORY", context)
    if source is None:
        return source_to_frame(QgsVectorLayer(str(DEMO_COMMUNES), "communes", "ogr"))
    return source_to_frame(source, context=context)


class RunPipelineAlgorithm(EitAlgorithm):
    ALG_ID = "runpipeline"
    GROUP_ID = "workflow"

    ACTORS = "ACTORS"
    FLOWS = "FLOWS"
    BAN_FILE = "BAN_FILE"
    PUBLIC = "PUBLIC"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    DATABASE = "DATABASE"
    SCHEMA = "SCHEMA"

    def displayName(self):
        return self.tr("Run the whole EIT job")

    def help_text(self):
        return self.tr(
            "From an actors table and a flows table: geocodes the actors (coordinates given, "
            "then the local BAN file when given, then the commune), builds the supply and need "
            "layers, finds the substitution synergies (each flow's TOP_K best, 10 by default; "
            "0 keeps every pair within the distance) with optimal allocation and the "
            "mutualisation groups, computes the impact figures, and writes into the output "
            "folder: eit.gpkg (every layer, rejected rows, catalogue, run record), eit.qgz (a "
            "QGIS project ready for the workshop), atlas.pdf and synthese.html. Rerunning on "
            "the same folder with updated tables keeps every status, note and manual "
            "placement (geo_method = given) of what still exists, and reports what is new, "
            "changed and gone. A cancelled run leaves the previous outputs untouched. With "
            "DATABASE (postgresql://user:[password]@host:port/database, or the name of a QGIS "
            "PostgreSQL connection) and SCHEMA, the workspace tables go to that PostGIS "
            "schema instead of eit.gpkg, in one transaction, with public-safe views; eit.qgz "
            "then points at them."
        )

    def initAlgorithm(self, config=None):
        table_parameters(self)
        self.addParameter(
            QgsProcessingParameterFile(
                self.BAN_FILE, self.tr("Local BAN address file (adresses-XX.csv.gz)"),
                optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.PUBLIC, self.tr("Public outputs (confidential flows masked)"), True
            )
        )
        self.addParameter(top_k_parameter("TOP_K"))
        advanced = [
            QgsProcessingParameterFile(
                "SIRENE_FILE", self.tr("Local SIRENE extract (geolocated)"), optional=True
            ),
            QgsProcessingParameterNumber(
                "MAX_DISTANCE_KM",
                self.tr("Maximum distance (km, 0 = each resource's default)"),
                QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0,
            ),
            QgsProcessingParameterNumber(
                "GROUP_DISTANCE_KM",
                self.tr("Maximum distance between members (km, 0 = each resource's default)"),
                QgsProcessingParameterNumber.Type.Double, 10.0, minValue=0.0,
            ),
            QgsProcessingParameterNumber(
                "MIN_ACTORS", self.tr("Minimum number of actors in a group"),
                QgsProcessingParameterNumber.Type.Integer, 2, minValue=2,
            ),
            QgsProcessingParameterVectorLayer(
                "TERRITORY", self.tr("Communes of the territory"),
                [QgsProcessing.SourceType.TypeVectorPolygon], optional=True,
            ),
            QgsProcessingParameterFile(
                "FACILITIES",
                self.tr("Named facilities for origins and destinations (name, longitude, "
                        "latitude)"),
                optional=True,
            ),
            QgsProcessingParameterString(
                "TERRITORY_NAME",
                self.tr("Name of the territory (empty: the EPCI of its communes, else the "
                        "folder's name)"),
                optional=True,
            ),
            QgsProcessingParameterBoolean("ATLAS", self.tr("Export the atlas (PDF)"), True),
        ]  # fmt: skip
        for parameter in advanced:
            parameter.setFlags(
                parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced
            )
            self.addParameter(parameter)
        catalogue_parameters(self)
        self.addParameter(
            QgsProcessingParameterString(
                self.DATABASE,
                self.tr("PostgreSQL database (postgresql:// address or QGIS connection name)"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.SCHEMA, self.tr("Schema of the territory (with a database)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, self.tr("Output folder"))
        )

    def processAlgorithm(self, parameters, context, feedback):
        folder = Path(self.parameterAsString(parameters, self.OUTPUT_FOLDER, context))
        folder.mkdir(parents=True, exist_ok=True)
        work = folder / TMP_NAME
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            outputs = self.run_job(parameters, context, feedback, folder, work)
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            feedback.pushInfo(self.tr("Canceled: the previous outputs are untouched."))
            return {}
        finally:
            if feedback.isCanceled():
                shutil.rmtree(work, ignore_errors=True)
        return outputs

    def run_job(self, parameters, context, feedback, folder: Path, work: Path):
        from ..core.pipeline import PipelineOptions, previous_figures, run_pipeline, run_record

        steps = QgsProcessingMultiStepFeedback(5, feedback)
        catalogue = load_catalogue(self, parameters, context)
        actors_value, actors_label, _ = read_table_parameter(
            self, parameters, self.ACTORS, context, steps
        )
        flows_value, flows_label, _ = read_table_parameter(
            self, parameters, self.FLOWS, context, steps
        )
        database = self.database(parameters, context)
        if database is not None:
            from ..layers.postgres import check_owner, check_schema

            database[0].check_postgis()
            check_schema(*database)
            check_owner(*database)
            previous = read_previous_schema(*database)
        else:
            previous = read_previous(folder)
        if previous:
            steps.pushInfo(self.tr("Previous run found: its decisions are carried over."))
        ban_file = self.parameterAsFile(parameters, self.BAN_FILE, context) or None
        options = PipelineOptions(
            method=0,
            ban_file=ban_file,
            sirene_file=self.parameterAsFile(parameters, "SIRENE_FILE", context) or None,
            max_distance_km=self.parameterAsDouble(parameters, "MAX_DISTANCE_KM", context),
            top_k=self.parameterAsInt(parameters, "TOP_K", context),
            group_distance_km=self.parameterAsDouble(parameters, "GROUP_DISTANCE_KM", context),
            min_actors=self.parameterAsInt(parameters, "MIN_ACTORS", context),
            facilities=self.parameterAsFile(parameters, "FACILITIES", context) or None,
        )
        if (
            options.facilities is None
            and self.parameterAsVectorLayer(parameters, "TERRITORY", context) is None
        ):
            options.facilities = str(DEMO_SITES)  # with the demo communes (territory_frame)
        public = self.parameterAsBool(parameters, self.PUBLIC, context)
        clock = StageClock()
        result = run_pipeline(
            actors_value, flows_value, catalogue, options, previous, FeedbackProgress(steps),
            territory=candidate_territory(self, parameters, context), timings=clock.inner,
        )  # fmt: skip
        clock.stage("pipeline")
        steps.setCurrentStep(1)
        self.check(steps)

        gpkg = work / GPKG_NAME
        territory = territory_frame(self, parameters, context, result.actors)
        name = self.territory_name(parameters, context, territory, result.actors, folder)
        rejected = translate_rejected(result.rejected) if len(result.rejected) else None
        import pandas as pd

        record = run_record(
            result,
            {"actors": actors_value, "flows": flows_value, "ban_file": ban_file},
            {"PUBLIC": public, **options.__dict__},
            name,
        )
        runs = (
            pd.concat([previous.get("runs"), record], ignore_index=True)
            if previous.get("runs") is not None
            else record
        )
        decisions = previous.get("decisions")
        if decisions is None:
            from ..layers.pg_sql import DECISION_COLUMNS

            decisions = pd.DataFrame({c: pd.Series(dtype=str) for c in DECISION_COLUMNS})
        tables = [
            ("actors", result.actors, QgsWkbTypes.Type.Point),
            ("supply", result.supply, QgsWkbTypes.Type.Point),
            ("need", result.need, QgsWkbTypes.Type.Point),
            ("candidates", result.candidates, QgsWkbTypes.Type.LineString),
            ("groups", result.groups, QgsWkbTypes.Type.MultiPolygon),
            ("rejected", rejected if rejected is not None else result.rejected,
             QgsWkbTypes.Type.NoGeometry),
            ("unplaced", result.unplaced, QgsWkbTypes.Type.NoGeometry),
            ("territory", territory, None),
            ("resources", catalogue.resources_frame, QgsWkbTypes.Type.NoGeometry),
            ("compatibility", catalogue.compatibility_frame, QgsWkbTypes.Type.NoGeometry),
            ("runs", runs, QgsWkbTypes.Type.NoGeometry),
            ("decisions", decisions, QgsWkbTypes.Type.NoGeometry),
        ]  # fmt: skip
        # the workspace is written by a thread of its own while QGIS draws the atlas's pages
        # from the same frames (layers.workspace_writer); it starts once the pages are laid
        # out: the drawing releases Python's lock, laying them out does not (started before,
        # the two threads took turns at the lock and both ran slower)
        writing = [(LAYERS[role], frame, kind) for role, frame, kind in tables if frame is not None]
        kinds = {role: kind for role, _, kind in tables}
        with WorkspaceWriter(gpkg, writing, steps.isCanceled) as writer:
            clock.stage("workspace tables")
            atlas = self.export_atlas(parameters, context, steps, work, public, result,
                                      territory, name, kinds, writer.start)  # fmt: skip
            clock.stage("atlas")
            steps.setCurrentStep(2)
            steps.setProgressText(self.tr("Writing the workspace"))
            writer.wait(steps.isCanceled)
        clock.stage("workspace wait")
        clock.background["workspace"] = writer.seconds
        self.check(steps)
        steps.setCurrentStep(3)

        from ..layers.project import build_project

        if database is not None:
            from ..layers.postgres import write_workspace

            frames = {role: frame for role, frame, _ in tables if frame is not None}
            steps.pushInfo(
                self.tr("Writing the workspace into the schema {schema}").format(schema=database[1])
            )
            write_workspace(*database, frames, keep_log=True, families=catalogue.families_frame)
        build_project(
            gpkg, work / PROJECT_NAME, catalogue.families_frame, public, name,
            database=database,
        )  # fmt: skip
        clock.stage("project")
        steps.setCurrentStep(4)
        self.check(steps)

        from ..layers.summary import summary_html

        (work / SUMMARY_NAME).write_text(
            summary_html(
                result.figures, previous_figures(previous.get("runs")), result.candidates,
                result.groups, result.counts, public, supply=result.supply, need=result.need,
                families=catalogue.families_frame,
            ),
            encoding="utf-8",
        )  # fmt: skip
        self.check(steps)
        if database is not None:  # the workspace is the schema: no eit.gpkg in the folder
            for path in work.glob(GPKG_NAME + "*"):
                path.unlink()
        written = self.publish(work, folder)
        clock.stage("summary")
        FeedbackProgress(steps).log(clock.line())
        summary = placement_summary(result.actors) + [describe_counts(result.counts)]
        summary += candidates_summary(
            result.candidates, result.unplaced, families=catalogue.families_frame
        )
        summary += groups_summary(result.groups, options.min_actors)
        summary += metabolism_summary(
            result.figures, result.candidates, previous_figures(previous.get("runs"))
        )
        if previous:
            summary += carry_over_summary(result.reports)
        for line in summary:
            steps.pushInfo(line)
        steps.pushInfo(
            self.tr("Written in {folder}: {files}").format(folder=folder, files=", ".join(written))
        )
        steps.setCurrentStep(5)
        outputs = {
            self.OUTPUT_FOLDER: str(folder),
            "GEOPACKAGE": str(folder / GPKG_NAME) if database is None else None,
            "SCHEMA": database[1] if database is not None else None,
            "TERRITORY_NAME": name,
            "PROJECT": str(folder / PROJECT_NAME),
            "SUMMARY": str(folder / SUMMARY_NAME),
            "ATLAS": str(folder / ATLAS_NAME) if atlas else None,
            "ACTORS_COUNT": len(result.actors),
            "CANDIDATES": len(result.candidates),
            "GROUPS": len(result.groups),
            "ROWS_READ": result.counts["rows_read"],
            "ROWS_REJECTED": result.counts["rows_rejected"],
        }
        for name, report in result.reports.items():
            outputs[f"NEW_{name.upper()}"] = len(report.new)
            outputs[f"GONE_{name.upper()}"] = len(report.gone)
            outputs[f"KEPT_{name.upper()}"] = report.kept
        return outputs

    def database(self, parameters, context):
        """``(Database, schema)`` when DATABASE is given, else None."""
        text = self.parameterAsString(parameters, self.DATABASE, context).strip()
        if not text:
            return None
        from ..layers.postgres import Database

        schema = self.parameterAsString(parameters, self.SCHEMA, context).strip()
        if not schema:
            raise EitError("pg_no_schema", "DATABASE needs SCHEMA")
        return Database(text), schema

    def check(self, feedback):
        if feedback.isCanceled():
            raise Canceled()

    def territory_name(self, parameters, context, territory, actors, folder: Path) -> str:
        """The name given, else the EPCI of the territory's communes (or of the actors'),
        else the output folder's name."""
        import pandas as pd

        from ..core.geocode.communes import DEFAULT_COMMUNES
        from ..core.territory import territory_name

        given = self.parameterAsString(parameters, "TERRITORY_NAME", context)
        reference = pd.read_csv(DEFAULT_COMMUNES, dtype=str) if DEFAULT_COMMUNES.exists() else None
        return territory_name(territory, actors, reference, given) or folder.resolve().name

    def export_atlas(
        self, parameters, context, feedback, work, public, result, territory, name, kinds,
        before_drawing=None,
    ) -> bool:  # fmt: skip
        """The public atlas (when eit:exportatlas can run): one page per synergy, the
        :data:`ATLAS_SYNERGIES` first in the atlas's order on a large territory (the
        workspace and the dock hold them all). Drawn from the run's frames as the workspace
        holds them (:func:`layers.gpkg.stored_frame`): the atlas eit:exportatlas makes of
        the finished workspace with its defaults."""
        if not self.parameterAsBool(parameters, "ATLAS", context):
            return False
        alg = QgsApplication.processingRegistry().algorithmById("eit:exportatlas")
        if alg is None or not alg.canExecute()[0]:
            feedback.pushWarning(self.tr("The atlas export is not available: no atlas written."))
            return False
        from ..layers.atlas import AtlasOptions
        from ..layers.gpkg import stored_frame
        from .alg_exportatlas import (
            COVERAGES,
            LANGUAGES,
            METRIC_CRS,
            ORIENTATIONS,
            STATUSES,
            default_title,
            standard_inputs,
            write_atlas,
        )

        candidates = result.candidates
        rows = None
        if len(candidates) > ATLAS_SYNERGIES:
            rows = atlas_rows(candidates, ATLAS_SYNERGIES)
            feedback.pushInfo(
                self.tr(
                    "The atlas shows the {shown} first synergies of {total} (decided ones, "
                    "then the best scores); the workspace holds them all."
                ).format(shown=ATLAS_SYNERGIES, total=len(candidates))
            )

        def stored(role, frame, rows=None):  # as the workspace's table ``role`` holds it
            if frame is None:
                return None
            return stored_frame(frame, kinds[role], rows).to_crs(METRIC_CRS)

        inputs = standard_inputs(
            supply=stored("supply", result.supply),
            need=stored("need", result.need),
            candidates=stored("candidates", candidates, rows),
            groups=stored("groups", result.groups),
            communes=stored("territory", territory),
        )
        lang = LANGUAGES[0]
        options = AtlasOptions(
            pdf=work / ATLAS_NAME,
            coverage=COVERAGES[0],
            public=public,
            title=default_title(lang),
            territory=name,
            lang=lang,
            orientation=ORIENTATIONS[0],
            statuses=tuple(STATUSES[:3]),
            metric_crs=METRIC_CRS,
            before_drawing=before_drawing,
        )
        try:
            write_atlas(inputs, options, feedback)
        except (ValueError, OSError) as error:
            raise QgsProcessingException(str(error)) from error
        return (work / ATLAS_NAME).exists()

    def publish(self, work: Path, folder: Path) -> list[str]:
        """Move the finished outputs over the previous ones (each move is atomic)."""
        written = []
        for path in sorted(work.iterdir()):
            if path.name.endswith(("-wal", "-shm", "-journal")):
                continue
            target = folder / path.name
            if path.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            path.replace(target)
            written.append(path.name)
        shutil.rmtree(work, ignore_errors=True)
        if not written:
            raise QgsProcessingException(tr("Nothing was written."))
        return written
