"""Pool preparation (order, grid, lottery, input errors) and the model's arrays and names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.config import SelectionConfig
from scoring.errors import InvalidEventError
from selection import columns as col
from selection.model.constraints import AtLeast, Distinct, MaxPer, Seats, seats_rule
from selection.model.pool import MERIT_GRID_STEP, lottery_ranks, prepare_pool
from selection.model.program import AUX, SLACK_HI, SLACK_LO, X, build_model


def _event(n: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"c{i}" for i in range(n)]
    candidates = pd.DataFrame(
        {
            col.CANDIDATE_ID: ids,
            col.NAME: [f"Name {i}" for i in range(n)],
            col.GROUP: ["B" if i % 2 else "A" for i in range(n)],
            "gender": pd.Series(["F", "M", None, "F", "M", "M"][:n], dtype="str"),
        }
    )
    merit = pd.DataFrame({col.CANDIDATE_ID: ids, col.MERIT: [5.0, 4.0, 3.0, 2.0, np.nan, 1.0][:n]})
    return candidates, merit


def test_pool_is_sorted_by_group_then_id_whatever_the_row_order() -> None:
    candidates, merit = _event()
    a = prepare_pool(candidates, merit, SelectionConfig())
    b = prepare_pool(candidates.iloc[::-1], merit.sample(frac=1, random_state=3), SelectionConfig())
    assert a.frame[col.CANDIDATE_ID].tolist() == ["c0", "c2", "c4", "c1", "c3", "c5"]
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.grid_merit.tolist() == b.grid_merit.tolist()


def test_pool_does_not_modify_its_inputs() -> None:
    candidates, merit = _event()
    before = (candidates.copy(), merit.copy())
    prepare_pool(candidates, merit, SelectionConfig())
    pd.testing.assert_frame_equal(candidates, before[0])
    pd.testing.assert_frame_equal(merit, before[1])


def test_selectable_means_eligible_with_merit_and_defaults_are_filled() -> None:
    candidates, merit = _event()
    candidates[col.ELIGIBLE] = [True, True, False, True, True, True]
    pool = prepare_pool(candidates, merit, SelectionConfig(seats={"B": 1}))
    by_id = dict(zip(pool.frame[col.CANDIDATE_ID], pool.selectable.tolist(), strict=True))
    assert by_id == {"c0": True, "c1": True, "c2": False, "c3": True, "c4": False, "c5": True}
    assert pool.seats.tolist() == [3, 1]
    assert pool.frame[col.PROJECT].isna().all()
    assert pool.column[pool.selectable].tolist() == list(range(4))
    assert (pool.column[~pool.selectable] == -1).all()


def test_grid_makes_near_equal_merits_tie_and_sums_exact() -> None:
    candidates, merit = _event(3)
    merit[col.MERIT] = [7.0000001, 7.0000002, 0.1 + 0.2]
    pool = prepare_pool(candidates, merit, SelectionConfig())
    grid = dict(zip(pool.frame[col.CANDIDATE_ID], pool.grid_merit.tolist(), strict=True))
    assert pool.grid_step == MERIT_GRID_STEP
    assert grid == {"c0": 7_000_000, "c1": 7_000_000, "c2": 300_000}


def test_grid_is_coarsened_for_a_large_merit_spread() -> None:
    # A spread of 1000 merit units would need 1e9 grid steps of 1e-6: coarsened to 1e-5.
    candidates, merit = _event(3)
    merit[col.MERIT] = [0.0, 1000.0, 500.0]
    pool = prepare_pool(candidates, merit, SelectionConfig())
    assert pool.grid_step == pytest.approx(1e-5)
    assert int(np.ptp(pool.grid_merit)) <= 10**8


def test_lottery_depends_on_seed_and_ids_only() -> None:
    ids = [f"id{i}" for i in range(50)]
    ranks = lottery_ranks(ids, 5)
    assert sorted(ranks.tolist()) == list(range(1, 51))
    assert lottery_ranks(ids[::-1], 5).tolist() == ranks[::-1].tolist()
    assert lottery_ranks(ids, 6).tolist() != ranks.tolist()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda c, m: (c.drop(columns=[col.GROUP]), m), "selection.missing_column"),
        (lambda c, m: (pd.concat([c, c.iloc[:1]]), m), "selection.duplicate_id"),
        (
            lambda c, m: (
                c,
                pd.concat([m, pd.DataFrame({col.CANDIDATE_ID: ["zz"], col.MERIT: [1.0]})]),
            ),
            "selection.merit_unknown_candidate",
        ),
        (lambda c, m: (c, m.assign(group="Z")), "selection.group_mismatch"),
    ],
)
def test_input_errors_are_located(change: object, code: str) -> None:
    candidates, merit = change(*_event())  # type: ignore[operator]
    with pytest.raises(InvalidEventError) as caught:
        prepare_pool(candidates, merit, SelectionConfig())
    assert code in set(caught.value.issues_frame["code"])


def test_model_columns_rows_and_names_come_from_indexes() -> None:
    candidates, merit = _event()
    config = SelectionConfig(per_group=2)
    pool = prepare_pool(candidates, merit, config)
    rules = [
        seats_rule(config),
        AtLeast(attribute="gender", value="F", count=1, soft=True),
        Distinct(attribute="gender", min=2),
    ]
    model = build_model(pool, rules)
    # Distinct: group A has an eligible F only (c4, the M, has no merit), group B has both.
    assert model.row_names() == [
        "r000_seats_g0000",
        "r000_seats_g0001",
        "r001_at_least_g0000",
        "r001_at_least_g0001",
        "r002_distinct_g0000_v0000_link",
        "r002_distinct_g0001_v0000_link",
        "r002_distinct_g0001_v0001_link",
        "r002_distinct_g0000",
        "r002_distinct_g0001",
    ]
    assert model.col_names()[:5] == ["x_000000", "x_000001", "x_000003", "x_000004", "x_000005"]
    assert model.col_names()[-2:] == ["s_r001_at_least_g0000_lo", "s_r001_at_least_g0001_lo"]
    assert sorted(set(model.cols.role.tolist())) == [X, AUX, SLACK_LO]
    assert [s.name for s in model.stages] == ["soft rules priority 0", "merit"]
    assert model.stages[0].costs[model.cols.role == SLACK_LO].tolist() == [-1, -1]


def test_merit_stage_costs_and_penalties_are_integers_on_the_grid() -> None:
    candidates, merit = _event()
    pool = prepare_pool(candidates, merit, SelectionConfig())
    rules = [Seats(), MaxPer(attribute="gender", soft=True, penalty=0.25)]
    model = build_model(pool, rules)
    costs = model.stages[-1].costs
    assert costs.dtype == np.int64
    # x columns in pool order c0, c2 (group A), c1, c3, c5 (group B); minus the lowest merit.
    assert costs[: model.n_x].tolist() == [4_000_000, 2_000_000, 3_000_000, 1_000_000, 0]
    assert set(costs[model.cols.role == SLACK_HI].tolist()) == {-250_000}


def test_relaxed_model_bends_seats_last() -> None:
    candidates, merit = _event()
    pool = prepare_pool(candidates, merit, SelectionConfig())
    rules = [
        Seats(),
        AtLeast(attribute="gender", value="F", count=1, priority=4),
        MaxPer(attribute="gender", soft=True),
    ]
    model = build_model(pool, rules, relax=True)
    assert [s.name for s in model.stages] == [
        "seats priority 0",
        "rules priority 4",
        "soft rules priority 0",
        "merit",
    ]


def test_building_twice_from_shuffled_rows_gives_identical_models() -> None:
    candidates, merit = _event()
    rules = [Seats(), Distinct(attribute="gender", min=2), MaxPer(attribute="gender")]
    a = build_model(prepare_pool(candidates, merit, SelectionConfig()), rules)
    b = build_model(
        prepare_pool(candidates.iloc[[3, 1, 5, 0, 2, 4]], merit, SelectionConfig()), rules
    )
    assert a.row_names() == b.row_names() and a.col_names() == b.col_names()
    for name in ("indptr", "indices", "values"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_restrict_fixes_other_columns_into_the_bounds() -> None:
    # Group A alone, group B fixed: the delegation-wide row "at least 2 F" keeps B's fixed
    # women in its bound, the per-group seats row of B disappears.
    candidates, merit = _event()
    config = SelectionConfig(per_group=1)
    pool = prepare_pool(candidates, merit, config)
    rules = [
        seats_rule(config),
        AtLeast(attribute="gender", value="F", count=2, scope="all"),
    ]
    model = build_model(pool, rules)
    columns = np.zeros(model.n_cols)
    columns[pool.column[pool.position("c3")]] = 1.0  # B's representative is a woman
    local = model.restrict(model.group_columns(0), columns)
    assert local.x_positions.tolist() == [pool.position(c) for c in ("c0", "c2")]
    assert local.row_names() == ["r000_seats_g0000", "r001_at_least_all"]
    assert local.rows.lower.tolist() == [1.0, 1.0]


def test_subset_keeps_lottery_and_reindexes_groups() -> None:
    candidates, merit = _event()
    pool = prepare_pool(candidates, merit, SelectionConfig())
    sub = pool.subset([1])
    assert sub.group_names == ("B",) and sub.group_code.tolist() == [0, 0, 0]
    assert sub.lottery.tolist() == pool.lottery[pool.group_code == 1].tolist()
    assert sub.column.tolist() == [0, 1, 2]
