"""Score of a synergy candidate: four visible parts and their weighted mean.

Every part is in [0, 1]:

- ``score_compat``   = the compatibility factor of the (supply, need) resource pair
  (1 for the same resource on both sides);
- ``score_coverage`` = ``coverage`` = matched quantity / need quantity; null when a quantity is
  unknown or the two flows are in different normalised units;
- ``score_distance`` = ``1 - distance_km / max_distance_km`` (linear decay: 1 for actors at the
  same place, 0 at the distance limit; road distance when it was computed);
- ``score_season``   = months when both flows are available / months of the need
  (1 when either calendar is unknown or unreadable; an empty calendar means all year).

``score = 0.30 compat + 0.25 coverage + 0.30 distance + 0.15 season``; an unknown coverage
counts as the neutral 0.5 in the score (the part itself stays null, so it shows as unknown).
"""

from __future__ import annotations

import numpy as np

#: Weights of the score parts (they sum to 1).
SCORE_WEIGHTS = {"compat": 0.30, "coverage": 0.25, "distance": 0.30, "season": 0.15}
#: Value used in the score for an unknown coverage.
UNKNOWN_COVERAGE_SCORE = 0.5


def distance_score(distance_km: np.ndarray, limit_km: np.ndarray) -> np.ndarray:
    """``1 - d / limit`` clipped to [0, 1] (1 when the limit is 0 and the distance too)."""
    d = np.asarray(distance_km, dtype=float)
    lim = np.asarray(limit_km, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(lim > 0, 1.0 - d / lim, np.where(d <= 0, 1.0, 0.0))
    return np.clip(s, 0.0, 1.0)


def combine_score(compat, coverage, distance, season) -> np.ndarray:
    """Weighted mean of the four parts (unknown coverage counted as 0.5), rounded to 1e-4."""
    cov = np.asarray(coverage, dtype=float)
    cov = np.where(np.isnan(cov), UNKNOWN_COVERAGE_SCORE, cov)
    w = SCORE_WEIGHTS
    score = (
        w["compat"] * np.asarray(compat, dtype=float)
        + w["coverage"] * cov
        + w["distance"] * np.asarray(distance, dtype=float)
        + w["season"] * np.asarray(season, dtype=float)
    )
    return np.round(np.clip(score, 0.0, 1.0), 4)
