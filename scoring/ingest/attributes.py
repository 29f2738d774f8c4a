"""Attribute values that rules count: spellings that would silently not count, and a census.

A rule such as "at least one woman in every group" counts the candidates whose ``gender``
is ``F``. A cell holding ``f``, ``Ж`` or ``female`` does not count, and nothing fails: the
delegation changes. So, for every candidate attribute a rule of ``[selection]`` uses:

- ``attribute.near_value`` (warning): a value that equals a value a rule counts up to case,
  spaces, accents or look-alike letters of another script (``f``, Cyrillic ``М`` for
  ``M``), or, for a rule that counts every value (``max_per``, ``distinct``), two values
  that read the same (``KEN`` / ``ken`` count as two countries);
- ``attribute.rare_value`` (warning): a value a rule counts is rare beside values no rule
  names: fewer cells hold it than hold such values together (when a rule names a single
  value, the commonest other value is taken as its expected complement, ``M`` beside
  ``F``), or no cell holds it at all;
- ``attribute.unknown_value`` (error): with ``[attributes.<name>] values = [...]``
  declared, a cell outside them, after ``aliases``. A declaration is the secretary's word
  on what the values are, so it replaces the two warnings for that attribute.

``[attributes.<name>] aliases`` are applied to the raw cells before any check
(:func:`scoring.ingest.spelling.alias_cells`). :func:`attribute_values` is the census that
``pitch-jury check`` prints: the distinct values of every such attribute with counts.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import config_from_mapping
>>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
...     "selection": {"constraints": [{"kind": "at_least", "name": "woman",
...                                    "attribute": "gender", "value": "F", "count": 1}]}})
>>> people = pd.DataFrame({"candidate_id": ["A", "B", "C"], "eligible": True,
...                        "gender": ["F", "f", "M"]})
>>> found = []
>>> check_attributes(people, np.array([2, 3, 4]), config, file="c.csv", sheet=None,
...                  report=found.append)
>>> [(i.code, i.row, i.value) for i in found]
[('attribute.near_value', 3, 'f')]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import CONFIG_NAME, EventConfig
from scoring.errors import Issue
from scoring.ingest.spelling import alias_hint, describe_difference, row_span, spelling_keys

__all__ = [
    "RuleUses",
    "attribute_config_issues",
    "attribute_values",
    "check_attributes",
    "rule_uses",
]

Report = Callable[[Issue], None]


@dataclass
class RuleUses:
    """How the rules use one attribute: the values each names, and the rules counting every
    value (``max_per`` or ``distinct`` without ``values``)."""

    named: dict[str, list[str]] = field(default_factory=dict)  # value -> rule labels
    every: list[str] = field(default_factory=list)  # rule labels
    where: dict[str, str] = field(default_factory=dict)  # value -> its key in event.toml

    def rules_of(self, value: str | None) -> list[str]:
        """Labels of the rules that count ``value`` (none for a missing value)."""
        if value is None:
            return []
        return [*self.named.get(value, []), *self.every]


def rule_uses(config: EventConfig) -> dict[str, RuleUses]:
    """Return, per candidate attribute a rule counts, how the rules use it.

    The fixed candidate columns (``group``, ``project``, ...) are left out: their spellings
    are checked as ids (``id.near_duplicate``).

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
    ...     "selection": {"constraints": [
    ...         {"kind": "at_least", "attribute": "gender", "value": "F", "count": 1},
    ...         {"kind": "max_per", "attribute": "country", "count": 2, "name": "two"}]}})
    >>> uses = rule_uses(config)
    >>> uses["gender"].named, uses["country"].every
    ({'F': ['selection.constraints[0]']}, ['two'])
    """
    uses: dict[str, RuleUses] = defaultdict(RuleUses)
    for index, spec in enumerate(config.selection.constraints):
        attribute = getattr(spec, "attribute", None)
        if attribute is None or attribute in col.CANDIDATE_COLUMNS:
            continue
        key = f"selection.constraints[{index}]"
        label = spec.name or key
        single = getattr(spec, "value", None)
        values = getattr(spec, "values", None)
        named = ([single] if single is not None else []) + list(values or ())
        use = uses[attribute]
        if not named:
            use.every.append(label)
        for value in named:
            use.named.setdefault(value, []).append(label)
            use.where.setdefault(value, f"{key}.{'value' if single is not None else 'values'}")
    return dict(uses)


def attribute_config_issues(config: EventConfig, columns: Sequence[str]) -> list[Issue]:
    """Return ``config.invalid`` errors: ``[attributes.<name>]`` naming no candidate column
    (``columns``), and rules counting a value its declared ``values`` do not list.

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
    ...     "attributes": {"gendr": {"values": ["F", "M"]}}})
    >>> [i.column for i in attribute_config_issues(config, ["candidate_id", "gender"])]
    ['attributes.gendr']
    """
    issues: list[Issue] = []
    attributes = [c for c in columns if c not in col.CANDIDATE_COLUMNS]
    for name in sorted(set(config.attributes) - set(columns)):
        issues.append(
            Issue(
                "error",
                "config.invalid",
                f"[attributes.{name}] names no column of the candidates (their attributes: "
                f"{', '.join(attributes) or 'none'}). Correct the name.",
                file=CONFIG_NAME,
                column=f"attributes.{name}",
                value=name,
            )
        )
    for attribute, use in sorted(rule_uses(config).items()):
        declared = config.attributes.get(attribute)
        if declared is None or declared.values is None:
            continue
        for value in sorted(set(use.named) - set(declared.values)):
            issues.append(
                Issue(
                    "error",
                    "config.invalid",
                    f"Rule {_rules(use.named[value])} counts {attribute} = '{value}', "
                    f"which is not one of [attributes.{attribute}] values "
                    f"({', '.join(declared.values)}). Correct the rule or the values.",
                    file=CONFIG_NAME,
                    column=use.where[value],
                    value=value,
                )
            )
    return issues


@dataclass(frozen=True)
class _Column:
    """One attribute column coded: per candidate its value's code (-1 blank)."""

    codes: np.ndarray
    values: np.ndarray  # distinct values
    counts: np.ndarray  # candidates per value

    @classmethod
    def of(cls, series: pd.Series) -> _Column:
        codes, values = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        values = np.asarray(values, dtype=object)
        counts = np.bincount(codes[codes >= 0], minlength=len(values))
        return cls(np.asarray(codes), values, counts)

    def rows(self, code: int, rows: np.ndarray) -> np.ndarray:
        return rows[self.codes == code]


