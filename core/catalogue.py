"""The resource catalogue: what can be exchanged or pooled, and what can replace what.

The built-in tables live in ``core/data/`` as readable CSV files:

* ``families.csv`` - resource families (organic, wood, energy... service, space), their
  map colour and synergy type;
* ``resources.csv`` - the resources, with their family, synergy type (``substitution`` or
  ``mutualisation``), dimension, default unit, default maximum exchange distance, bulk
  density for materials counted by volume, and the sources of these figures;
* ``ler.csv`` - the 842 codes of the European List of Waste (LER), each resolved to a
  resource (``scripts/build_ler_catalogue.py`` builds it from the official list);
* ``compatibility.csv`` - supply → need pairs of industrial-symbiosis practice with a factor
  in [0, 1] (identity pairs are implicit, factor 1).

:class:`Catalogue` reads them once (:meth:`Catalogue.builtin`); users extend or override them
with their own tables (:meth:`Catalogue.load`). A flow names its resource with a catalogue
code or a LER code (``020103``, ``02 01 03``, ``02 01 03*``, ``02.01.03``):
:meth:`Catalogue.resolve` and the vectorised :meth:`Catalogue.resolve_many` turn either into a
:class:`Resource`.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import EitError
from .tables import READ_REJECTED, ROW, match_columns, read_table, to_number

DATA_DIR = Path(__file__).resolve().parent / "data"

SYNERGY_TYPES = ("substitution", "mutualisation")
#: dimension -> the unit quantities are normalised to (per year, except areas)
DIMENSION_UNITS = {
    "mass": "t",
    "energy": "MWh",
    "volume": "m3",
    "time": "h",
    "count": "unit",
    "area": "m2",
}

#: accepted column names of a user resources table (canonical name first)
RESOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "code_ressource", "resource_code", "ressource", "resource"),
    "label_fr": ("label_fr", "libelle_fr", "libelle", "nom"),
    "label_en": ("label_en", "libelle_en", "label", "name"),
    "family": ("family", "famille"),
    "synergy_type": ("synergy_type", "type_synergie", "synergie", "synergy"),
    "dimension": ("dimension", "grandeur"),
    "default_unit": ("default_unit", "unite_defaut", "unite", "unit"),
    "max_distance_km": ("max_distance_km", "distance_max_km", "distance_km", "distance_max"),
    "distance_source": ("distance_source", "source_distance"),
    "density_t_per_m3": ("density_t_per_m3", "densite_t_m3", "densite", "density"),
    "density_source": ("density_source", "source_densite"),
    "source": ("source",),
    "parent": ("parent", "parent_code", "parente", "famille_parente"),
    "lhv_mwh_per_t": ("lhv_mwh_per_t", "pci_mwh_t", "pci", "lhv", "ncv"),
    "lhv_source": ("lhv_source", "source_pci"),
}

#: accepted column names of a user compatibility table (canonical name first)
COMPATIBILITY_FIELDS: dict[str, tuple[str, ...]] = {
    "supply_resource": ("supply_resource", "supply", "ressource_gisement", "gisement", "offre"),
    "need_resource": ("need_resource", "need", "ressource_besoin", "besoin", "demande"),
    "factor": ("factor", "facteur", "compatibilite", "compatibility", "coefficient"),
    "explanation_fr": ("explanation_fr", "explication_fr", "explication"),
    "explanation_en": ("explanation_en", "explanation"),
    "source": ("source",),
}

#: accepted column names of a user families table (canonical name first)
FAMILY_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "famille", "family"),
    "label_fr": ("label_fr", "libelle_fr", "libelle", "nom"),
    "label_en": ("label_en", "libelle_en", "label", "name"),
    "colour": ("colour", "color", "couleur"),
    "synergy_type": ("synergy_type", "type_synergie", "synergie", "synergy"),
    "source": ("source",),
}

_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_LER_RE = re.compile(r"^(\d{2})[\s.\-]*(\d{2})[\s.\-]*(\d{2})\s*(?:\*|\(\*\))?$")
_LER_PREFIX_RE = re.compile(
    r"^(\d{2})[\s.\-]?(\d{2})[\s.\-]?(\d{2})\s*(?:\*|\(\*\))?\s*(?:[-\u2013:]\s*|\s)\s*\D"
)
_FLOAT_CODE_RE = re.compile(r"^(\d{5,6})\.0+$")


@dataclass(frozen=True)
class Resource:
    """One row of ``resources.csv``."""

    code: str
    label_fr: str
    label_en: str
    family: str
    synergy_type: str
    dimension: str
    default_unit: str
    max_distance_km: float
    distance_source: str
    density_t_per_m3: float | None
    density_source: str
    parent: str = ""  # the more general resource this one is a kind of ("" = none)
    lhv_mwh_per_t: float | None = None  # net calorific value, for fuels counted in energy
    lhv_source: str = ""


@dataclass(frozen=True)
class ResolvedCode:
    """What a user's resource text resolved to."""

    text: str  # what the user wrote
    resource: Resource
    ler_code: str | None  # 6 digits when the user gave a LER code
    hazardous: bool  # from the official list for LER codes, else False
    from_text: bool = False  # True when read from words (core.lexicon), to be reviewed
    confidence: float = 1.0  # of a match from words (0-1); 1 for codes


