"""Spellings: the aliases of ``event.toml``, and values that read the same but differ.

A secretary types ``Africa`` on eleven rows and ``africa`` (or ``Аfrica``, with a Cyrillic
``А``) on the twelfth: read as text, that is a new group, and the delegation silently grows.
This module finds such *spelling variants*, values whose :func:`near_duplicate_key`
is equal (case, accents, spaces, punctuation and Latin/Cyrillic look-alike letters
ignored), and says how they differ:

- :func:`alias_cells` applies ``[aliases]`` (and ``[attributes.<name>] aliases``) to a raw
  column before any check, so a declared spelling is read as its canonical value;
- :func:`report_variants`: groups, projects and ids spelt two ways are an error
  (``id.near_duplicate``) listing every spelling with its rows and the alias that would
  declare them one;
- :func:`report_same_names`: two candidates (or jurors) whose names read the same are a
  warning naming both rows (their ids keep them apart);
- :func:`report_mixed_script`: a word mixing Latin and Cyrillic (or Greek) letters is a
  warning (``text.mixed_script``): it looks like a word it is not;
- :class:`ConflictHint`: what a declared conflict that names nobody probably meant.

Every function works on the distinct values of a column and their integer codes, so the
usual case (no two values alike) costs one key per distinct value.

Examples
--------
>>> describe_difference("Africa", "africa")
'differ only in case'
>>> describe_difference("Africa", "\\u0410frica")
"differ only in look-alike letters: Latin 'A' / Cyrillic 'А'"
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from scoring import columns as col
from scoring.config import EventConfig
from scoring.errors import Issue
from scoring.ingest.cells import clean_text, near_duplicate_key
from scoring.ingest.readers import RawTable
from scoring.ingest.sheet_marks import closest
from scoring.ingest.textscan import ascii_keys, joined, line_flags

__all__ = [
    "ConflictHint",
    "alias_cells",
    "alias_hint",
    "aliased_candidates",
    "aliased_jurors",
    "check_candidate_spellings",
    "describe_difference",
    "mixed_script",
    "report_mixed_script",
    "report_same_names",
    "report_variants",
    "row_span",
    "spelling_keys",
]

Report = Callable[[Issue], None]

_LETTERS = re.compile(r"[^\W\d_]+")
_LATIN = r"A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_OTHER = r"\u0370-\u03ff\u0400-\u052f"  # Greek and Cyrillic
_SCRIPTS = {
    "Latin": re.compile(f"[{_LATIN}]"),
    "Cyrillic": re.compile(r"[\u0400-\u052f]"),
    "Greek": re.compile(r"[\u0370-\u03ff]"),
}
# one match at most per value (up to its first such letter): a linear scan of all values
_HAS_LATIN = re.compile(f"\n[^\n{_LATIN}]*[{_LATIN}]")
_HAS_OTHER = re.compile(f"\n[^\n{_OTHER}]*[{_OTHER}]")


def spelling_keys(values: np.ndarray) -> np.ndarray:
    """Return :func:`near_duplicate_key` of each text in ``values`` (an object array).

    Plain ASCII text takes a C-level path; only the other values pay for Unicode folding.

    Examples
    --------
    >>> spelling_keys(np.array(["A-1", "а1"], dtype=object)).tolist()  # Cyrillic а
    ['a1', 'a1']
    """
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return np.array([], dtype=object)
    lines = joined(values)
    if lines.isascii():  # constant time: every value is ASCII
        return ascii_keys(values, lines)
    ascii_only = np.fromiter(map(str.isascii, values), dtype=bool, count=len(values))
    keys = np.empty(len(values), dtype=object)
    keys[ascii_only] = ascii_keys(values[ascii_only])
    keys[~ascii_only] = [near_duplicate_key(v) for v in values[~ascii_only]]
    return keys


def alias_cells(table: RawTable, column: str, aliases: Mapping[str, str]) -> RawTable:
    """Return ``table`` with each cell of ``column`` whose clean text is a key of
    ``aliases`` replaced by its canonical value (``table`` itself when none is).

    Works on the column's distinct values; a categorical column stays categorical.

    Examples
    --------
    >>> cells = pd.DataFrame({"group": ["Africa", " africa", None]}, dtype=object)
    >>> t = RawTable(cells, np.array([2, 3, 4]), "c.csv", None, False)
    >>> alias_cells(t, "group", {"africa": "Africa"}).frame["group"].tolist()
    ['Africa', 'Africa', None]
    """
    if not aliases or column not in table.frame.columns:
        return table
    series = table.frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories.to_numpy(dtype=object)
        mapped = _mapped(categories, aliases)
        if mapped is None:
            return table
        new_code, new_categories = pd.factorize(mapped)
        codes = series.cat.codes.to_numpy()
        codes = np.where(codes >= 0, new_code[np.maximum(codes, 0)], -1)
        column_values: Any = pd.Categorical.from_codes(
            codes, categories=pd.Index(new_categories, dtype=object)
        )
    else:
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        mapped = _mapped(np.asarray(uniques, dtype=object), aliases)
        if mapped is None:
            return table
        column_values = pd.Series(
            np.append(mapped, np.array([None], dtype=object))[codes],
            index=series.index,
            dtype=series.dtype,  # text stays as the reader typed it
        )
    return replace(table, frame=table.frame.assign(**{column: column_values}))


def aliased_candidates(table: RawTable, config: EventConfig) -> RawTable:
    """The candidates with ``[aliases]`` and ``[attributes.<name>] aliases`` applied."""
    aliases = config.aliases
    for column, table_aliases in (
        (col.GROUP, aliases.group),
        (col.PROJECT, aliases.project),
        (col.CANDIDATE_ID, aliases.candidate_id),
        *((name, a.aliases) for name, a in sorted(config.attributes.items())),
    ):
        table = alias_cells(table, column, table_aliases)
    return table


def aliased_jurors(table: RawTable, config: EventConfig) -> RawTable:
    """The jurors with ``[aliases] juror_id`` and attribute aliases applied (conflicts are
    mapped entry by entry, by :func:`scoring.ingest.people.check_people`)."""
    table = alias_cells(table, col.JUROR_ID, config.aliases.juror_id)
    for name, declared in sorted(config.attributes.items()):
        table = alias_cells(table, name, declared.aliases)
    return table


def _mapped(values: np.ndarray, aliases: Mapping[str, str]) -> np.ndarray | None:
    """``values`` with aliases replaced, or None when no value is an alias."""
    out = values.copy()
    changed = False
    for position, value in enumerate(values):
        text = clean_text(value)
        if text is not None and text in aliases:
            out[position] = aliases[text]
            changed = True
    return out if changed else None


def alias_hint(section: str, table: str, spelling: str, canonical: str) -> str:
    """Return the ``event.toml`` line declaring ``spelling`` another spelling of ``canonical``.

    Examples
    --------
    >>> print(alias_hint("aliases", "group", "africa", "Africa"))
    [aliases] group = { "africa" = "Africa" }
    >>> print(alias_hint("attributes.gender", "aliases", "Ж", "F"))
    [attributes.gender] aliases = { "Ж" = "F" }
    """
    quoted = json.dumps(spelling, ensure_ascii=False), json.dumps(canonical, ensure_ascii=False)
    return f"[{section}] {table} = {{ {quoted[0]} = {quoted[1]} }}"


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ")[0].title()


def describe_difference(first: str, second: str) -> str:
    """Say how two spellings with the same :func:`near_duplicate_key` differ.

    Examples
    --------
    >>> describe_difference("P 1", "P1"), describe_difference("José", "Jose")
    ('differ only in spaces or punctuation', 'differ only in accents')
    """
    if first.casefold() == second.casefold():
        return "differ only in case"
    if len(first) == len(second):
        pairs = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
        foreign = [
            (a, b) for a, b in pairs if a.isalpha() and b.isalpha() and _script(a) != _script(b)
        ]
        if foreign:
            shown = ", ".join(
                f"{_script(a)} '{a}' / {_script(b)} '{b}'" for a, b in dict.fromkeys(foreign)
            )
            return f"differ only in look-alike letters: {shown}"
    bare = [
        "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
        for s in (first, second)
    ]
    if (bare[0] != first or bare[1] != second) and bare[0].casefold() == bare[1].casefold():
        return "differ only in accents"
    squeezed = ["".join(ch for ch in s.casefold() if ch.isalnum()) for s in (first, second)]
    if squeezed[0] == squeezed[1]:
        return "differ only in spaces or punctuation"
    return "differ only in case, accents, spaces or look-alike letters"


def row_span(rows: np.ndarray, limit: int = 5) -> str:
    """Show spreadsheet rows as ``row 3`` or ``rows 2, 4 and 7 more``.

    Examples
    --------
    >>> row_span(np.array([4])), row_span(np.arange(2, 10), limit=2)
    ('row 4', 'rows 2, 3 and 6 more')
    """
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def report_variants(
    codes: np.ndarray,
    uniques: np.ndarray,
    rows: np.ndarray,
    *,
    what: str,
    alias: str | None,
    file: str,
    sheet: str | None,
    column: str,
    report: Report,
    keys: np.ndarray | None = None,
) -> set[int]:
    """Report values of one column spelt in more than one way, as ``id.near_duplicate`` errors.

    Parameters
    ----------
    codes, uniques, rows
        Per row: the code of its value among ``uniques`` (-1 for blank) and its
        spreadsheet row.
    what
        What the values are, plural, for the message (``"groups"``).
    alias
        The ``[aliases]`` table that declares a spelling (``"group"``), or None.
    keys
        :func:`spelling_keys` of ``uniques``, when the caller has them.

    Returns
    -------
    set of int
        The codes of every value reported.

    Examples
    --------
    >>> found = []
    >>> report_variants(np.array([0, 0, 1]), np.array(["Africa", "africa"], dtype=object),
    ...                 np.array([2, 3, 4]), what="groups", alias="group", file="c.csv",
    ...                 sheet=None, column="group", report=found.append)
    {0, 1}
    >>> found[0].row, found[0].value, found[0].severity
    (4, 'africa', 'error')
    """
    if len(uniques) < 2:
        return set()
    keys = spelling_keys(uniques) if keys is None else keys
    if len(set(keys)) == len(keys):  # the usual case: no two values alike
        return set()
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    by_key: dict[str, list[int]] = defaultdict(list)
    for code in np.flatnonzero(counts > 0).tolist():
        if keys[code]:
            by_key[keys[code]].append(code)
    reported: set[int] = set()
    for key in sorted(by_key):
        same = by_key[key]
        if len(same) < 2:
            continue
        same.sort(key=lambda c: (-counts[c], str(uniques[c])))  # the commonest spelling first
        canonical = str(uniques[same[0]])
        shown = " and ".join(f"'{uniques[c]}' ({row_span(rows[codes == c])})" for c in same)
        variants = [str(uniques[c]) for c in same[1:]]
        differences = (
            describe_difference(canonical, variants[0])
            if len(variants) == 1
            else "differ ("
            + "; ".join(
                f"'{v}' {describe_difference(canonical, v).replace('differ ', '', 1)}"
                for v in variants
            )
            + ")"
        )
        for code, variant in zip(same[1:], variants, strict=True):  # each spelling located
            hint = (
                f", or, if they are one, declare the other spelling in event.toml: "
                f"{alias_hint('aliases', alias, variant, canonical)}"
                if alias
                else ""
            )
            report(
                Issue(
                    "error",
                    "id.near_duplicate",
                    f"{what.capitalize()} {shown} {differences}: "
                    f"they would be read as different {what}. Write them identically{hint}.",
                    file=file,
                    sheet=sheet,
                    row=int(rows[codes == code][0]),
                    column=column,
                    value=variant,
                )
            )
        reported.update(same)
    return reported


def report_same_names(
    codes: np.ndarray,
    uniques: np.ndarray,
    rows: np.ndarray,
    ids: np.ndarray,
    *,
    who: str,
    code: str,
    file: str,
    sheet: str | None,
    column: str,
    report: Report,
    where: Sequence[str] | np.ndarray | None = None,
) -> None:
    """Warn about people with different ids whose names read the same.

    ``codes``, ``rows`` and ``ids`` have one entry per person (each id once); ``where``
    optionally says more about each (their group).

    Examples
    --------
    >>> found = []
    >>> report_same_names(np.array([0, 1]), np.array(["Ana Lima", "ana  lima"], dtype=object),
    ...                   np.array([2, 5]), np.array(["A1", "B7"], dtype=object),
    ...                   who="candidates", code="candidate.same_name", file="c.csv",
    ...                   sheet=None, column="name", report=found.append)
    >>> found[0].row, found[0].message.split(":")[0]
    (5, "Candidates A1 (row 2) and B7 (row 5) have the same name 'Ana Lima' / 'ana  lima'")
    """
    named = codes >= 0
    if named.sum() < 2:
        return
    keys = spelling_keys(uniques)
    key_codes, key_values = pd.factorize(keys)
    person_key = np.where(named, key_codes[np.maximum(codes, 0)], -1)
    counts = np.bincount(person_key[named], minlength=len(key_values))
    shared = np.flatnonzero(counts > 1)
    for key in sorted(shared.tolist(), key=lambda k: str(key_values[k])):
        if not key_values[key]:
            continue
        people = np.flatnonzero(person_key == key)
        people = people[np.argsort(rows[people], kind="stable")]
        listed = [
            f"{ids[p]} ({where[int(p)] + ', ' if where is not None else ''}row {int(rows[p])})"
            for p in people
        ]
        names = " / ".join(f"'{n}'" for n in dict.fromkeys(str(uniques[codes[p]]) for p in people))
        report(
            Issue(
                "warning",
                code,
                f"{who.capitalize()} {', '.join(listed[:-1])} and {listed[-1]} have the same "
                f"name {names}: their ids keep them apart. Check that they are different "
                "people and that every mark and conflict uses the right id.",
                file=file,
                sheet=sheet,
                row=int(rows[people[1]]),
                column=column,
                value=str(uniques[codes[people[1]]]),
            )
        )


def mixed_script(text: str) -> tuple[str, ...]:
    """Return the letters of ``text`` written in a minority script inside a word that mixes
    Latin, Cyrillic and Greek letters, or ``()`` when no word mixes them.

    Examples
    --------
    >>> mixed_script("\u0410frica"), mixed_script("М\u006fсква")
    (('А',), ('o',))
    >>> mixed_script("Гүлназ Сейітова"), mixed_script("Ana")
    ((), ())
    """
    if text.isascii():
        return ()
    for word in _LETTERS.findall(text):
        counts = {name: len(letters.findall(word)) for name, letters in _SCRIPTS.items()}
        if sum(n > 0 for n in counts.values()) > 1:
            main = max(counts, key=lambda name: counts[name])
            odd = [ch for ch in word if ch.isalpha() and not _SCRIPTS[main].match(ch)]
            return tuple(dict.fromkeys(odd))
    return ()


def report_mixed_script(
    codes: np.ndarray,
    uniques: np.ndarray,
    rows: np.ndarray,
    *,
    file: str,
    sheet: str | None,
    column: str,
    report: Report,
    skip: Collection[int] = (),
) -> None:
    """Warn (``text.mixed_script``) about each value with a word mixing Latin letters with
    Cyrillic or Greek ones.

    ``skip`` holds codes already reported (as spelling variants, say).

    Examples
    --------
    >>> found = []
    >>> report_mixed_script(np.array([0]), np.array(["\\u0410frica"], dtype=object),
    ...                     np.array([2]), file="c.csv", sheet=None, column="group",
    ...                     report=found.append)
    >>> found[0].code, found[0].row
    ('text.mixed_script', 2)
    """
    values = np.asarray(uniques, dtype=object)
    text = joined(values) if len(values) else ""
    if text.isascii():
        return
    # only a value with a Latin and a Cyrillic or Greek letter can mix them in a word
    both = line_flags(values, _HAS_LATIN, text=text) & line_flags(values, _HAS_OTHER, text=text)
    used = np.bincount(codes[codes >= 0], minlength=len(values)) > 0
    for code in np.flatnonzero(used & both).tolist():
        if code in skip:
            continue
        value = str(values[code])
        odd = mixed_script(value)
        if not odd:
            continue
        report(
            Issue(
                "warning",
                "text.mixed_script",
                f"'{value}' mixes scripts in one word ("
                + ", ".join(f"{_script(ch)} '{ch}'" for ch in odd)
                + "): it looks like another text than it is, so it matches nothing typed "
                "in one script. Retype it in one script.",
                file=file,
                sheet=sheet,
                row=int(rows[np.argmax(codes == code)]),
                column=column,
                value=value,
            )
        )


def check_candidate_spellings(
    table: RawTable,
    ids: tuple[np.ndarray, np.ndarray],
    groups: tuple[np.ndarray, np.ndarray],
    projects: tuple[np.ndarray, np.ndarray],
    report: Report,
) -> None:
    """Report candidate ids, groups and projects spelt two ways (``id.near_duplicate``), a
    project spelt like a candidate id, and words mixing scripts in them
    (``text.mixed_script``). Each pair is the codes per row and the distinct texts,
    aligned with ``table``'s rows."""
    keys = {}
    for (codes, uniques), what, alias, column in (
        (ids, "candidate ids", "candidate_id", col.CANDIDATE_ID),
        (groups, "groups", "group", col.GROUP),
        (projects, "projects", "project", col.PROJECT),
    ):
        keys[column] = spelling_keys(uniques)
        variants = report_variants(
            codes,
            uniques,
            table.rows,
            what=what,
            alias=alias,
            column=column,
            file=table.file,
            sheet=table.sheet,
            report=report,
            keys=keys[column],
        )
        report_mixed_script(
            codes,
            uniques,
            table.rows,
            column=column,
            skip=variants,
            file=table.file,
            sheet=table.sheet,
            report=report,
        )
    # a score sheet's target is a candidate or a project: the two must not read alike
    used_ids, used_projects = (_used(*pair) for pair in (ids, projects))
    if not used_ids.any() or not used_projects.any():
        return
    id_keys, project_keys = keys[col.CANDIDATE_ID][used_ids], keys[col.PROJECT][used_projects]
    if not pd.Index(project_keys).isin(id_keys).any():  # the usual case, without a loop
        return
    id_of_key = dict(zip(id_keys.tolist(), ids[1][used_ids].tolist(), strict=True))
    for project, key in zip(projects[1][used_projects].tolist(), project_keys, strict=True):
        candidate_id = id_of_key.get(key)
        if candidate_id is None or candidate_id == project or not key:
            continue
        code = int(np.flatnonzero(projects[1] == project)[0])
        report(
            Issue(
                "error",
                "id.near_duplicate",
                f"Candidate id '{candidate_id}' and project '{project}' "
                f"{describe_difference(candidate_id, project)}: a mark for one could be "
                "meant for the other. Rename the project.",
                file=table.file,
                sheet=table.sheet,
                row=int(table.rows[np.argmax(projects[0] == code)]),
                column=col.PROJECT,
                value=project,
            )
        )


