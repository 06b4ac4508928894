"""Bad input raises ValueError with a message that says what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from bouclier.stats import (
    bootstrap_quantile_ratio,
    cases_needed,
    compare_paired,
    compare_threshold,
    holm,
    mann_whitney,
    mcnemar_exact,
    minimum_detectable_effect,
    paired_difference_interval,
    proportion_difference,
    wilson_interval,
)

GOOD = np.array([0.1, 0.5, 0.9, 0.3])


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD[:3], threshold=0), "same length"),
        (lambda: compare_paired(baseline=[], candidate=[], threshold=0), "baseline is empty"),
        (lambda: compare_paired(baseline=[0.1, np.nan], candidate=[0.1, 0.2], threshold=0), "NaN"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=np.nan), "threshold"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, confidence=1.0), "confidence"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, confidence=0), "confidence"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, confidence=95), "confidence"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, power=1.5), "power"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, seed=-1), "seed"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, n_resamples=10), "n_resamples"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, binary=True), "binary=True"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, clusters=[1, 2]), "clusters"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, clusters=[1, 1, 1, 1]), "at least 2 clusters"),
        (lambda: compare_paired(baseline=GOOD, candidate=GOOD, threshold=0, clusters=[1.0, np.nan, 2.0, 2.0]), "NaN"),
        (lambda: compare_paired(baseline=[0.5], candidate=[0.4], threshold=0), "at least 2"),
        (lambda: compare_paired(baseline=[[0.1, 0.2]], candidate=[[0.1, 0.2]], threshold=0), "one-dimensional"),
        (lambda: compare_paired(baseline=["a", "b"], candidate=[1, 2], threshold=0), "sequence of numbers"),
        (lambda: paired_difference_interval(baseline=GOOD, candidate=GOOD[:2]), "same length"),
        (lambda: compare_threshold(values=[], threshold=0.5), "values is empty"),
        (lambda: compare_threshold(values=[np.inf, 1.0], threshold=0.5), "infinite"),
        (lambda: compare_threshold(values=GOOD, threshold=0.5, confidence=-0.1), "confidence"),
        (lambda: wilson_interval(successes=1, n=0), "n is 0"),
        (lambda: wilson_interval(successes=5, n=3), "cannot exceed"),
        (lambda: wilson_interval(successes=-1, n=3), "non-negative"),
        (lambda: wilson_interval(successes=1, n=3, confidence=1.2), "confidence"),
        (lambda: mcnemar_exact(b=-1, c=3), "non-negative"),
        (lambda: mcnemar_exact(b=1, c=3, alternative="bigger"), "alternative"),
        (lambda: proportion_difference(x1=0, n1=0, x2=1, n2=10), "n is 0"),
        (lambda: proportion_difference(x1=1, n1=10, x2=1, n2=10, confidence=0.0), "confidence"),
        (lambda: holm([0.1, 1.5]), r"pvalues\[1\]"),
        (lambda: holm([0.1, float("nan")]), r"pvalues\[1\]"),
        (lambda: mann_whitney(baseline=[], candidate=GOOD), "baseline is empty"),
        (lambda: mann_whitney(baseline=GOOD, candidate=[1.0, np.nan]), "NaN"),
        (lambda: bootstrap_quantile_ratio(baseline=GOOD, candidate=GOOD, q=1.0), "q must be in"),
        (lambda: bootstrap_quantile_ratio(baseline=GOOD, candidate=-GOOD, q=0.5), "positive"),
        (lambda: bootstrap_quantile_ratio(baseline=GOOD, candidate=GOOD[:3], q=0.5, blocks=[0, 0, 1, 1]), "blocks"),
        (lambda: bootstrap_quantile_ratio(baseline=GOOD, candidate=GOOD, q=0.5, blocks=[0, 0, 0, 0]), "at least 2 blocks"),
        (lambda: bootstrap_quantile_ratio(baseline=GOOD, candidate=GOOD, q=0.5, blocks=([0, 0, 1, 1], [0, 0, 0, 0])), "every block"),
        (lambda: minimum_detectable_effect(standard_error=-1.0), "standard_error"),
        (lambda: cases_needed(n=0, standard_error=0.1, distance=0.1), "n must be"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_messages_are_one_line():
    with pytest.raises(ValueError) as info:
        compare_paired(baseline=[0.1, np.nan, np.nan], candidate=[0.1, 0.2, 0.3], threshold=0)
    text = str(info.value)
    assert "\n" not in text and "baseline" in text and "2 NaN" in text and "index 1" in text
