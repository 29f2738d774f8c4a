"""Tests of what-if scenarios and the normalisation sensitivity (selection.whatif)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scoring.errors import InvalidEventError
from scoring.event import Event
from scoring.ingest.load import load_event
from selection import columns as col
from selection.pipeline import run_event
from selection.result import RunResult
from selection.whatif import (
    WhatIf,
    apply_what_if,
    load_what_if,
    run_what_if,
    selected_column,
    sensitivity,
)
from tests.paths import EXAMPLE_EVENT

EXAMPLE = EXAMPLE_EVENT


@pytest.fixture(scope="module")
def event() -> Event:
    return load_event(EXAMPLE)


@pytest.fixture(scope="module")
def before(event: Event) -> RunResult:
    return run_event(event)


def _what_if(**keys: Any) -> WhatIf:
    return WhatIf.model_validate(keys)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_loads() -> None:
    what_if = load_what_if(EXAMPLE / "what_if.toml")
    assert what_if.source == "what_if.toml"
    assert what_if.exclude_jurors == ("J8",)
    assert what_if.withdraw == ("AF-01",)
    assert what_if.remove_rules == ("two per country",)
    assert what_if.add_rules == () and what_if.selection is None


def test_bad_keys_and_values_are_located(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'name = "x"\nwithdraw = 5\nexclude_juror = ["J1"]\n'
        '[[add_rules]]\nkind = "at_leest"\n[selection]\nper_group = 0\n',
    )
    with pytest.raises(InvalidEventError) as caught:
        load_what_if(path)
    issues = caught.value.issues_frame
    assert set(issues["code"]) == {"whatif.invalid"}
    assert set(issues["file"]) == {"scenario.toml"}
    values = issues["value"].astype(object).where(issues["value"].notna(), None)
    located = dict(zip(issues["column"], values, strict=True))
    assert located == {
        "withdraw": "5",
        "exclude_juror": None,  # the value is a list: the key is what is wrong
        "add_rules[0].kind": "at_leest",
        "selection.per_group": "0",
    }
    unknown = issues[issues["column"] == "exclude_juror"]["message"].item()
    assert unknown.startswith("Unknown key") and "exclude_jurors" in unknown


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(InvalidEventError) as missing:
        load_what_if(tmp_path / "nope.toml")
    assert missing.value.issues_frame["code"].tolist() == ["whatif.missing_file"]
    with pytest.raises(InvalidEventError) as bad:
        load_what_if(_write(tmp_path, "name = \n"))
    assert bad.value.issues_frame["code"].tolist() == ["whatif.bad_toml"]
    assert bad.value.issues_frame["file"].tolist() == ["scenario.toml"]


def test_unknown_ids_and_rules_are_located(event: Event, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'exclude_jurors = ["J8", "J99"]\nwithdraw = ["XX-01"]\n'
        'remove_rules = ["one per project", "three per country"]\n',
    )
    with pytest.raises(InvalidEventError) as caught:
        apply_what_if(event, load_what_if(path))
    issues = caught.value.issues_frame
    rows = sorted(zip(issues["code"], issues["column"], issues["value"], strict=True))
    assert rows == [
        ("whatif.unknown_candidate", "withdraw[0]", "XX-01"),
        ("whatif.unknown_juror", "exclude_jurors[1]", "J99"),
        ("whatif.unknown_rule", "remove_rules[1]", "three per country"),
    ]
    assert set(issues["file"]) == {"scenario.toml"}
    assert "'two per country'" in str(caught.value)


def test_an_added_rule_with_problems_is_an_error(event: Event) -> None:
    with pytest.raises(InvalidEventError) as caught:
        apply_what_if(
            event, _what_if(add_rules=[{"kind": "distinct", "attribute": "hair", "min": 2}])
        )
    assert caught.value.issues_frame["code"].tolist() == ["whatif.invalid_rule"]
    assert caught.value.issues_frame["column"].tolist() == ["add_rules[0]"]


def test_excluding_a_juror_removes_exactly_their_marks(event: Event) -> None:
    scores = event.scores.copy()
    changed = apply_what_if(event, _what_if(exclude_jurors=["J8"]))
    kept = event.scores[event.scores[col.JUROR_ID] != "J8"].reset_index(drop=True)
    pd.testing.assert_frame_equal(changed.scores, kept)
    assert len(event.scores) - len(changed.scores) == int(
        (event.scores[col.JUROR_ID] == "J8").sum()
    )
    assert "J8" not in set(changed.jurors[col.JUROR_ID])
    pd.testing.assert_frame_equal(event.scores, scores)  # the input event is untouched


def test_rules_are_removed_by_name_or_description_and_added(event: Event) -> None:
    by_name = apply_what_if(event, _what_if(remove_rules=["two per country"]))
    by_text = apply_what_if(
        event, _what_if(remove_rules=["at most 2 representatives per country value in each group"])
    )
    names = [s.name for s in by_name.config.selection.constraints]
    assert "two per country" not in names and len(names) == 4
    assert by_text.config.selection == by_name.config.selection
    added = apply_what_if(
        event,
        _what_if(
            add_rules=[{"kind": "require", "ids": ["LA-13"], "name": "LA-13 goes"}],
            selection={"per_group": 2, "seed": 7},
        ),
    )
    assert added.config.selection.constraints[-1].name == "LA-13 goes"
    assert (added.config.selection.per_group, added.config.selection.seed) == (2, 7)
    assert event.config.selection.per_group == 3


def test_withdrawing_a_representative_brings_in_the_named_reserve(
    event: Event, before: RunResult
) -> None:
    delegation = before.selection.delegation.set_index(col.CANDIDATE_ID)
    assert delegation.loc["AF-01", col.RESERVE_ID] == "AF-02"
    result = run_what_if(event, _what_if(withdraw=["AF-01"]), before=before)
    diff = result.diff
    assert diff[[col.CANDIDATE_ID, col.CHANGE]].values.tolist() == [
        ["AF-02", "joined"],
        ["AF-01", "left"],
    ]
    left = diff.set_index(col.CANDIDATE_ID).loc["AF-01"]
    assert (left[col.BEFORE_STATUS], left[col.AFTER_STATUS]) == ("selected", "ineligible")
    assert left[col.REASON] == "selected.merit -> ineligible.flag"
    assert "withdrawn (named reserve: AF-02)" in result.describe()
    json.dumps(result.to_dict())


def test_reoptimising_after_a_withdrawal_is_never_worse_than_the_swap(
    event: Event, before: RunResult
) -> None:
    # AF-05's named reserve is AF-07; choosing again finds a better pair of changes.
    delegation = before.selection.delegation.set_index(col.CANDIDATE_ID)
    reserve = str(delegation.loc["AF-05", col.RESERVE_ID])
    merit = dict(
        zip(
            before.selection.ranking[col.CANDIDATE_ID],
            before.selection.ranking[col.MERIT],
            strict=True,
        )
    )
    result = run_what_if(event, _what_if(withdraw=["AF-05"]), before=before)
    assert before.selection.objective is not None and result.after.selection.objective is not None
    swap = before.selection.objective - merit["AF-05"] + merit[reserve]
    assert result.after.selection.objective >= swap - 1e-6
    assert "AF-05" in set(result.diff[result.diff[col.CHANGE] == "left"][col.CANDIDATE_ID])


def test_without_the_country_rule_asia_i_takes_its_best_three_projects(
    event: Event, before: RunResult
) -> None:
    # README "Which rules bind": the best three of Asia I from different projects, AS1-01,
    # AS1-05 and AS1-09, are all Chinese; only "two per country" kept AS1-09 out.
    result = run_what_if(event, _what_if(remove_rules=["two per country"]), before=before)
    assert result.diff[[col.GROUP, col.CANDIDATE_ID, col.CHANGE]].values.tolist() == [
        ["Asia I", "AS1-09", "joined"],
        ["Asia I", "AS1-12", "left"],
    ]
    asia = result.after.delegation[result.after.delegation[col.GROUP] == "Asia I"]
    assert sorted(asia[col.CANDIDATE_ID]) == ["AS1-01", "AS1-05", "AS1-09"]


def test_the_example_what_if_matches_the_readme(event: Event, before: RunResult) -> None:
    result = run_what_if(event, load_what_if(EXAMPLE / "what_if.toml"), before=before)
    assert sorted(zip(result.diff[col.CANDIDATE_ID], result.diff[col.CHANGE], strict=True)) == [
        ("AF-01", "left"),
        ("AF-02", "joined"),
        ("AS1-09", "joined"),
        ("AS1-12", "left"),
    ]
    alone = run_what_if(event, _what_if(exclude_jurors=["J8"]), before=before)
    assert alone.diff.empty
    assert "The delegation does not change." in alone.describe()


def test_sensitivity_tables_are_consistent(event: Event) -> None:
    methods = ["raw", "zscore", "additive"]
    result = sensitivity(event, methods=methods)
    table = result.table
    assert result.baseline == "additive" and result.methods == tuple(methods)
    assert table.columns.tolist() == [
        col.GROUP,
        col.CANDIDATE_ID,
        col.NAME,
        *(selected_column(m) for m in methods),
        col.N_METHODS_SELECTED,
    ]
    assert len(table) == len(event.candidates)
    chosen = table[[selected_column(m) for m in methods]]
    assert (chosen.sum(axis=0) == 12).all()
    assert (chosen.sum(axis=1) == table[col.N_METHODS_SELECTED]).all()
    base = set(table.loc[table[selected_column("additive")], col.CANDIDATE_ID])
    for method in methods:
        mine = set(table.loc[table[selected_column(method)], col.CANDIDATE_ID])
        rows = result.changes[result.changes[col.METHOD] == method]
        assert set(rows.loc[rows[col.CHANGE] == "joined", col.CANDIDATE_ID]) == mine - base
        assert set(rows.loc[rows[col.CHANGE] == "left", col.CANDIDATE_ID]) == base - mine
    assert tuple(result.changes.columns) == col.SENSITIVITY_CHANGE_COLUMNS
    assert result.describe().startswith("Scoring methods compared: raw, zscore, additive")
    assert set(result.robust[col.CANDIDATE_ID]) <= base
    json.dumps(result.to_dict())


def test_sensitivity_rejects_unknown_methods(event: Event) -> None:
    with pytest.raises(ValueError, match="unknown scoring method"):
        sensitivity(event, methods=["fancy"])


def test_keep_delegation_gives_the_named_reserve_of_every_representative(event: Event) -> None:
    # The reserve is who comes in when a representative withdraws after the announcement;
    # the what-if with keep_delegation asks exactly that, so both name the same people.
    before = run_event(event)
    ranking = before.ranking.set_index(col.CANDIDATE_ID)
    for rep in before.delegation[col.CANDIDATE_ID]:
        found = run_what_if(event, WhatIf(withdraw=(rep,), keep_delegation=True), before=before)
        joined = set(found.diff.loc[found.diff[col.CHANGE] == "joined", col.CANDIDATE_ID])
        left = set(found.diff.loc[found.diff[col.CHANGE] == "left", col.CANDIDATE_ID])
        row = ranking.loc[rep]
        expected_in = {i for i in str(row[col.RESERVE_JOINING]).split("; ") if i}
        expected_out = {i for i in str(row[col.RESERVE_LEAVING]).split("; ") if i} | {rep}
        assert (joined, left) == (expected_in, expected_out), rep
        if row[col.RESERVE_ID]:
            assert joined == {row[col.RESERVE_ID]}
        assert found.after.status == "given"
        chosen = set(found.after.delegation[col.CANDIDATE_ID])
        assert chosen == set(before.delegation[col.CANDIDATE_ID]) - left | joined


def test_keep_delegation_needs_someone_to_withdraw(event: Event) -> None:
    with pytest.raises(InvalidEventError) as caught:
        apply_what_if(event, WhatIf(keep_delegation=True))
    assert caught.value.issues_frame["code"].tolist() == ["whatif.keep_without_withdraw"]
