"""Reference values: statsmodels, scipy and a published worked example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as ss
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from bouclier.stats import (
    bootstrap_quantile_ratio,
    compare_paired,
    compare_threshold,
    hodges_lehmann,
    holm,
    mann_whitney,
    mcnemar_exact,
    newcombe_paired_interval,
    paired_difference_interval,
    proportion_difference,
    wilson_interval,
)
from bouclier.stats import ranks
from bouclier.stats.quantiles import _weighted_quantiles


@pytest.mark.parametrize("successes,n", [(0, 1), (0, 50), (1, 50), (25, 50), (49, 50), (50, 50), (7, 13), (900, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(successes, n, confidence):
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    got = wilson_interval(successes=successes, n=n, confidence=confidence)
    assert got.low == pytest.approx(low, abs=1e-12)
    assert got.high == pytest.approx(high, abs=1e-12)
    assert got.confidence == confidence


@pytest.mark.parametrize("b,c", [(0, 0), (0, 1), (3, 3), (16, 6), (6, 16), (1, 20), (40, 55)])
def test_mcnemar_matches_statsmodels_exact(b, c):
    table = [[30, b], [c, 10]]
    expected = mcnemar(table, exact=True).pvalue
    assert mcnemar_exact(b=b, c=c) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_mcnemar_one_sided_tails():
    # c improvements vs b regressions: P(X >= c) with X ~ Bin(b + c, 1/2)
    assert mcnemar_exact(b=2, c=10, alternative="greater") == pytest.approx(ss.binomtest(10, 12, 0.5, alternative="greater").pvalue)
    assert mcnemar_exact(b=2, c=10, alternative="less") == pytest.approx(ss.binomtest(10, 12, 0.5, alternative="less").pvalue)


def test_newcombe_paired_published_example():
    # Fagerland, Lydersen & Laake (2014, Stat Med 33:2850; and their 2017 book, ch. 8):
    # complete response before/after consolidation therapy (Cavo et al. 2012), table
    # [[59, 6], [16, 80]]; Newcombe square-and-add: -0.0621 (95% CI -0.1186 to -0.0046).
    # In our orientation the row variable is the candidate: c = 6, b = 16.
    interval = newcombe_paired_interval(a=59, b=16, c=6, d=80, confidence=0.95)
    assert interval.low == pytest.approx(-0.1186, abs=5e-5)
    assert interval.high == pytest.approx(-0.0046, abs=5e-5)
    # and through compare_paired, from per-case 0/1 scores
    base = np.array([1] * 59 + [1] * 16 + [0] * 6 + [0] * 80)
    cand = np.array([1] * 59 + [0] * 16 + [1] * 6 + [0] * 80)
    result = compare_paired(baseline=base, candidate=cand, threshold=0.0)
    assert result.estimate == pytest.approx(-10 / 161)
    assert result.interval.low == pytest.approx(-0.1186, abs=5e-5)
    assert result.discordant == (16, 6)
    assert result.fails and not result.passes


@pytest.mark.parametrize("x1,n1,x2,n2", [(3, 1000, 12, 1000), (0, 500, 4, 480), (56, 70, 48, 80), (9, 10, 3, 10)])
def test_proportion_difference_matches_statsmodels_newcombe_and_fisher(x1, n1, x2, n2):
    # statsmodels compares count1/nobs1 - count2/nobs2; ours is x2/n2 - x1/n1
    low, high = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff", alpha=0.05)
    got = proportion_difference(x1=x1, n1=n1, x2=x2, n2=n2, confidence=0.95)
    assert got.interval.low == pytest.approx(low, abs=1e-10)
    assert got.interval.high == pytest.approx(high, abs=1e-10)
    assert got.p_value == pytest.approx(ss.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue)
    greater = proportion_difference(x1=x1, n1=n1, x2=x2, n2=n2, alternative="greater")
    assert greater.p_value == pytest.approx(ss.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="less").pvalue)


def test_holm_matches_statsmodels():
    rng = np.random.default_rng(3)
    for m in (1, 2, 5, 12, 40):
        p = rng.uniform(0, 0.2, size=m) ** 2
        expected = multipletests(p, method="holm")[1]
        assert np.allclose(holm(list(p)), expected)
    assert holm([]) == []
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_mann_whitney_matches_scipy(alternative):
    rng = np.random.default_rng(4)
    base = np.round(rng.lognormal(3.0, 0.4, size=80))  # ties, as from a millisecond clock
    cand = np.round(rng.lognormal(3.1, 0.4, size=95))
    got = mann_whitney(baseline=base, candidate=cand, alternative=alternative)
    ref = ss.mannwhitneyu(cand, base, alternative=alternative)
    assert got.statistic == ref.statistic
    assert got.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    diffs = (cand[None, :] - base[:, None]).ravel()
    assert got.shift == pytest.approx(np.median(diffs))


def test_hodges_lehmann_interval_order_statistics_and_selection_path(monkeypatch):
    rng = np.random.default_rng(5)
    base, cand = rng.exponential(size=37), rng.exponential(size=41) + 0.3
    diffs = np.sort((cand[None, :] - base[:, None]).ravel())
    shift, interval = hodges_lehmann(baseline=base, candidate=cand, confidence=0.95)
    n1, n2 = 37, 41
    k = int(np.floor(n1 * n2 / 2 - ss.norm.ppf(0.975) * np.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)))
    assert interval.low == diffs[k - 1] and interval.high == diffs[n1 * n2 - k]
    # the bisection path used for large samples gives the same order statistics
    monkeypatch.setattr(ranks, "_MATERIALISE_PAIRS", 0)
    shift2, interval2 = hodges_lehmann(baseline=base, candidate=cand, confidence=0.95)
    assert shift2 == pytest.approx(shift, abs=1e-12)
    assert interval2.low == pytest.approx(interval.low, abs=1e-12)
    assert interval2.high == pytest.approx(interval.high, abs=1e-12)


def test_paired_bootstrap_close_to_scipy_bca():
    rng = np.random.default_rng(6)
    base = rng.beta(2, 2, size=300)
    cand = np.clip(base + rng.normal(0.02, 0.15, size=300), 0, 1)
    estimate, interval = paired_difference_interval(baseline=base, candidate=cand, confidence=0.95, seed=1, n_resamples=4000)
    ref = ss.bootstrap((cand - base,), np.mean, n_resamples=4000, method="BCa", random_state=1).confidence_interval
    assert estimate == pytest.approx(np.mean(cand - base))
    # ours adds a small-sample expansion sqrt(n/(n-1)) t/z (~+0.3% width at n=300) and
    # bootstrap noise: agree within 5% of the width
    width = ref.high - ref.low
    assert abs(interval.low - ref.low) < 0.05 * width
    assert abs(interval.high - ref.high) < 0.05 * width


def test_threshold_continuous_close_to_t_interval_and_large_n_path():
    rng = np.random.default_rng(7)
    values = rng.normal(0.7, 0.2, size=400)
    res = compare_threshold(values=values, threshold=0.68, seed=0)
    t_low, t_high = ss.t.interval(0.95, 399, loc=values.mean(), scale=ss.sem(values))
    assert res.interval.low <= t_low + 1e-12 and res.interval.high >= t_high - 1e-12
    assert res.interval.width < 1.05 * (t_high - t_low)
    big = rng.normal(0.7, 0.2, size=20_000)
    res = compare_threshold(values=big, threshold=0.7)
    t_low, t_high = ss.t.interval(0.95, big.size - 1, loc=big.mean(), scale=ss.sem(big))
    assert res.interval.low == pytest.approx(t_low) and res.interval.high == pytest.approx(t_high)
    assert res.p_pass == pytest.approx(ss.ttest_1samp(big, 0.7, alternative="greater").pvalue)


def test_weighted_quantile_equals_numpy_inverted_cdf():
    rng = np.random.default_rng(8)
    for n in (1, 2, 7, 20, 101):
        values = np.sort(rng.normal(size=n))
        for q in (0.01, 0.05, 0.5, 0.9, 0.95, 0.99):
            got = _weighted_quantiles(values, np.ones((1, n), dtype=int), q)[0]
            assert got == np.quantile(values, q, method="inverted_cdf"), (n, q)
    # integer weights = repeated observations
    w = rng.integers(0, 4, size=(50, 30))
    w[:, 0] = 1
    values = np.sort(rng.normal(size=30))
    got = _weighted_quantiles(values, w, 0.9)
    expected = [np.quantile(np.repeat(values, row), 0.9, method="inverted_cdf") for row in w]
    assert np.array_equal(got, expected)


def test_quantile_ratio_point_estimate():
    rng = np.random.default_rng(9)
    base, cand = rng.lognormal(3, 0.5, 500), rng.lognormal(3.2, 0.5, 400)
    estimate, interval = bootstrap_quantile_ratio(baseline=base, candidate=cand, q=0.95, seed=0, n_resamples=1000)
    assert estimate == np.quantile(cand, 0.95, method="inverted_cdf") / np.quantile(base, 0.95, method="inverted_cdf")
    assert interval.low < estimate < interval.high
