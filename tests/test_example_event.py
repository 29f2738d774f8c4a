"""The bundled example event and the ``init`` templates: present, reproducible, consistent.

These tests read the files with plain pandas, openpyxl and tomllib (not with pitch-jury's
readers) and check what ``examples/event/README.md`` claims: the counts, the three score
files holding the same marks, the conflicts, and which selection rules bind. Binding is
checked with the raw mean marks as a proxy for merit, by enumerating every delegation.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import math
import re
import sys
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from scoring.config import (
    CONSTRAINT_SPECS,
    AtLeastSpec,
    ConstraintSpec,
    DiagnosticsConfig,
    EventConfig,
    EventSection,
    MaxPerSpec,
    ScoringConfig,
    SelectionConfig,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "event"
TEMPLATES = ROOT / "scoring" / "templates"
SCORE_COLUMNS = ["juror_id", "target_id", "criterion", "score"]


def _load_generator() -> ModuleType:
    """Import ``examples/make_example_event.py`` (not a package) as a module."""
    name = "make_example_event"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


def _config(path: Path) -> EventConfig:
    with path.open("rb") as f:
        return EventConfig.model_validate(tomllib.load(f))


def _candidates(folder: Path = EXAMPLE) -> pd.DataFrame:
    return pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False).assign(
        eligible=lambda df: df["eligible"].map({"true": True, "false": False})
    )


def _jurors(folder: Path = EXAMPLE) -> pd.DataFrame:
    return pd.read_csv(folder / "jurors.csv", dtype=str, keep_default_na=False)


def _scores_csv(path: Path, **read_csv: Any) -> pd.DataFrame:
    frame = pd.read_csv(
        path, dtype={"juror_id": str, "target_id": str, "criterion": str}, **read_csv
    )
    return frame.astype({"score": "float64"})


def _sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _table_below_header(rows: list[tuple[Any, ...]], first: str) -> tuple[int, pd.DataFrame]:
    """Return the header's 1-based row number and the table under it (header starts ``first``)."""
    at = next(i for i, row in enumerate(rows) if row and row[0] == first)
    header = [str(c) for c in rows[at] if c is not None]
    body = [row[: len(header)] for row in rows[at + 1 :]]
    return at + 1, pd.DataFrame(body, columns=header)


def _xlsx_scores(path: Path) -> pd.DataFrame:
    _, table = _table_below_header(_sheet_rows(path, "Оценки"), "juror_id")
    return table.astype({"score": "float64"})


# ---------------------------------------------------------------------------------------
# (a) the generator reproduces every file
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("regenerated")
    GEN.write_example_event(out / "event")
    GEN.write_templates(out / "templates")
    return out / "event", out / "templates"


def _xlsx_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _xlsx_cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in workbook}
    finally:
        workbook.close()


@pytest.mark.parametrize(
    ("folder", "files"),
    [(EXAMPLE, GEN.EXAMPLE_FILES), (TEMPLATES, GEN.TEMPLATE_FILES)],
    ids=["example", "templates"],
)
def test_the_committed_files_are_exactly_the_generated_ones(
    regenerated: tuple[Path, Path], folder: Path, files: tuple[str, ...]
) -> None:
    fresh = regenerated[0] if folder == EXAMPLE else regenerated[1]
    assert sorted(p.name for p in fresh.iterdir()) == sorted(files)
    assert {p.name for p in folder.iterdir()} >= set(files)
    for name in files:
        if name.endswith(".xlsx"):
            # zlib builds may compress differently: compare the cells and the XML inside
            assert _xlsx_cells(folder / name) == _xlsx_cells(fresh / name), name
            assert _xlsx_members(folder / name) == _xlsx_members(fresh / name), name
        else:
            assert (folder / name).read_bytes() == (fresh / name).read_bytes(), name


def test_xlsx_bytes_are_stable_within_one_environment(tmp_path: Path) -> None:
    GEN.write_templates(tmp_path / "one")
    GEN.write_templates(tmp_path / "two")
    one, two = (tmp_path / d / "template.xlsx" for d in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()


# ---------------------------------------------------------------------------------------
# (b) every TOML is a valid EventConfig pointing at existing files
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [EXAMPLE / "event.toml", EXAMPLE / "event_ru.toml", EXAMPLE / "event_xlsx.toml"],
    ids=lambda p: p.name,
)
def test_example_toml_is_valid_and_its_files_exist(path: Path) -> None:
    config = _config(path)
    assert math.isclose(sum(config.weights().values()), 1.0, abs_tol=1e-12)
    for name in (config.event.candidates, config.event.scores, config.event.jurors):
        assert name is not None and (path.parent / name).is_file()
    levels = {c.name: c.level for c in config.criteria}
    assert len(levels) == 5 and set(levels.values()) == {"project", "candidate"}


