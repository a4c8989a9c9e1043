"""The atlas's words in the report's language, whatever the language QGIS runs in.

A report for elected officials is French even when the consultant's QGIS is in English:
:class:`ReportText` translates with its own ``QTranslator`` loaded from the plugin's French
``.qm`` (the same strings as the rest of the plugin, extracted from the ``.tr("…")`` calls),
and gives the English source text for ``lang="en"``.
"""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QTranslator

from ..translation import CONTEXT, I18N_DIR

LANGUAGES = ("fr", "en")


class ReportText:
    """``tr(text)`` in the report's language (``"fr"`` or ``"en"``)."""

    #: Where the compiled translations are looked for (tests point it at a fresh build).
    qm_dir: Path = I18N_DIR

    def __init__(self, lang: str = "fr"):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown report language {lang!r}")
        self.lang = lang
        self._translator = None
        if lang != "en":
            translator = QTranslator()
            qm = Path(self.qm_dir) / f"eit_synergies_{lang}.qm"
            if qm.exists() and translator.load(str(qm)):
                self._translator = translator

    @property
    def translated(self) -> bool:
        """True when the report's language is English or its translation was found."""
        return self.lang == "en" or self._translator is not None

    def tr(self, text: str) -> str:
        if self._translator is None:
            return text
        # char* arguments: PyQt5 encodes str ones as ASCII, so give it the UTF-8 bytes
        found = self._translator.translate(CONTEXT.encode("utf-8"), text.encode("utf-8"))
        return found or text
