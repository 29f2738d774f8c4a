"""Grey-zone lottery: seats the 50% rank intervals leave open are drawn by seeded lot.

With ``[selection] lottery = "grey-zone"`` and ``[scoring] method = "bayes"``, each group's
candidates fall into three zones by their 50% credible rank interval (``rank_lo50`` to
``rank_hi50``, ranks among the group's eligible candidates, 1 = best; see
:mod:`scoring.models.bayes_rank`), against the group's ``seats``:

``in``
    ``rank_hi50 <= seats``: the interval lies entirely within the seats.
``out``
    ``rank_lo50 > seats``: the interval lies entirely beyond the seats; also every
    ineligible candidate and every candidate without a merit or a rank interval.
``grey``
    the interval crosses the cut-off.

Mechanism: random priority keys, then one solve
    Every grey-zone candidate gets a key drawn uniformly from [0, 1) by numpy's default
    generator (PCG64) seeded with ``[seed, h]``, where ``h`` is the BLAKE2b hash of the
    group and the candidate id (:func:`lottery_keys`). A key depends on the seed, the group
    and the id only, never on the row order or on the other candidates. The delegation is
    then chosen by the selection model (:func:`selection.facade.select`) with every
    configured rule and, lexicographically:

    1. every fairness rule holds (hard rules always; soft rules first, as configured);
    2. as many ``in`` candidates as possible are selected (a soft ``require`` rule, one
       priority below every configured soft rule);
    3. as few ``out`` candidates as possible are selected (a soft ``exclude`` rule, one
       priority lower still);
    4. the sum of the grey-zone keys of the representatives is largest. ``in`` and ``out``
       candidates carry a value from their merit position instead (``1 - rank / (n + 1)``),
       so when a rule forces one of them in or out, merit decides who.

    When no rule interferes, the seats left after the ``in`` candidates go to the grey-zone
    candidates with the highest keys: a uniformly random subset of the grey zone. Steps 2
    and 3 only bend when the rules (or the zone sizes: more ``in`` candidates than seats,
    fewer ``in`` and ``grey`` than seats) leave no choice; every such deviation is reported
    (:attr:`LotteryResult.deviations`).

Why it is fair
    The keys are independent and identically distributed and independent of merit, so the
    mechanism treats equals equally: two grey-zone candidates whom the rules treat alike
    (same group, same attributes the rules count) swap places when their keys swap, and the
    two orders are equally likely, so they have the same chance of a seat. Nobody outside
    the grey zone takes a seat that the rules and the zones do not force. The solve is one
    integer programme checked by the solver-free checker like every selection, and the draw
    is public: the zones frame lists every key, so anyone can re-run it with the seed.
    Sampling uniformly among all feasible completions was not chosen: it needs every
    completion enumerated, and its draw cannot be shown as one key per person.

Examples
--------
>>> import pandas as pd
>>> from scoring.config import SelectionConfig
>>> ids = ["a", "b", "c", "d"]
>>> cands = pd.DataFrame({"candidate_id": ids, "name": ["A", "B", "C", "D"], "group": "G"})
>>> merit = pd.DataFrame({"candidate_id": ids, "merit": [9.0, 8.0, 7.9, 5.0]})
>>> posterior = pd.DataFrame({"candidate_id": ids, "rank_lo50": [1, 2, 2, 4],
...                           "rank_hi50": [1, 3, 3, 4]})
>>> result = grey_zone_lottery(cands, merit, posterior, SelectionConfig(per_group=2), seed=7)
>>> result.zones[["candidate_id", "zone"]].values.tolist()
[['a', 'in'], ['b', 'grey'], ['c', 'grey'], ['d', 'out']]
>>> result.delegation["candidate_id"].tolist()
['a', 'c']
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring.config import SelectionConfig
from scoring.errors import InvalidEventError, Issue
from scoring.frames import frame_records
from selection import columns as col
from selection.analysis.fairness import merit_rank
from selection.analysis.reserves import Reserves
from selection.analysis.reserves import reserves as find_reserves
from selection.facade import SelectionResult, rules_from_config, select
from selection.model.constraints import make_rule, rules_from_specs
from selection.model.pool import Pool, prepare_pool
from selection.model.rule import Constraint
from selection.model.selection import Selection

__all__ = [
    "IN_RULE_NAME",
    "ISSUE_CODES",
    "OUT_RULE_NAME",
    "ZONES",
    "LotteryResult",
    "grey_zone_lottery",
    "lottery_keys",
    "lottery_reasons",
    "rank_zones",
]

ISSUE_CODES: dict[str, str] = {
    "lottery.no_rank_intervals": "The grey-zone lottery needs the 50% rank intervals of "
    '[scoring] method = "bayes"; the posterior frame lacks them.',
}
"""Every error code of the grey-zone lottery, with its meaning."""
ZONES: tuple[str, ...] = ("in", "grey", "out")
"""The zones, most favoured first."""
IN_RULE_NAME = "grey-zone lottery: settled in"
"""Name of the soft rule that keeps the ``in`` candidates in the lottery delegation."""
OUT_RULE_NAME = "grey-zone lottery: settled out"
"""Name of the soft rule that keeps the ``out`` candidates out of the lottery delegation."""


def lottery_keys(groups: Sequence[str], candidate_ids: Sequence[str], seed: int) -> np.ndarray:
    """Return one uniform random key in [0, 1) per candidate, drawn from ``seed``.

    The key of a candidate is the first draw of ``numpy.random.default_rng([seed, h])``
    where ``h`` is the 8-byte BLAKE2b hash of ``"<group>\\x1f<candidate_id>"`` read as an
    unsigned integer, so it depends on the seed, the group and the id only.

    Parameters
    ----------
    groups, candidate_ids
        Parallel sequences: each candidate's group and id.
    seed
        The recorded seed (non-negative).

    Returns
    -------
    numpy.ndarray
        Keys (float64), in the order of the input.

    Examples
    --------
    >>> a = lottery_keys(["G", "G"], ["x", "y"], 1)
    >>> b = lottery_keys(["G", "G"], ["y", "x"], 1)
    >>> bool(a[0] == b[1]) and bool(((0 <= a) & (a < 1)).all())
    True
    """
    keys = np.empty(len(candidate_ids), dtype=np.float64)
    for i, (group, candidate) in enumerate(zip(groups, candidate_ids, strict=True)):
        digest = hashlib.blake2b(f"{group}\x1f{candidate}".encode(), digest_size=8).digest()
        keys[i] = np.random.default_rng([int(seed), int.from_bytes(digest, "big")]).random()
    return keys


def rank_zones(
    candidates: pd.DataFrame, merit: pd.DataFrame, posterior: pd.DataFrame, config: SelectionConfig
) -> pd.DataFrame:
    """Return each candidate's zone from their 50% rank interval and the group's seats.

    ``in`` when ``rank_hi50 <= seats``, ``out`` when ``rank_lo50 > seats``, else ``grey``;
    ineligible candidates and those without a merit or a rank interval are ``out``.

    Parameters
    ----------
    candidates
        ``candidate_id, name, group`` and optional ``eligible``. Not modified.
    merit
        ``candidate_id, merit``. Not modified.
    posterior
        ``candidate_id, rank_lo50, rank_hi50``. Not modified.
    config
        ``per_group`` and ``seats``.

    Returns
    -------
    pandas.DataFrame
        ``group, candidate_id, name, rank_lo50, rank_hi50, zone``, sorted by group and
        candidate id.

    Examples
    --------
    >>> c = pd.DataFrame({"candidate_id": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...                   "group": "G", "eligible": [True, True, False]})
    >>> m = pd.DataFrame({"candidate_id": ["a", "b", "c"], "merit": [2.0, 1.0, 3.0]})
    >>> p = pd.DataFrame({"candidate_id": ["a", "b", "c"], "rank_lo50": [1, 1, 1],
    ...                   "rank_hi50": [1, 2, 1]})
    >>> rank_zones(c, m, p, SelectionConfig(per_group=1))["zone"].tolist()
    ['in', 'grey', 'out']
    """
    missing = [
        Issue(
            "error",
            "lottery.no_rank_intervals",
            f"The posterior frame has no column '{name}'; the grey-zone lottery needs the "
            '50% rank intervals of [scoring] method = "bayes".',
            column=name,
        )
        for name in (col.CANDIDATE_ID, col.RANK_LO50, col.RANK_HI50)
        if name not in posterior.columns
    ]
    if missing:
        raise InvalidEventError(missing)
    frame = candidates[[col.CANDIDATE_ID, col.NAME, col.GROUP]].astype(
        {col.CANDIDATE_ID: "str", col.GROUP: "str"}
    )
    eligible = (
        candidates[col.ELIGIBLE].fillna(False).astype(bool).to_numpy()
        if col.ELIGIBLE in candidates.columns
        else np.ones(len(candidates), dtype=bool)
    )
    frame = frame.assign(_eligible=eligible)
    merits = merit[[col.CANDIDATE_ID, col.MERIT]].astype({col.CANDIDATE_ID: "str"})
    ranks = posterior[[col.CANDIDATE_ID, col.RANK_LO50, col.RANK_HI50]].astype(
        {col.CANDIDATE_ID: "str", col.RANK_LO50: "Int64", col.RANK_HI50: "Int64"}
    )
    frame = frame.merge(merits, on=col.CANDIDATE_ID, how="left").merge(
        ranks, on=col.CANDIDATE_ID, how="left"
    )
    seats = frame[col.GROUP].map(lambda g: config.seats.get(g, config.per_group))
    lo = frame[col.RANK_LO50].astype("float64").to_numpy(na_value=np.nan)
    hi = frame[col.RANK_HI50].astype("float64").to_numpy(na_value=np.nan)
    value = frame[col.MERIT].to_numpy(dtype="float64", na_value=np.nan)
    known = frame["_eligible"].to_numpy() & np.isfinite(value) & np.isfinite(lo) & np.isfinite(hi)
    k = seats.to_numpy(dtype="float64")
    zone = np.where(~known | (lo > k), "out", np.where(hi <= k, "in", "grey"))
    out = frame[[col.GROUP, col.CANDIDATE_ID, col.NAME, col.RANK_LO50, col.RANK_HI50]].assign(
        **{col.ZONE: pd.Series(zone, index=frame.index, dtype="str")}
    )
    return out.sort_values([col.GROUP, col.CANDIDATE_ID], ignore_index=True)


@dataclass(frozen=True, eq=False)
class LotteryResult:
    """The outcome of :func:`grey_zone_lottery`.

    Attributes
    ----------
    zones
        :data:`scoring.columns.ZONE_COLUMNS`: ``group, candidate_id, name, rank_lo50,
        rank_hi50, zone`` (``in``, ``grey`` or ``out``), ``lottery_key`` (the grey-zone
        candidate's key in [0, 1); missing outside the grey zone) and ``drawn`` (a
        representative in the lottery delegation, whatever the zone). Sorted by group and
        candidate id.
    delegation
        The representatives, in the layout of :attr:`SelectionResult.delegation
        <selection.facade.SelectionResult>`, with the candidates' real merit, ``merit_se``
        and ``rank_in_group`` (not the lottery values of the solve). ``reserve_id`` is the
        named substitute found as for any delegation (:mod:`selection.analysis.reserves`): the best
        candidate on merit who can step in under the configured rules.
    reserves
        The ranked reserve list per group (:data:`selection.analysis.reserves.RESERVE_COLUMNS`), on
        merit under the configured rules.
    selection
        The :class:`~selection.facade.SelectionResult` of the lottery solve; its ``merit``
        columns hold the lottery values (grey-zone keys, merit positions elsewhere).
    seed
        The seed the keys were drawn with.
    description
        The mechanism, the seed, the zones and the draw in plain words, with how to re-run.
    """

    zones: pd.DataFrame
    delegation: pd.DataFrame
    reserves: pd.DataFrame
    selection: SelectionResult
    seed: int
    description: str

    @property
    def deviations(self) -> pd.DataFrame:
        """Zone rows the rules forced: ``in`` candidates not drawn, ``out`` candidates drawn."""
        zone, drawn = self.zones[col.ZONE], self.zones[col.DRAWN]
        forced = ((zone == "in") & ~drawn) | ((zone == "out") & drawn)
        return self.zones[forced].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (frames as lists of records, missing values as ``None``)."""
        return {
            "seed": self.seed,
            "description": self.description,
            "zones": frame_records(self.zones),
            "delegation": frame_records(self.delegation),
            "reserves": frame_records(self.reserves),
            "deviations": frame_records(self.deviations),
            "selection": self.selection.to_dict(),
        }


