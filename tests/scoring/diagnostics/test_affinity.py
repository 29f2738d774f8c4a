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
from scoring.pipeline import ScoringResult, score_event
from tests.factories import make_config, make_event

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


def _cells(frame: pd.DataFrame, column: str) -> dict[tuple[str, str], float]:
    """``column`` of a per-criterion audit by ``(juror_id, criterion)``."""
    keys = zip(frame[col.JUROR_ID], frame[col.CRITERION], strict=True)
    return {(str(j), str(c)): float(v) for (j, c), v in zip(keys, frame[column], strict=True)}


def _by_juror(frame: pd.DataFrame, column: str) -> dict[str, float]:
    """``column`` of the pooled audit by ``juror_id``."""
    return {str(j): float(v) for j, v in zip(frame[col.JUROR_ID], frame[column], strict=True)}


def test_points_and_merit_points_hand_checked() -> None:
    # Pitch (0..10) as in test_hand_checked_effect: J1 and J2 each favour their compatriot
    # target by .45 of the scale = 4.5 points. Idea (1..5, range 4):
    #   A (Peru): J1 5, J2 3, J3 3;  B (Chad): J1 3, J2 3, J3 3.
    #   Deviations in points: A: J1 5 - 3 = 2, J2 3 - 4 = -1, J3 -1; B: all 0.
    #   Shares (/4): A .5, -.25, -.25; generosity J1 .25, J2 -.125, J3 -.125. Adjusted:
    #   J1 A .25 (shared), B -.25: effect .5 = 2 points;
    #   J2 A -.125, B .125 (shared): effect .25 = 1 point; J3 shares nothing.
    #   All jurors: shared J1 A .25, J2 B .125 (mean .1875); other J1 B -.25, J2 A -.125,
    #   J3 A -.125, J3 B .125 (mean -.09375): effect .28125 = 1.125 points.
    # Weights pitch 2, idea 1: effect_merit J1 2 * 4.5 + 2 = 11, J2 2 * 4.5 + 1 = 10,
    # all jurors 2 * 3.375 + 1.125 = 7.875; J3 has no estimate.
    pitch = [("J1", "A", 9), ("J2", "A", 6), ("J3", "A", 6), ("J1", "B", 5), ("J2", "B", 8)]
    idea = [("J1", "A", 5), ("J2", "A", 3), ("J3", "A", 3), ("J1", "B", 3), ("J2", "B", 3)]
    marks = pd.concat(
        [
            _marks([*pitch, ("J3", "B", 5)]),
            _marks([*idea, ("J3", "B", 3)], criterion="idea"),
        ]
    )
    criteria = [TEN, CriterionConfig(name="idea", weight=1, min=1, max=5)]
    cands = _candidates({"A": "Peru", "B": "Chad"})
    jurors = _jurors({"J1": "Peru", "J2": "Chad", "J3": "Laos"})
    audit = affinity_audit(
        marks,
        cands,
        jurors,
        attributes=["country"],
        criteria=criteria,
        weights={"pitch": 2, "idea": 1},
    )
    by = audit.by_criterion
    assert tuple(by.columns) == col.AFFINITY_BY_CRITERION_COLUMNS
    assert list(zip(by[col.JUROR_ID], by[col.CRITERION], strict=True)) == [
        (j, c) for j in (ALL_JURORS, "J1", "J2", "J3") for c in ("idea", "pitch")
    ]
    assert by[col.EFFECT_POINTS].iloc[:6].tolist() == pytest.approx(
        [1.125, 3.375, 2.0, 4.5, 1.0, 4.5]
    )
    assert by[col.EFFECT].iloc[:6].tolist() == pytest.approx(
        [0.28125, 0.3375, 0.5, 0.45, 0.25, 0.45]
    )
    merit_terms = _cells(by, col.EFFECT_MERIT)
    assert merit_terms["J1", "idea"] == pytest.approx(2.0)
    assert merit_terms["J1", "pitch"] == pytest.approx(9.0)
    assert _cells(by, col.N_SHARED)["J1", "idea"] == 1 == _cells(by, col.N_OTHER)["J1", "idea"]
    assert math.isnan(_cells(by, col.EFFECT_POINTS)["J3", "pitch"])
    frame = audit.frame
    assert frame[col.EFFECT_MERIT].iloc[:3].tolist() == pytest.approx([7.875, 11.0, 10.0])
    assert math.isnan(_by_juror(frame, col.EFFECT_MERIT)["J3"])
    # A criterion without merit weight adds nothing, estimable or not.
    pitch_only = affinity_audit(
        marks, cands, jurors, attributes=["country"], criteria=criteria, weights={"pitch": 2}
    )
    assert pitch_only.frame[col.EFFECT_MERIT].iloc[:3].tolist() == pytest.approx([6.75, 9, 9])
    # affinity.csv's effect still pools the criteria in shares of their scales: J1's shared
    # marks .225 (pitch) and .25 (idea), the other ones their opposites: .475.
    assert _by_juror(frame, col.EFFECT)["J1"] == pytest.approx(0.475)


def test_one_criterion_rows_equal_the_pooled_rows() -> None:
    # With one criterion, each per-criterion row is its pooled row: same marks, and the
    # p-value comes from the very same permutations.
    marks, cands, jurors = _biased_event(bias=0.8, seed=4)
    audit = affinity_audit(marks, cands, jurors, attributes=["country"], criteria=[TEN])
    shared = [c for c in col.AFFINITY_COLUMNS if c in col.AFFINITY_BY_CRITERION_COLUMNS]
    pd.testing.assert_frame_equal(audit.by_criterion[shared], audit.frame[shared])
    assert (audit.by_criterion[col.CRITERION] == "pitch").all()
    points = audit.by_criterion[col.EFFECT_POINTS]
    pd.testing.assert_series_equal(points, audit.frame[col.EFFECT] * 10, check_names=False)
    # Above max_permuted both use the normal approximation, still equal.
    normal = affinity_audit(
        marks, cands, jurors, attributes=["country"], criteria=[TEN], max_permuted=10
    )
    pd.testing.assert_frame_equal(normal.by_criterion[shared], normal.frame[shared])
    assert not normal.frame[col.P_VALUE].equals(audit.frame[col.P_VALUE])


