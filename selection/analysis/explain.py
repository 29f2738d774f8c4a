"""Why each candidate was or was not selected, in columns and in plain words.

Status
    ``selected``; ``reserve`` (not selected, but the named substitute of a representative);
    ``not_selected``; ``ineligible`` (``eligible = false`` or no marks).
Reason codes (stable; see :data:`REASONS`), each confirmed by re-solving
    The event is solved again with sets of rules left out (the seats rule always stays),
    smallest sets first (:class:`~selection.analysis.fairness.Removals`). A candidate's
    status is *bound* by the smallest sets whose removal flips it: ``*.rule`` when single
    rules do (``binding`` lists every such rule: without any one of them the status flips),
    ``*.rules`` when only a combination does (``binding`` names the first smallest one, in
    rule order: without all of them together the status flips), ``*.merit`` when no set
    of rules does (with every rule left out the status is the same). Facts come first: a
    rule that decides the candidate on its own (``selected.required``,
    ``not_selected.excluded``, ``not_selected.below_min_merit``) and ``tie_break`` when an
    equal-merit swap would be just as good (:func:`tied_by_lottery`). With more than
    :data:`MAX_EXACT_RULES` rules only single rules, pairs and all rules together are tried.
Margin
    For a representative: merit minus that of the strongest non-selected eligible
    candidate of the group (how much merit they could lose before someone would overtake
    them on merit alone). For anyone else: merit minus that of the weakest representative
    of the group (negative: how far below the cut-off). ``NaN`` when there is no such
    person or the candidate is ineligible.
Counterfactual
    The candidate is forced out (representatives) or in (everyone else eligible) and the
    candidate's group is re-optimised with the same rules and tie rule, every other group
    keeping its representatives. This is exact when no rule links groups; with
    delegation-wide rules it is the best change within the group. Cost = total merit lost.
    When a group has at most 50,000 possible delegations, every one of them is evaluated
    at once against the group's rows (auxiliary columns at their best values, slacks at
    their minimum) and ranked by the same stages and tie rule as the solver: exact, and a
    few milliseconds per group. Larger groups take one small solve per candidate.
    ``limit`` caps the number of candidates, nearest to the cut-off first.

Examples
--------
>>> REASONS["not_selected.rule"]
'a rule leaves no room for them; without it they would be selected'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from selection import columns as col
from selection.analysis.fairness import Removals
from selection.analysis.reserves import Change, SwapCheck
from selection.engine.decomposition import Decomposition
from selection.model.pool import BoolArray, Pool
from selection.model.program import AUX, SLACK_HI, SLACK_LO, Model
from selection.model.rule import Constraint
from selection.model.selection import Selection
from selection.model.solve import SolveResult, SolveStatus, solve

__all__ = [
    "COUNTERFACTUAL_COLUMNS",
    "MAX_EXACT_RULES",
    "RANKING_COLUMNS",
    "REASONS",
    "STATUSES",
    "counterfactuals",
    "counterfactuals_from",
    "explain_text",
    "margins",
    "ranking_frame",
    "reasons",
    "tied_by_lottery",
]

STATUSES: tuple[str, ...] = ("selected", "reserve", "not_selected", "ineligible")
"""Candidate statuses."""

REASONS: dict[str, str] = {
    "selected.required": "a rule requires them to be selected",
    "selected.tie_break": "tied on merit with another best delegation; the seeded lottery "
    "decided in their favour",
    "selected.rule": "selected because a rule keeps the seat for them; without it another "
    "candidate would take it",
    "selected.rules": "selected because rules together keep the seat for them; without all "
    "of them another candidate would take it",
    "selected.merit": "selected on merit: whichever rules are left out, they keep their seat",
    "not_selected.excluded": "a rule excludes them",
    "not_selected.below_min_merit": "merit below the minimum a rule sets",
    "not_selected.tie_break": "tied on merit with another best delegation; the seeded lottery "
    "decided against them",
    "not_selected.rule": "a rule leaves no room for them; without it they would be selected",
    "not_selected.rules": "rules together leave no room for them; without all of them they "
    "would be selected",
    "not_selected.merit": "not enough merit for a seat: whichever rules are left out, they "
    "are not selected",
    "not_selected.infeasible": "no delegation satisfies every rule",
    "selected.given": "in the delegation given to the tool, which did not choose it",
    "not_selected.given": "not in the delegation given to the tool, which did not choose it",
    "selected.kept": "kept from the delegation as announced",
    "selected.replacement": "steps in for a representative who withdrew; everyone else stays",
    "selected.lottery": "in the grey zone (their 50% rank interval crosses the cut-off); "
    "the seeded lottery drew them",
    "selected.settled": "their 50% rank interval lies within the seats",
    "selected.forced": "their 50% rank interval lies beyond the seats, but the rules (or too "
    "few candidates above them) need them",
    "not_selected.lottery": "in the grey zone (their 50% rank interval crosses the cut-off); "
    "the seeded lottery did not draw them",
    "not_selected.settled": "their 50% rank interval lies beyond the seats",
    "not_selected.forced": "their 50% rank interval lies within the seats, but the rules (or "
    "too many settled in) leave no room",
    "ineligible.flag": "marked not eligible",
    "ineligible.no_merit": "has no marks, so no merit",
}
"""Stable reason codes and their plain meaning."""

COUNTERFACTUAL_COLUMNS: tuple[str, ...] = (
    col.CANDIDATE_ID,
    col.CF_STATUS,
    col.CF_COST,
    col.CF_IN,
    col.CF_OUT,
)
"""Columns of :func:`counterfactuals`."""

RANKING_COLUMNS: tuple[str, ...] = (
    col.GROUP,
    col.CANDIDATE_ID,
    col.NAME,
    col.MERIT,
    col.MERIT_SE,
    col.RANK_IN_GROUP,
    col.LOTTERY,
    col.STATUS,
    col.REASON,
    col.BINDING,
    col.MARGIN,
    col.RESERVE_ID,
    col.RESERVE_JOINING,
    col.RESERVE_LEAVING,
    col.RESERVE_BENDS,
    col.REPLACES,
    col.RESERVE_RANK,
    col.CF_STATUS,
    col.CF_COST,
    col.CF_IN,
    col.CF_OUT,
)
"""Columns of the ranking: every candidate, sorted by group then rank."""


def tied_by_lottery(selection: Selection, rules: Sequence[Constraint]) -> BoolArray:
    """Return who could change places with someone of equal merit without changing the optimum.

    A representative and a non-representative of the same group with the same grid merit
    are *tied by lottery* when swapping them keeps every hard rule and bends no soft rule
    more: that delegation is equally good, so the seeded lottery decided. Checked without a
    solver, so the answer does not depend on which tied delegations a solver enumerated.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> candidates, merit = example_event()
    >>> merit.loc[merit["candidate_id"] == "c3", "merit"] = 8.0  # c3 now ties with c2
    >>> pool = prepare_pool(candidates, merit, SelectionConfig(per_group=2))
    >>> delegation = Selection.from_ids(pool, ["c1", "c2", "c5", "c6"])
    >>> tied_by_lottery(delegation, [make_rule("seats")]).tolist()
    [False, True, True, False, False, False, False]
    """
    pool, chosen = selection.pool, selection.mask
    swaps = SwapCheck(selection, rules)
    tied = np.zeros(pool.n_candidates, dtype=bool)
    # The others of each (group, grid merit), sorted by that key: each representative finds
    # theirs by bisection (linear in the pool, not representatives x pool).
    grid = pool.grid_merit.astype(np.int64)
    low = int(grid.min()) if len(grid) else 0
    key = pool.group_code.astype(np.int64) * (int(grid.max(initial=0)) - low + 1) + (grid - low)
    others = np.flatnonzero(pool.selectable & ~chosen)
    others = others[np.argsort(key[others], kind="stable")]
    sorted_keys = key[others]
    for rep in selection.positions.tolist():
        start = int(np.searchsorted(sorted_keys, key[rep], side="left"))
        stop = int(np.searchsorted(sorted_keys, key[rep], side="right"))
        for other in others[start:stop].tolist():
            if swaps.keeps(rep, other):
                tied[[rep, other]] = True
    return tied


MAX_EXACT_RULES = 8
"""Most rules (besides the seats) for which every set of rules is tried for the reasons."""


def _flips(
    removals: Removals, selected: BoolArray, wanted: Sequence[int]
) -> dict[int, list[tuple[int, ...]]]:
    """Each wanted position's smallest sets of rule indexes whose removal flips its status."""
    removable = list(range(1, len(removals.rules)))
    sizes = (
        list(range(1, len(removable) + 1))
        if len(removable) <= MAX_EXACT_RULES
        else [1, 2, len(removable)]
    )
    open_ = np.zeros(len(selected), dtype=bool)
    open_[list(wanted)] = True
    found: dict[int, list[tuple[int, ...]]] = {}
    for size in sizes:
        hits: dict[int, list[tuple[int, ...]]] = {}
        for dropped in itertools.combinations(removable, size):
            if not open_.any():
                break
            mask = removals.without(frozenset(dropped))
            if mask is None:
                continue
            flipped = np.flatnonzero(open_ & (mask != selected))
            for p in flipped.tolist():
                hits.setdefault(p, []).append(dropped)
            if size > 1:
                open_[flipped] = False  # one smallest combination is enough to name
        for p, sets in hits.items():
            found[p] = sets
            open_[p] = False
    return found


