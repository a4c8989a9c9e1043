"""Translation of the plugin's user-visible strings (QGIS glue, not core).

Every string a user sees goes through :func:`tr` with its English source text as a
literal: ``scripts/i18n.py`` extracts those literals into ``i18n/eit_synergies_fr.ts``,
``make`` compiles the ``.qm`` that :func:`install_translator` loads for the QGIS locale.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

CONTEXT = "EitSynergies"
I18N_DIR = Path(__file__).resolve().parent / "i18n"

_translator: QTranslator | None = None


def tr(text: str) -> str:
    """Translate ``text`` (an English source string) in the plugin's single context."""
    return QCoreApplication.translate(CONTEXT, text)


def qgis_locale() -> str:
    """The two-letter language QGIS runs in (its override setting, else the system's)."""
    settings = QgsSettings()
    if settings.value("locale/overrideFlag", False, type=bool):
        locale = settings.value("locale/userLocale", "", type=str)
    else:
        locale = settings.value("locale/globalLocale", "", type=str) or QLocale.system().name()
    return (locale or "en")[:2].lower()


def install_translator() -> bool:
    """Load the ``.qm`` of the QGIS locale, if shipped; True when one was installed."""
    global _translator
    remove_translator()
    qm = I18N_DIR / f"eit_synergies_{qgis_locale()}.qm"
    if not qm.exists():
        return False
    translator = QTranslator()
    if not translator.load(str(qm)):
        return False
    QCoreApplication.installTranslator(translator)
    _translator = translator
    return True


def remove_translator() -> None:
    global _translator
    if _translator is not None:
        QCoreApplication.removeTranslator(_translator)
        _translator = None
