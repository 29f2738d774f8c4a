"""Text rules applied to many distinct values at once.

Validation cleans and checks every distinct value of a column (30,000 candidate ids, a
million marks' target ids). Calling a Python function per value costs about a microsecond
each; here the same rules run as a few C-level passes: ``map`` over built-in string
methods, or one regular-expression scan of all values joined by newlines. Each function
gives exactly the result of its one-value counterpart in :mod:`scoring.ingest.cells` (tests
compare them on random text), or flags a superset of values for the exact per-value path.

Why not pandas' vectorised string methods: each pass was timed against its pandas
equivalent with the same result (``Series.str`` methods run a Python call per value) by
``python benchmarks/textscan.py``: best of 15 interleaved rounds on the data of
``benchmarks/generate.py`` (30,000 candidate ids and names, 1.35 million score rows;
30,000 non-ASCII names made from the example event's) on a 2-core machine; ratio is
pandas' time over this module's. A pass is kept only where it is clearly faster (pandas
more than ~10% slower):

=====================================  =========  ===================================  =====
pass (data)                            here (ms)  pandas equivalent (ms)               ratio
=====================================  =========  ===================================  =====
:func:`distinct`, 1.35M object cells   14.7       ``pd.factorize`` 41.5                2.8x
:func:`distinct`, 1.35M categorical    3.7        ``.cat.remove_unused_categories``    6.0x
                                                  22.1
:func:`drop_unused`, 1.35M codes       3.0-6.8    ``remove_unused_categories``         4-7x
                                                  21.8-29.4
:func:`is_text`, 30k ids               0.17       ``.map(isinstance)`` 3.0             18x
:func:`clean_distinct`, 30k ASCII      3.5        ``.str.split().str.join(" ")`` 11.5  3.3x
``_clean_unicode``, 30k non-ASCII      37.4       ``.str.normalize`` +                 1.19x
                                                  ``.str.replace`` x2 + ``.str.strip``
                                                  44.6
:func:`line_flags` ``MAYBE_NUMBER``    1.6        ``.str.contains`` 7.3                4.5x
:func:`line_flags` ``MOJIBAKE``        29.0       ``.str.contains`` 36.7               1.26x
:func:`totals_labels`, 30k ids         1.8        ``.str.strip().str.rstrip(":")``     7.2x
                                                  ``.str.casefold().isin`` 12.9
:func:`ascii_keys`, 30k ASCII names    2.1        ``.str.translate`` 8.7               4.2x
:func:`text_order`, 30k ids, shuffled  6.8-7.2    ``Series.argsort`` 14.5 (numpy's     2.0x
                                                  object sort 12.0)
:func:`text_order`, 30k ids, sorted    1.9-2.0    ``Series.argsort`` 1.7 (numpy 0.4)   0.87x
=====================================  =========  ===================================  =====

:func:`text_order` is kept for unsorted input (the ids shuffled), which it sorts 1.8x
faster; on input that is already sorted pandas is as fast and numpy's object sort (timsort)
wins by 1.5 ms. :func:`factorize_runs` (the run-length shortcut behind :func:`distinct`)
also serves :func:`scoring.ingest.marks.index_marks`, which had its own copy.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "ASCII_KEY",
    "INVISIBLE",
    "MAYBE_NUMBER",
    "MOJIBAKE",
    "SPACES",
    "TOTALS_WORDS",
    "ascii_keys",
    "clean_distinct",
    "distinct",
    "drop_unused",
    "factorize_runs",
    "is_text",
    "is_totals_label",
    "joined",
    "line_flags",
    "text_order",
    "totals_labels",
]

TOTALS_WORDS = frozenset(
    {"итого", "всего", "сумма", "среднее", "total", "totals", "sum", "grand total", "average"}
)
"""Labels of totals rows that spreadsheets add below the data; such rows are skipped."""

SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
"""Runs of Unicode spaces (folded to one ASCII space)."""
INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
"""Zero-width and soft-hyphen characters (dropped)."""
MAYBE_NUMBER = re.compile(r"\n[^\S\n]*[+-]?\d+[.,eE]")
"""Ids that may be numbers Excel reformatted (``12.0``, ``1.2E+15``); see ``fix_id``.

