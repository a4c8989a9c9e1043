"""eit:regionalsummary — the region's summary of the network, from the schemas it may read."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..core.errors import EitError
from .base import EitAlgorithm
from .messages import processing_error


class RegionalSummaryAlgorithm(EitAlgorithm):
    ALG_ID = "regionalsummary"
    GROUP_ID = "reports"

    DATABASE = "DATABASE"
    OUTPUT = "OUTPUT"
    OUTPUT_HTML = "OUTPUT_HTML"

    def displayName(self):
        return self.tr("Regional network summary")

    def help_text(self):
        return self.tr(
            "Actors, supplies, needs, synergy candidates (by status) and decisions by territory "
            "and resource family, across every territory's schema that the connected role may "
            "read. Only the public-safe views are read: the region's role (eit:grantaccess, "
            "ACCESS 1) is enough. Writes a table and an html page."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterString(
                self.DATABASE,
                self.tr("PostgreSQL database (postgresql:// address or QGIS connection name)"),
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Regional summary"))
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT_HTML, self.tr("Regional page"), self.tr("HTML files (*.html)"),
                optional=True,
            )
        )  # fmt: skip

    def processAlgorithm(self, parameters, context, feedback):
        from ..core.catalogue import Catalogue
        from ..layers.frames import fields_for, frame_to_sink
        from ..layers.postgres import Database, regional_summary
        from ..layers.regional import regional_html

        try:
            db = Database(self.parameterAsString(parameters, self.DATABASE, context))
            summary = regional_summary(db)
        except EitError as error:
            raise processing_error(error) from error
        fields = fields_for(summary, None)
        sink, dest = self.parameterAsSink(
            parameters, self.OUTPUT, context, fields, QgsWkbTypes.Type.NoGeometry
        )
        frame_to_sink(summary, sink, fields, feedback, "__none__")
        outputs = {self.OUTPUT: dest, "TERRITORIES": int(summary["territory"].nunique())}
        page = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context)
        if page:
            families = Catalogue.builtin().families_frame
            labels = dict(zip(families["code"].astype(str), families["label_fr"], strict=True))
            with open(page, "w", encoding="utf-8") as handle:
                handle.write(regional_html(summary, labels, db.label))
            outputs[self.OUTPUT_HTML] = page
        feedback.pushInfo(
            self.tr("{n} territories read: {names}").format(
                n=outputs["TERRITORIES"], names=", ".join(sorted(set(summary["territory"])))
            )
        )
        return outputs