def lottery_reasons(zones: pd.DataFrame) -> dict[str, str]:
    """Each zoned candidate's reason code once the draw is made (see :data:`ZONES`).

    ``selected.lottery`` / ``not_selected.lottery`` in the grey zone, ``*.settled`` when the
    zone decided as it says, ``*.forced`` when the rules (or the zone sizes) overrode it.

    Examples
    --------
    >>> zones = pd.DataFrame({"candidate_id": ["a", "b", "c", "d"],
    ...                       "zone": ["in", "grey", "grey", "in"],
    ...                       "drawn": [True, True, False, False]})
    >>> list(lottery_reasons(zones).values())
    ['selected.settled', 'selected.lottery', 'not_selected.lottery', 'not_selected.forced']
    """
    out = {}
    for candidate_id, zone, drawn in zip(
        zones[col.CANDIDATE_ID].astype(str), zones[col.ZONE], zones[col.DRAWN], strict=True
    ):
        state = "selected" if drawn else "not_selected"
        if zone == "grey":
            out[candidate_id] = f"{state}.lottery"
        else:
            settled = (zone == "in") == bool(drawn)
            out[candidate_id] = f"{state}.{'settled' if settled else 'forced'}"
    return out


def _configured_rules(config: SelectionConfig) -> list[Constraint]:
    return rules_from_specs(config.constraints)