@dataclass(frozen=True)
class Compatibility:
    """How well ``supply`` substitutes ``need`` (``factor`` in [0, 1]) and why."""

    supply: str
    need: str
    factor: float
    explanation_fr: str
    explanation_en: str
    source: str


def _optional_float(value) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _lineage(resources: dict, code: str) -> list[str]:
    chain, seen = [code], {code}
    parent = resources[code].parent if code in resources else ""
    while parent and parent in resources and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = resources[parent].parent
    return chain


#: factor of "a kind of X serves a need of X" and of "X may hold the kind the need asks for"
CHILD_TO_PARENT = 0.9
PARENT_TO_CHILD = 0.5
_HIERARCHY = "catalogue hierarchy (parent column of resources.csv)"


def _derived_pairs(resources: dict, explicit: dict) -> list[Compatibility]:
    """Pairs implied by ``parent``: a kind of X serves X's needs and X itself; X may serve a
    need of one of its kinds (lower factor). Explicit pairs are never overridden."""
    out: dict[tuple[str, str], Compatibility] = {}

    def add(supply, need, factor, fr, en, source):
        key = (supply, need)
        if supply == need or need in explicit.get(supply, {}) or key in out:
            return
        out[key] = Compatibility(supply, need, float(factor), fr, en, source)

    for code, res in resources.items():
        if not res.parent:
            continue
        ancestors = _lineage(resources, code)[1:]
        for anc in ancestors:
            add(
                code,
                anc,
                CHILD_TO_PARENT,
                f"{res.label_fr} est une sorte de {resources[anc].label_fr}",
                f"{res.label_en} is a kind of {resources[anc].label_en}",
                _HIERARCHY,
            )
        for anc in ancestors:
            for need, pair in explicit.get(anc, {}).items():
                add(
                    code,
                    need,
                    pair.factor,
                    pair.explanation_fr,
                    pair.explanation_en,
                    f"inherited from {anc} -> {need}: {pair.source}",
                )
        for anc in ancestors:  # what serves X may serve a kind of X (check the grade)
            for supply, needs in explicit.items():
                pair = needs.get(anc)
                if pair is not None and supply != code:
                    add(
                        supply,
                        code,
                        round(pair.factor * PARENT_TO_CHILD, 3),
                        pair.explanation_fr,
                        pair.explanation_en,
                        f"inherited from {supply} -> {anc}, grade to check: {pair.source}",
                    )
        for anc in ancestors:
            add(
                anc,
                code,
                PARENT_TO_CHILD,
                f"Peut contenir {res.label_fr}: vérifier la qualité",
                f"May hold {res.label_en}: check the grade",
                _HIERARCHY,
            )
    return list(out.values())


def _identity(code: str) -> Compatibility:
    return Compatibility(code, code, 1.0, "Même ressource", "Same resource", "identity")


