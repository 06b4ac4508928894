"""Same seed, same answer; different seed, (slightly) different bootstrap."""

from __future__ import annotations

import numpy as np

from bouclier.stats import bootstrap_quantile_ratio, compare_paired, compare_threshold, paired_difference_interval


def _data():
    rng = np.random.default_rng(21)
    base = rng.beta(2, 2, size=150)
    return base, np.clip(base + rng.normal(0.0, 0.1, size=150), 0, 1)


def test_compare_paired_is_deterministic_given_seed():
    base, cand = _data()
    a = compare_paired(baseline=base, candidate=cand, threshold=-0.02, seed=5, n_resamples=1000)
    b = compare_paired(baseline=base, candidate=cand, threshold=-0.02, seed=5, n_resamples=1000)
    assert a == b
    c = compare_paired(baseline=base, candidate=cand, threshold=-0.02, seed=6, n_resamples=1000)
    assert c.estimate == a.estimate
    clusters = np.repeat(np.arange(50), 3)
    x = paired_difference_interval(baseline=base, candidate=cand, clusters=clusters, seed=1, n_resamples=500)
    y = paired_difference_interval(baseline=base, candidate=cand, clusters=clusters, seed=1, n_resamples=500)
    assert x == y


def test_bootstrap_interval_depends_on_seed_only_through_resampling():
    # wide-tailed data so that the bootstrap (not the t interval) sets a bound
    rng = np.random.default_rng(22)
    d = rng.exponential(size=40) - 1.0
    intervals = [paired_difference_interval(baseline=np.zeros(40), candidate=d, seed=s, n_resamples=500)[1] for s in range(5)]
    highs = {i.high for i in intervals}  # right skew: the BCa upper bound lies beyond the t bound
    assert len(highs) > 1  # the seed is really used
    spread = max(highs) - min(highs)
    assert spread < 0.1 * np.std(d)  # and only adds Monte-Carlo noise


def test_threshold_and_quantile_ratio_are_deterministic():
    base, cand = _data()
    assert compare_threshold(values=cand, threshold=0.5, seed=3, n_resamples=500) == compare_threshold(
        values=cand, threshold=0.5, seed=3, n_resamples=500
    )
    r1 = bootstrap_quantile_ratio(baseline=base + 1, candidate=cand + 1, q=0.9, seed=4, n_resamples=500)
    r2 = bootstrap_quantile_ratio(baseline=base + 1, candidate=cand + 1, q=0.9, seed=4, n_resamples=500)
    assert r1 == r2
