"""Typo-tolerant comparison of street and commune names, word by word.

A typed name is compared with a BAN name word by word (articles dropped, abbreviations
expanded by :mod:`.normalize`): each query word is paired with the most similar word of the
BAN name, whatever their order. Two words are the same word when one becomes the other with
few slips (:func:`typing_distance`: a letter dropped, added, two letters swapped or a key
next to the right one cost 1, another replacement 1.5), as typed or with doubled letters made
single: one slip in a word of three to five letters (two in five letters when the first is
kept), two in six, two and a half from seven, three from twelve. A word typed as the
beginning of another (``chem``, ``lotiss``) pairs too, and when the rest of the name is right
a short word with two slips is credited a little (:func:`weak_similarity`). Typo'd words find
their candidates by symmetric deletions (:func:`deletions`), never by scanning every street.

:func:`street_score` turns the pairing into one figure between 0 and 1: the share of the
name's words found (street types weigh less than names, a missing first name less than a
missing surname), reduced for every query word left unpaired. A street is accepted when it
reaches :data:`ACCEPT` and no other street of the same place comes within
:data:`MARGIN` of it; the constants are fixed (chosen with
``benchmarks/bench_geocode_departement.py``), the user gives no threshold.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import DamerauLevenshtein

from .normalize import ARTICLES, STREET_TYPES

#: Words of the street types (``rue``, ``chemin``, ``zone``, ``industrielle``...).
TYPE_WORDS = frozenset(w for t in STREET_TYPES for w in t.split())
#: Words that designate a place, not a road: never a reason to refuse a lieu-dit.
PLACE_WORDS = frozenset(
    {"lieudit", "hameau", "domaine", "ferme", "gaec", "earl", "scea", "village", "bourg"}
)
#: Weight of a type word against a name word.
TYPE_WEIGHT = 0.35
#: Similarity of a word with two slips in a short word, see :func:`weak_similarity`.
WEAK = 0.6
#: Added when the query gives a road type that the street does not have.
TYPE_CONFLICT = 0.35
#: Weight of a name word missing from the query when it is not the last word of the name
#: ("av de gaulle" for "avenue charles de gaulle").
MISSING_FIRST_WEIGHT = 0.35
#: Score a street needs, and the lead it needs over the next street of the same place.
ACCEPT = 0.78
MARGIN = 0.04

_DOUBLE = re.compile(r"(.)\1+")


_SQUEEZED: dict[str, str] = {}
_SIMILAR: dict[tuple[str, str], float] = {}


def clear_word_caches() -> None:
    """Forget the memoised squeezed words and word similarities."""
    _SQUEEZED.clear()
    _SIMILAR.clear()


def squeeze(word: str) -> str:
    """``"mairrie"`` → ``"marie"``: runs of one letter made single."""
    hit = _SQUEEZED.get(word)
    if hit is None:
        if len(_SQUEEZED) > 200_000:
            _SQUEEZED.clear()
        hit = _SQUEEZED[word] = _DOUBLE.sub(r"\1", word)
    return hit


def allowed_edits(length: int) -> float:
    """Edits tolerated in a word of ``length`` letters (after squeezing), counted by
    :func:`typing_distance`."""
    if length <= 2:
        return 0
    if length == 3:
        return 1  # one slip: a letter dropped, two swapped, the next key ("bc", "raz"/"rad")
    if length <= 5:
        return 1
    if length == 6:
        return 2
    return 2.5 if length <= 11 else 3


def _neighbours() -> dict[str, frozenset]:
    """Keys next to each letter on AZERTY and QWERTY keyboards."""
    out: dict[str, set] = {}
    for rows in (("azertyuiop", "qsdfghjklm", "wxcvbn"), ("qwertyuiop", "asdfghjkl", "zxcvbnm")):
        for r, row in enumerate(rows):
            for i, ch in enumerate(row):
                near = out.setdefault(ch, set())
                near.update(row[max(i - 1, 0) : i + 2])
                for other in (r - 1, r + 1):
                    if 0 <= other < len(rows):
                        near.update(rows[other][max(i - 1, 0) : i + 2])
    return {k: frozenset(v - {k}) for k, v in out.items()}


_NEAR = _neighbours()
_VOWELS = frozenset("aeiouy")
#: Cost of replacing a letter by one that is neither a neighbouring key nor a vowel for a
#: vowel: such a change more often makes another word than a slip of the finger.
FAR_SUBSTITUTION = 1.5


def is_near_key(a: str, b: str) -> bool:
    """True when ``b`` is a key next to ``a`` (AZERTY or QWERTY)."""
    return b in _NEAR.get(a, ())


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if b in _NEAR.get(a, ()) or (a in _VOWELS and b in _VOWELS):
        return 1.0
    return FAR_SUBSTITUTION


def typing_distance(a: str, b: str) -> float:
    """Edit distance where a letter dropped, added, swapped with the next one or replaced by
    a neighbouring key costs 1, and another replacement :data:`FAR_SUBSTITUTION`."""
    n, m = len(a), len(b)
    prev2: list[float] = []
    prev = [float(j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [float(i)] + [0.0] * m
        ai = a[i - 1]
        for j in range(1, m + 1):
            bj = b[j - 1]
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + _sub_cost(ai, bj))
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev[m]


def word_similarity(q: str, s: str) -> float:
    """Similarity of two normalised words, 0 when they are not the same word."""
    if q == s:
        return 1.0
    hit = _SIMILAR.get((q, s))
    if hit is None:
        if len(_SIMILAR) > 500_000:
            _SIMILAR.clear()
        hit = _SIMILAR[(q, s)] = _word_similarity(q, s)
    return hit


def _word_similarity(q: str, s: str) -> float:
    qs, ss = squeeze(q), squeeze(s)
    if qs == ss:
        return 0.97
    if q.isdigit() or s.isdigit():
        return 0.0
    if q in TYPE_WORDS and s in TYPE_WORDS:
        return 0.0  # "rue" is not a typo for "route"
    best = 0.0
    # As typed, and with doubled letters made single ("allede" / "allee" compare as typed).
    for a, b in ((q, s), (qs, ss)) if (q, s) != (qs, ss) else ((q, s),):
        length = max(len(a), len(b))
        allow = allowed_edits(length)
        if length == 5 and a[0] == b[0] and min(len(a), len(b)) >= 4:
            allow = 2  # two slips in a five-letter word, first letter kept ("frlet", "foret")
        elif length == 4 and s in TYPE_WORDS and q not in TYPE_WORDS:
            allow = 2  # "rite" for "route": a typo'd street type
        cutoff = int(allow)
        if not cutoff:
            continue
        dl = DamerauLevenshtein.distance(a, b, score_cutoff=cutoff)
        if dl > cutoff:
            continue
        # A transposition next to another slip costs more in the typing distance than in
        # the plain Damerau-Levenshtein one: half a slip more than the latter at most.
        d = min(typing_distance(a, b), dl + 0.5)
        if d <= allow:
            sim = 1.0 - 0.6 * d / length - (0.08 if a[0] != b[0] else 0.0)
            best = max(best, sim)
    if best:
        return best
    if len(q) >= 3 and len(s) > len(q) and s.startswith(q) and (len(q) >= 4 or s in TYPE_WORDS):
        # An abbreviation nobody listed ("chem", "lotiss", "boul").
        return 0.85
    return 0.0


def weak_similarity(q: str, s: str) -> float:
    """Credit for two slips in a short word ("pqal" for "paul"), given only when the rest
    of the name is found: same first letter, at most two edits."""
    if q[:1] != s[:1] or q.isdigit() or s.isdigit() or len(s) < 3:
        return 0.0
    if len(q) == 2:
        # "re", "ru" for "rue", "bs" for "bas": a short word with a slip.
        ok = len(s) <= 4 and DamerauLevenshtein.distance(q, s, score_cutoff=1) <= 1
        return WEAK if ok else 0.0
    if len(q) >= 3 and DamerauLevenshtein.distance(q, s, score_cutoff=2) <= 2:
        return WEAK
    return 0.0


def deletion_depth(length: int) -> int:
    """Letters deleted from a word to find its typo'd forms (see :func:`deletions`)."""
    return 0 if length <= 2 else (1 if length <= 4 else 2)


