"""Build ``core/data/ler.csv``: the European List of Waste resolved to catalogue resources.

Run by hand by a developer, never by the plugin or the tests::

    python scripts/build_ler_catalogue.py path/to/ler_liste_europeenne_dechets.csv

The source is the official list (Décision 2000/532/CE modified by 2014/955/UE) with the
columns ``code, dangereux, chapitre, sous_chapitre, libelle_fr, label_en``. Every code is
resolved to one resource of ``core/data/resources.csv``: first by the explicit table
``SPECIFIC`` (code → resource), then by sub-chapter rules, then by chapter rules, then to
``OTHER_WASTE_NH`` / ``OTHER_WASTE_H``. A rule gives one resource for non-hazardous codes
and one for hazardous codes, so a hazardous code never lands on a "clean" resource by
accident. The ``mapping`` column records which step decided.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "core" / "data" / "ler.csv"
RESOURCES = REPO / "core" / "data" / "resources.csv"

NH, H = "OTHER_WASTE_NH", "OTHER_WASTE_H"

# Explicit code → resource (hazardous or not: the official flag is kept in its own column).
SPECIFIC: dict[str, str] = {
    # 01 mining and quarrying
    "010408": "MIN_AGGREGATES",
    "010409": "MIN_EXCAVATED_SOIL",
    "010413": "MIN_INERT_RUBBLE",
    # 02 agriculture and food
    "020101": "ORG_INDUSTRIAL_SLUDGE",
    "020102": "ORG_ANIMAL_BYPRODUCTS",
    "020103": "ORG_CROP_RESIDUES",
    "020104": "REC_PLASTIC_FILM",
    "020106": "ORG_MANURE",
    "020107": "WOOD_FOREST_RESIDUES",
    "020109": NH,
    "020110": "REC_METAL_FERROUS",
    "020201": "ORG_INDUSTRIAL_SLUDGE",
    "020202": "ORG_ANIMAL_BYPRODUCTS",
    "020203": "ORG_FOOD_WASTE",
    "020204": "ORG_INDUSTRIAL_SLUDGE",
    "020301": "ORG_INDUSTRIAL_SLUDGE",
    "020302": NH,
    "020304": "ORG_FOOD_WASTE",
    "020305": "ORG_INDUSTRIAL_SLUDGE",
    "020401": "MIN_EXCAVATED_SOIL",
    "020402": "MIN_LIME",
    "020403": "ORG_INDUSTRIAL_SLUDGE",
    "020501": "ORG_FOOD_WASTE",
    "020502": "ORG_INDUSTRIAL_SLUDGE",
    "020599": "ORG_WHEY",
    "020601": "ORG_FOOD_WASTE",
    "020602": NH,
    "020603": "ORG_INDUSTRIAL_SLUDGE",
    "020701": "ORG_CROP_RESIDUES",
    "020702": "ORG_SPENT_GRAIN",
    "020703": NH,
    "020704": "ORG_FOOD_WASTE",
    "020705": "ORG_INDUSTRIAL_SLUDGE",
    "020799": "ORG_SPENT_GRAIN",
    # 03 wood, panels, pulp and paper
    "030101": "WOOD_BARK",
    "030104": "WOOD_TREATED",
    "030105": "WOOD_SAWDUST",
    "030199": "WOOD_OFFCUTS",
    "030301": "WOOD_BARK",
    "030305": "ORG_INDUSTRIAL_SLUDGE",
    "030307": "REC_PAPER_CARDBOARD",
    "030308": "REC_PAPER_CARDBOARD",
    "030309": "MIN_LIME",
    "030310": "ORG_INDUSTRIAL_SLUDGE",
    "030311": "ORG_INDUSTRIAL_SLUDGE",
    # 04 leather and textile
    "040101": "ORG_ANIMAL_BYPRODUCTS",
    "040107": "ORG_INDUSTRIAL_SLUDGE",
    "040221": "REC_TEXTILE",
    "040222": "REC_TEXTILE",
    # 05 petroleum
    "050117": "MIN_ASPHALT",
    # 06 inorganic chemistry
    "060704": "CHEM_ACID",
    "060902": "MIN_SLAG",
    "060904": "MIN_LIME",
    "061101": "MIN_LIME",
    # 07 organic chemistry
    "070213": "REC_PLASTIC",
    # 08 paints, inks, adhesives
    "080201": "CHEM_PAINT",
    "080501": H,
    # 09 photography
    "090110": "REC_WEEE",
    "090111": "REC_WEEE",
    "090112": "REC_WEEE",
    # 10 thermal processes
    "100101": "MIN_ASH",
    "100102": "MIN_ASH",
    "100103": "MIN_ASH",
    "100105": "MIN_GYPSUM",
    "100107": "MIN_GYPSUM",
    "100115": "MIN_ASH",
    "100117": "MIN_ASH",
    "100201": "MIN_SLAG",
    "100202": "MIN_SLAG",
    "100210": "REC_METAL_FERROUS",
    "100316": "REC_METAL_NONFERROUS",
    "100501": "MIN_SLAG",
    "100511": "REC_METAL_NONFERROUS",
    "100601": "MIN_SLAG",
    "100602": "REC_METAL_NONFERROUS",
    "100701": "MIN_SLAG",
    "100702": "REC_METAL_NONFERROUS",
    "100809": "MIN_SLAG",
    "100811": "REC_METAL_NONFERROUS",
    "100903": "MIN_SLAG",
    "100906": "MIN_FOUNDRY_SAND",
    "100908": "MIN_FOUNDRY_SAND",
    "101003": "MIN_SLAG",
    "101006": "MIN_FOUNDRY_SAND",
    "101008": "MIN_FOUNDRY_SAND",
    "101112": "REC_GLASS",
    "101206": "MIN_GYPSUM",
    "101208": "MIN_INERT_RUBBLE",
    "101304": "MIN_LIME",
    "101306": "MIN_LIME",
    "101311": "MIN_INERT_RUBBLE",
    "101314": "MIN_INERT_RUBBLE",
    # 11 surface treatment of metals
    "110105": "CHEM_ACID",
    "110106": "CHEM_ACID",
    "110107": "CHEM_BASE",
    "110501": "REC_METAL_NONFERROUS",
    "110502": "REC_METAL_NONFERROUS",
    # 12 shaping of metals and plastics
    "120101": "REC_METAL_FERROUS",
    "120102": "REC_METAL_FERROUS",
    "120103": "REC_METAL_NONFERROUS",
    "120104": "REC_METAL_NONFERROUS",
    "120105": "REC_PLASTIC",
    "120106": "CHEM_USED_OIL",
    "120107": "CHEM_USED_OIL",
    "120108": "CHEM_OILY_WATER",
    "120109": "CHEM_OILY_WATER",
    "120110": "CHEM_USED_OIL",
    "120119": "CHEM_USED_OIL",
    # 13 oil wastes
    "130104": "CHEM_OILY_WATER",
    "130105": "CHEM_OILY_WATER",
    # 14 solvents
    "140601": H,
    # 15 packaging
    "150101": "REC_PAPER_CARDBOARD",
    "150102": "REC_PLASTIC",
    "150103": "WOOD_PALLETS",
    "150104": "REC_METAL_FERROUS",
    "150105": "REC_PACKAGING_MIXED",
    "150106": "REC_PACKAGING_MIXED",
    "150107": "REC_GLASS",
    "150109": "REC_TEXTILE",
    # 16 not otherwise specified
    "160103": "REC_TYRES",
    "160106": "REC_METAL_FERROUS",
    "160116": "REC_METAL_FERROUS",
    "160117": "REC_METAL_FERROUS",
    "160118": "REC_METAL_NONFERROUS",
    "160119": "REC_PLASTIC",
    "160120": "REC_GLASS",
    "160209": H,
    "160210": H,
    "160212": H,
    "160506": "CHEM_LAB",
    "160507": "CHEM_LAB",
    "160508": "CHEM_LAB",
    "160509": "CHEM_LAB",
    "160606": "CHEM_ACID",
    "160801": "REC_METAL_NONFERROUS",
    "161002": "WAT_INDUSTRIAL_EFFLUENT",
    "161004": "WAT_INDUSTRIAL_EFFLUENT",
    "161102": "MIN_INERT_RUBBLE",
    "161104": "MIN_INERT_RUBBLE",
    "161106": "MIN_INERT_RUBBLE",
    # 17 construction and demolition
    "170101": "MIN_INERT_RUBBLE",
    "170102": "MIN_INERT_RUBBLE",
    "170103": "MIN_INERT_RUBBLE",
    "170107": "MIN_INERT_RUBBLE",
    "170201": "WOOD_WASTE_B",
    "170202": "REC_GLASS",
    "170203": "REC_PLASTIC",
    "170302": "MIN_ASPHALT",
    "170401": "REC_METAL_NONFERROUS",
    "170402": "REC_METAL_NONFERROUS",
    "170403": "REC_METAL_NONFERROUS",
    "170404": "REC_METAL_NONFERROUS",
    "170405": "REC_METAL_FERROUS",
    "170406": "REC_METAL_NONFERROUS",
    "170407": "REC_METAL_FERROUS",
    "170411": "REC_METAL_NONFERROUS",
    "170504": "MIN_EXCAVATED_SOIL",
    "170506": "MIN_EXCAVATED_SOIL",
    "170508": "MIN_INERT_RUBBLE",
    "170802": "MIN_GYPSUM",
    # 18 healthcare
    "180104": NH,
    "180203": NH,
    # 19 waste and water treatment
    "190102": "REC_METAL_FERROUS",
    "190112": "MIN_ASH",
    "190114": "MIN_ASH",
    "190116": "MIN_ASH",
    "190210": "EN_SRF",
    "190401": "MIN_SLAG",
    "190503": "ORG_COMPOST",
    "190603": "ORG_DIGESTATE",
    "190604": "ORG_DIGESTATE",
    "190605": "ORG_DIGESTATE",
    "190606": "ORG_DIGESTATE",
    "190805": "ORG_SEWAGE_SLUDGE",
    "190809": "ORG_GREASE_TRAP",
    "190812": "ORG_INDUSTRIAL_SLUDGE",
    "190814": "ORG_INDUSTRIAL_SLUDGE",
    "190903": "MIN_LIME",
    "191001": "REC_METAL_FERROUS",
    "191002": "REC_METAL_NONFERROUS",
    "191201": "REC_PAPER_CARDBOARD",
    "191202": "REC_METAL_FERROUS",
    "191203": "REC_METAL_NONFERROUS",
    "191204": "REC_PLASTIC",
    "191205": "REC_GLASS",
    "191206": "WOOD_TREATED",
    "191207": "WOOD_WASTE_B",
    "191208": "REC_TEXTILE",
    "191209": "MIN_INERT_RUBBLE",
    "191210": "EN_SRF",
    "191302": "MIN_EXCAVATED_SOIL",
    "191308": "WAT_INDUSTRIAL_EFFLUENT",
    # 20 municipal waste
    "200101": "REC_PAPER_CARDBOARD",
    "200102": "REC_GLASS",
    "200108": "ORG_BIOWASTE",
    "200110": "REC_TEXTILE",
    "200111": "REC_TEXTILE",
    "200113": "CHEM_SOLVENT",
    "200114": "CHEM_ACID",
    "200115": "CHEM_BASE",
    "200121": "REC_WEEE",
    "200123": "REC_WEEE",
    "200125": "ORG_USED_COOKING_OIL",
    "200126": "CHEM_USED_OIL",
    "200127": "CHEM_PAINT",
    "200128": "CHEM_PAINT",
    "200131": "OTHER_WASTE_HEALTHCARE",
    "200132": "OTHER_WASTE_HEALTHCARE",
    "200133": "REC_BATTERIES",
    "200134": "REC_BATTERIES",
    "200135": "REC_WEEE",
    "200136": "REC_WEEE",
    "200137": "WOOD_TREATED",
    "200138": "WOOD_WASTE_B",
    "200139": "REC_PLASTIC",
    "200140": "REC_METAL_FERROUS",
    "200201": "ORG_GREEN_WASTE",
    "200202": "MIN_EXCAVATED_SOIL",
    "200302": "ORG_BIOWASTE",
    "200304": "ORG_SEWAGE_SLUDGE",
}

# Second pass (issue 13): the most specific resource of the extended catalogue, and a reuse
# route for the codes that used to fall into the catch-alls. Hazardous codes only go to
# chemical, recyclable or other-waste resources (treatment by an authorised operator).
SPECIFIC.update(
    {
        # 01 extraction
        "010101": "MIN_EXCAVATED_SOIL",
        "010102": "MIN_EXCAVATED_SOIL",
        "010308": "MIN_QUARRY_FINES",
        "010309": "MIN_RED_MUD",
        "010410": "MIN_QUARRY_FINES",
        "010411": "CHEM_BRINE",
        "010412": "MIN_QUARRY_FINES",
        "010504": "MIN_CLAY",
        # 02 agriculture and food
        "020201": "ORG_SLUDGE_FOOD",
        "020202": "ORG_ABP_CAT3",
        "020204": "ORG_SLUDGE_FOOD",
        "020301": "ORG_SLUDGE_FOOD",
        "020303": "ORG_OILSEED_CAKE",
        "020304": "ORG_FRUIT_VEG",
        "020305": "ORG_SLUDGE_FOOD",
        "020402": "MIN_LIME_SLUDGE",
        "020403": "ORG_SLUDGE_FOOD",
        "020501": "ORG_DAIRY",
        "020502": "ORG_SLUDGE_FOOD",
        "020601": "ORG_BAKERY",
        "020603": "ORG_SLUDGE_FOOD",
        "020705": "ORG_SLUDGE_FOOD",
        # 03 wood, pulp and paper
        "030302": "MIN_LIME_SLUDGE",
        "030305": "ORG_SLUDGE_PAPER",
        "030309": "MIN_LIME_SLUDGE",
        "030310": "ORG_SLUDGE_PAPER",
        "030311": "ORG_SLUDGE_PAPER",
        # 04 leather and textile
        "040101": "ORG_ABP_CAT3",
        "040102": "MIN_LIME",
        "040209": "REC_COMPOSITES",
        "040220": "ORG_INDUSTRIAL_SLUDGE",
        # 05 petroleum refining
        "050102": "CHEM_HYDROCARBON_RESIDUES",
        "050103": "CHEM_HYDROCARBON_RESIDUES",
        "050104": "CHEM_SULPHURIC_ACID",
        "050105": "CHEM_HYDROCARBON_RESIDUES",
        "050106": "CHEM_HYDROCARBON_RESIDUES",
        "050107": "CHEM_HYDROCARBON_RESIDUES",
        "050108": "CHEM_HYDROCARBON_RESIDUES",
        "050110": "ORG_SLUDGE_CHEMICAL",
        "050111": "CHEM_SPENT_CAUSTIC",
        "050112": "CHEM_HYDROCARBON_RESIDUES",
        "050116": "CHEM_SULPHUR",
        "050601": "CHEM_HYDROCARBON_RESIDUES",
        "050603": "CHEM_HYDROCARBON_RESIDUES",
        "050702": "CHEM_SULPHUR",
        # 06 inorganic chemistry
        "060101": "CHEM_SULPHURIC_ACID",
        "060102": "CHEM_HYDROCHLORIC_ACID",
        "060104": "CHEM_PHOSPHORIC_ACID",
        "060105": "CHEM_NITRIC_ACID",
        "060203": "CHEM_AMMONIA",
        "060204": "CHEM_CAUSTIC_SODA",
        "060314": "CHEM_BRINE",
        "060603": "CHEM_SULPHUR_COMPOUNDS",
        "060702": "CHEM_ACTIVATED_CARBON",
        "061101": "MIN_PHOSPHOGYPSUM",
        "061302": "CHEM_ACTIVATED_CARBON",
        "061303": "MIN_CARBON_RESIDUES",
        # 07 organic chemistry: non-halogenated still bottoms are kiln fuels
        "070108": "CHEM_HYDROCARBON_RESIDUES",
        "070208": "CHEM_HYDROCARBON_RESIDUES",
        "070308": "CHEM_HYDROCARBON_RESIDUES",
        "070408": "CHEM_HYDROCARBON_RESIDUES",
        "070508": "CHEM_HYDROCARBON_RESIDUES",
        "070608": "CHEM_HYDROCARBON_RESIDUES",
        "070708": "CHEM_HYDROCARBON_RESIDUES",
        "070514": "ORG_FERMENTATION_BIOMASS",
        # 08 paints, ceramics sludges, toners
        "080202": "MIN_CLAY",
        "080203": "MIN_CLAY",
        "080318": "REC_TONER",
        # 09 photography: silver recovery
        "090104": "REC_PRECIOUS_METALS",
        "090105": "REC_PRECIOUS_METALS",
        "090106": "REC_PRECIOUS_METALS",
        "090107": "REC_PRECIOUS_METALS",
        "090108": "REC_PLASTIC",
        # 10 thermal processes
        "100101": "MIN_BOTTOM_ASH",
        "100102": "MIN_FLY_ASH",
        "100103": "MIN_BIOMASS_ASH",
        "100105": "MIN_FGD_GYPSUM",
        "100107": "MIN_FGD_GYPSUM",
        "100109": "CHEM_SULPHURIC_ACID",
        "100115": "MIN_BOTTOM_ASH",
        "100117": "MIN_FLY_ASH",
        "100119": "MIN_FGD_GYPSUM",
        "100124": "MIN_BOTTOM_ASH",
        "100125": "EN_COAL",
        "100201": "MIN_STEEL_SLAG",
        "100207": "REC_ZINC",
        "100208": "MIN_STEEL_DUST",
        "100210": "MIN_MILL_SCALE",
        "100214": "MIN_STEEL_DUST",
        "100215": "MIN_STEEL_DUST",
        "100302": "MIN_CARBON_RESIDUES",
        "100308": "REC_ALUMINIUM",
        "100309": "REC_ALUMINIUM",
        "100316": "REC_ALUMINIUM",
        "100318": "MIN_CARBON_RESIDUES",
        "100330": "MIN_NONFERROUS_SLAG",
        "100402": "REC_LEAD",
        "100501": "MIN_NONFERROUS_SLAG",
        "100503": "REC_ZINC",
        "100510": "REC_ZINC",
        "100511": "REC_ZINC",
        "100601": "MIN_NONFERROUS_SLAG",
        "100602": "REC_COPPER",
        "100701": "MIN_NONFERROUS_SLAG",
        "100702": "REC_PRECIOUS_METALS",
        "100809": "MIN_NONFERROUS_SLAG",
        "100810": "REC_METAL_NONFERROUS",
        "100813": "MIN_CARBON_RESIDUES",
        "100814": "MIN_CARBON_RESIDUES",
        "100816": "MIN_SILICA_FUME",
        "100912": "MIN_FOUNDRY_SAND",
        "101012": "MIN_FOUNDRY_SAND",
        "101103": "REC_GLASS",
        "101110": "REC_CULLET",
        "101112": "REC_CULLET",
        "101201": "MIN_CLAY",
        "101203": "MIN_CLAY",
        "101206": "MIN_PLASTERBOARD",
        "101208": "MIN_BRICKS_TILES",
        "101213": "MIN_CLAY",
        "101301": "MIN_CEMENT_RAW",
        "101307": "MIN_LIME",
        "101311": "MIN_CONCRETE",
        "101314": "MIN_CONCRETE",
        # 11 surface treatment
        "110105": "CHEM_SPENT_PICKLING_ACID",
        "110107": "CHEM_SPENT_CAUSTIC",
        "110501": "REC_ZINC",
        "110502": "REC_ZINC",
        # 12 shaping
        "120101": "REC_METAL_TURNINGS",
        "120112": "CHEM_USED_OIL",
        "120117": "MIN_ABRASIVE",
        "120121": "MIN_ABRASIVE",
        "120301": "CHEM_OILY_WATER",
        "120302": "CHEM_OILY_WATER",
        # 14 solvents
        "140602": "CHEM_SOLVENT_HALO",
        "140603": "CHEM_SOLVENT_NONHALO",
        # 16 not otherwise specified
        "160104": "REC_METAL_FERROUS",
        "160107": "REC_METAL_FERROUS",
        "160113": "CHEM_GLYCOL",
        "160114": "CHEM_GLYCOL",
        "160115": "CHEM_GLYCOL",
        "160120": "REC_FLAT_GLASS",
        "160601": "REC_LEAD_BATTERIES",
        "160708": "CHEM_OILY_WATER",
        "160801": "REC_PRECIOUS_METALS",
        "160802": "CHEM_SPENT_CATALYST",
        "160803": "CHEM_SPENT_CATALYST",
        "160804": "CHEM_SPENT_CATALYST",
        "160805": "CHEM_SPENT_CATALYST",
        "160806": "CHEM_SPENT_CATALYST",
        "160807": "CHEM_SPENT_CATALYST",
        "161102": "MIN_REFRACTORY",
        "161104": "MIN_REFRACTORY",
        "161106": "MIN_REFRACTORY",
        # 17 construction and demolition
        "170101": "MIN_CONCRETE",
        "170102": "MIN_BRICKS_TILES",
        "170103": "MIN_BRICKS_TILES",
        "170202": "REC_FLAT_GLASS",
        "170401": "REC_COPPER",
        "170402": "REC_ALUMINIUM",
        "170403": "REC_LEAD",
        "170404": "REC_ZINC",
        "170405": "REC_STEEL",
        "170409": "REC_METAL_FERROUS",
        "170410": "REC_CABLES",
        "170411": "REC_CABLES",
        "170506": "MIN_DREDGED_SEDIMENT",
        "170508": "MIN_RECYCLED_AGGREGATES",
        "170802": "MIN_PLASTERBOARD",
        "170904": "OTHER_WASTE_MIXED",
        # 19 waste and water treatment
        "190110": "CHEM_ACTIVATED_CARBON",
        "190112": "MIN_MSWI_BOTTOM_ASH",
        "190114": "MIN_FLY_ASH",
        "190116": "MIN_FLY_ASH",
        "190119": "MIN_BOTTOM_ASH",
        "190207": "CHEM_HYDROCARBON_RESIDUES",
        "190208": "CHEM_HYDROCARBON_RESIDUES",
        "190501": "EN_RDF",
        "190502": "EN_RDF",
        "190703": "WAT_LEACHATE",
        "190802": "MIN_SAND",
        "190902": "MIN_CLAY",
        "190903": "MIN_LIME_SLUDGE",
        "190904": "CHEM_ACTIVATED_CARBON",
        "191004": "EN_RDF",
        "191205": "REC_CULLET",
        "191212": "EN_RDF",
        # 20 municipal
        "200121": "REC_LAMPS",
        "200307": "OTHER_WASTE_MIXED",
    }
)

# Sub-chapter rules: sub-chapter → (resource for non-hazardous codes, for hazardous codes).
SUBCHAPTER: dict[str, tuple[str, str]] = {
    "0201": ("ORG_CROP_RESIDUES", H),
    "0202": ("ORG_FOOD_WASTE", H),
    "0203": ("ORG_FOOD_WASTE", H),
    "0204": ("ORG_FOOD_WASTE", H),
    "0205": ("ORG_FOOD_WASTE", H),
    "0206": ("ORG_FOOD_WASTE", H),
    "0207": ("ORG_FOOD_WASTE", H),
    "0302": (NH, H),
    "0601": ("CHEM_ACID", "CHEM_ACID"),
    "0602": ("CHEM_BASE", "CHEM_BASE"),
    "0801": ("CHEM_PAINT", "CHEM_PAINT"),
    "0803": ("CHEM_PAINT", "CHEM_PAINT"),
    "0804": ("CHEM_PAINT", "CHEM_PAINT"),
    "1301": ("CHEM_HYDRAULIC_OIL", "CHEM_HYDRAULIC_OIL"),
    "1302": ("CHEM_ENGINE_OIL", "CHEM_ENGINE_OIL"),
    "1303": ("CHEM_HYDRAULIC_OIL", "CHEM_HYDRAULIC_OIL"),
    "1307": ("CHEM_HYDROCARBON_RESIDUES", "CHEM_HYDROCARBON_RESIDUES"),
    "1304": ("CHEM_OILY_WATER", "CHEM_OILY_WATER"),
    "1305": ("CHEM_OILY_WATER", "CHEM_OILY_WATER"),
    "1308": ("CHEM_OILY_WATER", "CHEM_OILY_WATER"),
    "1406": ("CHEM_SOLVENT", "CHEM_SOLVENT"),
    "1602": ("REC_WEEE", "REC_WEEE"),
    "1606": ("REC_BATTERIES", "REC_BATTERIES"),
    "1801": ("OTHER_WASTE_HEALTHCARE", "OTHER_WASTE_HEALTHCARE"),
    "1802": ("OTHER_WASTE_HEALTHCARE", "OTHER_WASTE_HEALTHCARE"),
}

# In the organic-chemistry sub-chapters 07 01 to 07 07, the codes ending in 03 and 04 are
# spent solvents (halogenated or not), whatever the industry.
SOLVENT_SUBCHAPTERS = {"0701", "0702", "0703", "0704", "0705", "0706", "0707"}

# Chapter rules, same shape as the sub-chapter rules.
CHAPTER: dict[str, tuple[str, str]] = {
    "13": ("CHEM_USED_OIL", H),
    "18": ("OTHER_WASTE_HEALTHCARE", "OTHER_WASTE_HEALTHCARE"),
}

COLUMNS = [
    "ler_code",
    "hazardous",
    "label_fr",
    "label_en",
    "chapter",
    "subchapter",
    "resource",
    "mapping",
    "mapping_source",
]

RULE_SOURCES = {
    "solvent_0701_0707": "LER 07 01 to 07 07: codes ending in 03 (halogenated) and 04 (other) "
    "are spent solvents and washing liquids, regenerated or burnt as kiln fuel",
    "effluent_sludge_0701_0707": "LER 07 01 to 07 07: code 12 is the non-hazardous biological "
    "sludge of on-site effluent treatment (digestion, composting, co-incineration)",
}
CATCH_ALL_SOURCE = (
    "no documented reuse route: treatment or disposal by an authorised operator "
    "(reviewed list tests/data/catalogue/ler_catch_all.csv)"
)


def resolve(code: str, hazardous: bool) -> tuple[str, str]:
    """(resource, mapping) for one LER code."""
    if code in SPECIFIC:
        return SPECIFIC[code], "specific"
    sub, chapter = code[:4], code[:2]
    if sub in SOLVENT_SUBCHAPTERS and code[4:] in ("03", "04"):
        kind = "CHEM_SOLVENT_HALO" if code[4:] == "03" else "CHEM_SOLVENT_NONHALO"
        return kind, "rule:solvent_0701_0707"
    if sub in SOLVENT_SUBCHAPTERS and code[4:] == "12" and not hazardous:
        return "ORG_SLUDGE_CHEMICAL", "rule:effluent_sludge_0701_0707"
    if sub in SUBCHAPTER:
        return SUBCHAPTER[sub][1 if hazardous else 0], f"rule:subchapter_{sub}"
    if chapter in CHAPTER:
        return CHAPTER[chapter][1 if hazardous else 0], f"rule:chapter_{chapter}"
    if hazardous:
        return H, "rule:hazardous_default"
    return NH, "rule:non_hazardous_default"


def _mapping_source(mapping: str, resource: dict) -> str:
    """Why a code went to its resource: the rule, or the resource's own reference."""
    if resource["code"] in (NH, H):
        return CATCH_ALL_SOURCE
    if mapping == "specific":
        return f"LER label read against the resource; reference: {resource['source']}"
    rule = mapping.split(":", 1)[1]
    if rule in RULE_SOURCES:
        return RULE_SOURCES[rule]
    return f"{rule.replace('_', ' ')} rule; reference: {resource['source']}"


