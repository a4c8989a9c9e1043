"""eit:exportatlas — synergy candidates, supplies and needs → a PDF atlas for reports."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
)

from ..core.errors import Canceled, EitError
from ..layers.compat import algorithm_flag
from ..translation import tr
from .base import EitAlgorithm
from .inputs import flow_layer_parameters, read_table_parameter
from .messages import processing_error

COVERAGES = ("synergies", "actors", "families")
STATUSES = ("proposed", "retained", "to_explore", "rejected")
LANGUAGES = ("fr", "en")
ORIENTATIONS = ("landscape", "portrait")
METRIC_CRS = "EPSG:2154"


class ExportAtlasAlgorithm(EitAlgorithm):
    ALG_ID = "exportatlas"
    GROUP_ID = "reports"

    SYNERGIES = "SYNERGIES"
    SUPPLY = "SUPPLY"
    NEED = "NEED"
    MUTUALISATION = "MUTUALISATION"
    TERRITORY = "TERRITORY"
    ACTORS = "ACTORS"
    COVERAGE = "COVERAGE"
    PUBLIC = "PUBLIC"
    TITLE = "TITLE"
    STATUS = "STATUSES"
    ORIENTATION = "ORIENTATION"
    LANGUAGE = "LANGUAGE"
    TEMPLATE = "TEMPLATE"
    ATTRIBUTION = "ATTRIBUTION"
    OUTPUT = "OUTPUT"
    OUTPUT_CSV = "OUTPUT_CSV"
    OUTPUT_XLSX = "OUTPUT_XLSX"
    OUTPUT_PNG = "OUTPUT_PNG"

    def flags(self):
        # print layouts and their legends need the main thread
        return super().flags() | algorithm_flag("NoThreading")

    def displayName(self):
        return self.tr("Export the synergy atlas (PDF)")

    def help_text(self):
        return self.tr(
            "Writes a PDF atlas for reports and elected officials: a cover with the "
            "territory's key figures (actors, supplies and needs by family, synergy candidates "
            "by status, tonnes and MWh they can move) and its map, then one page per synergy "
            "candidate (its flows, score parts, impact figures, status and open questions), "
            "per actor (its supplies, needs and candidates) or per resource family (every "
            "supply and need of the family, totals and a chart). Each page has a map, an "
            "overview of the territory, a legend, a scale bar, a north arrow, page numbers, "
            "the date and the data sources. Public version (on by default): a confidential "
            "flow appears without the actor's name (its category instead), with a size class "
            "instead of its quantity and at the centre of its commune; its quantities are "
            "left out of totals and charts, its notes are not printed; nothing confidential "
            "goes into the text, the tables, the map labels or the PDF's properties. The same "
            "rules apply to the optional synergy table (CSV, XLSX) and the map image for "
            "slides (PNG). Give the actors table to name confidential actors by their NAF "
            "activity and to place them by their INSEE code."
        )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.SYNERGIES, self.tr("Synergy candidates (lines)"),
                [QgsProcessing.SourceType.TypeVectorLine],
            )
        )  # fmt: skip
        flow_layer_parameters(self)
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.MUTUALISATION, self.tr("Mutualisation groups (polygons)"),
                [QgsProcessing.SourceType.TypeVectorPolygon], optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.TERRITORY, self.tr("Communes of the territory (polygons)"),
                [QgsProcessing.SourceType.TypeVectorPolygon], optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterEnum(
                self.COVERAGE, self.tr("One page per"),
                [self.tr("Synergy candidate"), self.tr("Actor"), self.tr("Resource family")],
                defaultValue=0,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.PUBLIC, self.tr("Public version (confidential flows masked)"), True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.TITLE, self.tr("Title (empty: the default title)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "TERRITORY_NAME", self.tr("Name of the territory (on the cover)"), optional=True
            )
        )
        advanced = [
            QgsProcessingParameterFeatureSource(
                self.ACTORS, self.tr("Actors table (NAF activity and INSEE code)"),
                [QgsProcessing.SourceType.TypeVector], optional=True,
            ),
            QgsProcessingParameterEnum(
                self.STATUS, self.tr("Candidates shown (by status)"),
                [self.tr("Proposed"), self.tr("Retained"), self.tr("To explore"),
                 self.tr("Rejected")],
                allowMultiple=True, defaultValue=[0, 1, 2],
            ),
            QgsProcessingParameterEnum(
                self.ORIENTATION, self.tr("Page layout"),
                [self.tr("A4 landscape"), self.tr("A4 portrait")], defaultValue=0,
            ),
            QgsProcessingParameterEnum(
                self.LANGUAGE, self.tr("Language of the report"),
                [self.tr("French"), self.tr("English")], defaultValue=0,
            ),
            QgsProcessingParameterFile(
                self.TEMPLATE, self.tr("Own layout template (.qpt with the eit_ items)"),
                optional=True, fileFilter="QGIS layout template (*.qpt)",
            ),
            QgsProcessingParameterString(
                self.ATTRIBUTION, self.tr("Sources line (empty: written from the inputs)"),
                optional=True,
            ),
        ]  # fmt: skip
        for parameter in advanced:
            parameter.setFlags(
                parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced
            )
            self.addParameter(parameter)
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Atlas (PDF)"), "PDF (*.pdf)"
            )
        )
        for name, label, file_filter in (
            (self.OUTPUT_CSV, self.tr("Synergy table (CSV)"), "CSV (*.csv)"),
            (self.OUTPUT_XLSX, self.tr("Synergy table (XLSX)"), "XLSX (*.xlsx)"),
            (self.OUTPUT_PNG, self.tr("Map image for slides (PNG)"), "PNG (*.png)"),
        ):
            self.addParameter(
                QgsProcessingParameterFileDestination(
                    name, label, file_filter, optional=True, createByDefault=False
                )
            )
        self.addOutput(QgsProcessingOutputNumber("PAGES", self.tr("Pages of the atlas")))
        self.addOutput(
            QgsProcessingOutputNumber("MASKED_FLOWS", self.tr("Confidential flows masked"))
        )

    def processAlgorithm(self, parameters, context, feedback):
        try:
            return self.export(parameters, context, feedback)
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            return {}
        except (ValueError, OSError) as error:
            raise QgsProcessingException(str(error)) from error

    def frame(self, parameters, name, context, feedback, required=True):
        from ..layers.frames import source_to_frame

        fast = self.plain_layer_frame(parameters, name, context)
        if fast is not None:
            return fast
        source = self.parameterAsSource(parameters, name, context)
        if source is None:
            if required:
                raise QgsProcessingException(self.invalidSourceError(parameters, name))
            return None
        return source_to_frame(
            source,
            with_geometry=True,
            target_crs=QgsCoordinateReferenceSystem(METRIC_CRS),
            context=context,
            feedback=feedback,
        )

    def plain_layer_frame(self, parameters, name, context):
        """The layer read in one columnar pass when it is a plain OGR table taken whole
        (not its selected features, nor a limited count): ``layers.frames.ogr_frame``."""
        from qgis.core import QgsProcessingFeatureSourceDefinition

        from ..layers.frames import ogr_frame

        value = parameters.get(name)
        if isinstance(value, QgsProcessingFeatureSourceDefinition):
            if value.selectedFeaturesOnly or value.featureLimit != -1:
                return None
            if getattr(value, "filterExpression", ""):
                return None
        layer = self.parameterAsVectorLayer(parameters, name, context)
        return ogr_frame(layer, QgsCoordinateReferenceSystem(METRIC_CRS))

    def export(self, parameters, context, feedback):
        from ..core.flows import read_actors
        from ..layers.atlas import AtlasOptions

        lang = LANGUAGES[self.parameterAsEnum(parameters, self.LANGUAGE, context)]
        actors = None
        if parameters.get(self.ACTORS):
            value, label, _ = read_table_parameter(self, parameters, self.ACTORS, context, feedback)
            actors = read_actors(value, name=label).frame
        inputs = standard_inputs(
            supply=self.frame(parameters, self.SUPPLY, context, feedback),
            need=self.frame(parameters, self.NEED, context, feedback),
            candidates=self.frame(parameters, self.SYNERGIES, context, feedback),
            groups=self.frame(parameters, self.MUTUALISATION, context, feedback, False),
            communes=self.frame(parameters, self.TERRITORY, context, feedback, False),
            actors=actors,
        )
        statuses = [STATUSES[i] for i in self.parameterAsEnums(parameters, self.STATUS, context)]
        title = self.parameterAsString(parameters, self.TITLE, context).strip()
        template = self.parameterAsFile(parameters, self.TEMPLATE, context) or None
        outputs = {}
        for key in (self.OUTPUT_CSV, self.OUTPUT_XLSX, self.OUTPUT_PNG):
            value = parameters.get(key)
            path = self.parameterAsFileOutput(parameters, key, context) if value else ""
            outputs[key] = Path(path) if path else None
        options = AtlasOptions(
            pdf=Path(self.parameterAsFileOutput(parameters, self.OUTPUT, context)),
            coverage=COVERAGES[self.parameterAsEnum(parameters, self.COVERAGE, context)],
            public=self.parameterAsBool(parameters, self.PUBLIC, context),
            title=title or default_title(lang),
            territory=self.parameterAsString(parameters, "TERRITORY_NAME", context).strip(),
            lang=lang,
            orientation=ORIENTATIONS[self.parameterAsEnum(parameters, self.ORIENTATION, context)],
            template=Path(template) if template else None,
            statuses=tuple(statuses or STATUSES[:3]),
            attribution=self.parameterAsString(parameters, self.ATTRIBUTION, context).strip(),
            csv=outputs[self.OUTPUT_CSV],
            xlsx=outputs[self.OUTPUT_XLSX],
            png=outputs[self.OUTPUT_PNG],
            metric_crs=METRIC_CRS,
        )
        result = write_atlas(inputs, options, feedback)
        return {
            self.OUTPUT: str(result.pdf),
            self.OUTPUT_CSV: str(result.csv) if result.csv else None,
            self.OUTPUT_XLSX: str(result.xlsx) if result.xlsx else None,
            self.OUTPUT_PNG: str(result.png) if result.png else None,
            "PAGES": result.pages,
            "MASKED_FLOWS": result.masked_flows,
        }


def standard_inputs(supply, need, candidates=None, groups=None, communes=None, actors=None):
    """The atlas's inputs: the given frames and the plugin's own tables (resource families,
    commune centroids, NAF divisions)."""
    import pandas as pd

    from ..core.catalogue import Catalogue
    from ..core.report_words import read_naf_divisions
    from ..layers.atlas import NAF_DIVISIONS, REFERENCE_COMMUNES, AtlasInputs

    return AtlasInputs(
        supply=supply,
        need=need,
        candidates=candidates,
        groups=groups,
        communes=communes,
        actors=actors,
        families=Catalogue.builtin().families_frame,
        reference=pd.read_csv(REFERENCE_COMMUNES, dtype=str),
        naf_divisions=read_naf_divisions(NAF_DIVISIONS),
    )


def default_title(lang: str) -> str:
    from ..layers.atlas_text import ReportText

    return ReportText(lang).tr("Atlas of the industrial and territorial ecology synergies")


def write_atlas(inputs, options, feedback):
    """:func:`layers.atlas.export_atlas`, with its messages in the log."""
    from ..layers.atlas import export_atlas
    from ..layers.atlas_text import ReportText

    if not ReportText(options.lang).translated:
        feedback.reportError(
            tr("The French translation is not compiled: the report is in English.")
        )
    result = export_atlas(inputs, options, feedback)
    feedback.pushInfo(
        tr("{pages} pages written to {file}; {masked} confidential flows masked.").format(
            pages=result.pages, file=result.pdf, masked=result.masked_flows
        )
    )
    return result
