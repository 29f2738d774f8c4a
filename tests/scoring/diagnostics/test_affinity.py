"""Affinity audit: hand-checked effect, planted bias, permutation p-values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.config import CriterionConfig
from scoring.diagnostics.affinity import ALL_JURORS, _permutation_p, affinity_audit

TEN = CriterionConfig(name="pitch", weight=1, min=0, max=10)


def _marks(rows: list[tuple[str, str, float]], criterion: str = "pitch") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.SCORE])
    return frame.assign(**{col.CRITERION: criterion})


def _candidates(countries: dict[str, str | None], projects: dict[str, str] | None = None):
    ids = list(countries)
    return pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.GROUP: "G",
            col.PROJECT: [(projects or {}).get(i, pd.NA) for i in ids],
            "country": [countries[i] if countries[i] is not None else pd.NA for i in ids],
        }
    )


def _jurors(countries: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.JUROR_ID: list(countries),
            "country": [c if c is not None else pd.NA for c in countries.values()],
        }
    )


def test_hand_checked_effect() -> None:
    # Target A (Peru): J1 9, J2 6, J3 6. Target B (Chad): J1 5, J2 8, J3 5. Scale 0..10.
    # Deviation from the others' mean, in tenths of the scale:
    #   A: J1 (9 - 6) / 10 = .3, J2 (6 - 7.5) / 10 = -.15, J3 -.15
    #   B: J1 (5 - 6.5) / 10 = -.15, J2 (8 - 5) / 10 = .3, J3 -.15
    # Generosity: J1 (.3 - .15) / 2 = .075, J2 .075, J3 -.15. Adjusted:
    #   J1: A .225 (shared, Peru), B -.225;  J2: A -.225, B .225 (shared, Chad);  J3: 0, 0.
    # J1 effect .225 - (-.225) = .45, J2 .45, J3 shares nothing. Overall: shared mean .225,
    # other mean (-.225 - .225 + 0 + 0) / 4 = -.1125, effect .3375.
    marks = _marks(
        [
            ("J1", "A", 9),
            ("J2", "A", 6),
            ("J3", "A", 6),
            ("J1", "B", 5),
            ("J2", "B", 8),
            ("J3", "B", 5),
        ]
    )
    audit = affinity_audit(
        marks,
        _candidates({"A": "Peru", "B": "Chad"}),
        _jurors({"J1": "Peru", "J2": "chad ", "J3": "Laos"}),
        attributes=["country"],
        criteria=[TEN],
    )
    frame = audit.frame
    assert tuple(frame.columns) == col.AFFINITY_COLUMNS
    assert frame[col.JUROR_ID].tolist() == [ALL_JURORS, "J1", "J2", "J3"]
    assert frame[col.N_SHARED].tolist() == [2, 1, 1, 0]
    assert frame[col.N_OTHER].tolist() == [4, 1, 1, 2]
    assert frame[col.EFFECT].iloc[:3].tolist() == pytest.approx([0.3375, 0.45, 0.45])
    assert frame[col.MEAN_SHARED].iloc[0] == pytest.approx(0.225)
    assert frame[col.MEAN_OTHER].iloc[0] == pytest.approx(-0.1125)
    assert math.isnan(frame[col.EFFECT].iloc[3]) and math.isnan(frame[col.P_VALUE].iloc[3])
    assert (frame[col.ATTRIBUTE] == "country").all()
    # J1 alone: one shared and one other mark, labels swapped is equally extreme: p = 1.
    assert frame[col.P_VALUE].iloc[1] == 1.0


def _biased_event(bias: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Six jurors from three countries mark 40 candidates; compatriots get ``bias`` more."""
    rng = np.random.default_rng(seed)
    countries = ["K1", "K2", "K3"]
    cands = {f"C{i:02d}": countries[i % 3] for i in range(40)}
    jurors = {f"J{j}": countries[j % 3] for j in range(6)}
    quality = rng.normal(6, 1, 40)
    severity = rng.normal(0, 0.5, 6)
    rows = []
    for i, (cand, country) in enumerate(cands.items()):
        for j, (juror, juror_country) in enumerate(jurors.items()):
            mark = quality[i] + severity[j] + rng.normal(0, 0.7)
            mark += bias if country == juror_country and juror in ("J0", "J1") else 0
            rows.append((juror, cand, mark))
    return _marks(rows), _candidates(cands), _jurors(jurors)  # type: ignore[arg-type]


def test_planted_bias_is_found() -> None:
    marks, cands, jurors = _biased_event(bias=1.5, seed=1)
    frame = affinity_audit(marks, cands, jurors, attributes=["country"], criteria=[TEN]).frame
    effect = dict(zip(frame[col.JUROR_ID], frame[col.EFFECT], strict=True))
    p_value = dict(zip(frame[col.JUROR_ID], frame[col.P_VALUE], strict=True))
    # J0 and J1 favour compatriots by 1.5 points = .15 of the scale (less the part absorbed
    # into their own generosity); the others do not.
    assert effect["J0"] > 0.1 and p_value["J0"] < 0.01
    assert effect["J1"] > 0.1 and p_value["J1"] < 0.01
    assert p_value[ALL_JURORS] < 0.01
    assert abs(effect["J4"]) < 0.1


