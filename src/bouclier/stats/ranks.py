"""Mann-Whitney test with the Hodges-Lehmann shift and its distribution-free interval.

Used for latencies (two independent samples, heavy right tails, ties from millisecond
clocks) and by the rollout analysis.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats as _sp

from bouclier.stats.checks import as_sample, check_alternative, check_confidence
from bouclier.stats.interval import Interval

HODGES_LEHMANN = "Hodges-Lehmann shift, Mann-Whitney (Moses) interval"
#: Up to this many pairwise differences they are materialised; above, found by selection.
_MATERIALISE_PAIRS = 4_000_000


class RankComparison(NamedTuple):
    statistic: float  # Mann-Whitney U of the candidate sample
    pvalue: float
    shift: float  # Hodges-Lehmann: median of candidate_j - baseline_i
    interval: Interval  # of the shift


def _count_at_most(base_sorted: np.ndarray, cand_sorted: np.ndarray, value: float) -> int:
    """Number of pairs with candidate_j - baseline_i <= value."""
    return int(np.searchsorted(cand_sorted, base_sorted + value, side="right").sum())


def _kth_difference(base_sorted: np.ndarray, cand_sorted: np.ndarray, k: int) -> float:
    """The k-th smallest (1-based) pairwise difference candidate_j - baseline_i."""
    n_pairs = base_sorted.size * cand_sorted.size
    if n_pairs <= _MATERIALISE_PAIRS:
        diffs = (cand_sorted[None, :] - base_sorted[:, None]).ravel()
        return float(np.partition(diffs, k - 1)[k - 1])
    lo = float(np.nextafter(cand_sorted[0] - base_sorted[-1], -np.inf))  # count(<= lo) = 0 < k
    hi = float(cand_sorted[-1] - base_sorted[0])
    for _ in range(200):  # bisection on the value; stops when no pair lies strictly between
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _count_at_most(base_sorted, cand_sorted, mid) >= k:
            hi = mid
        else:
            lo = mid
    # snap to the actual pairwise difference: the smallest difference >= lo reached k
    idx = np.searchsorted(cand_sorted, base_sorted + lo, side="left")
    ok = idx < cand_sorted.size
    candidates = cand_sorted[idx[ok]] - base_sorted[ok]
    candidates = candidates[candidates >= lo]
    return float(candidates.min()) if candidates.size else hi


def hodges_lehmann(*, baseline, candidate, confidence: float = 0.95) -> tuple[float, Interval]:
    """Median of all ``candidate_j - baseline_i`` and its Moses interval.

    Interval: the k-th smallest and k-th largest pairwise differences with
    ``k = floor(n1 n2 / 2 - z sqrt(n1 n2 (n1 + n2 + 1) / 12))`` (normal approximation of
    the U distribution, at least 1), i.e. the shifts that a two-sided Mann-Whitney test at
    ``1 - confidence`` would not reject.
    """
    base = np.sort(as_sample("baseline", baseline))
    cand = np.sort(as_sample("candidate", candidate))
    confidence = check_confidence(confidence)
    n1, n2 = base.size, cand.size
    n_pairs = n1 * n2
    if n_pairs % 2:
        shift = _kth_difference(base, cand, n_pairs // 2 + 1)
    else:
        shift = 0.5 * (_kth_difference(base, cand, n_pairs // 2) + _kth_difference(base, cand, n_pairs // 2 + 1))
    z = _sp.norm.ppf(0.5 + confidence / 2.0)
    k = int(np.floor(n_pairs / 2.0 - z * np.sqrt(n1 * n2 * (n1 + n2 + 1) / 12.0)))
    k = min(max(k, 1), (n_pairs + 1) // 2)
    low = _kth_difference(base, cand, k)
    high = _kth_difference(base, cand, n_pairs - k + 1)
    return shift, Interval(min(low, shift), max(high, shift), confidence, HODGES_LEHMANN)


def mann_whitney(
    *,
    baseline,
    candidate,
    alternative: str = "two-sided",
    confidence: float = 0.95,
) -> RankComparison:
    """Mann-Whitney U test of candidate against baseline, plus the Hodges-Lehmann shift.

    ``alternative``: "greater" = candidate values tend to be larger (for latency: slower),
    "less" = smaller, "two-sided" = either.  The statistic is the candidate's U and the
    p-value scipy's (exact for small samples without ties, normal with tie and continuity
    corrections otherwise).
    """
    base = as_sample("baseline", baseline)
    cand = as_sample("candidate", candidate)
    alternative = check_alternative(alternative)
    result = _sp.mannwhitneyu(cand, base, alternative=alternative, method="auto")
    shift, interval = hodges_lehmann(baseline=base, candidate=cand, confidence=confidence)
    return RankComparison(float(result.statistic), float(result.pvalue), shift, interval)
