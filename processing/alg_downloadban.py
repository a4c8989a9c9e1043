"""eit:downloadban — a département's BAN address file for the offline geocoder."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFile,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterString,
)

from ..core.errors import Canceled, EitError
from .alg_geocodeactors import GeocodeProgress
from .base import EitAlgorithm
from .messages import error_message, processing_error


class DownloadBanAlgorithm(EitAlgorithm):
    ALG_ID = "downloadban"
    GROUP_ID = "data"

    DEPARTEMENT = "DEPARTEMENT"
    BASE_URL = "BASE_URL"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    BAN_FILE = "BAN_FILE"

    def displayName(self):
        return self.tr("Download a BAN address file")

    def help_text(self):
        return self.tr(
            "Downloads the Base Adresse Nationale file of one département "
            "(adresses-XX.csv.gz, from adresse.data.gouv.fr) into a folder, for the offline "
            "geocoding of 'Geocode actors' (local BAN file). Only the name of the file is "
            "asked for: nothing about the actors leaves the machine. The file is written only "
            "when complete; a canceled or failed download leaves nothing behind. Data: Base "
            "Adresse Nationale, Licence Ouverte / Open Licence 2.0 (Etalab)."
        )

    def initAlgorithm(self, config=None):
        from ..core.geocode.ban_api import BAN_DOWNLOAD_URL

        self.addParameter(
            QgsProcessingParameterString(
                self.DEPARTEMENT, self.tr("Département code (e.g. 58, 2A, 971)"), "58"
            )
        )
        base = QgsProcessingParameterString(
            self.BASE_URL, self.tr("Download site address"), BAN_DOWNLOAD_URL, optional=True
        )
        base.setFlags(base.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(base)
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.OUTPUT_FOLDER, self.tr("Folder for the BAN file")
            )
        )
        self.addOutput(QgsProcessingOutputFile(self.BAN_FILE, self.tr("BAN file")))

    def checkParameterValues(self, parameters, context):  # noqa: N802 - QGIS API
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        from ..core.geocode.ban_api import normalize_departement

        try:
            normalize_departement(self.parameterAsString(parameters, self.DEPARTEMENT, context))
        except EitError as error:
            return False, error_message(error)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):
        from ..core.geocode.ban_api import BAN_DOWNLOAD_URL, download_ban_file

        code = self.parameterAsString(parameters, self.DEPARTEMENT, context)
        base_url = self.parameterAsString(parameters, self.BASE_URL, context) or BAN_DOWNLOAD_URL
        folder = self.parameterAsFileOutput(parameters, self.OUTPUT_FOLDER, context)
        try:
            path = download_ban_file(code, folder, base_url, progress=GeocodeProgress(feedback))
        except EitError as error:
            raise processing_error(error) from error
        except Canceled:
            return {}
        return {self.OUTPUT_FOLDER: folder, self.BAN_FILE: str(path)}