def _used(codes: np.ndarray, uniques: np.ndarray) -> np.ndarray:
    """Which of the distinct values some row holds."""
    return np.bincount(codes + 1, minlength=len(uniques) + 1)[1:] > 0


class ConflictHint:
    """Say what a declared conflict that names nobody probably meant: a candidate's id when
    it is a candidate's name (up to case, spaces and look-alike letters), else the closest
    candidate id, project or group, else the candidate with the closest name.

    Examples
    --------
    >>> cands = pd.DataFrame({"candidate_id": ["AF1-03", "AS1-02"], "group": ["Africa", "Asia"],
    ...                       "project": ["P1", "P2"], "name": ["Wanjiru Kamau", "Li Wei"]})
    >>> hint = ConflictHint(cands)
    >>> hint("wanjiru  kamau")
    " 'wanjiru  kamau' is the name of candidate AF1-03 (Africa): write 'AF1-03'."
    >>> hint("AF1-3").strip()
    "Did you mean 'AF1-03'?"
    >>> hint("Li We").strip()
    'Did you mean candidate AS1-02 (Li Wei)?'
    """

    def __init__(self, candidates: pd.DataFrame) -> None:
        self.ids = sorted(
            str(i)
            for column in (col.CANDIDATE_ID, col.PROJECT, col.GROUP)
            if column in candidates.columns
            for i in candidates[column].dropna().unique()
        )
        self.people: list[tuple[str, str, str]] = []
        if col.NAME in candidates.columns:
            named = candidates.dropna(subset=[col.NAME])
            self.people = list(
                zip(
                    named[col.NAME].astype(str),
                    named[col.CANDIDATE_ID].astype(str),
                    named[col.GROUP].astype(str),
                    strict=True,
                )
            )

    def __call__(self, value: str) -> str:
        """Return the hint for ``value`` (with a leading space), or ``""``."""
        key = near_duplicate_key(value)
        same = [(i, g) for n, i, g in self.people if key and near_duplicate_key(n) == key]
        if same:
            shown = ", ".join(f"{i} ({g})" for i, g in same)
            ids = " or ".join(f"'{i}'" for i, _ in same)
            return f" '{value}' is the name of candidate {shown}: write {ids}."
        guess = closest(value, self.ids)
        if guess is not None:
            return f" Did you mean '{guess}'?"
        by_name = {n: i for n, i, _ in self.people}
        name = closest(value, by_name)
        if name is not None:
            return f" Did you mean candidate {by_name[name]} ({name})?"
        return ""