def _on_real_merit(rules: Sequence[Constraint], pool: Pool) -> list[Constraint]:
    """``rules`` for the lottery solve, whose merits are keys: each rule that reads merit
    (``depends_on_merit``) becomes the exclusion of the candidates it keeps out on their real
    merit (its :meth:`~selection.model.rule.Constraint.forced` on ``pool``), with its name,
    softness, priority and penalty; such a rule that keeps nobody out is dropped."""
    out: list[Constraint] = []
    for rule in rules:
        if not rule.depends_on_merit:
            out.append(rule)
            continue
        forced = rule.forced(pool)
        if forced is None or forced.selected or not len(forced.positions):
            continue
        ids = tuple(str(i) for i in pool.candidate_ids[forced.positions])
        out.append(
            make_rule(
                "exclude",
                ids=ids,
                name=rule.label,
                soft=rule.soft,
                priority=rule.priority,
                penalty=rule.penalty,
            )
        )
    return out


def _lottery_values(zones: pd.DataFrame, keys: np.ndarray, ranks: pd.Series) -> np.ndarray:
    """Objective values of the lottery solve: keys in the grey zone, merit position elsewhere."""
    size = zones.groupby(col.GROUP)[col.CANDIDATE_ID].transform("size").to_numpy(dtype="float64")
    position = 1.0 - ranks.to_numpy(dtype="float64") / (size + 1.0)
    return np.where(zones[col.ZONE].to_numpy() == "grey", keys, position)


