"""Bayesian ranking: the sampler, the rank summaries, R-hat and the pipeline's ``bayes`` method."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from scoring import columns as col
from scoring.config import BayesConfig, CriterionConfig
from scoring.errors import InvalidEventError
from scoring.example import example_event_path
from scoring.ingest.load import load_event
from scoring.models.bayes import SD_NAMES, bayes_scores, merit_draws, sample_bayes
from scoring.models.bayes_rank import (
    ess_bulk,
    normal_quantile,
    rank_draws,
    rank_summaries,
    split_rhat,
)
from scoring.pipeline import score_event
from tests.factories import make_config, make_event

PITCH = CriterionConfig(name="pitch", weight=1, min=1, max=10)


def _planted(
    seed: int,
    *,
    n_targets: int = 24,
    n_jurors: int = 6,
    sigma: float = 0.8,
    tau_target: float = 1.2,
    tau_juror: float = 0.8,
    share: float = 1.0,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Marks from the model itself; returns marks, true scores and true juror effects.

    True score = mu + theta_t + mean juror effect, the quantity the model reports.
    """
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, tau_target, n_targets)
    offset = rng.normal(0, tau_juror, n_jurors)
    rows = []
    for t in range(n_targets):
        # Each target meets a random subset of the jurors (at least two).
        seen = rng.random(n_jurors) < share
        seen[rng.choice(n_jurors, 2, replace=False)] = True
        for j in np.flatnonzero(seen):
            rows.append((f"J{j}", f"T{t:02d}", 5.5 + theta[t] + offset[j] + rng.normal(0, sigma)))
    marks = pd.DataFrame(rows, columns=[col.JUROR_ID, col.TARGET_ID, col.SCORE])
    marks[col.CRITERION] = "pitch"
    truth = pd.Series(5.5 + theta + offset.mean(), index=[f"T{t:02d}" for t in range(n_targets)])
    effects = pd.Series(offset - offset.mean(), index=[f"J{j}" for j in range(n_jurors)])
    return marks, truth, effects


# --- the sampler ------------------------------------------------------------------------


def test_one_target_matches_the_conjugate_posterior() -> None:
    # Every SD fixed at 1: the score mu + theta + b has prior N(5.5, 9**2 + 1 + 1) (scale
    # 1..10: midpoint 5.5, range 9) and the marks 6 and 8 have variance 1, so the posterior
    # has precision 1/83 + 2 and mean (5.5/83 + 14) / (1/83 + 2).
    marks = pd.DataFrame(
        {"juror_id": "J1", "target_id": "A", "criterion": "pitch", "score": [6.0, 8.0]}
    )
    fit = sample_bayes(
        marks, criteria=[PITCH], fixed_sd=dict.fromkeys(SD_NAMES, 1.0), n_draws=3000, seed=4
    )
    draws = fit.draws("pitch").score[..., 0].ravel()
    precision = 1 / 83 + 2
    mean, sd = (5.5 / 83 + 14) / precision, math.sqrt(1 / precision)
    assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(len(draws))
    assert abs(draws.std() - sd) < 0.03 * sd
    # The juror effect is measured from the jury's mean: one juror, so exactly zero.
    np.testing.assert_array_equal(fit.draws("pitch").juror_effect, 0.0)


def test_two_jurors_fixed_sd_match_the_exact_normal_posterior() -> None:
    # One target, jurors J1 (marks 7, 8) and J2 (mark 4); all SDs 1. The location vector
    # (mu, theta, b1, b2) is exactly normal; the reported score is mu + theta + (b1+b2)/2.
    marks = pd.DataFrame(
        {
            "juror_id": ["J1", "J1", "J2"],
            "target_id": "A",
            "criterion": "pitch",
            "score": [7.0, 8.0, 4.0],
            "source_row": [2, 3, 4],
        }
    )
    x = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 0, 1]], dtype=float)
    precision = x.T @ x + np.diag([1 / 81, 1, 1, 1])
    covariance = np.linalg.inv(precision)
    mean = covariance @ (x.T @ np.array([7.0, 8.0, 4.0]) + np.array([5.5 / 81, 0, 0, 0]))
    weights = np.array([1, 1, 0.5, 0.5])
    fit = sample_bayes(
        marks, criteria=[PITCH], fixed_sd=dict.fromkeys(SD_NAMES, 1.0), n_draws=3000, seed=8
    )
    draws = fit.draws("pitch").score.ravel()
    sd = math.sqrt(weights @ covariance @ weights)
    assert abs(draws.mean() - weights @ mean) < 4 * sd / math.sqrt(len(draws))
    assert abs(draws.std() - sd) < 0.04 * sd