def reasons(
    pool: Pool,
    rules: Sequence[Constraint],
    selected: BoolArray | None,
    removals: Removals | None,
    *,
    fixed: Mapping[int, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Return each candidate's reason code and binding rules (see the module docs).

    Parameters
    ----------
    pool, rules
        The event (the seats rule first).
    selected
        Pool mask of the delegation (``None``: infeasible).
    removals
        The delegations without some rules; ``None`` skips the re-solves: reasons that
        need them are left empty (light runs that show no ranking).
    fixed
        Reason codes set from outside, by pool position (how a given delegation was
        chosen: the grey-zone lottery); they come after ineligibility and the rules that
        decide a candidate on their own, and need no re-solve.

    Returns
    -------
    tuple of two lists
        Reason codes (:data:`REASONS`) and ``"; "``-joined binding rule names, per pool
        position.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.analysis.fairness import Removals
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": list("abc"), "name": list("ABC"), "group": ["G"] * 3,
    ...                   "project": ["P", "P", "Q"]})
    >>> m = pd.DataFrame({"candidate_id": list("abc"), "merit": [3.0, 2.0, 1.0]})
    >>> pool = prepare_pool(c, m, SelectionConfig(per_group=2))
    >>> rules = [make_rule("seats", per_group=2),
    ...          make_rule("max_per", attribute="project", name="one per project")]
    >>> mask = np.array([True, False, True])
    >>> codes, binding = reasons(pool, rules, mask, Removals(pool, rules))
    >>> codes
    ['selected.merit', 'not_selected.rule', 'selected.rule']
    >>> binding
    ['', 'one per project', 'one per project']
    """
    order = {code: k for k, code in enumerate(REASONS)}
    required: set[int] = set()
    ruled_out: dict[int, str] = {}  # the first reason in REASONS' order wins
    for rule in rules:
        forced = rule.forced(pool)
        if forced is None:
            continue
        if forced.selected:
            required |= set(forced.positions.tolist())
            continue
        for p in forced.positions.tolist():
            if p not in ruled_out or order[forced.reason] < order[ruled_out[p]]:
                ruled_out[p] = forced.reason
    n = pool.n_candidates
    varies = (
        tied_by_lottery(Selection.from_mask(pool, selected), rules)
        if selected is not None
        else np.zeros(n, dtype=bool)
    )
    fixed = dict(fixed or {})
    flips: dict[int, list[tuple[int, ...]]] = {}
    if selected is not None and removals is not None:
        wanted = [p for p in np.flatnonzero(pool.selectable).tolist() if p not in fixed]
        flips = _flips(removals, selected, wanted)
    codes, binding = [], []
    for p in range(n):
        sets = flips.get(p, [])
        named = sorted({k for s in sets for k in s}) if sets and len(sets[0]) == 1 else []
        named = named or (list(sets[0]) if sets else [])
        binding.append("; ".join(rules[k].label for k in named))
        if not pool.eligible[p]:
            codes.append("ineligible.flag")
        elif not pool.selectable[p]:
            codes.append("ineligible.no_merit")
        elif selected is None:
            codes.append("not_selected.infeasible")
        else:
            state = "selected" if selected[p] else "not_selected"
            if p in fixed:  # the reason this delegation gives (a replacement, a draw)
                codes.append(fixed[p])
            elif selected[p] and p in required:
                codes.append("selected.required")
            elif not selected[p] and p in ruled_out:
                codes.append(ruled_out[p])
            elif varies[p]:
                codes.append(f"{state}.tie_break")
            elif removals is None:
                codes.append("")
            elif sets:
                codes.append(f"{state}.{'rule' if len(sets[0]) == 1 else 'rules'}")
            else:
                codes.append(f"{state}.merit")
    return codes, binding


def margins(pool: Pool, selected: BoolArray) -> np.ndarray:
    """Return each candidate's margin to the group's cut-off (see module docs).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": list("abc"), "name": list("ABC"), "group": ["G"] * 3})
    >>> m = pd.DataFrame({"candidate_id": list("abc"), "merit": [5.0, 4.0, 2.5]})
    >>> margins(prepare_pool(c, m, SelectionConfig(per_group=2)),
    ...         np.array([True, True, False])).tolist()
    [2.5, 1.5, -1.5]
    """
    merit = pool.grid_merit.astype(float) * pool.grid_step
    low = np.full(pool.n_groups, np.inf)
    high = np.full(pool.n_groups, -np.inf)
    np.minimum.at(low, pool.group_code[selected], merit[selected])
    out_mask = pool.selectable & ~selected
    np.maximum.at(high, pool.group_code[out_mask], merit[out_mask])
    cut = np.where(selected, high[pool.group_code], low[pool.group_code])
    result = merit - cut
    return np.where(pool.selectable & np.isfinite(cut), result, np.nan)


MAX_COMBINATIONS = 50_000
"""Largest number of delegations of one group evaluated exhaustively for counterfactuals."""


def _exhaustive(local: Model, n_select: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Evaluate every choice of ``n_select`` x columns; return them best first.

    Returns ``(chosen, feasible)``: 0/1 rows over the x columns in the order of the
    stages then the tie rule, and whether each is feasible; ``None`` when there are too
    many or the model has a shape this evaluation does not cover.
    """
    n, n_cols = local.n_x, local.n_cols
    if n_select > n or math.comb(n, n_select) > MAX_COMBINATIONS:
        return None
    combos = np.array(list(itertools.combinations(range(n), n_select)), dtype=np.int64)
    combos = combos.reshape(-1, n_select)
    x = np.zeros((len(combos), n), dtype=np.int64)
    x[np.arange(len(combos))[:, None], combos] = 1
    dense = np.zeros((local.n_rows, n_cols))
    dense[local.row_of_entry(), local.indices] = local.values
    aux = np.flatnonzero(local.cols.role == AUX)
    structural = local.rows.role == 1
    links = dense[np.ix_(structural, aux)]
    if np.any((links != 0) & (links != 1)) or np.any((links != 0).sum(axis=1) != 1):
        return None
    act = x @ dense[:, :n].T
    room = local.rows.upper[structural] - act[:, structural]
    y = np.ones((len(combos), len(aux)))
    for k in range(len(aux)):
        rows = links[:, k] == 1
        if rows.any():
            y[:, k] = np.clip(room[:, rows].min(axis=1), 0, 1)
    act = act + y @ dense[:, aux].T
    slack = np.zeros((len(combos), n_cols))
    has_lo = np.zeros(local.n_rows, dtype=bool)
    has_hi = np.zeros(local.n_rows, dtype=bool)
    for role, mark in ((SLACK_LO, has_lo), (SLACK_HI, has_hi)):
        cols = np.flatnonzero(local.cols.role == role)
        rows = local.cols.item[cols]
        mark[rows] = True
        gap = (
            (local.rows.lower[rows] - act[:, rows])
            if role == SLACK_LO
            else (act[:, rows] - local.rows.upper[rows])
        )
        slack[:, cols] = np.maximum(gap, 0)
    ok = (has_lo | (act >= local.rows.lower - 1e-9)) & (has_hi | (act <= local.rows.upper + 1e-9))
    feasible: np.ndarray = np.asarray(ok[:, ~structural].all(axis=1), dtype=bool)
    z = slack.round().astype(np.int64)
    z[:, :n] = x
    z[:, aux] = y.round().astype(np.int64)
    values = np.stack([z @ stage.costs for stage in local.stages], axis=1)
    keys = np.sort(local.key[combos], axis=1)
    order = np.lexsort((*keys.T, x @ local.key, *values[:, ::-1].T))[::-1]
    return x[order].astype(bool), feasible[order]