def test_toml_variants_differ_only_in_the_scores_file() -> None:
    base = (EXAMPLE / "event.toml").read_text(encoding="utf-8").splitlines()
    for name, scores in (("event_ru.toml", "scores_ru.csv"), ("event_xlsx.toml", "scores.xlsx")):
        variant = (EXAMPLE / name).read_text(encoding="utf-8").splitlines()
        changed = [(a, b) for a, b in zip(base, variant, strict=True) if a != b]
        assert len(changed) == 1 and changed[0][1].startswith(f'scores = "{scores}"')
        assert _config(EXAMPLE / name).model_dump(exclude={"event"}) == _config(
            EXAMPLE / "event.toml"
        ).model_dump(exclude={"event"})


# ---------------------------------------------------------------------------------------
# (c) the three score files hold the same marks
# ---------------------------------------------------------------------------------------


def test_russian_csv_and_xlsx_hold_the_same_marks_as_the_csv() -> None:
    marks = _scores_csv(EXAMPLE / "scores.csv")
    russian = _scores_csv(EXAMPLE / "scores_ru.csv", sep=";", decimal=",", encoding="cp1251")
    pd.testing.assert_frame_equal(russian, marks)
    pd.testing.assert_frame_equal(_xlsx_scores(EXAMPLE / "scores.xlsx"), marks)
    assert list(marks.columns) == SCORE_COLUMNS
    assert (marks["score"] % 1 == 0.5).any(), "half points make the decimal comma matter"


def test_russian_csv_looks_like_a_russian_excel_export() -> None:
    raw = (EXAMPLE / "scores_ru.csv").read_bytes()
    assert raw.startswith(b"juror_id;target_id;criterion;score\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n")
    assert re.search(rb";\d+,5\r\n", raw)


def test_xlsx_has_instructions_first_and_the_header_below_title_rows() -> None:
    path = EXAMPLE / "scores.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    sheets = workbook.sheetnames
    workbook.close()
    assert sheets == ["Инструкция", "Оценки"]
    instructions = [row[0] for row in _sheet_rows(path, "Инструкция") if row[0]]
    assert any(re.search("[а-я]", line) for line in instructions)
    assert any("Scale" in line for line in instructions)
    header_row, table = _table_below_header(_sheet_rows(path, "Оценки"), "juror_id")
    assert header_row > 1
    assert all(type(v) in (int, float) for v in table["score"])


# ---------------------------------------------------------------------------------------
# (d) counts and the jury design
# ---------------------------------------------------------------------------------------


PANEL_GROUPS = {"A": {"Asia I", "Africa"}, "B": {"Asia II", "Latin America"}}
"""The groups each jury panel heard, as ``README.md`` says."""


def _panels(jurors: pd.DataFrame) -> dict[str, set[str]]:
    """Return panel -> juror ids (a juror on ``A+B`` sits on both)."""
    panels: dict[str, set[str]] = {}
    for juror_id, panel in zip(jurors["juror_id"], jurors["panel"], strict=True):
        for name in panel.split("+"):
            panels.setdefault(name, set()).add(juror_id)
    return panels


def test_counts_match_the_issue() -> None:
    candidates, jurors = _candidates(), _jurors()
    assert candidates["group"].nunique() == 4
    assert 70 <= len(candidates) <= 90
    assert 20 <= candidates["project"].nunique() <= 28
    assert candidates.groupby("project").size().between(3, 4).all()
    assert 7 <= len(jurors) <= 9
    panels = _panels(jurors)
    assert sorted(panels) == ["A", "B"]
    assert 1 <= len(panels["A"] & panels["B"]) <= 2
    assert candidates["candidate_id"].is_unique and jurors["juror_id"].is_unique


def test_each_juror_marks_only_the_groups_of_their_panels() -> None:
    candidates, jurors = _candidates(), _jurors()
    marks = _scores_csv(EXAMPLE / "scores.csv")
    group_of = dict(zip(candidates["candidate_id"], candidates["group"], strict=True))
    group_of |= dict(zip(candidates["project"], candidates["group"], strict=True))
    heard = marks.assign(group=marks["target_id"].map(group_of)).groupby("juror_id")["group"]
    for juror_id, panel in zip(jurors["juror_id"], jurors["panel"], strict=True):
        expected = set().union(*(PANEL_GROUPS[p] for p in panel.split("+")))
        assert set(heard.get_group(juror_id)) == expected, juror_id


