"""Placement of actors at their commune's centroid (INSEE code, postcode + name, name).

The default table is ``data/reference/communes_58_cclnb.csv`` (the 309 communes of the
Nièvre and La Chapelle-Montlinard, Cher). A user working elsewhere passes their own table:
any CSV or frame with an INSEE code, a name, postcodes (``;``-separated when several) and a
WGS84 centroid, under French or English column names.

A postcode may cover several communes (58400: La Charité-sur-Loire, Narcy, Raveau...):
the name then decides by fuzzy match; without a usable name the row is reported as
ambiguous with its candidates, never placed at random.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process

from ..errors import EitError
from ..progress import check_canceled
from .ban_index import RESULT_COLUMNS, GeocodeResult
from .normalize import commune_key, normalize_insee, normalize_postcode, normalize_text

DEFAULT_COMMUNES = (
    Path(__file__).resolve().parents[2] / "data" / "reference" / "communes_58_cclnb.csv"
)
#: Column names accepted for each field (compared normalised).
ALIASES = {
    "insee": ("code_insee", "insee", "citycode", "code_commune", "codgeo", "com", "code"),
    "name": ("nom", "name", "commune", "nom_commune", "libelle", "city"),
    "postcodes": ("codes_postaux", "postcodes", "code_postal", "postcode", "cp"),
    "lon": ("centroide_lon", "lon", "longitude", "lng", "x_wgs84"),
    "lat": ("centroide_lat", "lat", "latitude", "y_wgs84"),
    "departement": ("departement", "dep", "code_departement", "dept"),
}
NAME_CUTOFF = 85.0
#: Score of a placement from a postcode that covers a single commune, without a name.
POSTCODE_ONLY_SCORE = 0.9


@dataclass
class CommunePlacement(GeocodeResult):
    """A :class:`GeocodeResult` at municipality precision, with the candidates if ambiguous."""

    candidates: list[str] = field(default_factory=list)


def _norm_col(name) -> str:
    return normalize_text(name).replace(" ", "_")


def _similarity(query: str, key: str) -> float:
    return max(fuzz.ratio(query, key), 0.92 * fuzz.token_set_ratio(query, key))


class CommuneTable:
    """Communes with INSEE code, name, postcodes and centroid."""

    def __init__(self, frame: pd.DataFrame, source: str = ""):
        self.source = source
        self.frame = self._standardise(frame, source)
        f = self.frame
        self.insee = f["insee"].tolist()
        self.names = f["name"].tolist()
        self.keys = [commune_key(n) for n in self.names]
        self.lon = f["lon"].tolist()
        self.lat = f["lat"].tolist()
        self.dep = f["departement"].tolist()
        self.postcodes = f["postcodes"].tolist()
        self.by_insee = {code: i for i, code in enumerate(self.insee)}
        self.by_postcode: dict[str, list[int]] = {}
        for i, pcs in enumerate(self.postcodes):
            for pc in pcs:
                self.by_postcode.setdefault(pc, []).append(i)
        self.by_key: dict[str, list[int]] = {}
        for i, key in enumerate(self.keys):
            self.by_key.setdefault(key, []).append(i)

    @classmethod
    def from_file(cls, path: str | os.PathLike | None = None) -> CommuneTable:
        """Read a communes CSV (``,`` or ``;``); default: the bundled Nièvre table."""
        path = Path(path) if path else DEFAULT_COMMUNES
        if not path.is_file():
            raise EitError("communes_file_missing", f"communes table not found: {path}")
        with path.open("r", encoding="utf-8-sig", errors="replace") as f:
            first = f.readline()
        sep = ";" if first.count(";") > first.count(",") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return cls(frame, str(path))

    @staticmethod
    def _standardise(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        cols = {_norm_col(c): c for c in frame.columns}
        pick = {}
        for target, names in ALIASES.items():
            for name in names:
                if name in cols:
                    pick[target] = cols[name]
                    break
        missing = [t for t in ("insee", "name", "lon", "lat") if t not in pick]
        if missing:
            raise EitError(
                "communes_missing_column",
                f"communes table lacks {', '.join(missing)}",
                file=source,
                missing=missing,
                columns=[str(c) for c in frame.columns],
            )
        out = pd.DataFrame(
            {
                "insee": frame[pick["insee"]].map(normalize_insee),
                "name": frame[pick["name"]].astype(str).str.strip(),
                "lon": pd.to_numeric(
                    frame[pick["lon"]].astype(str).str.replace(",", "."), "coerce"
                ),
                "lat": pd.to_numeric(
                    frame[pick["lat"]].astype(str).str.replace(",", "."), "coerce"
                ),
            }
        )
        if "postcodes" in pick:
            raw = frame[pick["postcodes"]].astype(str)
            out["postcodes"] = [
                [pc for pc in (normalize_postcode(p) for p in v.replace(",", ";").split(";")) if pc]
                for v in raw
            ]
        else:
            out["postcodes"] = [[] for _ in range(len(out))]
        if "departement" in pick:
            out["departement"] = frame[pick["departement"]].astype(str).str.strip().str.upper()
        else:
            out["departement"] = [
                c[:3] if c.startswith("97") else c[:2] for c in out["insee"].tolist()
            ]
        out["departement"] = [d.zfill(2) if d.isdigit() else d for d in out["departement"]]
        ok = (out["insee"] != "") & out["lon"].notna() & out["lat"].notna()
        return out[ok].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.insee)

    # -- placement ---------------------------------------------------------------------

    def _placed(self, i: int, score: float, reason: str, postcode: str = "") -> CommunePlacement:
        pcs = self.postcodes[i]
        return CommunePlacement(
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            score=round(min(max(score, 0.0), 1.0), 4),
            precision="municipality",
            label=self.names[i],
            status="approximate",
            reason=reason,
            citycode=self.insee[i],
            postcode=postcode if postcode in pcs else (pcs[0] if pcs else ""),
        )

    def _ambiguous(self, idx: list[int], why: str) -> CommunePlacement:
        cands = [
            f"{self.insee[i]} {self.names[i]}" for i in sorted(idx, key=self.insee.__getitem__)
        ]
        return CommunePlacement(reason=f"{why}: {', '.join(cands)}", candidates=cands)

    def _by_name(self, key: str, pool: list[int] | None, departement: str):
        """Indices of the best-matching names in ``pool`` (all when None) and their score."""
        if pool is None:
            pool = list(range(len(self.insee)))
            if departement:
                pool = [i for i in pool if self.dep[i] == departement] or pool
        members = set(pool)
        exact = [i for i in self.by_key.get(key, []) if i in members]
        if exact:
            return exact, 100.0
        choices = [self.keys[i] for i in pool]
        if len(pool) <= 50:
            sims = [_similarity(key, c) for c in choices]
        else:
            hits = process.extract(key, choices, scorer=fuzz.ratio, limit=5, score_cutoff=70)
            if not hits or hits[0][1] < NAME_CUTOFF:
                # "varennes": every name holding all the words ("varennes vauzelles"...).
                subset = process.extract(
                    key, choices, scorer=fuzz.token_set_ratio, limit=20, score_cutoff=100
                )
                hits = [(c, 92.0, j) for c, _s, j in subset] or hits
            sims = [0.0] * len(pool)
            for _c, sim, j in hits:
                sims[j] = sim
        top = max(sims, default=0.0)
        if top < NAME_CUTOFF:
            return [], top
        return [pool[j] for j, s in enumerate(sims) if s >= top - 0.5], top

    def place(self, insee=None, postcode=None, name=None, departement=None) -> CommunePlacement:
        """Place one actor at its commune; see the module docstring for the rules."""
        note = ""
        code = normalize_insee(insee)
        if code:
            i = self.by_insee.get(code)
            if i is not None:
                return self._placed(i, 1.0, "placed at the commune (INSEE code)")
            note = f"INSEE code {code} not in the communes table; "
        pc = normalize_postcode(postcode)
        key = commune_key(name)
        dep = str(departement or "").strip().upper()
        dep = dep.zfill(2) if dep.isdigit() else dep
        pool = self.by_postcode.get(pc) if pc else None
        if pc and not pool:
            note += f"postcode {pc} not in the communes table; "
        if pool:
            if key:
                idx, sim = self._by_name(key, pool, "")
                if len(idx) == 1:
                    return self._placed(
                        idx[0], sim / 100, note + "placed at the commune (postcode and name)", pc
                    )
                if len(idx) > 1:
                    return self._ambiguous(idx, note + f"name '{name}' fits several communes")
            elif len(pool) == 1:
                return self._placed(
                    pool[0], POSTCODE_ONLY_SCORE, note + "placed at the commune (postcode)", pc
                )
            else:
                return self._ambiguous(pool, note + f"postcode {pc} covers several communes")
        if key:
            idx, sim = self._by_name(key, None, dep or (pc[:2] if pc else ""))
            if len(idx) == 1:
                why = "placed at the commune (name)"
                if pool:
                    why = f"postcode {pc} does not match '{name}'; " + why
                return self._placed(idx[0], sim / 100 * (0.95 if pc else 1.0), note + why)
            if len(idx) > 1:
                return self._ambiguous(idx, note + f"name '{name}' fits several communes")
            if pool:
                return self._ambiguous(
                    pool, note + f"commune '{name}' not found; postcode {pc} covers"
                )
            return CommunePlacement(reason=note + f"commune '{name}' not found")
        return CommunePlacement(
            reason=note + "no INSEE code, postcode or commune name to place the actor"
        )

    def place_many(
        self,
        frame: pd.DataFrame,
        progress=None,
        insee: str | None = "citycode",
        postcode: str | None = "postcode",
        name: str | None = "city",
        departement: str | None = None,
    ) -> pd.DataFrame:
        """Place every row; same index, :data:`RESULT_COLUMNS` plus ``candidates``."""
        n = len(frame)

        def col(c):
            return frame[c].tolist() if c and c in frame.columns else [None] * n

        i_col, p_col, n_col = col(insee), col(postcode), col(name)
        memo: dict[tuple, CommunePlacement] = {}
        rows = []
        for k in range(n):
            if k % 1000 == 0:
                check_canceled(progress)
                if progress is not None:
                    progress.report(k / max(n, 1))
            args = (i_col[k], p_col[k], n_col[k])
            key = tuple("" if v is None or v != v else str(v) for v in args)
            res = memo.get(key)
            if res is None:
                res = memo[key] = self.place(*args, departement=departement)
            d = asdict(res)
            d["candidates"] = "; ".join(d["candidates"])
            rows.append(d)
        cols = [*RESULT_COLUMNS, "candidates"]
        out = pd.DataFrame(rows, columns=cols, index=frame.index)
        if progress is not None:
            progress.report(1.0)
        return out


def load_communes(path: str | os.PathLike | None = None) -> CommuneTable:
    """The communes table at ``path`` (default: the bundled Nièvre + CCLNB table)."""
    return CommuneTable.from_file(path)
