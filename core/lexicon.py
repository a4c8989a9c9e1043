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

_STOP = set(
    """
    de du des d la le les l un une en et ou a au aux pour par sur avec sans dans chez
    of the and or for from with in on an to at by as
    issu issue issus issues provenant provenance type nos notre nous vos votre leur leurs
    ce ces cette cet son sa ses mon ma mes tres plus env environ approx etc
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
    premiere premier approvisionnement supply
    """.split()
)
_TEMPERATURE = re.compile(r"(\d{1,4})(?:[.,]\d+)?\s*(?:°|º|deg|degres|degrees)\s*c?\b", re.I)
_TEMPERATURE_C = re.compile(r"(\d{1,4})(?:[.,]\d+)?\s*°?\s*c\b", re.I)
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


def words(text: str) -> list[str]:
    """The stemmed words of ``text`` without empty words and numbers."""
    return analyse(text)[0]


def analyse(text: str) -> tuple[list[str], list[bool]]:
    """The stemmed words of ``text`` and, for each, whether it belongs to the head of the
    phrase: what comes before the first "pour", "du", "de la", "from"... that follows a
    meaningful word ("restes de repas | du self", "sciure | pour litière")."""
    out, head, in_head, seen_content = [], [], True, False
    text = re.sub(r"\(", " pour ", str(text))  # a parenthesis qualifies what precedes it
    raw = fold(text).split()
    for k, token in enumerate(raw):
        nxt = raw[k + 1] if k + 1 < len(raw) else ""
        if seen_content and (token in _BOUNDARY or (token == "de" and nxt in ("la", "l"))):
            in_head = False
        if token in _STOP or token.isdigit():
            continue
        out.append(stem(token))
        head.append(in_head)
        seen_content = seen_content or stem(token) not in _WEAK
    return out, head


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

    def __init__(self, terms: list[Term], lineage: dict[str, tuple[str, ...]]):
        self.terms = terms
        self.lineage = lineage
        self._by_token: dict[str, list[int]] = {}
        for index, term in enumerate(terms):
            for token in set(term.tokens):
                self._by_token.setdefault(token, []).append(index)
        self._vocabulary = sorted(self._by_token)
        self._strings = [fold(t.text) for t in terms]

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
        for code, res in resources.items():
            for label in (res.label_fr, res.label_en):
                add(re.sub(r"\(.*?\)", " ", label), code, 1.0)
                add(label, code, 1.0)
            add(code.replace("_", " "), code, 1.0)
        lineage = {}
        for code in resources:
            chain, parent = [code], resources[code].parent
            while parent and parent in resources and parent not in chain:
                chain.append(parent)
                parent = resources[parent].parent
            lineage[code] = tuple(chain)
        return cls(terms, lineage)

    # ------------------------------------------------------------------ matching

    def match(self, text: str, direction: str | None = None) -> TextMatch:
        """The resource ``text`` names, or None with suggestions (see the module docs).

        ``direction`` (``supply`` or ``need``), when known, picks the side of resources that
        exist in both (cold available / cold needed, surplus / needed electricity, waste heat /
        heat need); otherwise words such as "disponible", "besoin" decide.
        """
        tokens, head = analyse(text)
        ranked = self._rank(tokens, head)
        suggestions = [code for code, _, _ in ranked[:3]]
        if len(suggestions) < 3:
            for code in self._spelling(text):
                if code not in suggestions:
                    suggestions.append(code)
                if len(suggestions) == 3:
                    break
        if not ranked:
            return TextMatch(str(text), None, 0.0, "", suggestions)
        best, score, term = ranked[0]
        for other, other_score, _ in ranked[1:]:
            if not self._related(best, other) and other_score >= score - 0.05:
                score *= 0.8  # another resource explains the text as well
                break
        best = self._refine(best, text)
        best = _side(best, direction or _direction_cue(tokens))
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

    def _present(self, tokens: list[str]) -> dict[str, tuple[int, bool]]:
        """Vocabulary word -> (position in the text, found through a typo)."""
        from rapidfuzz import fuzz, process

        present: dict[str, tuple[int, bool]] = {}
        for pos, token in enumerate(tokens):
            if token in self._by_token:
                present.setdefault(token, (pos, False))
            elif len(token) >= 4:
                for hit, ratio, _ in process.extract(
                    token, self._vocabulary, scorer=fuzz.ratio, limit=3
                ):
                    if ratio >= 85 and abs(len(hit) - len(token)) <= 2:
                        present.setdefault(hit, (pos, True))
        return present

    def _rank(self, tokens: list[str], head: list[bool]) -> list[tuple[str, float, str]]:
        """(resource, score, deciding term) for every resource whose terms are found in the
        text, best first. A resource explains the words its terms cover together."""
        if not tokens:
            return []
        present = self._present(tokens)
        content = [t for t in tokens if t not in _WEAK] or tokens
        # words the vocabulary knows weigh fully: left unexplained, they may name another
        # resource; unknown words (places, actors, purposes) weigh a quarter; words after
        # "pour", "du", "de la"... (the phrase's complement) weigh about a third
        known = {pos: typo for pos, typo in present.values()}
        weight = []
        for pos, token in enumerate(tokens):
            if token not in content:
                weight.append(0.0)
                continue
            meaning = 0.25 if pos not in known else (0.5 if known[pos] else 1.0)
            weight.append(meaning * (1.0 if head[pos] else 0.35))
        total = sum(weight)
        first_content = next((p for p, t in enumerate(tokens) if t in content), 0)
        waste_cue = any(t in _WASTE_WORDS for t in tokens)
        found: dict[str, dict] = {}
        for index in {i for token in present for i in self._by_token[token]}:
            term = self.terms[index]
            if not all(token in present for token in term.tokens):
                continue
            covered = {present[token][0] for token in term.tokens}
            entry = found.setdefault(
                term.resource, {"covered": set(), "weight": 0.0, "typos": 9, "term": (0, 0, "")}
            )
            entry["covered"] |= covered
            entry["weight"] = max(entry["weight"], term.weight)
            typos = sum(present[token][1] for token in term.tokens)
            entry["typos"] = min(entry["typos"], typos)
            rank = (len(term.tokens), -min(covered))
            if rank > entry["term"][:2]:
                entry["term"] = (*rank, term.text)
        out = []
        for code, entry in found.items():
            covered = entry["covered"]
            explained = sum(weight[pos] for pos in covered)
            share = explained / total if total else 0.0
            if not explained:  # a term of weak words only explains a text of weak words
                share = len(covered) / len(tokens) if content is tokens else 0.0
            score = entry["weight"] * (0.5 + 0.5 * share) - 0.05 * entry["typos"]
            if not any(head[pos] for pos in covered):
                score -= 0.1  # explains only the complement ("pour litière")
            if first_content in covered:
                score += 0.03  # the head noun comes first in French phrases
            if waste_cue and code.split("_")[0] in _POOLED_PREFIXES:
                score -= 0.1  # "déchets de restauration" is waste, not a catering service
            out.append((code, score, entry["term"][2], len(covered)))
        out.sort(key=lambda item: (-item[1], -item[3]))
        return [(code, score, term) for code, score, term, _ in out]

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
