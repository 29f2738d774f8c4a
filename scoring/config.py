"""The one frozen configuration of an event, as read from ``event.toml``.

Everything that shapes a run lives in :class:`EventConfig`: the input files, the criteria,
the scoring method, the diagnostics and the selection rules. Every model is frozen and
rejects unknown keys, so a misspelt key is an error, not a silently ignored setting.
``pitch-jury schema`` prints :func:`config_json_schema`.

Examples
--------
>>> cfg = EventConfig.model_validate({
...     "event": {"name": "demo", "candidates": "c.csv", "scores": "s.csv"},
...     "criteria": [{"name": "pitch", "weight": "100%", "min": 1, "max": 10}],
... })
>>> cfg.criteria[0].weight, cfg.scoring.method, cfg.selection.per_group
(1.0, 'additive', 3)
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from scoring.errors import InvalidEventError, Issue

__all__ = [
    "CONFIG_NAME",
    "CONSTRAINT_SPECS",
    "DEFAULT_SEED",
    "AliasesConfig",
    "AtLeastEachSpec",
    "AtLeastSpec",
    "AtMostSpec",
    "AttributeConfig",
    "BayesConfig",
    "ConstraintSpec",
    "CriterionConfig",
    "DiagnosticsConfig",
    "DistinctSpec",
    "EventConfig",
    "EventSection",
    "ExcludeSpec",
    "FrozenModel",
    "MaxPerSpec",
    "MinMeritSpec",
    "RequireSpec",
    "ScoringConfig",
    "SelectionConfig",
    "StabilityConfig",
    "config_from_mapping",
    "config_issue",
    "config_json_schema",
    "constraint_spec",
]

CONFIG_NAME = "event.toml"
"""The name of an event's configuration file inside its folder."""

DEFAULT_NOT_SCORED: tuple[str, ...] = ("н/я", "N/A", "-")

DEFAULT_SEED = 2019
"""The seed used when ``[selection] seed`` is not given (reported as ``config.default_seed``)."""

ScoringMethod = Literal[
    "raw", "zscore", "minmax", "rank", "robust", "additive", "additive_scale", "bayes"
]
AggregateMethod = Literal["mean", "median", "trimmed"]


class FrozenModel(BaseModel):
    """Base of every configuration model: frozen, no unknown keys, text stripped.

    Examples
    --------
    >>> class Demo(FrozenModel):
    ...     name: str
    >>> Demo(name=" x ").name
    'x'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EventSection(FrozenModel):
    """``[event]``: the event's name and its files (paths relative to ``event.toml``)."""

    name: str = Field(min_length=1, description="Name of the pitch session, shown in reports.")
    candidates: str = Field(description="Candidates file: csv, tsv, txt or xlsx.")
    scores: str = Field(description="Score sheet (long or wide form): csv, tsv, txt or xlsx.")
    jurors: str | None = Field(default=None, description="Optional jurors file.")
    candidates_sheet: str | None = Field(
        default=None,
        description="Workbook sheet holding the candidates; unset: the sheet with the "
        "expected headers (an error when several have them). Ignored for text files.",
    )
    scores_sheet: str | None = Field(
        default=None,
        description="Workbook sheet holding the marks; unset: the sheet with the expected "
        "headers (an error when several have them). Ignored for text files.",
    )
    jurors_sheet: str | None = Field(
        default=None,
        description="Workbook sheet holding the jurors; unset: the sheet with the expected "
        "headers (an error when several have them). Ignored for text files.",
    )
    not_scored: tuple[str, ...] = Field(
        default=DEFAULT_NOT_SCORED,
        description="Cell values meaning 'not scored' (read as missing, with a warning).",
    )
    normalise_weights: bool = Field(
        default=False,
        description="Divide criterion weights by their sum instead of requiring them to sum to 1.",
    )


