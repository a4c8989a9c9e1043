"""Build ``data/templates/modele_eit.xlsx``: the workbook users fill in before the interviews.

Run by hand by a developer when the catalogue or the columns change, then commit the file::

    python scripts/build_template.py [OUTPUT.xlsx]

Sheets: ``Acteurs`` and ``Flux`` (the French headers ``core.tables`` reads, three fictitious
example rows each, drop-down lists, frozen header row, text format where a spreadsheet would
spoil the value: codes with leading zeros, ``3-10`` turned into a date), ``Mode d'emploi``
(opened first) and the hidden ``Ressources`` sheet (catalogue code, French label, unit), the
source of the ``ressource`` drop-down list. Only openpyxl and the repository's CSV files are
used (no import of the plugin).
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "data" / "templates" / "modele_eit.xlsx"
RESOURCES = REPO / "core" / "data" / "resources.csv"

ACTOR_SHEET, FLOW_SHEET, HELP_SHEET, RESOURCE_SHEET = (
    "Acteurs",
    "Flux",
    "Mode d'emploi",
    "Ressources",
)
#: last row covered by the drop-down lists and formats
ACTOR_ROWS, FLOW_ROWS = 5000, 20000

#: the closed vocabulary of actor categories (data/demo/README.md)
CATEGORIES = (
    "entreprise",
    "exploitation_agricole",
    "ehpad",
    "hopital",
    "insertion",
    "collectivite",
    "association",
    "laboratoire",
    "cuma",
)
DIRECTIONS = ("gisement", "besoin")
YES_NO = ("oui", "non")
#: the units offered in the drop-down list (others are accepted with a warning)
UNITS = (
    "t/an",
    "t/mois",
    "kg/an",
    "kg/semaine",
    "m3/an",
    "m3/mois",
    "L/an",
    "L/jour",
    "MWh/an",
    "kWh/an",
    "GJ/an",
    "h/an",
    "h/mois",
    "h/semaine",
    "unités/an",
    "unités/mois",
    "m2",
)
#: catalogue default unit -> the French unit shown in the Ressources sheet (per year)
DEFAULT_UNITS = {
    "t": "t/an",
    "MWh": "MWh/an",
    "m3": "m3/an",
    "h": "h/an",
    "unit": "unités/an",
    "m2": "m2",
}

# (header, width, text format, help: mandatory, meaning) — the order of the columns
ACTOR_COLUMNS = (
    ("identifiant", 13, True, "oui, unique", "Code court de l'acteur (A01, SCIERIE_1…), repris "
     "dans la colonne « acteur » de la feuille Flux."),
    ("nom", 36, False, "non", "Raison sociale ou nom de l'établissement."),
    ("categorie", 22, False, "non", "Type d'acteur, dans la liste : " + ", ".join(CATEGORIES)
     + "."),
    ("siret", 17, True, "non", "14 chiffres, sans espaces (sert à placer l'établissement avec "
     "le fichier SIRENE)."),
    ("naf", 9, True, "non", "Code NAF/APE de l'activité (16.10A)."),
    ("adresse", 32, False, "non", "Numéro et voie (12 rue des Forges) ; complément accepté après "
     "une virgule."),
    ("code_postal", 12, True, "non", "5 chiffres (58400). La colonne est au format texte pour "
     "garder un 0 initial."),
    ("commune", 24, False, "non", "Nom de la commune."),
    ("code_insee", 11, True, "non", "Code officiel géographique de la commune (58059). Plus sûr "
     "que le code postal, qui couvre souvent plusieurs communes."),
    ("longitude", 11, False, "non", "Longitude WGS84 en degrés décimaux, comme un GPS (3,0204 ; "
     "virgule ou point). Pas de coordonnées Lambert 93."),
    ("latitude", 11, False, "non", "Latitude WGS84 en degrés décimaux (47,1770). Sans "
     "coordonnées, le plugin place l'acteur d'après son adresse (BAN, SIRENE) ou au centre de "
     "sa commune."),
    ("confidentiel", 13, False, "non", "oui ou non (vide = non). oui : l'acteur et tous ses flux "
     "ne sont jamais montrés par leur nom ni leurs quantités dans les sorties publiques."),
)  # fmt: skip
FLOW_COLUMNS = (
    ("identifiant", 12, True, "non, unique", "Code du flux (F001…). S'il manque, le plugin en "
     "fabrique un, stable d'une année sur l'autre."),
    ("acteur", 12, True, "oui", "L'identifiant d'un acteur de la feuille Acteurs (liste "
     "déroulante)."),
    ("sens", 11, False, "oui", "gisement = ce que l'acteur a (déchet, coproduit, chaleur "
     "fatale, équipement ou temps disponible) ; besoin = ce qu'il cherche. Le plugin comprend "
     "aussi sortant/entrant, offre/demande."),
    ("ressource", 24, True, "oui", "Un code du catalogue (liste déroulante ; libellés et unités "
     "dans la feuille masquée « Ressources ») ou un code déchet LER à 6 chiffres, avec ou sans "
     "espaces ni astérisque : 20 02 01, 13 02 05*, 200201."),
    ("libelle", 36, False, "non", "Description libre, dans les mots de l'acteur."),
    ("quantite", 11, False, "non", "Nombre positif ; virgule ou point décimal (9,5), espaces de "
     "milliers acceptés (2 600). Vide si inconnue : le flux est gardé, sans quantité."),
    ("unite", 12, False, "non", "Unité de la quantité, avec sa période (voir « Unités » "
     "ci-dessous). Vide = unité par défaut de la ressource, par an."),
    ("annee", 8, False, "non", "Année de la donnée (2024)."),
    ("mois", 10, True, "non", "Période de disponibilité (gisement) ou de besoin (voir « Mois » "
     "ci-dessous). Vide = toute l'année."),
    ("confidentiel", 13, False, "non", "oui ou non (vide = non) : ce flux seul. Les flux d'un "
     "acteur confidentiel sont tous confidentiels."),
    ("commentaire", 40, False, "non", "Note libre (source, précision, date de l'entretien). Pas "
     "de coordonnées personnelles."),
    ("provenance", 26, True, "non", "Besoin : d'où vient aujourd'hui ce que l'acteur achète ou "
     "reçoit (voir « Provenance et destination »). Vide si inconnue."),
    ("destination", 26, True, "non", "Gisement : où part aujourd'hui ce que l'acteur a (centre "
     "de tri, installation de stockage, acheteur). Vide si inconnue."),
)  # fmt: skip

EXAMPLE_NOTE = "(fictif, exemple à supprimer)"
ACTOR_EXAMPLES = (
    ("E01", f"Menuiserie Exemple {EXAMPLE_NOTE}", "entreprise", "00000000000001", "16.23Z",
     "12 rue de l'Exemple", "58400", "La Charité-sur-Loire", "58059", 3.03, 47.179, "non"),
    ("E02", f"EHPAD Exemple {EXAMPLE_NOTE}", "ehpad", "00000000000002", "87.10A",
     "1 place de l'Exemple", "58400", "Raveau", "58220", 3.116, 47.18, "non"),
    ("E03", f"GAEC Exemple {EXAMPLE_NOTE}", "exploitation_agricole", None, "01.50Z",
     "Lieu-dit l'Exemple", "58130", "Guérigny", "58131", None, None, "oui"),
)  # fmt: skip
FLOW_EXAMPLES = (
    ("F001", "E01", "gisement", "WOOD_SHAVINGS", "Copeaux et sciure de rabotage", 40, "m3/an",
     2024, None, "non", "Exemple fictif, à supprimer", None, "E03"),
    ("F002", "E02", "gisement", "20 01 08", "Biodéchets de la cuisine", 250, "kg/semaine", 2024,
     None, "non", "Exemple fictif (code LER), à supprimer", None, "58194"),
    ("F003", "E03", "besoin", "AGR_BEDDING", "Litière pour l'hiver", 30, "t/an", 2024, "10-4",
     "non", "Exemple fictif, à supprimer", "Cosne-Cours-sur-Loire", None),
)  # fmt: skip

HELP_SECTIONS = (
    ("Avant de commencer", (
        "Ce classeur est le modèle de saisie du plugin QGIS EIT Synergies : une ligne par "
        "acteur dans la feuille « Acteurs », une ligne par flux (gisement ou besoin) dans la "
        "feuille « Flux ».",
        "Les lignes d'exemple (acteurs E01 à E03, flux F001 à F003) sont fictives : "
        "supprimez-les avant d'utiliser le classeur.",
        "Ne modifiez pas les en-têtes (ligne 1) ni les noms des feuilles « Acteurs » et "
        "« Flux ». Vous pouvez ajouter vos propres colonnes à droite : elles ne sont pas "
        "reprises dans les couches de gisements et de besoins.",
        "Les listes déroulantes proposent les valeurs attendues ; pour « ressource » et "
        "« unite », une autre valeur est acceptée après un avertissement (un code LER, une "
        "unité moins courante).",
    )),
    ("Unités", (
        "Une unité de quantité, suivie ou non d'une période : t, kg, m3, L, MWh, kWh, GJ, h, "
        "unités, m2, puis /an, /mois, /semaine ou /jour (t/an, kg/semaine, m3/mois, L/jour). "
        "Sans période, la quantité est annuelle (une surface, en m2, n'a pas de période).",
        "Le plugin ramène tout à l'année : t/an, MWh/an, m3/an, h/an, unités/an, m2.",
        "La quantité doit avoir la grandeur de la ressource (des tonnes pour une matière, des "
        "MWh pour de la chaleur, des heures pour un service ou un équipement partagé). Les "
        "matières souvent données en volume (déchets verts, plaquettes, écorces, fumier) sont "
        "converties en tonnes avec la densité du catalogue.",
        "Évitez les débits par heure (kW, m3/h) : les heures de fonctionnement sont inconnues, "
        "donnez le total par an, par mois ou par semaine.",
    )),
    ("Mois", (
        "3-10 = de mars à octobre ; 10-4 = d'octobre à avril (à cheval sur deux années) ; "
        "1,2,3 ou 1-3,6 pour des mois séparés ; les noms de mois sont acceptés (mars-octobre). "
        "Vide ou « toute l'année » = toute l'année.",
        "La colonne est au format texte pour que le tableur ne transforme pas 3-10 en date.",
    )),
    ("Ressources et codes LER", (
        "La colonne « ressource » prend un code du catalogue du plugin (liste déroulante). La "
        "feuille masquée « Ressources » donne pour chaque code son libellé et son unité par "
        "défaut : clic droit sur un onglet, puis « Afficher » pour la voir.",
        "Un code déchet de la liste européenne (LER, 6 chiffres) est aussi accepté, écrit "
        "comme dans les registres : 20 02 01, 13 02 05* (déchet dangereux), 200201. Le plugin "
        "le rattache à la ressource du catalogue correspondante.",
        "Un besoin peut aussi citer un code LER : « je peux reprendre ce déchet ».",
    )),
    ("Provenance et destination", (
        "Pour mesurer ce que les synergies évitent et dessiner ce qui entre et sort du "
        "territoire, indiquez où part aujourd'hui un gisement (colonne « destination ») et "
        "d'où vient aujourd'hui un besoin (colonne « provenance »).",
        "Un lieu s'écrit de l'une de ces façons : l'identifiant d'un acteur de la feuille "
        "Acteurs (A30), un code INSEE (58194) ou un nom de commune (Nevers), des coordonnées "
        "« longitude latitude » en degrés (3.16 46.99), ou le nom d'une installation de la "
        "table des installations donnée au plugin (nom, longitude, latitude).",
        "Vous pouvez aussi ajouter une colonne « distance_actuelle_km » : la distance parcourue "
        "aujourd'hui, en km, si vous la connaissez mieux que la ligne droite.",
        "Un lieu introuvable est signalé dans la table des lignes rejetées (avec la mention "
        "« ligne gardée ») : le flux reste compté, sans lieu actuel.",
    )),
    ("Confidentialité", (
        "confidentiel = oui : l'acteur (ou le flux) n'est jamais montré par son nom ni par ses "
        "quantités dans les sorties publiques (atlas et exports publics). Il reste visible "
        "dans les sorties internes de l'équipe d'animation.",
        "Un acteur confidentiel rend confidentiels tous ses flux. Une valeur non reconnue "
        "(autre que oui/non) compte comme confidentielle.",
    )),
    ("Après la saisie", (
        "Dans QGIS, boîte à outils de traitements, EIT Synergies : « Exécuter toute la "
        "démarche EIT » (eit:runpipeline), avec ce classeur comme table des acteurs (feuille "
        "« Acteurs ») et comme table des flux (feuille « Flux »).",
        "Aucune ligne n'est écartée en silence : une ligne inutilisable est listée dans la "
        "table des lignes rejetées, avec son numéro de ligne dans la feuille et la raison.",
    )),
)  # fmt: skip

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2E7D32")
EXAMPLE_FONT = Font(italic=True, color="7F7F7F")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")


def read_resources(path: Path = RESOURCES) -> list[tuple[str, str, str]]:
    """(code, French label, French default unit per year) of the built-in catalogue."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(r["code"], r["label_fr"], DEFAULT_UNITS[r["default_unit"]]) for r in rows]


