"""The pool reads blank attribute text as missing, whatever path the candidates take."""

from __future__ import annotations

import pandas as pd

from scoring.config import SelectionConfig
from selection import columns as col
from selection.facade import select
from selection.model.pool import example_event, prepare_pool


def _blank_countries() -> tuple[pd.DataFrame, pd.DataFrame]:
    candidates, merit = example_event()
    # Africa's two best candidates have a blank country: under "one per country" they
    # must not count as sharing one.
    country = pd.Series(["", "", "KEN", "NGA", "CHN", "VNM", "VNM"], dtype=object)
    return candidates.assign(
        country=country, project=[" ", "P1", "P2", "P3", "P4", "P5", "P5"]
    ), merit


def test_blank_attribute_text_is_missing_and_the_input_is_untouched() -> None:
    candidates, merit = _blank_countries()
    before = candidates.copy()
    pool = prepare_pool(candidates, merit, SelectionConfig(per_group=2))
    codes, values = pool.codes("country")
    assert values == ("CHN", "KEN", "NGA", "VNM")
    blank = pool.frame[col.CANDIDATE_ID].isin(["c1", "c2"]).to_numpy()
    assert (codes[blank] == -1).all() and (codes[~blank] >= 0).all()
    project_codes, _ = pool.codes("project")
    assert project_codes[pool.position("c1")] == -1
    pd.testing.assert_frame_equal(candidates, before)


def test_two_blank_countries_do_not_collide_under_max_per() -> None:
    candidates, merit = _blank_countries()
    config = SelectionConfig.model_validate(
        {
            "per_group": 2,
            "seed": 1,
            "constraints": [{"kind": "max_per", "attribute": "country", "count": 1}],
        }
    )
    result = select(
        candidates, merit, config, reserves=False, price_of_fairness=False, counterfactuals=False
    )
    chosen = set(result.delegation[col.CANDIDATE_ID])
    assert {"c1", "c2"} <= chosen  # Africa's best two: no country is no shared country