def _ids(pool: Pool, mask: BoolArray) -> str:
    return "; ".join(str(i) for i in pool.candidate_ids[mask])


def counterfactuals(
    model: Model,
    result: SolveResult,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    max_ties: int = 20,
    limit: int | None = None,
    exhaustive: bool = True,
) -> pd.DataFrame:
    """Force each eligible candidate in (or out) and re-optimise their group.

    Parameters
    ----------
    model, result
        The solved model and its (feasible) result.
    solver, time_limit, max_ties
        As for :func:`selection.model.solve.solve`, per candidate.
    limit
        Most counterfactuals to compute, nearest to the cut-off first (``None``: all).
    exhaustive
        Evaluate small groups exhaustively (``False``: always solve; same answers).

    Returns
    -------
    pandas.DataFrame
        :data:`COUNTERFACTUAL_COLUMNS` for every selectable candidate: status
        ``computed``, ``impossible`` (no delegation of the group allows it) or ``skipped``
        (beyond ``limit``, or the solve stopped at its time limit); the merit cost; the
        ``"; "``-joined ids who would join and leave.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rules = [make_rule("seats", per_group=2), make_rule("max_per", attribute="project")]
    >>> model = build_model(pool, rules)
    >>> found = counterfactuals(model, solve(model))
    >>> found.iloc[1].astype(str).tolist()  # forcing c2 in: c1 (same project) leaves
    ['c2', 'computed', '1.0', 'c2', 'c1']
    """
    pool = model.pool
    assert result.columns is not None
    chosen = np.zeros(pool.n_candidates, dtype=bool)
    chosen[model.x_positions[result.chosen]] = True
    wanted = np.ones(model.n_x, dtype=bool)
    if limit is not None and limit < model.n_x:
        margin = np.abs(margins(pool, chosen)[model.x_positions])
        order = np.lexsort((model.x_positions, np.nan_to_num(margin, nan=np.inf)))
        wanted[:] = False
        wanted[order[:limit]] = True
    records = []
    for g in range(pool.n_groups):
        free = model.group_columns(g)
        if not (free[: model.n_x] & wanted).any():
            records += [
                (str(pool.candidate_ids[p]), "skipped", np.nan, "", "")
                for p in model.x_positions[free[: model.n_x]].tolist()
            ]
            continue
        local = model.restrict(free, result.columns)
        base = chosen[local.x_positions]
        table = _exhaustive(local, int(pool.seats[g])) if exhaustive else None
        for j, p in enumerate(local.x_positions.tolist()):
            if not wanted[pool.column[p]]:
                records.append((str(pool.candidate_ids[p]), "skipped", np.nan, "", ""))
                continue
            if table is not None:
                fits = table[1] & (table[0][:, j] != base[j])
                status = SolveStatus.OPTIMAL if fits.any() else SolveStatus.INFEASIBLE
                new = table[0][int(np.argmax(fits))]
            else:
                found = solve(
                    local,
                    solver=solver,
                    time_limit=time_limit,
                    max_ties=max_ties,
                    fix={j: int(not base[j])},
                )
                status, new = found.status, found.chosen
            if status is not SolveStatus.OPTIMAL:
                state = "impossible" if status is SolveStatus.INFEASIBLE else "skipped"
                records.append((str(pool.candidate_ids[p]), state, np.nan, "", ""))
                continue
            before = np.zeros(pool.n_candidates, dtype=bool)
            after = np.zeros(pool.n_candidates, dtype=bool)
            before[local.x_positions[base & ~new]] = True
            after[local.x_positions[new & ~base]] = True
            cost = int(pool.grid_merit[before].sum()) - int(pool.grid_merit[after].sum())
            records.append(
                (
                    str(pool.candidate_ids[p]),
                    "computed",
                    cost * pool.grid_step,
                    _ids(pool, after),
                    _ids(pool, before),
                )
            )
    return pd.DataFrame(records, columns=list(COUNTERFACTUAL_COLUMNS)).astype(
        {col.CF_COST: "float64"}
    )