def _table_sheet(book, title, columns, examples):
    sheet = book.create_sheet(title)
    sheet.append([c[0] for c in columns])
    for row in examples:
        sheet.append(list(row))
    for index, (_, width, text, _, _) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if text:  # what the user types later stays text too
            sheet.column_dimensions[letter].number_format = "@"
        for row in range(2, len(examples) + 2):
            cell = sheet.cell(row=row, column=index)
            cell.font = EXAMPLE_FONT
            if text:
                cell.number_format = "@"
        header = sheet.cell(row=1, column=index)
        header.font, header.fill = HEADER_FONT, HEADER_FILL
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(examples) + 1}"
    return sheet


def _column(columns, name: str) -> str:
    return get_column_letter([c[0] for c in columns].index(name) + 1)


def _list(options, prompt: str, strict: bool, error: str = "") -> DataValidation:
    """A drop-down list; ``options``: values, or a range as text (``Sheet!$A$2:$A$9``)."""
    formula = options if isinstance(options, str) else '"' + ",".join(options) + '"'
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        errorStyle="stop" if strict else "warning",
        promptTitle="Valeur",
        prompt=prompt[:255],
        errorTitle="Valeur inattendue",
        error=(error or "Choisissez une valeur de la liste.")[:255],
    )


def _validate(sheet, validation: DataValidation, columns, name: str, last_row: int) -> None:
    letter = _column(columns, name)
    validation.add(f"{letter}2:{letter}{last_row}")
    sheet.add_data_validation(validation)