def test_marks_are_complete_clean_and_on_the_right_targets() -> None:
    config = _config(EXAMPLE / "event.toml")
    candidates = _candidates()
    marks = _scores_csv(EXAMPLE / "scores.csv")
    assert marks["score"].notna().all()
    assert not marks.duplicated(["juror_id", "target_id", "criterion"]).any()
    for criterion in config.criteria:
        scored = marks.loc[marks["criterion"] == criterion.name]
        assert scored["score"].between(criterion.min, criterion.max).all()
        column = "project" if criterion.level == "project" else "candidate_id"
        assert set(scored["target_id"]) == set(candidates[column])


def test_names_cover_the_scripts_and_exercise_csv_quoting() -> None:
    names = _candidates()["name"]
    for script in ("[À-ɏḀ-ỿ]", "[Ѐ-ӿ]", "[؀-ۿ]", "[一-鿿]"):
        assert names.str.contains(script).any(), script
    text = (EXAMPLE / "candidates.csv").read_text(encoding="utf-8")
    assert '""' in text, "a name with double quotes is written quoted"
    assert names.str.contains('["]').any()


def test_eligibility_never_leaves_a_group_short() -> None:
    candidates = _candidates()
    config = _config(EXAMPLE / "event.toml")
    assert 1 <= (~candidates["eligible"]).sum() <= 2
    eligible = candidates.loc[candidates["eligible"]]
    assert (eligible.groupby("group").size() >= config.selection.per_group).all()


def test_la01_not_eligible_has_the_best_pitch() -> None:
    marks = _scores_csv(EXAMPLE / "scores.csv")
    pitch = marks.loc[marks["criterion"] == "pitch"].groupby("target_id")["score"].mean()
    assert pitch.idxmax() == "LA-01"
    assert not _candidates().set_index("candidate_id").loc["LA-01", "eligible"]


# ---------------------------------------------------------------------------------------
# conflicts: the README's counts, under the documented conflict rules
# ---------------------------------------------------------------------------------------


