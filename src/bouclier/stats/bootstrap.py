"""Bootstrap of a mean (of per-case differences, or of one model's scores), by case or by cluster.

Method: **BCa with a small-sample expansion**.

* Resampling unit: a case, or a whole cluster when ``clusters`` is given (e.g. the 12
  translations of one source sentence move together).  The statistic is the mean over
  cases, ``sum(unit sums) / sum(unit sizes)``.
* BCa (Efron 1987): the percentile levels are shifted by the bias-correction ``z0`` (share
  of resampled means below the estimate) and the acceleration ``a`` (skewness of the
  leave-one-unit-out jackknife), which corrects for skewed scores.
* Small-sample expansion (Hesterberg 2015, "What teachers should know about the
  bootstrap"): the nominal normal quantile ``z_alpha`` is replaced by
  ``sqrt(G / (G - 1)) * t_alpha(G - 1)`` (G = number of units).  A plain bootstrap is too
  narrow at small n (it uses the divide-by-n variance and a normal instead of a t); the
  expansion removes that, so false alarms stay at the nominal rate down to ~20 cases.
* Guard against heavy tails at small n: the result is never narrower than the classic
  t interval on the (cluster-robust) standard error -- the bounds are the outer bounds of
  the two and each p-value the larger of the two.  A/A simulations with t(4) noise showed
  the bootstrap alone giving ~3.5% false alarms per side at 25 cases instead of 2.5%; the
  t interval is robust there, the bootstrap handles skew: a decision needs both.
* Above :data:`BOOTSTRAP_MAX_UNITS` units the bootstrap is replaced by the t interval on
  the (cluster-robust) standard error: at that size the mean is normal to within the
  bootstrap's own Monte-Carlo noise, and 4000 resamples of 100k cases would take seconds.

The p-values invert the same interval (see :mod:`bouclier.stats.evidence`): ``p_above(t)``
is the level alpha at which the BCa lower bound would sit exactly on ``t``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _sp

from bouclier.stats.evidence import Evidence, HullEvidence, NormalEvidence
from bouclier.stats.interval import Interval

#: Above this many resampling units (cases or clusters) the t interval replaces the bootstrap.
BOOTSTRAP_MAX_UNITS = 5_000
#: Random draws per bootstrap chunk (bounds memory to ~16 MB whatever n is).
_CHUNK_DRAWS = 2_000_000


def resample_means(unit_sums: np.ndarray, unit_sizes: np.ndarray, *, seed: int, n_resamples: int) -> np.ndarray:
    """``n_resamples`` bootstrap means, resampling units with replacement; deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    g = unit_sums.size
    equal_sizes = bool(np.all(unit_sizes == unit_sizes[0]))
    out = np.empty(n_resamples)
    chunk = max(1, _CHUNK_DRAWS // g)
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, g, size=(stop - start, g), dtype=np.int32)
        if equal_sizes:
            out[start:stop] = unit_sums[idx].sum(axis=1) / (g * unit_sizes[0])
        else:
            out[start:stop] = unit_sums[idx].sum(axis=1) / unit_sizes[idx].sum(axis=1)
    return out


