"""Reliability statistics against published values and brute-force definitions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import columns as col
from scoring.diagnostics.reliability import (
    icc_average,
    icc_oneway_average,
    krippendorff_alpha_interval,
    reliability_table,
)

# Shrout and Fleiss (1979), "Intraclass correlations: uses in assessing rater reliability",
# table 2 (six targets, four judges); table 4 gives ICC(2,4) = .62 and ICC(1,4) = .44.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four
# observers, twelve units, with missing values; interval alpha = 0.849.
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _long(matrix: list[list[float | None]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows are raters, columns units: return values, units, raters of the present cells."""
    cells = [(v, u, r) for r, row in enumerate(matrix) for u, v in enumerate(row) if v is not None]
    values, units, raters = (np.array(x) for x in zip(*cells, strict=True))
    return values.astype(float), units, raters


def test_icc_average_shrout_fleiss() -> None:
    assert icc_average(SHROUT_FLEISS) == pytest.approx(0.62, abs=0.005)


def test_icc_oneway_balanced_is_icc_1k() -> None:
    targets = np.repeat(np.arange(6), 4)
    assert icc_oneway_average(SHROUT_FLEISS.ravel(), targets) == pytest.approx(0.44, abs=0.005)


def test_icc_oneway_unbalanced_hand_checked() -> None:
    # A: 1, 3   B: 4, 6, 8   C: 9.  N = 6, T = 3, sizes 2, 3, 1, grand mean 31/6.
    # MSB = (2 (2 - 31/6)^2 + 3 (6 - 31/6)^2 + (9 - 31/6)^2) / 2; MSW = (2 + 8) / 3.
    # k0 = (6 - (4 + 9 + 1) / 6) / 2 = 11/6; ICC1 = (MSB - MSW) / (MSB + (k0 - 1) MSW);
    # k = 3 / (1/2 + 1/3 + 1) = 18/11; result k ICC1 / (1 + (k - 1) ICC1) = 0.8015...
    grand = 31 / 6
    msb = (2 * (2 - grand) ** 2 + 3 * (6 - grand) ** 2 + (9 - grand) ** 2) / 2
    msw = 10 / 3
    single = (msb - msw) / (msb + (11 / 6 - 1) * msw)
    k = 18 / 11
    expected = k * single / (1 + (k - 1) * single)
    values = np.array([1.0, 3, 4, 6, 8, 9])
    assert icc_oneway_average(values, np.array(list("AABBBC"))) == pytest.approx(expected)
    assert expected == pytest.approx(0.8015, abs=1e-4)


def test_icc_undefined_cases() -> None:
    assert math.isnan(icc_average(np.ones((1, 3))))
    assert math.isnan(icc_average(np.full((3, 3), 5.0)))
    assert math.isnan(icc_oneway_average(np.array([1.0, 2.0]), np.array([0, 1])))
    # Two targets with identical means: MSB = 0, so (MSB - MSW) / MSB is not defined.
    same = np.array([1.0, 2.0, 1.0, 2.0])
    assert math.isnan(icc_oneway_average(same, np.array([0, 0, 1, 1])))
    with pytest.raises(ValueError, match="complete"):
        icc_average(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_krippendorff_published_example() -> None:
    values, units, _ = _long(KRIPPENDORFF)  # type: ignore[arg-type]
    assert krippendorff_alpha_interval(values, units) == pytest.approx(0.849, abs=0.0005)


def _alpha_by_pairs(values: np.ndarray, units: np.ndarray) -> float:
    """Krippendorff's definition, pair by pair: 1 - D_o / D_e with squared differences."""
    by_unit: dict[object, list[float]] = {}
    for v, u in zip(values, units, strict=True):
        by_unit.setdefault(u, []).append(float(v))
    pairable = {u: vs for u, vs in by_unit.items() if len(vs) >= 2}
    pooled = [v for vs in pairable.values() for v in vs]
    n = len(pooled)
    observed = (
        sum(
            (a - b) ** 2 / (len(vs) - 1)
            for vs in pairable.values()
            for a, b in itertools.permutations(vs, 2)
        )
        / n
    )
    expected = sum((a - b) ** 2 for a, b in itertools.permutations(pooled, 2)) / (n * (n - 1))
    return 1 - observed / expected


@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 7)), min_size=5, max_size=5),
        min_size=2,
        max_size=4,
    )
)
def test_krippendorff_matches_the_pairwise_definition(matrix: list[list[int | None]]) -> None:
    cells = [(v, u) for row in matrix for u, v in enumerate(row) if v is not None]
    values = np.array([float(v) for v, _ in cells])
    units = np.array([u for _, u in cells])
    counts = np.bincount(units, minlength=5) if len(units) else np.zeros(5, dtype=int)
    pooled = values[counts[units] >= 2] if len(units) else values
    alpha = krippendorff_alpha_interval(values, units)
    if len(pooled) < 2 or np.ptp(pooled) == 0:
        assert math.isnan(alpha)
    else:
        assert alpha == pytest.approx(_alpha_by_pairs(values, units), abs=1e-9)


def test_krippendorff_perfect_agreement_and_degenerate_cases() -> None:
    assert krippendorff_alpha_interval(np.array([1.0, 1, 4, 4]), np.array([0, 0, 1, 1])) == 1.0
    assert math.isnan(krippendorff_alpha_interval(np.array([2.0, 2.0]), np.array([0, 0])))
    assert math.isnan(krippendorff_alpha_interval(np.array([2.0, 3.0]), np.array([0, 1])))


def _frame(values: np.ndarray, units: np.ndarray, raters: np.ndarray, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.JUROR_ID: [f"J{r}" for r in raters],
            col.TARGET_ID: [f"T{u:02d}" for u in units],
            col.CRITERION: name,
            col.SCORE: values,
        }
    )


def test_reliability_table_complete_and_incomplete() -> None:
    complete = _frame(
        SHROUT_FLEISS.ravel(), np.repeat(np.arange(6), 4), np.tile(np.arange(4), 6), "b"
    )
    values, units, raters = _long(KRIPPENDORFF)  # type: ignore[arg-type]
    incomplete = _frame(values, units, raters, "a")
    table = reliability_table(pd.concat([complete, incomplete]))
    assert tuple(table.columns) == col.RELIABILITY_COLUMNS
    assert table[col.CRITERION].tolist() == ["a", "b"]
    a, b = table.iloc[0], table.iloc[1]
    assert not a[col.COMPLETE] and a[col.ICC_FORM] == "ICC(1,k)"
    assert a[col.ALPHA] == pytest.approx(0.849, abs=0.0005)
    assert a[col.ICC_K] == pytest.approx(icc_oneway_average(values, units))
    assert (a[col.N_TARGETS], a[col.N_JURORS], a[col.N_MARKS]) == (12, 4, len(values))
    assert b[col.COMPLETE] and b[col.ICC_FORM] == "ICC(2,k)"
    assert b[col.ICC_K] == pytest.approx(icc_average(SHROUT_FLEISS))
    assert (b[col.N_TARGETS], b[col.N_JURORS], b[col.N_MARKS]) == (6, 4, 24)


def test_reliability_table_empty() -> None:
    empty = reliability_table(
        pd.DataFrame(columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE])
    )
    assert empty.empty and tuple(empty.columns) == col.RELIABILITY_COLUMNS
