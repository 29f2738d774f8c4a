"""What-if: rerun an event with a changed rule, an excluded juror or a withdrawn candidate.

A what-if file (TOML) says what changes; :func:`load_what_if` reads and validates it,
:func:`apply_what_if` returns a changed copy of the event (the input event is never modified),
:func:`run_what_if` runs both events with :func:`selection.pipeline.run_event` and
:func:`compare_delegations` lists who joins and who leaves the delegation, with reasons.
``pitch-jury run EVENT --what-if FILE`` does the same from the command line. :func:`sensitivity`
(from :mod:`selection.uncertainty.sensitivity`) reruns under every scoring method.

The what-if file::

    name = "no country rule, without J8"
    exclude_jurors = ["J8"]          # their marks are removed before scoring
    withdraw = ["AF-05"]             # these candidates become ineligible
    remove_rules = ["two per country"]   # by the rule's name (or its description)
    [[add_rules]]                    # the keys of [[selection.constraints]]
    kind = "at_least"
    attribute = "country"
    value = "BRA"
    count = 1
    scope = "all"
    [selection]                      # optional overrides
    per_group = 3
    seed = 7

Examples
--------
>>> what_if = WhatIf(name="no J8", exclude_jurors=["J8"])
>>> what_if.exclude_jurors, what_if.withdraw
(('J8',), ())
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, PrivateAttr, ValidationError

from scoring.config import ConstraintSpec, FrozenModel, SelectionConfig, config_issue
from scoring.errors import InvalidEventError, Issue
from scoring.event import Event
from scoring.pipeline import score_event
from selection import columns as col
from selection.analysis.explain import REASONS
from selection.analysis.reserves import Replacements
from selection.facade import SelectionResult, rules_from_config
from selection.model.constraints import rule_from_spec
from selection.model.pool import prepare_pool
from selection.model.selection import Selection
from selection.pipeline import run_event
from selection.result import RunResult
from selection.uncertainty.sensitivity import SensitivityResult, selected_column, sensitivity

__all__ = [
    "ISSUE_CODES",
    "SelectionOverrides",
    "SensitivityResult",
    "WhatIf",
    "WhatIfResult",
    "apply_what_if",
    "compare_delegations",
    "load_what_if",
    "run_what_if",
    "selected_column",
    "sensitivity",
]

ISSUE_CODES: dict[str, str] = {
    "whatif.missing_file": "The what-if file does not exist.",
    "whatif.bad_toml": "The what-if file is not valid TOML.",
    "whatif.invalid": "A key of the what-if file is unknown or its value is not allowed.",
    "whatif.unknown_juror": "A juror to exclude is not a juror of the event.",
    "whatif.unknown_candidate": "A candidate to withdraw is not a candidate of the event.",
    "whatif.unknown_rule": "A rule to remove is not a rule of the event.",
    "whatif.invalid_rule": "A rule to add cannot be used with this event.",
    "whatif.keep_without_withdraw": "keep_delegation = true needs someone to withdraw.",
}
"""Every error code of a what-if file, with its meaning."""


class SelectionOverrides(FrozenModel):
    """``[selection]`` of a what-if file: settings replacing the event's."""

    per_group: int | None = Field(default=None, ge=1, description="Representatives per group.")
    seats: dict[str, int] | None = Field(default=None, description="Per-group seats.")
    seed: int | None = Field(default=None, ge=0, description="Seed for tie-breaks and lotteries.")


class WhatIf(FrozenModel):
    """One what-if scenario, as read from a what-if TOML file.

    Examples
    --------
    >>> WhatIf.model_validate({"name": "x", "remove_rules": ["one per project"]}).remove_rules
    ('one per project',)
    """

    name: str = Field(default="what-if", min_length=1, description="Name shown in reports.")
    exclude_jurors: tuple[str, ...] = Field(
        default=(), description="Jurors whose marks are removed before scoring."
    )
    withdraw: tuple[str, ...] = Field(
        default=(), description="Candidates withdrawn (made ineligible)."
    )
    remove_rules: tuple[str, ...] = Field(
        default=(), description="Rules removed, by name (or description when unnamed)."
    )
    add_rules: tuple[ConstraintSpec, ...] = Field(
        default=(), description="Rules added, with the keys of [[selection.constraints]]."
    )
    selection: SelectionOverrides | None = None
    keep_delegation: bool = Field(
        default=False,
        description="With withdraw: the delegation was announced, so everyone else stays "
        "and the smallest change fills the seats (the named reserves' question); without "
        "it the delegation is chosen again under every rule.",
    )
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """Name of the file the scenario was read from (``None`` when built in Python)."""
        return self._source


