"""Checks of ``event.toml`` that the configuration model cannot make on its own.

The pydantic model (:mod:`scoring.config`) checks each key; here are the checks across keys
and the facts a secretary should be told, as located issues of ``event.toml``:

- ``config.weights_sum``: the weights do not sum to 1 (and ``normalise_weights`` is off);
- ``config.invalid``: a criterion declared twice, or a rule counting a value that its
  ``[attributes.<name>] values`` does not list;
- ``id.near_duplicate``: two criteria whose names differ only in case, spaces or look-alike
  letters;
- ``config.alias_unknown``: a ``[aliases] criterion`` alias of no criterion;
- ``criteria.mixed_scales``: criteria on different scales, whose weights then act on native
  points (see :func:`config_issues`);
- ``config.default_seed``: no ``[selection] seed``, so the default is used.

:func:`unknown_aliases` checks ``[aliases]`` against the values of the data.

Examples
--------
>>> from scoring.config import config_from_mapping
>>> config = config_from_mapping({"event": {"name": "e", "candidates": "-", "scores": "-"},
...     "criteria": [{"name": "idea", "weight": 0.5, "min": 1, "max": 5},
...                  {"name": "pitch", "weight": 0.5, "min": 0, "max": 100}]})
>>> [issue.code for issue in config_issues(config)]
['criteria.mixed_scales', 'config.default_seed']
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from scoring.config import CONFIG_NAME, DEFAULT_SEED, EventConfig
from scoring.errors import Issue
from scoring.ingest.sheet_marks import closest
from scoring.ingest.spelling import alias_hint, describe_difference, spelling_keys

__all__ = ["config_issues", "toml_key", "unknown_aliases"]


def config_issues(config: EventConfig) -> list[Issue]:
    """Return the cross-key issues of a validated configuration (see the module docstring).

    ``criteria.mixed_scales``: every scoring method keeps a criterion's marks in points of
    its own scale (the per-juror methods of :mod:`scoring.models.normalise` map each
    juror's marks back onto ``[min, max]``; the juror-effect models remove offsets in scale
    points; the Bayesian model works in scale points too), and merit is ``sum w_c * s_c``.
    So with scales of different widths a weight multiplies native points, whatever the
    method: the warning is given for every method.
    """
    issues: list[Issue] = []
    total = sum(c.weight for c in config.criteria)
    if not config.event.normalise_weights and abs(total - 1.0) > 1e-9:
        shown = ", ".join(f"{c.name} {c.weight:g}" for c in config.criteria)
        issues.append(
            Issue(
                "error",
                "config.weights_sum",
                f"Criterion weights sum to {total:g}, not 1 ({shown}). Correct the weights, "
                "or set normalise_weights = true in [event] to divide them by their sum.",
                file=CONFIG_NAME,
                column="criteria.weight",
                value=f"{total:g}",
            )
        )
    names = [c.name for c in config.criteria]
    for name in sorted({n for n in names if names.count(n) > 1}):
        issues.append(
            Issue(
                "error",
                "config.invalid",
                f"Criterion '{name}' is declared twice. Give each criterion one [[criteria]].",
                file=CONFIG_NAME,
                column="criteria.name",
                value=name,
            )
        )
    issues.extend(_criterion_spellings(config))
    issues.extend(_mixed_scales(config))
    if not config.selection.seed_given:
        issues.append(
            Issue(
                "warning",
                "config.default_seed",
                f"No seed given, using {DEFAULT_SEED}: event.toml has no seed in [selection], "
                "so tie-breaks and lotteries use the default. Write seed = "
                f"{DEFAULT_SEED} (or another number, chosen before the marks are known) in "
                "[selection], so that event.toml alone reproduces the run.",
                file=CONFIG_NAME,
                column=toml_key("selection", "seed"),
                value=str(DEFAULT_SEED),
            )
        )
    return issues


def _criterion_spellings(config: EventConfig) -> list[Issue]:
    """Criteria spelt alike, and criterion aliases of no criterion."""
    issues: list[Issue] = []
    names = np.array(list(dict.fromkeys(c.name for c in config.criteria)), dtype=object)
    keys = spelling_keys(names)
    shared, counts = np.unique(keys.astype(str), return_counts=True)
    for key in shared[(counts > 1) & (shared != "")].tolist():
        same = [str(n) for n in names[keys == key]]
        issues.append(
            Issue(
                "error",
                "id.near_duplicate",
                f"Criteria {' and '.join(repr(n) for n in same)} "
                f"{describe_difference(same[0], same[1])}: a mark would go to one or the "
                "other by a letter nobody sees. Give the criteria clearly different names.",
                file=CONFIG_NAME,
                column="criteria.name",
                value=same[1],
            )
        )
    known = set(names.tolist())
    for spelling, canonical in sorted(config.aliases.criterion.items()):
        if canonical not in known:
            issues.append(
                Issue(
                    "error",
                    "config.alias_unknown",
                    f"[aliases] criterion maps '{spelling}' to '{canonical}', which is no "
                    f"criterion of event.toml (criteria: {', '.join(names)}). Map it to one "
                    f"of them, e.g. {alias_hint('aliases', 'criterion', spelling, str(names[0]))}.",
                    file=CONFIG_NAME,
                    column=toml_key("aliases", "criterion"),
                    value=canonical,
                )
            )
    return issues


def _mixed_scales(config: EventConfig) -> list[Issue]:
    weighted = [c for c in config.criteria if c.weight > 0]
    widths = {c.max - c.min for c in weighted}
    if len(widths) < 2:
        return []
    narrow, wide = min(widths), max(widths)
    scales = ", ".join(f"{c.name} {c.min:g}-{c.max:g}" for c in weighted)
    return [
        Issue(
            "warning",
            "criteria.mixed_scales",
            f"Criteria use scales of different widths ({scales}), and the weights act on "
            "native points: every scoring method keeps a criterion's marks in points of its "
            "own scale (the per-juror methods map them back onto it), so one point of weight "
            f"spans {wide:g} points on the widest scale and {narrow:g} on the narrowest, up "
            f"to {wide / narrow:.3g} times the influence the weights suggest. Put every "
            "criterion on one scale, or set the weights with this in mind.",
            file=CONFIG_NAME,
            column="criteria",
            value=scales,
        )
    ]


def toml_key(*parts: str) -> str:
    """Return the dotted path of a key of ``event.toml``, as issues locate it.

    Examples
    --------
    >>> toml_key("aliases", "group")
    'aliases.group'
    """
    return ".".join(parts)


def unknown_aliases(
    table: str, aliases: Mapping[str, str], known: Collection[str], *, what: str
) -> list[Issue]:
    """Return a ``config.alias_unknown`` error for each alias of a value not ``known``.

    Examples
    --------
    >>> [i.value for i in unknown_aliases("group", {"afrika": "Afirca"}, {"Africa"},
    ...                                   what="group of the candidates")]
    ['Afirca']
    """
    issues = []
    for spelling, canonical in sorted(aliases.items()):
        if canonical in known:
            continue
        guess = closest(canonical, [str(k) for k in known])
        hint = f" Did you mean '{guess}'?" if guess else ""
        issues.append(
            Issue(
                "error",
                "config.alias_unknown",
                f"[aliases] {table} maps '{spelling}' to '{canonical}', which is no {what}."
                f"{hint} An alias maps another spelling to a value in use.",
                file=CONFIG_NAME,
                column=toml_key("aliases", table),
                value=canonical,
            )
        )
    return issues
