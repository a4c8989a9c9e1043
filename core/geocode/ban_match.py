"""What a query means: its commune, its street, its number (mixed into :class:`BanIndex`).

A query is read as a whole (:func:`read_query`): the postcode (a column or five digits in the
text), the house number wherever it stands, and the words around them. The commune is
looked for in what the query gives, in this order of trust: the INSEE code; the commune
column; words at the end or at the start of a one-line address ("… Cosne-Cours-sut-Loire",
"Fourchambault 58600 10 route…"), each compared with every commune and former commune
(``nom_ancienne_commune``) name of the file, typos, missing hyphens, ``St``/``Ste`` and
``s/`` forgiven (:func:`.fuzzy.name_similarity`); and the postcode. Several communes may
stay in the running: the street decides between them.

The street is then compared word by word with the streets of each candidate commune
(:func:`.fuzzy.street_score`); a street is accepted at :data:`.fuzzy.ACCEPT` when no other
street of the same place comes close. When nothing identifies a commune, or no candidate
commune holds the street, the street is searched over the whole file and accepted only when
one place clearly wins (the street exists there alone, or only there with the number, or
there in a commune whose name the query spells). Otherwise the query is placed at its
commune, or left unmatched, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz.distance import DamerauLevenshtein

from .fuzzy import (
    ACCEPT,
    MARGIN,
    TYPE_WORDS,
    clear_word_caches,
    content_words,
    deletion_depth,
    deletions,
    is_near_key,
    name_similarity,
    squeeze,
    street_score,
)
from .normalize import (
    ARTICLES,
    REPETITIONS,
    commune_key,
    normalize_insee,
    normalize_postcode,
    normalize_street,
    split_street,
)

#: A commune name that close to what the query says is a candidate (0-100); the street
#: then decides. Placing a query at a commune's centre needs :data:`COMMUNE_SURE`.
COMMUNE_CANDIDATE = 70.0
COMMUNE_SURE = 85.0
#: Longest commune name looked for at the end of a one-line address (words).
SPAN_WORDS = 5
#: How far below the best candidate commune (0-100) another one stays in the running.
COMMUNE_SPREAD = 12.0
#: A place with at most this many streets has all of them compared when no street shares a
#: word with the query (a typo'd type alone, in a hamlet).
PREFILTER = 8
#: Confidence of a street found over the whole file without a commune.
GLOBAL_CONFIDENCE = 0.8
#: Similarity (0-100) between the words left around a street found over the whole file
#: and the name of the commune that holds it, for those words to name it.
GLOBAL_NAME = 60.0
#: Words around a number that belong to the street, not the commune ("rue du 8 mai 1945").
_MONTHS = frozenset(
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split()
)
_POSTCODE = re.compile(r"(?<![\d])((?:0[1-9]|[1-8]\d|9[0-8])\d{3})(?![\d])")
_CEDEX = re.compile(r"\bcedex\b(\s*\d+)?", re.IGNORECASE)
_POSTBOX = re.compile(r"\b(bp|cs|tsa|case postale)\s*\d+\b", re.IGNORECASE)
_NUM_TOKEN = re.compile(r"^(\d{1,5})(bis|ter|quater|[a-g])?$")
#: Road types recognised when written last ("de la fontaine avenue").
_END_TYPES = frozenset(
    "rue avenue boulevard route chemin impasse place allee quai square sentier ruelle "
    "passage cours faubourg lotissement hameau lieudit".split()
)
_SEP = re.compile(r"[,;\n]+")
_SQUEEZED_TYPES = {squeeze(w): w for w in TYPE_WORDS}
_LONG_REPS = frozenset({"bis", "ter", "quater", "quinquies"})


@dataclass
class Query:
    """A query cut into what can be recognised; words are normalised."""

    number: int | None = None
    rep: str = ""
    postcode: str = ""
    citycode: str = ""
    #: The commune column, normalised as a commune key ("" when absent).
    city: str = ""
    #: Words before the house number (a commune written first), and after it.
    head: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    #: Comma-separated parts of the address text, normalised (lieu-dit, farm name...).
    segments: list[list[str]] = field(default_factory=list)


def _text(value) -> str:
    if value is None or value != value:
        return ""
    return str(value)


def read_query(address=None, postcode=None, city=None, citycode=None) -> Query:
    """Cut a query (one-line or in columns) into its parts."""
    raw = _POSTBOX.sub(" ", _CEDEX.sub(" ", _text(address)))
    q = Query(postcode=normalize_postcode(postcode), citycode=normalize_insee(citycode))
    city_text = _CEDEX.sub(" ", _text(city))
    m = _POSTCODE.search(city_text)
    if m:
        q.postcode = q.postcode or m.group(1)
        city_text = city_text[: m.start()] + " " + city_text[m.end() :]
    q.city = commune_key(city_text)
    # A postcode in the text (the last five-digit group that does not start a street).
    for m in reversed(list(_POSTCODE.finditer(raw))):
        if not raw[: m.start()].strip():
            after = normalize_street(raw[m.end() :]).split()
            if after and after[0] in TYPE_WORDS:
                continue  # "10234 route de X": a five-digit house number
        q.postcode = q.postcode or m.group(1)
        raw = raw[: m.start()] + " , " + raw[m.end() :]
        break
    q.segments = [s for s in (normalize_street(s).split() for s in _SEP.split(raw)) if s]
    tokens = [w for s in q.segments for w in s]
    k = _number_position(tokens)
    if k is None:
        q.words = tokens
        return q
    m = _NUM_TOKEN.match(tokens[k])
    q.number = int(m.group(1))
    q.rep = REPETITIONS.get(m.group(2) or "", "")
    j = k + 1
    if not q.rep and j < len(tokens):
        nxt = tokens[j]
        if nxt in _LONG_REPS or (
            len(nxt) == 1
            and nxt in REPETITIONS
            and j + 1 < len(tokens)
            and tokens[j + 1] in TYPE_WORDS
        ):
            q.rep = REPETITIONS[nxt]
            j += 1
    if j < len(tokens) and tokens[j].isdigit() and j + 1 < len(tokens):
        if tokens[j + 1] not in _MONTHS:
            j += 1  # "12-14 rue X"
    q.head, q.words = tokens[:k], tokens[j:]
    q.segments = [s for s in (_drop_number(seg) for seg in q.segments) if s]
    return q


def _drop_number(seg: list[str]) -> list[str]:
    if seg and _NUM_TOKEN.match(seg[0]):
        seg = seg[1:]
        if seg and seg[0] in _LONG_REPS:
            seg = seg[1:]
    return seg


def _number_position(tokens: list[str]) -> int | None:
    """Index of the house number: the first number not inside a street name."""
    for k, tok in enumerate(tokens):
        if not _NUM_TOKEN.match(tok):
            continue
        if k + 1 >= len(tokens):
            return None  # a number at the very end is not a house number
        if k > 0 and (
            tokens[k - 1] in ARTICLES or tokens[k - 1] in TYPE_WORDS or tokens[k - 1] in _MONTHS
        ):
            continue  # "rue du 8 mai 1945"
        if tokens[k + 1] in _MONTHS:
            continue
        return k
    return None


def street_words(name: str) -> tuple[list[str], list[bool]]:
    """Words of a BAN street name as the matcher compares them, and which are its type."""
    return _tagged(normalize_street(name))


def _name_depth(flat: str) -> int:
    return 1 if len(flat) <= 5 else 2


def _tagged(normalized: str) -> tuple[list[str], list[bool]]:
    """Words of a normalised street name (articles dropped) and which are its type."""
    stype, core = split_street(normalized)
    t_words = stype.split()
    c_words = [] if core == stype else content_words(core)
    words = [w for w in t_words if w not in ARTICLES] + c_words
    types = [True] * (len(words) - len(c_words)) + [False] * len(c_words)
    return words, types


_ARTICLE_FORMS = frozenset(
    v
    for a in ("le", "la", "les", "de", "du", "des", "aux")
    for v in {a[:i] + a[i + 1 :] for i in range(len(a))}
    | {a[:i] + a[i + 1] + a[i] + a[i + 2 :] for i in range(len(a) - 1)}
)


def _near_article(w: str) -> bool:
    """``lss``, ``dse``, ``des`` typed with one slip (a letter swapped, dropped or next key)."""
    if w in ARTICLES:
        return True
    if len(w) == 3 and w in _ARTICLE_FORMS:
        return True
    if len(w) == 3:
        for a in ("les", "des", "aux"):
            diff = [(x, y) for x, y in zip(w, a, strict=True) if x != y]
            if len(diff) == 1 and w[0] == a[0] and is_near_key(*diff[0]):
                return True
    return False


def _article_like(w: str) -> bool:
    """An article, or ``les`` with one letter too many ("lfes", "leas", "lees")."""
    if w in ARTICLES:
        return True
    if len(w) == 4 and w[0] == "l" and w not in TYPE_WORDS:
        return DamerauLevenshtein.distance(w, "les", score_cutoff=1) <= 1
    return False


_TAGGED: dict[tuple, tuple[list[str], list[bool]]] = {}


def _query_tagged(words: list[str]) -> tuple[list[str], list[bool]]:
    """Query words tagged like :func:`_tagged`, a type also recognised at the end
    ("de la fontaine avenue")."""
    key = tuple(words)
    hit = _TAGGED.get(key)
    if hit is None:
        if len(_TAGGED) > 100_000:
            _TAGGED.clear()
        hit = _TAGGED[key] = _query_tagged_uncached(words)
    return hit


def _query_tagged_uncached(words: list[str]) -> tuple[list[str], list[bool]]:
    # "lss", "dse": a short word one slip from an article is that article.
    words = [
        w if len(w) > 3 or w in TYPE_WORDS or w.isdigit() or not _near_article(w) else "la"
        for w in words
    ]
    words = [w for w in words if w not in ARTICLES] or words
    if not words:
        return [], []
    # "routte", "chemmin": a type word with a doubled letter is that type.
    words = [w if w in TYPE_WORDS else _SQUEEZED_TYPES.get(squeeze(w), w) for w in words]
    t_words, types = _tagged(" ".join(words))
    if len(t_words) > 1 and not any(types) and t_words[-1] in _END_TYPES:
        types[-1] = True
    return t_words, types


class BanMatcher:
    """Matching methods of :class:`.ban_index.BanIndex` (which provides the arrays)."""

    # -- look-up tables ----------------------------------------------------------------

    def _prepare_matching(self) -> None:
        # Commune names and former commune names.
        self.name_keys: list[str] = []
        self.name_target: list[tuple[int, int]] = []  # (commune, unit or -1)
        for c, name in enumerate(self.c_name):
            self.name_keys.append(commune_key(name))
            self.name_target.append((c, -1))
        for u, name in enumerate(self.u_old_name):
            if name:
                self.name_keys.append(commune_key(name))
                self.name_target.append((self.u_commune[u], u))
        self.name_exact: dict[str, list[int]] = {}
        for i, key in enumerate(self.name_keys):
            self.name_exact.setdefault(key, []).append(i)
        # Fuzzy look-ups by first letter (a typist rarely misses the first one).
        # Typo'd names found by symmetric deletions (as the street words), spaces and
        # doubled letters ignored.
        self.name_variants: dict[str, list[int]] = {}
        self.name_words: dict[str, set[int]] = {}
        for i, k in enumerate(self.name_keys):
            for w in k.split():
                self.name_words.setdefault(w, set()).add(i)
        for i, k in enumerate(self.name_keys):
            flat = squeeze(k.replace(" ", ""))
            for v in deletions(flat, _name_depth(flat)):
                self.name_variants.setdefault(v, []).append(i)
        self.c_keys = [commune_key(n) for n in self.c_name]
        # Street words, per unit and over the whole file.
        n_u = len(self.u_commune)
        self.s_words: list[list[str]] = []
        self.s_types: list[list[bool]] = []
        self.u_sids: list[list[int]] = [[] for _ in range(n_u)]
        self.u_texts: list[list[str]] = [[] for _ in range(n_u)]
        self.u_index: list[dict[str, list[int]]] = [{} for _ in range(n_u)]
        by_text: dict[str, list[int]] = {}
        all_words = self.arrays["s_words"].tolist()
        masks = self.arrays["s_tmask"].tolist()
        for sid, u in enumerate(self.s_unit):
            words = all_words[sid].split()
            types = [bool(masks[sid] >> k & 1) for k in range(len(words))]
            self.s_words.append(words)
            self.s_types.append(types)
            text = " ".join(words)
            index = self.u_index[u]
            for w, t in zip(words, types, strict=True):
                if not t:
                    for form in {w, squeeze(w)}:
                        index.setdefault(form, []).append(len(self.u_sids[u]))
            self.u_sids[u].append(sid)
            self.u_texts[u].append(text)
            by_text.setdefault(text, []).append(sid)
        self.g_texts = list(by_text)
        self.g_sids = list(by_text.values())
        # Name words over the whole file: the streets holding each, and the forms with
        # letters deleted that find a typo'd word's candidates (fuzzy.deletions).
        self.g_index: dict[str, list[int]] = {}
        for g in range(len(self.g_texts)):
            sid = self.g_sids[g][0]
            for w, t in zip(self.s_words[sid], self.s_types[sid], strict=True):
                if not t:
                    for form in {w, squeeze(w)}:
                        self.g_index.setdefault(form, []).append(g)
        self.variants: dict[str, list[str]] = {}
        for w in self.g_index:  # as written and squeezed (both are keys of g_index)
            for v in deletions(w, deletion_depth(len(w))):
                self.variants.setdefault(v, []).append(w)
        self._commune_cache: dict = {}
        self._score_cache: dict = {}

    def clear_caches(self) -> None:
        """Forget the memoised look-ups (communes, street scores, word similarities)."""
        self._commune_cache.clear()
        self._score_cache.clear()
        _TAGGED.clear()
        clear_word_caches()

    # -- communes ----------------------------------------------------------------------

    def _name_candidates(self, key: str) -> list[tuple[float, int, int]]:
        """``[(similarity, commune, unit or -1)]`` for a commune name as typed."""
        hit = self._commune_cache.get(key)
        if hit is not None:
            return hit
        if len(self._commune_cache) > 200_000:
            self._commune_cache.clear()
        out: list[tuple[float, int, int]] = []
        exact = self.name_exact.get(key)
        if exact:
            out = [(100.0, *self.name_target[i]) for i in exact]
        elif len(key.replace(" ", "")) >= 3:
            flat = squeeze(key.replace(" ", ""))
            # One letter deleted on the query's side (two on the names'): one slip anywhere,
            # or up to two letters missing.
            found = set()
            for v in deletions(flat, 1):
                found.update(self.name_variants.get(v, ()))
            for i in found:
                sim = name_similarity(key, self.name_keys[i])
                if sim >= COMMUNE_CANDIDATE:
                    out.append((sim, *self.name_target[i]))
            if len(key) >= 4 and not any(s >= COMMUNE_SURE for s, _c, _u in out):
                # "argentat" for "argentat sur dordogne": a single name holding the words.
                sub = None
                for w in key.split():
                    holders = self.name_words.get(w, set())
                    sub = holders if sub is None else sub & holders
                if sub and len(sub) == 1:
                    out.append((90.0, *self.name_target[next(iter(sub))]))
            out.sort(reverse=True)
        self._commune_cache[key] = out
        return out

    def _units_for(self, cands, postcode: str, source_conf: float) -> dict[int, float]:
        """Units and their confidence from name candidates and the postcode."""
        pcs = set(self.pc_communes.get(postcode, ())) if postcode else set()
        units: dict[int, float] = {}
        for sim, c, u in cands:
            conf = sim / 100.0
            if pcs:
                conf = min(1.0, conf + 0.1) if c in pcs else conf * 0.93
            conf *= source_conf
            for v in self.units_of[c]:
                cv = conf if u < 0 or v == u else conf * 0.97
                if cv > units.get(v, 0.0):
                    units[v] = cv
        return units

    def _postcode_units(self, postcode: str) -> dict[int, float]:
        units: dict[int, float] = {}
        for c in self.pc_communes.get(postcode, ()):
            for u in self.units_of[c]:
                units[u] = 0.97
        return units

    # -- streets -----------------------------------------------------------------------

    def _score(self, q_key: tuple, sid: int) -> float:
        key = (q_key, sid)
        hit = self._score_cache.get(key)
        if hit is None:
            if len(self._score_cache) > 500_000:
                self._score_cache.clear()
            hit = street_score(q_key[0], q_key[1], self.s_words[sid], self.s_types[sid])
            self._score_cache[key] = hit
        return hit

    def _near_words(self, q_words, q_types) -> set[str]:
        """Name words of the file within typing reach of the query's name words."""
        out = set()
        for w, t in zip(q_words, q_types, strict=True):
            if t or w.isdigit():
                continue
            for form in {w, squeeze(w)}:
                for v in deletions(form, deletion_depth(len(form))):
                    out.update(self.variants.get(v, ()))
        return out

    def _streets_in(self, units: dict[int, float], q_words, q_types):
        """Scored streets of ``units``: ``[(score * conf, score, sid)]``, best first.

        Compared in detail: the streets sharing a name word with the query, and when none
        of them is accepted, the streets holding a word within typing reach of one.
        """
        q_key = (tuple(q_words), tuple(q_types))
        forms = set()
        for w, t in zip(q_words, q_types, strict=True):
            if not t:
                forms.add(w)
                forms.add(squeeze(w))
                if len(w) >= 6 and w not in self.g_index:
                    # Two words typed as one ("saintbazile"): the halves the file knows.
                    for k in range(2, len(w) - 1):
                        if w[:k] in self.g_index and w[k:] in self.g_index:
                            forms.update((w[:k], w[k:]))
        out = []
        weak = []
        for u, conf in units.items():
            index = self.u_index[u]
            idx = set()
            for f in forms:
                idx.update(index.get(f, ()))
            sids = self.u_sids[u]
            top = 0.0
            for i in idx:
                sc = self._score(q_key, sids[i])
                if sc > 0:
                    out.append((sc * conf, sc, sids[i]))
                    top = max(top, sc)
            if top < ACCEPT and sids:
                weak.append((u, conf, idx))
        if weak:
            near = self._near_words(q_words, q_types) - forms
            for u, conf, seen in weak:
                index, sids = self.u_index[u], self.u_sids[u]
                idx = set()
                for w in near:
                    idx.update(index.get(w, ()))
                if len(sids) <= PREFILTER:
                    idx.update(range(len(sids)))  # a typo'd type alone, in a hamlet
                for i in idx - seen:
                    sc = self._score(q_key, sids[i])
                    if sc > 0:
                        out.append((sc * conf, sc, sids[i]))
        out.sort(reverse=True)
        return out

    def _decide(self, scored, number):
        """The accepted street of a scored list, or None: it reaches :data:`ACCEPT` and no
        other street (another name, or the same name elsewhere) comes within the margin."""
        if not scored or scored[0][1] < ACCEPT:
            return None
        best = scored[0]
        for other in scored[1:]:
            if other[0] < best[0] - MARGIN:
                break
            if self.s_words[other[2]] == self.s_words[best[2]]:
                if self.u_commune[self.s_unit[other[2]]] == self.u_commune[self.s_unit[best[2]]]:
                    # The same name in two former communes of one commune: the number decides.
                    if number is not None and self._has_number(best[2], number):
                        if not self._has_number(other[2], number):
                            continue
                    if other[0] < best[0] - 0.01:
                        continue
                elif other[0] < best[0] - 0.01:
                    continue
            return None
        return best

    def _has_number(self, sid: int, number: int) -> bool:
        s, e = self.s_start[sid], self.s_start[sid + 1]
        if e <= s:
            return False
        nums = self.a_num[s:e]
        i = int(nums.searchsorted(number))
        return i < len(nums) and int(nums[i]) == number

    def _global(self, q_words, q_types, number, others: list[str], postcode: str):
        """The street over the whole file; accepted when one place clearly wins."""
        q_text = " ".join(q_words)
        if len(q_text) < 4:
            return None, "street too short to search the whole file"
        q_key = (tuple(q_words), tuple(q_types))
        groups = set()
        exact = {w for w, t in zip(q_words, q_types, strict=True) if not t}
        for w in self._near_words(q_words, q_types) | exact:
            groups.update(self.g_index.get(w, ()))
        cands = []
        for i in groups:
            sids = self.g_sids[i]
            sc = self._score(q_key, sids[0])
            if sc >= ACCEPT:
                cands.extend((sc, sid) for sid in sids)
        if not cands:
            return None, "street not found in the file"
        top = max(sc for sc, _sid in cands)
        cands = [(sc, sid) for sc, sid in cands if sc >= top - MARGIN]
        # Which candidate the query names: the words left around the street must spell
        # its commune (or former commune); the postcode only confirms.
        pcs = self.pc_communes.get(postcode, ()) if postcode else ()
        if others:
            evidence = []
            for sc, sid in cands:
                c = self.u_commune[self.s_unit[sid]]
                names = [self.c_keys[c]]
                old = self.u_old_name[self.s_unit[sid]]
                if old:
                    names.append(commune_key(old))
                near = max(name_similarity(o, n) for o in others for n in names)
                if near >= GLOBAL_NAME:
                    evidence.append((near + (10.0 if c in pcs else 0.0), sc, sid))
            evidence.sort(reverse=True)
            if len(evidence) == 1 or (evidence and evidence[0][0] >= evidence[1][0] + 10):
                return (evidence[0][1], evidence[0][2]), ""
            if not evidence:
                return None, "street not found in a commune named like the query's"
        elif len(cands) == 1:
            return cands[0], ""
        elif number is not None and not postcode:
            with_num = [(sc, sid) for sc, sid in cands if self._has_number(sid, number)]
            if len(with_num) == 1:
                return with_num[0], ""
        places = sorted({self.c_name[self.u_commune[self.s_unit[sid]]] for _sc, sid in cands})
        shown = ", ".join(places[:6]) + (" ..." if len(places) > 6 else "")
        return None, f"street found in {len(places)} communes ({shown})"

    # -- the query as a whole ------------------------------------------------------------

    def geocode(self, address=None, postcode=None, city=None, citycode=None):
        """Geocode one address; never raises for bad input (the result says why)."""
        q = read_query(address, postcode, city, citycode)
        notes: list[str] = []
        hyps = self._hypotheses(q, notes)
        # Most trusted communes first; stop when no later hypothesis can do better.
        hyps.sort(key=lambda h: -max(h[0].values(), default=0.0))
        best = None  # (combined, score, sid, hypothesis note)
        fallback = None  # (conf, commune, note, street words)
        tried: list[tuple] = []
        named: dict[int, float] = {}  # communes the query names, and their confidence
        for units, words, hnote, sure, names in hyps:
            if best is not None and best[0] >= max(units.values(), default=0.0):
                break
            if sure and (fallback is None or sure[0] > fallback[0]):
                fallback = (*sure, hnote, words)
            for c, conf in names.items():
                named[c] = max(conf, named.get(c, 0.0))
            if named:
                # A commune the query names is never traded for a less trusted one.
                top = max(named.values())
                units = {u: v for u, v in units.items() if v > top or self.u_commune[u] in named}
            if not words or not units:
                continue
            q_words, q_types = _query_tagged(words)
            scored = self._streets_in(units, q_words, q_types)
            if scored:
                tried.append((scored[0][1], scored[0][2], " ".join(words)))
            hit = self._decide(scored, q.number)
            if hit is not None and (best is None or hit[0] > best[0]):
                best = (*hit, hnote)
        if best is not None:
            return self._placed(best[2], q, best[0], best[3])
        for _units, h_words, hnote, sure, _names in hyps:
            if sure and (fallback is None or sure[0] > fallback[0]):
                fallback = (*sure, hnote, h_words)
        words = q.words
        what = " ".join(fallback[3] if fallback is not None else words) or "no street"
        if tried:
            sc, sid, text = max(tried)
            why = f"street '{text}' not found (closest: '{self.s_name[sid]}', {sc:.2f})"
        elif words:
            why = f"street '{what}' not found"
        else:
            why = "no street in the address"
        if fallback is not None:
            # The commune is known and does not hold the street: never another commune's.
            conf, c, hnote, _w = fallback
            return self._at_commune(c, conf, q.postcode, _join(*notes, hnote, why))
        # Nothing identifies a commune: the street over the whole file.
        glob_note = ""
        for others, street_words in self._splits(q):
            if not street_words:
                continue
            q_words, q_types = _query_tagged(street_words)
            hit, gwhy = self._global(q_words, q_types, q.number, others, q.postcode)
            if hit is not None:
                note = "commune not identified; the street exists in this commune only"
                if others:
                    note = "commune not identified; street found over the whole file"
                return self._placed(hit[1], q, hit[0] * GLOBAL_CONFIDENCE, note)
            glob_note = glob_note or gwhy
        no_commune = (
            ""
            if (q.postcode or q.city or q.citycode or q.head)
            else ("no commune: give a postcode, a commune name or an INSEE code")
        )
        return self._no_result(_join(*notes, why if tried else "", glob_note, no_commune))

    def _placed(self, sid, q: Query, score: float, note: str):
        if self.s_kind[sid] == 0:
            return self._on_street(sid, q.number, q.rep, score, note)
        return self._on_locality(sid, q.number, q.rep, score, note)

    def _splits(self, q: Query):
        """``(other words, street words)``: the street alone, then without a commune
        written at the end or at the start."""
        words = q.words
        out = []
        if q.head:
            out.append(([" ".join(q.head)], words))
        out.append(([q.city] if q.city else [], words))
        for n in range(1, min(5, len(words) - 1) + 1):
            out.append(([" ".join(words[-n:])], words[:-n]))
        return out

    def _street_segments(self, q: Query) -> list[list[str]]:
        """Comma-separated parts that may each be the street ("Ferme X, lieu-dit Y"), not
        the ones that name a commune."""
        if len(q.segments) < 2:
            return []
        out = []
        for seg in q.segments[:4]:
            key = " ".join(w for w in seg if w not in ARTICLES)
            # Looked up already as the end of the address when it is a commune.
            cands = self._commune_cache.get(key) or ()
            if key in self.name_exact or any(s >= COMMUNE_SURE for s, _c, _u in cands):
                continue
            out.append(seg)
        return out

    def _peel(self, words: list[str], communes: set[int]) -> list[str]:
        """``words`` without a commune of ``communes`` written at their end."""
        for n in range(min(SPAN_WORDS, len(words) - 1), 0, -1):
            span = " ".join(w for w in words[-n:] if w not in ARTICLES)
            if not span:
                continue
            for c in communes:
                keys = [self.c_keys[c]] + [
                    commune_key(self.u_old_name[u]) for u in self.units_of[c] if self.u_old_name[u]
                ]
                if any(name_similarity(span, k) >= COMMUNE_SURE for k in keys):
                    return words[:-n]
        return words

    def _hypotheses(self, q: Query, notes: list[str]):
        """``[(units, street words, note, sure commune, named communes)]`` to try.

        ``sure commune`` is ``(confidence, commune)`` when the hypothesis identifies a single
        commune well enough to place the query at its centre, else None; ``named
        communes`` maps the communes the query clearly names to their confidence.
        """
        out = []
        if q.citycode:
            c = self.insee_to_c.get(q.citycode)
            unit = -1
            if c is None and q.citycode in self.old_insee_to_u:
                unit = self.old_insee_to_u[q.citycode]
                c = self.u_commune[unit]
            if c is not None:
                units = self._units_for([(100.0, c, unit)], "", 1.0)
                out.append((units, self._peel(q.words, {c}), "", (1.0, c), {c: 1.0}))
                for seg in self._street_segments(q):
                    out.append((units, seg, "", None, {c: 1.0}))
                return out
            notes.append(f"INSEE code {q.citycode} not in the BAN file")
        pc_units = self._postcode_units(q.postcode) if q.postcode else {}
        if q.postcode and not pc_units:
            notes.append(f"postcode {q.postcode} not in the BAN file")
        texts: list[tuple[str, list[str], float]] = []  # (commune text, street words, trust)
        if q.city:
            texts.append((q.city, q.words, 1.0))
        if q.head:
            texts.append((" ".join(w for w in q.head if w not in ARTICLES), q.words, 0.98))
        if not q.city:
            # A commune written at the end: spelled right, else the spans close to a name.
            words = q.words
            spans, seen = [], set()
            for n in range(1, min(SPAN_WORDS, len(words) - 1) + 1):
                tail = words[-n:]
                if len(tail) > 1 and _article_like(tail[0]):
                    tail = tail[1:]  # "lfes dompierize": the commune's article, slipped
                span = " ".join(w for w in tail if w not in ARTICLES)
                rest = words[:-n]
                if rest and _article_like(rest[-1]):
                    rest = rest[:-1]
                if span in seen or not span or span[0].isdigit():
                    continue
                if not any(not t for t in _query_tagged(rest)[1]):
                    continue  # "route de nevers": the words left must name a street
                seen.add(span)
                spans.append((span, rest, 0.98))
            # Spelled right, and longer spans that may be a longer name typed wrong.
            longest = max((k for k, s in enumerate(spans) if s[0] in self.name_exact), default=-1)
            texts.extend(s for k, s in enumerate(spans) if k >= longest)
        for text, street_words, trust in texts:
            cands = self._name_candidates(text)
            if not cands:
                continue
            cands = [x for x in cands if x[0] >= cands[0][0] - COMMUNE_SPREAD]
            units = self._units_for(cands, q.postcode, trust)
            sure = None
            top = cands[0][0]
            tops = {c for s, c, _u in cands if s >= top - 0.5}
            pcs = set(self.pc_communes.get(q.postcode, ())) if q.postcode else set()
            if len(tops) > 1 and len(tops & pcs) == 1:
                tops &= pcs  # "Perroy" and "Le Perroy": the postcode tells which
            if len(tops) == 1 and (top >= COMMUNE_SURE or (tops & pcs)):
                c = next(iter(tops))
                sure = (max(units[v] for v in self.units_of[c]), c)
            names = {}
            if top >= COMMUNE_SURE or (tops & pcs):
                names = {c: max(units[v] for v in self.units_of[c]) for c in tops}
            mismatch = ""
            if pcs and not (tops & pcs) and top >= COMMUNE_SURE:
                mismatch = f"postcode {q.postcode} does not match the commune"
            if text == q.city:
                street_words = self._peel(street_words, {c for _s, c, _u in cands})
            out.append((units, street_words, mismatch, sure, names))
            if len(q.segments) > 1 and text == q.city:
                for seg in self._street_segments(q):
                    out.append((units, seg, mismatch, None, names))
        if pc_units:
            sure = None
            cs = self.pc_communes[q.postcode]
            if len(cs) == 1:
                sure = (0.9, cs[0])
            note = ""
            if q.city and not self._name_candidates(q.city):
                note = f"commune '{q.city}' not found"
            if q.city or any(h[4] for h in out):
                # A commune is named: the postcode alone counts for less than the name.
                pc_units = {u: 0.85 for u in pc_units}
            names = {sure[1]: sure[0]} if sure else {}
            out.append((pc_units, q.words, note, sure, names))
            for seg in self._street_segments(q):
                out.append((pc_units, seg, note, None, names))
        elif q.city and not self._name_candidates(q.city):
            notes.append(f"commune '{q.city}' not found")
        return out


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
