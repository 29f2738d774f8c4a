"""Leave out marks given under a conflict of interest, before anything else sees them.

Two kinds of rule exclude a juror's marks on a target:

- **declared conflicts** (``juror_id, conflict_id, kind``): a conflict with a *candidate*
  excludes the juror's marks on that candidate and on the candidate's project; with a
  *project*, the marks on the project and on each of its members; with a *group*, the
  marks on every candidate and project of the group;
- **attribute rules** (``[scoring] conflicts = ["university"]``): a juror never scores a
  target sharing that attribute. A candidate target shares it when the candidate has the
  juror's value; a project target when any member has it. Values are compared as text,
  ignoring case and surrounding spaces; missing values never match.

Every excluded mark is reported once, with every rule that hit it; a declared conflict that
excludes no mark is reported as a warning (``conflicts.unmatched``), with the id it probably
meant when it names nobody. (Validation already refuses a declared conflict that names no
candidate, project or group, ``conflict.unknown``: this warning then only says that the
juror gave no mark the conflict concerns, unless the frames were built by hand.)

Examples
--------
>>> import pandas as pd
>>> cands = pd.DataFrame({"candidate_id": ["A", "B"], "group": "G", "project": pd.NA,
...                       "university": ["MSU", "HSE"]})
>>> jurors = pd.DataFrame({"juror_id": ["J1"], "university": ["msu"]})
>>> marks = pd.DataFrame({"juror_id": "J1", "target_id": ["A", "B"],
...                       "criterion": "pitch", "score": [9.0, 6.0]})
>>> none = pd.DataFrame(columns=["juror_id", "conflict_id", "kind"])
>>> result = exclude_conflicts(marks, cands, jurors, none, attributes=["university"])
>>> result.exclusions[["juror_id", "target_id", "reason", "rule"]]
  juror_id target_id     reason        rule
0       J1         A  attribute  university
>>> result.scores["target_id"].tolist()
['B']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.errors import Issue
from scoring.frames import empty_frame
from scoring.ingest.marks import MarkIndex, index_marks
from scoring.ingest.spelling import ConflictHint

__all__ = ["ConflictResult", "attribute_key", "exclude_conflicts", "target_members"]

_MEMBER_COLUMN = {"candidate": col.CANDIDATE_ID, "project": col.PROJECT, "group": col.GROUP}
_CONFLICT_ROW = "_conflict_row"


@dataclass(frozen=True)
class ConflictResult:
    """Marks kept after conflicts of interest, the exclusions and the warnings.

    Attributes
    ----------
    index
        The kept marks, indexed (pass it on to the next step).
    exclusions
        One row per excluded mark, columns :data:`scoring.columns.EXCLUSION_COLUMNS`:
        the mark (``juror_id, target_id, criterion, score, source_row``), ``reason``
        (``declared`` and/or ``attribute``), ``rule`` (``candidate C3``, ``project P1``,
        ``group G2`` or the attribute name) and ``detail`` (a sentence), several rules
        joined by ``"; "``. Sorted by ``juror_id, target_id, criterion``.
    issues
        ``conflicts.unmatched`` and ``conflicts.attribute_missing`` warnings.
    """

    index: MarkIndex
    exclusions: pd.DataFrame
    issues: tuple[Issue, ...]

    @property
    def scores(self) -> pd.DataFrame:
        """The kept marks, in canonical order."""
        return self.index.marks


def target_members(candidates: pd.DataFrame) -> pd.DataFrame:
    """List which candidates each target stands for.

    A candidate is a member of the target with its own id (candidate-level marks, or a
    solo project) and, when it has one, of its project's target.

    Parameters
    ----------
    candidates
        ``candidate_id, group, project`` and any attribute columns.

    Returns
    -------
    pandas.DataFrame
        ``target_id`` then every candidate column, one row per (target, member), sorted
        by ``target_id, candidate_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> cands = pd.DataFrame({"candidate_id": ["A", "B"], "group": "G",
    ...                       "project": ["P", pd.NA]})
    >>> target_members(cands)[["target_id", "candidate_id"]]
      target_id candidate_id
    0         A            A
    1         B            B
    2         P            A
    """
    own = candidates.assign(**{col.TARGET_ID: candidates[col.CANDIDATE_ID]})
    in_project = candidates.loc[candidates[col.PROJECT].notna()]
    projects = in_project.assign(**{col.TARGET_ID: in_project[col.PROJECT]})
    members = pd.concat([own, projects], ignore_index=True)
    members = members[[col.TARGET_ID, *candidates.columns]]
    members = members.drop_duplicates([col.TARGET_ID, col.CANDIDATE_ID])
    return members.sort_values([col.TARGET_ID, col.CANDIDATE_ID], ignore_index=True)


def attribute_key(values: pd.Series) -> pd.Series:
    """Return attribute values as comparison keys: text, stripped, case-folded.

    Missing values stay missing.

    Examples
    --------
    >>> import pandas as pd
    >>> attribute_key(pd.Series([" Russia", "RUSSIA", None])).tolist()
    ['russia', 'russia', nan]
    """
    text = values.astype("str")
    return text.str.strip().str.casefold().where(values.notna())


def exclude_conflicts(
    scores: pd.DataFrame | MarkIndex,
    candidates: pd.DataFrame,
    jurors: pd.DataFrame,
    conflicts: pd.DataFrame,
    *,
    attributes: Sequence[str] = (),
    source: str | None = None,
) -> ConflictResult:
    """Remove every mark a juror gave under a conflict of interest.

    See the module docstring for which targets each rule covers.

    Parameters
    ----------
    scores
        Marks ``juror_id, target_id, criterion, score`` (``source_row`` optional), or
        their index.
    candidates
        Candidates with ``candidate_id, group, project`` and attribute columns.
    jurors
        Jurors with ``juror_id`` and attribute columns.
    conflicts
        Declared conflicts ``juror_id, conflict_id, kind``.
    attributes
        Attribute rules: a juror never scores a target sharing any of these attributes.
    source
        File the conflicts were declared in, used to locate warnings.

    Returns
    -------
    ConflictResult
        Kept marks, exclusions frame and warnings.

    Examples
    --------
    >>> import pandas as pd
    >>> cands = pd.DataFrame({"candidate_id": ["A", "B"], "group": "G",
    ...                       "project": ["P", "P"]})
    >>> marks = pd.DataFrame({"juror_id": "J1", "target_id": ["P", "A"],
    ...                       "criterion": ["idea", "talk"], "score": [7.0, 8.0]})
    >>> declared = pd.DataFrame({"juror_id": ["J1", "J1"], "conflict_id": ["B", "X"],
    ...                          "kind": ["candidate", "group"]})
    >>> result = exclude_conflicts(marks, cands, pd.DataFrame({"juror_id": ["J1"]}),
    ...                            declared)
    >>> result.exclusions[["target_id", "rule"]]
      target_id         rule
    0         P  candidate B
    >>> [issue.code for issue in result.issues]
    ['conflicts.unmatched']
    """
    index = index_marks(scores)
    if conflicts.empty and not attributes:
        return ConflictResult(index=index, exclusions=empty_frame(col.EXCLUSION_COLUMNS), issues=())
    issues: list[Issue] = []
    members = target_members(candidates)
    declared = _declared_pairs(conflicts, members)
    pairs = [declared]
    for attribute in attributes:
        if attribute not in jurors.columns or attribute not in candidates.columns:
            where = "jurors" if attribute not in jurors.columns else "candidates"
            issues.append(
                Issue(
                    "warning",
                    "conflicts.attribute_missing",
                    f"Conflict rule '{attribute}' cannot be applied: the {where} have no "
                    f"column '{attribute}'. Add the column or remove the rule from "
                    "[scoring] conflicts.",
                    column=attribute,
                )
            )
            continue
        pairs.append(_attribute_pairs(attribute, jurors, members))
    all_pairs = pd.concat(pairs, ignore_index=True)
    n_jurors = len(index.jurors)
    pair_key = _pair_keys(index, all_pairs)
    mark_key = index.target * n_jurors + index.juror
    excluded = np.isin(mark_key, pair_key[pair_key >= 0])
    exclusions = _exclusion_frame(index, excluded, all_pairs.assign(_key=pair_key))
    matched = np.isin(pair_key, mark_key[excluded]) & (pair_key >= 0)
    issues.extend(_unmatched(conflicts, all_pairs, matched, source, candidates))
    kept = index.subset(~excluded) if excluded.any() else index
    return ConflictResult(index=kept, exclusions=exclusions, issues=tuple(issues))


def _declared_pairs(conflicts: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    declared = conflicts.reset_index(drop=True)
    declared = declared.assign(**{_CONFLICT_ROW: np.arange(len(declared))})
    found = []
    for kind, column in _MEMBER_COLUMN.items():
        rows = declared.loc[declared[col.CONFLICT_KIND] == kind]
        if rows.empty:
            continue
        hit = rows.merge(
            members[[col.TARGET_ID, column]].dropna(),
            left_on=col.CONFLICT_ID,
            right_on=column,
            how="inner",
        )
        hit = hit.drop_duplicates([_CONFLICT_ROW, col.TARGET_ID])
        rule = kind + " " + hit[col.CONFLICT_ID].astype("str")
        found.append(
            pd.DataFrame(
                {
                    col.JUROR_ID: hit[col.JUROR_ID].astype("str"),
                    col.TARGET_ID: hit[col.TARGET_ID].astype("str"),
                    col.REASON: "declared",
                    col.RULE: rule,
                    col.DETAIL: "juror "
                    + hit[col.JUROR_ID].astype("str")
                    + " declared a conflict with "
                    + rule,
                    _CONFLICT_ROW: hit[_CONFLICT_ROW],
                }
            )
        )
    return _pairs_frame(found)


def _attribute_pairs(attribute: str, jurors: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    juror_values = pd.DataFrame(
        {col.JUROR_ID: jurors[col.JUROR_ID], "_key": attribute_key(jurors[attribute])}
    ).dropna()
    member_values = pd.DataFrame(
        {
            col.TARGET_ID: members[col.TARGET_ID],
            col.CANDIDATE_ID: members[col.CANDIDATE_ID],
            "_value": members[attribute],
            "_key": attribute_key(members[attribute]),
        }
    ).dropna(subset=["_key"])
    hit = juror_values.merge(member_values, on="_key", how="inner")
    hit = hit.sort_values([col.JUROR_ID, col.TARGET_ID, col.CANDIDATE_ID])
    hit = hit.drop_duplicates([col.JUROR_ID, col.TARGET_ID])
    detail = (
        "juror "
        + hit[col.JUROR_ID].astype("str")
        + " and candidate "
        + hit[col.CANDIDATE_ID].astype("str")
        + f" share {attribute} = '"
        + hit["_value"].astype("str")
        + "'"
    )
    frame = pd.DataFrame(
        {
            col.JUROR_ID: hit[col.JUROR_ID].astype("str"),
            col.TARGET_ID: hit[col.TARGET_ID].astype("str"),
            col.REASON: "attribute",
            col.RULE: attribute,
            col.DETAIL: detail,
            _CONFLICT_ROW: -1,
        }
    )
    return _pairs_frame([frame])


def _pairs_frame(frames: list[pd.DataFrame]) -> pd.DataFrame:
    columns = [col.JUROR_ID, col.TARGET_ID, col.REASON, col.RULE, col.DETAIL]
    empty = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    empty[_CONFLICT_ROW] = pd.Series(dtype="int64")
    return pd.concat([empty, *frames], ignore_index=True) if frames else empty


def _pair_keys(index: MarkIndex, pairs: pd.DataFrame) -> np.ndarray:
    """Code each (juror, target) pair as ``target * n_jurors + juror``; -1 when unseen."""
    juror = _lookup(index.jurors, pairs[col.JUROR_ID].to_numpy(dtype=object))
    target = _lookup(index.targets, pairs[col.TARGET_ID].to_numpy(dtype=object))
    return np.where((juror >= 0) & (target >= 0), target * len(index.jurors) + juror, -1)


def _lookup(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    if len(sorted_ids) == 0 or len(ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    position = np.searchsorted(sorted_ids, ids)
    position = np.minimum(position, len(sorted_ids) - 1)
    return np.where(sorted_ids[position] == ids, position, -1).astype(np.int64)


def _exclusion_frame(index: MarkIndex, excluded: np.ndarray, pairs: pd.DataFrame) -> pd.DataFrame:
    marks = index.marks.loc[excluded]
    keys = (index.target * len(index.jurors) + index.juror)[excluded]
    source_row = marks.get(col.SOURCE_ROW, pd.NA)
    frame = pd.DataFrame(
        {
            col.JUROR_ID: marks[col.JUROR_ID],
            col.TARGET_ID: marks[col.TARGET_ID],
            col.CRITERION: marks[col.CRITERION],
            col.SCORE: marks[col.SCORE].astype("float64"),
            col.SOURCE_ROW: source_row,
            "_key": keys,
        }
    )
    hit = pairs.loc[pairs["_key"] >= 0].sort_values([col.REASON, col.RULE])
    reasons = (
        hit.groupby("_key", sort=True)
        .agg(
            **{
                col.REASON: (col.REASON, lambda s: "; ".join(dict.fromkeys(s))),
                col.RULE: (col.RULE, "; ".join),
                col.DETAIL: (col.DETAIL, "; ".join),
            }
        )
        .reset_index()
    )
    frame = frame.merge(reasons, on="_key", how="left").drop(columns="_key")
    frame = frame.sort_values([col.JUROR_ID, col.TARGET_ID, col.CRITERION], ignore_index=True)
    return frame[list(col.EXCLUSION_COLUMNS)]


def _unmatched(
    conflicts: pd.DataFrame,
    pairs: pd.DataFrame,
    matched: np.ndarray,
    source: str | None,
    candidates: pd.DataFrame,
) -> list[Issue]:
    rows = pairs[_CONFLICT_ROW].to_numpy()
    has_target = set(rows[rows >= 0].tolist())
    has_mark = set(rows[matched & (rows >= 0)].tolist())
    issues = []
    hint: ConflictHint | None = None
    for row, conflict in enumerate(conflicts.itertuples(index=False)):
        if row in has_mark:
            continue
        juror = getattr(conflict, col.JUROR_ID)
        conflict_id = getattr(conflict, col.CONFLICT_ID)
        kind = getattr(conflict, col.CONFLICT_KIND)
        if row in has_target:
            why = f"but juror {juror} gave no mark that it concerns; nothing was excluded."
        else:
            hint = hint or ConflictHint(candidates)
            why = (
                f"but no {kind} has the id '{conflict_id}'; check the spelling."
                f"{hint(str(conflict_id))}"
            )
        issues.append(
            Issue(
                "warning",
                "conflicts.unmatched",
                f"Juror {juror} declared a conflict with {kind} {conflict_id}, {why}",
                file=source,
                column=col.CONFLICTS,
                value=str(conflict_id),
            )
        )
    return issues