def check_attributes(
    candidates: pd.DataFrame,
    rows: np.ndarray,
    config: EventConfig,
    *,
    file: str,
    sheet: str | None,
    report: Report,
) -> None:
    """Check the values of every attribute a rule uses or ``[attributes]`` declares.

    Parameters
    ----------
    candidates
        The clean candidates (aliases already applied); missing values are blank cells.
    rows
        The spreadsheet row of each candidate, aligned with ``candidates``.
    config
        The rules and the ``[attributes]`` declarations.
    file, sheet
        Where the candidates were read, for the issues.
    report
        Called with every issue (see the module docstring for the codes).
    """
    uses = rule_uses(config)
    for attribute in sorted(set(uses) | set(config.attributes)):
        if attribute not in candidates.columns:
            continue  # the selection names a rule's missing column; [attributes] above
        column = _Column.of(candidates[attribute])
        declared = config.attributes.get(attribute)
        where = {"file": file, "sheet": sheet, "column": attribute}
        if declared is not None and declared.values is not None:
            _unknown_values(attribute, column, declared.values, rows, where, report)
            continue
        use = uses.get(attribute)
        if use is None:
            continue
        near = _near_values(attribute, column, use, rows, where, report)
        _rare_values(attribute, column, use, near, rows, where, report)