def _describe(zones: pd.DataFrame, seed: int, config: SelectionConfig) -> str:
    lines = [
        f"Grey-zone lottery with seed {seed}. In each group, candidates whose 50% rank "
        "interval lies within the seats are in, those entirely beyond them are out, and the "
        "seats left are drawn among the grey zone (intervals crossing the cut-off): each "
        "grey-zone candidate has a random key in [0, 1) from numpy's default generator seeded "
        "with the seed and a BLAKE2b hash of the group and the candidate id, and the "
        "delegation that keeps every rule and has the largest sum of keys wins.",
    ]
    for group, rows in zones.groupby(col.GROUP, sort=True):
        seats = config.seats.get(str(group), config.per_group)
        settled = rows[rows[col.ZONE] == "in"]
        grey = rows[rows[col.ZONE] == "grey"].sort_values(
            [col.LOTTERY_KEY, col.CANDIDATE_ID], ascending=[False, True]
        )
        drawn = grey[grey[col.DRAWN]]
        forced_out = settled[~settled[col.DRAWN]]
        forced_in = rows[(rows[col.ZONE] == "out") & rows[col.DRAWN]]
        keys = ", ".join(
            f"{r[col.CANDIDATE_ID]} {r[col.LOTTERY_KEY]:.4f}" for _, r in grey.iterrows()
        )
        text = (
            f"{group} ({seats} seats): in {_ids(settled)}; grey zone "
            f"{'(' + keys + ')' if keys else 'empty'}; drawn {_ids(drawn)}"
        )
        if len(forced_out) or len(forced_in):
            text += (
                f"; the rules or the zone sizes forced {_ids(forced_in)} in and "
                f"{_ids(forced_out)} out"
            )
        lines.append(text + ".")
    lines.append(
        f'To re-run: set [selection] lottery = "grey-zone" and seed = {seed}, or call '
        f"grey_zone_lottery(..., seed={seed}); the same inputs and seed give the same draw."
    )
    return "\n".join(lines)


