"""The facade: a group whose own rules conflict does not block the other groups."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from scoring.config import SelectionConfig
from selection import columns as col
from selection.facade import select
from selection.model.solve import SolveStatus

# Two groups of three, one seat each. A has one woman, B two.
CANDIDATES = pd.DataFrame(
    {
        col.CANDIDATE_ID: ["a1", "a2", "a3", "b1", "b2", "b3"],
        col.NAME: ["A1", "A2", "A3", "B1", "B2", "B3"],
        col.GROUP: ["A"] * 3 + ["B"] * 3,
        "gender": ["F", "M", "M", "F", "F", "M"],
    }
)
MERIT = pd.DataFrame({col.CANDIDATE_ID: CANDIDATES[col.CANDIDATE_ID], col.MERIT: 1.0})
TWO_WOMEN = {"kind": "at_least", "attribute": "gender", "value": "F", "count": 2}


def _config(*rules: dict[str, Any]) -> SelectionConfig:
    return SelectionConfig.model_validate({"per_group": 2, "constraints": list(rules)})


def test_the_other_groups_still_get_their_representatives() -> None:
    # "Two women per group" cannot hold in A (one woman); B is not linked to A by any
    # delegation-wide rule, so B gets its two women and A is reported infeasible.
    result = select(CANDIDATES, MERIT, _config({**TWO_WOMEN, "name": "two women"}))
    assert result.status is SolveStatus.INFEASIBLE
    assert result.group_status == {"A": "infeasible", "B": "optimal"}
    assert sorted(result.delegation[col.CANDIDATE_ID]) == ["b1", "b2"]
    assert result.infeasibility is not None
    assert [c.group for c in result.infeasibility.conflicts] == ["A"]
    reasons = result.ranking.set_index(col.CANDIDATE_ID)[col.REASON]
    assert set(reasons[["a1", "a2", "a3"]]) == {"not_selected.infeasible"}
    assert reasons["b3"].startswith("not_selected.")
    assert "The other groups have their representatives (B)" in result.message


@pytest.mark.parametrize("groups", [None, ["A", "B"]])
def test_a_delegation_wide_rule_over_the_group_blocks_everyone(groups: Any) -> None:
    overall = {"kind": "at_most", "attribute": "gender", "value": "M", "count": 3, "scope": "all"}
    if groups is not None:
        overall["groups"] = groups
    result = select(CANDIDATES, MERIT, _config(TWO_WOMEN, overall))
    assert result.status is SolveStatus.INFEASIBLE
    assert result.delegation.empty
    assert set(result.group_status.values()) == {"infeasible"}


def test_a_delegation_wide_rule_that_leaves_the_group_out_does_not_block() -> None:
    overall = {"kind": "at_most", "attribute": "gender", "value": "M", "count": 0}
    result = select(
        CANDIDATES, MERIT, _config(TWO_WOMEN, {**overall, "scope": "all", "groups": ["B"]})
    )
    assert result.group_status == {"A": "infeasible", "B": "optimal"}
    assert sorted(result.delegation[col.CANDIDATE_ID]) == ["b1", "b2"]