def _conflict_hits(marks: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return masks: marks on a declared target, marks the declared rules cover, university.

    A declared conflict with a project covers its members; one with a candidate covers the
    candidate's project. The university rule matches a candidate target, or a project
    target through any member.
    """
    candidates, jurors = _candidates(), _jurors()
    project_of = dict(zip(candidates["candidate_id"], candidates["project"], strict=True))
    members = candidates.groupby("project")["candidate_id"].apply(set).to_dict()
    universities = {
        c: {u} for c, u in zip(candidates["candidate_id"], candidates["university"], strict=True)
    }
    universities |= candidates.groupby("project")["university"].apply(set).to_dict()
    declared = {
        j: set(c.split(";")) - {""}
        for j, c in zip(jurors["juror_id"], jurors["conflicts"], strict=True)
    }
    covered = {
        j: ids
        | {project_of[i] for i in ids if i in project_of}
        | {m for i in ids if i in members for m in members[i]}
        for j, ids in declared.items()
    }
    university = dict(zip(jurors["juror_id"], jurors["university"], strict=True))
    pairs = list(zip(marks["juror_id"], marks["target_id"], strict=True))
    on_declared = pd.Series([t in declared[j] for j, t in pairs], index=marks.index)
    by_declared = pd.Series([t in covered[j] for j, t in pairs], index=marks.index)
    by_university = pd.Series(
        [bool(university[j]) and university[j] in universities[t] for j, t in pairs],
        index=marks.index,
    )
    return on_declared, by_declared, by_university


def test_conflicts_are_declared_left_out_and_leave_content_for_the_exclusion_report() -> None:
    marks = _scores_csv(EXAMPLE / "scores.csv")
    on_declared, by_declared, by_university = _conflict_hits(marks)
    assert not on_declared.any(), "jurors left their declared targets unmarked"
    assert by_declared.sum() == 12  # J3 on P14's four members, J5 on P10 and P20 (4 each)
    assert by_university.sum() == 5  # J7 (RUDN) on AS1-16 and on P05's four criteria
    assert set(marks.loc[by_university, "target_id"]) == {"AS1-16", "P05"}


# ---------------------------------------------------------------------------------------
# (e) the rules bind where the README says, with raw means as a proxy for merit
# ---------------------------------------------------------------------------------------


def _proxy_merit(folder: Path, config: EventConfig) -> pd.DataFrame:
    """Return eligible candidates with ``merit``: weighted raw means (projects count for all)."""
    candidates = _candidates(folder)
    marks = _scores_csv(folder / config.event.scores)
    means = marks.groupby(["target_id", "criterion"])["score"].mean()
    merit = np.zeros(len(candidates))
    for criterion in config.criteria:
        column = "project" if criterion.level == "project" else "candidate_id"
        keys = list(zip(candidates[column], [criterion.name] * len(candidates), strict=True))
        merit += config.weights()[criterion.name] * means.reindex(keys).to_numpy()
    return candidates.assign(merit=merit).loc[lambda df: df["eligible"]].reset_index(drop=True)


Rule = Callable[[pd.DataFrame, np.ndarray], np.ndarray]


def _group_rule(spec: ConstraintSpec) -> Rule:
    """Return a vectorised check of a per-group rule over rows of candidate index triples."""
    assert isinstance(spec, AtLeastSpec | MaxPerSpec) and spec.scope == "group"
    assert spec.count is not None
    attribute, count = spec.attribute, spec.count
    if spec.kind == "at_least":
        return lambda g, combos: (g[attribute].to_numpy()[combos] == spec.value).sum(1) >= count
    if spec.kind == "max_per":

        def max_per(g: pd.DataFrame, combos: np.ndarray) -> np.ndarray:
            values = g[attribute].to_numpy()[combos]
            same = values[:, :, None] == values[:, None, :]
            return same.sum(2).max(1) <= count

        return max_per
    raise AssertionError(f"no proxy check for kind {spec.kind!r}")


def _triples(n: int, k: int) -> np.ndarray:
    """Return every ``k``-subset of ``range(n)`` as rows of an integer array."""
    return np.array(list(itertools.combinations(range(n), k)))


def _group_table(config: EventConfig) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """Return group -> (its eligible candidates with proxy merit, every possible delegation)."""
    merit = _proxy_merit(EXAMPLE, config)
    k = config.selection.per_group
    return {
        str(name): (g.reset_index(drop=True), _triples(len(g), k))
        for name, g in merit.groupby("group")
    }


def _count_rule(attribute: str, value: str | None, count: int) -> Rule:
    """Return a check that exactly ``count`` candidates have ``attribute == value``."""
    return lambda g, combos: (g[attribute].to_numpy()[combos] == value).sum(1) == count


def _best(
    g: pd.DataFrame, combos: np.ndarray, rules: list[Rule]
) -> tuple[float, np.ndarray] | None:
    """Return the best total merit and its triple among ``combos`` meeting every rule."""
    feasible = np.ones(len(combos), dtype=bool)
    for rule in rules:
        feasible &= rule(g, combos)
    if not feasible.any():
        return None
    totals = np.where(feasible, g["merit"].to_numpy()[combos].sum(1), -np.inf)
    return float(totals.max()), combos[int(totals.argmax())]


def _best_feasible(g: pd.DataFrame, combos: np.ndarray, rules: list[Rule]) -> np.ndarray:
    best = _best(g, combos, rules)
    assert best is not None, "no delegation satisfies the rules"
    return best[1]


EXPECTED_BINDING = {
    "Asia I": {"one per project", "two per country"},
    "Asia II": {"one per project"},
    "Africa": {"one per project", "woman in every group"},
    "Latin America": {"one per project", "man in every group"},
}
"""Per-group rules that change the best delegation, as ``README.md`` says."""

EXPECTED_SELECTION = {
    "Asia I": ["AS1-01", "AS1-05", "AS1-12"],
    "Asia II": ["AS2-01", "AS2-06", "AS2-09"],
    "Africa": ["AF-01", "AF-05", "AF-10"],
    "Latin America": ["LA-02", "LA-06", "LA-09"],
}
"""The proxy's selection under every rule, as ``README.md`` says."""


def test_per_group_rules_bind_where_the_readme_says() -> None:
    config = _config(EXAMPLE / "event.toml")
    rules = {
        s.name: _group_rule(s)
        for s in config.selection.constraints
        if getattr(s, "scope", "group") == "group"
    }
    assert set().union(*EXPECTED_BINDING.values()) <= set(rules)
    for group, (g, combos) in _group_table(config).items():
        binding = set()
        for name, rule in rules.items():
            best = _best_feasible(g, combos, [r for n, r in rules.items() if n != name])
            if not rule(g, best[None, :])[0]:
                binding.add(name)
        assert binding == EXPECTED_BINDING[group], group


def test_share_rule_binds_and_the_selection_matches_the_readme() -> None:
    config = _config(EXAMPLE / "event.toml")
    specs = config.selection.constraints
    group_rules = [_group_rule(s) for s in specs if getattr(s, "scope", "group") == "group"]
    (share,) = [s for s in specs if getattr(s, "scope", "group") == "all"]
    assert isinstance(share, AtLeastSpec) and share.attribute == "gender"
    assert share.share is not None
    tables = _group_table(config)
    n_seats = config.selection.per_group * len(tables)
    need = math.ceil(share.share * n_seats)
    # best delegation of each group for each number of women, under the per-group rules
    options: dict[str, dict[int, tuple[float, list[str]]]] = {}
    for group, (g, combos) in tables.items():
        options[group] = {}
        for n_women in range(config.selection.per_group + 1):
            women = _count_rule(share.attribute, share.value, n_women)
            found = _best(g, combos, [*group_rules, women])
            if found is not None:
                options[group][n_women] = (found[0], sorted(g.loc[found[1], "candidate_id"]))
    unconstrained = {group: max(o.items(), key=lambda kv: kv[1][0]) for group, o in options.items()}
    assert sum(n for n, _ in unconstrained.values()) == need - 1, "the share rule binds"
    choices = [
        (sum(opt[n][0] for opt, n in zip(options.values(), ns, strict=True)), ns)
        for ns in itertools.product(*(sorted(o) for o in options.values()))
        if sum(ns) >= need
    ]
    _, counts = max(choices)
    selection = {group: options[group][n][1] for group, n in zip(options, counts, strict=True)}
    assert selection == EXPECTED_SELECTION


# ---------------------------------------------------------------------------------------
# (f) the init templates form a tiny valid event
# ---------------------------------------------------------------------------------------


def test_template_event_is_valid_and_small() -> None:
    config = _config(TEMPLATES / "event.toml")
    assert config.event.candidates == "candidates.csv" and config.event.scores == "scores.csv"
    assert math.isclose(sum(config.weights().values()), 1.0, abs_tol=1e-12)
    candidates = _candidates(TEMPLATES)
    eligible = candidates.loc[candidates["eligible"]]
    assert 1 <= candidates["group"].nunique() <= 2
    assert (eligible.groupby("group").size() >= config.selection.per_group).all()
    assert len(_jurors(TEMPLATES)) == 2
    text = (TEMPLATES / "event.toml").read_text(encoding="utf-8")
    assert re.search("[а-я]", text), "Russian glosses"
    for section in (EventSection, ScoringConfig, DiagnosticsConfig, SelectionConfig):
        for key in set(section.model_fields) - {"constraints"}:
            assert re.search(rf"^(# )?{key} = ", text, re.MULTILINE), f"{key} is documented"
    rules_block = text[text.index("# Rules") :]
    for key in sorted({k for spec in CONSTRAINT_SPECS.values() for k in spec.model_fields}):
        assert re.search(rf"^#  .*\b{key}\b", rules_block, re.MULTILINE), f"rule key {key}"


def test_template_marks_are_complete_and_a_delegation_is_feasible() -> None:
    config = _config(TEMPLATES / "event.toml")
    candidates = _candidates(TEMPLATES)
    marks = _scores_csv(TEMPLATES / "scores.csv")
    jurors = set(_jurors(TEMPLATES)["juror_id"])
    for criterion in config.criteria:
        column = "project" if criterion.level == "project" else "candidate_id"
        scored = marks.loc[marks["criterion"] == criterion.name]
        assert len(scored) == len(jurors) * candidates[column].nunique()
        assert scored["score"].between(criterion.min, criterion.max).all()
    rules = [_group_rule(s) for s in config.selection.constraints]
    k = config.selection.per_group
    for _, g in candidates.loc[candidates["eligible"]].groupby("group"):
        g = g.reset_index(drop=True).assign(merit=0.0)
        _best_feasible(g, _triples(len(g), k), rules)


def test_template_xlsx_holds_the_csv_files_with_wide_scores() -> None:
    path = TEMPLATES / "template.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    sheets = workbook.sheetnames
    workbook.close()
    assert sheets == ["Instructions", "Candidates", "Jurors", "Scores"]
    _, cands = _table_below_header(_sheet_rows(path, "Candidates"), "candidate_id")
    expected = pd.read_csv(TEMPLATES / "candidates.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(cands.astype(str), expected)
    _, wide = _table_below_header(_sheet_rows(path, "Scores"), "juror_id")
    long = wide.melt(["juror_id", "target_id"], var_name="criterion", value_name="score")
    long = long.dropna(subset=["score"]).astype({"score": "float64"})
    marks = _scores_csv(TEMPLATES / "scores.csv")
    key = ["juror_id", "target_id", "criterion"]
    pd.testing.assert_frame_equal(
        long.sort_values(key, ignore_index=True), marks.sort_values(key, ignore_index=True)
    )
