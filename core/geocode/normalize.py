"""Normalisation and parsing of French postal addresses.

Everything here works on plain strings and is fast enough to run once per query:
lowercase, accents stripped, punctuation turned into spaces, abbreviations expanded
(``av`` → ``avenue``, ``st`` → ``saint``, ``lieu-dit`` → ``lieudit``...). A street is split
into its type (``rue``, ``avenue``, ``lieudit``...) and its *core* (the distinctive words,
articles dropped), which is what fuzzy matching compares.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

_LIGATURES = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "’": " ",
        "'": " ",
        "`": " ",
        "´": " ",
        "°": " ",
        "º": " ",
        "\u00a0": " ",
    }
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

#: Abbreviations expanded token by token (after lowercasing and accent stripping).
ABBREVIATIONS: dict[str, str] = {
    "av": "avenue",
    "ave": "avenue",
    "aven": "avenue",
    "avn": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "bvd": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "plc": "place",
    "rte": "route",
    "chem": "chemin",
    "ch": "chemin",
    "chm": "chemin",
    "che": "chemin",
    "imp": "impasse",
    "all": "allee",
    "al": "allee",
    "r": "rue",
    "fg": "faubourg",
    "fbg": "faubourg",
    "faub": "faubourg",
    "sq": "square",
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "za": "zone d activite",
    "zae": "zone d activite",
    "zi": "zone industrielle",
    "zac": "zone d amenagement concerte",
    "ld": "lieudit",
    "res": "residence",
    "resid": "residence",
    "lot": "lotissement",
    "lotiss": "lotissement",
    "crs": "cours",
    "qu": "quai",
    "qua": "quai",
    "pass": "passage",
    "psg": "passage",
    "prom": "promenade",
    "esp": "esplanade",
    "sent": "sentier",
    "rpt": "rond point",
    "rdpt": "rond point",
    "carr": "carrefour",
    "mte": "montee",
    "ham": "hameau",
    "dom": "domaine",
    "trav": "traverse",
    "gr": "grande",
    "gde": "grande",
    "gd": "grand",
    "gal": "general",
    "gen": "general",
    "gl": "general",
    "genl": "general",
    "mal": "marechal",
    "mar": "marechal",
    "pdt": "president",
    "dr": "docteur",
    "doct": "docteur",
    "cdt": "commandant",
    "cmdt": "commandant",
    "lt": "lieutenant",
    "ltn": "lieutenant",
    "cne": "capitaine",
    "capt": "capitaine",
    "prof": "professeur",
    "mgr": "monseigneur",
    "nd": "notre dame",
    "vc": "voie communale",
    "cr": "chemin rural",
    "rd": "route departementale",
    "rn": "route nationale",
    "cd": "chemin departemental",
}

#: Acronyms also recognised when dotted ("Z.I."); not "R.D.", which reads "r. d'…" too.
_ACRONYMS = frozenset({"za", "zae", "zi", "zac", "ld"})

#: Street types (normalised), longest first so that ``zone industrielle`` wins over ``zone``.
STREET_TYPES: tuple[str, ...] = tuple(
    sorted(
        {
            "rue",
            "avenue",
            "boulevard",
            "place",
            "route",
            "chemin",
            "impasse",
            "allee",
            "faubourg",
            "square",
            "quai",
            "cours",
            "ruelle",
            "passage",
            "promenade",
            "esplanade",
            "sentier",
            "rond point",
            "carrefour",
            "montee",
            "traverse",
            "venelle",
            "voie",
            "mail",
            "parvis",
            "villa",
            "cite",
            "clos",
            "residence",
            "lotissement",
            "hameau",
            "lieudit",
            "domaine",
            "zone",
            "zone d activite",
            "zone industrielle",
            "zone artisanale",
            "zone d amenagement concerte",
            "parc d activite",
            "chemin rural",
            "chemin departemental",
            "route departementale",
            "route nationale",
            "voie communale",
            "port",
            "pont",
            "porte",
            "cote",
            "levee",
            "digue",
            "ancien chemin",
            "vieille route",
            "grande rue",
            "grand rue",
            "grand place",
        },
        key=lambda t: -len(t),
    )
)
#: Types that designate a place rather than a road: matched as ``locality``.
LOCALITY_TYPES = frozenset({"lieudit", "hameau", "domaine"})
#: One-word types long enough for a typo to be recognised, and the similarity needed.
_LONG_TYPES = tuple(t for t in STREET_TYPES if " " not in t and len(t) >= 6)
_TYPE_TYPO_CUTOFF = 80.0
_TYPE_TOKENS = {t: tuple(t.split()) for t in STREET_TYPES}
_MAX_TYPE_LEN = max(len(v) for v in _TYPE_TOKENS.values())
_TYPE_SET = {v: k for k, v in _TYPE_TOKENS.items()}
#: Road words that make a name a street even when they are not its first word.
_ROAD_WORDS = frozenset({"rue", "avenue", "boulevard", "route", "chemin", "place", "allee"})

ARTICLES = frozenset(
    {"le", "la", "les", "l", "de", "du", "des", "d", "au", "aux", "a", "et", "en", "un", "une"}
)

#: Repetition indices (``12 bis``), normalised to the BAN spelling.
REPETITIONS: dict[str, str] = {
    "bis": "bis",
    "ter": "ter",
    "quater": "quater",
    "quinquies": "quinquies",
    "quinquiès": "quinquies",
    "b": "b",
    "t": "t",
    "q": "q",
    "a": "a",
    "c": "c",
    "d": "d",
    "e": "e",
    "f": "f",
    "g": "g",
}
#: Letters that stand for the Latin indices, for loose comparisons.
REPETITION_EQUIV: dict[str, str] = {"b": "bis", "t": "ter", "q": "quater"}

_POSTCODE = re.compile(r"(?<!\d)((?:0[1-9]|[1-8]\d|9[0-8])\d{3})(?!\d)")
_CEDEX = re.compile(r"\bcedex\b(\s*\d+)?", re.IGNORECASE)
_POSTBOX = re.compile(r"\b(bp|cs|tsa|case postale)\s*\d+\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"^\s*(?:n\s*(?:°|o|º)?\s*\.?\s*)?(\d{1,5})(?:\s*[-/]\s*\d{1,5})?"
    r"\s*(bis|ter|quater|quinquies|[a-g]|t|q)?(?![a-z0-9])\s*[,.]?\s*",
    re.IGNORECASE,
)

_LONE_NUMBER = re.compile(
    r"^\s*(?:n\s*(?:°|o|º)?\s*\.?\s*)?(\d{1,5})\s*(bis|ter|quater|quinquies|[a-g]|t|q)?\s*$",
    re.IGNORECASE,
)


def strip_accents(text: str) -> str:
    """``"Église Œuvre"`` → ``"Eglise OEuvre"``."""
    text = text.translate(_LIGATURES)
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normalize_text(text) -> str:
    """Lowercase ASCII words separated by single spaces; ``None``/NaN give ``""``."""
    if text is None or text != text:  # NaN
        return ""
    text = strip_accents(str(text)).lower()
    return " ".join(_NON_ALNUM.split(text)).strip()


def expand_abbreviations(normalized: str) -> str:
    """Expand the abbreviations of an already normalised text."""
    tokens = normalized.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "lieu" and i + 1 < len(tokens) and tokens[i + 1] in ("dit", "dits"):
            out.append("lieudit")
            i += 2
            continue
        if len(tok) == 1 and i + 1 < len(tokens) and len(tokens[i + 1]) == 1:
            # Dotted acronyms: "Z.I." → "z i" → "zi".
            for n in (3, 2):
                joined = "".join(tokens[i : i + n])
                if len(joined) == n and joined in _ACRONYMS:
                    out.append(ABBREVIATIONS[joined])
                    i += n
                    break
            else:
                out.append(ABBREVIATIONS.get(tok, tok))
                i += 1
            continue
        if tok == "zone" and i + 1 < len(tokens) and tokens[i + 1] == "art":
            out.append("zone artisanale")
            i += 2
            continue
        if tok == "mar" and out and out[-1].isdigit():
            out.append("mars")  # "rue du 19 mar 1962": a month, not marechal
            i += 1
            continue
        out.append(ABBREVIATIONS.get(tok, tok))
        i += 1
    return " ".join(out)


def normalize_street(text) -> str:
    """Normalised street or place name with abbreviations expanded."""
    return expand_abbreviations(normalize_text(text))


def split_street(normalized: str) -> tuple[str, str]:
    """Split a normalised street into ``(type, core)``.

    The type is one of :data:`STREET_TYPES` or ``""``; the core keeps the distinctive
    words, articles dropped (``"rue de la gare"`` → ``("rue", "gare")``).
    """
    tokens = normalized.split()
    stype = ""
    for n in range(min(_MAX_TYPE_LEN, len(tokens)), 0, -1):
        cand = _TYPE_SET.get(tuple(tokens[:n]))
        if cand is not None:
            stype = cand
            tokens = tokens[n:]
            break
    if not stype and len(tokens) > 1 and len(tokens[0]) >= 5 and tokens[0] not in ARTICLES:
        # A typo in a long type word ("lotissmeent", "resdience").
        hit = process.extractOne(
            tokens[0], _LONG_TYPES, scorer=fuzz.ratio, score_cutoff=_TYPE_TYPO_CUTOFF
        )
        if hit is not None:
            stype = hit[0]
            tokens = tokens[1:]
    core_tokens = [t for t in tokens if t not in ARTICLES]
    core = " ".join(core_tokens)
    if not core:
        # "Grande Rue", "Le Bourg": the name is all type or articles.
        core = " ".join(tokens) or stype
    return stype, core


def is_locality_name(normalized: str) -> bool:
    """True when a BAN ``nom_voie`` names a place (lieu-dit) rather than a road."""
    stype, _core = split_street(normalized)
    if stype:
        return stype in LOCALITY_TYPES
    return not (_ROAD_WORDS & set(normalized.split()))


def street_key(text) -> str:
    """Key of a street for exact lookups: type + core, normalised."""
    stype, core = split_street(normalize_street(text))
    return f"{stype} {core}".strip()


def commune_key(text) -> str:
    """Key of a commune name: normalised, ``st`` → ``saint``, ``s/`` → ``sur``, articles
    dropped."""
    tokens = expand_abbreviations(normalize_text(text)).split()
    # "Cosne s/ Loire": a lone "s" between two words is "sur".
    tokens = ["sur" if t == "s" and 0 < k < len(tokens) - 1 else t for k, t in enumerate(tokens)]
    kept = [t for t in tokens if t not in ARTICLES]
    return " ".join(kept or tokens)


def normalize_postcode(value) -> str:
    """Five-digit postcode or ``""`` (accepts ``58400.0``, ``" 58 400 "``, ``8400``)."""
    if value is None or value != value:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"\s+", "", str(value))
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and 4 <= len(text) <= 5:
        return text.zfill(5)
    return ""


def normalize_insee(value) -> str:
    """INSEE commune code (``"58059"``, ``"2A004"``) or ``""``."""
    if value is None or value != value:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and 4 <= len(text) <= 5:
        return text.zfill(5)
    if re.fullmatch(r"2[AB]\d{3}", text):
        return text
    return ""


def normalize_repetition(value) -> str:
    """``"BIS"`` → ``"bis"``, ``"B"`` → ``"b"``, unknown → ``""``."""
    text = normalize_text(value)
    return REPETITIONS.get(text, "")


def same_repetition(a: str, b: str) -> bool:
    """True when two indices designate the same address (``b`` and ``bis``)."""
    return REPETITION_EQUIV.get(a, a) == REPETITION_EQUIV.get(b, b)


@dataclass
class ParsedAddress:
    """A free-text address cut into its parts (all normalised)."""

    number: int | None = None
    rep: str = ""
    street: str = ""
    segments: tuple[str, ...] = field(default_factory=tuple)
    postcode: str = ""
    commune: str = ""


def split_number(segment: str) -> tuple[int | None, str, str]:
    """``"12 bis, rue X"`` → ``(12, "bis", "rue X")``; no number → ``(None, "", segment)``."""
    m = _NUMBER.match(segment)
    if not m:
        return None, "", segment
    rest = segment[m.end() :]
    if not rest.strip() or not re.match(r"[^\W\d_]", rest.strip()):
        # A lone number, or a number followed by digits: not a house number.
        return None, "", segment
    rep = (m.group(2) or "").lower()
    # "12 a rue..." is an index; "12 a la mairie" would be an article: keep the index.
    return int(m.group(1)), REPETITIONS.get(rep, ""), rest


def parse_address(text, postcode=None, commune=None) -> ParsedAddress:
    """Parse a free-text French address.

    ``postcode`` and ``commune`` come from separate columns when the table has them; they
    win over what the text says. A commune column holding ``"19400 Argentat"`` is split too.
    """
    raw = "" if text is None or text != text else str(text)
    raw = _POSTBOX.sub(" ", _CEDEX.sub(" ", raw))
    given_pc = normalize_postcode(postcode)
    given_city = "" if commune is None or commune != commune else str(commune)
    if given_city:
        m = _POSTCODE.search(given_city)
        if m:
            given_pc = given_pc or m.group(1)
            given_city = (given_city[: m.start()] + " " + given_city[m.end() :]).strip()
    given_city = _CEDEX.sub(" ", given_city)

    # Postcode inside the text: the last five-digit group that is not a house number.
    found_pc, text_city = "", ""
    before = raw
    matches = list(_POSTCODE.finditer(raw))
    for m in reversed(matches):
        head = raw[: m.start()]
        if not head.strip() and split_street(normalize_street(raw[m.end() :]))[0]:
            # "10234 route de X": a (rare) five-digit house number, not a postcode.
            continue
        found_pc = m.group(1)
        before = head
        text_city = raw[m.end() :]
        break
    segments = [s.strip() for s in re.split(r"[,;\n]+", before) if s.strip()]
    no_city = not found_pc and not given_city
    if no_city and len(segments) >= 2 and not re.search(r"\d", segments[-1]):
        # "12 rue X, Argentat": the last part is the commune when it holds no digits.
        last = normalize_street(segments[-1])
        if split_street(last)[0] == "":
            text_city = segments.pop()
    elif found_pc and not text_city.strip() and len(segments) >= 2:
        # "12 rue X, Argentat 19400"
        last = normalize_street(segments[-1])
        if split_street(last)[0] == "" and not re.search(r"\d", segments[-1]):
            text_city = segments.pop()

    city_norm = commune_key(given_city or text_city)
    number, rep, street = None, "", ""
    norm_segments: list[str] = []
    pending: tuple[int, str] | None = None
    for seg in segments:
        lone = _LONE_NUMBER.match(seg)
        if lone:
            # "12 bis, rue X": the number stands alone before the street.
            pending = (int(lone.group(1)), REPETITIONS.get((lone.group(2) or "").lower(), ""))
            continue
        n, r, rest = split_number(seg)
        if n is None and pending is not None:
            n, r = pending
        pending = None
        s = normalize_street(rest)
        if city_norm and s.endswith(" " + city_norm) and len(s) > len(city_norm) + 1:
            s = s[: -len(city_norm) - 1].strip()
        if not s:
            continue
        norm_segments.append(s)
        if n is not None and number is None:
            number, rep, street = n, r, s
    if not street and norm_segments:
        typed = [s for s in norm_segments if split_street(s)[0]]
        street = typed[0] if typed else norm_segments[0]
    return ParsedAddress(
        number=number,
        rep=rep,
        street=street,
        segments=tuple(norm_segments),
        postcode=given_pc or found_pc,
        commune=city_norm,
    )