Written for :func:`line_flags`: a value starts after a newline."""
# What cp1251 makes of the bytes 0x80-0xBF, which continue every UTF-8 sequence.
_CP1251_TAIL = (
    "\u00a0\u00a4\u00a6\u00a7\u00a9\u00ab-\u00ae\u00b0\u00b1\u00b5-\u00b7\u00bb\u0401-\u040c"
    "\u040e\u040f\u0451-\u045c\u045e\u045f\u0490\u0491\u2013\u2014\u2018-\u201a\u201c-\u201e"
    "\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2116\u2122"
)
# UTF-8 read as cp1251: Cyrillic ("РџСЂРёРІРµС‚"); accented Latin letters, whose two bytes
# become an upper-case letter В-П and a tail character inside a Latin word ("AГ±o",
# "LuГ\u00adza", "GonГ§alves"); three-byte letters (Vietnamese "Nguyб»…n", Chinese) as a
# lower-case а-п and two tail characters, in a Latin word or twice in a row. Then UTF-8
# read as latin-1/cp1252 ("Ã©", "Ð¸"), and U+FFFD. Real Russian or Ukrainian text has no
# tail character between Latin letters, and hardly ever two of them after а-п twice.
# Each branch starts with the letter it is about (the look-behind comes after it), so the
# regular expression engine skips every other character: 1.3x the time of the Cyrillic
# and latin-1 branches alone, where leading look-behinds cost 2.8x.
MOJIBAKE = re.compile(
    r"(?:[РС][\u0402-\u040f\u0452-\u045f\u0490\u0491\u00a0-\u00b7\u00b9-\u00bf\u2018-\u2122]){2,}"
    rf"|[В-П](?:(?<=[A-Za-z][В-П])[{_CP1251_TAIL}]|[{_CP1251_TAIL}](?=[A-Za-z]))"
    rf"|[а-п](?:(?<=[A-Za-z][а-п])[{_CP1251_TAIL}]{{2}}|[{_CP1251_TAIL}]{{2}}(?=[A-Za-z])"
    rf"|[{_CP1251_TAIL}]{{2}}[а-п][{_CP1251_TAIL}]{{2}})"
    r"|[ÃÂÐÑ][\u0080-\u00bf]|\ufffd"
)
"""Typical signatures of text decoded with the wrong encoding."""
ASCII_KEY = {code: (chr(code).lower() if chr(code).isalnum() else None) for code in range(128)}
"""``str.translate`` table giving ``near_duplicate_key`` of ASCII text."""

_NFC = functools.partial(unicodedata.normalize, "NFC")
# ASCII spaces other than " " that str.split() splits on (not counting the newline).
_OTHER_SPACE_BYTE = np.isin(np.arange(256), [9, 11, 12, 13, 28, 29, 30, 31])
# Bytes that are not lower-case ASCII letters, digits or the newline.
_NOT_ALNUM_BYTES = bytes(
    b for b in range(128) if not (chr(b).isdigit() or chr(b).islower()) and b != 10
)
# Case-folded totals labels, with the spaces and colons is_totals_label strips.
_TOTALS_LINE = re.compile(
    r"\n[^\S\n]*(?:" + "|".join(sorted(TOTALS_WORDS)) + r")(?:[^\S\n]|:)*(?=\n)"
)
_LINE_SPACES = re.compile(r"[^\S\n]+")


def is_totals_label(text: str | None) -> bool:
    """Return True for a totals-row label such as ``Итого`` or ``Total:``.

    Examples
    --------
    >>> is_totals_label("Итого:"), is_totals_label("Tot")
    (True, False)
    """
    if not text:
        return False
    return text.strip().rstrip(":").strip().casefold() in TOTALS_WORDS


def is_text(values: np.ndarray) -> np.ndarray:
    """Return a bool array: which values of an object array are ``str``.

    Examples
    --------
    >>> is_text(np.array(["a", 1, None], dtype=object)).tolist()
    [True, False, False]
    """
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # one C pass: all text
        return np.ones(len(values), dtype=bool)
    texts = map(isinstance, values, itertools.repeat(str))
    return np.fromiter(texts, dtype=bool, count=len(values))


def text_order(values: np.ndarray) -> np.ndarray:
    """Return the stable order that sorts text values as Python compares strings.

    numpy's fixed-width sort does it in C, but drops trailing NUL characters; values that
    hold one are sorted in Python instead.

    Examples
    --------
    >>> text_order(np.array(["b", "a\\x00", "a"], dtype=object)).tolist()
    [2, 1, 0]
    """
    texts = values.tolist()
    try:
        has_nul = "\x00" in "".join(texts)
    except TypeError:  # not all text: compare the values' text
        texts = [str(v) for v in texts]
        has_nul = "\x00" in "".join(texts)
    if has_nul:
        return np.array(sorted(range(len(texts)), key=texts.__getitem__), dtype=np.intp)
    return np.argsort(values.astype(str), kind="stable")


def joined(values: np.ndarray) -> str:
    """The text values joined as :func:`line_flags` scans them: a newline before each value
    and after the last.

    Examples
    --------
    >>> joined(np.array(["a", "b"], dtype=object))
    '\\na\\nb\\n'
    """
    return "\n" + "\n".join(values) + "\n"


def line_flags(
    values: np.ndarray,
    pattern: re.Pattern[str],
    *,
    casefold: bool = False,
    text: str | None = None,
) -> np.ndarray:
    """Return which text values ``pattern`` finds a match in, by one scan of all values.

    The values are joined into one text with a newline before each value and after the
    last, so ``pattern`` marks the start of a value with ``\\n`` (a literal the regular
    expression engine finds fast) and never matches a newline otherwise. With
    ``casefold`` the text is case-folded first. When a value itself holds a newline, every
    such value is flagged, so callers must confirm flagged values with the exact
    per-value rule. ``text`` is :func:`joined` of ``values`` when the caller has it.

    Examples
    --------
    >>> line_flags(np.array(["A1", "12.0", "B"], dtype=object), MAYBE_NUMBER).tolist()
    [False, True, False]
    """
    n = len(values)
    if text is None:
        text = joined(values)
    if casefold:
        text = text.casefold()  # never adds or removes a newline
    if text.count("\n") != n + 1:  # rare: a value holds a newline; search one by one
        return np.fromiter(
            (
                "\n" in v or bool(pattern.search(f"\n{v}\n".casefold() if casefold else f"\n{v}\n"))
                for v in values
            ),
            dtype=bool,
            count=n,
        )
    flags = np.zeros(n, dtype=bool)
    hits = [match.start() for match in pattern.finditer(text)]
    if hits:
        newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 10)
        flags[np.searchsorted(newlines, hits, side="right") - 1] = True
    return flags


def totals_labels(values: np.ndarray) -> np.ndarray:
    """Return :func:`is_totals_label` of every text value of an object array (False for
    other values), as a bool array.

    Examples
    --------
    >>> totals_labels(np.array(["A1", " Итого: ", None], dtype=object)).tolist()
    [False, True, False]
    """
    text = is_text(values)
    flags = np.zeros(len(values), dtype=bool)
    flags[text] = line_flags(values[text], _TOTALS_LINE, casefold=True)
    for position in np.flatnonzero(flags):  # confirm: the scan may flag more
        flags[position] = is_totals_label(values[position])
    return flags


def ascii_keys(values: np.ndarray, text: str | None = None) -> np.ndarray:
    """Return ``near_duplicate_key`` of ASCII text values: lower case, letters and digits.
    ``text`` is :func:`joined` of ``values`` when the caller has it.

    Examples
    --------
    >>> ascii_keys(np.array(["Ana-Maria", "ANA MARIA"], dtype=object)).tolist()
    ['anamaria', 'anamaria']
    """
    n = len(values)
    if text is None:
        text = joined(values)
    if text.count("\n") == n + 1:
        kept = text.lower().encode("ascii").translate(None, _NOT_ALNUM_BYTES)
        return np.array(kept.decode("ascii")[1:-1].split("\n"), dtype=object)
    out = map(str.translate, values, itertools.repeat(ASCII_KEY))
    return np.fromiter(out, dtype=object, count=n)


def drop_unused(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber ``codes`` into ``n`` values so that only the values used keep a code.

    Returns the new codes (-1 stays -1, the dtype is kept) and which of the ``n`` values
    are used; the codes come back unchanged when every value is used.

    Examples
    --------
    >>> codes, used = drop_unused(np.array([2, -1, 0, 2]), 3)
    >>> codes.tolist(), used.tolist()
    ([1, -1, 0, 1], [True, False, True])
    """
    present = codes[codes >= 0] if codes.min(initial=0) < 0 else codes
    used = np.bincount(present, minlength=n) > 0
    if used.all():
        return codes, used
    renumber = np.append(np.cumsum(used) - 1, -1).astype(codes.dtype)
    return renumber[codes], used


