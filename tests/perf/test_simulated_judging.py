"""The latency judgement on seeded simulated runs (same judging code as real runs):
identical models never FAIL beyond the nominal rate, a 30% slowdown FAILs."""

import numpy as np
from scipy import stats as sp

from bouclier.config.performance import LatencyCriterion
from bouclier.gate.result import Verdict
from tests.perf.simulation import simulated_run

RUNS = 120
ALPHA1 = 0.025


def _verdicts(criterion, slowdown, runs=RUNS):
    return [simulated_run(seed, slowdown=slowdown, criteria=[criterion])[0].verdict for seed in range(runs)]


def test_identical_models_never_fail_with_a_margin():
    verdicts = _verdicts(LatencyCriterion(kind="latency", percentile=95, max_increase=0.10), 1.0)
    assert Verdict.FAIL not in verdicts
    assert verdicts.count(Verdict.PASS) > 0  # the test can decide, it is not always INCONCLUSIVE


def test_false_fail_rate_at_the_bound_is_nominal():
    """True ratio exactly on the bound (identical models, max_increase 0): a false FAIL at
    most 2.5% of the time, up to Monte-Carlo noise (binomial 99.9% quantile)."""
    verdicts = _verdicts(LatencyCriterion(kind="latency", percentile=95, max_increase=0.0), 1.0)
    fails = verdicts.count(Verdict.FAIL)
    assert fails <= sp.binom.ppf(0.999, RUNS, ALPHA1), fails


def test_thirty_percent_slower_fails():
    p50 = _verdicts(LatencyCriterion(kind="latency", percentile=50, max_increase=0.10), 1.3, runs=30)
    assert all(v is Verdict.FAIL for v in p50)
    p95 = _verdicts(LatencyCriterion(kind="latency", percentile=95, max_increase=0.10), 1.3, runs=30)
    assert Verdict.PASS not in p95 and p95.count(Verdict.FAIL) >= 15  # power ~75% at 300 requests per model


def test_absolute_slo_on_a_percentile():
    # median 20 ms lognormal(0.35): p95 ~ 35 ms.
    meets = simulated_run(1, slowdown=1.0, criteria=[LatencyCriterion(kind="latency", percentile=95, max_ms=80)])[0]
    misses = simulated_run(1, slowdown=1.0, criteria=[LatencyCriterion(kind="latency", percentile=95, max_ms=15)])[0]
    assert meets.verdict is Verdict.PASS and misses.verdict is Verdict.FAIL
    assert meets.ci_low <= meets.candidate_value <= meets.ci_high < 80
    assert misses.ci_low > 15


def test_too_few_requests_is_inconclusive_with_requests_needed():
    r = simulated_run(0, slowdown=1.0, blocks=2, per_block=10,
                      criteria=[LatencyCriterion(kind="latency", percentile=99, max_increase=0.1)])[0]
    assert r.verdict is Verdict.INCONCLUSIVE and r.n_needed == 500 and "at least 500" in r.reason


def test_inconclusive_says_how_many_requests_would_decide():
    found = [simulated_run(s, slowdown=1.15, criteria=[LatencyCriterion(kind="latency", percentile=95,
                                                                         max_increase=0.10)])[0]
             for s in range(10)]
    undecided = [r for r in found if r.verdict is Verdict.INCONCLUSIVE]
    assert undecided and all("requests per model" in r.reason for r in undecided)
    assert all(r.n_needed is None or r.n_needed > 300 for r in undecided)
    assert np.isfinite([r.ci_low for r in found]).all()