def deletions(word: str, depth: int) -> set[str]:
    """The word and every form of it with up to ``depth`` letters deleted. Two words within
    ``depth`` edits of each other share one of these forms (the symmetric-deletion look-up
    of SymSpell), so a typo'd word finds its candidates by dictionary look-ups."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _pair(q_words: list[str], s_words: list[str]) -> list[tuple[int, int, float]]:
    """Greedy one-to-one pairing of query and street words, best pairs first."""
    out = []
    used_q, used_s = set(), set()
    for i, q in enumerate(q_words):  # identical words first, cheaply
        for j, s in enumerate(s_words):
            if q == s and j not in used_s:
                out.append((i, j, 1.0))
                used_q.add(i)
                used_s.add(j)
                break
    if len(used_q) == len(q_words) or len(used_s) == len(s_words):
        return out
    pairs = []
    for i, q in enumerate(q_words):
        if i in used_q:
            continue
        for j, s in enumerate(s_words):
            if j not in used_s:
                sim = word_similarity(q, s)
                if sim > 0:
                    pairs.append((sim, i, j))
    pairs.sort(reverse=True)
    for sim, i, j in pairs:
        if i in used_q or j in used_s:
            continue
        used_q.add(i)
        used_s.add(j)
        out.append((i, j, sim))
    return out


def content_words(normalized: str) -> list[str]:
    """Words of a normalised name without articles."""
    words = [w for w in normalized.split() if w not in ARTICLES]
    return words or normalized.split()


def street_score(
    q_words: list[str], q_types: list[bool], s_words: list[str], s_types: list[bool]
) -> float:
    """How well a query's words spell a BAN street's words (0-1, see the module doc).

    ``*_types`` flag the words of the street type (``rue``, ``chemin``...).
    """
    if not q_words or not s_words:
        return 0.0
    pairs = _pair(q_words, s_words)
    got: dict[int, float] = {}
    used_q = set()
    for i, j, sim in pairs:
        if s_types[j] and not q_types[i] and sim < 1.0 and i != 0:
            continue  # a slipped type is typed first, not after the name ("maison rlufe")
        got[j] = sim
        used_q.add(i)
    for i, w in enumerate(q_words):
        # Two words of the name typed as one ("saintbazile", "mendesfrance").
        if i in used_q or len(w) < 6:
            continue
        for j in range(len(s_words) - 1):
            if j in got or j + 1 in got or s_types[j] or s_types[j + 1]:
                continue
            sim = word_similarity(w, s_words[j] + s_words[j + 1])
            if sim >= 0.8:
                got[j] = got[j + 1] = sim
                used_q.add(i)
                break
    names = [j for j, t in enumerate(s_types) if not t]
    if names and not any(j in got for j in names):
        return 0.0  # only the type in common ("rue de X" for "rue de Y")
    exact_names = sum(1 for j in names if got.get(j) == 1.0)
    if exact_names:
        # The rest of the name is right: a word left on each side may be one word with two
        # slips ("chemin pqal bert", "pce du stade"); a name word needs another name word.
        left_q = [i for i in range(len(q_words)) if i not in used_q and not q_types[i]]
        left_s = [j for j in range(len(s_words)) if j not in got]
        if left_s and not s_types[left_s[0]] and len(names) < 2:
            left_s = []
        if len(left_q) == 1 and len(left_s) == 1:
            i, j = left_q[0], left_s[0]
            # A type is typed first: a word elsewhere is not a slipped type ("ferte rou").
            sim = weak_similarity(q_words[i], s_words[j]) if i == 0 or not s_types[j] else 0.0
            if not sim and i == 0 and j == 0 and s_types[0] and len(q_words[0]) <= 3:
                # The first word, where the type goes, typed short ("rs du bois").
                sim = WEAK if q_words[0][:1] == s_words[0][:1] else 0.0
            if sim:
                got[left_s[0]] = sim
                used_q.add(left_q[0])
    last_name = names[-1] if names else -1
    matched = total = 0.0
    for j in range(len(s_words)):
        weight = TYPE_WEIGHT if s_types[j] else 1.0
        if j in got:
            matched += weight * got[j]
            total += weight
        elif not s_types[j] and j != last_name and last_name in got:
            total += MISSING_FIRST_WEIGHT
        else:
            total += weight
    street_is_place = not any(s_types)
    s_type_found = any(j in got for j, t in enumerate(s_types) if t)
    for i, w in enumerate(q_words):
        if i in used_q:
            continue
        if w in PLACE_WORDS and (street_is_place or w in ("lieudit", "hameau")):
            continue  # "ferme du sirieix" for the lieu-dit "le sirieix"
        if q_types[i] and street_is_place and w in ("lieudit", "hameau", "domaine"):
            continue
        total += TYPE_WEIGHT if q_types[i] else 1.0
        if q_types[i] and not s_type_found and w not in PLACE_WORDS:
            total += TYPE_CONFLICT  # "allée du X" for "rue du X", "place X" for lieu-dit X
    return matched / total if total else 0.0


def name_similarity(q: str, key: str) -> float:
    """Similarity (0-100) of two normalised commune names, typos and spacing forgiven."""
    if q == key:
        return 100.0
    qs, ks = squeeze(q.replace(" ", "")), squeeze(key.replace(" ", ""))
    if qs == ks:
        return 98.0
    length = max(len(qs), len(ks))
    d = DamerauLevenshtein.distance(qs, ks, score_cutoff=length // 2)
    return max(0.0, 100.0 * (1.0 - d / length) - (4.0 if qs[:1] != ks[:1] else 0.0))
