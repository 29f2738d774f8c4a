"""Check delegations without a solver and tell problems before solving.

:func:`check` re-counts a finished delegation against eligibility and every rule (the
rules' own ``violations``, plain counting, no solver); :func:`verify` runs it on a solver's
result and raises :class:`VerificationError` on any disagreement, including a different
objective: a mismatch is an error, never a silent pass. :func:`presolve` lists what can be
told from counts alone: too few eligible candidates, a minimum larger than what is
available or than the seats, quotas that cannot add up, a rule that leaves too few
candidates (capacity), and who can never be selected. Infeasibility is explained in
:mod:`selection.analysis.fairness`.

Examples
--------
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import AtLeast, Seats
>>> from selection.model.pool import example_event, prepare_pool
>>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
>>> rules = [Seats(per_group=2), AtLeast(attribute="gender", value="F", count=2)]
>>> [i.code for i in presolve(pool, rules)]
['selection.min_unavailable', 'selection.never_selectable']
>>> [v.group for v in check(Selection.from_ids(pool, ["c1", "c2", "c5", "c6"]), rules)]
['Africa', 'Asia']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from scoring.errors import Issue, SolverError, sort_issues
from selection import columns as col
from selection.model.constraints import (
    AtLeast,
    AtMost,
    Constraint,
    Exclude,
    MinMerit,
    Violation,
)
from selection.model.pool import Pool
from selection.model.program import SLACK_LO, Model
from selection.model.selection import Selection
from selection.model.solve import SolveResult, SolveStatus

__all__ = [
    "ISSUE_CODES",
    "RELAXATION_COLUMNS",
    "VerificationError",
    "check",
    "never_selectable",
    "presolve",
    "rule_capacity",
    "rule_issues",
    "soft_bends",
    "stage_values",
    "verify",
    "violations_frame",
]

ISSUE_CODES: dict[str, str] = {
    "selection.invalid_rule": "A rule in [[selection.constraints]] cannot be used as written.",
    "selection.too_few_eligible": "A group has fewer eligible candidates than seats.",
    "selection.min_unavailable": "A minimum asks for more candidates than the group has.",
    "selection.min_exceeds_seats": "A minimum asks for more representatives than seats.",
    "selection.capacity": "Maximum rules leave fewer places than seats.",
    "selection.quota_sum": "Minimum rules add up to more than the seats.",
    "selection.quota_conflict": "A minimum and a maximum on the same value contradict.",
    "selection.require_unselectable": "A required candidate cannot be selected.",
    "selection.require_excluded": "A candidate is both required and excluded.",
    "selection.never_selectable": "Candidates who can never be selected (ineligible, no merit).",
    "selection.unknown_group": "A rule or seat override names a group with no candidates.",
}
"""Every issue code the selection's checks can report, with its meaning."""

RELAXATION_COLUMNS: tuple[str, ...] = (
    col.RULE,
    col.GROUP,
    col.VALUE,
    col.REQUIRED,
    col.ACTUAL,
    col.BENT_BY,
)
"""Columns of a relaxation (and of soft-rule bends): where a rule bends and by how much."""


class VerificationError(SolverError):
    """A solver's delegation failed the independent re-check; it is never returned.

    Examples
    --------
    >>> issubclass(VerificationError, SolverError)
    True
    """


def check(selection: Selection, rules: Sequence[Constraint]) -> tuple[Violation, ...]:
    """Re-check a delegation without a solver: eligibility, then every rule.

    Returns
    -------
    tuple of Violation
        Empty when every rule holds. Ineligible representatives and candidates without
        marks are reported under the rule name ``"eligibility"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import Seats
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"],
    ...                   "eligible": [True, False]})
    >>> cfg = SelectionConfig(per_group=1)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}), cfg)
    >>> [v.rule for v in check(Selection.from_ids(pool, ["b"]), [Seats.from_config(cfg)])]
    ['eligibility']
    """
    pool = selection.pool
    out = [
        Violation(
            "eligibility",
            pool.group_names[pool.group_code[p]],
            str(pool.candidate_ids[p]),
            "eligible with marks",
            0,
            1,
            f"{pool.label(p)} is selected but "
            f"{'ineligible' if not pool.eligible[p] else 'has no marks'}.",
        )
        for p in selection.positions.tolist()
        if not pool.selectable[p]
    ]
    for rule in rules:
        out.extend(rule.violations(selection))
    return tuple(out)


