"""Paired 0/1 outcomes (both models on the same cases): McNemar and Newcombe's interval.

Counts of the paired 2x2 table, always in this orientation:

==========================  =====================  =====================
                            candidate right        candidate wrong
==========================  =====================  =====================
baseline right              ``a`` (both right)     ``b``
baseline wrong              ``c``                  ``d`` (both wrong)
==========================  =====================  =====================

``b`` = baseline right and candidate wrong (a regression), ``c`` = baseline wrong and
candidate right (an improvement).  The accuracy difference candidate - baseline is
``(c - b) / n``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _sp

from bouclier.stats.checks import check_alternative, check_confidence, check_count
from bouclier.stats.evidence import ScoreFamilyEvidence, invert_score_family
from bouclier.stats.interval import Interval
from bouclier.stats.proportions import wilson_bounds

NEWCOMBE_PAIRED = "Newcombe hybrid score interval for paired proportions (method 10)"


def mcnemar_exact(*, b: int, c: int, alternative: str = "two-sided") -> float:
    """Exact McNemar test: under H0 the ``b + c`` discordant pairs split 50/50.

    ``b`` = baseline right & candidate wrong, ``c`` = baseline wrong & candidate right.
    ``alternative``: "greater" = the candidate is more accurate (c > b), "less" = the
    candidate is less accurate (b > c), "two-sided" = either (twice the smaller tail,
    capped at 1; equal to statsmodels' ``mcnemar(exact=True)``).  No discordant pair
    gives 1.0.
    """
    b = check_count("b", b)
    c = check_count("c", c)
    alternative = check_alternative(alternative)
    m = b + c
    if m == 0:
        return 1.0
    p_c_tail = float(_sp.binom.sf(c - 1, m, 0.5))  # P(X >= c)
    p_b_tail = float(_sp.binom.sf(b - 1, m, 0.5))  # P(X >= b)
    if alternative == "greater":
        return p_c_tail
    if alternative == "less":
        return p_b_tail
    return min(1.0, 2.0 * min(p_c_tail, p_b_tail))


def newcombe_paired_bounds(a, b, c, d, z):
    """Newcombe (1998, method 10) bounds for ``(c - b) / n``, elementwise over tables and z.

    Wilson intervals of the two marginal rates are combined by "square and add" with a
    correction for their correlation ``phi`` (``phi`` shrunk towards 0 by n/2 when positive,
    0 when a margin is empty).
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    n = a + b + c + d
    p1 = (a + c) / n  # candidate
    p2 = (a + b) / n  # baseline
    l1, u1 = wilson_bounds(a + c, n, z)
    l2, u2 = wilson_bounds(a + b, n, z)
    margins = (a + c) * (b + d) * (a + b) * (c + d)
    cross = a * d - b * c
    shrunk = np.where(cross > n / 2.0, cross - n / 2.0, np.where(cross < 0.0, cross, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(margins > 0, shrunk / np.sqrt(np.where(margins > 0, margins, 1.0)), 0.0)
    theta = p1 - p2
    dl1, du1, dl2, du2 = p1 - l1, u1 - p1, p2 - l2, u2 - p2
    low = theta - np.sqrt(np.maximum(dl1**2 - 2.0 * phi * dl1 * du2 + du2**2, 0.0))
    high = theta + np.sqrt(np.maximum(dl2**2 - 2.0 * phi * dl2 * du1 + du1**2, 0.0))
    return np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def _check_table(a, b, c, d) -> tuple[int, int, int, int]:
    counts = tuple(check_count(name, v) for name, v in zip("abcd", (a, b, c, d)))
    if sum(counts) == 0:
        raise ValueError("the paired table is empty (a + b + c + d = 0): at least one case is needed")
    return counts  # type: ignore[return-value]


def newcombe_paired_interval(*, a: int, b: int, c: int, d: int, confidence: float = 0.95) -> Interval:
    """Newcombe's interval for candidate - baseline accuracy from a paired table (see module doc)."""
    a, b, c, d = _check_table(a, b, c, d)
    confidence = check_confidence(confidence)
    return NewcombePairedEvidence(a=a, b=b, c=c, d=d).interval(confidence)


def newcombe_paired_pvalues(a, b, c, d, threshold):
    """Vectorised ``(p_above, p_below)`` of the Newcombe interval family against ``threshold``."""
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    estimate = (c - b) / (a + b + c + d)
    return invert_score_family(lambda z: newcombe_paired_bounds(a, b, c, d, z), estimate, threshold)


class NewcombePairedEvidence(ScoreFamilyEvidence):
    def __init__(self, *, a: int, b: int, c: int, d: int):
        self.table = (a, b, c, d)
        n = a + b + c + d
        super().__init__(
            estimate=(c - b) / n,
            bounds=lambda z: newcombe_paired_bounds(a, b, c, d, z),
            n=n,
            method=NEWCOMBE_PAIRED,
        )


def paired_table(baseline: np.ndarray, candidate: np.ndarray) -> tuple[int, int, int, int]:
    """Counts (a, b, c, d) of two aligned 0/1 score arrays."""
    base = baseline.astype(bool)
    cand = candidate.astype(bool)
    a = int(np.count_nonzero(base & cand))
    b = int(np.count_nonzero(base & ~cand))
    c = int(np.count_nonzero(~base & cand))
    d = int(base.size - a - b - c)
    return a, b, c, d
