"""Resources written in words: "palettes cassées", "boues de STEP", "chaleur fatale 90 °C".

Meaning first, then spelling. ``core/data/synonyms.csv`` is a curated table of the words
questionnaires and interviews use (French and English, plurals and accents folded, the
practitioners' abbreviations STEP, DEEE, EPI, CSR, DIB, DAE, DASRI...), each pointing to a
catalogue resource; the catalogue's own labels and codes are added to it. A text is split
into words (accents, case, punctuation, elisions and plurals folded; empty words such as
"de", "pour", "the" dropped; qualifiers such as "propre", "usagé", "déchets" kept but weak).
Every term whose words all appear in the text (a word may differ by a typo) is a candidate;
the term that explains most of the text wins, the longest first (so "bois de palettes" is a
pallet, not wood in general, and "copeaux de métal" is swarf, not wood shavings). The
confidence is the share of the text's meaningful words the term explains, lowered when
another resource explains the text as well. A temperature (``90 °C``) or a pressure
(``12 bar``) refines heat and steam into their bands.

General rules, so that phrasings never seen resolve too:

- the head noun counts most: words after "de" or "à" qualify it (0.7), words after "pour",
  "du", "de la", "from"... are its complement (0.35); "non ferreux", "classe B",
  "catégorie 3" stay one word;
- a state qualifier ("usagé", "usé", "souillé", "sale", "périmé", *spent*, *used*) is one word
  whatever its spelling and picks the spent or used kind when one is a candidate ("soude
  caustique usagée" is spent caustic, "eaux de lavage sales" an effluent, not a need);
- a word may be a shortening ("labo", "polypro", "cogé") or of the same family
  ("blanchissage", "blanchisserie") of a known word; a four-letter word is a typo only when
  very close;
- a term may lack its generic words ("semences [déclassées]"), weighing a little less, never
  its state, side or "partagé"; a word that only one resource's terms use points to it;
- a kind of a resource explains what its parent's words explain ("housse PEBD" is LDPE);
  ties go to the resource whose own terms explain most, then to the most specific;
- heat named by its source gets the source's usual band ("chaleur des compresseurs");
- "achat groupé", "commande commune" make a group purchase of the goods the text names;
  "mutualisé", "partagé", "commun" favour shared services, equipment and space; waste
  words keep them away unless the service is about waste.

Below :data:`CONFIDENT` a text is not used: it comes back with its three best suggestions.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "synonyms.csv"

#: a text matched with at least this confidence is used (and flagged for review)
CONFIDENT = 0.7
#: weight of a resource known only by one of its distinctive words, not a whole term
DISTINCTIVE = 0.85

_STOP = set(
    """
    de du des d la le les l un une en et ou a au aux pour par sur avec sans dans chez
    of the and or for from with in on an to at by as
    issu issue issus issues provenant provenance type nos notre nous vos votre leur leurs
    ce ces cette cet son sa ses mon ma mes plus env environ approx etc
    y compris inclus notamment dont qui que quoi est sont
    c bar bars kw mw kwh mwh gwh h m m2 m3 nm3 t kg l hl pct degre degres deg env ca
    """.split()
)
_WEAK = set(
    """
    dechet waste residu residue sous produit coproduit byproduct by matiere material
    gisement besoin need disponible available excedent recuperation recupere valorisation
    valorisable usage usagee usagees use used usee usees vieux vieille ancien neuf neuve new
    propre clean sec seche dry humide wet brut brute raw broye broyee crushed vrac bulk
    divers diverse various autre other petit grand gros fin liquide solide pateux
    quantite tonne annuel mensuel chaque semaine jour an mois kg t m3 litre lot stock reste
    chute site usine production process procede fabrication industriel industrielle
    industrial mixed non trie sorted unsorted dechet benne bennes
    cherchon cherche recherche recherchon souhaite souhaitons voudrion looking seeking
    premiere premier approvisionnement supply recuperable reforme declasse declassee
    offcut offcuts vide vides empty retour ecart rebut reliquat consommation demande manque
    tres very invendu invendue surplu excedentaire excess pret loan lending location
    commun commune communs communes mutualise mutualisee mutualises mutualisees mutualisation
    partage partagee partages partagees partager collectif collective collectifs shared joint
    pooled pooling interentreprise groupe groupee groupement entreprise societe company
    prestataire materiel equipement equipment
    """.split()
)
#: qualifiers of state, folded to one word each so that "soudes usagées" meets "soudes
#: usées" and "spent caustic": worn or spent, soiled or contaminated, past its date
_CANON = {
    **dict.fromkeys(("usage", "usagee", "usee", "use", "used", "spent", "worn"), "use"),
    **dict.fromkeys(
        (
            "souille",
            "souillee",
            "sale",
            "pollue",
            "polluee",
            "contamine",
            "contaminee",
            "dirty",
            "contaminated",
            "polluted",
            "soiled",
        ),
        "souille",
    ),
    **dict.fromkeys(("perime", "perimee", "expired", "outdated"), "perime"),
}
_QUALIFIERS = {"use", "souille", "perime"}
#: words that say a resource is shared or bought together
_POOLED_CUES = {
    "commun",
    "commune",
    "mutualise",
    "mutualisee",
    "mutualisation",
    "partage",
    "partagee",
    "partager",
    "collectif",
    "collective",
    "shared",
    "joint",
    "pooled",
    "pooling",
    "interentreprise",
    "pret",
    "loan",
    "lending",
    "mutualiser",
    "common",
}
# shared, pooled, common, lent: one word, so that "centrale solaire collective" meets
# "centrale solaire partagée" and "collecte commune" meets "collecte mutualisée"
_CANON.update(dict.fromkeys(_POOLED_CUES, "partage"))
_POOLED_CUES.add("partage")
_PURCHASE_CUES = {"achat", "acheter", "commande", "purchase", "purchasing", "procurement"}
#: with a purchase word, these make it a group purchase ("achat groupé", "commande commune")
_GROUP_WORDS = {"groupe", "groupee", "groupement", "group", "bulk"}
#: where waste heat comes from, and the band it usually has when no figure is given
#: (ADEME (2017) La chaleur fatale: compressors 50-90 °C, refrigeration condensers and
#: data centres 25-50 °C, furnaces and flue gases above 120 °C)
_HEAT_SOURCES = {
    **dict.fromkeys(("compresseur", "compressor", "compression"), "EN_HEAT_MT"),
    **dict.fromkeys(
        (
            "condenseur",
            "condensation",
            "condenser",
            "frigorifique",
            "froid",
            "refrigeration",
            "climatisation",
            "data",
            "datacenter",
            "datacentre",
            "serveur",
            "server",
        ),
        "EN_HEAT_LT",
    ),
    **dict.fromkeys(("tiede", "tepid", "lukewarm"), "EN_HEAT_VLT"),
    **dict.fromkeys(("four", "furnace", "oven", "kiln", "incinerateur"), "EN_HEAT_HT"),
}
_TEMPERATURE = re.compile(r"(\d{1,4})(?:[.,]\d+)?\s*(?:°|º|deg|degres|degrees)\s*c?\b", re.I)
_TEMPERATURE_C = re.compile(r"(\d{1,4})(?:[.,]\d+)?\s*°?\s*c\b", re.I)
_CODE_LIKE = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+")
_PRESSURE = re.compile(r"(\d{1,3})(?:[.,]\d+)?\s*(?:bars?|b)\b", re.I)

HEAT_BANDS = (  # (upper bound °C, resource)
    (30.0, "EN_HEAT_VLT"),
    (60.0, "EN_HEAT_LT"),
    (120.0, "EN_HEAT_MT"),
    (float("inf"), "EN_HEAT_HT"),
)
_HEAT_SUPPLY = {"EN_HEAT_VLT", "EN_HEAT_LT", "EN_HEAT_MT", "EN_HEAT_HT"}
_STEAM = {"EN_STEAM", "EN_STEAM_LP", "EN_STEAM_HP"}
#: resources that are one concept seen from the supply or the need side
_SIDES = {  # resource -> (supply side, need side)
    **{code: ("EN_HEAT_MT", "EN_HEAT_NEED") for code in ("EN_HEAT_NEED",)},
    **{code: (code, "EN_HEAT_NEED") for code in _HEAT_SUPPLY},
    "EN_COLD": ("EN_COLD", "EN_COLD_NEED"),
    "EN_COLD_NEED": ("EN_COLD", "EN_COLD_NEED"),
    "EN_ELEC_SURPLUS": ("EN_ELEC_SURPLUS", "EN_ELEC_NEED"),
    "EN_ELEC_NEED": ("EN_ELEC_SURPLUS", "EN_ELEC_NEED"),
}
_GROUPS = (
    _HEAT_SUPPLY | {"EN_HEAT_NEED", "EN_HOT_WATER"},
    _STEAM,
    {"EN_COLD", "EN_COLD_NEED"},
    {"EN_ELEC_SURPLUS", "EN_ELEC_NEED", "EN_ELEC_PV", "EN_ELEC_CHP"},
)
_SUPPLY_CUES = {
    "disponible",
    "available",
    "surplu",
    "excedent",
    "excedentaire",
    "excess",
    "fatal",
    "fatale",
    "perdu",
    "perdue",
    "rejet",
    "donner",
    "offre",
    "cede",
}
_NEED_CUES = {
    "besoin",
    "need",
    "recherche",
    "cherchon",
    "cherche",
    "demande",
    "manque",
    "consommation",
    "achat",
}
_WASTE_WORDS = {
    "dechet",
    "waste",
    "residu",
    "residue",
    "reste",
    "rebut",
    "refu",
    "boue",
    "chute",
    "sludge",
    "scrap",
}
_POOLED_PREFIXES = {"SRV", "EQ", "PUR", "SKL", "SPC"}


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _direction_cue(tokens: list[str]) -> str | None:
    supply = any(t in _SUPPLY_CUES for t in tokens)
    need = any(t in _NEED_CUES for t in tokens)
    if supply != need:
        return "supply" if supply else "need"
    return None


def _side(code: str, direction: str | None) -> str:
    """The side of a two-sided resource that fits the flow's direction."""
    if direction not in ("supply", "need") or code not in _SIDES:
        return code
    return _SIDES[code][0 if direction == "supply" else 1]


