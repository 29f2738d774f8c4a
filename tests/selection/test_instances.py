"""Reference instances: one TOML file per case, answers derived by hand in the file.

Each file has ``description``, a ``[selection]`` table (the ``event.toml`` keys),
``[[candidates]]`` (``merit`` omitted: no marks) and ``[expected]``; every key present in
``[expected]`` is checked, the others are not.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scoring.config import SelectionConfig
from selection import columns as col
from selection.facade import SelectionResult, select
from tests.paths import INSTANCES

INSTANCE_FILES = sorted(INSTANCES.glob("*.toml"))


def _load(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, SelectionConfig, dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    people = pd.DataFrame(data["candidates"])
    merit = pd.DataFrame(
        {col.CANDIDATE_ID: people[col.CANDIDATE_ID], col.MERIT: people.get(col.MERIT, np.nan)}
    )
    candidates = people.drop(columns=[col.MERIT], errors="ignore")
    text = [c for c in candidates.columns if c != col.ELIGIBLE]
    candidates[text] = candidates[text].astype("str")
    if col.ELIGIBLE in candidates:
        candidates[col.ELIGIBLE] = candidates[col.ELIGIBLE].fillna(True).astype(bool)
    return candidates, merit, SelectionConfig.model_validate(data["selection"]), data["expected"]


def _by_id(result: SelectionResult, column: str) -> dict[str, Any]:
    return dict(zip(result.ranking[col.CANDIDATE_ID], result.ranking[column], strict=True))


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=[p.stem for p in INSTANCE_FILES])
def test_reference_instance(path: Path) -> None:
    candidates, merit, config, expected = _load(path)
    result = select(candidates, merit, config)
    json.dumps(result.to_dict())
    assert result.status.value == expected["status"]
    if "objective" in expected:
        assert result.objective == pytest.approx(expected["objective"])
    if "delegation" in expected:
        assert result.delegation[col.CANDIDATE_ID].tolist() == expected["delegation"]
    if "n_optimal" in expected:
        assert result.n_optimal == expected["n_optimal"]
    for key, column in (
        ("reasons", col.REASON),
        ("binding", col.BINDING),
        ("lottery", col.LOTTERY),
        ("margins", col.MARGIN),
        ("reserves", col.RESERVE_ID),
    ):
        if key in expected:
            found = _by_id(result, column)
            assert {k: found[k] for k in expected[key]} == pytest.approx(expected[key])
    if "reserve_list" in expected:
        assert (
            result.reserves[[col.GROUP, col.CANDIDATE_ID]].values.tolist()
            == expected["reserve_list"]
        )
    if "counterfactuals" in expected:
        for cid, (status, cost, joins, leaves) in expected["counterfactuals"].items():
            row = result.ranking.set_index(col.CANDIDATE_ID).loc[cid]
            assert row[col.CF_STATUS] == status
            assert row[col.CF_IN] == joins and row[col.CF_OUT] == leaves
            if not math.isnan(float(cost)):
                assert row[col.CF_COST] == pytest.approx(float(cost))
    if "price_of_fairness" in expected:
        total = result.price_of_fairness[result.price_of_fairness[col.GROUP] == "*"]
        costs = dict(zip(total[col.RULE], total[col.COST], strict=True))
        assert costs == pytest.approx(expected["price_of_fairness"])
    if "group_price" in expected:
        price = result.price_of_fairness
        rows = price[(price[col.RULE] != "*") & (price[col.GROUP] != "*")]
        assert dict(zip(rows[col.GROUP], rows[col.COST], strict=True)) == pytest.approx(
            expected["group_price"]
        )
    if "bends" in expected:
        assert result.bends[[col.RULE, col.GROUP, col.BENT_BY]].values.tolist() == expected["bends"]
    if "satisfied" in expected:
        table = dict(
            zip(result.constraints[col.RULE], result.constraints[col.SATISFIED], strict=True)
        )
        assert {k: bool(table[k]) for k in expected["satisfied"]} == expected["satisfied"]
    if "presolve" in expected:
        codes = {i.code for i in result.presolve}
        assert set(expected["presolve"]) <= codes
        if not expected["presolve"]:
            assert not codes
    if "infeasibility" in expected:
        _check_infeasibility(result, {**expected["infeasibility"], **expected})
    if "group_status" in expected:
        assert result.group_status == expected["group_status"]


def _check_infeasibility(result: SelectionResult, expected: dict[str, Any]) -> None:
    found = result.infeasibility
    assert found is not None
    assert [{"group": c.group, "rules": sorted(c.rules)} for c in found.conflicts] == [
        {"group": c["group"], "rules": sorted(c["rules"])} for c in expected["conflicts"]
    ]
    if "messages" in expected:
        assert [c.message for c in found.conflicts] == expected["messages"]
    assert (
        found.relaxation[[col.RULE, col.GROUP, col.BENT_BY]].values.tolist()
        == expected["relaxation"]
    )
    assert found.relaxed_objective == pytest.approx(expected["relaxed_objective"])
    if "delegation" not in expected:  # no group is spared: nobody is selected
        assert result.delegation.empty and result.objective is None
