"""Juror-effect calibration: hand-checked designs, a brute-force check, connectivity."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.models import calibrate
from scoring.models.calibrate import calibrate_scores, design_components


def _marks(rows: Sequence[tuple[str, str, float]], criterion: str = "pitch") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.SCORE])
    return frame.assign(**{col.CRITERION: criterion})


def _offsets(fit: calibrate.CalibrationResult) -> dict[str, float]:
    return dict(zip(fit.offsets[col.JUROR_ID], fit.offsets[col.OFFSET], strict=True))


def _target_scores(fit: calibrate.CalibrationResult) -> dict[str, float]:
    means = fit.scores.groupby(col.TARGET_ID)[col.NORMALISED].mean()
    return {str(k): float(v) for k, v in means.items()}


# The 3x3 incomplete design: each juror marks two of three targets, in a cycle.
#   J1: A 8, B 6     J2: B 5, C 6     J3: C 5, A 6
# Raw means: A (8 + 6) / 2 = 7, B (6 + 5) / 2 = 5.5, C (6 + 5) / 2 = 5.5 -- B and C tie.
# The model y = m_t + b_j fits exactly: on B, b1 - b2 = 6 - 5 = 1; on C, b2 - b3 = 6 - 5 = 1;
# with b1 + b2 + b3 = 0 that gives b = (1, 0, -1). Then m_A = 8 - 1 = 7, m_B = 6 - 1 = 5,
# m_C = 6 - 0 = 6 (and J3's mark on A checks: 7 - 1 = 6). J1 is lenient, J3 harsh: C beats B.
CYCLE = _marks(
    [("J1", "A", 8), ("J1", "B", 6), ("J2", "B", 5), ("J2", "C", 6), ("J3", "C", 5), ("J3", "A", 6)]
)


def test_incomplete_3x3_design_removes_juror_severity() -> None:
    fit = calibrate_scores(CYCLE, ridge=0.0)
    assert _offsets(fit) == pytest.approx({"J1": 1.0, "J2": 0.0, "J3": -1.0}, abs=1e-12)
    assert _target_scores(fit) == pytest.approx({"A": 7.0, "B": 5.0, "C": 6.0})
    # Calibrated marks are the marks minus their juror's offset.
    calibrated = fit.scores.set_index([col.JUROR_ID, col.TARGET_ID])[col.NORMALISED]
    assert calibrated["J1", "A"] == pytest.approx(7.0) and calibrated["J3", "C"] == pytest.approx(
        6.0
    )
    # 6 marks, 3 targets, 3 jurors, 1 component: 6 - 3 - 3 + 1 = 1 residual degree of
    # freedom and an exact fit, so the residual variance is zero.
    assert fit.residual_variance["pitch"] == pytest.approx(0.0, abs=1e-20)
    assert fit.model_df == {"pitch": 2}
    assert fit.issues == () and fit.method == "additive" and fit.ridge == 0.0


def test_complete_design_equals_raw_means_with_any_ridge() -> None:
    rows = [
        ("J1", "A", 9),
        ("J1", "B", 4),
        ("J2", "A", 6),
        ("J2", "B", 5),
        ("J3", "A", 3),
        ("J3", "B", 2),
    ]
    for ridge in (0.0, 0.1, 5.0):
        fit = calibrate_scores(_marks(rows), ridge=ridge)
        assert _target_scores(fit) == pytest.approx({"A": 6.0, "B": 11 / 3}, rel=1e-12)
        assert fit.offsets[col.OFFSET].sum() == pytest.approx(0.0, abs=1e-12)


def test_ridge_shrinks_offsets_by_t_over_t_plus_ridge() -> None:
    # Complete 2 x 2: J1 A 8, B 6; J2 A 6, B 4. Target means 7 and 5 stay the scores.
    # With the targets absorbed, b_1 = sum_t (y_1t - m_t) / (T + ridge) = (1 + 1) / (2 + 1).
    fit = calibrate_scores(
        _marks([("J1", "A", 8), ("J1", "B", 6), ("J2", "A", 6), ("J2", "B", 4)]), ridge=1.0
    )
    assert _offsets(fit) == pytest.approx({"J1": 2 / 3, "J2": -2 / 3})
    assert _target_scores(fit) == pytest.approx({"A": 7.0, "B": 5.0})


def test_offset_standard_error_on_a_complete_design() -> None:
    # J1: 5, 7, 9 and J2: 4, 7, 6 on A, B, C. Target means 4.5, 7, 7.5; b_1 = (0.5 + 0 + 1.5)
    # / 3 = 2/3 = -b_2. Residuals of J1: -1/6, -2/3, 5/6 (J2 the opposite): RSS = 2 (1 + 16 +
    # 25) / 36 = 7/3 on (2 - 1)(3 - 1) = 2 df, s^2 = 7/6. On a complete design Var(b_j) =
    # s^2 (1 - 1/J) / T = 7/6 * 1/2 / 3 = 7/36, SE = sqrt(7) / 6.
    fit = calibrate_scores(
        _marks(
            [
                ("J1", "A", 5),
                ("J1", "B", 7),
                ("J1", "C", 9),
                ("J2", "A", 4),
                ("J2", "B", 7),
                ("J2", "C", 6),
            ]
        ),
        ridge=0.0,
    )
    assert _offsets(fit)["J1"] == pytest.approx(2 / 3)
    assert fit.residual_variance["pitch"] == pytest.approx(7 / 6)
    assert fit.offsets[col.OFFSET_SE].tolist() == pytest.approx([math.sqrt(7) / 6] * 2)


def _brute_force(marks: pd.DataFrame, ridge: float) -> tuple[dict[str, float], dict[str, float]]:
    """Solve the penalised least squares with its sum-to-zero constraint as one dense KKT system."""
    targets = sorted(marks[col.TARGET_ID].unique())
    jurors = sorted(marks[col.JUROR_ID].unique())
    n_t, n_j = len(targets), len(jurors)
    x = np.zeros((len(marks), n_t + n_j))
    for i, (j, t) in enumerate(zip(marks[col.JUROR_ID], marks[col.TARGET_ID], strict=True)):
        x[i, targets.index(t)] = 1
        x[i, n_t + jurors.index(j)] = 1
    penalty = np.diag([0.0] * n_t + [ridge] * n_j)
    constraint = np.array([[0.0] * n_t + [1.0] * n_j])
    kkt = np.block([[x.T @ x + penalty, constraint.T], [constraint, np.zeros((1, 1))]])
    rhs = np.concatenate([x.T @ marks[col.SCORE].to_numpy(), [0.0]])
    theta = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
    return dict(zip(targets, theta[:n_t], strict=True)), dict(
        zip(jurors, theta[n_t : n_t + n_j], strict=True)
    )


@pytest.mark.parametrize("ridge", [0.0, 0.1, 2.0])
def test_matches_a_dense_least_squares_solution(ridge: float) -> None:
    rng = np.random.default_rng(7)
    rows = []
    for t in range(8):
        jurors = rng.choice(5, size=3, replace=False)
        jurors = np.union1d(jurors, [t % 5])  # every juror marks something; graph connected
        rows += [(f"J{j}", f"T{t}", float(rng.integers(1, 11))) for j in jurors]
    marks = _marks(rows)
    assert len(design_components(marks)) == 1
    fit = calibrate_scores(marks, ridge=ridge)
    scores, offsets = _brute_force(marks, ridge)
    assert _offsets(fit) == pytest.approx(offsets, abs=1e-9)
    assert _target_scores(fit) == pytest.approx(scores, abs=1e-9)


def test_disconnected_rooms_are_reported_and_centred_separately() -> None:
    # Room 1: J1, J2 on A, B. Room 2: J3, J4 on C, D. No juror links the rooms.
    rows = [
        (j, t, s)
        for j, t, s in [
            ("J1", "A", 8),
            ("J1", "B", 6),
            ("J2", "A", 6),
            ("J2", "B", 5),
            ("J3", "C", 3),
            ("J3", "D", 4),
            ("J4", "C", 5),
            ("J4", "D", 7),
        ]
    ]
    candidates = pd.DataFrame(
        {col.CANDIDATE_ID: list("ABCD"), col.GROUP: ["G1", "G1", "G2", "G2"], col.PROJECT: pd.NA}
    )
    fit = calibrate_scores(_marks(rows), ridge=0.0, candidates=candidates)
    offsets = fit.offsets.set_index(col.JUROR_ID)
    assert offsets[col.COMPONENT].tolist() == [1, 1, 2, 2]
    # Within each room the offsets sum to zero: room 1 +-0.75, room 2 -+1.25.
    assert offsets[col.OFFSET].tolist() == pytest.approx([0.75, -0.75, -1.25, 1.25])
    (issue,) = fit.issues
    assert issue.code == "calibrate.disconnected" and issue.column == "pitch"
    assert "2 groups" in issue.message and "1: jurors J1, J2" in issue.message
    assert "Each group lies within one component" in issue.message
    components = fit.components
    assert tuple(components.columns) == col.COMPONENT_COLUMNS
    assert components[col.JUROR_IDS].tolist() == ["J1; J2", "J3; J4"]
    assert components[col.TARGET_IDS].tolist() == ["A; B", "C; D"]
    assert components[col.N_MARKS].tolist() == [4, 4]
    # A group split across the rooms is named.
    mixed = candidates.assign(**{col.GROUP: ["G1", "G2", "G1", "G2"]})
    (issue,) = calibrate_scores(_marks(rows), ridge=0.0, candidates=mixed).issues
    assert "Groups G1, G2 have targets in several components" in issue.message


def test_design_components_per_criterion() -> None:
    marks = pd.concat(
        [
            _marks([("J1", "A", 1), ("J2", "A", 2)], "x"),
            _marks([("J1", "A", 1), ("J2", "B", 2)], "y"),
        ]
    )
    frame = design_components(marks)
    assert frame[[col.CRITERION, col.COMPONENT, col.N_JURORS]].values.tolist() == [
        ["x", 1, 2],
        ["y", 1, 1],
        ["y", 2, 1],
    ]


def test_juror_alone_on_their_targets_gets_offset_zero() -> None:
    # J3 alone on C: their offset cannot be told apart from C's score, so it is 0 and the
    # calibrated mark is the raw mark (its own component).
    fit = calibrate_scores(_marks([("J1", "A", 7), ("J2", "A", 5), ("J3", "C", 9)]), ridge=0.0)
    assert _offsets(fit) == pytest.approx({"J1": 1.0, "J2": -1.0, "J3": 0.0})
    assert _target_scores(fit)["C"] == pytest.approx(9.0)
    assert np.isnan(fit.offsets[col.OFFSET_SE].iloc[2])  # a convention has no error


# --- additive_scale --------------------------------------------------------------------


def _planted_scale(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n_jurors, n_targets = 4, 10
    offset = rng.normal(0, 1, n_jurors)
    offset -= offset.mean()
    gain = np.exp(rng.normal(0, 0.3, n_jurors))
    gain /= gain.mean()
    quality = rng.normal(6, 1.5, n_targets)
    rows = [
        (f"J{j}", f"T{t:02d}", offset[j] + gain[j] * quality[t])
        for t in range(n_targets)
        for j in range(n_jurors)
        if (t + j) % 4 != 0  # each target misses one juror: incomplete but connected
    ]
    return _marks(rows), offset, gain


def test_additive_scale_recovers_planted_offsets_and_gains() -> None:
    marks, offset, gain = _planted_scale(np.random.default_rng(3))
    fit = calibrate_scores(marks, method="additive_scale", ridge=0.0)
    assert fit.offsets[col.GAIN].to_numpy() == pytest.approx(gain, abs=1e-7)
    assert fit.offsets[col.OFFSET].to_numpy() == pytest.approx(offset, abs=1e-7)
    # Every calibrated mark of a target is then the target's quality.
    spread = fit.scores.groupby(col.TARGET_ID)[col.NORMALISED].agg(np.ptp)
    assert spread.max() < 1e-6
    assert fit.issues == ()


def test_additive_scale_bounds_a_reversed_juror_and_fixes_a_sparse_one() -> None:
    # J1 and J2 agree; J3 reverses their order (10 - mark): a negative gain, held at 1/5.
    # J4 gives only two marks: too few for a gain, fixed at 1.
    quality = dict(zip("ABCDE", [3.0, 5.0, 6.0, 8.0, 9.0], strict=True))
    rows = [(j, t, s) for t, s in quality.items() for j in ("J1", "J2")]
    rows += [("J3", t, 10 - s) for t, s in quality.items()]
    rows += [("J4", "A", 4.0), ("J4", "B", 6.0)]
    fit = calibrate_scores(_marks(rows), method="additive_scale", ridge=0.0)
    codes = sorted(i.code for i in fit.issues)
    assert codes == ["calibrate.fixed_gain", "calibrate.gain_bounded"]
    messages = " ".join(i.message for i in fit.issues)
    assert "J3" in messages and "J4" in messages
    gains = dict(zip(fit.offsets[col.JUROR_ID], fit.offsets[col.GAIN], strict=True))
    assert min(gains.values()) > 0  # no juror's ranking is ever flipped


def test_additive_scale_reports_non_convergence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calibrate, "_MAX_ITERATIONS", 1)
    marks, _, _ = _planted_scale(np.random.default_rng(4))
    fit = calibrate_scores(marks, method="additive_scale", ridge=0.0)
    assert [i.code for i in fit.issues] == ["calibrate.not_converged"]


def test_errors_and_empty_input() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        calibrate_scores(CYCLE, method="zscore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ridge"):
        calibrate_scores(CYCLE, ridge=-1)
    empty = calibrate_scores(CYCLE.iloc[:0])
    assert empty.scores.empty and tuple(empty.offsets.columns) == col.OFFSET_COLUMNS
    assert empty.components.empty
