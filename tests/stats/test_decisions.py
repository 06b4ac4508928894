"""The decision semantics: p_pass / p_fail agree with the interval; n_needed; MDE; directions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as ss

from bouclier.stats import (
    cases_for_effect,
    cases_needed,
    compare_paired,
    compare_threshold,
    minimum_detectable_effect,
    paired_difference_interval,
)


def _datasets():
    rng = np.random.default_rng(11)
    base_bin = (rng.random(300) < 0.85).astype(float)
    cand_bin = np.where(rng.random(300) < 0.1, 1 - base_bin, base_bin)
    base = rng.beta(3, 2, size=120)
    cand = np.clip(base + rng.normal(-0.01, 0.1, size=120), 0, 1)
    clusters = np.repeat(np.arange(30), 4)
    return [
        dict(baseline=base_bin, candidate=cand_bin),
        dict(baseline=base, candidate=cand, n_resamples=1000),
        dict(baseline=base, candidate=cand, clusters=clusters, n_resamples=1000),
        dict(baseline=base_bin[:120], candidate=cand_bin[:120], clusters=clusters, n_resamples=1000),
    ]


@pytest.mark.parametrize("data", _datasets(), ids=["binary", "continuous", "clustered", "clustered-binary"])
@pytest.mark.parametrize("higher_is_better", [True, False])
def test_p_values_agree_with_the_interval(data, higher_is_better):
    estimate, _ = paired_difference_interval(**data)
    for confidence in (0.9, 0.95):
        for offset in np.linspace(-0.12, 0.12, 25):
            threshold = estimate + offset
            r = compare_paired(**data, threshold=threshold, higher_is_better=higher_is_better, confidence=confidence)
            good_side = r.interval.low > threshold if higher_is_better else r.interval.high < threshold
            bad_side = r.interval.high < threshold if higher_is_better else r.interval.low > threshold
            assert r.passes == good_side, (offset, r)
            assert r.fails == bad_side, (offset, r)
            assert 0.0 <= r.p_pass <= 1.0 and 0.0 <= r.p_fail <= 1.0
            assert not (r.passes and r.fails)


def test_threshold_binary_p_values_agree_with_wilson():
    values = np.array([1] * 7 + [0] * 193, dtype=float)  # 3.5% attack success rate
    for threshold in np.linspace(0.0, 0.12, 49):
        r = compare_threshold(values=values, threshold=threshold, higher_is_better=False)
        assert r.passes == (r.interval.high < threshold)
        assert r.fails == (r.interval.low > threshold)
    # zero successes: can pass a 5% ceiling with enough cases, never "equals zero"
    zeros = np.zeros(200)
    assert compare_threshold(values=zeros, threshold=0.05, higher_is_better=False).passes
    assert not compare_threshold(values=zeros[:20], threshold=0.05, higher_is_better=False).passes
    assert compare_threshold(values=zeros, threshold=0.0, higher_is_better=False).outcome() == "inconclusive"
    one_leak = np.r_[1.0, zeros]
    assert compare_threshold(values=one_leak, threshold=0.0, higher_is_better=False).outcome() == "fail"


def test_binary_without_discordant_pairs_is_not_a_zero_width_interval():
    same = np.array([1.0] * 45 + [0.0] * 5)
    r = compare_paired(baseline=same, candidate=same, threshold=-0.02)
    assert r.estimate == 0.0 and r.discordant == (0, 0)
    assert r.interval.low < -0.03 and r.interval.high > 0.03
    assert r.outcome() == "inconclusive"  # 50 agreeing cases do not prove "within 2 points"
    assert r.n_needed is not None and r.n_needed > 50
    # all right on both sides
    ones = np.ones(50)
    r = compare_paired(baseline=ones, candidate=ones, threshold=0.0)
    assert r.interval.width > 0.1


def test_lower_is_better_direction():
    rng = np.random.default_rng(12)
    base = rng.normal(100, 10, size=200)
    cand = base + rng.normal(20, 5, size=200)  # 20 ms slower
    r = compare_paired(baseline=base, candidate=cand, threshold=5.0, higher_is_better=False, n_resamples=1000)
    assert r.fails and r.outcome() == "fail"
    r = compare_paired(baseline=base, candidate=cand, threshold=40.0, higher_is_better=False, n_resamples=1000)
    assert r.passes and r.outcome() == "pass"


def test_outcome_uses_the_adjusted_p_fail():
    rng = np.random.default_rng(13)
    base = (rng.random(400) < 0.9).astype(float)
    cand = np.where(rng.random(400) < 0.06, 0.0, base)
    r = compare_paired(baseline=base, candidate=cand, threshold=-0.02)
    assert r.fails
    assert r.outcome() == "fail"
    assert r.outcome(p_fail_adjusted=min(1.0, 12 * r.p_fail)) in ("fail", "inconclusive")
    assert r.outcome(p_fail_adjusted=1.0) == "inconclusive"


def test_mde_and_n_needed_formulas():
    z = ss.norm.ppf(0.975) + ss.norm.ppf(0.8)
    assert minimum_detectable_effect(standard_error=0.01) == pytest.approx(z * 0.01)
    assert cases_needed(n=100, standard_error=0.02, distance=0.01) == math.ceil(100 * (z * 0.02 / 0.01) ** 2)
    assert cases_needed(n=100, standard_error=0.02, distance=0.0) is None
    assert cases_for_effect(standard_deviation=0.3, effect=0.05) == math.ceil((z * 0.3 / 0.05) ** 2)


def test_n_needed_is_consistent_with_more_data():
    rng = np.random.default_rng(14)
    base = rng.normal(0, 1, size=60)
    cand = base + rng.normal(0.12, 0.5, size=60)
    r = compare_paired(baseline=base, candidate=cand, threshold=0.0, n_resamples=1000)
    assert r.outcome() == "inconclusive" and r.n_needed is not None and r.n_needed > 60
    assert r.mde == pytest.approx((ss.norm.ppf(0.975) + ss.norm.ppf(0.8)) * r.standard_error)
    # with n_needed cases from the same distribution, PASS is frequent (about `power`)
    passes = 0
    for rep in range(60):
        b = rng.normal(0, 1, size=r.n_needed)
        c = b + rng.normal(r.estimate, np.std(cand - base, ddof=1), size=r.n_needed)
        passes += compare_paired(baseline=b, candidate=c, threshold=0.0, seed=rep, n_resamples=500).passes
    assert passes / 60 > 0.6  # nominal 0.8; Monte-Carlo sd 0.05, t-interval and plug-in slack


def test_estimate_on_the_threshold_cannot_estimate_n_needed():
    base = np.array([0.2, 0.4, 0.6, 0.8])
    cand = np.array([0.3, 0.3, 0.7, 0.7])
    r = compare_paired(baseline=base, candidate=cand, threshold=0.0, n_resamples=500)
    assert r.estimate == pytest.approx(0.0, abs=1e-15)
    r = compare_paired(baseline=base, candidate=cand, threshold=r.estimate, n_resamples=500)
    assert r.n_needed is None and r.n_needed_note.startswith("cannot estimate")


def test_decided_comparison_has_no_n_needed():
    rng = np.random.default_rng(15)
    base = (rng.random(2000) < 0.9).astype(float)
    r = compare_paired(baseline=base, candidate=base, threshold=-0.05)
    assert r.passes and r.n_needed is None and r.n_needed_note == "already decided"


def test_large_n_is_fast_and_uses_the_normal_approximation():
    import time

    rng = np.random.default_rng(16)
    base = rng.normal(size=100_000)
    cand = base + rng.normal(0.0, 1.0, size=100_000)
    start = time.perf_counter()
    r = compare_paired(baseline=base, candidate=cand, threshold=-0.02)
    elapsed = time.perf_counter() - start
    assert "normal approximation" in r.method
    assert elapsed < 2.0  # ~0.01 s measured; generous for a shared 2-core machine
    binary_base = (rng.random(100_000) < 0.9).astype(float)
    binary_cand = (rng.random(100_000) < 0.9).astype(float)
    start = time.perf_counter()
    compare_paired(baseline=binary_base, candidate=binary_cand, threshold=-0.02)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_threshold_continuous_p_values_agree_with_the_interval(higher_is_better):
    rng = np.random.default_rng(17)
    values = rng.gamma(2.0, 0.1, size=80)  # skewed, e.g. a cost per request
    mean = values.mean()
    for threshold in mean + np.linspace(-0.08, 0.08, 33):
        r = compare_threshold(values=values, threshold=threshold, higher_is_better=higher_is_better, n_resamples=1000)
        good = r.interval.low > threshold if higher_is_better else r.interval.high < threshold
        bad = r.interval.high < threshold if higher_is_better else r.interval.low > threshold
        assert r.passes == good and r.fails == bad


@pytest.mark.parametrize("blocked", [False, True])
def test_quantile_ratio_comparison_agrees_with_its_interval(blocked):
    from bouclier.stats import bootstrap_quantile_ratio, compare_quantile_ratio

    rng = np.random.default_rng(18)
    base = rng.lognormal(3.0, 0.4, size=300)
    cand = rng.lognormal(3.1, 0.4, size=300)
    blocks = np.repeat(np.arange(30), 10) if blocked else None
    estimate, interval = bootstrap_quantile_ratio(baseline=base, candidate=cand, q=0.95, n_resamples=1000, blocks=blocks)
    for threshold in np.linspace(0.8, 1.5, 15):
        r = compare_quantile_ratio(baseline=base, candidate=cand, q=0.95, threshold=threshold, n_resamples=1000, blocks=blocks)
        assert r.estimate == estimate and r.interval == interval
        assert r.passes == (r.interval.high < threshold)  # lower is better by default
        assert r.fails == (r.interval.low > threshold)
    assert r.n_blocks == (30 if blocked else None)


def test_family_outcomes_applies_holm_to_p_fail_only():
    from bouclier.stats import family_outcomes, holm

    rng = np.random.default_rng(19)
    comparisons = []
    for drop in (0.0, 0.0, 0.0, 0.04, 0.12):
        base = (rng.random(500) < 0.9).astype(float)
        cand = np.where(rng.random(500) < drop, 0.0, base)
        comparisons.append(compare_paired(baseline=base, candidate=cand, threshold=-0.01))
    outcomes = family_outcomes(comparisons=comparisons)
    adjusted = holm([c.p_fail for c in comparisons])
    for c, p, o in zip(comparisons, adjusted, outcomes):
        expected = "pass" if c.p_pass < 0.025 else "fail" if p < 0.025 else "inconclusive"
        assert o == expected
    assert outcomes[-1] == "fail"
    with pytest.raises(ValueError, match="confidence"):
        family_outcomes(comparisons=[comparisons[0], compare_paired(baseline=base, candidate=cand, threshold=0, confidence=0.9)])