class BootstrapMeanEvidence:
    """BCa bootstrap (with small-sample expansion) of a mean over resampling units."""

    def __init__(
        self,
        *,
        unit_sums: np.ndarray,
        unit_sizes: np.ndarray,
        n: int,
        seed: int,
        n_resamples: int,
        method: str,
    ):
        g = unit_sums.size
        total, size = float(unit_sums.sum()), float(unit_sizes.sum())
        self.estimate = total / size
        self.n = n
        self.units = g
        self.method = method
        replicates = resample_means(unit_sums, unit_sizes, seed=seed, n_resamples=n_resamples)
        self._sorted = np.sort(replicates)
        b = replicates.size
        below = np.count_nonzero(replicates < self.estimate) + 0.5 * np.count_nonzero(replicates == self.estimate)
        self._z0 = float(_sp.norm.ppf(np.clip(below / b, 0.5 / b, 1.0 - 0.5 / b)))
        jack = (total - unit_sums) / (size - unit_sizes)
        u = jack.mean() - jack
        ss = float(np.sum(u * u))
        self._a = float(np.sum(u**3) / (6.0 * ss**1.5)) if ss > 0.0 else 0.0
        self._df = g - 1
        self._scale = float(np.sqrt(g / (g - 1)))

    # --- level <-> alpha mapping ------------------------------------------------------
    def _z_alpha(self, alpha: float) -> float:
        """Expanded normal quantile for a one-sided tail ``alpha`` (negative for alpha < 0.5)."""
        return self._scale * float(_sp.t.ppf(alpha, self._df))

    def _level(self, z: float) -> float:
        """BCa percentile level for the (expanded) quantile z."""
        w = self._z0 + z
        denominator = 1.0 - self._a * w
        if denominator <= 0.0:
            return 1.0 if z > 0 else 0.0
        return float(_sp.norm.cdf(self._z0 + w / denominator))

    def _z_of_level(self, level: float) -> float:
        """Inverse of :meth:`_level`: the z whose BCa level is ``level``."""
        zp = float(_sp.norm.ppf(level))
        d = zp - self._z0
        denominator = 1.0 + self._a * d
        if denominator <= 0.0:
            return -np.inf if d < 0 else np.inf
        return d / denominator - self._z0

    def _alpha_of_z(self, z: float) -> float:
        return float(_sp.t.cdf(z / self._scale, self._df))

    # --- quantiles of the bootstrap distribution --------------------------------------
    def _low_quantile(self, level: float) -> float:
        """Smallest replicate x with share(replicates <= x) >= level."""
        b = self._sorted.size
        k = int(np.ceil(level * b - 1e-9)) - 1
        return float(self._sorted[min(max(k, 0), b - 1)])

    def _high_quantile(self, level: float) -> float:
        """Largest replicate x with share(replicates >= x) >= 1 - level."""
        b = self._sorted.size
        k = int(np.floor(level * b + 1e-9))
        return float(self._sorted[min(max(k, 0), b - 1)])

    # --- Evidence ---------------------------------------------------------------------
    def interval(self, confidence: float) -> Interval:
        alpha = (1.0 - confidence) / 2.0
        z = self._z_alpha(alpha)
        low = self._low_quantile(self._level(z))
        high = self._high_quantile(self._level(-z))
        return Interval(min(low, self.estimate), max(high, self.estimate), confidence, self.method)

    def p_above(self, threshold: float) -> float:
        """p-value of H0 "mean <= threshold": the alpha whose lower bound sits on threshold."""
        b = self._sorted.size
        share = np.searchsorted(self._sorted, threshold, side="right") / b
        share = float(np.clip(share, 0.5 / b, 1.0 - 0.5 / b))
        return self._alpha_of_z(self._z_of_level(share))

    def p_below(self, threshold: float) -> float:
        """p-value of H0 "mean >= threshold": the alpha whose upper bound sits on threshold."""
        b = self._sorted.size
        share = (b - np.searchsorted(self._sorted, threshold, side="left")) / b
        share = float(np.clip(share, 0.5 / b, 1.0 - 0.5 / b))
        return self._alpha_of_z(-self._z_of_level(1.0 - share))


def mean_evidence(
    *,
    values: np.ndarray,
    clusters: np.ndarray | None,
    seed: int,
    n_resamples: int,
    what: str,
) -> Evidence:
    """Evidence about ``mean(values)``: case or cluster bootstrap, t interval for large samples.

    ``clusters`` are integer codes 0..G-1 (see :func:`bouclier.stats.checks.as_groups`).
    """
    n = values.size
    if clusters is None:
        unit_sums, unit_sizes = values, np.ones(n)
        unit = "cases"
    else:
        unit_sizes = np.bincount(clusters).astype(float)
        unit_sums = np.bincount(clusters, weights=values)
        unit = "clusters"
    g = unit_sums.size
    if g < 2:
        raise ValueError(f"a bootstrap of {what} needs at least 2 {unit}, found {g}")
    estimate = float(unit_sums.sum() / unit_sizes.sum())
    resid = unit_sums - estimate * unit_sizes
    se = float(np.sqrt(g / (g - 1) * np.sum(resid * resid)) / unit_sizes.sum())
    robust = "cluster-robust " if clusters is not None else ""
    if g > BOOTSTRAP_MAX_UNITS:
        method = (f"t interval on the {robust}standard error "
                  f"({g} {unit} > {BOOTSTRAP_MAX_UNITS}: normal approximation of the bootstrap)")
        return NormalEvidence(estimate=estimate, standard_error=se, df=g - 1, n=n, method=method)
    method = (f"{'cluster ' if clusters is not None else ''}BCa bootstrap of {what} "
              f"({n_resamples} resamples of {g} {unit}, small-sample expansion)")
    boot = BootstrapMeanEvidence(
        unit_sums=np.asarray(unit_sums, dtype=float),
        unit_sizes=np.asarray(unit_sizes, dtype=float),
        n=n,
        seed=seed,
        n_resamples=n_resamples,
        method=method,
    )
    t_interval = NormalEvidence(estimate=estimate, standard_error=se, df=g - 1, n=n,
                                method=f"t interval on the {robust}standard error")
    return HullEvidence(boot, t_interval, method=f"{method}, never narrower than the t interval")
