"""The many-values text passes in scoring.textscan agree with the one-value rules in cells."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.ingest.cells import clean_text, fix_id, looks_garbled, near_duplicate_key
from scoring.ingest.textscan import (
    MAYBE_NUMBER,
    ascii_keys,
    clean_distinct,
    distinct,
    factorize_runs,
    is_totals_label,
    line_flags,
    totals_labels,
)

# Characters that exercise every rule: spaces of all kinds, newlines, invisible and
# combining characters, digits and number punctuation, mojibake pieces, totals words.
_PIECES = [
    " ", "  ", "\t", "\n", "\r", "\x0b", "\x1c", "\u00a0", "\u2003", "\u3000", "\u200b",
    "\ufeff", "\u00ad", "e\u0301", "\u0301", "1", "12", ".0", ",5", "E+15", "e3", "+", "-",
    "A", "b", "ß", "ſ", "К", "Итого", "итого", "TOTAL", "Sum", ":", "Ã©", "РџСЂ", "\ufffd",
    "José", "李", "محمد", "x", "Г", "±", "б»…", "Ѓ",
]  # fmt: skip
texts = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)
values = st.lists(texts, max_size=30, unique=True).map(lambda v: np.array(v, dtype=object))
_ORIGINAL_MAYBE_NUMBER = re.compile(r"^\s*[+-]?\d+[.,]|^\s*[+-]?\d+[eE]")


@given(values, st.booleans())
def test_clean_distinct_matches_clean_text(uniques: np.ndarray, is_id: bool) -> None:
    cleaned, special, changed = clean_distinct(uniques, is_id=is_id)
    for value, got, is_special, is_changed in zip(uniques, cleaned, special, changed, strict=True):
        expected = clean_text(value)
        must_be_special = expected is not None and (
            looks_garbled(value)  # garbled text is kept as read, not cleaned
            or looks_garbled(expected)
            or (is_id and fix_id(expected)[1] != "ok")
        )
        if must_be_special:
            assert is_special, value
        if is_special:
            continue
        assert got == expected, value
        assert is_changed == (expected is not None and expected != value.strip()), value


@given(values)
def test_totals_labels_match_is_totals_label(uniques: np.ndarray) -> None:
    expected = [is_totals_label(v) for v in uniques]
    assert totals_labels(uniques).tolist() == expected


@given(values)
def test_maybe_number_flags_every_id_the_original_rule_flags(uniques: np.ndarray) -> None:
    flags = line_flags(uniques, MAYBE_NUMBER)
    for value, flag in zip(uniques, flags, strict=True):
        if _ORIGINAL_MAYBE_NUMBER.search(value):
            assert flag, value
        elif "\n" not in value:
            assert not flag, value


@given(st.lists(st.text(alphabet=st.characters(max_codepoint=127)), max_size=30))
def test_ascii_keys_match_near_duplicate_key(items: list[str]) -> None:
    uniques = np.array(items, dtype=object)
    assert ascii_keys(uniques).tolist() == [near_duplicate_key(v) for v in items]


def test_line_flags_with_newline_values_flags_them() -> None:
    uniques = np.array(["a\nb", "12.0", "c"], dtype=object)
    assert line_flags(uniques, MAYBE_NUMBER).tolist() == [True, True, False]


def test_totals_labels_handle_non_text_values() -> None:
    uniques = np.array([12, None, "Total:", "Ttl"], dtype=object)
    assert totals_labels(uniques).tolist() == [False, False, True, False]


def test_distinct_drops_unused_categories() -> None:
    series = pd.Series(pd.Categorical(["b", None, "b"], categories=["a", "b", "c"]))
    codes, uniques = distinct(series)
    assert codes.tolist() == [0, -1, 0]
    assert uniques.tolist() == ["b"]


def test_distinct_of_long_grouped_column_matches_factorize() -> None:
    rng = np.random.default_rng(3)
    cells = np.repeat(np.array(["b", "a", None, "c", np.nan], dtype=object), 20_000)
    cells[rng.integers(0, len(cells), 50)] = "z"  # break some runs
    codes, uniques = distinct(pd.Series(cells, dtype=object))
    expected_codes, expected_uniques = pd.factorize(cells, use_na_sentinel=True)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.tolist() == list(expected_uniques)


def test_distinct_of_long_column_with_pd_na_falls_back() -> None:
    cells = np.repeat(np.array(["b", pd.NA], dtype=object), 40_000)
    codes, uniques = distinct(pd.Series(cells, dtype=object))
    assert sorted(set(codes.tolist())) == [-1, 0]
    assert uniques.tolist() == ["b"]


@pytest.mark.parametrize("sort", [False, True])
def test_factorize_runs_matches_factorize(sort: bool) -> None:
    rng = np.random.default_rng(7)
    cells = np.repeat(np.array(["m", "b", None, "a", "b"], dtype=object), 20_000)
    cells[rng.integers(0, len(cells), 80)] = "z"  # break some runs
    for values in (cells, cells[rng.permutation(len(cells))], cells[:1000]):
        codes, uniques = factorize_runs(values, sort=sort)
        expected_codes, expected_uniques = pd.factorize(values, sort=sort, use_na_sentinel=True)
        assert codes.tolist() == expected_codes.tolist()
        assert uniques.tolist() == list(expected_uniques)


@pytest.mark.parametrize(
    "text",
    ["Luíza", "Año", "Gonçalves", "Renée Zoë", "Łukasz", "Nguyễn Thị Mai", "王小明", "Émile"],
)
def test_utf8_read_as_cp1251_is_garbled(text: str) -> None:
    garbled = text.encode("utf-8").decode("cp1251", errors="replace")
    assert looks_garbled(garbled), garbled
    assert not looks_garbled(text)


@pytest.mark.parametrize(
    "text",
    ["Віталій Гімназія", "ООО «ДЕ»", "«Мама»—папа", "Сёмин Работа", "Kazan ГУ", "МГУ им. Баумана"],
)
def test_russian_and_ukrainian_text_is_not_garbled(text: str) -> None:
    assert not looks_garbled(text)
