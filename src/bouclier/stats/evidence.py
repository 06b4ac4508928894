"""What the comparisons need from an estimation method, and how its p-values are defined.

Every method (bootstrap, Newcombe, Wilson, normal approximation) is wrapped in an
:class:`Evidence`: an estimate, an interval at any confidence level, and two one-sided
p-values that are the *inversion of that same interval family*:

* ``p_above(t)`` is the p-value of H0 "true value <= t".  It is below ``alpha`` exactly
  when the two-sided interval at confidence ``1 - 2 * alpha`` lies entirely above ``t``.
* ``p_below(t)`` is the p-value of H0 "true value >= t".  It is below ``alpha`` exactly
  when that interval lies entirely below ``t``.

So a verdict read from the p-values and a verdict read from the interval always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from scipy import stats as _sp

from bouclier.stats.interval import Interval

#: z beyond which a one-sided p-value is reported as (practically) zero.
Z_MAX = 38.0


class Evidence(Protocol):
    estimate: float
    n: int
    method: str

    def interval(self, confidence: float) -> Interval: ...

    def p_above(self, threshold: float) -> float: ...

    def p_below(self, threshold: float) -> float: ...


class NormalEvidence:
    """Estimate +- t(df) x standard error: the large-sample path and the t-interval."""

    def __init__(self, *, estimate: float, standard_error: float, df: float, n: int, method: str):
        self.estimate = float(estimate)
        self.standard_error = float(standard_error)
        self.df = float(df)
        self.n = n
        self.method = method

    def interval(self, confidence: float) -> Interval:
        half = _sp.t.ppf(0.5 + confidence / 2.0, self.df) * self.standard_error
        return Interval(self.estimate - half, self.estimate + half, confidence, self.method)

    def _t(self, threshold: float) -> float | None:
        if self.standard_error > 0.0:
            return (self.estimate - threshold) / self.standard_error
        return None

    def p_above(self, threshold: float) -> float:
        t = self._t(threshold)
        if t is None:  # no spread at all: the estimate is the whole story
            return 0.0 if self.estimate > threshold else 1.0
        return float(_sp.t.sf(t, self.df))

    def p_below(self, threshold: float) -> float:
        t = self._t(threshold)
        if t is None:
            return 0.0 if self.estimate < threshold else 1.0
        return float(_sp.t.cdf(t, self.df))


def invert_score_family(
    bounds: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    estimate: np.ndarray,
    threshold: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided p-values ``(p_above, p_below)`` of a z-indexed family of intervals.

    ``bounds(z)`` gives the interval's (low, high) at normal quantile ``z`` (elementwise,
    broadcasting with ``estimate`` and ``threshold``).  For an estimate above the threshold
    we find, by bisection, the z at which the low bound reaches the threshold; the p-value
    of H0 "value <= t" is then ``Phi(-z)`` and that of H0 "value >= t" is ``Phi(z)``
    (mirror image below).  Vectorised so that simulations can test thousands of tables.
    """
    estimate = np.asarray(estimate, dtype=float)
    threshold = np.asarray(threshold, dtype=float)
    if estimate.ndim == 0 and threshold.ndim == 0:
        return _invert_scalar(bounds, float(estimate), float(threshold))
    above = estimate > threshold
    shape = np.broadcast(estimate, threshold).shape
    above = np.broadcast_to(above, shape)

    def inside(z: np.ndarray) -> np.ndarray:
        low, high = bounds(z)
        return np.where(above, low > threshold, high < threshold)

    lo = np.zeros(shape)
    hi = np.full(shape, Z_MAX)
    never = inside(hi)  # the bound never reaches the threshold: overwhelming evidence
    for _ in range(55):
        mid = 0.5 * (lo + hi)
        ok = inside(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    z = np.where(never, Z_MAX, 0.5 * (lo + hi))
    far_side = _sp.norm.sf(z)
    near_side = _sp.norm.cdf(z)
    p_above = np.where(above, far_side, near_side)
    p_below = np.where(above, near_side, far_side)
    return p_above, p_below


def _invert_scalar(bounds, estimate: float, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The scalar case of :func:`invert_score_family` with Brent's method (about 10
    evaluations of ``bounds`` instead of 55 bisection steps); same definition."""
    from scipy.optimize import brentq

    above = estimate > threshold

    def gap(z: float) -> float:
        low, high = bounds(np.asarray(z))
        return float(low) - threshold if above else threshold - float(high)

    if gap(Z_MAX) > 0:  # the bound never reaches the threshold
        z = Z_MAX
    elif gap(0.0) <= 0:  # the estimate sits on the threshold (or the family is degenerate)
        z = 0.0
    else:
        z = brentq(gap, 0.0, Z_MAX, xtol=1e-10)
    far_side, near_side = _sp.norm.sf(z), _sp.norm.cdf(z)
    return (np.asarray(far_side), np.asarray(near_side)) if above else (np.asarray(near_side), np.asarray(far_side))


class ScoreFamilyEvidence:
    """Evidence from a family of intervals ``bounds(z) -> (low, high)`` indexed by a normal z.

    The interval at confidence ``c`` is ``bounds(z)`` with ``z = Phi^-1(0.5 + c/2)``; the
    p-values come from :func:`invert_score_family` (how Newcombe's and Wilson's score
    intervals are turned into tests).
    """

    def __init__(
        self,
        *,
        estimate: float,
        bounds: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
        n: int,
        method: str,
    ):
        self.estimate = float(estimate)
        self._bounds = bounds
        self.n = n
        self.method = method

    def interval(self, confidence: float) -> Interval:
        z = np.asarray(_sp.norm.ppf(0.5 + confidence / 2.0))
        low, high = self._bounds(z)
        return Interval(min(float(low), self.estimate), max(float(high), self.estimate), confidence, self.method)

    def _p_values(self, threshold: float) -> tuple[float, float]:
        # Both one-sided p-values come from one inversion: compute it once per threshold.
        cache = self.__dict__.setdefault("_inverted", {})
        if threshold not in cache:
            above, below = invert_score_family(self._bounds, np.asarray(self.estimate), np.asarray(threshold))
            cache[threshold] = (float(above), float(below))
        return cache[threshold]

    def p_above(self, threshold: float) -> float:
        return self._p_values(threshold)[0]

    def p_below(self, threshold: float) -> float:
        return self._p_values(threshold)[1]


class HullEvidence:
    """The most cautious reading of several methods: hull of intervals, largest p-values."""

    def __init__(self, *parts: Evidence, method: str):
        self.parts = parts
        self.estimate = parts[0].estimate
        self.n = parts[0].n
        self.method = method

    def interval(self, confidence: float) -> Interval:
        intervals = [p.interval(confidence) for p in self.parts]
        low = min(i.low for i in intervals)
        high = max(i.high for i in intervals)
        return Interval(low, high, confidence, self.method)

    def p_above(self, threshold: float) -> float:
        return max(p.p_above(threshold) for p in self.parts)

    def p_below(self, threshold: float) -> float:
        return max(p.p_below(threshold) for p in self.parts)