def _fold(text: str) -> str:
    """Lower case, no accents, punctuation and underscores as spaces (for fuzzy matching)."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _ler_digits(text: str) -> str | None:
    """The 6 digits of a LER code written in any of the accepted forms, else None."""
    match = _FLOAT_CODE_RE.match(text)
    if match:  # a spreadsheet turned the code into a number: 200201.0, 20201.0
        text = match.group(1)
    if text.isdigit() and len(text) == 5:  # leading zero lost by a spreadsheet: 20103
        text = "0" + text
    match = _LER_RE.match(text) or _LER_PREFIX_RE.match(text)
    return "".join(match.groups()[:3]) if match else None


_CODE_SHAPED = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _wordy(text: str) -> bool:
    """Text that may name a resource in words: not shaped like a catalogue code
    (``ORG_GREN_WASTE`` is a mistyped code, rejected with suggestions) and either with few
    digits or with a real word next to them ("GRV 1000 L" is words, "99 01 01" is not)."""
    if _CODE_SHAPED.match(text.strip()):
        return False
    return len(re.sub(r"\D", "", text)) < 4 or bool(re.search(r"[^\W\d_]{3}", text))


def _normalise_code(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().upper())


class Catalogue:
    """Resources, families, LER codes and compatibilities; immutable once built."""

    def __init__(
        self,
        resources: pd.DataFrame,
        compatibility: pd.DataFrame,
        families: pd.DataFrame,
        ler: pd.DataFrame,
    ):
        """Build from validated frames (use :meth:`builtin` or :meth:`load`)."""
        self._resources_frame = resources.reset_index(drop=True)
        self._compatibility_frame = compatibility.reset_index(drop=True)
        self._families_frame = families.reset_index(drop=True)
        self._ler_frame = ler.reset_index(drop=True)
        self._resources: dict[str, Resource] = {}
        for rec in self._resources_frame.to_dict("records"):
            density = rec["density_t_per_m3"]
            self._resources[rec["code"]] = Resource(
                code=rec["code"],
                label_fr=rec["label_fr"],
                label_en=rec["label_en"],
                family=rec["family"],
                synergy_type=rec["synergy_type"],
                dimension=rec["dimension"],
                default_unit=rec["default_unit"],
                max_distance_km=float(rec["max_distance_km"]),
                distance_source=rec["distance_source"],
                density_t_per_m3=None if density is None or pd.isna(density) else float(density),
                density_source=rec["density_source"] or "",
                parent=rec.get("parent") or "",
                lhv_mwh_per_t=_optional_float(rec.get("lhv_mwh_per_t")),
                lhv_source=rec.get("lhv_source") or "",
            )
        self._ler = {
            code: (resource, bool(hazardous))
            for code, resource, hazardous in zip(
                self._ler_frame["ler_code"],
                self._ler_frame["resource"],
                self._ler_frame["hazardous"],
                strict=True,
            )
        }
        self._needs: dict[str, dict[str, Compatibility]] = {}
        for rec in self._compatibility_frame.to_dict("records"):
            pair = Compatibility(
                supply=rec["supply_resource"],
                need=rec["need_resource"],
                factor=float(rec["factor"]),
                explanation_fr=rec["explanation_fr"],
                explanation_en=rec["explanation_en"],
                source=rec["source"],
            )
            self._needs.setdefault(pair.supply, {})[pair.need] = pair
        # pairs derived from the hierarchy (``parent``): explicit pairs always win
        self._explicit_compatibility = self._compatibility_frame
        derived = _derived_pairs(self._resources, self._needs)
        for pair in derived:
            self._needs.setdefault(pair.supply, {})[pair.need] = pair
        if derived:
            parts = [self._explicit_compatibility] if len(self._explicit_compatibility) else []
            self._compatibility_frame = pd.concat(
                [
                    *parts,
                    pd.DataFrame(
                        [
                            (
                                p.supply,
                                p.need,
                                p.factor,
                                p.explanation_fr,
                                p.explanation_en,
                                p.source,
                            )
                            for p in derived
                        ],
                        columns=list(COMPATIBILITY_FIELDS),
                    ),
                ],
                ignore_index=True,
            )
        # fuzzy-matching choices: 3 forms per resource, contiguous per resource
        self._codes = list(self._resources)
        self._choices: list[str] = []
        for res in self._resources.values():
            self._choices += [_fold(res.code), _fold(res.label_fr), _fold(res.label_en)]
        self._ler_codes = list(self._ler)

    # ------------------------------------------------------------------ construction

    @classmethod
    def builtin(cls) -> Catalogue:
        """The catalogue shipped with the plugin (read once, then cached)."""
        return _builtin()

    @classmethod
    def load(cls, resources=None, compatibility=None, families=None) -> Catalogue:
        """The built-in catalogue extended or overridden by user tables.

        ``resources`` / ``compatibility`` / ``families``: a path (CSV, XLSX, ODS...) or a
        DataFrame. A user row with a built-in code overrides it (empty cells keep the built-in
        values); a new code adds a resource or a family (a family needs labels, a ``#RRGGBB``
        colour and a synergy type). A user pair overrides the built-in pair with the same
        supply and need. Bad tables raise ``EitError("invalid_catalogue_table", file=, row=,
        field=, value=, reason=, problems=[...])`` (``row`` as a spreadsheet shows it: header
        = 1, first data row = 2).
        """
        base = cls.builtin()
        if resources is None and compatibility is None and families is None:
            return base
        fam_frame = base._families_frame
        if families is not None:
            fam_frame = _merge_families(base, families)
        res_frame = base._resources_frame
        if resources is not None:
            res_frame = _merge_resources(base, resources, fam_frame)
        draft = cls(res_frame, base._explicit_compatibility.iloc[0:0], fam_frame, base._ler_frame)
        comp_frame = base._explicit_compatibility
        if compatibility is not None:
            comp_frame = _merge_compatibility(draft, comp_frame, compatibility)
        return cls(res_frame, comp_frame, fam_frame, base._ler_frame)

    # ------------------------------------------------------------------ look-ups

    def __contains__(self, code) -> bool:
        return isinstance(code, str) and _normalise_code(code) in self._resources

    def __len__(self) -> int:
        return len(self._resources)

    def get(self, code: str) -> Resource:
        """The resource ``code`` (case and surrounding spaces ignored).

        Raises ``EitError("unknown_resource", text=code, suggestions=[...])``, never KeyError.
        """
        key = _normalise_code(str(code))
        try:
            return self._resources[key]
        except KeyError:
            raise self._unknown(str(code)) from None

    @functools.cached_property
    def lexicon(self):
        """The words -> resources matcher of this catalogue (:mod:`core.lexicon`)."""
        from .lexicon import Lexicon

        return Lexicon.build(self._resources)

    def resolve(self, text: str, words: bool = True) -> ResolvedCode:
        """A catalogue code, a LER code (``020103``, ``02 01 03``, ``02 01 03*``...) or, when
        ``words``, a resource written in words ("palettes cassées", "boues de STEP").

        A LER code may be followed by its label (``20 02 01 - déchets verts``). ``hazardous``
        comes from the official list, whatever the ``*`` says. Words confidently matched give
        ``from_text`` and their ``confidence``. Raises ``EitError`` with code
        ``missing_resource`` (empty text) or ``unknown_resource`` (``text``, ``suggestions``:
        the 3 best resources or LER codes, ``confidence`` of the best guess for words).
        """
        raw = "" if text is None or (isinstance(text, float) and math.isnan(text)) else text
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        stripped = str(raw).strip()
        if not stripped:
            raise EitError("missing_resource", "empty resource code", text=str(raw))
        resource = self._resources.get(_normalise_code(stripped))
        if resource is not None:
            return ResolvedCode(str(text), resource, None, False)
        digits = _ler_digits(stripped)
        if digits is not None and digits in self._ler:
            code, hazardous = self._ler[digits]
            return ResolvedCode(str(text), self._resources[code], digits, hazardous)
        if words and _wordy(stripped):
            found = self.lexicon.match(stripped)
            if found.resource is not None:
                resource = self._resources[found.resource]
                return ResolvedCode(str(text), resource, None, False, True, found.confidence)
            raise self._unknown(stripped, found.suggestions, found.confidence)
        raise self._unknown(stripped)

    def resolve_many(self, texts: pd.Series) -> pd.DataFrame:
        """Vectorised :meth:`resolve`: each distinct value is resolved once.

        Returns a frame on the index of ``texts`` with the columns ``resource`` (code or
        None), ``ler_code`` (6 digits or None), ``hazardous`` (bool), ``error_code`` (None,
        ``missing_resource`` or ``unknown_resource``), ``suggestions`` (tuple of up to 3
        codes, empty when resolved), ``from_text`` (bool: read from words) and
        ``confidence`` (of words, matched or not; NaN for codes).
        """
        texts = pd.Series(texts) if not isinstance(texts, pd.Series) else texts
        codes, uniques = pd.factorize(texts, use_na_sentinel=True)
        n = len(uniques)
        resource = np.full(n + 1, None, dtype=object)
        ler_code = np.full(n + 1, None, dtype=object)
        hazardous = np.zeros(n + 1, dtype=bool)
        from_text = np.zeros(n + 1, dtype=bool)
        confidence = np.full(n + 1, np.nan)
        error = np.full(n + 1, None, dtype=object)
        suggestions = np.empty(n + 1, dtype=object)
        suggestions[:] = [()] * (n + 1)
        error[n] = "missing_resource"
        for i, value in enumerate(uniques):
            try:
                found = self.resolve(value)
            except EitError as exc:
                error[i] = exc.code
                suggestions[i] = tuple(exc.data.get("suggestions") or ())
                if exc.data.get("confidence") is not None:
                    confidence[i] = exc.data["confidence"]
                continue
            resource[i] = found.resource.code
            ler_code[i] = found.ler_code
            hazardous[i] = found.hazardous
            from_text[i] = found.from_text
            if found.from_text:
                confidence[i] = found.confidence
        take = np.where(codes < 0, n, codes)
        return pd.DataFrame(
            {
                "resource": resource[take],
                "ler_code": ler_code[take],
                "hazardous": hazardous[take],
                "error_code": error[take],
                "suggestions": suggestions[take],
                "from_text": from_text[take],
                "confidence": confidence[take],
            },
            index=texts.index,
        )

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """The ``limit`` resources ``text`` most likely names: by meaning first
        (:mod:`core.lexicon`), then by spelling (rapidfuzz over codes and FR/EN labels).

        Text that looks like a LER code (4 digits or more) gets the closest LER codes.
        """
        text = str(text)
        if len(re.sub(r"\D", "", text)) >= 4:
            return self._suggest_many([text], limit)[0]
        found = self.lexicon.match(text)
        out = list(dict.fromkeys(([found.resource] if found.resource else []) + found.suggestions))
        for code in self.lexicon._spelling(text) + self._suggest_many([text], limit)[0]:
            if len(out) >= limit:
                break
            if code not in out:
                out.append(code)
        return out[:limit]

    def _suggest_many(self, texts: list[str], limit: int) -> list[list[str]]:
        from rapidfuzz import fuzz, process

        out: list[list[str]] = [[] for _ in texts]
        words, word_pos = [], []
        for pos, text in enumerate(texts):
            digits = re.sub(r"\D", "", text)
            if len(digits) >= 4:
                hits = process.extract(digits[:6], self._ler_codes, scorer=fuzz.ratio, limit=limit)
                out[pos] = [hit[0] for hit in hits]
            else:
                words.append(_fold(text))
                word_pos.append(pos)
        if not words or not self._codes:
            return out
        starts = np.arange(0, len(self._choices), 3)
        for first in range(0, len(words), 5000):
            chunk = words[first : first + 5000]
            scores = process.cdist(
                chunk, self._choices, scorer=fuzz.WRatio, dtype=np.uint8, workers=1
            )
            best = np.maximum.reduceat(scores, starts, axis=1)
            order = np.argsort(-best.astype(np.int16), axis=1, kind="stable")[:, :limit]
            for k, row in enumerate(order):
                out[word_pos[first + k]] = [self._codes[j] for j in row]
        return out

    def _unknown(self, text: str, close=None, confidence=None) -> EitError:
        close = list(close) if close is not None else self.suggest(text)
        hint = f"; closest codes: {', '.join(close)}" if close else ""
        what = "a catalogue code, a LER waste code nor words clearly naming a resource"
        return EitError(
            "unknown_resource",
            f"{text!r} is neither {what}{hint}",
            text=text,
            suggestions=close,
            confidence=confidence,
        )

    # ------------------------------------------------------------------ compatibility

    def compatibility(self, supply: str, need: str) -> Compatibility | None:
        """How ``supply`` substitutes ``need``; identity gives factor 1; None if unrelated."""
        s, n = self.get(supply).code, self.get(need).code
        if s == n:
            return _identity(s)
        return self._needs.get(s, {}).get(n)

    def compatible_needs(self, supply: str) -> dict[str, Compatibility]:
        """Every need ``supply`` can serve, itself included (factor 1)."""
        s = self.get(supply).code
        return {s: _identity(s), **self._needs.get(s, {})}

    def same_dimension(self, supply: str, need: str) -> bool:
        """True when both resources are counted in the same dimension (quantities comparable)."""
        return self.get(supply).dimension == self.get(need).dimension

    def max_distance_km(self) -> dict[str, float]:
        """Default maximum exchange distance of every resource."""
        return {code: r.max_distance_km for code, r in self._resources.items()}

    # ------------------------------------------------------------------ frames

    @property
    def resources(self) -> dict[str, Resource]:
        """Code -> :class:`Resource` (a copy)."""
        return dict(self._resources)

    @property
    def resources_frame(self) -> pd.DataFrame:
        """All resources, one row each (a copy)."""
        return self._resources_frame.copy()

    @property
    def compatibility_frame(self) -> pd.DataFrame:
        """Non-identity supply -> need pairs, the explicit ones then those derived from the
        hierarchy (a copy)."""
        return self._compatibility_frame.copy()

    @property
    def explicit_compatibility_frame(self) -> pd.DataFrame:
        """The pairs of the tables, each with its source (a copy)."""
        return self._explicit_compatibility.copy()

    def lineage(self, code: str) -> list[str]:
        """``code`` and its ancestors through ``parent``, nearest first."""
        return _lineage(self._resources, self.get(code).code)

    @property
    def families_frame(self) -> pd.DataFrame:
        """Families with labels, map colour and synergy type (a copy)."""
        return self._families_frame.copy()

    @property
    def ler_frame(self) -> pd.DataFrame:
        """The 842 LER codes with their resource and mapping rule (a copy)."""
        return self._ler_frame.copy()


# ---------------------------------------------------------------------- built-in tables


@functools.lru_cache(maxsize=1)
def _builtin() -> Catalogue:
    families = _read_builtin("families.csv").drop(columns=[ROW])
    resources = _read_builtin("resources.csv")
    compatibility = _read_builtin("compatibility.csv")
    ler = _read_builtin("ler.csv").drop(columns=[ROW])
    ler["hazardous"] = ler["hazardous"].str.lower().eq("true")
    family_types = dict(zip(families["code"], families["synergy_type"], strict=True))
    resources = _validate_resources(resources, "resources.csv", family_types, {})
    draft = Catalogue(resources, compatibility.iloc[0:0], families, ler)
    unknown = sorted(set(ler["resource"]) - set(resources["code"]))
    if unknown:
        raise EitError(
            "invalid_catalogue_table",
            f"ler.csv names unknown resources {unknown}",
            file="ler.csv",
            field="resource",
            value=unknown[0],
        )
    compatibility = _validate_compatibility(compatibility, "compatibility.csv", draft)
    return Catalogue(resources, compatibility, families, ler)


def _read_builtin(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8")
    frame[ROW] = np.arange(2, len(frame) + 2)
    return frame


# ---------------------------------------------------------------------- validation


class _Problems:
    """Collects the problems of a user table; raises them as one EitError."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[dict] = []

    def add(self, row, field: str, value, reason: str) -> None:
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
        self.items.append({"row": int(row), "field": field, "value": value, "reason": reason})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        more = f" (and {len(self.items) - 1} more problems)" if len(self.items) > 1 else ""
        raise EitError(
            "invalid_catalogue_table",
            f"{self.file}, row {first['row']}, field {first['field']}: {first['reason']}{more}",
            file=self.file,
            row=first["row"],
            field=first["field"],
            value=first["value"],
            reason=first["reason"],
            problems=self.items,
        )


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _validate_resources(
    frame: pd.DataFrame, file: str, family_types: dict[str, str], base: dict[str, Resource]
) -> pd.DataFrame:
    """Checked resources with canonical columns; ``base`` fills empty cells of overrides."""
    problems = _Problems(file)
    distances, bad_distance = (
        to_number(frame["max_distance_km"])
        if "max_distance_km" in frame
        else (np.full(len(frame), np.nan), np.zeros(len(frame), dtype=bool))
    )
    densities, bad_density = (
        to_number(frame["density_t_per_m3"])
        if "density_t_per_m3" in frame
        else (np.full(len(frame), np.nan), np.zeros(len(frame), dtype=bool))
    )
    records, seen, parents = [], {}, []
    for i, rec in enumerate(frame.to_dict("records")):
        row = rec.get(ROW, i + 2)
        raw_code = _text(rec.get("code"))
        code = _normalise_code(raw_code) if raw_code else ""
        if not code:
            problems.add(row, "code", rec.get("code"), "empty code")
            continue
        if not _CODE_RE.match(code) or not code.isascii():
            problems.add(
                row,
                "code",
                raw_code,
                "codes are upper-case ASCII letters, digits and "
                "underscores, starting with a letter (e.g. ORG_GREEN_WASTE)",
            )
            continue
        if code in seen:
            problems.add(row, "code", raw_code, f"duplicate code (first on row {seen[code]})")
            continue
        seen[code] = row
        old = base.get(code)

        def pick(field, rec=rec, old=old):
            value = _text(rec.get(field))
            if value:
                return value
            return _text(getattr(old, field, "")) if old is not None else ""

        out = {"code": code}
        out["label_fr"] = pick("label_fr")
        out["label_en"] = pick("label_en")
        if not out["label_fr"] and not out["label_en"]:
            problems.add(
                row, "label_fr", None, "a new resource needs a label (label_fr or " "label_en)"
            )
        out["label_fr"] = out["label_fr"] or out["label_en"]
        out["label_en"] = out["label_en"] or out["label_fr"]
        family = pick("family").lower()
        if family not in family_types:
            problems.add(
                row,
                "family",
                rec.get("family") or None,
                f"unknown family; families are {', '.join(family_types)}",
            )
        out["family"] = family
        synergy = pick("synergy_type").lower() or family_types.get(family, "")
        if synergy not in SYNERGY_TYPES:
            problems.add(
                row,
                "synergy_type",
                rec.get("synergy_type"),
                f"synergy type must be one of {', '.join(SYNERGY_TYPES)}",
            )
        out["synergy_type"] = synergy
        dimension = pick("dimension").lower()
        if dimension not in DIMENSION_UNITS:
            problems.add(
                row,
                "dimension",
                rec.get("dimension") or None,
                f"dimension must be one of {', '.join(DIMENSION_UNITS)}",
            )
        unit = _text(rec.get("default_unit"))
        if not unit and old is not None and old.dimension == dimension:
            unit = old.default_unit
        unit = unit or DIMENSION_UNITS.get(dimension, "")
        if dimension in DIMENSION_UNITS and unit != DIMENSION_UNITS[dimension]:
            problems.add(
                row,
                "default_unit",
                unit,
                f"the unit of dimension {dimension} is " f"{DIMENSION_UNITS[dimension]}",
            )
        out["dimension"], out["default_unit"] = dimension, unit
        distance = distances[i]
        if bad_distance[i] or (not np.isnan(distance) and not distance > 0):
            problems.add(
                row,
                "max_distance_km",
                rec.get("max_distance_km"),
                "the maximum distance must be a positive number of km",
            )
        elif np.isnan(distance):
            if old is None:
                problems.add(
                    row, "max_distance_km", None, "a new resource needs a maximum " "distance (km)"
                )
            else:
                distance = old.max_distance_km
        out["max_distance_km"] = float(distance)
        own_distance = _text(rec.get("distance_source"))
        if own_distance:
            out["distance_source"] = own_distance
        elif old is not None and not _text(rec.get("max_distance_km")):
            out["distance_source"] = old.distance_source
        else:
            out["distance_source"] = f"user table {file}"
        density = densities[i]
        if bad_density[i] or (not np.isnan(density) and not density > 0):
            problems.add(
                row,
                "density_t_per_m3",
                rec.get("density_t_per_m3"),
                "the density must be a positive number of t/m3",
            )
            density = np.nan
        own_density = _text(rec.get("density_source"))
        if np.isnan(density) and old is not None and old.density_t_per_m3 is not None:
            density, own_density = old.density_t_per_m3, own_density or old.density_source
        out["density_t_per_m3"] = None if np.isnan(density) else float(density)
        out["density_source"] = own_density or (
            f"user table {file}" if out["density_t_per_m3"] is not None else ""
        )
        out["source"] = pick("source") or f"user table {file}"
        parent = pick("parent")
        out["parent"] = _normalise_code(parent) if parent else ""
        if out["parent"] == code:
            problems.add(row, "parent", parent, "a resource cannot be its own parent")
        lhv = _text(rec.get("lhv_mwh_per_t"))
        value = _optional_float(lhv.replace(",", ".")) if lhv else None
        if lhv and (value is None or not value > 0):
            problems.add(
                row, "lhv_mwh_per_t", lhv, "the calorific value must be a positive number of MWh/t"
            )
            value = None
        own_lhv = _text(rec.get("lhv_source"))
        if value is None and old is not None and old.lhv_mwh_per_t is not None:
            value, own_lhv = old.lhv_mwh_per_t, own_lhv or old.lhv_source
        out["lhv_mwh_per_t"] = value
        out["lhv_source"] = own_lhv or (f"user table {file}" if value is not None else "")
        parents.append((row, code, out["parent"]))
        records.append(out)
    known = set(seen) | set(base)
    for row, _code, parent in parents:
        if parent and parent not in known:
            problems.add(row, "parent", parent, "unknown parent resource")
    problems.raise_if_any()
    columns = list(RESOURCE_FIELDS)
    result = pd.DataFrame.from_records(records, columns=columns)
    result["max_distance_km"] = result["max_distance_km"].astype(float)
    result["density_t_per_m3"] = result["density_t_per_m3"].astype(object)
    result["lhv_mwh_per_t"] = result["lhv_mwh_per_t"].astype(object)
    return result