def _ids(rows: pd.DataFrame) -> str:
    return ", ".join(rows[col.CANDIDATE_ID].astype(str)) or "nobody"


def grey_zone_lottery(
    candidates: pd.DataFrame,
    merit: pd.DataFrame,
    posterior: pd.DataFrame,
    config: SelectionConfig,
    *,
    seed: int | None = None,
    solver: str | None = None,
) -> LotteryResult:
    """Settle each group's clear cases by rank interval and draw the rest by seeded lot.

    See the module docstring for the zones, the mechanism and why it is fair.

    Parameters
    ----------
    candidates
        The layout of :attr:`scoring.event.Event.candidates`. Not modified.
    merit
        ``candidate_id, merit`` and optional ``merit_se`` (the scoring merit). Not modified.
    posterior
        ``candidate_id, rank_lo50, rank_hi50`` (:attr:`scoring.pipeline.ScoringResult.
        posterior` of method ``bayes``). Not modified.
    config
        The seats, seed, solver and the rules.
    seed, solver
        Override ``config.seed`` and ``config.solver``.

    Returns
    -------
    LotteryResult
        Zones with keys, the lottery delegation and the solve behind it.

    Raises
    ------
    InvalidEventError
        Inputs or rules that cannot be used, or a posterior without rank intervals.
    scoring.errors.SolverError
        The solver failed.

    Examples
    --------
    A rule beats the draw: group G needs a woman, and the only one is in the grey zone.

    >>> ids = ["a", "b", "c", "d"]
    >>> cands = pd.DataFrame({"candidate_id": ids, "name": list("ABCD"), "group": "G",
    ...                       "gender": ["M", "M", "M", "F"]})
    >>> merit = pd.DataFrame({"candidate_id": ids, "merit": [9.0, 8.0, 7.0, 6.0]})
    >>> post = pd.DataFrame({"candidate_id": ids, "rank_lo50": [1, 1, 2, 2],
    ...                      "rank_hi50": [1, 3, 3, 4]})
    >>> config = SelectionConfig(per_group=2, constraints=[{"kind": "at_least",
    ...     "attribute": "gender", "value": "F", "count": 1}])
    >>> result = grey_zone_lottery(cands, merit, post, config, seed=1)
    >>> result.delegation["candidate_id"].tolist(), len(result.deviations)
    (['a', 'd'], 0)
    """
    seed = config.seed if seed is None else seed
    zones = rank_zones(candidates, merit, posterior, config)
    grey = (zones[col.ZONE] == "grey").to_numpy()
    keys = np.full(len(zones), np.nan)
    keys[grey] = lottery_keys(
        zones.loc[grey, col.GROUP].tolist(), zones.loc[grey, col.CANDIDATE_ID].tolist(), seed
    )
    zones = zones.assign(**{col.LOTTERY_KEY: keys})
    pool = prepare_pool(candidates, merit, config, seed=seed)
    ranks = pd.Series(merit_rank(pool), index=pool.candidate_ids).reindex(zones[col.CANDIDATE_ID])
    values = _lottery_values(zones, np.nan_to_num(keys), ranks)
    selectable = pd.Series(pool.selectable, index=pool.candidate_ids).reindex(
        zones[col.CANDIDATE_ID]
    )
    lottery_merit = pd.DataFrame(
        {
            col.CANDIDATE_ID: zones[col.CANDIDATE_ID],
            col.MERIT: np.where(selectable.to_numpy(dtype=bool), values, np.nan),
        }
    )
    rules = _on_real_merit(_configured_rules(config), pool)
    lowest = min([r.priority for r in rules if r.soft and r.penalty is None] + [0])
    ids_in = tuple(
        zones.loc[(zones[col.ZONE] == "in").to_numpy() & selectable.to_numpy(), col.CANDIDATE_ID]
    )
    ids_out = tuple(
        zones.loc[(zones[col.ZONE] == "out").to_numpy() & selectable.to_numpy(), col.CANDIDATE_ID]
    )
    if ids_in:
        rules.append(
            make_rule("require", ids=ids_in, name=IN_RULE_NAME, soft=True, priority=lowest - 1)
        )
    if ids_out:
        rules.append(
            make_rule("exclude", ids=ids_out, name=OUT_RULE_NAME, soft=True, priority=lowest - 2)
        )
    result = select(
        candidates,
        lottery_merit,
        config,
        seed=seed,
        solver=solver,
        constraints=rules,
        reserves=False,
        price_of_fairness=False,
        counterfactuals=False,
        explain=False,
    )
    chosen = set(result.delegation[col.CANDIDATE_ID].astype(str))
    found = _reserves(pool, config, sorted(chosen))
    zones = zones.assign(**{col.DRAWN: zones[col.CANDIDATE_ID].isin(chosen).to_numpy()})
    zones = zones[list(col.ZONE_COLUMNS)]
    return LotteryResult(
        zones=zones,
        delegation=_real_delegation(result.delegation, pool.frame, ranks, found.substitutes),
        reserves=found.ranked,
        selection=result,
        seed=seed,
        description=_describe(zones, seed, config),
    )


