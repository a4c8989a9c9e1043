"""eit:grantaccess — PostgreSQL privileges of a role on a territory's schema."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterString,
)

from ..core.errors import EitError
from .base import EitAlgorithm
from .messages import processing_error


class GrantAccessAlgorithm(EitAlgorithm):
    ALG_ID = "grantaccess"
    GROUP_ID = "workflow"

    DATABASE = "DATABASE"
    SCHEMA = "SCHEMA"
    ROLE = "ROLE"
    ACCESS = "ACCESS"

    def displayName(self):
        return self.tr("Grant access to a territory's schema")

    def help_text(self):
        return self.tr(
            "Gives a PostgreSQL role, created beforehand by the administrator, its access to "
            "the workspace of one territory. ACCESS 0, the territory's team: read and write "
            "every table of the schema (decisions, notes, flows). ACCESS 1, the region: read "
            "only the schema's views (v_acteurs, v_flux, v_synergies, v_mutualisations, "
            "v_decisions, v_familles), in which confidential actors and flows are masked as in "
            "the public atlas; every base table answers 'permission denied'. The database "
            "enforces it: a role with no grant reads nothing. Whatever the role had on the "
            "schema before is replaced. Run it as the owner of the schema's tables."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterString(
                self.DATABASE,
                self.tr("PostgreSQL database (postgresql:// address or QGIS connection name)"),
            )
        )
        self.addParameter(
            QgsProcessingParameterString(self.SCHEMA, self.tr("Schema of the territory"))
        )
        self.addParameter(QgsProcessingParameterString(self.ROLE, self.tr("PostgreSQL role")))
        self.addParameter(
            QgsProcessingParameterEnum(
                self.ACCESS, self.tr("Access"),
                [self.tr("The territory's team (read and write)"),
                 self.tr("The region (public-safe views, read only)")],
                defaultValue=0,
            )
        )  # fmt: skip
        self.addOutput(QgsProcessingOutputString("GRANTED", self.tr("Access granted")))

    def processAlgorithm(self, parameters, context, feedback):
        from ..layers.postgres import Database, grant_access

        schema = self.parameterAsString(parameters, self.SCHEMA, context).strip()
        role = self.parameterAsString(parameters, self.ROLE, context).strip()
        access = self.parameterAsEnum(parameters, self.ACCESS, context)
        try:
            db = Database(self.parameterAsString(parameters, self.DATABASE, context))
            grant_access(db, schema, role, access)
        except EitError as error:
            raise processing_error(error) from error
        text = (
            self.tr("{role}: read and write on the schema {schema}")
            if access == 0
            else self.tr("{role}: read only on the public-safe views of {schema}")
        ).format(role=role, schema=schema)
        feedback.pushInfo(text)
        return {"GRANTED": text}