def _validate_compatibility(frame: pd.DataFrame, file: str, catalogue: Catalogue) -> pd.DataFrame:
    """Checked pairs with canonical columns; both ends resolved through ``catalogue``."""
    problems = _Problems(file)
    factors, bad = (
        to_number(frame["factor"])
        if "factor" in frame
        else (np.full(len(frame), np.nan), np.zeros(len(frame), dtype=bool))
    )
    records, seen = [], {}
    for i, rec in enumerate(frame.to_dict("records")):
        row = rec.get(ROW, i + 2)
        ends = {}
        for field in ("supply_resource", "need_resource"):
            value = _text(rec.get(field))
            if not value:
                problems.add(row, field, None, "empty resource code")
                continue
            try:
                ends[field] = catalogue.resolve(value, words=False).resource.code
            except EitError as exc:
                close = exc.data.get("suggestions") or []
                hint = f"; closest codes: {', '.join(close)}" if close else ""
                problems.add(row, field, value, f"unknown resource{hint}")
        factor = factors[i]
        if bad[i] or np.isnan(factor) or not 0 <= factor <= 1:
            problems.add(row, "factor", rec.get("factor"), "the factor must be a number in [0, 1]")
        if len(ends) < 2:
            continue
        supply, need = ends["supply_resource"], ends["need_resource"]
        if supply == need:
            problems.add(
                row,
                "need_resource",
                rec.get("need_resource"),
                "a resource always substitutes itself (factor 1): no identity pairs",
            )
            continue
        if (supply, need) in seen:
            problems.add(
                row,
                "need_resource",
                rec.get("need_resource"),
                f"duplicate pair (first on row {seen[(supply, need)]})",
            )
            continue
        seen[(supply, need)] = row
        fr, en = _text(rec.get("explanation_fr")), _text(rec.get("explanation_en"))
        records.append(
            {
                "supply_resource": supply,
                "need_resource": need,
                "factor": float(factor),
                "explanation_fr": fr or en,
                "explanation_en": en or fr,
                "source": _text(rec.get("source")) or f"user table {file}",
            }
        )
    problems.raise_if_any()
    return pd.DataFrame.from_records(records, columns=list(COMPATIBILITY_FIELDS))


