"""Check delegations without a solver, and tell problems before solving.

Two independent counts check every delegation a solver returns:

- :func:`check` counts a delegation against eligibility and every rule from the rules'
  own counts (:meth:`~selection.model.rule.Constraint.violations`, the same
  :class:`~selection.model.rule.Counts` the model rows are built from). Reports, soft-rule
  bends and relaxations use it.
- :func:`recount` counts again from the candidates frame with each rule's
  :meth:`~selection.model.rule.Constraint.recount`: plain pandas group-bys that share no code
  with the model builder.

:func:`verify` takes a solver's delegation and raises :class:`VerificationError` when the
recount finds a broken hard rule, when the two counts disagree anywhere, or when the stage
values recomputed from the recount differ from the solver's: a mismatch is an error, never
a silent pass. :func:`presolve` lists what counts alone tell before solving (each rule's
:meth:`~selection.model.rule.Constraint.presolve_issues`, minimums that add up to more than
the seats, a minimum above a maximum, a candidate both required and excluded, and who can
never be selected). Infeasibility is explained in :mod:`selection.analysis.fairness`.

Examples
--------
>>> from scoring.config import SelectionConfig
>>> from selection.model.constraints import make_rule, seats_rule
>>> from selection.model.pool import example_event, prepare_pool
>>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
>>> rules = [make_rule("seats", per_group=2),
...          make_rule("at_least", attribute="gender", value="F", count=2)]
>>> [i.code for i in presolve(pool, rules)]
['selection.min_unavailable', 'selection.never_selectable']
>>> delegation = Selection.from_ids(pool, ["c1", "c2", "c5", "c6"])
>>> [v.group for v in check(delegation, rules)], [v.group for v in recount(delegation, rules)]
(['Africa', 'Asia'], ['Africa', 'Asia'])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from scoring.errors import Issue, SolverError, sort_issues
from selection import columns as col
from selection.model.pool import Pool
from selection.model.program import SLACK_LO, Model
from selection.model.rule import CHOSEN, SELECTABLE, Constraint, Violation
from selection.model.selection import Selection
from selection.model.solve import SolveResult, SolveStatus

__all__ = [
    "ISSUE_CODES",
    "RELAXATION_COLUMNS",
    "VerificationError",
    "check",
    "never_selectable",
    "presolve",
    "recount",
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


def _ineligible(selection: Selection) -> list[Violation]:
    pool = selection.pool
    return [
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


def check(selection: Selection, rules: Sequence[Constraint]) -> tuple[Violation, ...]:
    """Count a delegation against eligibility, then every rule, from the rules' counts.

    Returns
    -------
    tuple of Violation
        Empty when every rule holds. Ineligible representatives and candidates without
        marks are reported under the rule name ``"eligibility"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"],
    ...                   "eligible": [True, False]})
    >>> cfg = SelectionConfig(per_group=1)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}), cfg)
    >>> [v.rule for v in check(Selection.from_ids(pool, ["b"]), [seats_rule(cfg)])]
    ['eligibility']
    """
    out = _ineligible(selection)
    for rule in rules:
        out.extend(rule.violations(selection))
    return tuple(out)


def recount(selection: Selection, rules: Sequence[Constraint]) -> tuple[Violation, ...]:
    """Count a delegation again, independently of the model: eligibility, then every rule.

    Each rule recounts itself from the candidates frame with plain pandas
    (:meth:`~selection.model.rule.Constraint.recount`); eligible means ``eligible`` and a
    merit, read from the frame. The messages are terse: the reports use :func:`check`.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"],
    ...                   "gender": ["F", "M"]})
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}),
    ...                     SelectionConfig(per_group=1))
    >>> women = make_rule("at_least", attribute="gender", value="F", count=1)
    >>> [(v.group, v.actual, v.bent_by) for v in recount(Selection.from_ids(pool, ["b"]), [women])]
    [('G', 0, 1)]
    """
    pool = selection.pool
    frame = pool.frame
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[selection.positions] = True
    selectable = frame[col.ELIGIBLE].astype(bool) & frame[col.MERIT].notna()
    table = frame.assign(**{CHOSEN: chosen, SELECTABLE: selectable.to_numpy()})
    seats = dict(zip(pool.group_names, pool.seats.tolist(), strict=True))
    out = [
        Violation(
            "eligibility",
            str(row[col.GROUP]),
            str(row[col.CANDIDATE_ID]),
            "eligible with marks",
            0,
            1,
            f"{row[col.CANDIDATE_ID]} is selected but is not eligible with marks.",
        )
        for _, row in table[table[CHOSEN] & ~table[SELECTABLE]].iterrows()
    ]
    for rule in rules:
        out.extend(rule.recount(table, seats))
    return tuple(out)


def soft_bends(selection: Selection, rules: Sequence[Constraint]) -> dict[str, int] | None:
    """Return how far each soft rule is bent, or ``None`` when a hard rule is broken.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"],
    ...                   "gender": ["F", "M"]})
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}),
    ...                     SelectionConfig(per_group=1))
    >>> rules = [make_rule("seats", per_group=1),
    ...          make_rule("at_least", attribute="gender", value="F", count=1, soft=True)]
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
    model: Model, selection: Selection, violations: Sequence[Violation], rules: Sequence[Constraint]
) -> tuple[int, ...]:
    """Recompute every stage's value from a delegation and its counted ``violations``.

    Merit comes from the delegation's grid merits, each soft (or relaxed) rule's slack from
    how far the violations bend it.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"]})
    >>> cfg = SelectionConfig(per_group=1)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2]}), cfg)
    >>> rules = [seats_rule(cfg)]
    >>> delegation = Selection.from_ids(pool, ["b"])
    >>> stage_values(build_model(pool, rules), delegation, check(delegation, rules), rules)
    (1000000,)
    """
    x = selection.mask[model.x_positions].astype(np.int64)
    bent = _bent(violations, rules)
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

    The delegation is recounted independently of the model (:func:`recount`): exact seats,
    eligibility and every hard rule must hold, the rules' own counts (:func:`check`) must
    agree with the recount everywhere, and every stage value (merit on the grid, soft-rule
    bends) is recomputed from the recount. For an optimal result the values must equal the
    solver's; for a time-limited one they may not be worse.

    Raises
    ------
    VerificationError
        On any broken hard rule, any disagreement between the two counts or with the
        solver's objective, or without a delegation.

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.program import build_model
    >>> from selection.model.pool import example_event, prepare_pool
    >>> from selection.model.solve import solve
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> rules = [make_rule("seats", per_group=2)]
    >>> model = build_model(pool, rules)
    >>> verify(model, solve(model), rules).ids()
    ['c1', 'c2', 'c5', 'c6']
    """
    if result.columns is None:
        raise VerificationError(f"There is no delegation to verify (status {result.status}).")
    mask = np.zeros(model.pool.n_candidates, dtype=bool)
    mask[model.x_positions[result.chosen]] = True
    selection = Selection.from_mask(model.pool, mask)
    independent = recount(selection, rules)
    elastic = set(model.cols.rule[model.cols.role >= SLACK_LO].tolist())
    labels = {r.label for k, r in enumerate(rules) if k in elastic}
    broken = [v for v in independent if v.rule not in labels]
    if broken:
        raise VerificationError(
            "The solver's delegation breaks rules it was given (a solver or model bug; "
            "please report it): " + " ".join(v.message for v in broken[:5])
        )
    counted = Counter(v.key for v in check(selection, rules))
    again = Counter(v.key for v in independent)
    if counted != again:
        differ = sorted((counted - again) + (again - counted))[:5]
        raise VerificationError(
            "The rules' counts and the independent recount disagree (a counting bug; please "
            f"report it): {differ}."
        )
    values = stage_values(model, selection, independent, rules)
    solver = result.stage_values
    exact = result.status is SolveStatus.OPTIMAL
    if len(solver) > len(values) or any(
        (c != s) if exact else (c < s) for c, s in zip(values, solver, strict=False)
    ):
        raise VerificationError(
            f"Objective mismatch: the solver reports {solver}, the independent count gives "
            f"{values[: len(solver)]} (stages {[s.name for s in model.stages]})."
        )
    return selection


def presolve(pool: Pool, rules: Sequence[Constraint]) -> tuple[Issue, ...]:
    """Return what counts alone tell before solving, most serious first.

    Codes: ``selection.too_few_eligible``, ``selection.min_unavailable``,
    ``selection.require_unselectable``, ``selection.min_exceeds_seats``,
    ``selection.capacity`` (each rule's own, errors for hard rules and warnings for soft
    ones), ``selection.quota_sum``, ``selection.quota_conflict``,
    ``selection.require_excluded`` (hard rules together), ``selection.never_selectable``
    and ``selection.unknown_group`` (warnings).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a"], "name": ["A"], "group": ["G"]})
    >>> cfg = SelectionConfig(per_group=2)
    >>> pool = prepare_pool(c, pd.DataFrame({"candidate_id": ["a"], "merit": [1.0]}), cfg)
    >>> [i.code for i in presolve(pool, [seats_rule(cfg)])]
    ['selection.too_few_eligible']
    """
    issues: list[Issue] = []
    for rule in rules:
        issues.extend(rule.presolve_issues(pool))
    hard = [r for r in rules if not r.soft]
    issues += _quota_issues(pool, hard)
    issues += _forced_issues(pool, hard)
    issues += _never_selectable(pool, rules)
    return tuple(sort_issues(issues))


def _quota_issues(pool: Pool, rules: Sequence[Constraint]) -> list[Issue]:
    """Minimums on disjoint values that exceed the seats; a minimum above a maximum."""
    quotas = [q for r in rules for q in r.quotas(pool)]
    issues = []
    for attribute in sorted({q.attribute for q in quotas}):
        mins = [q for q in quotas if q.attribute == attribute and np.isfinite(q.lower).any()]
        maxes = [q for q in quotas if q.attribute == attribute and np.isfinite(q.upper).any()]
        # Minimums on the same values count once (the largest); on disjoint values, they add.
        strongest: dict[frozenset[str], np.ndarray] = {}
        labels: dict[frozenset[str], list[str]] = {}
        for q in mins:
            floor = np.where(np.isfinite(q.lower), q.lower, 0)
            strongest[q.values] = np.maximum(strongest.get(q.values, floor), floor)
            labels.setdefault(q.values, []).append(q.label)
        value_sets = list(strongest)
        if len(value_sets) > 1 and sum(map(len, value_sets)) == len(frozenset().union(*value_sets)):
            total = np.sum(list(strongest.values()), axis=0)
            names = ", ".join(
                f"'{label}'" for label in dict.fromkeys(x for ls in labels.values() for x in ls)
            )
            issues += [
                Issue(
                    "error",
                    "selection.quota_sum",
                    f"In {pool.where(g)} the minimums of {names} add up to {total[g]:g} but "
                    f"the group has {pool.seats[g]} seats.",
                )
                for g in np.flatnonzero(total > pool.seats).tolist()
            ]
        for low, high in ((a, b) for a in mins for b in maxes if a.values <= b.values):
            issues += [
                Issue(
                    "error",
                    "selection.quota_conflict",
                    f"In {pool.where(g)} '{low.label}' requires {low.lower[g]:g} but "
                    f"'{high.label}' allows {high.upper[g]:g}.",
                )
                for g in np.flatnonzero(low.lower > high.upper).tolist()
            ]
    return issues


def _forced_issues(pool: Pool, rules: Sequence[Constraint]) -> list[Issue]:
    """Candidates one hard rule requires and another rules out (excluded, below a floor)."""
    forced = [f for r in rules if (f := r.forced(pool)) is not None]
    wanted = {p for f in forced if f.selected for p in f.positions.tolist()}
    refused = {p for f in forced if not f.selected for p in f.positions.tolist()}
    clash = sorted(str(pool.candidate_ids[p]) for p in wanted & refused)
    return [
        Issue(
            "error",
            "selection.require_excluded",
            f"Candidate '{i}' is both required and excluded.",
            value=i,
        )
        for i in clash
    ]


def never_selectable(pool: Pool, rules: Sequence[Constraint]) -> dict[int, str]:
    """Return pool position to the reason a candidate can never be selected.

    Reasons: ``ineligible``, ``no marks``, then what a hard rule that decides candidates
    on its own says (``excluded``, ``merit below <floor>``).

    Examples
    --------
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.constraints import make_rule, seats_rule
    >>> from selection.model.pool import example_event, prepare_pool
    >>> pool = prepare_pool(*example_event(), SelectionConfig(per_group=2))
    >>> never_selectable(pool, [make_rule("exclude", ids=["c2"])])
    {6: 'ineligible', 1: 'excluded'}
    """
    out: dict[int, str] = {}
    for p in np.flatnonzero(~pool.selectable).tolist():
        out[p] = "ineligible" if not pool.eligible[p] else "no marks"
    for rule in rules:
        forced = None if rule.soft else rule.forced(pool)
        if forced is not None and not forced.selected:
            out.update({p: forced.why for p in forced.positions.tolist() if p not in out})
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
