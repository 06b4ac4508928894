"""Holm's step-down adjustment: many criteria, one family-wise false-FAIL rate."""

from __future__ import annotations

import math
from collections.abc import Sequence


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm (1979) adjusted p-values, in the input order.

    Sorted ascending, the i-th smallest (0-based) becomes ``(m - i) * p``, made monotone
    non-decreasing and capped at 1.  Rejecting every adjusted p-value below alpha keeps
    the probability of any false rejection at or below alpha, whatever the dependence
    between the tests.
    """
    values = []
    for i, p in enumerate(pvalues):
        try:
            p = float(p)
        except (TypeError, ValueError):
            raise ValueError(f"pvalues[{i}] must be a number in [0, 1], found {p!r}") from None
        if math.isnan(p) or not 0.0 <= p <= 1.0:
            raise ValueError(f"pvalues[{i}] must be a number in [0, 1], found {p!r}")
        values.append(p)
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[i]))
        adjusted[i] = running
    return adjusted