def _read_user(source, spec, required, default_name: str) -> tuple[pd.DataFrame, str]:
    """A user table with canonical column names (and ``row``), and its file name."""
    frame = read_table(source)
    file = frame.attrs.get("source") or default_name
    if isinstance(source, pd.DataFrame) and file == "table":
        file = default_name
    rejects = frame.attrs.get(READ_REJECTED)
    if rejects:  # a catalogue is used whole or not at all: a broken line is an error
        problems = _Problems(file)
        for row, code, reason, field in zip(
            rejects.rows, rejects.codes, rejects.reasons, rejects.fields, strict=True
        ):
            problems.add(row, field or code, None, reason)
        problems.raise_if_any()
    mapping = match_columns(list(frame.columns), spec, required=required, file=file)
    out = pd.DataFrame({field: frame[column] for field, column in mapping.items()})
    out[ROW] = frame[ROW].to_numpy()
    return out, file


def _merge_resources(base: Catalogue, source, families: pd.DataFrame) -> pd.DataFrame:
    user, file = _read_user(source, RESOURCE_FIELDS, ("code",), "resources table")
    family_types = dict(zip(families["code"], families["synergy_type"], strict=True))
    checked = _validate_resources(user, file, family_types, base._resources)
    kept = base._resources_frame[~base._resources_frame["code"].isin(checked["code"])]
    return pd.concat([kept, checked], ignore_index=True)