def test_no_bias_no_signal() -> None:
    marks, cands, jurors = _biased_event(bias=0.0, seed=2)
    frame = affinity_audit(marks, cands, jurors, attributes=["country"], criteria=[TEN]).frame
    overall = frame.iloc[0]
    assert abs(overall[col.EFFECT]) < 0.05 and overall[col.P_VALUE] > 0.05


def test_p_values_are_seeded() -> None:
    marks, cands, jurors = _biased_event(bias=0.3, seed=3)

    def run(seed: int) -> pd.DataFrame:
        return affinity_audit(
            marks, cands, jurors, attributes=["country"], criteria=[TEN], seed=seed
        ).frame

    pd.testing.assert_frame_equal(run(7), run(7))
    assert not run(7)[col.P_VALUE].equals(run(8)[col.P_VALUE])


def test_project_target_is_shared_when_any_member_shares() -> None:
    # Project P has members A (Peru) and B (Chad); juror J2 (Chad) marking P shares.
    marks = _marks(
        [("J1", "P", 6), ("J2", "P", 9), ("J1", "Q", 6), ("J2", "Q", 5)], criterion="idea"
    )
    cands = _candidates({"A": "Peru", "B": "Chad", "C": "Laos"}, {"A": "P", "B": "P", "C": "Q"})
    idea = CriterionConfig(name="idea", weight=1, min=0, max=10, level="project")
    frame = affinity_audit(
        marks, cands, _jurors({"J1": "Mali", "J2": "Chad"}), attributes=["country"], criteria=[idea]
    ).frame.set_index(col.JUROR_ID)
    assert frame.loc["J2", col.N_SHARED] == 1 and frame.loc["J1", col.N_SHARED] == 0


def test_missing_values_are_left_out() -> None:
    marks = _marks(
        [
            ("J1", "A", 6),
            ("J2", "A", 9),
            ("J3", "A", 5),
            ("J1", "B", 6),
            ("J2", "B", 5),
            ("J3", "B", 7),
        ]
    )
    frame = affinity_audit(
        marks,
        _candidates({"A": "Peru", "B": None}),
        _jurors({"J1": "Peru", "J2": "Chad", "J3": None}),
        attributes=["country"],
        criteria=[TEN],
    ).frame
    # Only marks on A by J1 and J2 are usable: J3 has no country and B has none.
    assert frame[col.JUROR_ID].tolist() == [ALL_JURORS, "J1", "J2"]
    assert frame[col.N_SHARED].tolist() == [1, 1, 0]
    assert frame[col.N_OTHER].tolist() == [1, 0, 1]


def test_missing_attribute_is_a_warning_and_nothing_else() -> None:
    marks = _marks([("J1", "A", 6), ("J2", "A", 9)])
    audit = affinity_audit(
        marks,
        _candidates({"A": "Peru"}),
        pd.DataFrame({col.JUROR_ID: ["J1"]}),
        attributes=["country"],
        criteria=[TEN],
    )
    (issue,) = audit.issues
    assert issue.code == "affinity.attribute_missing" and "jurors" in issue.message
    assert audit.frame.empty and tuple(audit.frame.columns) == col.AFFINITY_COLUMNS


def _exact_p(values: np.ndarray, k: int) -> float:
    """Enumerate every choice of ``k`` shared values: the exact permutation p-value."""
    expected = k * values.mean()
    observed = values[:k].sum()
    sums = np.array([sum(c) for c in itertools.combinations(values, k)])
    return float(np.mean(np.abs(sums - expected) >= abs(observed - expected) - 1e-12))


def test_permutation_p_matches_full_enumeration() -> None:
    # The first k values are the shared ones; one stratum.
    values = np.array([2.1, 1.7, 1.2, 0.4, -0.3, -0.8, -1.1, -1.5, 0.2, 0.9])
    labels = np.arange(10) < 3
    exact = _exact_p(values, 3)
    rng = np.random.default_rng(0)
    p = _permutation_p(
        values, labels, np.zeros(10), rng=rng, n_permutations=20000, max_permuted=100
    )
    assert p == pytest.approx(exact, abs=0.01)
    # The normal approximation with the permutation distribution's exact moments is close.
    approx = _permutation_p(values, labels, np.zeros(10), rng=rng, n_permutations=0, max_permuted=5)
    assert approx == pytest.approx(exact, abs=0.03)


def test_permutation_keeps_labels_within_strata() -> None:
    # Stratum 0: 10, 11, 12 (12 shared); stratum 1: 0, 1, 2 (2 shared). S = 14, E = 11 + 1.
    # Within strata S takes the 9 values a + b, and |S - 12| >= 2 only for 10 + 0 and
    # 12 + 2: p = 2/9. Pooled over all 15 pairs it would be 8/15.
    values = np.array([10.0, 11.0, 12.0, 0.0, 1.0, 2.0])
    labels = np.array([False, False, True, False, False, True])
    strata = np.array([0, 0, 0, 1, 1, 1])
    rng = np.random.default_rng(0)
    p = _permutation_p(values, labels, strata, rng=rng, n_permutations=20000, max_permuted=100)
    assert p == pytest.approx(2 / 9, abs=0.015)
    # A stratum whose marks are all shared is fixed; with the rest unshared S cannot move.
    fixed = _permutation_p(
        values, strata == 0, strata, rng=rng, n_permutations=100, max_permuted=100
    )
    assert fixed == 1.0
