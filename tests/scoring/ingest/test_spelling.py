"""Aliases and spelling variants: the helpers, the config models and their template lines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from scoring.config import AliasesConfig, AttributeConfig, config_from_mapping
from scoring.errors import InvalidEventError, Issue
from scoring.ingest.load import load_event
from scoring.ingest.readers import RawTable
from scoring.ingest.spelling import (
    alias_cells,
    describe_difference,
    mixed_script,
    report_variants,
)

TEMPLATE = Path(__file__).resolve().parents[3] / "scoring" / "templates" / "event.toml"


def test_every_alias_and_attribute_key_is_documented_in_the_template(tmp_path: Path) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    start, end = text.index("# [aliases]\n"), text.index("# [stability]\n")
    block = text[start:end]
    assert "\n# [attributes.gender]\n" in block
    for key in [*AliasesConfig.model_fields, *AttributeConfig.model_fields]:
        assert re.search(rf"^# {key} = ", block, re.MULTILINE), key
    # Uncommented, the examples are a valid event.toml whose aliases all map to values in use.
    live = "\n".join(
        line[2:] if line.startswith(("# [", "# ")) and re.match(r"# (\[|\w+ = )", line) else line
        for line in block.splitlines()
    )
    for name in ("candidates.csv", "jurors.csv", "scores.csv"):
        shutil.copy(TEMPLATE.parent / name, tmp_path / name)
    (tmp_path / "event.toml").write_text(text[:start] + live + "\n" + text[end:], encoding="utf-8")
    event = load_event(tmp_path)
    assert event.config.aliases.group == {"group a": "Group A"}
    assert event.config.attributes["gender"].values == ("F", "M")
    assert not [c for c in event.warnings["code"] if c.startswith(("attribute.", "config."))]


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ({"a": "a"}, "maps a spelling to itself"),
        ({"a": "b", "b": "c"}, "'b' is itself an alias"),
        ({"a": "b", " a ": "c"}, "mapped to both"),
    ],
)
def test_alias_tables_reject_self_maps_chains_and_double_maps(
    aliases: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        AliasesConfig(group=aliases)


def test_a_spelling_cannot_alias_a_candidate_and_a_project_differently() -> None:
    with pytest.raises(ValidationError, match="keep one"):
        AliasesConfig(candidate_id={"x1": "X1"}, project={"x1": "PX1"})


def test_attribute_aliases_must_map_to_declared_values() -> None:
    with pytest.raises(ValidationError, match="not one of values"):
        AttributeConfig.model_validate({"values": ["F", "M"], "aliases": {"Ж": "W"}})
    with pytest.raises(ValidationError, match="both a value and an alias"):
        AttributeConfig.model_validate({"values": ["F", "f"], "aliases": {"f": "F"}})
    assert AttributeConfig.model_validate({"values": [1, 2]}).values == (
        "1",
        "2",
    )  # TOML numbers are text


def test_bad_alias_keys_are_located_config_errors() -> None:
    data = {
        "event": {"name": "e", "candidates": "-", "scores": "-"},
        "criteria": [{"name": "pitch", "weight": 1, "min": 1, "max": 10}],
        "aliases": {"group": {"a": "a"}},
    }
    with pytest.raises(InvalidEventError) as info:
        config_from_mapping(data)
    (issue,) = info.value.issues
    assert (issue.code, issue.column) == ("config.invalid", "aliases.group")
    assert "Value error" not in issue.message


def test_alias_cells_keep_a_categorical_column_categorical() -> None:
    cells = pd.DataFrame({"target_id": pd.Categorical(["A1", "a1", "B2", None])})
    table = RawTable(cells, np.arange(2, 6), "s.csv", None, False)
    mapped = alias_cells(table, "target_id", {"a1": "A1"}).frame["target_id"]
    assert isinstance(mapped.dtype, pd.CategoricalDtype)
    assert mapped.astype(object).where(mapped.notna(), None).tolist() == ["A1", "A1", "B2", None]
    assert alias_cells(table, "target_id", {"zz": "A1"}) is table


@pytest.mark.parametrize(
    ("first", "second", "said"),
    [
        ("Africa", "AFRICA", "case"),
        ("P-1", "P 1", "spaces or punctuation"),
        ("José", "Jose", "accents"),
        ("Asia", "\u0410sia", "Latin 'A' / Cyrillic 'А'"),
        ("M", "\u041c", "Latin 'M' / Cyrillic 'М'"),
    ],
)
def test_differences_are_named(first: str, second: str, said: str) -> None:
    assert said in describe_difference(first, second)


def test_mixed_scripts_name_the_odd_letters_only_inside_one_word() -> None:
    assert mixed_script("Москва Moscow") == ()  # two words, one script each
    assert mixed_script("Mоscow") == ("о",)  # Cyrillic о in a Latin word
    assert mixed_script("王小明") == ()


def test_variants_list_every_spelling_with_rows_commonest_first() -> None:
    found: list[Issue] = []
    uniques = np.array(["Africa", "AFRICA", "Asia", "africa"], dtype=object)
    codes = np.array([0, 0, 0, 1, 2, 3, -1])
    reported = report_variants(
        codes,
        uniques,
        np.arange(2, 9),
        what="groups",
        alias="group",
        file="c.csv",
        sheet=None,
        column="group",
        report=found.append,
    )
    assert reported == {0, 1, 3}
    # One issue per other spelling, each at its own first row; each lists every spelling.
    assert [(i.row, i.value) for i in found] == [(5, "AFRICA"), (7, "africa")]
    for issue in found:
        assert "'Africa' (rows 2, 3, 4) and 'AFRICA' (row 5) and 'africa' (row 7)" in issue.message