def test_planted_scores_and_juror_effects_are_recovered() -> None:
    marks, truth, effects = _planted(3, n_targets=40, sigma=0.4, share=0.6)
    fit = sample_bayes(marks, criteria=[PITCH], n_draws=600, n_warmup=300, seed=1)
    scores = fit.target_scores().set_index(col.TARGET_ID)
    error = (scores[col.SCORE] - truth).abs()
    assert (error < 4 * scores[col.SCORE_SE]).all()
    assert float(np.corrcoef(scores[col.SCORE], truth)[0, 1]) > 0.97
    draws = fit.draws("pitch")
    effect = pd.Series(draws.juror_effect.mean(axis=(0, 1)), index=draws.juror_ids)
    np.testing.assert_allclose(effect[effects.index], effects, atol=0.35)


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    marks, _, _ = _planted(5)

    def draws(seed: int) -> np.ndarray:
        fit = sample_bayes(marks, criteria=[PITCH], n_draws=50, n_warmup=20, seed=seed)
        return fit.draws("pitch").score

    a, b, c = draws(7), draws(7), draws(8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_draws_do_not_depend_on_row_order() -> None:
    marks, _, _ = _planted(6)
    shuffled = marks.sample(frac=1, random_state=2)

    def draws(frame: pd.DataFrame) -> np.ndarray:
        fit = sample_bayes(frame, criteria=[PITCH], n_draws=50, n_warmup=20, seed=3)
        return fit.draws("pitch").score

    np.testing.assert_array_equal(draws(marks), draws(shuffled))


def test_bad_sampler_settings_raise() -> None:
    marks, _, _ = _planted(1)
    with pytest.raises(ValueError, match="fixed_sd"):
        sample_bayes(marks, criteria=[PITCH], fixed_sd={"tau": 1.0})
    with pytest.raises(ValueError, match="n_chains"):
        sample_bayes(marks, criteria=[PITCH], n_chains=0)


def test_panel_effect_is_sampled_when_jurors_sit_in_panels() -> None:
    marks, _, _ = _planted(2, n_jurors=6)
    jurors = pd.DataFrame({col.JUROR_ID: [f"J{j}" for j in range(6)], "room": [*"AABBB", None]})
    cands = pd.DataFrame({col.CANDIDATE_ID: sorted(marks[col.TARGET_ID].unique()), col.GROUP: "G"})
    settings = BayesConfig(n_draws=100, n_warmup=50, panel="room")
    out = bayes_scores(marks, cands, criteria=[PITCH], jurors=jurors, settings=settings)
    assert "tau_panel[pitch]" in set(out.rhat[col.PARAMETER])
    assert "tau_panel" in out.fit.draws("pitch").sd
    with pytest.raises(InvalidEventError) as raised:
        bayes_scores(
            marks, cands, criteria=[PITCH], jurors=jurors, settings=BayesConfig(panel="floor")
        )
    (issue,) = raised.value.issues
    assert (issue.severity, issue.code) == ("error", "bayes.panel_unknown")
    assert (issue.file, issue.column, issue.value) == ("event.toml", "scoring.bayes.panel", "floor")
    assert "'floor'" in issue.message and "room" in issue.message  # names what is there


def test_merit_draws_weight_criteria_and_use_the_project() -> None:
    # Candidate A scores on talk itself and on idea through project P; B pitches alone.
    marks = pd.DataFrame(
        {
            "juror_id": "J1",
            "target_id": ["A", "B", "P", "B"],
            "criterion": ["talk", "talk", "idea", "idea"],
            "score": [8.0, 6.0, 7.0, 5.0],
        }
    )
    talk = CriterionConfig(name="talk", weight=0.25, min=1, max=10)
    idea = CriterionConfig(name="idea", weight=0.75, min=1, max=10, level="project")
    fit = sample_bayes(marks, criteria=[talk, idea], n_draws=20, n_warmup=0, n_chains=2)
    cands = pd.DataFrame({col.CANDIDATE_ID: ["B", "A"], col.PROJECT: [pd.NA, "P"]})
    merit = merit_draws(fit, cands, criteria=[talk, idea])
    talk_draws, idea_draws = fit.draws("talk"), fit.draws("idea")
    expected_a = 0.25 * talk_draws.score[..., 0] + 0.75 * idea_draws.score[..., 1]
    np.testing.assert_allclose(merit[..., 0], expected_a)
    assert idea_draws.target_ids.tolist() == ["B", "P"]


# --- rank summaries ---------------------------------------------------------------------


def test_rank_summaries_of_a_hand_made_draw_matrix() -> None:
    # Four draws of A, B, C. Ranks per draw: (1,2,3), (1,3,2), (2,1,3), (1,2,3).
    # A: ranks 1,1,2,1 -> expected 1.25, SUCRA (3 - 1.25) / 2 = 0.875, P = (.75, .25, 0).
    # Quantile q = smallest r with P(rank <= r) >= q. A: P(rank <= 1) = .75, so the 75%
    # quantile is 1 and the 95% one 2. C: ranks 3,2,3,3 -> expected 2.75; P(rank <= 2) =
    # .25, so the 5% and 25% quantiles are 2 and the 75% quantile is 3.
    draws = np.array([[9.0, 8, 7], [9, 6, 7], [8, 9, 7], [9, 8, 1]])
    cands = pd.DataFrame({col.CANDIDATE_ID: ["A", "B", "C"], col.GROUP: "G"})
    summary = rank_summaries(draws, cands)
    post = summary.posterior.set_index(col.CANDIDATE_ID)
    assert post[col.EXPECTED_RANK].tolist() == [1.25, 2.0, 2.75]
    assert post[col.SUCRA].tolist() == [0.875, 0.5, 0.125]
    assert [post.at["A", col.RANK_LO90], post.at["A", col.RANK_HI90]] == [1, 2]
    assert [post.at["A", col.RANK_LO50], post.at["A", col.RANK_HI50]] == [1, 1]
    assert [post.at["C", col.RANK_LO90], post.at["C", col.RANK_HI90]] == [2, 3]
    assert [post.at["C", col.RANK_LO50], post.at["C", col.RANK_HI50]] == [2, 3]
    gram = summary.rankogram
    assert list(gram.columns) == list(col.RANKOGRAM_COLUMNS)
    assert gram.loc[gram[col.CANDIDATE_ID] == "A", col.PROBABILITY].tolist() == [0.75, 0.25, 0.0]
    np.testing.assert_allclose(post[col.MERIT_MEAN], [8.75, 7.75, 5.5])
    assert list(summary.posterior.columns) == list(col.POSTERIOR_COLUMNS)


def test_ties_go_to_the_higher_mean_then_the_smaller_id() -> None:
    # B and C always tie in a draw but B has the higher mean; D and E are identical.
    draws = np.array([[5.0, 4, 4, 1, 1], [5, 3, 3, 1, 1], [5, 9, 9, 1, 1]])
    ties = rank_draws(draws, tie_order=np.array([0, 1, 2, 3, 4]))
    assert ties.tolist() == [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [3, 1, 2, 4, 5]]
    cands = pd.DataFrame({col.CANDIDATE_ID: list("ABCDE"), col.GROUP: "G"})
    draws[:, 1] += 0.5  # B now has the higher mean and still beats C
    post = rank_summaries(draws, cands).posterior.set_index(col.CANDIDATE_ID)
    assert post.loc["D", col.EXPECTED_RANK] == 4.0 and post.loc["E", col.EXPECTED_RANK] == 5.0


def test_ineligible_and_unscored_candidates() -> None:
    # C is ineligible: rank among A, B plus itself (n = 3); D has no merit; groups apart.
    draws = np.array([[9.0, 7, 8, np.nan, 3], [9, 8, 7, np.nan, 3]])
    cands = pd.DataFrame(
        {
            col.CANDIDATE_ID: list("ABCDE"),
            col.GROUP: ["G", "G", "G", "G", "H"],
            col.ELIGIBLE: [True, True, False, True, True],
        }
    )
    summary = rank_summaries(draws, cands)
    post = summary.posterior.set_index(col.CANDIDATE_ID)
    assert post.loc["A", col.EXPECTED_RANK] == 1.0 and post.loc["B", col.SUCRA] == 0.0
    assert post.loc["C", col.EXPECTED_RANK] == 2.5  # beats B once
    assert post.loc["C", col.SUCRA] == pytest.approx(0.25)
    assert post.loc["D"].drop(col.GROUP).isna().all()
    assert post.loc["E", col.SUCRA] == 1.0 and post.loc["E", col.EXPECTED_RANK] == 1.0
    gram = summary.rankogram
    assert set(gram[col.CANDIDATE_ID]) == {"A", "B", "C", "E"}
    assert (gram.groupby(col.CANDIDATE_ID)[col.PROBABILITY].sum() == 1.0).all()
    assert str(post[col.RANK_LO90].dtype) == "Int64"


def test_rank_summaries_check_the_shape() -> None:
    with pytest.raises(ValueError, match="columns"):
        rank_summaries(np.zeros((3, 2)), pd.DataFrame({col.CANDIDATE_ID: ["A"], col.GROUP: "G"}))


# --- convergence diagnostics ------------------------------------------------------------


def test_rhat_near_one_for_agreeing_chains_and_large_for_divergent_ones() -> None:
    rng = np.random.default_rng(0)
    agreeing = rng.normal(size=(4, 1000, 3))
    divergent = agreeing + np.array([0, 0, 0, 1.0])[:, None, None]
    wider = agreeing * np.array([1, 1, 1, 4.0])[:, None, None]  # same centre, other spread
    assert (split_rhat(agreeing) < 1.01).all()
    assert (split_rhat(divergent) > 1.05).all()
    assert (split_rhat(wider) > 1.05).all()  # only the folded (tail) R-hat sees this
    trending = agreeing + np.linspace(0, 2, 1000)[None, :, None]
    assert (split_rhat(trending) > 1.05).all()  # splitting the chains catches a trend
    identical = np.repeat(agreeing[:1], 4, axis=0)
    assert (split_rhat(identical) < 1.01).all()
    assert np.isnan(split_rhat(np.ones((4, 100, 1)))).all()
    assert np.isnan(split_rhat(agreeing[:, :3])).all()


def test_ess_of_independent_and_autocorrelated_draws() -> None:
    rng = np.random.default_rng(2)
    independent = rng.normal(size=(4, 1000, 1))
    assert 3000 < ess_bulk(independent)[0] < 5000
    sticky = np.repeat(independent[:, ::10], 10, axis=1)  # each value held 10 times
    assert ess_bulk(sticky)[0] < 700


def test_normal_quantile_matches_the_standard_library() -> None:
    p = np.array([1e-10, 0.001, 0.02425, 0.1, 0.5, 0.7, 0.97575, 0.999999])
    expected = [statistics.NormalDist().inv_cdf(float(v)) for v in p]
    np.testing.assert_allclose(normal_quantile(p), expected, rtol=2e-9)
    assert normal_quantile(np.array([0.0, 1.0])).tolist() == [-np.inf, np.inf]


# --- the pipeline -----------------------------------------------------------------------


def _small_event(**scoring: object):
    marks, _, _ = _planted(9, n_targets=12, n_jurors=5, share=0.7)
    cands = pd.DataFrame(
        {
            col.CANDIDATE_ID: [f"T{t:02d}" for t in range(13)],  # T12 has no marks
            col.NAME: "x",
            col.GROUP: ["G1"] * 7 + ["G2"] * 6,
            col.ELIGIBLE: [True] * 6 + [False] + [True] * 6,
        }
    )
    config = make_config(scoring={"method": "bayes", "min_jurors": 1, **scoring})
    return make_event(cands, marks, config)


def test_score_event_with_bayes_reports_posterior_ranks_and_rhat() -> None:
    event = _small_event(bayes={"n_draws": 400, "n_warmup": 200})
    result = score_event(event)
    assert result.method == "bayes"
    post, merit = result.posterior, result.merit
    assert post is not None and result.rankogram is not None and result.rhat is not None
    assert list(post.columns) == list(col.POSTERIOR_COLUMNS)
    assert post[col.CANDIDATE_ID].tolist() == merit[col.CANDIDATE_ID].tolist()
    np.testing.assert_array_equal(merit[col.MERIT], post[col.MERIT_MEAN])
    np.testing.assert_array_equal(merit[col.MERIT_SE], post[col.MERIT_SD])
    assert merit[col.MERIT].isna().tolist() == [False] * 12 + [True]
    assert [i.code for i in result.issues] == ["merit.missing_score"]
    assert list(result.rhat.columns) == list(col.RHAT_COLUMNS)
    assert (result.rhat[col.RHAT] < 1.01).all()
    # Panel scores are the posterior scores; merit is their weighted sum.
    panel = result.criterion_scores.set_index(col.TARGET_ID)
    np.testing.assert_allclose(panel[col.SCORE], merit[col.MERIT].iloc[:12])
    assert result.scores[col.NORMALISED].notna().all()
    # The seed falls back to [selection] seed.
    seeded = score_event(
        _small_event(bayes={"n_draws": 400, "n_warmup": 200, "seed": 2019}), diagnostics=False
    )
    assert seeded.posterior is not None
    pd.testing.assert_frame_equal(seeded.posterior, post)


def test_score_event_with_bayes_is_independent_of_row_order() -> None:
    event = _small_event(bayes={"n_draws": 100, "n_warmup": 50})
    shuffled = make_event(
        event.candidates.sample(frac=1, random_state=1),
        event.scores.sample(frac=1, random_state=2),
        event.config,
    )
    a, b = score_event(event), score_event(shuffled)
    for name in ("posterior", "rankogram", "rhat", "merit", "criterion_scores", "scores"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_short_chains_raise_the_rhat_warning() -> None:
    event = _small_event(bayes={"n_draws": 10, "n_warmup": 0, "n_chains": 4})
    issues = [i for i in score_event(event, diagnostics=False).issues if i.code == "bayes.rhat"]
    assert len(issues) == 1 and "n_warmup" in issues[0].message


def test_other_methods_have_no_posterior() -> None:
    result = score_event(_small_event(), method="additive", diagnostics=False)
    assert result.posterior is None and result.rankogram is None and result.rhat is None


def test_example_event_agrees_with_the_additive_model() -> None:
    event = load_event(example_event_path())
    bayes = score_event(event, method="bayes", diagnostics=False)
    additive = score_event(event, method="additive", diagnostics=False)
    assert not [i for i in bayes.issues if i.code == "bayes.rhat"]
    both = bayes.merit.merge(additive.merit, on=[col.CANDIDATE_ID, col.GROUP])
    for _, rows in both.groupby(col.GROUP):
        rank_b = rows[f"{col.MERIT}_x"].rank()
        rank_a = rows[f"{col.MERIT}_y"].rank()
        assert float(np.corrcoef(rank_b, rank_a)[0, 1]) > 0.95
    assert float((both[f"{col.MERIT}_x"] - both[f"{col.MERIT}_y"]).abs().max()) < 0.3
    assert bayes.rankogram is not None
    sums = bayes.rankogram.groupby(col.CANDIDATE_ID)[col.PROBABILITY].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_rank_interval_figure_draws_the_cut_off() -> None:
    from selection.outputs.plots import figure_svg
    from selection.outputs.plots_bayes import rank_interval_figure, rankogram_figure

    result = score_event(_small_event(bayes={"n_draws": 100, "n_warmup": 50}), diagnostics=False)
    assert result.posterior is not None and result.rankogram is not None
    figure = rank_interval_figure(result.posterior, "G1", seats=3)
    assert figure.axes[0].get_title() == "G1"
    legend = figure.axes[0].get_legend()
    assert legend is not None and "cut-off" in [t.get_text() for t in legend.get_texts()]
    assert figure_svg(figure).startswith("<svg")
    assert len(rankogram_figure(result.rankogram, ["T00", "T01"]).axes) == 2


@pytest.mark.slow
def test_credible_intervals_cover_the_planted_truth() -> None:
    # Data from the model itself: over targets and seeds, the central 50% and 90% intervals
    # of the scores should hold the truth about 50% and 90% of the time.
    hits50, hits90, n = 0, 0, 0
    for seed in range(12):
        marks, truth, _ = _planted(100 + seed, share=0.6)
        fit = sample_bayes(marks, criteria=[PITCH], n_draws=500, n_warmup=250, seed=seed)
        draws = fit.draws("pitch")
        score = draws.score.reshape(-1, draws.score.shape[2])
        q = np.quantile(score, [0.05, 0.25, 0.75, 0.95], axis=0)
        true = truth[draws.target_ids].to_numpy()
        hits50 += int(((q[1] <= true) & (true <= q[2])).sum())
        hits90 += int(((q[0] <= true) & (true <= q[3])).sum())
        n += len(true)
    assert abs(hits50 / n - 0.5) < 0.08
    assert abs(hits90 / n - 0.9) < 0.05
