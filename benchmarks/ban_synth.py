"""A synthetic BAN département and noisy queries (used by ``bench_geocode_departement.py``).

Not a benchmark by itself (``make benchmarks`` runs ``bench_*.py``). The file has the 23
columns of an official ``adresses-XX.csv``; by default it is about the size of the Nièvre:
some 310 communes (a few towns of several thousand addresses, many villages of a hundred),
some 82,000 addresses. What makes a real département hard is reproduced on purpose:

- the same street names in many communes (``Rue de l'Église``, ``Route de <neighbour>``,
  ``Chemin de la Forêt``...), streets named after dates (``Rue du 8 Mai 1945``), people
  (``Rue Bernard de Ventadour``), and lieux-dits without a street type (``Les Bordes``);
- communes with close names (``Saint-Martin-sur-Nohain``, ``Saint-Martin-du-Puy``...), names
  with ``Saint``/``Sainte``, ``-sur-``, ``-lès-``, articles and hyphens;
- postcodes shared by up to a dozen communes;
- communes nouvelles: the addresses of each former commune carry its name and code in
  ``nom_ancienne_commune`` / ``code_insee_ancienne_commune``, and the same street name may
  exist in two former communes of the same new commune.

Queries are drawn from the addresses and degraded by one *kind* of noise each (see
:data:`KINDS`); the noise is written as a typist makes it (keyboard neighbours, dropped,
doubled or swapped letters, abbreviations, words or parts in another order), without looking
at what the geocoder understands.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;"
    "nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;"
    "certification_commune;cad_parcelles"
).split(";")

# --------------------------------------------------------------------------- vocabulary

SAINTS = (
    "Martin Pierre Jean Germain Laurent Aubin Amand Benin Didier Éloi Hilaire Léger Loup "
    "Maurice Ouen Parize Père Quentin Révérien Saulge Sulpice Vérain Honoré Andelain Bonnot "
    "Malo Franchy Firmin Gratien Seine Aigny Brisson Hugues Léonard Maurice Agnan Denis "
    "Étienne Jacques Léon Marc Michel Nicolas Privé Rémy Sauveur Symphorien Victor Vincent"
).split()
SAINTES = "Marie Colombe Marguerite Croix Eugénie Reine Agathe Anne Catherine".split()
RIVERS = (
    "Loire Allier Nièvre Aron Yonne Cure Nohain Bèbre Alène Beuvron Cousin Andarge Ixeure "
    "Vrille Canne Dragne Anguison Morvan Bazois Amognes Mazou"
).split()
ROOTS = (
    "Four Cham Garch Varen Vauz Pougu Coul Imph Chant Marz Dec Lorm Cerc Gimou Mouss Prém "
    "Sauv Ourou Corb Lanty Luzy Bazol Chasn Chevan Clam Donz Entr Fléty Gien Guér Lurcy "
    "Menes Mont Moul Nolay Parig Poisc Raveau Rouy Sermo Suill Tann Tintu Urzy Vandene Vielm "
    "Breuges Brin Cessy Challu Champl Chaul Chitry Ciez Corv Cuncy Dirol Dompier Dornec "
    "Epir Fertr Frasn Germign Giry Grenois Héry Jailly Lamenay Limanton Livry Magny Marign "
    "Mars Mesves Millay Moraches Nannay Neuvy Oudan Perroy Pazy Ruages Saxi Sichamps Sougy "
    "Taconn Thianges Trucy Verneuil Villapourç Arbour Asnois Authiou Avril Azy Beaum Billy"
).split()
ENDINGS = ("", "y", "ay", "ault", "ois", "igny", "eux", "ange", "et", "ac", "ières", "on", "ize")
ARTICLED = ("La ", "Le ", "Les ")
SUFFIXES = (
    "-sur-{r}",
    "-en-{r}",
    "-lès-Nevers",
    "-les-Bains",
    "-le-Moûtier",
    "-le-Château",
    "-sous-{r}",
    "-aux-Bois",
    "-des-Champs",
    "-la-Forêt",
)

PLACES = (
    "de l'Église|de la Mairie|de la Gare|du Stade|des Écoles|de la Poste|du Cimetière|"
    "du Calvaire|du Lavoir|du Moulin|du Four|du Gué|du Pont|du Château|du Prieuré|"
    "de la Forêt|du Bois|des Vignes|des Prés|des Champs|de la Fontaine|du Puits|"
    "de la Croix|de la Croix Blanche|des Tilleuls|des Chênes|des Peupliers|des Acacias|"
    "des Lilas|des Roses|des Rosiers|des Jardins|du Verger|des Sablons|de la Tuilerie|"
    "de la Forge|des Forges|du Fourneau|de la Scierie|du Canal|des Écluses|du Port|"
    "de la Plaine|de la Vallée|du Coteau|des Bruyères|des Genêts|de la Garenne|du Tertre|"
    "des Charmes|des Noyers|des Ormes|des Saules|des Frênes|du Parc|du Marché|"
    "des Artisans|de l'Industrie|du Presbytère|des Remparts|des Fossés|de l'Abreuvoir|"
    "de la Chapelle|des Mésanges|des Hirondelles|des Coquelicots|des Bleuets|"
    "des Violettes|des Primevères|des Jonquilles|des Glycines|de la Chaume|des Granges|"
    "de la Motte|du Paradis|de la Charmée|de la Bonde|des Taillis|du Étang|de l'Étang|"
    "des Carrières|de la Pépinière|du Colombier|de la Cure|du Bourg|de la Source|"
    "des Pâtureaux|des Ouches|des Chaumes|de la Folie|du Petit Bois|du Grand Pré"
).split("|")
PEOPLE = (
    "Jean Jaurès|Victor Hugo|Pasteur|du Général de Gaulle|du Maréchal Leclerc|Gambetta|"
    "Jules Ferry|Émile Zola|Anatole France|Paul Bert|Jean Macé|Condorcet|Voltaire|Carnot|"
    "Aristide Briand|Pierre Brossolette|Jean Moulin|Marie Curie|Albert Camus|George Sand|"
    "Colette|Charles Péguy|Gustave Eiffel|Bernard de Ventadour|François Mitterrand|"
    "Louis Pasteur|Georges Clemenceau|Jean de La Fontaine|Maurice Genevoix|Romain Rolland|"
    "Henri Barbusse|Paul Vaillant Couturier|Gabriel Fauré|Claude Debussy|Hector Berlioz|"
    "Jacques Prévert|Louise Michel|Simone Veil|Lucie Aubrac|du Docteur Schweitzer|"
    "du Président Wilson|Vauban|Colbert|Saint-Exupéry|Pierre et Marie Curie|"
    "du Commandant Charcot|Ledru-Rollin|Frédéric Mistral|Alphonse Daudet|Théodore Botrel|"
    "de la Résistance|de la Libération|de la République|de la Paix|de Verdun|"
    "du 8 Mai 1945|du 11 Novembre 1918|du 14 Juillet|du 19 Mars 1962|"
    "des Anciens Combattants|des Déportés|des Fusillés|du Souvenir Français"
).split("|")
LIEUDIT_WORDS = (
    "Bordes Chaume Grange Champ Bois Pré Croix Brosse Ruelle Vesvre Maison Moulin Fontaine "
    "Bruère Chaumot Vernay Chêne Ormeau Marais Pâture Ferté Motte Montée Noue Pierre Roche "
    "Souche Tuilerie Varenne Villeneuve Gaillard Chassy Baudière Charmoy Bussière Mouille"
).split()
LD_ADJ = ("", "", "Neuve", "Blanche", "Haute", "Basse", "Rouge", "Grande", "Petite", "du Bas")
#: Street types with their share of streets (lieux-dits, without a type, apart).
TYPES = (
    ("Rue", 34),
    ("Route", 13),
    ("Chemin", 15),
    ("Impasse", 8),
    ("Place", 4),
    ("Allée", 4),
    ("Avenue", 3),
    ("Boulevard", 1),
    ("Ruelle", 1),
    ("Quai", 0.5),
    ("Faubourg", 0.5),
    ("Sentier", 0.5),
    ("Square", 0.3),
    ("Lotissement", 1),
    ("Hameau", 0.5),
)
ABBREVIATIONS = {
    "Rue": ("R.", "r"),
    "Route": ("Rte", "rte", "Rte."),
    "Chemin": ("Ch.", "Chem", "ch"),
    "Impasse": ("Imp.", "imp"),
    "Place": ("Pl.", "pl"),
    "Allée": ("All.", "all"),
    "Avenue": ("Av.", "av", "Ave"),
    "Boulevard": ("Bd", "bd", "Bld"),
    "Faubourg": ("Fg", "Fbg"),
    "Lotissement": ("Lot.", "lotiss"),
    "Square": ("Sq",),
    "Saint": ("St",),
    "Sainte": ("Ste",),
    "Général": ("Gal", "Gén."),
    "Maréchal": ("Mal", "Mar."),
    "Docteur": ("Dr", "Doct."),
    "Président": ("Pdt", "Prés."),
    "Commandant": ("Cdt",),
}
KEYBOARD = {
    # AZERTY neighbours of each letter.
    "a": "zqs",
    "z": "aeqsd",
    "e": "zrsdf",
    "r": "etdfg",
    "t": "ryfgh",
    "y": "tughj",
    "u": "yihjk",
    "i": "uojkl",
    "o": "iplkm",
    "p": "olm",
    "q": "azsw",
    "s": "azedqwxc",
    "d": "zerfsxcv",
    "f": "ertgdcvb",
    "g": "rtyhfvbn",
    "h": "tyujgbn",
    "j": "yuikhn",
    "k": "uiolj",
    "l": "iopkm",
    "m": "oplù",
    "w": "qsx",
    "x": "wsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhj",
}


# --------------------------------------------------------------------------- the file


@dataclass
class Commune:
    insee: str
    name: str
    postcode: str
    lon: float
    lat: float
    size: int
    #: Former communes of a commune nouvelle: (code, name, lon, lat).
    parts: list = field(default_factory=list)
    #: Street names per former-commune code ("" for an ordinary commune).
    streets: dict = field(default_factory=dict)


@dataclass
class Address:
    commune: int
    old: str  # former commune name ('' for an ordinary commune)
    street: str
    number: int
    rep: str
    lon: float
    lat: float


def _commune_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.22:
        if rng.random() < 0.8:
            base = "Saint-" + rng.choice(SAINTS)
        else:
            base = "Sainte-" + rng.choice(SAINTES)
        if rng.random() < 0.75:
            base += rng.choice(SUFFIXES).format(r=rng.choice(RIVERS))
        return base
    root = rng.choice(ROOTS) + rng.choice(ENDINGS)
    root = root[0].upper() + root[1:]
    if r < 0.32:
        root = rng.choice(ARTICLED) + root
    if r > 0.8:
        root += rng.choice(SUFFIXES).format(r=rng.choice(RIVERS))
    elif r > 0.74:
        root += "-" + rng.choice(ROOTS) + rng.choice(ENDINGS)
    return root


def _lieudit(rng: random.Random) -> str:
    word = rng.choice(LIEUDIT_WORDS)
    art = {"Bordes": "Les "}.get(word, rng.choice(("La ", "Le ", "Les ", "", "La ")))
    adj = rng.choice(LD_ADJ)
    if rng.random() < 0.3:
        return f"{word} {rng.choice(ROOTS)}{rng.choice(ENDINGS)}".strip()
    return f"{art}{word} {adj}".strip()


def _street_name(rng: random.Random, neighbours: list[str]) -> str:
    if rng.random() < 0.14:
        return _lieudit(rng)
    kinds, weights = zip(*TYPES, strict=True)
    stype = rng.choices(kinds, weights)[0]
    r = rng.random()
    if stype == "Route" and r < 0.6 and neighbours:
        return f"Route de {rng.choice(neighbours)}"
    if r < 0.55:
        # A few names are everywhere: a Zipf-like pick among the common places.
        k = min(int(rng.paretovariate(0.9)) - 1, len(PLACES) - 1)
        name = PLACES[k] if rng.random() < 0.5 else rng.choice(PLACES)
    elif r < 0.85:
        name = rng.choice(PEOPLE)
    else:
        name = "de " + _lieudit(rng).replace("Le ", "le ").replace("La ", "la ")
        name = name.replace("de Les ", "des ").replace("de le ", "du ")
    return f"{stype} {name}"


def generate(path: Path, communes: int = 310, addresses: int = 82_000, seed: int = 58):
    """Write the file; return ``(communes, addresses)`` (the truth)."""
    rng = random.Random(seed)
    names: list[str] = []
    seen = set()
    while len(names) < communes:
        n = _commune_name(rng)
        if n.lower() not in seen:
            seen.add(n.lower())
            names.append(n)
    # Sizes: a few towns, many villages (log-normal), scaled to the wanted total.
    raw = [rng.lognormvariate(0, 1.0) for _ in range(communes)]
    for k in range(min(4, communes)):
        raw[k] *= 25  # Nevers, Cosne, Decize, La Charité
    scale = addresses / sum(raw)
    sizes = [max(15, round(v * scale)) for v in raw]
    # Communes on a grid over ~110 x 110 km around 47.1 N 3.5 E.
    side = math.ceil(math.sqrt(communes))
    cells = rng.sample(range(side * side), communes)
    out: list[Commune] = []
    for k, name in enumerate(names):
        gx, gy = cells[k] % side, cells[k] // side
        lon = 2.85 + (gx + rng.uniform(0.2, 0.8)) * 1.45 / side
        lat = 46.65 + (gy + rng.uniform(0.2, 0.8)) * 1.0 / side
        out.append(Commune(f"58{k + 1:03d}", name, "", lon, lat, sizes[k]))
    # Postcodes: towns alone, villages in groups of 2-12 neighbours (sorted by place).
    order = sorted(range(communes), key=lambda i: (round(out[i].lat * 8), out[i].lon))
    pcs, k = 0, 0
    while k < communes:
        group = 1 if out[order[k]].size > 2000 else rng.randint(2, 12)
        code = f"58{(pcs * 10) % 1000:03d}" if pcs < 100 else f"58{pcs % 1000:03d}"
        for i in order[k : k + group]:
            out[i].postcode = code
        pcs += 1
        k += group
    # Communes nouvelles: ~16 communes absorb one or two neighbours.
    absorbed = set()
    for i in rng.sample(range(4, communes), 16):
        if i in absorbed:
            continue
        near = sorted(
            (j for j in range(4, communes) if j != i and j not in absorbed),
            key=lambda j: (out[j].lon - out[i].lon) ** 2 + (out[j].lat - out[i].lat) ** 2,
        )[: rng.randint(1, 2)]
        members = [i, *near]
        for j in members:
            c = out[j]
            out[i].parts.append((c.insee, c.name, c.lon, c.lat, c.size))
        absorbed.update(near)
        base = out[i].name.split("-")[0]
        out[i].name = f"{base}-{rng.choice(('en', 'sur'))}-{rng.choice(RIVERS)}"
    kept = [c for j, c in enumerate(out) if j not in absorbed]
    # Streets and addresses.
    truth: list[Address] = []
    rows = []
    for ci, c in enumerate(kept):
        parts = c.parts or [("", "", c.lon, c.lat, c.size)]
        neighbours = [o.name for o in rng.sample(kept, 6)]
        elsewhere: set[str] = set()  # names already used in another former commune
        for old_code, old_name, plon, plat, psize in parts:
            streets = []
            n_streets = max(3, round(psize / rng.uniform(9, 16)))
            used = set()
            while len(streets) < n_streets:
                s = _street_name(rng, neighbours)
                if name_key(s) in used:
                    continue
                if name_key(s) in elsewhere and rng.random() < 0.8:
                    continue  # homonyms are mostly renamed when communes merge
                used.add(name_key(s))
                streets.append(s)
            elsewhere |= used
            c.streets[old_code] = streets
            weights = [rng.paretovariate(1.2) for _ in streets]
            total = sum(weights)
            for s, w in zip(streets, weights, strict=True):
                n_addr = max(1, round(psize * w / total))
                ang = rng.uniform(0, 2 * math.pi)
                dist = rng.uniform(0, 1800) if psize > 300 else rng.uniform(0, 1200)
                x0 = plon + dist * math.cos(ang) / 75_000
                y0 = plat + dist * math.sin(ang) / 111_000
                head = rng.uniform(0, 2 * math.pi)
                step = rng.uniform(8, 18)
                first = rng.choice((1, 1, 1, 2, 3, 5))
                numbers = [first + k for k in range(n_addr)]
                if rng.random() < 0.3:
                    numbers = sorted(rng.sample(range(1, 3 * n_addr + 3), n_addr))
                for n in numbers:
                    along = (n // 2) * step
                    side = 8 if n % 2 else -8
                    dx = along * math.cos(head) - side * math.sin(head)
                    dy = along * math.sin(head) + side * math.cos(head)
                    rep = "bis" if rng.random() < 0.02 else ""
                    lon, lat = x0 + dx / 75_000, y0 + dy / 111_000
                    fantoir = f"{c.insee}_{len(rows) % 9999:04d}"
                    rows.append(
                        (
                            f"{fantoir}_{n:05d}{'_' + rep if rep else ''}",
                            fantoir,
                            n,
                            rep,
                            s,
                            c.postcode,
                            c.insee,
                            c.name,
                            old_code,
                            old_name,
                            "",
                            "",
                            f"{lon:.6f}",
                            f"{lat:.6f}",
                            "entrée",
                            "",
                            "",
                            c.name.upper(),
                            s.upper(),
                            "synth",
                            "synth",
                            "",
                            "",
                        )
                    )
                    truth.append(Address(ci, old_name, s, n, rep, lon, lat))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    return kept, truth


# --------------------------------------------------------------------------- noise


def strip_accents(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


_ARTICLES = frozenset("le la les l de du des d".split())


def name_key(name: str) -> str:
    """A name without case, accents, punctuation or articles: two streets with the same key
    are the same street ("Les Bordes" and "Bordes")."""
    words = strip_accents(name).lower().replace("-", " ").replace("'", " ").split()
    return " ".join(w for w in words if w not in _ARTICLES)


def typo(word: str, rng: random.Random, edits: int = 1) -> str:
    """``edits`` typing mistakes inside ``word`` (never its first letter)."""
    for _ in range(edits):
        if len(word) < 3:
            return word
        i = rng.randrange(1, len(word))
        op = rng.random()
        ch = word[i].lower()
        if op < 0.35:  # a neighbouring key
            word = word[:i] + rng.choice(KEYBOARD.get(ch, "e")) + word[i + 1 :]
        elif op < 0.6:  # a letter dropped
            word = word[:i] + word[i + 1 :]
        elif op < 0.8 and i < len(word) - 1:  # two letters swapped
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:  # a letter inserted (neighbour of the one typed)
            word = word[:i] + rng.choice(KEYBOARD.get(ch, "e")) + word[i:]
    return word


def drop_or_double(word: str, rng: random.Random) -> str:
    """A double letter made single, or a single one doubled (``Mitterand``, ``Fourchambaullt``)."""
    doubles = [i for i in range(1, len(word)) if word[i] == word[i - 1]]
    if doubles and rng.random() < 0.5:
        i = rng.choice(doubles)
        return word[:i] + word[i + 1 :]
    i = rng.randrange(1, len(word))
    if not word[i].isalpha():
        return word
    return word[: i + 1] + word[i] + word[i + 1 :]


def _long_words(text: str, min_len: int = 4) -> list[int]:
    words = text.replace("-", " ").replace("'", " ").split()
    return [k for k, w in enumerate(words) if len(w) >= min_len and w[0].isupper()]


def _edit_one_word(text: str, rng: random.Random, func, slips: int = 1) -> str:
    """Apply ``func`` to one capitalised word of ``text`` (keeping separators).

    Every keystroke may slip, so a word is hit in proportion to its length, and one that
    carries ``slips`` slips in proportion to its length to that power."""
    import re

    parts = re.split(r"([ \-'])", text)
    idx = [k for k, w in enumerate(parts) if len(w) >= 3 and w[0].isupper()]
    if not idx:
        idx = [k for k, w in enumerate(parts) if len(w) >= 4]
    if not idx:
        return text
    k = rng.choices(idx, weights=[len(parts[i]) ** slips for i in idx])[0]
    parts[k] = func(parts[k])
    return "".join(parts)


def abbreviate(street: str, rng: random.Random) -> str:
    words = street.split()
    done = False
    for k, w in enumerate(words):
        if w in ABBREVIATIONS and (k == 0 or rng.random() < 0.8):
            words[k] = rng.choice(ABBREVIATIONS[w])
            done = True
    text = " ".join(words)
    if "Saint-" in text:
        text = text.replace("Saint-", "St ")
        done = True
    if not done and rng.random() < 0.5:
        text = text.replace(" de la ", " de la ").replace(" de l'", " l'")
    return text


def reorder_street(street: str, rng: random.Random) -> str:
    """Words of the name in another order: ``Rue Jaurès Jean``, ``Forêt Chemin de la``."""
    words = street.split()
    if len(words) >= 3 and rng.random() < 0.6:
        head, rest = words[:1], words[1:]
        content = [w for w in rest if w[0].isupper()]
        if len(content) >= 2:
            content = content[::-1]
            return " ".join(head + content)
        return " ".join(rest + head)
    return " ".join(words[1:] + words[:1]) if len(words) >= 2 else street


def case_and_accents(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        text = strip_accents(text)
    r = rng.random()
    if r < 0.25:
        return text.upper()
    if r < 0.5:
        return text.lower()
    return text


def commune_variant(name: str, rng: random.Random) -> str:
    """How people write a correct commune name: hyphens, St, s/, case."""
    if rng.random() < 0.4:
        name = name.replace("-", " ")
    if rng.random() < 0.4:
        name = name.replace("Saint", "St").replace("Sainte", "Ste").replace("Ste-e", "Ste")
    if rng.random() < 0.2:
        name = name.replace("-sur-", " s/ ").replace(" sur ", " s/ ")
    return name


#: Kinds of noise; each query has one (plus harmless case/accent changes).
KINDS = (
    "clean",
    "commune_typo",
    "no_postcode",
    "commune_typo_no_postcode",
    "old_commune",
    "street_typo_1",
    "street_typo_2",
    "dropped_doubled",
    "abbreviations",
    "word_order",
    "parts_order",
    "hard_mix",
)


def make_query(kind: str, a: Address, communes, rng: random.Random, one_line: bool) -> dict:
    c = communes[a.commune]
    street, city, pc = a.street, c.name, c.postcode
    if a.old and (kind == "old_commune" or rng.random() < 0.3):
        city = a.old
    if kind in ("commune_typo", "commune_typo_no_postcode", "hard_mix"):
        if rng.random() < 0.5:
            city = _edit_one_word(city, rng, lambda w: typo(w, rng, 1))
        else:
            city = _edit_one_word(city, rng, lambda w: drop_or_double(w, rng))
    if kind in ("no_postcode", "commune_typo_no_postcode", "hard_mix"):
        pc = ""
    if kind == "street_typo_1":
        street = _edit_one_word(street, rng, lambda w: typo(w, rng, 1))
    elif kind == "street_typo_2":
        street = _edit_one_word(street, rng, lambda w: typo(w, rng, 2), slips=2)
    elif kind == "dropped_doubled":
        street = _edit_one_word(street, rng, lambda w: drop_or_double(w, rng))
    elif kind == "abbreviations":
        street = abbreviate(street, rng)
    elif kind == "word_order":
        street = reorder_street(street, rng)
    elif kind == "hard_mix":
        n = rng.choice((1, 2))
        street = _edit_one_word(street, rng, lambda w: typo(w, rng, n), slips=n)
    city = commune_variant(city, rng)
    street = case_and_accents(street, rng)
    city = case_and_accents(city, rng)
    num = f"{a.number}{' ' + a.rep if a.rep else ''}"
    if kind == "parts_order":
        one_line = True
        parts = [f"{num} {street}", " ".join(p for p in (pc, city) if p)]
        order = rng.choice(("city_first", "pc_after", "no_comma"))
        if order == "city_first":
            return {"address": f"{city} {pc} {num} {street}".replace("  ", " ")}
        if order == "pc_after":
            return {"address": f"{num} {street} {city} {pc}".replace("  ", " ")}
        return {"address": " ".join(parts)}
    if one_line:
        sep = rng.choice((", ", " ", " - "))
        return {"address": f"{num} {street}{sep}{pc} {city}".replace("  ", " ").strip()}
    return {"address": f"{num} {street}", "postcode": pc, "city": city}


def absent_query(communes, ci: int, pool: list[str], rng: random.Random, one_line: bool):
    """A street that does not exist in commune ``ci`` (often one that exists elsewhere)."""
    c = communes[ci]
    present = {name_key(s) for streets in c.streets.values() for s in streets}
    while True:
        s = rng.choice(pool)
        if name_key(s) not in present:
            break
    a = Address(ci, "", s, rng.randint(1, 40), "", math.nan, math.nan)
    kind = rng.choice(("clean", "no_postcode", "commune_typo", "street_typo_1"))
    return make_query(kind, a, communes, rng, one_line)