def _unknown_values(
    attribute: str,
    column: _Column,
    declared: Sequence[str],
    rows: np.ndarray,
    where: dict[str, str | None],
    report: Report,
) -> None:
    allowed = set(declared)
    for code in np.flatnonzero(column.counts > 0).tolist():
        value = str(column.values[code])
        if value in allowed:
            continue
        at = column.rows(code, rows)
        report(
            Issue(
                "error",
                "attribute.unknown_value",
                f"{attribute} '{value}' ({row_span(at)}) is not one of the values declared in "
                f"[attributes.{attribute}] ({', '.join(declared)}). Correct the cells, add "
                f"the value to values, or map it to one: "
                f"{alias_hint(f'attributes.{attribute}', 'aliases', value, declared[0])}.",
                row=int(at[0]),
                value=value,
                **where,
            )
        )


def _near_values(
    attribute: str,
    column: _Column,
    use: RuleUses,
    rows: np.ndarray,
    where: dict[str, str | None],
    report: Report,
) -> set[int]:
    """Report values spelt like a counted value (or like each other, when a rule counts
    every value); return their codes."""
    present = np.flatnonzero(column.counts > 0)
    named = list(use.named)
    keys = spelling_keys(column.values[present]) if len(present) else np.array([], dtype=object)
    named_keys = dict(zip(spelling_keys(np.array(named, dtype=object)), named, strict=True))
    reported: set[int] = set()
    for code, key in zip(present.tolist(), keys.tolist(), strict=True):
        value = str(column.values[code])
        target = named_keys.get(key)
        if target is None or target == value or not key:
            continue
        at = column.rows(code, rows)
        report(
            Issue(
                "warning",
                "attribute.near_value",
                f"{attribute} '{value}' ({row_span(at)}) and '{target}', which rule "
                f"{_rules(use.named[target])} counts, {describe_difference(target, value)}: "
                f"these candidates do not count for the rule. Write '{target}', or declare "
                f"{alias_hint(f'attributes.{attribute}', 'aliases', value, target)}.",
                row=int(at[0]),
                value=value,
                **where,
            )
        )
        reported.add(code)
    if use.every:
        by_key: dict[str, list[int]] = defaultdict(list)
        for code, key in zip(present.tolist(), keys.tolist(), strict=True):
            if key and code not in reported and key not in named_keys:
                by_key[key].append(code)
        for key in sorted(by_key):
            same = sorted(by_key[key], key=lambda c: (-column.counts[c], str(column.values[c])))
            if len(same) < 2:
                continue
            first, other = str(column.values[same[0]]), str(column.values[same[1]])
            at = column.rows(same[1], rows)
            shown = " and ".join(
                f"'{column.values[c]}' ({row_span(column.rows(c, rows))})" for c in same
            )
            report(
                Issue(
                    "warning",
                    "attribute.near_value",
                    f"{attribute} {shown} {describe_difference(first, other)}, but rule "
                    f"{_rules(use.every)} counts them as different values. Write them "
                    "identically, or declare "
                    f"{alias_hint(f'attributes.{attribute}', 'aliases', other, first)}.",
                    row=int(at[0]),
                    value=other,
                    **where,
                )
            )
            reported.update(same)
    return reported


def _rare_values(
    attribute: str,
    column: _Column,
    use: RuleUses,
    near: set[int],
    rows: np.ndarray,
    where: dict[str, str | None],
    report: Report,
) -> None:
    if not use.named:
        return
    index = {str(v): c for c, v in enumerate(column.values)}
    unnamed = [
        c
        for c in np.flatnonzero(column.counts > 0).tolist()
        if str(column.values[c]) not in use.named and c not in near
    ]
    unnamed.sort(key=lambda c: (-column.counts[c], str(column.values[c])))
    if len(use.named) == 1 and unnamed:
        unnamed = unnamed[1:]  # the expected complement: M beside a rule on F
    others = int(column.counts[unnamed].sum()) if unnamed else 0
    shown = ", ".join(
        f"'{column.values[c]}' ×{column.counts[c]} ({row_span(column.rows(c, rows), 3)})"
        for c in unnamed[:6]
    ) + (f" and {len(unnamed) - 6} more" if len(unnamed) > 6 else "")
    for value, labels in sorted(use.named.items()):
        code = index.get(value)
        n_cells = int(column.counts[code]) if code is not None else 0
        if n_cells > 0 and n_cells >= others:
            continue
        if n_cells == 0:
            detail = "no candidate has it" + (f"; other values: {shown}" if unnamed else "")
        else:
            detail = (
                f"{n_cells} candidate(s) have it, fewer than hold values no rule names: {shown}"
            )
        section = f"attributes.{attribute}"
        example = alias_hint(section, "aliases", _example(column, unnamed, value), value)
        confirm = ", ".join(_quoted(v) for v in _all_values(column, use))
        report(
            Issue(
                "warning",
                "attribute.rare_value",
                f"Rule {_rules(labels)} counts {attribute} = '{value}', but {detail}. If "
                f"some of them mean '{value}', write '{value}' or map them, e.g. {example}; "
                f"if they are other values, confirm them: [{section}] values = [{confirm}].",
                row=int(column.rows(code, rows)[0]) if code is not None and n_cells else None,
                value=value,
                **where,
            )
        )