def _planted_event(seed: int, bonus: float) -> tuple[pd.DataFrame, ScoringResult]:
    """1200 candidates from three countries of unequal quality; five jurors mark them all
    on pitch (1..10, weight 3) and idea (1..5, weight 1), as integers. J1, the only juror
    from K0, adds ``bonus`` points to K0 candidates on pitch; everything else is noise."""
    rng = np.random.default_rng(seed)
    n = 1200
    countries = np.array(["K0", "K1", "K2"])[np.arange(n) % 3]
    # K0 candidates really are better: a raw comparison would credit J1 with that too.
    quality = (
        rng.normal(5.0, 1.0, n)
        + pd.Series({"K0": 1.0, "K1": -0.5, "K2": 0.0})[countries].to_numpy()
    )
    ids = [f"C{i:04d}" for i in range(n)]
    cands = pd.DataFrame(
        {col.CANDIDATE_ID: ids, col.NAME: ids, col.GROUP: "G", "country": countries}
    )
    jurors = pd.DataFrame(
        {col.JUROR_ID: ["J1", "J2", "J3", "J4", "J5"], "country": ["K0", "K1", "K1", "K2", "K2"]}
    )
    severity = rng.normal(0, 0.5, 5)
    frames = []
    for j, juror_id in enumerate(jurors[col.JUROR_ID]):
        pitch = quality + severity[j] + rng.normal(0, 0.7, n)
        if juror_id == "J1":
            pitch += bonus * (countries == "K0")
        idea = quality / 2 + severity[j] / 2 + rng.normal(0, 0.5, n)
        for criterion, values, top in (("pitch", pitch, 10), ("idea", idea, 5)):
            frames.append(
                pd.DataFrame(
                    {
                        col.JUROR_ID: juror_id,
                        col.TARGET_ID: ids,
                        col.CRITERION: criterion,
                        col.SCORE: np.clip(np.rint(values), 1, top),
                    }
                )
            )
    scores = pd.concat(frames, ignore_index=True)
    config = make_config(
        [
            {"name": "pitch", "weight": 3, "min": 1, "max": 10},
            {"name": "idea", "weight": 1, "min": 1, "max": 5},
        ],
        event={"name": "t", "candidates": "-", "scores": "-", "normalise_weights": True},
        diagnostics={"affinity": ["country"]},
    )
    return scores, score_event(make_event(cands, scores, config, jurors=jurors))


def test_planted_bonus_is_reported_in_points_within_a_fifth_of_a_point() -> None:
    """A +1.5-point same-country bonus on a 1..10 criterion is reported as 1.5 +- 0.2 points.

    Over 100 seeds of this event the estimate has mean 1.49 (rounding to integers and the
    cap at 10 take a little) and standard deviation 0.06, so 0.2 is three of them.
    """
    scores, result = _planted_event(seed=11, bonus=1.5)
    by = result.affinity_by_criterion
    points = _cells(by, col.EFFECT_POINTS)
    assert points["J1", "pitch"] == pytest.approx(1.5, abs=0.2)
    # The same as a share of the 1..10 scale (range 9).
    assert _cells(by, col.EFFECT)["J1", "pitch"] == pytest.approx(1.5 / 9, abs=0.2 / 9)
    assert _cells(by, col.P_VALUE)["J1", "pitch"] < 0.01
    assert points["J1", "idea"] == pytest.approx(0.0, abs=0.2)
    # Weights 3 and 1 normalised to .75 and .25 (config.weights()): 1.5 * .75 merit points.
    merit = _by_juror(result.affinity, col.EFFECT_MERIT)["J1"]
    assert merit == pytest.approx(0.75 * points["J1", "pitch"] + 0.25 * points["J1", "idea"])
    assert merit == pytest.approx(1.5 * 0.75, abs=0.2 * 0.75 + 0.2 * 0.25)
    assert _cells(by, col.EFFECT_MERIT)["J1", "pitch"] == pytest.approx(
        0.75 * points["J1", "pitch"]
    )
    # Target quality is controlled for: J1's raw marks on K0 candidates exceed those on the
    # others by the bonus plus K0's better quality (1 - (-0.5 + 0) / 2 = 1.25 more).
    j1 = scores[(scores[col.JUROR_ID] == "J1") & (scores[col.CRITERION] == "pitch")]
    k0 = j1[col.TARGET_ID].str[1:].astype(int) % 3 == 0
    raw = j1.loc[k0, col.SCORE].mean() - j1.loc[~k0, col.SCORE].mean()
    assert raw == pytest.approx(2.75, abs=0.3)
    # The unbiased jurors. J1's bonus raises their reference (the other jurors' mean) on K0
    # targets by 1.5 / 4, and K0 is half of each one's other targets: they show about
    # +1.5 / 4 / 2 = 0.19 points (see the module docstring), not a bonus of their own.
    for juror_id in ("J2", "J3", "J4", "J5"):
        assert points[juror_id, "pitch"] == pytest.approx(0.1875, abs=0.2)
        assert points[juror_id, "idea"] == pytest.approx(0.0, abs=0.2)


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