def _decimal(low: float, high: float, prompt: str) -> DataValidation:
    return DataValidation(
        type="decimal",
        operator="between",
        formula1=str(low),
        formula2=str(high),
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        errorStyle="warning",
        promptTitle="Coordonnée WGS84",
        prompt=prompt,
        errorTitle="Coordonnée inattendue",
        error="Degrés décimaux WGS84 attendus (pas de Lambert 93). Continuer quand même ?",
    )


def build_workbook(resources: list[tuple[str, str, str]] | None = None) -> Workbook:
    """The template workbook (not saved)."""
    resources = resources if resources is not None else read_resources()
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "EIT Synergies"
    book.properties.title = "Modèle de saisie EIT Synergies"
    book.properties.created = datetime(2025, 1, 1)

    actors = _table_sheet(book, ACTOR_SHEET, ACTOR_COLUMNS, ACTOR_EXAMPLES)
    _validate(
        actors,
        _list(CATEGORIES, "Type d'acteur.", strict=False,
              error="Catégorie hors de la liste. Continuer quand même ?"),
        ACTOR_COLUMNS, "categorie", ACTOR_ROWS,
    )  # fmt: skip
    _validate(
        actors,
        _list(YES_NO, "oui = jamais montré par son nom ni ses quantités en public.", True),
        ACTOR_COLUMNS, "confidentiel", ACTOR_ROWS,
    )  # fmt: skip
    _validate(actors, _decimal(-180, 180, "Longitude en degrés décimaux (3,0204)."),
              ACTOR_COLUMNS, "longitude", ACTOR_ROWS)  # fmt: skip
    _validate(actors, _decimal(-90, 90, "Latitude en degrés décimaux (47,1770)."),
              ACTOR_COLUMNS, "latitude", ACTOR_ROWS)  # fmt: skip

    flows = _table_sheet(book, FLOW_SHEET, FLOW_COLUMNS, FLOW_EXAMPLES)
    _validate(
        flows,
        _list(f"'{ACTOR_SHEET}'!$A$2:$A${ACTOR_ROWS}", "Identifiant d'un acteur.", False,
              "Cet identifiant n'est pas dans la feuille Acteurs. Continuer quand même ?"),
        FLOW_COLUMNS, "acteur", FLOW_ROWS,
    )  # fmt: skip
    _validate(
        flows,
        _list(DIRECTIONS, "gisement = ce que l'acteur a ; besoin = ce qu'il cherche.", True),
        FLOW_COLUMNS, "sens", FLOW_ROWS,
    )  # fmt: skip
    _validate(
        flows,
        _list(f"'{RESOURCE_SHEET}'!$A$2:$A${len(resources) + 1}",
              "Code du catalogue, ou code déchet LER à 6 chiffres (20 02 01).", False,
              "Code hors catalogue : accepté s'il s'agit d'un code LER (6 chiffres). "
              "Continuer ?"),
        FLOW_COLUMNS, "ressource", FLOW_ROWS,
    )  # fmt: skip
    _validate(
        flows,
        _list(UNITS, "Unité et période (t/an, kg/semaine…). Vide = unité par défaut, par an.",
              False, "Unité hors de la liste : vérifiez qu'elle est comprise (voir le mode "
              "d'emploi). Continuer ?"),
        FLOW_COLUMNS, "unite", FLOW_ROWS,
    )  # fmt: skip
    _validate(
        flows,
        _list(YES_NO, "oui = jamais montré par son nom ni ses quantités en public.", True),
        FLOW_COLUMNS, "confidentiel", FLOW_ROWS,
    )  # fmt: skip

    help_sheet = _help_sheet(book)
    sheet = book.create_sheet(RESOURCE_SHEET)
    sheet.append(["code", "label_fr", "unite"])
    for row in resources:
        sheet.append(list(row))
    for letter, width in (("A", 26), ("B", 60), ("C", 11)):
        sheet.column_dimensions[letter].width = width
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    sheet.freeze_panes = "A2"
    sheet.sheet_state = "hidden"

    # open on the instructions (the tables stay first: a reader takes the first sheet)
    for ws in book.worksheets:
        ws.sheet_view.tabSelected = ws is help_sheet
    book.active = book.worksheets.index(help_sheet)
    return book


