"""Criteria -> comparisons -> verdicts.

The rule, for every criterion (see docs/statistics.md):
- PASS when the two-sided interval at the configured confidence lies entirely on the
  good side of the bound (one-sided test at alpha/2);
- FAIL when the one-sided p-value of "the criterion holds", Holm-adjusted across all the
  criteria of the gate, is below alpha/2 (unadjusted: the interval lies entirely on the
  bad side);
- INCONCLUSIVE otherwise, or when fewer paired cases than ``min_cases`` exist, with an
  estimate of the cases that would decide.
The gate is FAIL if any criterion fails, else INCONCLUSIVE if any is inconclusive, else PASS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bouclier import stats
from bouclier.config.schema import CriterionConfig, MaxThreshold, MinThreshold, NonInferiority, ZeroTolerance
from bouclier.gate.result import CriterionResult, Verdict


@dataclass(frozen=True)
class MetricData:
    """Paired per-case scores of one metric of one suite."""

    suite: str
    name: str
    binary: bool
    baseline: np.ndarray
    candidate: np.ndarray
    higher_is_better: bool = True
    case_ids: tuple[str, ...] = ()
    candidate_details: tuple[str | None, ...] = ()  # redacted findings (leak scorers)
    clusters: tuple[str, ...] | None = None  # parallel sets: resampled whole

    @property
    def in_unit_interval(self) -> bool:
        both = np.concatenate([self.baseline, self.candidate])
        return bool(both.size) and bool(np.all((both >= 0) & (both <= 1)))


@dataclass(frozen=True)
class JudgeOptions:
    confidence: float = 0.95
    seed: int = 0
    n_resamples: int = 4000
    multiple_testing: str = "holm"


def format_value(value: float, points: bool, signed: bool = False) -> str:
    """Scores in [0, 1] read as points (x100, one decimal); others keep their unit."""
    if points:
        return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _unit(points: bool) -> str:
    return " points" if points else ""


def criterion_name(c: CriterionConfig) -> str:
    if c.name:
        return c.name
    if isinstance(c, NonInferiority):
        bound = f"{c.margin:.0%}" if c.relative else f"{c.margin:g}"
        return f"{c.metric} non-inferior (margin {bound})"
    if isinstance(c, ZeroTolerance):
        return f"{c.metric}: zero tolerance"
    op = ">=" if isinstance(c, MinThreshold) else "<="
    return f"{c.metric} {op} {c.threshold:g}"


def judge_criterion(c: CriterionConfig, data: MetricData, options: JudgeOptions) -> CriterionResult:
    """Compare one criterion; the verdict here is before multiplicity correction of FAIL."""
    n = int(data.candidate.size)
    points = data.in_unit_interval
    pct = f"{options.confidence:.0%}"
    base = dict(name=criterion_name(c), suite=data.suite, metric=data.name, kind=c.kind,
                confidence=options.confidence, n=n)
    b_mean = float(data.baseline.mean()) if n else None
    c_mean = float(data.candidate.mean()) if n else None

    if isinstance(c, ZeroTolerance):
        return _zero_tolerance(c, data, base, b_mean, c_mean, options)
    if isinstance(c, NonInferiority):
        higher = data.higher_is_better if c.higher_is_better is None else c.higher_is_better
        margin = c.margin * abs(b_mean or 0.0) if c.relative else c.margin
        threshold = -margin if higher else margin
        if n < c.min_cases:
            return CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, baseline_value=b_mean,
                                   candidate_value=c_mean, difference=None if n == 0 else c_mean - b_mean,
                                   ci_low=None, ci_high=None, threshold=threshold,
                                   n_needed=c.min_cases, method="too few cases",
                                   reason=f"only {n} paired cases; at least {c.min_cases} are needed")
        cmp = stats.compare_paired(baseline=data.baseline, candidate=data.candidate,
                                   threshold=threshold, higher_is_better=higher,
                                   confidence=options.confidence, seed=options.seed,
                                   n_resamples=options.n_resamples, binary=data.binary,
                                   clusters=data.clusters)
        diff = cmp.estimate
        lo, hi = cmp.interval.low, cmp.interval.high
        verdict = decide(cmp, options)
        moved = "rose" if diff > 0 else "fell" if diff < 0 else "did not change"
        head = (f"{data.name} {moved} {format_value(abs(diff), points)}{_unit(points)} "
                if diff else f"{data.name} did not change ")
        ci = f"({pct} CI {format_value(lo, points, True)} to {format_value(hi, points, True)}; n={n})"
        bound = f"margin of {format_value(margin, points)}{_unit(points)}"
        if verdict is Verdict.PASS:
            tail = f"within the {bound}"
        elif verdict is Verdict.FAIL:
            tail = f"beyond the {bound}"
        else:
            tail = f"the interval straddles the {bound}" + _needed(cmp.n_needed, n)
        return CriterionResult(**base, verdict=verdict, reason=f"{head}{ci}, {tail}",
                               baseline_value=b_mean, candidate_value=c_mean, difference=diff,
                               ci_low=lo, ci_high=hi, threshold=threshold, p_pass=cmp.p_pass,
                               p_fail=cmp.p_fail, mde=cmp.mde, n_needed=cmp.n_needed, method=cmp.method)

    assert isinstance(c, (MinThreshold, MaxThreshold))
    higher = isinstance(c, MinThreshold)
    if n < c.min_cases:
        return CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, baseline_value=b_mean,
                               candidate_value=c_mean, difference=None, ci_low=None, ci_high=None,
                               threshold=c.threshold, n_needed=c.min_cases, method="too few cases",
                               reason=f"only {n} cases; at least {c.min_cases} are needed")
    cmp = stats.compare_threshold(values=data.candidate, threshold=c.threshold, higher_is_better=higher,
                                  confidence=options.confidence, seed=options.seed,
                                  n_resamples=options.n_resamples, binary=data.binary)
    verdict = decide(cmp, options)
    lo, hi = cmp.interval.low, cmp.interval.high
    op = ">=" if higher else "<="
    head = (f"candidate {data.name} {format_value(cmp.estimate, points)} "
            f"({pct} CI {format_value(lo, points)} to {format_value(hi, points)}; n={n})")
    want = f"{op} {format_value(c.threshold, points)}"
    if verdict is Verdict.PASS:
        tail = f"meets {want}"
    elif verdict is Verdict.FAIL:
        tail = f"misses {want}"
    else:
        tail = f"the interval straddles {want}" + _needed(cmp.n_needed, n)
    return CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}", baseline_value=b_mean,
                           candidate_value=c_mean, difference=None, ci_low=lo, ci_high=hi,
                           threshold=c.threshold, p_pass=cmp.p_pass, p_fail=cmp.p_fail,
                           mde=cmp.mde, n_needed=cmp.n_needed, method=cmp.method)


def _zero_tolerance(c: ZeroTolerance, data: MetricData, base: dict, b_mean, c_mean,
                    options: JudgeOptions) -> CriterionResult:
    """Any candidate finding FAILs (a fact, not an estimate); none PASSes, with the upper
    bound of the rate that the sample still allows."""
    n = base["n"]
    hits = [k for k in range(n) if data.candidate[k] > 0]
    b_hits = int(np.count_nonzero(data.baseline > 0))
    common = dict(baseline_value=b_mean, candidate_value=c_mean,
                  difference=None if n == 0 else c_mean - b_mean, threshold=0.0, method="count")
    if hits:
        shown = []
        for k in hits[:3]:
            detail = data.candidate_details[k] if k < len(data.candidate_details) else None
            shown.append(f"case {data.case_ids[k]}" + (f": {detail}" if detail else "")
                         if data.case_ids else f"case #{k}")
        more = f" (+{len(hits) - 3} more)" if len(hits) > 3 else ""
        reason = (f"{len(hits)} of {n} candidate outputs flagged by {data.name} (baseline: {b_hits}): "
                  + "; ".join(shown) + more)
        return CriterionResult(**base, verdict=Verdict.FAIL, reason=reason, ci_low=None, ci_high=None, **common)
    if n < c.min_cases:
        return CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, ci_low=None, ci_high=None, n_needed=c.min_cases,
                               reason=f"only {n} cases; at least {c.min_cases} are needed", **common)
    upper = stats.wilson_interval(successes=0, n=n, confidence=options.confidence).high
    reason = (f"no output flagged by {data.name} in {n} cases (baseline: {b_hits}); "
              f"the rate is below {upper:.2%} at {options.confidence:.0%} confidence")
    return CriterionResult(**base, verdict=Verdict.PASS, reason=reason, ci_low=0.0, ci_high=upper, **common)


def _needed(n_needed: int | None, n: int) -> str:
    if n_needed is None:
        return "; the estimate sits on the bound, more cases alone may not decide"
    return f"; about {n_needed} cases in all ({max(n_needed - n, 0)} more) would decide"


def _alpha1(options: JudgeOptions) -> float:
    return (1 - options.confidence) / 2


def decide(cmp, options: JudgeOptions) -> Verdict:
    """PASS or FAIL when the one-sided p-value clears the criterion's (Holm-adjusted)
    level, INCONCLUSIVE otherwise."""
    alpha1 = _alpha1(options)
    if cmp.p_pass < alpha1:
        return Verdict.PASS
    if cmp.p_fail < alpha1:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def adjust(results: list[CriterionResult], options: JudgeOptions) -> list[CriterionResult]:
    """Holm-adjust the FAIL p-values across the gate's criteria; a FAIL whose adjusted
    p-value no longer clears alpha/2 becomes INCONCLUSIVE."""
    tested = [i for i, r in enumerate(results) if r.p_fail is not None]
    if not tested:
        return results
    raw = [results[i].p_fail for i in tested]
    adjusted = stats.holm(raw) if options.multiple_testing == "holm" else list(raw)
    out = list(results)
    for i, p in zip(tested, adjusted):
        r = results[i]
        update: dict = {"p_fail_adjusted": p}
        if r.verdict is Verdict.FAIL and p >= _alpha1(options):
            update["verdict"] = Verdict.INCONCLUSIVE
            update["reason"] = (r.reason.replace("beyond the", "probably beyond the")
                                + f" (not significant after Holm correction over {len(tested)} criteria)")
        out[i] = r.model_copy(update=update)
    return out


def overall(results: list[CriterionResult]) -> tuple[Verdict, str]:
    """The gate's verdict and its one-line reason."""
    if not results:
        return Verdict.INCONCLUSIVE, "no criteria were evaluated"
    for verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE):
        hits = [r for r in results if r.verdict is verdict]
        if hits:
            first = hits[0]
            more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
            return verdict, f"{first.suite}: {first.reason}{more}"
    return Verdict.PASS, f"all {len(results)} criteria passed"
