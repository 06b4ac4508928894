"""Comparisons across groups of cases (languages): the ratio of the worst group to the
best, and the difference between two independent groups.

Same semantics as :mod:`bouclier.stats.comparison`: every result carries ``p_pass`` and
``p_fail`` so that the gate Holm-adjusts them with its other criteria.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bouclier.stats.checks import (as_sample, check_confidence, check_power, check_resamples, check_seed,
                                   check_threshold, resolve_binary)
from bouclier.stats.comparison import Comparison, judge_evidence
from bouclier.stats.evidence import NormalEvidence, ScoreFamilyEvidence
from bouclier.stats.proportions import newcombe_independent_bounds
from bouclier.stats.quantiles import PercentileEvidence


@dataclass(frozen=True)
class GroupRatioComparison(Comparison):
    """``estimate = min_g mean_g / max_g mean_g`` (worst group over best group)."""

    worst: str = ""
    best: str = ""
    group_means: tuple[tuple[str, float, int], ...] = ()  # (group, mean, n)


@dataclass(frozen=True)
class GroupDifferenceComparison(Comparison):
    """``estimate = mean(b) - mean(a)`` for two independent samples."""


def _group_index(groups: Sequence) -> tuple[np.ndarray, list[str]]:
    labels = [str(g) for g in groups]
    names = sorted(set(labels))
    index = {g: i for i, g in enumerate(names)}
    return np.array([index[g] for g in labels], dtype=np.int64), names


def compare_group_ratio(
    *,
    values: Sequence[float] | np.ndarray,
    groups: Sequence,
    threshold: float,
    clusters: Sequence | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = 4000,
    power: float = 0.8,
) -> GroupRatioComparison:
    """Judge worst-group / best-group of one model's scores against ``threshold`` (higher is
    better; four-fifths convention: 0.80). Basic bootstrap: cases are resampled within
    each group (stratified) or, with ``clusters`` (parallel sets of translations), whole
    clusters are resampled so that the languages of a set stay together."""
    x = as_sample("values", values)
    if len(groups) != x.size:
        raise ValueError(f"groups has {len(groups)} labels for {x.size} values")
    if np.any(x < 0):
        raise ValueError("a ratio of group means needs non-negative scores")
    threshold = check_threshold(threshold)
    confidence = check_confidence(confidence)
    power = check_power(power)
    seed = check_seed(seed)
    n_resamples = check_resamples(n_resamples)
    codes, names = _group_index(groups)
    if len(names) < 2:
        raise ValueError(f"a parity ratio needs at least 2 groups, found {len(names)}")
    g = len(names)
    counts = np.bincount(codes, minlength=g).astype(float)
    means = np.bincount(codes, weights=x, minlength=g) / counts
    if means.max() <= 0:
        raise ValueError("every group scores 0: the ratio is undefined")
    rng = np.random.default_rng(seed)
    if clusters is not None:
        if len(clusters) != x.size:
            raise ValueError(f"clusters has {len(clusters)} labels for {x.size} values")
        ccodes, cnames = _group_index(clusters)
        c = len(cnames)
        sums = np.zeros((c, g))
        sizes = np.zeros((c, g))
        np.add.at(sums, (ccodes, codes), x)
        np.add.at(sizes, (ccodes, codes), 1.0)
        weights = rng.multinomial(c, np.full(c, 1.0 / c), size=n_resamples).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rep = (weights @ sums) / (weights @ sizes)
        method = "cluster bootstrap (parallel sets) of the worst/best group ratio"
    else:
        rep = np.empty((n_resamples, g))
        for k in range(g):
            members = x[codes == k]
            idx = rng.integers(0, members.size, size=(n_resamples, members.size))
            rep[:, k] = members[idx].mean(axis=1)
        method = "stratified bootstrap of the worst/best group ratio"
    with np.errstate(invalid="ignore", divide="ignore"):
        best = np.nanmax(rep, axis=1)
        ratios = np.where(best > 0, np.nanmin(rep, axis=1) / best, np.nan)
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size < n_resamples // 2:
        raise ValueError("too few resamples with a defined ratio (groups too small)")
    estimate = float(means.min() / means.max())
    # The min/max of noisy group means is biased low (more so with more groups): the basic
    # (reflected) bootstrap, 2*estimate - replicate, corrects that bias to first order.
    reflected = np.clip(2.0 * estimate - ratios, 0.0, None)
    evidence = PercentileEvidence(estimate=estimate, replicates=reflected, n=int(x.size),
                                  method=method.replace("bootstrap", "basic bootstrap"))
    fields = judge_evidence(evidence, threshold=threshold, higher_is_better=True, confidence=confidence,
                    power=power, n=int(x.size))
    order = np.argsort(means, kind="stable")
    return GroupRatioComparison(
        **fields, binary=resolve_binary(None, x), worst=names[order[0]], best=names[order[-1]],
        group_means=tuple((names[k], float(means[k]), int(counts[k])) for k in range(g)))


def compare_independent_difference(
    *,
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    threshold: float,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    binary: bool | None = None,
    power: float = 0.8,
) -> GroupDifferenceComparison:
    """Judge ``mean(b) - mean(a)`` for two independent samples (e.g. a language vs the
    reference language, on different cases). 0/1 scores: Newcombe's hybrid score interval
    (honest with 0 or n successes); continuous: Welch's t."""
    xa, xb = as_sample("a", a), as_sample("b", b)
    threshold = check_threshold(threshold)
    confidence = check_confidence(confidence)
    power = check_power(power)
    is_binary = resolve_binary(binary, xa, xb)
    na, nb = xa.size, xb.size
    if is_binary:
        sa, sb = float(xa.sum()), float(xb.sum())
        evidence = ScoreFamilyEvidence(estimate=sb / nb - sa / na,
                                       bounds=lambda z: newcombe_independent_bounds(sa, na, sb, nb, z),
                                       n=na + nb, method="Newcombe hybrid score interval (independent)")
    else:
        if na < 2 or nb < 2:
            raise ValueError("each sample needs at least 2 values")
        va, vb = xa.var(ddof=1) / na, xb.var(ddof=1) / nb
        se = float(np.sqrt(va + vb))
        df = (va + vb) ** 2 / ((va ** 2 / (na - 1)) + (vb ** 2 / (nb - 1))) if se > 0 else float(na + nb - 2)
        evidence = NormalEvidence(estimate=float(xb.mean() - xa.mean()), standard_error=se, df=df,
                                  n=na + nb, method="Welch t interval")
    fields = judge_evidence(evidence, threshold=threshold, higher_is_better=higher_is_better,
                    confidence=confidence, power=power, n=na + nb)
    return GroupDifferenceComparison(**fields, binary=is_binary)
