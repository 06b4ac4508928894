"""Criteria on a difference between two models (paired) or on one model's mean (threshold).

Semantics shared by :class:`PairedComparison` and :class:`ThresholdComparison`
(``alpha1 = (1 - confidence) / 2``):

* ``p_pass``: one-sided p-value of H0 "criterion violated".  Small means evidence that the
  criterion holds.  PASS iff ``p_pass < alpha1``, which is the same as the two-sided
  interval at ``confidence`` lying entirely on the good side of the threshold.
* ``p_fail``: one-sided p-value of H0 "criterion holds".  Small means evidence of a
  violation.  The gate Holm-adjusts the ``p_fail`` of all criteria and FAILs a criterion
  iff its adjusted ``p_fail < alpha1``; unadjusted, that is the interval lying entirely on
  the bad side of the threshold.
* Otherwise INCONCLUSIVE; ``n_needed`` estimates how many cases would decide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as _sp

from bouclier.stats.bootstrap import mean_evidence
from bouclier.stats.checks import (
    as_groups,
    as_sample,
    check_confidence,
    check_power,
    check_resamples,
    check_same_length,
    check_seed,
    check_threshold,
    resolve_binary,
)
from bouclier.stats.evidence import Evidence, HullEvidence
from bouclier.stats.interval import Interval
from bouclier.stats.multiplicity import holm
from bouclier.stats.paired_proportions import NEWCOMBE_PAIRED, NewcombePairedEvidence, paired_table
from bouclier.stats.power import cases_needed, minimum_detectable_effect
from bouclier.stats.proportions import WilsonEvidence
from bouclier.stats.quantiles import quantile_ratio_evidence

Outcome = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class Comparison:
    """Fields and decision helpers shared by every criterion's result (see module doc)."""

    estimate: float
    interval: Interval
    n: int
    threshold: float
    higher_is_better: bool
    confidence: float
    p_pass: float
    p_fail: float
    standard_error: float
    mde: float
    n_needed: int | None
    n_needed_note: str
    power: float
    method: str
    binary: bool

    @property
    def alpha(self) -> float:
        """One-sided level ``(1 - confidence) / 2`` that p_pass and p_fail are compared with."""
        return (1.0 - self.confidence) / 2.0

    @property
    def passes(self) -> bool:
        return self.p_pass < self.alpha

    @property
    def fails(self) -> bool:
        """Unadjusted: the gate Holm-adjusts p_fail across criteria before deciding."""
        return self.p_fail < self.alpha

    def outcome(self, *, p_fail_adjusted: float | None = None) -> Outcome:
        """PASS / FAIL / INCONCLUSIVE, with the Holm-adjusted p_fail when given."""
        p_fail = self.p_fail if p_fail_adjusted is None else p_fail_adjusted
        if self.p_pass < self.alpha:
            return "pass"
        if p_fail < self.alpha:
            return "fail"
        return "inconclusive"


@dataclass(frozen=True)
class PairedComparison(Comparison):
    """``estimate = mean(candidate) - mean(baseline)`` over the same cases, judged against ``threshold``.

    The criterion holds iff ``estimate >= threshold`` (higher is better) or
    ``estimate <= threshold`` (lower is better).  ``discordant`` is ``(b, c)`` for 0/1
    scores: b = baseline right & candidate wrong, c = the reverse.
    """

    baseline_mean: float = math.nan
    candidate_mean: float = math.nan
    n_clusters: int | None = None
    discordant: tuple[int, int] | None = None


@dataclass(frozen=True)
class ThresholdComparison(Comparison):
    """``estimate = mean(values)`` of one model, judged against an absolute ``threshold``."""

    successes: int | None = None


@dataclass(frozen=True)
class QuantileRatioComparison(Comparison):
    """``estimate = quantile(candidate, q) / quantile(baseline, q)``, judged against ``threshold``.

    "p95 latency may grow by at most 10%" is ``threshold=1.10, higher_is_better=False``.
    ``n`` counts the observations of both arms; so does ``n_needed``.
    """

    q: float = math.nan
    n_blocks: int | None = None