def soft_bends(selection: Selection, rules: Sequence[Constraint]) -> dict[str, int] | None:
    """Return how far each soft rule is bent, or ``None`` when a hard rule is broken.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import AtLeast, Seats
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"],
    ...                   "gender": ["F", "M"]})
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}),
    ...                     SelectionConfig(per_group=1))
    >>> rules = [Seats(per_group=1), AtLeast(attribute="gender", value="F", count=1, soft=True)]
    >>> soft_bends(Selection.from_ids(pool, ["b"]), rules)
    {'at least 1 representative with gender = F in each group': 1}
    """
    if not selection.pool.selectable[selection.positions].all():
        return None
    out: dict[str, int] = {}
    for rule in rules:
        bent = rule.bent_by(selection)
        if bent and not rule.soft:
            return None
        if bent:
            out[rule.label] = bent
    return out


def _bent(violations: Sequence[Violation], rules: Sequence[Constraint]) -> np.ndarray:
    index = {r.label: k for k, r in enumerate(rules)}
    bent = np.zeros(len(rules), dtype=np.int64)
    for v in violations:
        if v.rule in index:
            bent[index[v.rule]] += v.bent_by
    return bent


def stage_values(
    model: Model, selection: Selection, rules: Sequence[Constraint]
) -> tuple[int, ...]:
    """Recompute every stage's value from a delegation, using counted bends as slack.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import Seats
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"]})
    >>> cfg = SelectionConfig(per_group=1)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}), cfg)
    >>> rules = [Seats.from_config(cfg)]
    >>> stage_values(build_model(pool, rules), Selection.from_ids(pool, ["b"]), rules)
    (1000000,)
    """
    x = selection.mask[model.x_positions].astype(np.int64)
    bent = _bent(check(selection, rules), rules)
    slack = model.cols.role >= SLACK_LO
    values = []
    for stage in model.stages:
        total = int(stage.costs[: model.n_x] @ x)
        for k in np.unique(model.cols.rule[slack & (stage.costs != 0)]).tolist():
            per_unit = int(stage.costs[slack & (model.cols.rule == k)][0])
            total += per_unit * int(bent[k])
        values.append(total)
    return tuple(values)


def verify(model: Model, result: SolveResult, rules: Sequence[Constraint]) -> Selection:
    """Re-check a solver's delegation; return it as a :class:`Selection` when it passes.

    Checks exact seat counts, eligibility and every hard rule, and recomputes every stage
    value (merit on the grid, soft-rule bends) from the counted violations. For an optimal
    result they must equal the solver's; for a time-limited one they may not be worse.

    Raises
    ------
    VerificationError
        On any broken hard rule or any objective disagreement, or without a delegation.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import Seats
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import example_event, prepare_pool
    >>> from selection.model.solve import solve
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rules = [Seats(per_group=2)]
    >>> model = build_model(pool, rules)
    >>> verify(model, solve(model), rules).ids()
    ['c1', 'c2', 'c5', 'c6']
    """
    if result.columns is None:
        raise VerificationError(f"There is no delegation to verify (status {result.status}).")
    mask = np.zeros(model.pool.n_candidates, dtype=bool)
    mask[model.x_positions[result.chosen]] = True
    selection = Selection.from_mask(model.pool, mask)
    elastic = set(model.cols.rule[model.cols.role >= SLACK_LO].tolist())
    labels = {r.label for k, r in enumerate(rules) if k in elastic}
    broken = [v for v in check(selection, rules) if v.rule not in labels]
    if broken:
        raise VerificationError(
            "The solver's delegation breaks rules it was given (a solver or model bug; "
            "please report it): " + " ".join(v.message for v in broken[:5])
        )
    counted = stage_values(model, selection, rules)
    solver = result.stage_values
    exact = result.status is SolveStatus.OPTIMAL
    if len(solver) > len(counted) or any(
        (c != s) if exact else (c < s) for c, s in zip(counted, solver, strict=False)
    ):
        raise VerificationError(
            f"Objective mismatch: the solver reports {solver}, the independent count gives "
            f"{counted[: len(solver)]} (stages {[s.name for s in model.stages]})."
        )
    return selection


def _issue(rule: Constraint, code: str, message: str) -> Issue:
    if rule.soft:
        return Issue("warning", code, message + " It is soft and will be bent.")
    return Issue("error", code, message)


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}{'' if n == 1 else 's'}"


