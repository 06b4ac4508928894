"""Simulations: A/A false alarms, Holm's family-wise rate, power, interval coverage.

Monte-Carlo tolerance: an observed rate r from R independent repetitions is accepted
against a nominal level p when ``r <= p + 3 * sqrt(p (1 - p) / R)`` (an error-rate check)
or ``r >= p - 3 * sqrt(p (1 - p) / R)`` (a power or coverage check); each check then fails
by Monte-Carlo chance alone with probability ~0.1%.  Where the reference value is itself an
approximation, a named extra slack is allowed: 0.01 for power against the normal-theory
power formula and for Newcombe coverage (Newcombe 1998 reports minimum coverages about a
point below nominal), 0.03 for percentile-bootstrap coverage of a tail quantile ratio.  All seeds are fixed, so the suite is
reproducible.  Binary simulations use the same vectorised Newcombe functions that
``compare_paired`` calls (checked equal on the first repetitions); bootstrap simulations
go through the public functions with fewer resamples (1000) to stay fast.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as ss

from bouclier.stats import (
    compare_paired,
    hodges_lehmann,
    holm,
    paired_difference_interval,
    bootstrap_quantile_ratio,
)
from bouclier.stats.paired_proportions import newcombe_paired_bounds, newcombe_paired_pvalues
from bouclier.stats.proportions import newcombe_independent_bounds, wilson_bounds

ALPHA1 = 0.025  # one-sided level of a 95% interval


def upper_tolerance(p: float, reps: int) -> float:
    return p + 3.0 * np.sqrt(p * (1.0 - p) / reps)


def lower_tolerance(p: float, reps: int) -> float:
    return p - 3.0 * np.sqrt(p * (1.0 - p) / reps)


def paired_tables(rng, cells, n, reps):
    """``reps`` paired 2x2 tables (a, b, c, d) of n cases with cell probabilities ``cells``."""
    counts = rng.multinomial(n, cells, size=reps)
    return counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]


def expand(a, b, c, d):
    base = np.r_[np.ones(a), np.ones(b), np.zeros(c), np.zeros(d)]
    cand = np.r_[np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)]
    return base, cand


# --- (2) A/A: no difference -> false FAIL at most the nominal one-sided level -------------


@pytest.mark.parametrize("n", [30, 100, 400, 2000])
@pytest.mark.parametrize("cells", [(0.80, 0.05, 0.05, 0.10), (0.55, 0.15, 0.15, 0.15)], ids=["acc0.85", "acc0.70"])
def test_aa_binary_false_fail_rate(n, cells):
    rng = np.random.default_rng(100 + n)
    reps = 8000
    a, b, c, d = paired_tables(rng, cells, n, reps)
    for threshold in (0.0, -0.02):
        p_above, p_below = newcombe_paired_pvalues(a, b, c, d, threshold)
        false_fail = np.mean(p_below < ALPHA1)
        assert false_fail <= upper_tolerance(ALPHA1, reps), (threshold, false_fail)
        if threshold == 0.0:  # on the boundary a PASS is also an error
            assert np.mean(p_above < ALPHA1) <= upper_tolerance(ALPHA1, reps)
    # the vectorised p-values are the ones compare_paired reports
    for i in range(5):
        r = compare_paired(baseline=expand(a[i], b[i], c[i], d[i])[0], candidate=expand(a[i], b[i], c[i], d[i])[1], threshold=-0.02)
        assert r.p_fail == pytest.approx(newcombe_paired_pvalues(a[i], b[i], c[i], d[i], -0.02)[1])


@pytest.mark.parametrize("n", [30, 400])
def test_binary_on_the_margin_false_pass_rate(n):
    # candidate truly worse by exactly the margin (0.05): PASS would be a false pass
    rng = np.random.default_rng(200 + n)
    reps = 8000
    a, b, c, d = paired_tables(rng, (0.75, 0.10, 0.05, 0.10), n, reps)
    p_above, _ = newcombe_paired_pvalues(a, b, c, d, -0.05)
    assert np.mean(p_above < ALPHA1) <= upper_tolerance(ALPHA1, reps)


def _continuous_aa(rng, n, noise):
    base = rng.beta(2, 2, size=n)
    if noise == "t4":
        cand = base + 0.1 * rng.standard_t(4, size=n) - 0.1 * rng.standard_t(4, size=n)
    else:  # bounded scores, both models noisy around the same per-case quality
        cand = np.clip(base + rng.normal(0, 0.15, size=n), 0, 1)
        base = np.clip(base + rng.normal(0, 0.15, size=n), 0, 1)
    return base, cand


@pytest.mark.parametrize("n,noise,reps", [(25, "t4", 700), (200, "bounded", 500), (20_000, "bounded", 300)])
def test_aa_continuous_false_fail_rate(n, noise, reps):
    rng = np.random.default_rng(300 + n)
    fails = passes = fails_margin = 0
    for rep in range(reps):
        base, cand = _continuous_aa(rng, n, noise)
        r = compare_paired(baseline=base, candidate=cand, threshold=0.0, seed=rep, n_resamples=1000)
        fails += r.fails
        passes += r.passes
        fails_margin += r.interval.high < -0.02  # the FAIL rule with a 2-point margin
    limit = upper_tolerance(ALPHA1, reps)
    assert fails / reps <= limit
    assert passes / reps <= limit
    assert fails_margin <= fails
    # coverage of the true difference 0 by the 95% interval (= no PASS and no FAIL)
    assert 1 - (fails + passes) / reps >= lower_tolerance(0.95, reps)


def test_holm_keeps_the_family_wise_false_fail_rate():
    # 12 criteria (e.g. 12 languages), all A/A, each judged on its own 300 cases at the
    # worst place: threshold 0 where a false FAIL is most likely
    rng = np.random.default_rng(400)
    families, k, n = 3000, 12, 300
    a, b, c, d = paired_tables(rng, (0.75, 0.08, 0.08, 0.09), n, families * k)
    _, p_fail = newcombe_paired_pvalues(a, b, c, d, 0.0)
    p_fail = p_fail.reshape(families, k)
    adjusted = np.array([holm(list(row)) for row in p_fail])
    family_wise = np.mean((adjusted < ALPHA1).any(axis=1))
    assert family_wise <= upper_tolerance(ALPHA1, families)
    unadjusted = np.mean((p_fail < ALPHA1).any(axis=1))
    assert unadjusted > 0.15  # without Holm, 12 looks give ~1-(1-0.025)^12 = 26% false FAILs


# --- (3) power on injected regressions -------------------------------------------------------


def _expected_power(cells, n, distance, alpha):
    """Normal-approximation power of a one-sided test at ``alpha`` for a true distance."""
    pa, pb, pc, pd = cells
    variance = pb + pc - (pc - pb) ** 2
    return ss.norm.cdf(distance / np.sqrt(variance / n) - ss.norm.ppf(1 - alpha))


@pytest.mark.parametrize(
    "cells", [(0.78, 0.12, 0.02, 0.08), (0.72, 0.18, 0.08, 0.02)], ids=["correlated", "independent"]
)
def test_power_accuracy_drop_090_to_080_at_400_cases(cells):
    rng = np.random.default_rng(500)
    reps, n, threshold = 4000, 400, -0.02
    assert cells[0] + cells[1] == pytest.approx(0.90) and cells[0] + cells[2] == pytest.approx(0.80)
    a, b, c, d = paired_tables(rng, cells, n, reps)
    _, p_fail = newcombe_paired_pvalues(a, b, c, d, threshold)
    power = np.mean(p_fail < ALPHA1)
    expected = _expected_power(cells, n, distance=0.08, alpha=ALPHA1)
    assert power >= lower_tolerance(expected, reps) - 0.01, (power, expected)


def test_power_ten_point_drop_in_one_200_case_group_with_holm():
    rng = np.random.default_rng(600)
    families, k, n = 2000, 12, 200
    aa_cells = (0.75, 0.10, 0.10, 0.05)
    drop_cells = (0.70, 0.15, 0.05, 0.10)  # 0.85 -> 0.75
    a, b, c, d = paired_tables(rng, aa_cells, n, families * k)
    a, b, c, d = (x.reshape(families, k) for x in (a, b, c, d))
    da, db, dc, dd = paired_tables(rng, drop_cells, n, families)
    a[:, 0], b[:, 0], c[:, 0], d[:, 0] = da, db, dc, dd
    _, p_fail = newcombe_paired_pvalues(a, b, c, d, -0.02)
    adjusted = np.array([holm(list(row)) for row in p_fail])
    power = np.mean(adjusted[:, 0] < ALPHA1)
    # Holm's first step tests the smallest p-value at alpha / 12
    expected = _expected_power(drop_cells, n, distance=0.08, alpha=ALPHA1 / k)
    assert power >= lower_tolerance(expected, families) - 0.01, (power, expected)
    assert np.mean((adjusted[:, 1:] < ALPHA1).any(axis=1)) <= upper_tolerance(ALPHA1, families)


def test_power_continuous_regression_through_compare_paired():
    rng = np.random.default_rng(700)
    reps, n, shift, sd = 300, 200, -0.05, 0.2
    fails = 0
    for rep in range(reps):
        base = rng.beta(4, 2, size=n)
        cand = base + rng.normal(shift, sd, size=n)
        fails += compare_paired(baseline=base, candidate=cand, threshold=0.0, seed=rep, n_resamples=1000).fails
    expected = ss.norm.cdf(abs(shift) / (sd / np.sqrt(n)) - ss.t.ppf(1 - ALPHA1, n - 1))
    assert fails / reps >= lower_tolerance(expected, reps) - 0.01


# --- (4) coverage of the intervals ------------------------------------------------------------


@pytest.mark.parametrize("n", [20, 100, 500])
def test_wilson_coverage_exact_enumeration(n):
    z = ss.norm.ppf(0.975)
    x = np.arange(n + 1)
    low, high = wilson_bounds(x, n, z)
    coverages = []
    for p in np.linspace(0.02, 0.98, 97):
        covered = (low <= p) & (p <= high)
        coverages.append(ss.binom.pmf(x, n, p)[covered].sum())
    coverages = np.array(coverages)
    assert 0.945 <= coverages.mean() <= 0.965  # Wilson: close to nominal on average
    assert coverages.min() >= 0.83  # and never far below (known dips at small n)


@pytest.mark.parametrize(
    "cells", [(0.80, 0.05, 0.05, 0.10), (0.90, 0.01, 0.04, 0.05), (0.40, 0.20, 0.10, 0.30), (0.97, 0.0, 0.01, 0.02)]
)
@pytest.mark.parametrize("n", [50, 300])
def test_newcombe_paired_coverage(cells, n):
    rng = np.random.default_rng(800 + n)
    reps = 6000
    a, b, c, d = paired_tables(rng, cells, n, reps)
    low, high = newcombe_paired_bounds(a, b, c, d, ss.norm.ppf(0.975))
    truth = cells[2] - cells[1]
    coverage = np.mean((low <= truth) & (truth <= high))
    assert coverage >= lower_tolerance(0.95, reps) - 0.01  # Newcombe reports dips ~1 point below


@pytest.mark.parametrize("p1,p2,n", [(0.01, 0.02, 1000), (0.001, 0.001, 5000), (0.1, 0.05, 200)])
def test_proportion_difference_coverage_rare_events(p1, p2, n):
    rng = np.random.default_rng(900)
    reps = 8000
    x1, x2 = rng.binomial(n, p1, size=reps), rng.binomial(n, p2, size=reps)
    low, high = newcombe_independent_bounds(x1, n, x2, n, ss.norm.ppf(0.975))
    truth = p2 - p1
    assert np.mean((low <= truth) & (truth <= high)) >= lower_tolerance(0.95, reps) - 0.01


def test_cluster_bootstrap_coverage_with_correlated_clusters():
    # 40 source sentences x 12 translations: the difference has a shared per-sentence part
    rng = np.random.default_rng(1000)
    reps, g, size = 250, 40, 12
    clusters = np.repeat(np.arange(g), size)
    covered = naive_covered = 0
    for rep in range(reps):
        shared = np.repeat(rng.normal(0, 0.15, size=g), size)
        base = rng.beta(2, 2, size=g * size)
        cand = base + shared + rng.normal(0, 0.05, size=g * size)
        _, interval = paired_difference_interval(baseline=base, candidate=cand, clusters=clusters, seed=rep, n_resamples=1000)
        covered += interval.contains(0.0)
        _, naive = paired_difference_interval(baseline=base, candidate=cand, seed=rep, n_resamples=1000)
        naive_covered += naive.contains(0.0)
    assert covered / reps >= lower_tolerance(0.95, reps)
    assert naive_covered / reps < 0.75  # ignoring the clusters would be badly overconfident


def test_hodges_lehmann_coverage():
    rng = np.random.default_rng(1100)
    reps, shift = 600, 0.3
    covered = 0
    for _ in range(reps):
        base = rng.exponential(size=40)
        cand = rng.exponential(size=50) + shift
        _, interval = hodges_lehmann(baseline=base, candidate=cand)
        covered += interval.contains(shift)
    assert covered / reps >= lower_tolerance(0.95, reps)


@pytest.mark.parametrize("blocked", [False, True])
def test_quantile_ratio_coverage(blocked):
    rng = np.random.default_rng(1200 + blocked)
    reps, n_blocks, per_block, ratio, q = 200, 40, 8, 1.2, 0.9
    blocks = np.repeat(np.arange(n_blocks), per_block)
    covered = 0
    for rep in range(reps):
        # machine drift: one multiplicative factor per block, shared by both arms
        drift = np.repeat(rng.lognormal(0, 0.3, size=n_blocks), per_block) if blocked else 1.0
        base = drift * rng.lognormal(3, 0.5, size=n_blocks * per_block)
        cand = drift * ratio * rng.lognormal(3, 0.5, size=n_blocks * per_block)
        _, interval = bootstrap_quantile_ratio(
            baseline=base, candidate=cand, q=q, seed=rep, n_resamples=500, blocks=blocks if blocked else None
        )
        covered += interval.contains(ratio)
    # percentile intervals of a tail quantile are a little narrow at this size
    assert covered / reps >= lower_tolerance(0.95, reps) - 0.03
