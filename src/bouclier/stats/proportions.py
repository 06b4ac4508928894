"""Single proportions (Wilson score) and two independent proportions (Newcombe + Fisher).

Wilson's score interval is the inversion of the score test of a proportion, so it keeps
near-nominal coverage at small n and at rates near 0 or 1, where the textbook
``p +- z sqrt(p(1-p)/n)`` interval collapses to zero width (0 successes in 50 cases does
*not* prove a zero rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as _sp

from bouclier.stats.checks import check_alternative, check_confidence, check_count
from bouclier.stats.interval import Interval

WILSON = "Wilson score interval"
NEWCOMBE_INDEPENDENT = "Newcombe hybrid score interval (method 10)"


def wilson_bounds(successes, n, z):
    """Wilson (1927) score bounds, elementwise over arrays of counts and z."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = np.asarray(z, dtype=float)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denominator
    half = z * np.sqrt(np.maximum(p * (1.0 - p) / n + z2 / (4.0 * n * n), 0.0)) / denominator
    low = np.where(successes <= 0, 0.0, np.clip(center - half, 0.0, 1.0))
    high = np.where(successes >= n, 1.0, np.clip(center + half, 0.0, 1.0))
    return low, high


def _check_successes(successes, n) -> tuple[int, int]:
    successes = check_count("successes", successes)
    n = check_count("n", n)
    if n == 0:
        raise ValueError("n is 0: a proportion needs at least one case")
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
    return successes, n


def wilson_interval(*, successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``successes / n``."""
    successes, n = _check_successes(successes, n)
    confidence = check_confidence(confidence)
    z = _sp.norm.ppf(0.5 + confidence / 2.0)
    low, high = wilson_bounds(successes, n, z)
    return Interval(float(low), float(high), confidence, WILSON)


class WilsonEvidence:
    """A proportion judged against thresholds with the score test that Wilson's interval inverts.

    The score statistic ``(p - t) / sqrt(t (1 - t) / n)`` uses the variance *under the
    threshold*, so it is defined even when no success (or no failure) was seen.
    """

    def __init__(self, *, successes: int, n: int):
        self.successes = successes
        self.n = n
        self.estimate = successes / n
        self.method = WILSON

    def interval(self, confidence: float) -> Interval:
        return wilson_interval(successes=self.successes, n=self.n, confidence=confidence)

    def _z(self, threshold: float) -> float:
        return (self.estimate - threshold) / np.sqrt(threshold * (1.0 - threshold) / self.n)

    def p_above(self, threshold: float) -> float:
        """p-value of H0 "rate <= threshold"."""
        if threshold < 0.0:
            return 0.0
        if threshold == 0.0:
            return 0.0 if self.successes > 0 else 1.0
        if threshold >= 1.0:
            return 1.0
        return float(_sp.norm.sf(self._z(threshold)))

    def p_below(self, threshold: float) -> float:
        """p-value of H0 "rate >= threshold"."""
        if threshold > 1.0:
            return 0.0
        if threshold == 1.0:
            return 0.0 if self.successes < self.n else 1.0
        if threshold <= 0.0:
            return 1.0
        return float(_sp.norm.cdf(self._z(threshold)))


@dataclass(frozen=True)
class ProportionDifference:
    """Two independent proportions: ``estimate = x2/n2 - x1/n1`` (second minus first)."""

    rate1: float
    rate2: float
    estimate: float
    interval: Interval
    p_value: float
    alternative: str
    test: str


def newcombe_independent_bounds(x1, n1, x2, n2, z):
    """Newcombe (1998, method 10) bounds for ``x2/n2 - x1/n1``."""
    p1 = np.asarray(x1, dtype=float) / n1
    p2 = np.asarray(x2, dtype=float) / n2
    l1, u1 = wilson_bounds(x1, n1, z)
    l2, u2 = wilson_bounds(x2, n2, z)
    d = p2 - p1
    low = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def proportion_difference(
    *,
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> ProportionDifference:
    """Difference of two independent proportions, suited to rare events such as error rates.

    ``estimate = x2/n2 - x1/n1``: pass the baseline (stable) as group 1 and the candidate
    (canary) as group 2 so that a positive estimate means "the candidate's rate is higher".
    The interval is Newcombe's hybrid score interval (method 10 of Newcombe 1998), which
    stays honest with 0 events; ``p_value`` is Fisher's exact test, with ``alternative``
    "greater" meaning rate2 > rate1 and "less" meaning rate2 < rate1.
    """
    x1, n1 = _check_successes(x1, n1)
    x2, n2 = _check_successes(x2, n2)
    confidence = check_confidence(confidence)
    alternative = check_alternative(alternative)
    z = _sp.norm.ppf(0.5 + confidence / 2.0)
    low, high = newcombe_independent_bounds(x1, n1, x2, n2, z)
    estimate = x2 / n2 - x1 / n1
    table = [[x2, n2 - x2], [x1, n1 - x1]]
    p_value = float(_sp.fisher_exact(table, alternative=alternative).pvalue)
    interval = Interval(min(float(low), estimate), max(float(high), estimate), confidence, NEWCOMBE_INDEPENDENT)
    return ProportionDifference(
        rate1=x1 / n1,
        rate2=x2 / n2,
        estimate=estimate,
        interval=interval,
        p_value=min(1.0, p_value),
        alternative=alternative,
        test="Fisher exact test",
    )