def rule_capacity(rule: Constraint, pool: Pool) -> np.ndarray | None:
    """Return the most representatives each scope can have under an upper-bound rule.

    ``None`` for rules with a minimum. For each scope (group or delegation): the counted
    candidates up to each row's limit, plus every selectable candidate it does not count.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import MaxPer
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rule_capacity(MaxPer(attribute="project"), pool).tolist()
    [3, 2]
    """
    c = rule.counts(pool)
    if np.isfinite(c.lower).any() or c.distinct is not None:
        return None
    n = len(c.seats)
    limits = np.minimum(c.upper, c.available(pool))[c.active]
    capped = np.bincount(c.key_scope[c.active], weights=limits, minlength=n)
    free = pool.selectable & ~c.member & (c.scope >= 0)
    return (capped + np.bincount(c.scope[free], minlength=n)[:n]).astype(np.int64)


def rule_issues(rule: Constraint, pool: Pool) -> list[Issue]:
    """Return what counts alone tell about one rule: shortfalls, excess minimums, capacity.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import AtLeast
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rule = AtLeast(attribute="gender", value="F", count=2, name="2 women")
    >>> print(rule_issues(rule, pool)[0].message)
    group Asia: 1 eligible candidate with gender = F but '2 women' requires 2.
    """
    c, out = rule.counts(pool), []
    available = c.available(pool)
    for k in np.flatnonzero(c.active & (c.lower > available)).tolist():
        where = pool.label(int(c.item[k])) if c.item[k] >= 0 else pool.where(int(c.group[k]))
        have = rule.tally_text(pool, int(available[k]), int(c.value[k]), "eligible candidate")
        out.append(
            _issue(
                rule,
                rule.short_code,
                f"{where}: {have} but '{rule.label}' requires {c.lower[k]:g}.",
            )
        )
    finite = np.where(np.isfinite(c.lower), c.lower, 0)[c.active]
    lows = np.bincount(c.key_scope[c.active], weights=finite, minlength=len(c.seats))
    capacity = rule_capacity(rule, pool)
    scopes, first = np.unique(np.where(c.active, c.key_scope, -1), return_index=True)
    for s, k in zip(scopes.tolist(), first.tolist(), strict=True):
        if s < 0:
            continue
        where, seats = pool.where(int(c.group[k])), c.seats[s]
        if lows[s] > seats:
            out.append(
                _issue(
                    rule,
                    "selection.min_exceeds_seats",
                    f"'{rule.label}' requires "
                    f"{lows[s]:g} in {where}, which has {_plural(seats, 'seat')}.",
                )
            )
        if capacity is not None and capacity[s] < seats:
            out.append(
                _issue(
                    rule,
                    "selection.capacity",
                    f"In {where}, '{rule.label}' lets at "
                    f"most {capacity[s]} of {seats} seats be filled.",
                )
            )
    return out


def presolve(pool: Pool, rules: Sequence[Constraint]) -> tuple[Issue, ...]:
    """Return what counts alone tell before solving, most serious first.

    Codes: ``selection.too_few_eligible``, ``selection.min_unavailable``,
    ``selection.min_exceeds_seats``, ``selection.capacity``, ``selection.quota_sum``,
    ``selection.quota_conflict``, ``selection.require_unselectable``,
    ``selection.require_exceeds_seats``, ``selection.require_excluded`` (errors for hard
    rules, warnings for soft ones), ``selection.never_selectable`` and
    ``selection.unknown_group`` (warnings).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import Seats
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a"], "name": ["A"], "group": ["G"]})
    >>> cfg = SelectionConfig(per_group=2)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a"], "merit": [1.0]}), cfg)
    >>> [i.code for i in presolve(pool, [Seats.from_config(cfg)])]
    ['selection.too_few_eligible']
    """
    issues: list[Issue] = []
    for rule in rules:
        issues.extend(rule_issues(rule, pool))
    issues += _quota_issues(pool, rules)
    issues += _never_selectable(pool, rules)
    seats_rule = rules[0]
    for name, _ in getattr(seats_rule, "overrides", ()):
        if name not in pool.group_names:
            issues.append(
                Issue(
                    "warning",
                    "selection.unknown_group",
                    f"Seats are set for group '{name}', which has no candidates.",
                    value=name,
                )
            )
    return tuple(sort_issues(issues))