def counterfactuals_from(
    engine: Decomposition, selected: BoolArray, *, limit: int | None = None
) -> pd.DataFrame | None:
    """:func:`counterfactuals` from the groups' options, every candidate at once.

    The same answers as :func:`counterfactuals` (the group's best option holding, or
    not holding, the candidate under every rule, the other groups fixed), read from
    :meth:`~selection.engine.decomposition.Decomposition.counterfactuals`; ``None`` when
    the engine cannot answer (soft rules, an event it declines), and the caller solves.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.engine.decomposition import Decomposition
    >>> from selection.model.constraints import make_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rules = [make_rule("seats", per_group=2), make_rule("max_per", attribute="project")]
    >>> engine = Decomposition(pool, rules)
    >>> found = counterfactuals_from(engine, engine.optimum())
    >>> found.iloc[1].astype(str).tolist()  # forcing c2 in: c1 (same project) leaves
    ['c2', 'computed', '1.0', 'c2', 'c1']
    """
    answer = engine.counterfactuals(selected)
    if answer is None:
        return None
    pool = engine.pool
    positions = pool.x_positions
    wanted = np.ones(len(positions), dtype=bool)
    if limit is not None and limit < len(positions):
        margin = np.abs(margins(pool, selected)[positions])
        order = np.lexsort((positions, np.nan_to_num(margin, nan=np.inf)))
        wanted[:] = False
        wanted[order[:limit]] = True
    groups = pool.group_code[positions]
    busy = np.zeros(pool.n_groups, dtype=bool)
    busy[groups[wanted]] = True
    ids = pool.candidate_ids.tolist()
    grid = pool.grid_merit.tolist()
    rows = engine.options.members[np.maximum(answer[positions], 0)].tolist()
    base_of: dict[int, set[int]] = {}
    for q in np.flatnonzero(selected).tolist():
        base_of.setdefault(int(pool.group_code[q]), set()).add(q)
    records = []
    for j, (p, g, row) in enumerate(zip(positions.tolist(), groups.tolist(), rows, strict=True)):
        if not wanted[j] or not busy[g]:
            records.append((ids[p], "skipped", np.nan, "", ""))
            continue
        if answer[p] < 0:
            records.append((ids[p], "impossible", np.nan, "", ""))
            continue
        new = {q for q in row if q >= 0}
        base = base_of.get(g, set())
        before, after = sorted(base - new), sorted(new - base)
        cost = sum(grid[q] for q in before) - sum(grid[q] for q in after)
        records.append(
            (
                ids[p],
                "computed",
                cost * pool.grid_step,
                "; ".join(ids[q] for q in after),
                "; ".join(ids[q] for q in before),
            )
        )
    return pd.DataFrame(records, columns=list(COUNTERFACTUAL_COLUMNS)).astype(
        {col.CF_COST: "float64"}
    )


