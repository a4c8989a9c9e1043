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


def test_hostile_inputs_explained_in_french(french_locale, recording_iface, load_plugin, tmp_path):
    """A header in another language, a table of 10,001 columns and a broken line: French
    messages and French reasons in the rejected output."""
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

    actors = ROOT / "data" / "demo" / "actors.csv"
    plugin = load_plugin(recording_iface)
    try:

        def run(flows):
            return processing.run(
                "eit:buildflowlayers",
                {"ACTORS": str(actors), "FLOWS": str(flows), "OUTPUT_SUPPLY": "memory:",
                 "OUTPUT_NEED": "memory:", "OUTPUT_REJECTED": "memory:"},
                context=QgsProcessingContext(),
                feedback=QgsProcessingFeedback(),
            )  # fmt: skip

        german = tmp_path / "fluss.csv"
        german.write_text("Akteur;Richtung;Ressource\nA01;Angebot;Holz\n", encoding="utf-8")
        with pytest.raises(QgsProcessingException) as error:
            run(german)
        assert "fluss.csv : colonne obligatoire absente" in str(error.value)
        assert "Noms acceptés : acteur" in str(error.value)
        wide = tmp_path / "large.csv"
        wide.write_text(";".join(f"c{i}" for i in range(10_001)) + "\n", encoding="utf-8")
        with pytest.raises(QgsProcessingException) as error:
            run(wide)
        assert "large.csv : 10001 colonnes ; un tableau d'acteurs ou de flux" in str(error.value)
        broken = tmp_path / "flux.csv"
        broken.write_text(
            "acteur;sens;ressource\nA01;gisement;ORG_GREEN_WASTE;de trop\n"
            "A01;besoin;ORG_GREEN_WASTE\n",
            encoding="utf-8",
        )
        result = run(broken)
        (rejected,) = list(result["OUTPUT_REJECTED"].getFeatures())
        assert rejected["row"] == 2
        assert rejected["reason"].startswith("Cette ligne a plus de champs que l'en-tête")
    finally:
        plugin.unload()