def _quota_issues(pool: Pool, rules: Sequence[Constraint]) -> list[Issue]:
    """Minimums on disjoint values that exceed the seats; a minimum above a maximum."""
    quotas = [
        r for r in rules if isinstance(r, AtLeast | AtMost) and not r.soft and r.scope == "group"
    ]
    issues = []
    for attribute in sorted({str(r.attribute) for r in quotas}):
        mins = [r for r in quotas if isinstance(r, AtLeast) and r.attribute == attribute]
        maxes = [r for r in quotas if isinstance(r, AtMost) and r.attribute == attribute]
        value_sets = [set(r._wanted() or ()) for r in mins]
        if len(mins) > 1 and sum(map(len, value_sets)) == len(set().union(*value_sets)):
            total = np.sum(
                [np.where(r.counts(pool).active, r.counts(pool).lower, 0) for r in mins], axis=0
            )
            names = ", ".join(f"'{r.label}'" for r in mins)
            issues += [
                Issue(
                    "error",
                    "selection.quota_sum",
                    f"In {pool.where(g)} the minimums of "
                    f"{names} add up to {total[g]:g} but the group has {pool.seats[g]} "
                    "seats.",
                )
                for g in np.flatnonzero(total > pool.seats).tolist()
            ]
        for low, high in (
            (a, b) for a in mins for b in maxes if set(a._wanted() or ()) <= set(b._wanted() or ())
        ):
            lo, hi = low.counts(pool), high.counts(pool)
            clash = lo.active & hi.active & (lo.lower > hi.upper)
            issues += [
                Issue(
                    "error",
                    "selection.quota_conflict",
                    f"In {pool.where(g)} "
                    f"'{low.label}' requires {lo.lower[g]:g} but '{high.label}' allows "
                    f"{hi.upper[g]:g}.",
                )
                for g in np.flatnonzero(clash).tolist()
            ]
    ids = {
        kind: {i for r in rules if r.kind == kind and not r.soft for i in getattr(r, "ids", ())}
        for kind in ("require", "exclude")
    }
    issues += [
        Issue(
            "error",
            "selection.require_excluded",
            f"Candidate '{i}' is both required and excluded.",
            value=i,
        )
        for i in sorted(ids["require"] & ids["exclude"])
    ]
    return issues


def never_selectable(pool: Pool, rules: Sequence[Constraint]) -> dict[int, str]:
    """Return pool position to the reason a candidate can never be selected.

    Reasons: ``ineligible``, ``no marks``, ``excluded`` and ``merit below <floor>`` (hard
    rules only).

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import Exclude
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> never_selectable(pool, [Exclude(ids=("c2",))])
    {6: 'ineligible', 1: 'excluded'}
    """
    out: dict[int, str] = {}
    for p in np.flatnonzero(~pool.selectable).tolist():
        out[p] = "ineligible" if not pool.eligible[p] else "no marks"
    for rule in rules:
        if rule.soft:
            continue
        if isinstance(rule, Exclude):
            out.update({p: "excluded" for p in rule._positions(pool).tolist() if p not in out})
        if isinstance(rule, MinMerit):
            out.update(
                {
                    p: f"merit below {rule.merit:g}"
                    for p in np.flatnonzero(rule.counts(pool).member & pool.selectable).tolist()
                    if p not in out
                }
            )
    return out


def _never_selectable(pool: Pool, rules: Sequence[Constraint]) -> list[Issue]:
    never = never_selectable(pool, rules)
    issues = []
    for g in sorted({int(pool.group_code[p]) for p in never}):
        items = [
            f"{pool.label(p)}: {why}" for p, why in sorted(never.items()) if pool.group_code[p] == g
        ]
        issues.append(
            Issue(
                "warning",
                "selection.never_selectable",
                f"In {pool.where(g)}, {len(items)} candidate(s) can never be "
                f"selected: {'; '.join(items)}.",
                value=pool.group_names[g],
            )
        )
    return issues


def violations_frame(violations: Sequence[Violation]) -> pd.DataFrame:
    """Return violations as a frame with :data:`RELAXATION_COLUMNS`, in a stable order.

    Examples
    --------
    >>> violations_frame([Violation("r", "G", "", "at least 1", 0, 1, "...")]).values.tolist()
    [['r', 'G', '', 'at least 1', 0, 1]]
    """
    frame = pd.DataFrame(
        [(v.rule, v.group, v.value, v.required, v.actual, v.bent_by) for v in violations],
        columns=list(RELAXATION_COLUMNS),
    )
    return frame.astype({col.ACTUAL: "int64", col.BENT_BY: "int64"})