def fold(text: str) -> str:
    """Lower case, no accents, ligatures opened, punctuation as spaces."""
    text = str(text).replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def stem(token: str) -> str:
    """A French or English word without its plural mark (same rule on both sides)."""
    if len(token) > 4 and token.endswith("eaux"):
        return token[:-1]
    if len(token) > 4 and token.endswith("aux"):
        return token[:-3] + "al"
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token[-1] in "sx" and not token.endswith("ss"):
        return token[:-1]
    return token


_BOUNDARY = {
    "pour",
    "for",
    "from",
    "du",
    "des",
    "chez",
    "dans",
    "sur",
    "issu",
    "issus",
    "issue",
    "issues",
    "provenant",
    "at",
    "in",
    "by",
}
#: "X de Y", "X à Y": Y qualifies the head X ("zinc | de toiture", "compacteur | à cartons")
_SOFT_BOUNDARY = {"de", "d", "a", "of"}
_AND = {"et", "ou", "and", "or"}
#: a letter or a figure that names a class ("bois classe B", "catégorie 3")
_CLASS_WORDS = {"classe", "class", "categorie", "category", "cat"}
#: level of a word in its phrase -> weight: head, qualifier after "de", complement
LEVEL_WEIGHT = (1.0, 0.7, 0.35)

