import numpy as np
import pytest

from bouclier.stats import detect_change_points, unpredictability_index


def test_known_break_is_found_at_its_place():
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0.90, 0.01, 12), rng.normal(0.85, 0.01, 12)]
    found = detect_change_points(values=x, seed=0)
    assert [c.index for c in found] == [12]
    assert found[0].shift == pytest.approx(-0.05, abs=0.01) and found[0].p_value < 0.05


def test_two_breaks():
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(0, 1, 15), rng.normal(4, 1, 15), rng.normal(8, 1, 15)]
    assert [c.index for c in detect_change_points(values=x, seed=1)] == [15, 30]


def test_flat_noise_false_breaks_at_the_nominal_rate():
    rng = np.random.default_rng(5)
    trials = 300
    hits = sum(bool(detect_change_points(values=rng.normal(0, 1, 20), seed=i, n_permutations=199))
               for i in range(trials))
    # nominal 5%: binomial(300, .05) stays below 27 with probability > 0.99
    assert hits / trials < 0.09


def test_deterministic_and_constant_series():
    x = [1, 2, 1, 2, 5, 6, 5, 6]
    assert detect_change_points(values=x, seed=7) == detect_change_points(values=x, seed=7)
    assert detect_change_points(values=[0.5] * 10) == []
    assert detect_change_points(values=[1, 2, 3]) == []


@pytest.mark.parametrize("kwargs", [dict(values=[1, float("nan"), 2, 3]), dict(values=[[1, 2], [3, 4]]),
                                    dict(values=[1, 2, 3, 4], alpha=0), dict(values=[1, 2, 3, 4], n_permutations=5)])
def test_bad_input(kwargs):
    with pytest.raises(ValueError):
        detect_change_points(**kwargs)


def test_unpredictability_index_interval():
    stable = unpredictability_index(per_case=[0.0] * 30, seed=0)
    assert stable.estimate == 0 and stable.interval.low == 0 and 0.05 < stable.interval.high < 0.2
    noisy = unpredictability_index(per_case=[0.6] * 15 + [0.0] * 15, seed=0)
    assert noisy.interval.low < 0.3 < noisy.interval.high and noisy.unstable == 15
    assert unpredictability_index(per_case=[0.1, 0.4] * 10, seed=2) == unpredictability_index(
        per_case=[0.1, 0.4] * 10, seed=2)
    with pytest.raises(ValueError):
        unpredictability_index(per_case=[1.5])
    with pytest.raises(ValueError):
        unpredictability_index(per_case=[])
