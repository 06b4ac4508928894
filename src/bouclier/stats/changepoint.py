"""Change points in a series of measurements (a quality, a latency, a cost over time).

Binary segmentation with a permutation test. On a segment of ``n`` values the statistic
is the largest standardised CUSUM

    T = max_k |S_k - (k/n) S_n| / sqrt(k (n - k) / n),   min_segment <= k <= n - min_segment,

(the two-sample mean difference at the best split, scaled by its size); its p-value is
the share of ``n_permutations`` seeded shuffles of the segment whose ``T`` reaches the
observed one (``(1 + hits) / (1 + n_permutations)``). Under "no change" the values are
exchangeable, so a flat series shows a break with probability ``alpha`` at most. A
significant split is kept and both sides are searched again (each at ``alpha``), up to
``max_breaks``. The test assumes exchangeable noise: strongly autocorrelated series
(drifts rather than breaks) will also be flagged, which is usually what a watcher wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bouclier.stats.checks import check_seed


@dataclass(frozen=True)
class ChangePoint:
    index: int  # first position of the new regime
    p_value: float
    before_mean: float
    after_mean: float

    @property
    def shift(self) -> float:
        return self.after_mean - self.before_mean


def _statistic(x: np.ndarray, min_segment: int) -> tuple[np.ndarray, np.ndarray]:
    """Max standardised CUSUM (and its split) of each row of ``x`` (shape (m, n))."""
    n = x.shape[1]
    k = np.arange(min_segment, n - min_segment + 1)
    s = np.cumsum(x, axis=1)
    total = s[:, -1:]
    cusum = np.abs(s[:, k - 1] - (k / n) * total) / np.sqrt(k * (n - k) / n)
    best = np.argmax(cusum, axis=1)
    return cusum[np.arange(x.shape[0]), best], k[best]


def detect_change_points(*, values: Sequence[float] | np.ndarray, alpha: float = 0.05, seed: int = 0,
                         n_permutations: int = 999, min_segment: int = 2,
                         max_breaks: int = 5) -> list[ChangePoint]:
    """Change points of ``values`` (in order), sorted by position. Pure and seeded."""
    seed = check_seed(seed)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), found {alpha}")
    if n_permutations < 19:
        raise ValueError(f"n_permutations must be at least 19, found {n_permutations}")
    if min_segment < 1:
        raise ValueError(f"min_segment must be at least 1, found {min_segment}")
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError("values: expected a 1-D sequence")
    if np.any(~np.isfinite(x)):
        raise ValueError("values: every value must be a finite number")
    found: list[ChangePoint] = []
    todo = [(0, x.size)]
    while todo and len(found) < max_breaks:
        start, stop = todo.pop(0)
        seg = x[start:stop]
        if seg.size < 2 * min_segment or np.ptp(seg) == 0:
            continue
        observed, split = _statistic(seg[None, :], min_segment)
        rng = np.random.default_rng([seed, start, stop])
        perms = rng.permuted(np.broadcast_to(seg, (n_permutations, seg.size)), axis=1)
        null, _ = _statistic(perms, min_segment)
        hits = int(np.count_nonzero(null >= observed[0] - 1e-12 * max(1.0, abs(observed[0]))))
        p = (1 + hits) / (1 + n_permutations)
        if p >= alpha:
            continue
        k = int(split[0])
        found.append(ChangePoint(start + k, p, float(seg[:k].mean()), float(seg[k:].mean())))
        todo += [(start, start + k), (start + k, stop)]
    return sorted(found, key=lambda c: c.index)