def _location(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _value_at(data: Any, loc: Sequence[int | str]) -> str | None:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return None if isinstance(data, dict | list) else str(data)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return (
            "Unknown key; a what-if file has the keys "
            f"{', '.join(WhatIf.model_fields)} (check the spelling)."
        )
    return f"{error['msg']}; fix the value."


def _issue(error: Any, data: Any, file: str) -> Issue:
    """One validation error of a what-if file, located; inside a rule, named by its kind."""
    if error["loc"][:1] == ("add_rules",):
        issue = config_issue(error, file)
        return dataclasses.replace(issue, code="whatif.invalid")
    return Issue(
        "error",
        "whatif.invalid",
        _message(error),
        file=file,
        column=_location(error["loc"]),
        value=_value_at(data, error["loc"]),
    )


def load_what_if(path: str | Path) -> WhatIf:
    """Read and validate a what-if file.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    WhatIf
        The scenario; its ``source`` is the file name.

    Raises
    ------
    InvalidEventError
        The file is missing, is not TOML or has unknown keys or bad values: one issue per
        problem (code ``whatif.missing_file``, ``whatif.bad_toml`` or ``whatif.invalid``),
        located by file, key (``column``) and value.

    Examples
    --------
    >>> what_if = load_what_if("examples/event/what_if.toml")
    >>> what_if.source, what_if.exclude_jurors
    ('what_if.toml', ('J8',))
    """
    file = Path(path)
    if not file.is_file():
        raise InvalidEventError(
            [
                Issue(
                    "error",
                    "whatif.missing_file",
                    "The what-if file does not exist; check the path.",
                    file=str(file),
                )
            ]
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidEventError(
            [
                Issue(
                    "error",
                    "whatif.bad_toml",
                    f"The what-if file is not valid TOML: {error}. Fix the line shown.",
                    file=file.name,
                )
            ]
        ) from None
    try:
        what_if = WhatIf.model_validate(data)
    except ValidationError as error:
        raise InvalidEventError([_issue(e, data, file.name) for e in error.errors()]) from None
    what_if._source = file.name
    return what_if


def _rule_names(spec: ConstraintSpec) -> set[str]:
    rule = rule_from_spec(spec)
    names = {rule.label, rule.describe()}
    return names | ({spec.name} if spec.name else set())


def _check(event: Event, what_if: WhatIf) -> None:
    source = what_if.source
    issues: list[Issue] = []
    jurors = set(event.jurors[col.JUROR_ID].astype(str)) | set(
        event.scores[col.JUROR_ID].astype(str)
    )
    candidates = set(event.candidates[col.CANDIDATE_ID].astype(str))
    rules = [_rule_names(spec) for spec in event.config.selection.constraints]
    labels = sorted(rule_from_spec(s).label for s in event.config.selection.constraints)
    checks = (
        ("exclude_jurors", what_if.exclude_jurors, jurors, "juror", "unknown_juror"),
        ("withdraw", what_if.withdraw, candidates, "candidate", "unknown_candidate"),
    )
    for key, values, known, noun, code in checks:
        issues += [
            Issue(
                "error",
                f"whatif.{code}",
                f"No {noun} has the id '{value}'; use an id of the event.",
                file=source,
                column=f"{key}[{i}]",
                value=value,
            )
            for i, value in enumerate(values)
            if value not in known
        ]
    if what_if.keep_delegation and not what_if.withdraw:
        issues.append(
            Issue(
                "error",
                "whatif.keep_without_withdraw",
                "keep_delegation = true keeps the announced delegation when someone "
                "withdraws; add withdraw = [...] or remove keep_delegation.",
                file=source,
                column="keep_delegation",
                value="true",
            )
        )
    for i, name in enumerate(what_if.remove_rules):
        if not any(name in names for names in rules):
            issues.append(
                Issue(
                    "error",
                    "whatif.unknown_rule",
                    f"No rule of the event is called '{name}'; the rules are: "
                    f"{', '.join(repr(label) for label in labels) or 'none'} (the seats rule "
                    "cannot be removed; use [selection] per_group).",
                    file=source,
                    column=f"remove_rules[{i}]",
                    value=name,
                )
            )
    pool = prepare_pool(
        event.candidates,
        pd.DataFrame({col.CANDIDATE_ID: event.candidates[col.CANDIDATE_ID], col.MERIT: 0.0}),
        event.config.selection,
    )
    for i, spec in enumerate(what_if.add_rules):
        problems = rule_from_spec(spec).problems(pool)
        issues += [
            Issue(
                "error",
                "whatif.invalid_rule",
                f"rule to add {i + 1}: {p}",
                file=source,
                column=f"add_rules[{i}]",
            )
            for p in problems
        ]
    if issues:
        raise InvalidEventError(issues)


def _selection_config(config: SelectionConfig, what_if: WhatIf) -> SelectionConfig:
    removed = set(what_if.remove_rules)
    kept = tuple(s for s in config.constraints if not (_rule_names(s) & removed))
    update: dict[str, Any] = {"constraints": kept + tuple(what_if.add_rules)}
    if what_if.selection is not None:
        update |= what_if.selection.model_dump(exclude_none=True)
    return SelectionConfig.model_validate(config.model_dump() | update)


def apply_what_if(event: Event, what_if: WhatIf) -> Event:
    """Return a copy of ``event`` changed as ``what_if`` says.

    Excluding a juror removes their marks (and their row and declared conflicts);
    withdrawing a candidate sets ``eligible`` to false; rules are removed by name (or
    description) and added; ``[selection]`` overrides replace the event's settings. The
    input event is not modified.

    Parameters
    ----------
    event
        A validated event.
    what_if
        The scenario.

    Returns
    -------
    Event
        The changed event.

    Raises
    ------
    InvalidEventError
        Unknown jurors, candidates or rules, or rules to add that cannot be used (codes
        ``whatif.unknown_juror``, ``whatif.unknown_candidate``, ``whatif.unknown_rule``,
        ``whatif.invalid_rule``), located by the what-if file, key and value.

    Examples
    --------
    >>> from scoring.ingest.load import load_event
    >>> event = load_event("examples/event")
    >>> changed = apply_what_if(event, WhatIf(exclude_jurors=["J8"], withdraw=["AF-05"]))
    >>> marks_of_j8 = [int((e.scores["juror_id"] == "J8").sum()) for e in (changed, event)]
    >>> marks_of_j8
    [0, 176]
    >>> bool(changed.candidates.set_index("candidate_id").loc["AF-05", "eligible"])
    False
    """
    _check(event, what_if)
    dropped = set(what_if.exclude_jurors)
    scores = event.scores[~event.scores[col.JUROR_ID].isin(dropped)].reset_index(drop=True)
    jurors = event.jurors[~event.jurors[col.JUROR_ID].isin(dropped)].reset_index(drop=True)
    conflicts = event.conflicts
    if col.JUROR_ID in conflicts.columns:
        conflicts = conflicts[~conflicts[col.JUROR_ID].isin(dropped)].reset_index(drop=True)
    candidates = event.candidates
    if what_if.withdraw:
        withdrawn = candidates[col.CANDIDATE_ID].isin(set(what_if.withdraw))
        eligible = candidates[col.ELIGIBLE].astype(bool) & ~withdrawn
        candidates = candidates.assign(**{col.ELIGIBLE: eligible})
    changed = replace(
        event, scores=scores, jurors=jurors, conflicts=conflicts, candidates=candidates
    )
    return changed.with_selection(_selection_config(event.config.selection, what_if))


def _statuses(result: SelectionResult) -> pd.DataFrame:
    frame = result.ranking[[col.CANDIDATE_ID, col.STATUS, col.REASON, col.MERIT]]
    return frame.astype({col.CANDIDATE_ID: "str"}).set_index(col.CANDIDATE_ID)


def compare_delegations(
    before: SelectionResult, after: SelectionResult, *, candidates: pd.DataFrame
) -> pd.DataFrame:
    """List the candidates who join or leave the delegation between two selections.

    Parameters
    ----------
    before, after
        The two selections.
    candidates
        ``candidate_id, name, group`` (for names and groups). Not modified.

    Returns
    -------
    pandas.DataFrame
        :data:`scoring.columns.DIFF_COLUMNS`: ``group, candidate_id, name, change``
        (``joined`` or ``left``), ``before_status, after_status`` (see
        :data:`selection.analysis.explain.STATUSES`), ``reason`` (for a joiner, their reason code in
        ``after``; for a leaver, ``"<before code> -> <after code>"``) and ``merit_before,
        merit_after``. Sorted by group, change (joined first) and candidate id; empty when
        the delegations are the same.

    Examples
    --------
    >>> from selection.model.pool import example_event
    >>> from selection.facade import select
    >>> cands, merit = example_event()
    >>> one = select(cands, merit, SelectionConfig(per_group=2))
    >>> two = select(cands, merit, SelectionConfig(per_group=2, constraints=[
    ...     {"kind": "max_per", "attribute": "project"}]))
    >>> compare_delegations(one, two, candidates=cands)[["candidate_id", "change", "reason"]]
      candidate_id  change                               reason
    0           c3  joined                        selected.rule
    1           c2    left  selected.merit -> not_selected.rule
    """
    was, now = _statuses(before), _statuses(after)
    ids_before = set(before.delegation[col.CANDIDATE_ID].astype(str))
    ids_after = set(after.delegation[col.CANDIDATE_ID].astype(str))
    people = candidates[[col.CANDIDATE_ID, col.NAME, col.GROUP]].astype({col.CANDIDATE_ID: "str"})
    people = people.set_index(col.CANDIDATE_ID)
    records = []
    for change, ids in (("joined", ids_after - ids_before), ("left", ids_before - ids_after)):
        for cid in ids:
            old = was.loc[cid] if cid in was.index else None
            new = now.loc[cid] if cid in now.index else None
            old_reason = "" if old is None else str(old[col.REASON])
            new_reason = "" if new is None else str(new[col.REASON])
            records.append(
                {
                    col.GROUP: people.loc[cid, col.GROUP],
                    col.CANDIDATE_ID: cid,
                    col.NAME: people.loc[cid, col.NAME],
                    col.CHANGE: change,
                    col.BEFORE_STATUS: None if old is None else str(old[col.STATUS]),
                    col.AFTER_STATUS: None if new is None else str(new[col.STATUS]),
                    col.REASON: new_reason
                    if change == "joined"
                    else f"{old_reason} -> {new_reason}",
                    col.MERIT_BEFORE: None if old is None else old[col.MERIT],
                    col.MERIT_AFTER: None if new is None else new[col.MERIT],
                }
            )
    frame = pd.DataFrame.from_records(records, columns=list(col.DIFF_COLUMNS)).astype(
        {c: col.COLUMN_DTYPES.get(c, "str") for c in col.DIFF_COLUMNS}
    )
    return frame.sort_values(
        [col.GROUP, col.CHANGE, col.CANDIDATE_ID], ascending=True, ignore_index=True
    )


def _keep(
    changed: Event, before: RunResult, what_if: WhatIf, *, seed: int | None, solver: str | None
) -> RunResult:
    """The run after the withdrawals when the announced delegation is kept: everyone else
    stays as far as the rules allow (:class:`selection.analysis.reserves.Replacements`)."""
    config = changed.config.selection
    merit = score_event(changed, diagnostics=False).merit
    pool = prepare_pool(changed.candidates, merit, config, seed=seed)
    rules = rules_from_config(config, pool)
    announced = before.selection.delegation[col.CANDIDATE_ID].astype(str).tolist()
    delegation = Selection.from_ids(pool, announced)
    out = [pool.position(i) for i in what_if.withdraw if i in set(announced)]
    after = Replacements(delegation, rules, solver=solver or config.solver).after(out)
    if after is None:
        return run_event(changed, seed=seed, solver=solver)  # infeasible: shown as such
    ids = [str(i) for i in pool.candidate_ids[after]]
    reasons = {i: "selected.kept" if i in set(announced) else "selected.replacement" for i in ids}
    return run_event(
        changed,
        seed=seed,
        solver=solver,
        given=ids,
        given_reasons=reasons,
        given_note=f"Delegation kept after {', '.join(what_if.withdraw)} withdrew",
    )


def _cause(row: pd.Series, what_if: WhatIf, substitutes: dict[str, str]) -> str:
    """Plain words for one change, naming the scenario's part that explains it when clear."""
    who = f"{row[col.NAME]} ({row[col.CANDIDATE_ID]})"
    if row[col.CHANGE] == "left":
        if row[col.CANDIDATE_ID] in what_if.withdraw:
            named = substitutes.get(str(row[col.CANDIDATE_ID]), "")
            return f"{who} left: withdrawn" + (f" (named reserve: {named})." if named else ".")
        before, _, after = str(row[col.REASON]).partition(" -> ")
        return (
            f"{who} left: before, {REASONS.get(before, before)}; now, {REASONS.get(after, after)}."
        )
    reason = str(row[col.REASON])
    if reason == "selected.replacement":
        gone = ", ".join(what_if.withdraw)
        return f"{who} joined: steps in after {gone} withdrew; everyone else stays."
    return f"{who} joined: {REASONS.get(reason, reason)}."


@dataclass(frozen=True, eq=False)
class WhatIfResult:
    """A scenario, the runs before and after it, and the difference in the delegation.

    Attributes
    ----------
    what_if
        The scenario.
    before, after
        :class:`selection.pipeline.RunResult` of the event as given and as changed.
    diff
        :func:`compare_delegations` of the two (:data:`scoring.columns.DIFF_COLUMNS`).
    """

    what_if: WhatIf
    before: RunResult
    after: RunResult
    diff: pd.DataFrame

    def describe(self) -> str:
        """Return the scenario and the changes in the delegation, in plain words."""
        w = self.what_if
        parts = [
            f"excluding juror(s) {', '.join(w.exclude_jurors)}" if w.exclude_jurors else "",
            f"withdrawing {', '.join(w.withdraw)}" if w.withdraw else "",
            f"without the rule(s) {', '.join(repr(r) for r in w.remove_rules)}"
            if w.remove_rules
            else "",
            f"with {len(w.add_rules)} added rule(s)" if w.add_rules else "",
            "with changed [selection] settings" if w.selection is not None else "",
        ]
        what = "; ".join(p for p in parts if p) or "no change"
        lines = [f"What-if '{w.name}': {what}."]
        if self.after.status == "infeasible":
            infeasibility = self.after.selection.infeasibility
            detail = "" if infeasibility is None else " " + infeasibility.describe()
            lines.append(f"No delegation satisfies every rule after the change.{detail}")
            return "\n".join(lines)
        if self.diff.empty:
            lines.append("The delegation does not change.")
            return "\n".join(lines)
        delegation = self.before.selection.delegation
        substitutes = dict(
            zip(
                delegation[col.CANDIDATE_ID].astype(str),
                delegation[col.RESERVE_ID].fillna("").astype(str),
                strict=True,
            )
        )
        for group, rows in self.diff.groupby(col.GROUP, sort=True):
            lines.append(f"{group}:")
            lines += [f"  {_cause(row, w, substitutes)}" for _, row in rows.iterrows()]
        if w.keep_delegation:
            lines.append(
                "The announced delegation is kept: only the withdrawn seats change, as far "
                "as the rules allow, the same answer as the named reserves."
            )
        elif w.withdraw and any(substitutes.get(i) for i in w.withdraw):
            lines.append(
                "The delegation is chosen again under every rule, so it may differ from "
                "swapping in the named reserve when another change keeps more merit."
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario, both runs' delegations and the difference as JSON-able data."""
        return {
            "what_if": self.what_if.model_dump(mode="json"),
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "diff": [
                {k: (None if pd.isna(v) else v) for k, v in r.items()}
                for r in self.diff.astype(object).to_dict(orient="records")
            ],
            "description": self.describe(),
        }


def run_what_if(
    event: Event,
    what_if: WhatIf,
    *,
    before: RunResult | None = None,
    seed: int | None = None,
    solver: str | None = None,
) -> WhatIfResult:
    """Run ``event`` as given and as changed by ``what_if``, and compare the delegations.

    Parameters
    ----------
    event
        A validated event. Not modified.
    what_if
        The scenario (:func:`load_what_if` or built in Python).
    before
        An existing run of ``event`` to reuse instead of running it again.
    seed, solver
        Passed to both runs (a ``[selection] seed`` of the scenario wins for the changed
        run).

    Returns
    -------
    WhatIfResult
        Both runs and the difference.

    Raises
    ------
    InvalidEventError
        The scenario does not fit the event (see :func:`apply_what_if`).

    Examples
    --------
    >>> from scoring.ingest.load import load_event
    >>> event = load_event("examples/event")
    >>> result = run_what_if(event, WhatIf(withdraw=["AF-01"]))
    >>> print(result.describe())  # doctest: +NORMALIZE_WHITESPACE
    What-if 'what-if': withdrawing AF-01.
    Africa:
      يوسف الشريف (AF-02) joined: selected on merit: whichever rules are left out, they keep
      their seat.
      محمد عبد الرحمن (AF-01) left: withdrawn (named reserve: AF-02).
    The delegation is chosen again under every rule, so it may differ from swapping in the
    named reserve when another change keeps more merit.
    """
    changed = apply_what_if(event, what_if)
    first = before if before is not None else run_event(event, seed=seed, solver=solver)
    own_seed = what_if.selection.seed if what_if.selection is not None else None
    seed = own_seed if own_seed is not None else seed
    if what_if.keep_delegation:
        second = _keep(changed, first, what_if, seed=seed, solver=solver)
    else:
        second = run_event(changed, seed=seed, solver=solver)
    diff = compare_delegations(first.selection, second.selection, candidates=changed.candidates)
    return WhatIfResult(what_if=what_if, before=first, after=second, diff=diff)