def ranking_frame(
    pool: Pool,
    *,
    selected: BoolArray | None,
    reason: Sequence[str],
    binding: Sequence[str] | None,
    margin: np.ndarray | None,
    substitutes: dict[str, str],
    reserve_list: pd.DataFrame,
    changes: Mapping[str, Change] | None = None,
    counterfactual: pd.DataFrame | None,
    rank: np.ndarray,
) -> pd.DataFrame:
    """Assemble the ranking (:data:`RANKING_COLUMNS`), sorted by group then rank.

    Ineligible candidates come last in their group, by ``candidate_id``. Missing parts
    (``binding``, ``margin``, ``counterfactual``) are left empty.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import example_event, prepare_pool
    >>> from selection.analysis.fairness import merit_rank
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> chosen = pool.frame["candidate_id"].isin(["c1", "c2", "c5", "c6"]).to_numpy()
    >>> reason, binding = reasons(pool, [], chosen, None)
    >>> frame = ranking_frame(pool, selected=chosen, reason=reason,
    ...                       binding=None, margin=margins(pool, chosen), substitutes={},
    ...                       reserve_list=pd.DataFrame(columns=["candidate_id", "replaces",
    ...                                                          "reserve_rank"]),
    ...                       counterfactual=None, rank=merit_rank(pool))
    >>> frame[["candidate_id", "status", "margin"]].values.tolist()[:3]
    [['c1', 'selected', 2.0], ['c2', 'selected', 1.0], ['c3', 'not_selected', -1.0]]
    """
    frame = pool.frame
    n = pool.n_candidates
    ids = frame[col.CANDIDATE_ID].astype(str)
    found = dict(changes or {})
    nothing = Change((), (), ())

    def _change(candidate_id: str) -> Change:
        return found.get(candidate_id, nothing)

    replaces = dict(zip(reserve_list[col.CANDIDATE_ID], reserve_list[col.REPLACES], strict=True))
    reserve_rank = dict(
        zip(reserve_list[col.CANDIDATE_ID], reserve_list[col.RESERVE_RANK], strict=True)
    )
    chosen = selected if selected is not None else np.zeros(n, dtype=bool)
    status = np.where(chosen, "selected", np.where(pool.selectable, "not_selected", "ineligible"))
    status = np.where(
        ids.map(lambda i: bool(replaces.get(i, ""))).to_numpy() & ~chosen, "reserve", status
    )
    out = pd.DataFrame(
        {
            col.GROUP: frame[col.GROUP],
            col.CANDIDATE_ID: ids,
            col.NAME: frame[col.NAME],
            col.MERIT: pool.merit,
            col.MERIT_SE: frame[col.MERIT_SE].astype(float),
            col.RANK_IN_GROUP: pd.array(np.where(rank > 0, rank, 0), dtype="Int64"),
            col.LOTTERY: frame[col.LOTTERY].astype("int64"),
            col.STATUS: status,
            col.REASON: list(reason),
            col.BINDING: list(binding) if binding is not None else "",
            col.MARGIN: margin if margin is not None else np.full(n, np.nan),
            col.RESERVE_ID: ids.map(lambda i: substitutes.get(i, "")),
            col.RESERVE_JOINING: ids.map(lambda i: "; ".join(_change(i).joining)),
            col.RESERVE_LEAVING: ids.map(lambda i: "; ".join(_change(i).leaving)),
            col.RESERVE_BENDS: ids.map(lambda i: "; ".join(_change(i).bends)),
            col.REPLACES: ids.map(lambda i: replaces.get(i, "")),
            col.RESERVE_RANK: pd.array([reserve_rank.get(i) for i in ids], dtype="Int64"),
        }
    )
    out.loc[out[col.RANK_IN_GROUP] == 0, col.RANK_IN_GROUP] = pd.NA
    cf = (
        counterfactual
        if counterfactual is not None
        else pd.DataFrame(
            {
                col.CANDIDATE_ID: ids[pool.selectable],
                col.CF_STATUS: "skipped",
                col.CF_COST: np.nan,
                col.CF_IN: "",
                col.CF_OUT: "",
            }
        )
    )
    out = out.merge(cf, on=col.CANDIDATE_ID, how="left")
    out[col.CF_STATUS] = out[col.CF_STATUS].fillna("skipped")
    out[[col.CF_IN, col.CF_OUT]] = out[[col.CF_IN, col.CF_OUT]].fillna("")
    out["_last"] = ~pool.selectable
    out = out.sort_values(
        [col.GROUP, "_last", col.RANK_IN_GROUP, col.CANDIDATE_ID],
        ignore_index=True,
        na_position="last",
    )
    return out.drop(columns="_last")[list(RANKING_COLUMNS)]


