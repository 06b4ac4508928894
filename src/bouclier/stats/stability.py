"""The unpredictability index of a model: how often two repeated samples of the same case
disagree, averaged over cases, with its interval.

Per case ``i`` with ``k`` samples, ``u_i`` is the share of the ``k(k-1)/2`` sample pairs
that disagree (0 = every sample agrees, 1 = all differ). The index is ``mean(u_i)``.

Interval: the hull of a seeded percentile bootstrap over cases and a Wilson score
interval on ``sum(u_i)`` "successes" out of ``n`` cases. The Wilson bound matters when
every case agrees: the bootstrap would then give [0, 0], claiming a certainty 20 cases
cannot give (a variable in [0, 1] with mean p has variance at most p(1-p), so the Wilson
bound is the conservative one for fractional successes too).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np
from scipy import stats as _sp

from bouclier.stats.checks import check_confidence, check_resamples, check_seed
from bouclier.stats.interval import Interval
from bouclier.stats.proportions import wilson_bounds

METHOD = "hull of a percentile bootstrap over cases and a Wilson score interval"


@dataclass(frozen=True)
class UnpredictabilityIndex:
    estimate: float
    interval: Interval
    n: int
    unstable: int  # cases with u_i > 0


def pairwise_disagreement(*, agree: Sequence[Sequence[bool]], repeats: int) -> float:
    """``u`` of one case from the agreement of its sample pairs, given in
    ``itertools.combinations(range(repeats), 2)`` order."""
    pairs = repeats * (repeats - 1) // 2
    flat = list(agree)
    if len(flat) != pairs:
        raise ValueError(f"expected {pairs} pair agreements for {repeats} samples, found {len(flat)}")
    return float(sum(not a for a in flat)) / pairs if pairs else 0.0


def sample_pairs(repeats: int) -> list[tuple[int, int]]:
    """The sample pairs of one case, in the order :func:`pairwise_disagreement` expects."""
    return list(combinations(range(repeats), 2))


def unpredictability_index(*, per_case: Sequence[float] | np.ndarray, confidence: float = 0.95,
                           seed: int = 0, n_resamples: int = 2000) -> UnpredictabilityIndex:
    """Mean of the per-case disagreement shares ``u_i`` (each in [0, 1]) with its interval."""
    confidence = check_confidence(confidence)
    seed = check_seed(seed)
    n_resamples = check_resamples(n_resamples)
    u = np.asarray(per_case, dtype=float)
    if u.ndim != 1 or u.size == 0:
        raise ValueError("per_case: expected a non-empty 1-D sequence of disagreement shares")
    if np.any(np.isnan(u)) or np.any((u < 0) | (u > 1)):
        raise ValueError("per_case: every value must be a share in [0, 1]")
    n = u.size
    estimate = float(u.mean())
    alpha = 1.0 - confidence
    rng = np.random.default_rng(seed)
    means = u[rng.integers(0, n, size=(n_resamples, n))].mean(axis=1)
    boot_low, boot_high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    z = _sp.norm.ppf(1 - alpha / 2)
    w_low, w_high = wilson_bounds(u.sum(), n, z)
    low = float(min(boot_low, w_low, estimate))
    high = float(max(boot_high, w_high, estimate))
    return UnpredictabilityIndex(estimate, Interval(max(low, 0.0), min(high, 1.0), confidence, METHOD), n,
                                 int(np.count_nonzero(u > 0)))
