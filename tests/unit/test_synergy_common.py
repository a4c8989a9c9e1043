import numpy as np
import pandas as pd
import pytest
from eit_synergies.core.errors import EitError
from eit_synergies.core.synergy._common import (
    ALL_YEAR,
    MONTH_COUNT,
    metric_crs_of,
    months_mask,
    months_masks,
    to_bool,
)


def months_of(mask):
    return [m for m in range(1, 13) if mask & (1 << (m - 1))]


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("3-10", [3, 4, 5, 6, 7, 8, 9, 10]),
        ("11-2", [1, 2, 11, 12]),
        ("1,2,6", [1, 2, 6]),
        ("1-3; 7", [1, 2, 3, 7]),
        ("12", [12]),
        (6.0, [6]),
    ],
)
def test_months_mask_reads_ranges_wrapping_and_lists(text, months):
    assert months_of(months_mask(text)) == months


@pytest.mark.parametrize("text", ["", None, float("nan"), "  "])
def test_empty_months_mean_all_year(text):
    assert months_mask(text) == ALL_YEAR


@pytest.mark.parametrize("text", ["13", "0-3", "bientôt", "3-", "1,,x"])
def test_unreadable_months_are_none(text):
    assert months_mask(text) is None


def test_month_names_are_read_like_the_flow_tables():
    assert months_of(months_mask("mars")) == [3]
    assert months_of(months_mask("mars-mai")) == [3, 4, 5]


def test_months_masks_vectorised_flags_unreadable():
    mask, known = months_masks(pd.Series(["3-10", None, "abc", "3-10"]))
    assert known.tolist() == [True, True, False, True]
    assert MONTH_COUNT[mask].tolist() == [8, 12, 12, 8]


def test_to_bool_reads_french_and_numbers():
    values = pd.Series(["oui", "non", 1, 0.0, None, True, "X", "false"])
    assert to_bool(values).tolist() == [True, False, True, False, False, True, True, False]


def test_metric_crs_must_be_projected_in_metres():
    assert metric_crs_of("EPSG:2154").to_epsg() == 2154
    with pytest.raises(EitError) as err:
        metric_crs_of("EPSG:4326")
    assert err.value.code == "metric_crs_not_projected"
    with pytest.raises(EitError) as err:
        metric_crs_of("not a crs")
    assert err.value.code == "invalid_crs"
    assert np.all(MONTH_COUNT[[0, ALL_YEAR]] == [0, 12])