def _merge_families(base: Catalogue, source) -> pd.DataFrame:
    user, file = _read_user(source, FAMILY_FIELDS, ("code",), "families table")
    problems = _Problems(file)
    builtin = base._families_frame.set_index("code", drop=False)
    records, seen = [], {}
    for i, rec in enumerate(user.to_dict("records")):
        row = rec.get(ROW, i + 2)
        raw = _text(rec.get("code"))
        code = re.sub(r"[\s\-]+", "_", raw.lower())
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code or "-"):
            problems.add(
                row,
                "code",
                raw or None,
                "family codes are lower-case ASCII letters, "
                "digits and underscores, starting with a letter (e.g. other_waste)",
            )
            continue
        if code in seen:
            problems.add(row, "code", raw, f"duplicate code (first on row {seen[code]})")
            continue
        seen[code] = row
        old = builtin.loc[code].to_dict() if code in builtin.index else {}
        out = dict(old) if old else {column: "" for column in base._families_frame.columns}
        out["code"] = code
        for field in ("label_fr", "label_en", "colour", "synergy_type", "source"):
            value = _text(rec.get(field))
            if value:
                out[field] = value
        out["label_fr"] = out["label_fr"] or out["label_en"]
        out["label_en"] = out["label_en"] or out["label_fr"]
        if not out["label_fr"]:
            problems.add(row, "label_fr", None, "a new family needs a label")
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", out["colour"]):
            problems.add(row, "colour", rec.get("colour"), "the colour must be #RRGGBB")
        out["synergy_type"] = out["synergy_type"].lower()
        if out["synergy_type"] not in SYNERGY_TYPES:
            problems.add(
                row,
                "synergy_type",
                rec.get("synergy_type"),
                f"synergy type must be one of {', '.join(SYNERGY_TYPES)}",
            )
        out["source"] = out.get("source") or f"user table {file}"
        records.append(out)
    problems.raise_if_any()
    checked = pd.DataFrame.from_records(records, columns=list(base._families_frame.columns))
    kept = base._families_frame[~base._families_frame["code"].isin(checked["code"])]
    return pd.concat([kept, checked], ignore_index=True).fillna("")


def _merge_compatibility(catalogue: Catalogue, builtin: pd.DataFrame, source) -> pd.DataFrame:
    user, file = _read_user(
        source,
        COMPATIBILITY_FIELDS,
        ("supply_resource", "need_resource", "factor"),
        "compatibility table",
    )
    checked = _validate_compatibility(user, file, catalogue)
    key = builtin["supply_resource"] + "\x1f" + builtin["need_resource"]
    new_key = checked["supply_resource"] + "\x1f" + checked["need_resource"]
    kept = builtin[~key.isin(new_key)]
    return pd.concat([kept, checked], ignore_index=True)
