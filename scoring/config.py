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
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from scoring.errors import InvalidEventError, Issue

__all__ = [
    "CONFIG_NAME",
    "BayesConfig",
    "ConstraintSpec",
    "CriterionConfig",
    "DiagnosticsConfig",
    "EventConfig",
    "EventSection",
    "ScoringConfig",
    "SelectionConfig",
    "StabilityConfig",
    "config_from_mapping",
    "config_issue",
    "config_json_schema",
]

CONFIG_NAME = "event.toml"
"""The name of an event's configuration file inside its folder."""

DEFAULT_NOT_SCORED: tuple[str, ...] = ("н/я", "N/A", "-")

ScoringMethod = Literal[
    "raw", "zscore", "minmax", "rank", "robust", "additive", "additive_scale", "bayes"
]
AggregateMethod = Literal["mean", "median", "trimmed"]
ConstraintKind = Literal[
    "at_least", "at_most", "max_per", "distinct", "require", "exclude", "min_merit"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EventSection(_Frozen):
    """``[event]``: the event's name and its files (paths relative to ``event.toml``)."""

    name: str = Field(min_length=1, description="Name of the pitch session, shown in reports.")
    candidates: str = Field(description="Candidates file: csv, tsv, txt or xlsx.")
    scores: str = Field(description="Score sheet (long or wide form): csv, tsv, txt or xlsx.")
    jurors: str | None = Field(default=None, description="Optional jurors file.")
    not_scored: tuple[str, ...] = Field(
        default=DEFAULT_NOT_SCORED,
        description="Cell values meaning 'not scored' (read as missing, with a warning).",
    )
    normalise_weights: bool = Field(
        default=False,
        description="Divide criterion weights by their sum instead of requiring them to sum to 1.",
    )


class CriterionConfig(_Frozen):
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


class BayesConfig(_Frozen):
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


class ScoringConfig(_Frozen):
    """``[scoring]``: how marks are normalised, calibrated and aggregated."""

    method: ScoringMethod = Field(
        default="additive", description="Juror-level normalisation or calibration method."
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


class DiagnosticsConfig(_Frozen):
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


class ConstraintSpec(_Frozen):
    """``[[selection.constraints]]``: one fairness or eligibility rule, as data.

    The selection package turns each spec into a constraint object; see
    ``selection.model.constraints`` for the meaning of each kind.
    """

    kind: ConstraintKind
    name: str | None = Field(default=None, description="Short name shown in reports.")
    attribute: str | None = None
    value: str | None = None
    values: tuple[str, ...] | None = None
    count: int | None = Field(default=None, ge=0)
    share: float | None = Field(default=None, ge=0, le=1)
    min: int | None = Field(default=None, ge=0)
    ids: tuple[str, ...] = ()
    merit: float | None = None
    scope: Literal["group", "all"] = "group"
    groups: tuple[str, ...] | None = Field(
        default=None, description="Restrict a per-group rule to these groups."
    )
    if_available: bool = False
    soft: bool = False
    priority: int = Field(default=0, description="Soft rules: higher is satisfied first.")
    penalty: float | None = Field(default=None, ge=0)

    @field_validator("value", mode="before")
    @classmethod
    def _value_as_text(cls, value: Any) -> Any:
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


class SelectionConfig(_Frozen):
    """``[selection]``: seats per group, seed, solver and the rules."""

    per_group: int = Field(default=3, ge=1, description="Representatives per group.")
    seats: dict[str, int] = Field(
        default_factory=dict, description="Per-group overrides of per_group: {group = seats}."
    )
    seed: int = Field(default=2019, ge=0, description="Seed for tie-breaks and lotteries.")
    solver: Literal["highs", "cbc"] = "highs"
    time_limit: float = Field(default=60.0, gt=0, description="Solver time limit in seconds.")
    max_ties: int = Field(
        default=20, ge=1, description="Cap on enumerated tied optimal delegations."
    )
    constraints: tuple[ConstraintSpec, ...] = ()
    lottery: Literal["none", "grey-zone"] = Field(
        default="none",
        description="'grey-zone': per group, seats not settled by the 50% rank intervals are "
        "drawn by seeded lot among the candidates whose interval crosses the cut-off, under "
        "every rule.",
    )


class StabilityConfig(_Frozen):
    """``[stability]``: how stable the delegation is when the jury is resampled."""

    resamples: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="Bootstrap resamples of each panel's jurors (0: no stability analysis).",
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


class EventConfig(_Frozen):
    """The whole ``event.toml``."""

    event: EventSection
    criteria: tuple[CriterionConfig, ...] = Field(min_length=1)
    scoring: ScoringConfig = ScoringConfig()
    diagnostics: DiagnosticsConfig = DiagnosticsConfig()
    selection: SelectionConfig = SelectionConfig()
    stability: StabilityConfig = StabilityConfig()

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
    >>> sorted(json.loads(config_json_schema())["properties"])
    ['criteria', 'diagnostics', 'event', 'scoring', 'selection', 'stability']
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
    ...     print(sorted(err.issues["column"]))
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

    Examples
    --------
    >>> error = {"loc": ("count",), "type": "missing", "input": None, "msg": "missing"}
    >>> config_issue(error, "event.toml", prefix="selection.constraints[2]").column
    'selection.constraints[2].count'
    """
    location = prefix
    for part in error["loc"]:
        location += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
        )
    kind = error["type"]
    value = None if kind == "missing" else str(error.get("input"))[:80]
    if kind == "missing":
        message = f"Key '{location}' is required. Add it to {file}."
    elif kind == "extra_forbidden":
        message = (
            f"Unknown key '{location}'. Check its spelling (`pitch-jury schema` lists all keys)."
        )
    else:
        message = f"Key '{location}': {error['msg']}. Correct it in {file}."
    return Issue("error", "config.invalid", message, file=file, column=location, value=value)
