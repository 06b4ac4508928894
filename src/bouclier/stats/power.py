"""Minimum detectable effect and the number of cases that would settle an open question.

Both use the normal approximation of the test the gate runs: a one-sided test at level
``alpha1 = (1 - confidence) / 2`` (the two-sided interval at ``confidence`` decides
exactly when one of its one-sided tests at ``alpha1`` does).
"""

from __future__ import annotations

import math

from scipy import stats as _sp

from bouclier.stats.checks import check_confidence, check_power


def _z_sum(confidence: float, power: float) -> float:
    confidence = check_confidence(confidence)
    power = check_power(power)
    alpha1 = (1.0 - confidence) / 2.0
    return float(_sp.norm.ppf(1.0 - alpha1) + _sp.norm.ppf(power))


def _check_se(standard_error: float) -> float:
    se = float(standard_error)
    if not math.isfinite(se) or se < 0.0:
        raise ValueError(f"standard_error must be a finite non-negative number, found {standard_error!r}")
    return se


def minimum_detectable_effect(*, standard_error: float, confidence: float = 0.95, power: float = 0.8) -> float:
    """How far from the threshold the true value must be for the gate to decide with ``power``.

    ``mde = (z[1 - alpha1] + z[power]) * standard_error`` (2.80 standard errors at 95%
    confidence and 80% power).  A true difference closer to the threshold than this will
    often come out INCONCLUSIVE.
    """
    return _z_sum(confidence, power) * _check_se(standard_error)


def cases_needed(
    *,
    n: int,
    standard_error: float,
    distance: float,
    confidence: float = 0.95,
    power: float = 0.8,
) -> int | None:
    """Cases that would decide, with probability ``power``, if the true distance to the
    threshold were ``distance`` and the spread per case stayed as observed with ``n`` cases.

    ``n_needed = ceil(n * ((z[1 - alpha1] + z[power]) * standard_error / distance) ** 2)``
    (the standard error shrinks like 1/sqrt(n)).  ``None`` when ``distance`` is 0: an
    estimate sitting exactly on the threshold gives no direction to extrapolate.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number, found {n!r}")
    z = _z_sum(confidence, power)
    se = _check_se(standard_error)
    distance = abs(float(distance))
    if not math.isfinite(distance):
        raise ValueError(f"distance must be a finite number, found {distance!r}")
    if distance == 0.0:
        return None
    return max(n + 1, math.ceil(n * (z * se / distance) ** 2 - 1e-9))


def cases_for_effect(*, standard_deviation: float, effect: float, confidence: float = 0.95, power: float = 0.8) -> int:
    """Planning: cases needed to detect a true distance ``effect`` with per-case spread ``standard_deviation``."""
    sd = _check_se(standard_deviation)
    effect = abs(float(effect))
    if effect == 0.0 or not math.isfinite(effect):
        raise ValueError(f"effect must be a non-zero finite number, found {effect!r}")
    return max(1, math.ceil((_z_sum(confidence, power) * sd / effect) ** 2 - 1e-9))