def build(source: Path) -> list[dict[str, str]]:
    """Rows of ler.csv from the official list."""
    with open(RESOURCES, encoding="utf-8", newline="") as fh:
        resources = {row["code"]: row for row in csv.DictReader(fh)}
    known = set(resources)
    rows = []
    with open(source, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            code = rec["code"].strip()
            if len(code) != 6 or not code.isdigit():
                raise ValueError(f"{source}: bad LER code {code!r}")
            hazardous = rec["dangereux"].strip() == "1"
            resource, mapping = resolve(code, hazardous)
            if resource not in known:
                raise ValueError(f"LER {code} maps to {resource}, not in {RESOURCES.name}")
            rows.append(
                {
                    "ler_code": code,
                    "hazardous": "true" if hazardous else "false",
                    "label_fr": rec["libelle_fr"].strip(),
                    "label_en": rec["label_en"].strip(),
                    "chapter": rec["chapitre"].strip(),
                    "subchapter": rec["sous_chapitre"].strip(),
                    "resource": resource,
                    "mapping": mapping,
                    "mapping_source": _mapping_source(mapping, resources[resource]),
                }
            )
    unused = set(SPECIFIC) - {r["ler_code"] for r in rows}
    if unused:
        raise ValueError(f"SPECIFIC names codes absent from the list: {sorted(unused)}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="official LER list (CSV)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    rows = build(args.source)
    with open(args.output, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    specific = sum(r["mapping"] == "specific" for r in rows)
    print(
        f"{len(rows)} codes written to {args.output} ({specific} specific, "
        f"{len(rows) - specific} by rule)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