def _rules(labels: Sequence[str]) -> str:
    return ", ".join(f"'{label}'" for label in labels)


def _example(column: _Column, unnamed: list[int], value: str) -> str:
    return str(column.values[unnamed[0]]) if unnamed else value + "?"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _all_values(column: _Column, use: RuleUses) -> list[str]:
    seen = [str(v) for c, v in enumerate(column.values) if column.counts[c] > 0]
    return sorted(set(seen) | set(use.named))


def attribute_values(candidates: pd.DataFrame, config: EventConfig) -> pd.DataFrame:
    """Return the distinct values of every attribute a rule uses or ``[attributes]``
    declares, with counts: the census ``pitch-jury check`` prints.

    Parameters
    ----------
    candidates
        Clean candidates (:attr:`scoring.event.Event.candidates`).
    config
        The rules and declarations.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`scoring.columns.ATTRIBUTE_VALUE_COLUMNS`: ``attribute``, ``value``
        (missing for blank cells, which no rule counts), ``n_candidates``, ``n_eligible``
        and ``rule``, the labels of the rules counting the value (``"; "``-joined, empty
        when none does). Sorted by ``attribute``, then ``value`` with blanks last. An
        attribute the candidates lack has no rows.

    Examples
    --------
    >>> from scoring.config import config_from_mapping
    >>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
    ...     "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
    ...     "selection": {"constraints": [{"kind": "at_least", "name": "woman",
    ...                                    "attribute": "gender", "value": "F", "count": 1}]}})
    >>> people = pd.DataFrame({"candidate_id": list("ABCD"), "eligible": [True, True, False, True],
    ...                        "gender": ["F", "Ж", "F", None]})
    >>> census = attribute_values(people, config)
    >>> census.drop(columns="attribute").values.tolist()
    [['F', 2, 1, 'woman'], ['Ж', 1, 1, ''], [nan, 1, 1, '']]
    """
    uses = rule_uses(config)
    records: list[tuple[str, str | None, int, int, str]] = []
    eligible = (
        candidates[col.ELIGIBLE].to_numpy(dtype=bool)
        if col.ELIGIBLE in candidates.columns
        else np.ones(len(candidates), dtype=bool)
    )
    for attribute in sorted(set(uses) | set(config.attributes)):
        if attribute not in candidates.columns:
            continue
        column = _Column.of(candidates[attribute])
        n_eligible = np.bincount(
            column.codes + 1, weights=eligible, minlength=len(column.values) + 1
        )
        use = uses.get(attribute, RuleUses())
        order = sorted(range(len(column.values)), key=lambda c: str(column.values[c]))
        for code in order:
            value = str(column.values[code])
            labels = use.rules_of(value)
            records.append(
                (
                    attribute,
                    value,
                    int(column.counts[code]),
                    int(n_eligible[code + 1]),
                    "; ".join(labels),
                )
            )
        blank = int((column.codes < 0).sum())
        if blank:
            records.append((attribute, None, blank, int(n_eligible[0]), ""))
    frame = pd.DataFrame.from_records(records, columns=list(col.ATTRIBUTE_VALUE_COLUMNS))
    return frame.astype(
        {
            col.ATTRIBUTE: "str",
            col.VALUE: "str",
            col.N_CANDIDATES: "int64",
            col.N_ELIGIBLE: "int64",
            col.RULE: "str",
        }
    )