def _names(ranking: pd.DataFrame, ids: str) -> str:
    found = [i for i in ids.split("; ") if i]
    names = ranking.set_index(col.CANDIDATE_ID)[col.NAME]
    return ", ".join(f"{names.get(i, i)} ({i})" for i in found)


def explain_text(ranking: pd.DataFrame, candidate_id: str) -> str:
    """Return why a candidate was or was not selected, in plain words.

    Uses the candidate's ranking row: status and reason, merit and rank, margin, binding
    rules, counterfactual and reserve role.

    Raises
    ------
    KeyError
        When ``candidate_id`` is not a candidate.

    Examples
    --------
    >>> ranking = pd.DataFrame([{"group": "Asia", "candidate_id": "c7", "name": "Gan",
    ...                          "status": "ineligible", "reason": "ineligible.flag"}])
    >>> explain_text(ranking, "c7")
    'Gan (c7), group Asia: not eligible — marked not eligible.'
    """
    rows = ranking[ranking[col.CANDIDATE_ID] == str(candidate_id)]
    if rows.empty:
        raise KeyError(f"'{candidate_id}' is not a candidate")
    row = rows.iloc[0]
    who = f"{row[col.NAME]} ({row[col.CANDIDATE_ID]})"
    status = str(row[col.STATUS])
    verdict = {
        "selected": "selected",
        "reserve": "not selected (reserve)",
        "not_selected": "not selected",
        "ineligible": "not eligible",
    }[status]
    lines = [f"{who}, group {row[col.GROUP]}: {verdict} — {REASONS[str(row[col.REASON])]}."]
    if status == "ineligible":
        return lines[0]
    in_group = ranking[(ranking[col.GROUP] == row[col.GROUP]) & ranking[col.RANK_IN_GROUP].notna()]
    se = "" if pd.isna(row[col.MERIT_SE]) else f" (standard error {row[col.MERIT_SE]:.3f})"
    lines.append(
        f"Merit {row[col.MERIT]:.3f}{se}, rank {row[col.RANK_IN_GROUP]} of "
        f"{len(in_group)} eligible in the group (lottery position {row[col.LOTTERY]})."
    )
    if not pd.isna(row[col.MARGIN]):
        against = (
            "the strongest candidate not selected"
            if status == "selected"
            else "the weakest representative"
        )
        lines.append(f"Margin {row[col.MARGIN]:+.3f} against {against}.")
    if row[col.BINDING]:
        rules = ", ".join(f"'{r}'" for r in str(row[col.BINDING]).split("; "))
        change = "not be selected" if status == "selected" else "be selected"
        together = str(row[col.REASON]).endswith(".rules")
        lines.append(
            f"Binding rules: {rules}; only without all of them together would they {change}."
            if together
            else f"Binding rules: {rules}; without any one of them they would {change}."
        )
    forced = "left out" if status == "selected" else "forced in"
    if row[col.CF_STATUS] == "computed":
        cost = float(row[col.CF_COST])
        change = f"drop by {cost:.3f}" if cost >= 0 else f"rise by {-cost:.3f}"
        text = f"If {forced}, total merit would {change}"
        if row[col.CF_IN]:
            text += f"; joining: {_names(ranking, str(row[col.CF_IN]))}"
        if row[col.CF_OUT]:
            text += f"; leaving: {_names(ranking, str(row[col.CF_OUT]))}"
        lines.append(text + ".")
    elif row[col.CF_STATUS] == "impossible":
        lines.append(f"They cannot be {forced} without breaking a rule in their group.")
    if status == "selected":
        sub = str(row.get(col.RESERVE_ID, "") or "")
        joining = str(row.get(col.RESERVE_JOINING, "") or "")
        leaving = str(row.get(col.RESERVE_LEAVING, "") or "")
        bends = [b for b in str(row.get(col.RESERVE_BENDS, "") or "").split("; ") if b]
        bending = " (bending " + ", ".join(f"'{b}'" for b in bends) + " further)" if bends else ""
        if sub:
            lines.append(
                f"Reserve: {_names(ranking, sub)} steps in if they cannot travel{bending}."
            )
        elif joining:
            lines.append(
                "If they cannot travel, no single replacement keeps the rules: joining "
                f"{_names(ranking, joining)}"
                + (f"; also leaving {_names(ranking, leaving)}" if leaving else "")
                + f"{bending}."
            )
        else:
            lines.append("Reserve: nobody can step in without breaking a rule.")
    elif row[col.REPLACES]:
        lines.append(
            f"Named substitute for {_names(ranking, str(row[col.REPLACES]))}; "
            f"reserve rank {row[col.RESERVE_RANK]} in the group."
        )
    elif not pd.isna(row[col.RESERVE_RANK]):
        lines.append(f"Reserve rank {row[col.RESERVE_RANK]} in the group.")
    return "\n".join(lines)