class CriterionConfig(FrozenModel):
    """``[[criteria]]``: a scored dimension with its weight and scale."""

    name: str = Field(min_length=1, description="Criterion name as written in the score sheet.")
    weight: Annotated[float, Field(ge=0, description="Weight: a number or a percentage '25%'.")]
    min: float = Field(description="Lowest mark on the scale.")
    max: float = Field(description="Highest mark on the scale.")
    level: Literal["project", "candidate"] = Field(
        default="candidate",
        description="'project': one mark per project, counted for every member; "
        "'candidate': each candidate's own mark.",
    )
    label: str | None = Field(default=None, description="Longer name for reports.")

    @field_validator("weight", mode="before")
    @classmethod
    def _parse_weight(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().replace(",", ".")
            match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*%", text)
            if match:
                return float(match.group(1)) / 100.0
            try:
                return float(text)
            except ValueError:
                raise ValueError(
                    f"weight {value!r} is not a number or a percentage such as '25%'"
                ) from None
        return value

    @model_validator(mode="after")
    def _check_scale(self) -> CriterionConfig:
        if not (math.isfinite(self.min) and math.isfinite(self.max)) or self.min >= self.max:
            raise ValueError(
                f"scale of criterion '{self.name}' must have min < max, got {self.min}..{self.max}"
            )
        return self


class BayesConfig(FrozenModel):
    """``[scoring.bayes]``: the sampler of ``method = "bayes"`` (:mod:`scoring.models.bayes`)."""

    n_chains: int = Field(default=4, ge=1, le=64, description="Independent Markov chains.")
    n_draws: int = Field(default=1000, ge=10, description="Draws kept per chain.")
    n_warmup: int = Field(default=500, ge=0, description="Draws discarded first per chain.")
    seed: int | None = Field(
        default=None, ge=0, description="Sampler seed; unset: [selection] seed is used."
    )
    panel: str | None = Field(
        default=None,
        description="Juror attribute naming each juror's panel (room); when set, the model "
        "adds a panel effect.",
    )
    max_rhat: float = Field(
        default=1.01, gt=1, description="Warn when a quantity's R-hat exceeds this."
    )


class ScoringConfig(FrozenModel):
    """``[scoring]``: how marks are normalised, calibrated and aggregated."""

    method: ScoringMethod = Field(
        default="additive",
        description="Juror-level normalisation or calibration method. 'bayes' samples a "
        "posterior: about 1 s for the example event (874 marks) and about 2 minutes for "
        "30,000 candidates with one mark each at the default draws (measured on 2 cores); "
        "the other methods take well under a second there.",
    )
    aggregate: AggregateMethod = Field(default="mean", description="Panel aggregate per target.")
    trim: int = Field(default=1, ge=0, description="Marks dropped at each end by 'trimmed'.")
    decimals: int | None = Field(
        default=None, ge=0, le=10, description="Round panel scores to this many places."
    )
    min_jurors: int = Field(default=2, ge=1, description="Flag targets with fewer jurors.")
    conflicts: tuple[str, ...] = Field(
        default=(),
        description="Attributes a juror must not share with a target they score "
        "(e.g. 'university'); such marks are excluded.",
    )
    ridge: float = Field(
        default=0.1,
        ge=0,
        description="Ridge penalty on juror offsets in the additive model, "
        "in units of one mark's weight.",
    )
    bayes: BayesConfig = Field(
        default_factory=BayesConfig, description="Sampler settings of method 'bayes'."
    )


class DiagnosticsConfig(FrozenModel):
    """``[diagnostics]``: juror and panel diagnostics."""

    affinity: tuple[str, ...] = Field(
        default=(), description="Attributes for the affinity-bias audit (e.g. 'country')."
    )
    outlier_threshold: float = Field(
        default=2.5,
        gt=0,
        description="Flag a mark deviating from the leave-one-out panel mean by more than "
        "this many scale points.",
    )


class _RuleSpec(FrozenModel):
    """Keys every rule kind has: a name and how it bends."""

    name: str | None = Field(default=None, description="Short name shown in reports.")
    soft: bool = Field(
        default=False, description="Bend the rule when the others leave no choice (reported)."
    )
    priority: int = Field(
        default=0,
        description="Soft rules without a penalty: met lexicographically, higher first, "
        "before merit is maximised. Hard rules: the order in which a relaxation bends them "
        "(higher bends later).",
    )
    penalty: float | None = Field(
        default=None,
        ge=0,
        description="Soft rules only: bending by one representative costs this much merit.",
    )

    @model_validator(mode="after")
    def _bending(self) -> _RuleSpec:
        if self.penalty is not None and not self.soft:
            raise ValueError("'penalty' only applies to soft rules; add soft = true")
        if self.penalty is not None and self.priority != 0:
            raise ValueError("give a soft rule either a 'priority' or a 'penalty', not both")
        return self


class _ScopedSpec(_RuleSpec):
    scope: Literal["group", "all"] = Field(
        default="group", description="'group': in each group; 'all': in the whole delegation."
    )
    groups: tuple[str, ...] | None = Field(
        default=None, description="Only these groups (each, or together with scope = 'all')."
    )


def _text(value: Any) -> Any:
    """Attribute values are text: a TOML number (``value = 1``) is read as ``"1"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list | tuple):
        return tuple(_text(v) for v in value)
    return value


class _QuotaSpec(_ScopedSpec):
    attribute: str = Field(min_length=1, description="Candidate column the rule counts.")
    value: str | None = Field(default=None, description="The attribute value counted.")
    values: tuple[str, ...] | None = Field(
        default=None, min_length=1, description="Several values counted together."
    )
    count: int | None = Field(default=None, ge=0, description="A number of representatives.")
    share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="A fraction of the seats in scope (rounded up for at_least, down for at_most).",
    )

    _as_text = field_validator("value", "values", mode="before")(lambda cls, v: _text(v))

    @model_validator(mode="after")
    def _one_of_each(self) -> _QuotaSpec:
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of 'value' and 'values'")
        if (self.count is None) == (self.share is None):
            raise ValueError("give exactly one of 'count' and 'share'")
        return self


class AtLeastSpec(_QuotaSpec):
    """``kind = "at_least"``: at least ``count`` (or a ``share`` of the seats) with a value."""

    kind: Literal["at_least"]
    if_available: bool = Field(
        default=False, description="Lower the minimum to what the scope can supply."
    )


class AtMostSpec(_QuotaSpec):
    """``kind = "at_most"``: at most ``count`` (or a ``share`` of the seats) with a value."""

    kind: Literal["at_most"]


class MaxPerSpec(_ScopedSpec):
    """``kind = "max_per"``: at most ``count`` sharing a value (one per project, ...)."""

    kind: Literal["max_per"]
    attribute: str = Field(min_length=1, description="Candidate column the rule counts.")
    count: int = Field(default=1, ge=1, description="Most representatives per value.")
    values: tuple[str, ...] | None = Field(
        default=None, min_length=1, description="Only these values are limited."
    )

    _as_text = field_validator("values", mode="before")(lambda cls, v: _text(v))


class DistinctSpec(_ScopedSpec):
    """``kind = "distinct"``: at least ``min`` different values of ``attribute``."""

    kind: Literal["distinct"]
    attribute: str = Field(min_length=1, description="Candidate column the rule counts.")
    min: int = Field(default=1, ge=0, description="Fewest different values.")
    values: tuple[str, ...] | None = Field(
        default=None, min_length=1, description="Only these values count."
    )
    if_available: bool = Field(
        default=False, description="Lower the minimum to what the scope can supply."
    )

    _as_text = field_validator("values", mode="before")(lambda cls, v: _text(v))


class AtLeastEachSpec(_ScopedSpec):
    """``kind = "at_least_each"``: at least ``count`` of *each* of ``values``.

    One minimum per value, e.g. every partner country of the delegation represented
    (``scope = "all"``), which takes one ``at_least`` rule per value otherwise.
    """

    kind: Literal["at_least_each"]
    attribute: str = Field(min_length=1, description="Candidate column the rule counts.")
    values: tuple[str, ...] = Field(min_length=1, description="Each of these values.")
    count: int = Field(default=1, ge=0, description="Fewest representatives per value.")
    if_available: bool = Field(
        default=False, description="Lower each minimum to what the scope can supply."
    )

    _as_text = field_validator("values", mode="before")(lambda cls, v: _text(v))


class RequireSpec(_RuleSpec):
    """``kind = "require"``: these candidate ids must be selected."""

    kind: Literal["require"]
    ids: tuple[str, ...] = Field(min_length=1, description="Candidate ids.")


class ExcludeSpec(_RuleSpec):
    """``kind = "exclude"``: these candidate ids must not be selected."""

    kind: Literal["exclude"]
    ids: tuple[str, ...] = Field(min_length=1, description="Candidate ids.")


class MinMeritSpec(_ScopedSpec):
    """``kind = "min_merit"``: nobody with merit below ``merit`` is selected."""

    kind: Literal["min_merit"]
    merit: float = Field(allow_inf_nan=False, description="The merit floor.")


ConstraintSpec = Annotated[
    AtLeastSpec
    | AtMostSpec
    | MaxPerSpec
    | DistinctSpec
    | AtLeastEachSpec
    | RequireSpec
    | ExcludeSpec
    | MinMeritSpec,
    Field(discriminator="kind"),
]
"""``[[selection.constraints]]``: one fairness or eligibility rule, as data.

One model per ``kind``, each with only its own keys, so a key that does not go with the
kind is an error naming the kind, and the JSON Schema tells which keys go with which kind.
:mod:`selection.model.constraints` turns each spec into a rule object.
"""

CONSTRAINT_SPECS: dict[str, type[_RuleSpec]] = {
    spec.model_fields["kind"].annotation.__args__[0]: spec  # type: ignore[union-attr]
    for spec in (
        AtLeastSpec,
        AtMostSpec,
        MaxPerSpec,
        DistinctSpec,
        AtLeastEachSpec,
        RequireSpec,
        ExcludeSpec,
        MinMeritSpec,
    )
}
"""The spec model of each rule kind, by kind."""

_CONSTRAINT_SPEC: TypeAdapter[ConstraintSpec] = TypeAdapter(ConstraintSpec)


def constraint_spec(data: Mapping[str, Any]) -> ConstraintSpec:
    """Validate one rule's keys (a ``[[selection.constraints]]`` table) into its spec.

    Raises
    ------
    pydantic.ValidationError
        Unknown kind, a key that does not go with the kind, or a bad value.

    Examples
    --------
    >>> constraint_spec({"kind": "max_per", "attribute": "project"}).count
    1
    """
    return _CONSTRAINT_SPEC.validate_python(dict(data))


class SelectionConfig(FrozenModel):
    """``[selection]``: seats per group, seed, solver and the rules."""

    per_group: int = Field(default=3, ge=1, description="Representatives per group.")
    seats: dict[str, int] = Field(
        default_factory=dict, description="Per-group overrides of per_group: {group = seats}."
    )
    seed: int = Field(default=DEFAULT_SEED, ge=0, description="Seed for tie-breaks and lotteries.")
    solver: Literal["auto", "highs", "cbc"] = Field(
        default="auto",
        description="'auto': the decomposition by groups (exact, and fast at any size) when "
        "the event fits it, else HiGHS; 'highs' or 'cbc': the integer programme with that "
        "solver (the independent check).",
    )
    time_limit: float = Field(default=60.0, gt=0, description="Solver time limit in seconds.")
    max_ties: int = Field(
        default=20,
        ge=1,
        description="Most tied optimal delegations listed (the decomposition counts all of "
        "them; the integer programme alone stops enumerating here).",
    )
    cross_check: bool = Field(
        default=False,
        description="Solve again with the other solver (the integer programme with HiGHS "
        "after the decomposition, else highs and cbc) and stop with an error if the two "
        "disagree; recorded in audit.json.",
    )
    constraints: tuple[ConstraintSpec, ...] = ()
    lottery: Literal["none", "grey-zone"] = Field(
        default="none",
        description="'grey-zone': per group, seats not settled by the 50% rank intervals are "
        "drawn by seeded lot among the candidates whose interval crosses the cut-off, under "
        "every rule. It needs the rank intervals of the 'bayes' method, and so its cost "
        "(see [scoring] method).",
    )

    @property
    def seed_given(self) -> bool:
        """Whether ``seed`` was given (in ``event.toml`` or by the caller); when not, the
        default :data:`DEFAULT_SEED` is used and validation says so.

        Examples
        --------
        >>> SelectionConfig().seed_given, SelectionConfig(seed=2019).seed_given
        (False, True)
        """
        return "seed" in self.model_fields_set


class StabilityConfig(FrozenModel):
    """``[stability]``: how stable the delegation is when the jury is resampled."""

    resamples: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="Bootstrap resamples of each panel's jurors (0: no stability analysis). "
        "Each resample scores and selects again: about 1.5 ms for the example event and "
        "0.2 s at 30,000 candidates (2 cores), so 1,000 resamples there take minutes.",
    )
    leave_one_out: bool = Field(default=False, description="Also rerun once without each juror.")
    core: float = Field(
        default=0.9,
        gt=0.5,
        le=1.0,
        description="Selection frequency at or above which a representative is in the "
        "stable core (and at or below 1 - core a candidate is stably out).",
    )
    seed: int | None = Field(
        default=None, ge=0, description="Seed of the resampling (default: [selection] seed)."
    )


def _spelling(text: str) -> str:
    """Return a spelling as cells are compared: NFC, runs of spaces as one, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _alias_table(value: Any) -> Any:
    """Check an alias table as written (see :func:`_checked_aliases`); a TOML number
    (``"7" = 7``) is read as ``"7"``. Anything but a table of texts is left to pydantic."""
    if not isinstance(value, Mapping):
        return value
    table = {str(k): _text(v) for k, v in value.items()}
    if not all(isinstance(v, str) for v in table.values()):
        return table
    return _checked_aliases(table)


def _checked_aliases(aliases: Mapping[str, str]) -> dict[str, str]:
    """Return ``{spelling: canonical}`` with both sides as cells are compared.

    Raises
    ------
    ValueError
        A spelling mapped to itself, a canonical value that is itself a spelling (a chain),
        or one spelling (after folding spaces) mapped to two values.
    """
    out: dict[str, str] = {}
    for key, value in aliases.items():
        spelling, canonical = _spelling(key), _spelling(value)
        if not spelling or not canonical:
            raise ValueError(f"alias {key!r} = {value!r}: give both spellings")
        if spelling == canonical:
            raise ValueError(f"alias {key!r} maps a spelling to itself; remove it")
        if out.get(spelling, canonical) != canonical:
            raise ValueError(
                f"{key!r} is mapped to both {out[spelling]!r} and {canonical!r}; keep one"
            )
        out[spelling] = canonical
    for spelling, canonical in out.items():
        if canonical in out:
            raise ValueError(
                f"alias {spelling!r} = {canonical!r}: {canonical!r} is itself an alias (of "
                f"{out[canonical]!r}); map every spelling straight to the value used"
            )
    return out


class AliasesConfig(FrozenModel):
    """``[aliases]``: other spellings of a group, project, criterion or id.

    Each table maps a spelling to the one used (its canonical value), e.g.
    ``group = { "africa" = "Africa" }``. Aliases are applied to every cell before any
    check (candidates, jurors and their conflicts, the score sheet's ids, criteria and
    wide-form headers), so the rest of the run sees only the canonical values. Spellings
    that differ only in case, spaces or look-alike letters of another script are an error
    (``id.near_duplicate``) unless declared here. A canonical value must exist: a group or
    project of the candidates, a criterion of ``event.toml``, a candidate or juror id
    (``config.alias_unknown`` otherwise).

    Examples
    --------
    >>> AliasesConfig(group={" africa ": "Africa"}).group
    {'africa': 'Africa'}
    """

    group: dict[str, str] = Field(
        default_factory=dict, description="Other spellings of groups: {spelling = group}."
    )
    project: dict[str, str] = Field(
        default_factory=dict, description="Other spellings of project ids: {spelling = project}."
    )
    criterion: dict[str, str] = Field(
        default_factory=dict,
        description="Other names of criteria in the score sheet: {name in the sheet = criterion}.",
    )
    candidate_id: dict[str, str] = Field(
        default_factory=dict,
        description="Other spellings of candidate ids (in the score sheet, conflicts): "
        "{spelling = candidate_id}.",
    )
    juror_id: dict[str, str] = Field(
        default_factory=dict, description="Other spellings of juror ids: {spelling = juror_id}."
    )

    _checked = field_validator("*", mode="before")(lambda cls, v: _alias_table(v))

    @model_validator(mode="after")
    def _one_target_each(self) -> AliasesConfig:
        # a score sheet's target id is a candidate id or a project id: one alias each
        for spelling in sorted(set(self.candidate_id) & set(self.project)):
            if self.candidate_id[spelling] != self.project[spelling]:
                raise ValueError(
                    f"{spelling!r} is an alias of candidate {self.candidate_id[spelling]!r} "
                    f"and of project {self.project[spelling]!r}; keep one"
                )
        return self

    def targets(self) -> dict[str, str]:
        """Return the aliases of a score sheet's target ids: candidate ids and projects."""
        return {**self.project, **self.candidate_id}


class AttributeConfig(FrozenModel):
    """``[attributes.<name>]``: the values a candidate attribute may take, and other spellings.

    With ``values``, a candidate whose value (after ``aliases``) is not one of them is an
    error (``attribute.unknown_value``), and so is a rule counting a value not listed.
    ``aliases`` maps a spelling to the value used (``{ "Ж" = "F" }``), applied before any
    check, to the candidates and to a jurors' column of the same name.

    Examples
    --------
    >>> AttributeConfig(values=["F", "M"], aliases={"Ж": "F"}).aliases
    {'Ж': 'F'}
    """

    values: tuple[str, ...] | None = Field(
        default=None,
        min_length=1,
        description="Every value the attribute may take; any other value is an error.",
    )
    aliases: dict[str, str] = Field(
        default_factory=dict,
        description="Other spellings of a value: {spelling = value}, e.g. {'Ж' = 'F'}.",
    )

    _values_as_text = field_validator("values", mode="before")(lambda cls, v: _text(v))
    _checked = field_validator("aliases", mode="before")(lambda cls, v: _alias_table(v))

    @model_validator(mode="after")
    def _aliases_of_values(self) -> AttributeConfig:
        if self.values is None:
            return self
        declared = {_spelling(v) for v in self.values}
        for spelling, canonical in self.aliases.items():
            if canonical not in declared:
                raise ValueError(
                    f"alias {spelling!r} = {canonical!r}: {canonical!r} is not one of values"
                )
            if spelling in declared:
                raise ValueError(f"{spelling!r} is both a value and an alias; keep one")
        return self


class EventConfig(FrozenModel):
    """The whole ``event.toml``."""

    event: EventSection
    criteria: tuple[CriterionConfig, ...] = Field(min_length=1)
    scoring: ScoringConfig = ScoringConfig()
    diagnostics: DiagnosticsConfig = DiagnosticsConfig()
    selection: SelectionConfig = SelectionConfig()
    stability: StabilityConfig = StabilityConfig()
    aliases: AliasesConfig = AliasesConfig()
    attributes: dict[str, AttributeConfig] = Field(
        default_factory=dict,
        description="Per candidate attribute: its allowed values and other spellings.",
    )

    def criterion(self, name: str) -> CriterionConfig:
        """Return the criterion called ``name``.

        Raises
        ------
        KeyError
            When no criterion has that name.
        """
        for criterion in self.criteria:
            if criterion.name == name:
                return criterion
        raise KeyError(name)

    def weights(self) -> dict[str, float]:
        """Return criterion weights, divided by their sum when ``normalise_weights`` is on.

        Examples
        --------
        >>> cfg = EventConfig.model_validate({
        ...     "event": {"name": "e", "candidates": "c.csv", "scores": "s.csv",
        ...               "normalise_weights": True},
        ...     "criteria": [{"name": "a", "weight": 2, "min": 0, "max": 1},
        ...                  {"name": "b", "weight": 2, "min": 0, "max": 1}]})
        >>> cfg.weights()
        {'a': 0.5, 'b': 0.5}
        """
        raw = {c.name: c.weight for c in self.criteria}
        if self.event.normalise_weights:
            total = sum(raw.values())
            if total > 0:
                return {k: v / total for k, v in raw.items()}
        return raw


def config_json_schema() -> str:
    """Return the JSON Schema of ``event.toml`` as indented JSON text.

    Examples
    --------
    >>> import json
    >>> sorted(json.loads(config_json_schema())["properties"])[:4]
    ['aliases', 'attributes', 'criteria', 'diagnostics']
    """
    schema = EventConfig.model_json_schema()
    schema["title"] = "pitch-jury event.toml"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True)