def judge_evidence(
    evidence: Evidence,
    *,
    threshold: float,
    higher_is_better: bool,
    confidence: float,
    power: float,
    n: int,
) -> dict:
    """The fields every comparison shares, from one Evidence."""
    interval = evidence.interval(confidence)
    if higher_is_better:
        p_pass, p_fail = evidence.p_above(threshold), evidence.p_below(threshold)
    else:
        p_pass, p_fail = evidence.p_below(threshold), evidence.p_above(threshold)
    z = float(_sp.norm.ppf(0.5 + confidence / 2.0))
    standard_error = interval.width / (2.0 * z)
    mde = minimum_detectable_effect(standard_error=standard_error, confidence=confidence, power=power)
    alpha = (1.0 - confidence) / 2.0
    distance = evidence.estimate - threshold
    if p_pass < alpha or p_fail < alpha:
        n_needed, note = None, "already decided"
    elif distance == 0.0:
        n_needed, note = None, "cannot estimate: the estimate sits exactly on the threshold"
    else:
        n_needed = cases_needed(n=n, standard_error=standard_error, distance=distance, confidence=confidence, power=power)
        side = "pass" if (distance > 0) == higher_is_better else "fail"
        note = f"about {n_needed} cases would {side} with {power:.0%} probability if the difference stays at {evidence.estimate:.4g}"
    return dict(
        estimate=float(evidence.estimate),
        interval=interval,
        n=n,
        threshold=threshold,
        higher_is_better=bool(higher_is_better),
        confidence=confidence,
        p_pass=float(p_pass),
        p_fail=float(p_fail),
        standard_error=float(standard_error),
        mde=float(mde),
        n_needed=n_needed,
        n_needed_note=note,
        power=power,
        method=evidence.method,
    )


def _paired_evidence(
    *,
    baseline,
    candidate,
    confidence,
    seed,
    n_resamples,
    binary,
    clusters,
) -> tuple[Evidence, dict]:
    confidence = check_confidence(confidence)
    seed = check_seed(seed)
    n_resamples = check_resamples(n_resamples)
    base = as_sample("baseline", baseline)
    cand = as_sample("candidate", candidate)
    check_same_length(("baseline", "candidate"), (base, cand))
    is_binary = resolve_binary(binary, base, cand)
    codes = None if clusters is None else as_groups("clusters", clusters, size=base.size)
    extra: dict = dict(
        baseline_mean=float(base.mean()),
        candidate_mean=float(cand.mean()),
        n_clusters=None if codes is None else int(codes.max()) + 1,
        binary=is_binary,
        discordant=None,
    )
    if is_binary:
        a, b, c, d = paired_table(base, cand)
        extra["discordant"] = (b, c)
        newcombe = NewcombePairedEvidence(a=a, b=b, c=c, d=d)
        if codes is None:
            return newcombe, extra
        boot = mean_evidence(values=cand - base, clusters=codes, seed=seed, n_resamples=n_resamples, what="the paired difference")
        method = f"{boot.method}, never narrower than the {NEWCOMBE_PAIRED}"
        return HullEvidence(boot, newcombe, method=method), extra
    if base.size < 2:
        raise ValueError("continuous scores need at least 2 cases for an interval, found 1")
    evidence = mean_evidence(values=cand - base, clusters=codes, seed=seed, n_resamples=n_resamples, what="the paired difference")
    return evidence, extra


def paired_difference_interval(
    *,
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = 4000,
    binary: bool | None = None,
    clusters: Sequence | np.ndarray | None = None,
) -> tuple[float, Interval]:
    """``mean(candidate - baseline)`` on the same cases and its two-sided interval.

    0/1 scores (``binary=None`` detects them): Newcombe's paired interval, which stays
    honest when no discordant pair is seen.  Continuous scores: BCa paired bootstrap with
    a small-sample expansion (t interval above 5,000 cases).  ``clusters``: whole clusters
    are resampled; for 0/1 scores the result is never narrower than Newcombe's interval.
    """
    evidence, _ = _paired_evidence(
        baseline=baseline, candidate=candidate, confidence=confidence, seed=seed,
        n_resamples=n_resamples, binary=binary, clusters=clusters,
    )
    confidence = float(confidence)
    return float(evidence.estimate), evidence.interval(confidence)