def _help_sheet(book):
    sheet = book.create_sheet(HELP_SHEET)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 13
    sheet.column_dimensions["C"].width = 100
    sheet.append(["Modèle de saisie EIT Synergies : mode d'emploi"])
    sheet["A1"].font = TITLE_FONT
    sheet.append(
        ["Écologie industrielle et territoriale : les gisements et les besoins des acteurs "
         "d'un territoire, pour trouver les synergies de proximité."]
    )  # fmt: skip
    tables = (("Feuille « Acteurs »", ACTOR_COLUMNS), ("Feuille « Flux »", FLOW_COLUMNS))
    for title, columns in tables:
        sheet.append([])
        sheet.append([title])
        sheet.cell(row=sheet.max_row, column=1).font = SECTION_FONT
        sheet.append(["colonne", "obligatoire", "contenu"])
        for cell in sheet[sheet.max_row]:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        for name, _, _, mandatory, meaning in columns:
            sheet.append([name, mandatory, meaning])
            for cell in sheet[sheet.max_row]:
                cell.alignment = WRAP
    for title, paragraphs in HELP_SECTIONS:
        sheet.append([])
        sheet.append([title])
        sheet.cell(row=sheet.max_row, column=1).font = SECTION_FONT
        for text in paragraphs:
            sheet.append([None, None, text])
            sheet.cell(row=sheet.max_row, column=3).alignment = WRAP
    return sheet


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    """Write the template to ``output``."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    build_workbook().save(output)
    return output


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT))