_WEAK = {stem(w) for w in _WEAK} | _WEAK
#: generic words a term may lack in the text ("semences [déclassées]", "[déchets de] cuivre"):
#: never a state ("usagé", "neuf"), a side ("besoin", "disponible") nor "partagé"
_PLAIN_WEAK = {
    stem(w)
    for w in """
    dechet waste residu residue sous produit coproduit byproduct by matiere material brut
    brute raw broye broyee crushed vrac bulk divers diverse various autre other chute
    declasse declassee reforme
    """.split()
}
_WEAK |= _QUALIFIERS


def words(text: str) -> list[str]:
    """The stemmed words of ``text`` without empty words and numbers."""
    return analyse(text)[0]


def analyse(text: str) -> tuple[list[str], list[bool]]:
    """The stemmed words of ``text`` and, for each, whether it belongs to the head of the
    phrase: what comes before the first "pour", "du", "de la", "from"... that follows a
    meaningful word ("restes de repas | du self", "sciure | pour litière")."""
    tokens, levels = analyse_levels(text)
    return tokens, [level == 0 for level in levels]


def analyse_levels(text: str) -> tuple[list[str], list[int]]:
    """The stemmed words of ``text`` and their level in the phrase: 0 for the head, 1 for a
    qualifier after "de" or "à" ("zinc | de toiture", "compacteur | à cartons"), 2 for the
    complement after "pour", "du", "de la", "from"... ("sciure | pour litière").

    "non" joins the word it negates ("non dangereux", "non ferreux"); a letter or figure
    after "classe" or "catégorie" joins it ("classe B", "catégorie 3"); qualifiers of
    state are folded to one word ("usagé", "usé", "spent" -> "use")."""
    out, levels, level, seen_content = [], [], 0, False
    text = re.sub(r"\(", " pour ", str(text))  # a parenthesis qualifies what precedes it
    raw = fold(text).split()
    k, previous = 0, ""
    while k < len(raw):
        token = raw[k]
        previous = raw[k - 1] if k else ""
        nxt = raw[k + 1] if k + 1 < len(raw) else ""
        if seen_content and (token in _BOUNDARY or (token == "de" and nxt in ("la", "l"))):
            level = 2
        elif seen_content and token in _SOFT_BOUNDARY and previous not in _AND:
            level = max(level, 1)  # "taille et d'élagage": "d'" coordinates
        if token == "non" and nxt and nxt not in _STOP and not nxt.isdigit():
            token, k = "non" + stem(nxt), k + 1
        elif token in _CLASS_WORDS and len(nxt) <= 2 and nxt.isalnum():
            token, k = "classe" + nxt, k + 1
        k += 1
        if token == "the" and (k == len(raw) or previous in ("de", "d", "du", "au", "en")):
            pass  # French "thé" ("marc de thé"), not the English article
        elif token in _STOP or token.isdigit():
            continue
        word = stem(token)
        word = _CANON.get(word, _CANON.get(token, word))
        out.append(word)
        levels.append(level)
        seen_content = seen_content or word not in _WEAK
    return out, levels