def config_from_mapping(data: Mapping[str, Any], *, file: str = CONFIG_NAME) -> EventConfig:
    """Validate configuration data; raise :class:`InvalidEventError` with every bad key.

    Examples
    --------
    >>> try:
    ...     config_from_mapping({"event": {"name": "x"}, "criteria": []})
    ... except InvalidEventError as err:
    ...     print(sorted(i.column for i in err.issues))
    ['criteria', 'event.candidates', 'event.scores']
    """
    try:
        return EventConfig.model_validate(dict(data))
    except ValidationError as exc:
        issues = [config_issue(error, file) for error in exc.errors()]
        raise InvalidEventError(issues) from None


def config_issue(error: Any, file: str, *, prefix: str = "") -> Issue:
    """Return one pydantic validation error as a located ``config.invalid`` issue.

    ``prefix`` is prepended to the key path (``selection.constraints[0]`` for one rule).
    Inside a rule, the message names the rule's kind and the keys that go with it.

    Examples
    --------
    >>> error = {"loc": ("count",), "type": "missing", "input": None, "msg": "missing"}
    >>> config_issue(error, "event.toml", prefix="selection.constraints[2]").column
    'selection.constraints[2].count'
    >>> error = {"loc": ("selection", "constraints", 0, "require", "count"), "input": 2,
    ...          "type": "extra_forbidden", "msg": "Extra inputs are not permitted"}
    >>> config_issue(error, "event.toml").message.split(";")[0]
    "Key 'count' does not go with a 'require' rule (selection.constraints[0])"
    """
    location, kind = prefix, None
    for part in error["loc"]:
        if kind is None and isinstance(part, str) and part in CONSTRAINT_SPECS and location:
            kind = part  # the tag pydantic adds for a member of the rule union
            continue
        location += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
        )
    code = error["type"]
    value = None if code == "missing" else str(error.get("input"))[:80]
    key = str(error["loc"][-1]) if error["loc"] else ""
    rule = location.rsplit(".", 1)[0] if kind and key != kind else location
    if kind is not None and code == "extra_forbidden":
        keys = ", ".join(sorted(set(CONSTRAINT_SPECS[kind].model_fields) - {"kind"}))
        message = f"Key '{key}' does not go with a '{kind}' rule ({rule}); its keys are: {keys}."
    elif kind is not None and code == "missing":
        message = f"Rule {rule} ('{kind}') needs '{key}'. Add it to {file}."
    elif kind is not None and key == kind:
        message = f"Rule {rule} ('{kind}'): {_plain(error['msg'])}. Correct it in {file}."
        value = None
    elif code in ("union_tag_invalid", "union_tag_not_found"):
        kinds = ", ".join(CONSTRAINT_SPECS)
        location += ".kind"
        message = (
            f"Rule {location} needs a 'kind', one of: {kinds}."
            if code == "union_tag_not_found"
            else f"Unknown rule kind {error['input'].get('kind')!r} in {location}; the kinds "
            f"are: {kinds}."
        )
        value = None if code == "union_tag_not_found" else str(error["input"].get("kind"))
    elif code == "missing":
        message = f"Key '{location}' is required. Add it to {file}."
    elif code == "extra_forbidden":
        message = (
            f"Unknown key '{location}'. Check its spelling (`pitch-jury schema` lists all keys)."
        )
    elif kind is not None:
        message = (
            f"Key '{key}' of rule {rule} ('{kind}'): {_plain(error['msg'])}. Correct it in {file}."
        )
    else:
        message = f"Key '{location}': {_plain(error['msg'])}. Correct it in {file}."
    return Issue("error", "config.invalid", message, file=file, column=location, value=value)


def _plain(message: str) -> str:
    """pydantic's message without its ``Value error, `` prefix."""
    return message.removeprefix("Value error, ")
