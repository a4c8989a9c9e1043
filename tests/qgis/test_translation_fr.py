"""With QGIS in French, the provider's groups and algorithm names come out in French."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from qgis.core import QgsSettings

ROOT = Path(__file__).resolve().parents[2]
QM = ROOT / "i18n" / "eit_synergies_fr.qm"


@pytest.fixture
def french_locale():
    if not QM.exists():  # `make` builds it; build it here too so the test stands alone
        subprocess.run(["lrelease", "-silent", str(QM.with_suffix(".ts")), "-qm", str(QM)])
    settings = QgsSettings()
    old = (settings.value("locale/overrideFlag"), settings.value("locale/userLocale"))
    settings.setValue("locale/overrideFlag", True)
    settings.setValue("locale/userLocale", "fr_FR")
    yield
    settings.setValue("locale/overrideFlag", old[0] or False)
    settings.setValue("locale/userLocale", old[1] or "")


@pytest.fixture
def english_names(recording_iface, qgis_processing, load_plugin):
    """Algorithm display names in the default (English) locale, by algorithm id."""
    plugin = load_plugin(recording_iface)
    names = {alg.id(): alg.displayName() for alg in plugin.provider.algorithms()}
    plugin.unload()
    return names


def test_provider_in_french(english_names, french_locale, recording_iface, load_plugin):
    from eit_synergies.translation import qgis_locale

    assert qgis_locale() == "fr"
    plugin = load_plugin(recording_iface)
    try:
        provider = plugin.provider
        assert "écologie industrielle et territoriale" in provider.longName()
        groups = {alg.group() for alg in provider.algorithms()}
        assert groups and groups <= {
            "Préparation des données", "Synergies", "Rapports", "Chaîne complète"
        }  # fmt: skip
        assert "Préparation des données" in groups
        french = {alg.id(): alg.displayName() for alg in provider.algorithms()}
        assert french and set(french) == set(english_names)
        untranslated = [i for i in french if french[i] == english_names[i]]
        assert not untranslated, f"algorithm names still in English: {untranslated}"
        menu = next(iter(recording_iface.plugin_menus.values()))[0]
        assert menu.text() == "Outils EIT Synergies"
    finally:
        plugin.unload()
    from qgis.PyQt.QtCore import QCoreApplication

    # once unloaded, the translator is gone: strings are back to English
    assert QCoreApplication.translate("EitSynergies", "Data preparation") == "Data preparation"