def _reserves(pool: Pool, config: SelectionConfig, chosen: Sequence[str]) -> Reserves:
    """Substitutes and reserve list of the lottery delegation, on merit under the rules."""
    rules = rules_from_config(config, pool)
    return find_reserves(Selection.from_ids(pool, chosen), rules)


def _real_delegation(
    delegation: pd.DataFrame, pool: pd.DataFrame, ranks: pd.Series, substitutes: dict[str, str]
) -> pd.DataFrame:
    """The lottery delegation with the real merit, SE, rank in the group and substitutes."""
    real = pool.set_index(col.CANDIDATE_ID)
    ids = delegation[col.CANDIDATE_ID].astype(str)
    columns: dict[str, Any] = {
        col.MERIT: real[col.MERIT].reindex(ids).to_numpy(dtype="float64"),
        col.MERIT_SE: real[col.MERIT_SE].reindex(ids).to_numpy(dtype="float64"),
        col.RANK_IN_GROUP: ranks.reindex(ids).to_numpy(dtype="int64"),
        col.RESERVE_ID: [substitutes.get(i, "") for i in ids],
    }
    out = delegation.assign(**columns)
    return out.sort_values(
        [col.GROUP, col.MERIT, col.CANDIDATE_ID], ascending=[True, False, True], ignore_index=True
    )
