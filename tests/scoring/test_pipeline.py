"""The whole scoring pipeline on a small two-group event."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scoring
from scoring import columns as col
from scoring.config import ScoringMethod
from scoring.errors import sort_issues
from scoring.event import Event
from scoring.models.calibrate import CALIBRATE_METHODS
from scoring.models.normalise import NORMALISE_METHODS
from scoring.pipeline import ISSUE_CODES, SCORING_METHODS, ScoringResult, score_event
from tests.factories import make_config, make_event

CRITERIA = [
    {"name": "talk", "weight": 0.5, "min": 1, "max": 10, "level": "candidate"},
    {"name": "idea", "weight": 0.5, "min": 1, "max": 10, "level": "project"},
]


def _candidates() -> pd.DataFrame:
    # G1: project P1 (A, B) and C alone (ineligible); G2: project P2 (D, E) and F alone.
    return pd.DataFrame(
        {
            col.CANDIDATE_ID: list("ABCDEF"),
            col.NAME: ["Ana", "Bo", "Cy", "Di", "Ed", "Fe"],
            col.GROUP: ["G1"] * 3 + ["G2"] * 3,
            col.PROJECT: ["P1", "P1", pd.NA, "P2", "P2", pd.NA],
            col.ELIGIBLE: [True, True, False, True, True, True],
            "country": ["Peru", "Chad", "Laos", "Peru", "Chad", "Laos"],
            "university": ["U1", "U2", "U3", "U1", "U2", "U3"],
        }
    )


def _jurors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J3", "J4"],
            col.NAME: ["Ja", "Jb", "Jc", "Jd"],
            "country": ["Peru", "Chad", "Mali", "Laos"],
            "university": ["U9", "U1", "U9", "U9"],
        }
    )


def _marks() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    quality = dict(zip("ABCDEF", [7.0, 6.0, 5.0, 8.0, 4.0, 6.5], strict=True))
    project_quality = {"P1": 6.0, "C": 5.5, "P2": 7.0, "F": 5.0}
    severity = {"J1": 1.0, "J2": 0.0, "J3": -1.0, "J4": 0.5}
    rows = []
    for juror, offset in severity.items():
        for target, q in quality.items():
            rows.append((juror, target, "talk", round(q + offset + rng.normal(0, 0.5), 1)))
        for target, q in project_quality.items():
            rows.append((juror, target, "idea", round(q + offset + rng.normal(0, 0.5), 1)))
    return pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.CRITERION, col.SCORE])


def _event(**sections: dict[str, typing.Any]) -> Event:
    conflicts = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J4"],
            col.CONFLICT_ID: ["B", "ZZ"],
            col.CONFLICT_KIND: ["candidate", "group"],
        }
    )
    config = make_config(CRITERIA, **sections)
    return make_event(_candidates(), _marks(), config, jurors=_jurors(), conflicts=conflicts)


FULL: dict[str, dict[str, typing.Any]] = {
    "scoring": {"conflicts": ["university"]},
    "diagnostics": {"affinity": ["country"], "outlier_threshold": 1.0},
}


def test_result_frames_have_their_columns_and_are_sorted() -> None:
    result = score_event(_event(**FULL))
    assert isinstance(result, ScoringResult)
    assert result.method == "additive" and result.ridge == pytest.approx(0.1)
    layouts = {
        "exclusions": col.EXCLUSION_COLUMNS,
        "criterion_scores": col.CRITERION_SCORE_COLUMNS,
        "offsets": col.OFFSET_COLUMNS,
        "components": col.COMPONENT_COLUMNS,
        "jurors": col.JUROR_DIAGNOSTIC_COLUMNS,
        "outliers": col.OUTLIER_COLUMNS,
        "reliability": col.RELIABILITY_COLUMNS,
        "affinity": col.AFFINITY_COLUMNS,
    }
    for name, columns in layouts.items():
        assert tuple(getattr(result, name).columns) == columns, name
    assert list(result.merit.columns) == [*col.MERIT_COLUMNS, "talk", "idea"]
    assert list(result.scores.columns) == [*_event().scores.columns, col.NORMALISED]
    sort_keys = {
        "scores": [col.CRITERION, col.TARGET_ID, col.JUROR_ID],
        "criterion_scores": [col.TARGET_ID, col.CRITERION],
        "merit": [col.CANDIDATE_ID],
        "jurors": [col.JUROR_ID, col.CRITERION],
        "outliers": [col.CRITERION, col.TARGET_ID, col.JUROR_ID],
        "exclusions": [col.JUROR_ID, col.TARGET_ID, col.CRITERION],
        "reliability": [col.CRITERION],
    }
    for name, keys in sort_keys.items():
        frame = getattr(result, name)
        assert frame.equals(frame.sort_values(keys, ignore_index=True)), name
    assert not result.jurors.empty and not result.outliers.empty and not result.affinity.empty


def test_conflicts_are_removed_before_scoring() -> None:
    result = score_event(_event(**FULL))
    excluded = set(
        zip(result.exclusions[col.JUROR_ID], result.exclusions[col.TARGET_ID], strict=True)
    )
    # J1 declared B (own mark and project P1); J2 shares university U1 with A and D
    # (so also P1 and P2).
    assert excluded == {
        ("J1", "B"),
        ("J1", "P1"),
        ("J2", "A"),
        ("J2", "P1"),
        ("J2", "D"),
        ("J2", "P2"),
    }
    kept = set(zip(result.scores[col.JUROR_ID], result.scores[col.TARGET_ID], strict=True))
    assert not kept & excluded
    assert len(result.scores) + len(result.exclusions) == len(_marks())
    panel = result.criterion_scores.set_index([col.TARGET_ID, col.CRITERION])
    assert panel.loc[("P1", "idea"), col.N_JURORS] == 2
    codes = [i.code for i in result.issues]
    assert "conflicts.unmatched" in codes  # J4's group ZZ does not exist


def test_merit_has_every_candidate_and_combines_levels() -> None:
    result = score_event(_event())
    merit = result.merit.set_index(col.CANDIDATE_ID)
    assert merit.index.tolist() == list("ABCDEF")  # C is ineligible and still scored
    panel = result.criterion_scores.set_index([col.TARGET_ID, col.CRITERION])[col.SCORE]
    # A: own talk score and project P1's idea score; C (alone): its own id on both.
    assert merit.loc["A", col.MERIT] == pytest.approx(
        0.5 * panel["A", "talk"] + 0.5 * panel["P1", "idea"]
    )
    assert merit.loc["C", col.MERIT] == pytest.approx(
        0.5 * panel["C", "talk"] + 0.5 * panel["C", "idea"]
    )
    idea = dict(zip(result.merit[col.CANDIDATE_ID], result.merit["idea"], strict=True))
    assert idea["B"] == idea["A"]
    assert merit[col.MERIT_SE].gt(0).all()
    # J1's conflict with B removes J1's marks on B and on B's project P1.
    assert merit[col.N_JURORS].tolist() == [3, 3, 4, 4, 4, 4]


def test_additive_removes_planted_severity_better_than_raw() -> None:
    # Drop J3 (harsh) from G2's candidate marks and J1 (lenient) from G1's: raw means then
    # favour G1, the additive model corrects it.
    marks = _marks()
    drop = ((marks[col.JUROR_ID] == "J3") & marks[col.TARGET_ID].isin(list("DEF"))) | (
        (marks[col.JUROR_ID] == "J1") & marks[col.TARGET_ID].isin(list("ABC"))
    )
    event = dataclasses.replace(_event(), scores=_event().scores.loc[~drop].reset_index(drop=True))
    truth = pd.Series([7.0, 6.0, 5.0, 8.0, 4.0, 6.5], index=list("ABCDEF"))

    def talk_error(method: str) -> float:
        panel = score_event(event, method=method).criterion_scores
        talk = panel.loc[panel[col.CRITERION] == "talk"].set_index(col.TARGET_ID)[col.SCORE]
        return float(((talk - talk.mean()) - (truth - truth.mean())).abs().mean())

    assert talk_error("additive") < talk_error("raw")


@pytest.mark.parametrize("method", SCORING_METHODS)
def test_every_method_runs_and_is_reported(method: str) -> None:
    result = score_event(_event(**FULL), method=method)
    assert result.method == method
    assert result.merit[col.MERIT].notna().all()
    assert result.scores[col.NORMALISED].notna().all()
    assert result.offsets.empty == (method not in CALIBRATE_METHODS)
    # Diagnostics do not depend on the method.
    pd.testing.assert_frame_equal(result.jurors, score_event(_event(**FULL)).jurors)


def test_scoring_methods_match_the_config() -> None:
    assert set(SCORING_METHODS) == set(typing.get_args(ScoringMethod))
    assert set(SCORING_METHODS) == set(NORMALISE_METHODS) | set(CALIBRATE_METHODS) | {"bayes"}


def test_unknown_method_raises() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        score_event(_event(), method="elo")


def test_without_diagnostics() -> None:
    result = score_event(_event(**FULL), diagnostics=False)
    for name in ("jurors", "outliers", "reliability", "affinity"):
        assert getattr(result, name).empty, name
    assert len(result.components) == 2  # one per criterion
    full = score_event(_event(**FULL))
    pd.testing.assert_frame_equal(result.merit, full.merit)
    zscore = score_event(_event(**FULL), method="zscore", diagnostics=False)
    pd.testing.assert_frame_equal(zscore.components, full.components)


def test_affinity_frame_is_empty_but_typed_when_not_configured() -> None:
    result = score_event(_event())
    assert result.affinity.empty and tuple(result.affinity.columns) == col.AFFINITY_COLUMNS


def test_candidate_without_marks_gets_missing_merit_and_a_warning() -> None:
    event = _event()
    scores = event.scores.loc[event.scores[col.TARGET_ID] != "F"].reset_index(drop=True)
    result = score_event(dataclasses.replace(event, scores=scores))
    merit = result.merit
    assert merit[col.MERIT].isna().tolist() == [False] * 5 + [True]
    assert merit[col.N_MARKS].iloc[5] == 0
    missing = [i for i in result.issues if i.code == "merit.missing_score"]
    assert {i.column for i in missing} == {"talk", "idea"}


def test_disconnected_rooms_are_reported_for_calibration_only() -> None:
    # Room 1 (J1, J2) marks group G1, room 2 (J3, J4) marks G2.
    event = _event()
    scores = event.scores
    g1 = scores[col.TARGET_ID].isin(["A", "B", "C", "P1"])
    room = scores[col.JUROR_ID].isin(["J1", "J2"])
    event = dataclasses.replace(event, scores=scores.loc[g1 == room].reset_index(drop=True))
    additive = score_event(event)
    issues = [i for i in additive.issues if i.code == "calibrate.disconnected"]
    assert len(issues) == 2
    assert all("Each group lies within one component" in i.message for i in issues)
    assert additive.components[col.COMPONENT].tolist() == [1, 2, 1, 2]
    zscore = score_event(event, method="zscore")
    assert not [i for i in zscore.issues if i.code.startswith("calibrate.")]
    assert len(zscore.components) == 4


def test_everything_excluded_still_returns_every_candidate() -> None:
    event = _event()
    everyone = pd.DataFrame(
        {
            col.JUROR_ID: ["J1", "J2", "J3", "J4"],
            col.CONFLICT_ID: ["G1", "G1", "G1", "G1"],
            col.CONFLICT_KIND: "group",
        }
    )
    gone = dataclasses.replace(
        event,
        conflicts=pd.concat(
            [everyone, everyone.assign(**{col.CONFLICT_ID: "G2"})], ignore_index=True
        ),
    )
    result = score_event(gone)
    assert result.scores.empty and len(result.exclusions) == len(event.scores)
    assert result.merit[col.CANDIDATE_ID].tolist() == list("ABCDEF")
    assert result.merit[col.MERIT].isna().all()
    assert result.reliability.empty
    # every juror lost every mark: each is still listed, flagged, with no marks
    assert set(result.jurors[col.FLAG]) == {"no marks"} and (result.jurors[col.N_MARKS] == 0).all()


def test_silent_deterministic_and_does_not_touch_the_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = _event(**FULL)
    copies = {
        f.name: getattr(event, f.name).copy()
        for f in dataclasses.fields(event)
        if isinstance(getattr(event, f.name), pd.DataFrame)
    }
    first, second = score_event(event), score_event(event)
    for name, frame in copies.items():
        pd.testing.assert_frame_equal(getattr(event, name), frame)
    for field in dataclasses.fields(first):
        left, right = getattr(first, field.name), getattr(second, field.name)
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right)
        else:
            assert left == right
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert list(first.issues) == sort_issues(first.issues)
    assert tuple(first.issues_frame.columns) == col.ISSUE_COLUMNS


def test_every_issue_code_in_the_source_is_registered() -> None:
    package = Path(scoring.__file__).parent
    modules = [
        "conflicts",
        "models/normalise",
        "models/calibrate",
        "models/aggregate",
        "diagnostics/jurors",
        "diagnostics/reliability",
        "diagnostics/affinity",
        "pipeline",
        "models/bayes",
        "models/bayes_rank",
    ]
    pattern = re.compile(
        r'"((?:conflicts|normalise|calibrate|aggregate|merit|affinity|bayes)\.[a-z_]+)"'
    )
    used = set()
    for name in modules:
        used |= set(pattern.findall((package / f"{name}.py").read_text(encoding="utf-8")))
    assert used == set(ISSUE_CODES)
    assert all(i.code in ISSUE_CODES for i in score_event(_event(**FULL)).issues)