def compare_paired(
    *,
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    threshold: float,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = 4000,
    binary: bool | None = None,
    clusters: Sequence | np.ndarray | None = None,
    power: float = 0.8,
) -> PairedComparison:
    """Judge ``d = mean(candidate) - mean(baseline)`` against ``threshold`` (see module doc).

    A non-inferiority margin of 0.02 on accuracy is ``threshold=-0.02`` (higher is better);
    "latency may grow by at most 5 ms" is ``threshold=5, higher_is_better=False``.
    """
    threshold = check_threshold(threshold)
    power = check_power(power)
    evidence, extra = _paired_evidence(
        baseline=baseline, candidate=candidate, confidence=confidence, seed=seed,
        n_resamples=n_resamples, binary=binary, clusters=clusters,
    )
    fields = judge_evidence(evidence, threshold=threshold, higher_is_better=higher_is_better,
                    confidence=float(confidence), power=power, n=evidence.n)
    return PairedComparison(**fields, **extra)


def compare_threshold(
    *,
    values: Sequence[float] | np.ndarray,
    threshold: float,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = 4000,
    binary: bool | None = None,
    power: float = 0.8,
) -> ThresholdComparison:
    """Judge one model's ``mean(values)`` against an absolute ``threshold``.

    0/1 values: Wilson score interval and its score test (defined even with 0 events, so
    "attack success rate below 5%" is testable).  Continuous values: the same BCa bootstrap
    as :func:`compare_paired` (t interval above 5,000 cases).
    """
    threshold = check_threshold(threshold)
    power = check_power(power)
    confidence = check_confidence(confidence)
    seed = check_seed(seed)
    n_resamples = check_resamples(n_resamples)
    sample = as_sample("values", values)
    is_binary = resolve_binary(binary, sample)
    successes = None
    if is_binary:
        successes = int(np.count_nonzero(sample))
        evidence: Evidence = WilsonEvidence(successes=successes, n=sample.size)
    else:
        if sample.size < 2:
            raise ValueError("continuous values need at least 2 cases for an interval, found 1")
        evidence = mean_evidence(values=sample, clusters=None, seed=seed, n_resamples=n_resamples, what="the mean")
    fields = judge_evidence(evidence, threshold=threshold, higher_is_better=higher_is_better,
                    confidence=confidence, power=power, n=sample.size)
    return ThresholdComparison(**fields, binary=is_binary, successes=successes)


def compare_quantile_ratio(
    *,
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    q: float,
    threshold: float,
    higher_is_better: bool = False,
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = 4000,
    blocks=None,
    power: float = 0.8,
) -> QuantileRatioComparison:
    """Judge the ratio of q-quantiles (candidate / baseline) against ``threshold``.

    Percentile bootstrap (by block with ``blocks``, see
    :func:`bouclier.stats.bootstrap_quantile_ratio`); ``p_pass`` and ``p_fail`` are shares of
    resampled ratios beyond the threshold, which invert the percentile interval exactly.
    """
    threshold = check_threshold(threshold)
    power = check_power(power)
    confidence = check_confidence(confidence)
    evidence = quantile_ratio_evidence(
        baseline=baseline, candidate=candidate, q=q, seed=seed, n_resamples=n_resamples, blocks=blocks
    )
    fields = judge_evidence(evidence, threshold=threshold, higher_is_better=higher_is_better,
                    confidence=confidence, power=power, n=evidence.n)
    n_blocks = None
    if blocks is not None:
        ids = np.concatenate([np.asarray(b) for b in blocks]) if isinstance(blocks, tuple) else np.asarray(blocks)
        n_blocks = int(np.unique(ids).size)
    return QuantileRatioComparison(**fields, binary=False, q=float(q), n_blocks=n_blocks)


def family_outcomes(*, comparisons: Sequence[Comparison]) -> list[Outcome]:
    """The decision rule over a family of criteria: Holm-adjust every ``p_fail``, then
    PASS iff ``p_pass < alpha1``, FAIL iff adjusted ``p_fail < alpha1``, else INCONCLUSIVE.

    All comparisons must share one confidence level (one alpha for the family).
    """
    levels = {c.confidence for c in comparisons}
    if len(levels) > 1:
        raise ValueError(f"comparisons use different confidence levels {sorted(levels)}; use one level per gate")
    adjusted = holm([c.p_fail for c in comparisons])
    return [c.outcome(p_fail_adjusted=p) for c, p in zip(comparisons, adjusted)]