def distinct(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return ``codes, uniques`` of a column; -1 codes a missing cell.

    A categorical column (the text reader makes low-cardinality id columns categorical)
    gives its codes for free; categories no row uses are dropped.

    Examples
    --------
    >>> codes, uniques = distinct(pd.Series(["b", None, "a", "b"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()  # int8 to int32: every pass below is cheaper
        categories = series.cat.categories.to_numpy(dtype=object)
        codes, used = drop_unused(codes, len(categories))
        return codes, categories[used]
    return factorize_runs(series.to_numpy(dtype=object))


def factorize_runs(values: np.ndarray, *, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return ``pandas.factorize(values, sort=sort)`` (-1 codes a missing value), found
    from the first value of each run of equal values when the runs are long.

    Sheets list a target's marks together: factorizing the first cell of each run and
    repeating its code gives the same codes and uniques about 3x faster than hashing every
    cell. A short column, or one whose first values do not come in runs, is factorized
    directly.

    Examples
    --------
    >>> codes, uniques = factorize_runs(np.array(["b", "b", None, "a"], dtype=object), sort=True)
    >>> codes.tolist(), uniques.tolist()
    ([1, 1, -1, 0], ['a', 'b'])
    """
    heads = _run_heads(values)
    if heads is None:
        codes, uniques = pd.factorize(values, sort=sort, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    codes, uniques = pd.factorize(values[heads], sort=sort, use_na_sentinel=True)
    runs = np.diff(np.append(heads, len(values)))
    return np.repeat(codes, runs), np.asarray(uniques, dtype=object)


_RUNS_MIN = 1 << 16
_RUNS_SAMPLE = 1 << 12


def _run_heads(values: np.ndarray) -> np.ndarray | None:
    """Positions where a new run of equal cells starts, or None when runs are short."""
    if len(values) < _RUNS_MIN:
        return None
    try:
        if int(_run_starts(values[:_RUNS_SAMPLE]).sum()) * 2 > _RUNS_SAMPLE:
            return None
        return np.flatnonzero(_run_starts(values))
    except TypeError:  # a cell whose comparison has no truth value (pd.NA)
        return None


def _run_starts(values: np.ndarray) -> np.ndarray:
    starts = np.empty(len(values), dtype=bool)
    starts[:1] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def clean_distinct(
    uniques: np.ndarray, *, is_id: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``clean_text`` to the text values of ``uniques``.

    Returns
    -------
    cleaned, special, changed
        ``cleaned`` holds the clean texts (None for blank). ``special`` marks the values
        that need the exact per-value path: non-text cells, ids that may be numbers Excel
        reformatted, and text that may be garbled as read or once cleaned; their
        ``cleaned`` entry is to be filled in by the caller. ``changed`` marks the other
        values that cleaning changed beyond trimming their ends.

    Examples
    --------
    >>> cleaned, special, changed = clean_distinct(
    ...     np.array(["A  1", "12.0", "Jose\\u0301"], dtype=object), is_id=True)
    >>> cleaned.tolist(), special.tolist(), changed.tolist()
    (['A 1', '12.0', 'José'], [False, True, False], [True, False, True])
    """
    n = len(uniques)
    text_mask = is_text(uniques)
    text = uniques[text_mask]
    all_lines = joined(text)  # one join serves every scan of the ASCII values
    lines: str | None = all_lines
    if all_lines.isascii():  # constant time for a Python string: every value is ASCII
        ascii_text = np.ones(len(text), dtype=bool)
    else:
        ascii_text = np.fromiter(map(str.isascii, text), dtype=bool, count=len(text))
        lines = None
    cleaned_text = text.copy()
    changed_text = np.zeros(len(text), dtype=bool)
    special_text = np.zeros(len(text), dtype=bool)

    plain = text[ascii_text]
    fold = _needs_fold(plain, lines)
    if fold.any():
        folded = np.fromiter(map(" ".join, map(str.split, plain[fold])), dtype=object)
        stripped = np.fromiter(map(str.strip, plain[fold]), dtype=object)
        where = np.flatnonzero(ascii_text)[fold]
        cleaned_text[where] = folded
        changed_text[where] = (folded != stripped) & (folded != "")
    if is_id:
        special_text[ascii_text] = line_flags(plain, MAYBE_NUMBER, text=lines)

    other = text[~ascii_text]
    if len(other):
        clean_other = _clean_unicode(other)
        stripped = np.fromiter(map(str.strip, other), dtype=object, count=len(other))
        cleaned_text[~ascii_text] = clean_other
        changed_other = (clean_other != stripped) & (clean_other != "")
        changed_text[~ascii_text] = changed_other
        # Garbled text is kept as read, so the scan is of the values as read; cleaning
        # could only make a signature of a value it changed (dropping a character).
        garbled = line_flags(other, MOJIBAKE)
        altered = np.flatnonzero(changed_other & ~garbled)
        garbled[altered] = line_flags(clean_other[altered], MOJIBAKE)
        special_text[~ascii_text] = garbled
        if is_id:
            special_text[~ascii_text] |= line_flags(clean_other, MAYBE_NUMBER)

    cleaned_text[cleaned_text == ""] = None
    cleaned = np.full(n, None, dtype=object)
    cleaned[text_mask] = cleaned_text
    special = ~text_mask
    special[text_mask] = special_text
    changed = np.zeros(n, dtype=bool)
    changed[text_mask] = changed_text & ~special_text
    return cleaned, special, changed


def _needs_fold(values: np.ndarray, lines: str | None = None) -> np.ndarray:
    """Which ASCII values ``" ".join(value.split())`` changes: a space other than " ", a run
    of spaces, or a space at either end. One pass over the bytes of all values (``lines``
    is :func:`joined` of them when the caller has it)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=bool)
    text = (joined(values) if lines is None else lines).encode("ascii")
    cells = np.frombuffer(text, dtype=np.uint8)
    newlines = np.flatnonzero(cells == 10)
    if len(newlines) != n + 1:  # a value holds a newline, which needs folding too
        return np.fromiter((" ".join(v.split()) != v for v in values), dtype=bool, count=n)
    space = cells == 32
    edge = np.zeros(len(cells), dtype=bool)
    edge[1:] |= space[1:] & ((cells[:-1] == 32) | (cells[:-1] == 10))
    edge[:-1] |= space[:-1] & (cells[1:] == 10)
    bad = np.flatnonzero(edge | _OTHER_SPACE_BYTE[cells])
    flags = np.zeros(n, dtype=bool)
    flags[np.searchsorted(newlines, bad, side="right") - 1] = True
    return flags


def _clean_unicode(values: np.ndarray) -> np.ndarray:
    """NFC, drop invisible characters, fold spaces, trim: ``clean_text`` of non-ASCII text."""
    n = len(values)
    text = "\n" + "\n".join(values) + "\n"
    if text.count("\n") == n + 1:
        # NFC, the deletions and the folding never create or remove a newline, and
        # normalisation does not act across one, so the text splits back into n values.
        text = _LINE_SPACES.sub(" ", INVISIBLE.sub("", _NFC(text)))
        text = text.replace("\n ", "\n").replace(" \n", "\n")  # spaces are single now
        return np.array(text[1:-1].split("\n"), dtype=object)
    fold = functools.partial(SPACES.sub, " ")
    drop = functools.partial(INVISIBLE.sub, "")
    out = map(str.strip, map(fold, map(drop, map(_NFC, values))))
    return np.fromiter(out, dtype=object, count=n)
