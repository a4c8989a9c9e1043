"""eit:copyworkspace — a workspace GeoPackage into a PostgreSQL schema, or back."""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import (
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..core.errors import EitError
from ..core.workspace import LAYERS
from .base import EitAlgorithm
from .messages import processing_error

#: geometry type of each spatial table (the others have none)
WKB_TYPES = {
    "actors": QgsWkbTypes.Type.Point,
    "supply": QgsWkbTypes.Type.Point,
    "need": QgsWkbTypes.Type.Point,
    "candidates": QgsWkbTypes.Type.LineString,
    "groups": QgsWkbTypes.Type.MultiPolygon,
    "territory": None,  # as found
}


class CopyWorkspaceAlgorithm(EitAlgorithm):
    ALG_ID = "copyworkspace"
    GROUP_ID = "workflow"

    GEOPACKAGE = "GEOPACKAGE"
    DATABASE = "DATABASE"
    SCHEMA = "SCHEMA"
    DIRECTION = "DIRECTION"
    OUTPUT = "OUTPUT"

    def displayName(self):
        return self.tr("Copy a workspace (GeoPackage ↔ PostgreSQL)")

    def help_text(self):
        return self.tr(
            "DIRECTION 0: copies every table of a workspace GeoPackage (eit.gpkg) into a "
            "PostgreSQL schema, decisions log included, with the public-safe views, in one "
            "transaction (a failure leaves the schema as it was). DIRECTION 1: copies a "
            "schema's workspace into a new GeoPackage (OUTPUT), written whole before it "
            "replaces the file."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterEnum(
                self.DIRECTION, self.tr("Direction"),
                [self.tr("GeoPackage → PostgreSQL schema"),
                 self.tr("PostgreSQL schema → GeoPackage")],
                defaultValue=0,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterFile(
                self.GEOPACKAGE, self.tr("Workspace GeoPackage (eit.gpkg)"), extension="gpkg",
                optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterString(
                self.DATABASE,
                self.tr("PostgreSQL database (postgresql:// address or QGIS connection name)"),
            )
        )
        self.addParameter(
            QgsProcessingParameterString(self.SCHEMA, self.tr("Schema of the territory"))
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("GeoPackage written (schema → GeoPackage)"),
                self.tr("GeoPackage (*.gpkg)"), optional=True,
            )
        )  # fmt: skip

    def processAlgorithm(self, parameters, context, feedback):
        from ..layers.postgres import Database

        direction = self.parameterAsEnum(parameters, self.DIRECTION, context)
        schema = self.parameterAsString(parameters, self.SCHEMA, context).strip()
        try:
            db = Database(self.parameterAsString(parameters, self.DATABASE, context))
            if direction == 0:
                gpkg = self.parameterAsFile(parameters, self.GEOPACKAGE, context)
                count = self.to_schema(Path(gpkg), db, schema, feedback)
                target = schema
            else:
                target = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
                count = self.to_gpkg(db, schema, Path(target), feedback)
        except EitError as error:
            raise processing_error(error) from error
        feedback.pushInfo(self.tr("{n} tables copied into {target}").format(n=count, target=target))
        return {self.OUTPUT: target, "TABLES": count}

    def to_schema(self, gpkg: Path, db, schema: str, feedback) -> int:
        from ..core.catalogue import Catalogue
        from ..layers.gpkg import read_layer
        from ..layers.postgres import write_workspace

        if not gpkg.is_file():
            raise EitError("file_not_found", f"{gpkg}: not found", file=str(gpkg))
        tables = {}
        for role, table in LAYERS.items():
            frame = read_layer(gpkg, table, with_geometry=role in WKB_TYPES)
            if frame is not None:
                tables[role] = frame
        if "candidates" not in tables:
            raise EitError("not_a_workspace", f"{gpkg}: no synergies table", file=str(gpkg))
        feedback.setProgress(40)
        write_workspace(db, schema, tables, keep_log=False,
                        families=Catalogue.builtin().families_frame)  # fmt: skip
        return len(tables)

    def to_gpkg(self, db, schema: str, target: Path, feedback) -> int:
        from ..layers.gpkg import write_layer
        from ..layers.pg_sql import valid_name
        from ..layers.postgres import read_workspace

        if not valid_name(schema) or "candidates" not in (frames := read_workspace(db, schema)):
            raise EitError("pg_no_workspace", f"{schema} holds no workspace", schema=schema)
        partial = target.with_name(target.stem + ".partiel.gpkg")
        partial.unlink(missing_ok=True)
        try:
            for i, (role, frame) in enumerate(frames.items()):
                wkb = WKB_TYPES.get(role, QgsWkbTypes.Type.NoGeometry)  # None: the frame's
                write_layer(frame, partial, LAYERS[role], None, wkb)
                feedback.setProgress(100.0 * (i + 1) / len(frames))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return len(frames)
