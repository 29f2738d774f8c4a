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
    ICC_FORMS,
    icc_average,
    icc_forms,
    icc_oneway,
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


def test_icc_forms_shrout_fleiss() -> None:
    # Shrout and Fleiss (1979), table 3, the ANOVA of table 2 (n = 6 targets, k = 4 judges):
    #   grand mean 5.2917 (127 / 24); target means 6, 3, 6.5, 4, 7.5, 4.75;
    #   judge means 7.6667, 2.5, 4.3333, 6.6667.
    #   SS targets 4 * sum (target mean - grand)^2 = 56.21, df 5, BMS = 11.24
    #   SS judges 6 * sum (judge mean - grand)^2 = 97.46, df 3, JMS = 32.49
    #   SS total 168.96; within targets 168.96 - 56.21 = 112.75, df 18, WMS = 6.26
    #   residual 112.75 - 97.46 = 15.29, df 15, EMS = 1.02
    # Table 4:
    #   ICC(1,1) = (11.24 - 6.26) / (11.24 + 3 * 6.26)                    = 0.17
    #   ICC(1,4) = (11.24 - 6.26) / 11.24                                 = 0.44
    #   ICC(2,1) = (11.24 - 1.02) / (11.24 + 3 * 1.02 + 4 (32.49 - 1.02) / 6) = 0.29
    #   ICC(2,4) = (11.24 - 1.02) / (11.24 + (32.49 - 1.02) / 6)          = 0.62
    #   ICC(3,1) = (11.24 - 1.02) / (11.24 + 3 * 1.02)                    = 0.71
    #   ICC(3,4) = (11.24 - 1.02) / 11.24                                 = 0.91
    published = {
        col.ICC_1_1: 0.17,
        col.ICC_1_K: 0.44,
        col.ICC_2_1: 0.29,
        col.ICC_2_K: 0.62,
        col.ICC_3_1: 0.71,
        col.ICC_3_K: 0.91,
    }
    forms = icc_forms(SHROUT_FLEISS)
    assert list(forms) == list(ICC_FORMS) == list(published)
    for name, value in published.items():
        assert forms[name] == pytest.approx(value, abs=0.005), ICC_FORMS[name]
    # The same numbers from the rounded mean squares of table 3, as printed there.
    bms, wms, jms, ems, n, k = 11.24, 6.26, 32.49, 1.02, 6, 4
    assert forms[col.ICC_2_1] == pytest.approx(
        (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n), abs=0.002
    )
    assert forms[col.ICC_1_1] == pytest.approx((bms - wms) / (bms + (k - 1) * wms), abs=0.002)
    # The one-way forms from the long marks agree with the matrix ones.
    targets = np.repeat(np.arange(6), 4)
    single, average, panel = icc_oneway(SHROUT_FLEISS.ravel(), targets)
    assert (single, average, panel) == pytest.approx((forms[col.ICC_1_1], forms[col.ICC_1_K], 4))


def test_reliability_table_reports_every_form_of_a_complete_design() -> None:
    frame = _frame(
        SHROUT_FLEISS.ravel(), np.repeat(np.arange(6), 4), np.tile(np.arange(4), 6), "pitch"
    )
    row = reliability_table(frame).iloc[0]
    expected = icc_forms(SHROUT_FLEISS)
    assert row[col.COMPLETE] and row[col.PANEL_SIZE] == 4.0
    for name in ICC_FORMS:
        assert row[name] == pytest.approx(expected[name]), name
    # icc_k keeps its meaning: the form named by icc_form.
    assert row[col.ICC_FORM] == "ICC(2,k)" and row[col.ICC_K] == row[col.ICC_2_K]


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
    assert icc_oneway(values, np.array(list("AABBBC"))) == pytest.approx((single, expected, k))


def test_incomplete_design_reports_the_one_way_forms_only() -> None:
    # Criterion "pitch", three jurors, three targets, J3 did not mark B and C:
    #   A: J1 2, J2 4, J3 6 (mean 4);  B: J1 5, J2 7 (mean 6);  C: J1 8, J2 9 (mean 8.5).
    # N = 7, T = 3, grand mean 41/7. MSW = (8 + 2 + 0.5) / (7 - 3) = 2.625.
    # MSB = (3 (4 - 41/7)^2 + 2 (6 - 41/7)^2 + 2 (8.5 - 41/7)^2) / 2 = (341/14) / 2 = 12.1786;
    # k0 = (7 - (9 + 4 + 4) / 7) / 2 = 16/7;
    # ICC(1,1) = (MSB - MSW) / (MSB + (k0 - 1) MSW) = 9.5536 / 15.5536 = 0.6142;
    # k = harmonic mean of 3, 2, 2 = 3 / (1/3 + 1/2 + 1/2) = 9/4 (the arithmetic mean, 7/3,
    # would give 0.7879 instead);
    # ICC(1,k) = k ICC(1,1) / (1 + (k - 1) ICC(1,1)) = 1.3820 / 1.7678 = 0.7818.
    grand = 41 / 7
    msb = (3 * (4 - grand) ** 2 + 2 * (6 - grand) ** 2 + 2 * (8.5 - grand) ** 2) / 2
    msw = 10.5 / 4
    single = (msb - msw) / (msb + (16 / 7 - 1) * msw)
    k = 9 / 4
    average = k * single / (1 + (k - 1) * single)
    assert (round(msb, 4), round(single, 4), round(average, 4)) == (12.1786, 0.6142, 0.7818)
    marks = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J3", "J1", "J2", "J1", "J2"],
            col.TARGET_ID: ["A", "A", "A", "B", "B", "C", "C"],
            col.CRITERION: "pitch",
            col.SCORE: [2.0, 4, 6, 5, 7, 8, 9],
        }
    )
    row = reliability_table(marks).iloc[0]
    assert not row[col.COMPLETE] and row[col.ICC_FORM] == "ICC(1,k)"
    assert row[col.PANEL_SIZE] == pytest.approx(k)
    assert row[col.ICC_1_1] == pytest.approx(single)
    assert row[col.ICC_1_K] == pytest.approx(average) and row[col.ICC_K] == row[col.ICC_1_K]
    for name in (col.ICC_2_1, col.ICC_2_K, col.ICC_3_1, col.ICC_3_K):
        assert math.isnan(row[name]), name


@given(st.lists(st.lists(st.integers(1, 10), min_size=3, max_size=3), min_size=3, max_size=6))
def test_panel_forms_are_the_step_up_of_single_forms(matrix: list[list[int]]) -> None:
    # On a complete design each ,k form is the Spearman-Brown step-up of its ,1 form to the
    # k = 3 jurors: k r / (1 + (k - 1) r), for all three models.
    forms = icc_forms(np.array(matrix, dtype=float))
    k = 3
    pairs = ((col.ICC_1_1, col.ICC_1_K), (col.ICC_2_1, col.ICC_2_K), (col.ICC_3_1, col.ICC_3_K))
    for single, average in pairs:
        if math.isnan(forms[single]) or math.isnan(forms[average]):
            continue
        if 1 + (k - 1) * forms[single] > 1e-6:
            stepped = k * forms[single] / (1 + (k - 1) * forms[single])
            assert forms[average] == pytest.approx(stepped, rel=1e-7, abs=1e-7)


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