@dataclass(frozen=True)
class Term:
    text: str
    resource: str
    weight: float
    tokens: tuple[str, ...]


@dataclass
class TextMatch:
    """What a text resolved to: ``resource`` (None when unsure), ``confidence`` (0-1), the
    ``term`` that decided, and up to three ``suggestions`` (best first)."""

    text: str
    resource: str | None
    confidence: float
    term: str = ""
    suggestions: list[str] = field(default_factory=list)


class Lexicon:
    """Terms -> resources, built once per catalogue."""

    def __init__(
        self,
        terms: list[Term],
        lineage: dict[str, tuple[str, ...]],
        labels: dict[str, set[str]] | None = None,
    ):
        self.terms = terms
        self.lineage = lineage
        self._by_token: dict[str, list[int]] = {}
        for index, term in enumerate(terms):
            for token in set(term.tokens):
                self._by_token.setdefault(token, []).append(index)
        self._vocabulary = sorted(self._by_token)
        # a word that only one resource's terms use points to it even outside those terms
        # ("yaourts" from "yaourts périmés": dairy); a weaker sign than a whole term
        self._distinctive: dict[str, str] = {}
        for token, indexes in self._by_token.items():
            owners = {terms[i].resource for i in indexes}
            if len(owners) == 1 and len(token) >= 4 and token not in _WEAK:
                self._distinctive[token] = owners.pop()
        self._strings = [fold(t.text) for t in terms]
        # the words of each resource's own labels: which resources are spent or used
        # ("solvants usagés"), which are needs ("(besoin)"), and what tells a kind from
        # its parent ("gaz de raffinerie" under "gaz de procédé")
        self.labels = labels or {}
        self.spent = {c for c, w in self.labels.items() if w & (_QUALIFIERS | {"effluent"})}
        self.needs = {c for c, w in self.labels.items() if w & {"besoin", "need"}}
        self.about_waste = {c for c, w in self.labels.items() if w & _WASTE_WORDS}
        self.children: dict[str, list[str]] = {}
        for code, chain in lineage.items():
            if len(chain) > 1:
                self.children.setdefault(chain[1], []).append(code)

    @classmethod
    def build(cls, resources: dict, path: Path = DATA) -> Lexicon:
        """Curated synonyms first, then every resource's labels and code."""
        terms: list[Term] = []
        seen: set[tuple[str, ...]] = set()

        def add(text: str, code: str, weight: float) -> None:
            tokens = tuple(words(text))
            if not tokens or tokens in seen or code not in resources:
                return
            seen.add(tokens)
            terms.append(Term(text, code, weight, tokens))

        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                add(row["term"], row["resource"], float(row["weight"] or 1))
        labels: dict[str, set[str]] = {}
        for code, res in resources.items():
            labels[code] = set()
            for label in (res.label_fr, res.label_en):
                add(re.sub(r"\(.*?\)", " ", label), code, 1.0)
                add(label, code, 1.0)
                labels[code] |= set(words(label))
            add(code.replace("_", " "), code, 1.0)
        lineage = {}
        for code in resources:
            chain, parent = [code], resources[code].parent
            while parent and parent in resources and parent not in chain:
                chain.append(parent)
                parent = resources[parent].parent
            lineage[code] = tuple(chain)
        return cls(terms, lineage, labels)

    # ------------------------------------------------------------------ matching

    def match(self, text: str, direction: str | None = None) -> TextMatch:
        """The resource ``text`` names, or None with suggestions (see the module docs).

        ``direction`` (``supply`` or ``need``), when known, picks the side of resources that
        exist in both (cold available / cold needed, surplus / needed electricity, waste heat /
        heat need); otherwise words such as "disponible", "besoin" decide.
        """
        tokens, levels = analyse_levels(text)
        code_like = bool(_CODE_LIKE.fullmatch(str(text).strip()))
        ranked = self._rank(tokens, levels, code_like)
        suggestions = [code for code, _, _, _ in ranked[:3]]
        if len(suggestions) < 3:
            for code in self._spelling(text):
                if code not in suggestions:
                    suggestions.append(code)
                if len(suggestions) == 3:
                    break
        if not ranked:
            return TextMatch(str(text), None, 0.0, "", suggestions)
        best, score, term, _ = ranked[0]
        for other, other_score, _, _ in ranked[1:]:
            if not self._related(best, other) and other_score >= score - 0.05:
                score *= 0.8  # another resource explains the text as well
                break
        cue = direction or _direction_cue(tokens)
        best = self._heat_source(best, tokens, cue)
        best = self._refine(best, text)
        best = _side(best, cue)
        if best not in suggestions:
            suggestions = [best, *suggestions][:3]
        confidence = round(max(0.0, min(1.0, score)), 2)
        if confidence < CONFIDENT:
            return TextMatch(str(text), None, confidence, term, suggestions)
        return TextMatch(str(text), best, confidence, term, suggestions)

    def _related(self, a: str, b: str) -> bool:
        """Same concept: one is a kind of the other, same band family, or two sides of it."""
        if a in self.lineage.get(b, ()) or b in self.lineage.get(a, ()):
            return True
        for group in _GROUPS:
            if a in group and b in group:
                return True
        return False

    def _heat_source(self, code: str, tokens: list[str], cue: str | None) -> str:
        """Heat named by its source ("chaleur des compresseurs") is waste heat of the band
        that source usually gives, unless the text asks for heat."""
        if code not in _HEAT_SUPPLY and code != "EN_HEAT_NEED" or cue == "need":
            return code
        if code == "EN_HEAT_NEED" and any(t in _NEED_CUES for t in tokens):
            return code
        for token in tokens:
            if token in _HEAT_SOURCES:
                return _HEAT_SOURCES[token]
        return code

    def _present(self, tokens: list[str], lenient: bool = False) -> dict[str, tuple[int, bool]]:
        """Vocabulary word -> (position in the text, found through a typo, a shortening
        such as "labo", "polypro", "cogé", or a word of the same family such as
        "blanchissage" for "blanchisserie"). ``lenient`` for a mistyped code ("ORG_GREN_WAST"):
        its four-letter words are typos, not other words."""
        from bisect import bisect_left

        from rapidfuzz import fuzz, process
        from rapidfuzz.distance import Levenshtein

        vocabulary = self._vocabulary
        present: dict[str, tuple[int, bool]] = {}
        for pos, token in enumerate(tokens):
            if token in self._by_token:
                present.setdefault(token, (pos, False))
                continue
            if len(token) < 4 or token in _WEAK:
                continue  # our own weak words are known words, not typos of others
            stem_len = min(len(token), 6)
            start = bisect_left(vocabulary, token[:stem_len])
            shortened, family = [], []
            for word in vocabulary[start : start + 200]:
                if not word.startswith(token[:stem_len]):
                    break
                common = len(_common_prefix(word, token))
                if common == len(token) and len(word) >= len(token) + 2:
                    shortened.append(word)
                elif common >= 6 and common >= 0.6 * max(len(word), len(token)):
                    family.append(word)
            found = False
            if 0 < len(shortened) <= 4:  # "labo", "polypro", "cogé", "demin"
                for word in shortened:
                    present.setdefault(word, (pos, True))
                found = True
            for hit, ratio, _ in process.extract(token, vocabulary, scorer=fuzz.ratio, limit=3):
                # a four-letter word is too short to tell a typo from another word
                # ("trucs" is not "truck"): one letter more, or exactly as close
                close = ratio >= 85 if len(token) > 4 or lenient else ratio >= 90
                # one edit in a word of up to seven letters ("isolant" is not "solvant")
                edits = Levenshtein.distance(hit, token, score_cutoff=2)
                if close and edits <= (1 if len(token) < 8 and not lenient else 2):
                    present.setdefault(hit, (pos, True))
                    found = True
            if not found and 0 < len(family) <= 3:  # "blanchissage", "blanchisserie"
                for word in family:
                    present.setdefault(word, (pos, True))
        return present

    def _rank(
        self, tokens: list[str], levels: list[int], lenient: bool = False
    ) -> list[tuple[str, float, str, set[int]]]:
        """(resource, score, deciding term, positions explained) for every resource whose
        terms are found in the text, best first. A resource explains the words its terms
        cover together, and those its parent's terms cover (a kind is also its parent)."""
        if not tokens:
            return []
        present = self._present(tokens, lenient)
        content = [t for t in tokens if t not in _WEAK] or tokens
        found: dict[str, dict] = {}
        for index in {i for token in present for i in self._by_token[token]}:
            term = self.terms[index]
            # a plain weak word of a term may be missing ("semences [déclassées]"), not a
            # qualifier of state nor a word saying the resource is shared
            needed = [t for t in term.tokens if t not in _PLAIN_WEAK] or term.tokens
            if not all(token in present for token in needed):
                continue
            relaxed = len(needed) < len(term.tokens) and not all(
                token in present for token in term.tokens
            )
            if relaxed and not any(
                t not in _WEAK and t not in _PURCHASE_CUES and t not in _GROUP_WORDS for t in needed
            ):
                continue  # "achat groupé [de matières premières]" names no goods
            covered = {present[token][0] for token in term.tokens if token in present}
            entry = found.setdefault(
                term.resource, {"covered": set(), "weight": 0.0, "typos": 9, "term": (0, 0, "")}
            )
            entry["covered"] |= covered
            entry["weight"] = max(entry["weight"], term.weight - 0.08 * relaxed)
            typos = sum(present[token][1] for token in term.tokens if token in present)
            entry["typos"] = min(entry["typos"], typos)
            rank = (len(term.tokens), -min(covered))
            if rank > entry["term"][:2]:
                entry["term"] = (*rank, term.text)
        for token, (pos, typo) in present.items():
            code = self._distinctive.get(token)
            if code is None or typo:
                continue
            entry = found.setdefault(
                code, {"covered": set(), "weight": DISTINCTIVE, "typos": 0, "term": (0, 0, token)}
            )
            entry["covered"].add(pos)
        # a state qualifier ("usagé", "souillé", "périmé") counts when a spent or used
        # resource is among the candidates: it tells the spent kind from the fresh one
        qualified = [p for p, t in enumerate(tokens) if t in _QUALIFIERS]
        spent_here = bool(qualified) and any(code in self.spent for code in found)
        named = {p for e in found.values() for p in e["covered"] if p in qualified}
        for entry in found.values():
            entry["own"] = set(entry["covered"])
        for code, entry in found.items():
            for ancestor in self.lineage.get(code, (code,))[1:]:
                if ancestor in found:
                    entry["covered"] |= found[ancestor]["own"]
            if spent_here and code in self.spent:
                entry["covered"] |= set(qualified)
                parent = self.lineage.get(code, (code,))[1:2]
                for other, other_entry in found.items():  # the spent form of a sibling
                    if parent and other != code and self.lineage.get(other, ())[1:2] == parent:
                        entry["covered"] |= other_entry["own"]
        purchase_cue = any(t in _PURCHASE_CUES for t in tokens) and any(
            t in _POOLED_CUES or t in _GROUP_WORDS for t in tokens
        )
        if purchase_cue:
            self._group_purchase(tokens, found)
        # words the vocabulary knows weigh fully: left unexplained, they may name another
        # resource; unknown words (places, actors, purposes) weigh a quarter; words after
        # "de" weigh 0.7, after "pour", "du", "de la"... (the phrase's complement) 0.35
        known = {pos: typo for pos, typo in present.values()}
        weight = []
        for pos, token in enumerate(tokens):
            if token not in content and not (pos in qualified and (spent_here or pos in named)):
                weight.append(0.0)
                continue
            meaning = 0.25 if pos not in known else (0.5 if known[pos] else 1.0)
            weight.append(meaning * LEVEL_WEIGHT[levels[pos]])
        total = sum(weight)
        known_content = any(p in known for p, t in enumerate(tokens) if t in content)
        first_content = next((p for p, t in enumerate(tokens) if t in content), 0)
        waste_cue = any(t in _WASTE_WORDS or t in _QUALIFIERS for t in tokens)
        pooled_cue = any(t in _POOLED_CUES for t in tokens)
        heads = {  # a form of waste ("boues de bac à graisse") is named by what follows
            p
            for p, t in enumerate(tokens)
            if t in content and levels[p] == 0 and t not in _WASTE_WORDS
        }
        heads_named = any(entry["covered"] & heads for entry in found.values())
        out = []
        for code, entry in found.items():
            covered = entry["covered"]
            explained = sum(weight[pos] for pos in covered)
            share = explained / total if total else 0.0
            if not explained and (content is tokens or not known_content):
                # a term of weak words explains a text of weak words, and of words the
                # vocabulary does not know ("invendus | du supermarché")
                share = len(covered) / len(tokens)
            score = entry["weight"] * (0.5 + 0.5 * share) - 0.05 * entry["typos"]
            if not any(levels[pos] < 2 for pos in covered):
                score -= 0.1  # explains only the complement ("pour litière")
            elif heads_named and not covered & heads:
                score -= 0.1  # only qualifies a head another resource names ("de poids lourds")
            if first_content in covered:
                score += 0.03  # the head noun comes first in French phrases
            prefix = code.split("_")[0]
            if waste_cue and prefix in _POOLED_PREFIXES and code not in self.about_waste:
                score -= 0.35  # "restes de plateaux repas" are waste, "EPI usagés" no purchase
            elif pooled_cue and not waste_cue and prefix in _POOLED_PREFIXES:
                score += 0.05  # "transport mutualisé", "broyeur partagé"
            if purchase_cue and prefix not in _POOLED_PREFIXES:
                score -= 0.1  # "achat groupé de chlorure ferrique" is a group purchase
            if qualified and code in self.needs:
                score -= 0.1  # "eaux de lavage souillées" are not a need for water
            depth = len(self.lineage.get(code, ()))
            own = len(entry["own"])
            out.append((code, score, entry["term"][2], covered, own, len(covered), depth))
        # ties: the resource whose own terms explain most, then the most specific
        out.sort(key=lambda item: (-round(item[1], 6), -item[4], -item[5], -item[6]))
        return [(code, score, term, covered) for code, score, term, covered, *_ in out]

    def _group_purchase(self, tokens: list[str], found: dict[str, dict]) -> None:
        """A group purchase of goods ("achat groupé d'ordinateurs") is the purchase whose
        label names the same goods as what the text names (the IT equipment's label shares
        "informatique" with the IT purchase's): that purchase explains the goods' words."""
        cues = {
            p
            for p, t in enumerate(tokens)
            if t in _PURCHASE_CUES or t in _GROUP_WORDS or t in _POOLED_CUES
        }
        goods_found = {
            code: entry["own"]
            for code, entry in found.items()
            if code.split("_")[0] not in _POOLED_PREFIXES
        }
        for code, label in self.labels.items():
            if not code.startswith("PUR_"):
                continue
            goods = label - _PURCHASE_CUES - _GROUP_WORDS - _POOLED_CUES - _WEAK
            covered = {p for p, t in enumerate(tokens) if t in goods}
            for other, own in goods_found.items():
                if self.labels.get(other, set()) & goods:
                    covered |= own
            if not covered - cues:
                continue
            entry = found.setdefault(
                code, {"covered": set(), "weight": 1.0, "typos": 0, "term": (0, 0, code)}
            )
            entry.setdefault("own", set())
            entry["covered"] |= covered | cues
            entry["own"] |= covered | cues

    def _spelling(self, text: str) -> list[str]:
        """Resources whose terms are spelt closest to ``text`` (fallback suggestions)."""
        from rapidfuzz import fuzz, process

        folded = fold(text)
        if not folded:
            return []
        hits = process.extract(folded, self._strings, scorer=fuzz.token_set_ratio, limit=30)
        out: list[str] = []
        for _, _, index in hits:
            code = self.terms[index].resource
            if code not in out:
                out.append(code)
        return out

    @staticmethod
    def _refine(code: str, text: str) -> str:
        """Heat by temperature band, steam by pressure, when the text gives the figure."""
        if code in _HEAT_SUPPLY:
            found = _TEMPERATURE.search(str(text)) or _TEMPERATURE_C.search(str(text))
            if found:
                degrees = float(found.group(1))
                for upper, band in HEAT_BANDS:
                    if degrees < upper or (upper == 120.0 and degrees == 120.0):
                        return band
        if code in _STEAM:
            found = _PRESSURE.search(str(text))
            if found:
                return "EN_STEAM_HP" if float(found.group(1)) > 10 else "EN_STEAM_LP"
        return code
