"""Judging performance suites: latency, throughput, errors, streaming speed, memory, cost.

Every criterion goes through the decision rule of docs/statistics.md (PASS when the
interval lies on the good side, FAIL on Holm-adjusted ``p_fail``, INCONCLUSIVE otherwise
with the requests that would decide):

* relative percentiles (latency, ttft, tokens/s): ratio of the candidate's to the
  baseline's percentile, percentile bootstrap resampling whole interleaved blocks
  (:func:`bouclier.stats.compare_quantile_ratio`); the Mann-Whitney test and the
  Hodges-Lehmann shift of the whole distribution are reported beside it;
* absolute percentiles (``max_ms``, ``min_tokens_per_s``): "p95 <= 800 ms" is "at most 5%
  of requests slower than 800 ms", a proportion judged with Wilson's score test; the
  interval shown is the distribution-free interval of the percentile it inverts into;
* throughput: per block pair, the log ratio of completed requests per second (paired);
* error and timeout rates: Wilson (absolute), Newcombe (increase over the baseline);
* cost: per request, paired on the same inputs (increase) or against a ceiling;
* peak memory: a deterministic measurement, compared as it is (no p-values).

Pure: numbers in, :class:`CriterionResult` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bouclier import stats
from bouclier.config.performance import (CostCriterion, ErrorRateCriterion, LatencyCriterion, PeakMemoryCriterion,
                                         ThroughputCriterion, TokensPerSecondCriterion)
from bouclier.gate.judge import JudgeOptions, decide
from bouclier.gate.result import CriterionResult, Distribution, Verdict
from bouclier.stats.proportions import wilson_bounds
from scipy import stats as _sp

CDF_POINTS = 101
MIB = 1024 * 1024


@dataclass(frozen=True)
class Series:
    """Values of one model with the measurement block of each."""

    values: np.ndarray
    blocks: np.ndarray

    @classmethod
    def of(cls, pairs: list[tuple[int, float]]) -> "Series":
        return cls(np.array([v for _, v in pairs], dtype=float), np.array([b for b, _ in pairs], dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.values.size)


@dataclass(frozen=True)
class ArmData:
    """One model at one load level."""

    latency_ms: Series
    ttft_ms: Series
    tokens_per_s: Series
    failed: np.ndarray  # 0/1 per request
    timed_out: np.ndarray
    block_throughput: dict[int, float]  # block -> completed requests per second
    usd: np.ndarray  # per request, aligned with the other model's (same inputs); NaN when unknown or failed


@dataclass(frozen=True)
class LevelData:
    label: str
    baseline: ArmData
    candidate: ArmData


@dataclass
class SuiteData:
    suite: str
    levels: list[LevelData]
    memory_mb: dict[str, float] = field(default_factory=dict)
    memory_method: str | None = None
    cost_unknown: dict[str, str] = field(default_factory=dict)  # role -> reason


def distribution(values: np.ndarray, unit: str) -> Distribution | None:
    if values.size == 0:
        return None
    qs = np.quantile(values, np.linspace(0, 1, CDF_POINTS), method="inverted_cdf")

    def pct(q: float) -> float:
        return float(np.quantile(values, q, method="inverted_cdf"))

    return Distribution(n=int(values.size), unit=unit, mean=float(values.mean()), p50=pct(0.5), p90=pct(0.9),
                        p95=pct(0.95), p99=pct(0.99), cdf=[round(float(v), 6) for v in qs])


def _pname(p: float) -> str:
    return f"p{p:g}"


def _tail_minimum(q: float, floor: int) -> int:
    """Requests per model below which a percentile is mostly its sample's extreme value:
    at least 5 observations beyond it."""
    return max(floor, math.ceil(5 / min(q, 1 - q)))


def _needed_requests(cmp, n_per_arm: int) -> str:
    if cmp.n_needed is None:
        return "; the estimate sits on the bound, more requests alone may not decide"
    per = math.ceil(cmp.n_needed / 2)
    return f"; about {per} requests per model ({max(per - n_per_arm, 0)} more) would decide"


def _too_few(base: dict, n: int, needed: int, what: str = "requests per model") -> CriterionResult:
    return CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, baseline_value=None, candidate_value=None,
                           difference=None, ci_low=None, ci_high=None, n_needed=needed, method="too few requests",
                           reason=f"only {n} {what}; at least {needed} are needed")


def _common_blocks(b: Series, c: Series) -> tuple[Series, Series, bool]:
    """Keep blocks holding observations of both models (a block whose requests all failed
    on one side carries no comparison); fall back to independent resampling below 2."""
    shared = np.intersect1d(np.unique(b.blocks), np.unique(c.blocks))
    if shared.size < 2:
        return b, c, False
    kb, kc = np.isin(b.blocks, shared), np.isin(c.blocks, shared)
    return Series(b.values[kb], b.blocks[kb]), Series(c.values[kc], c.blocks[kc]), True


def percentile_ratio(*, name: str, suite: str, kind: str, metric: str, unit: str, baseline: Series,
                     candidate: Series, percentile: float, bound: float, higher_is_better: bool, min_requests: int,
                     options: JudgeOptions) -> CriterionResult:
    """Candidate percentile / baseline percentile against ``bound`` (e.g. 1.10)."""
    q = percentile / 100
    n = min(baseline.n, candidate.n)
    base = dict(name=name, suite=suite, metric=metric, kind=kind, confidence=options.confidence,
                n=baseline.n + candidate.n, threshold=bound)
    needed = _tail_minimum(q, min_requests)
    if n < needed:
        return _too_few(base, n, needed)
    b, c, blocked = _common_blocks(baseline, candidate)
    cmp = stats.compare_quantile_ratio(
        baseline=b.values, candidate=c.values, q=q, threshold=bound, higher_is_better=higher_is_better,
        confidence=options.confidence, seed=options.seed, n_resamples=options.n_resamples,
        blocks=(b.blocks, c.blocks) if blocked else None)
    verdict = decide(cmp, options)
    bq = float(np.quantile(b.values, q, method="inverted_cdf"))
    cq = float(np.quantile(c.values, q, method="inverted_cdf"))
    shift = ""
    if min(b.n, c.n) >= 2:
        rank = stats.mann_whitney(baseline=b.values, candidate=c.values,
                                  alternative="less" if higher_is_better else "greater",
                                  confidence=options.confidence)
        shift = (f"; distribution shift {rank.shift:+.3g} {unit} (Hodges-Lehmann, one-sided Mann-Whitney "
                 f"p={rank.pvalue:.2g})")
    pct = f"{options.confidence:.0%}"
    blocks = f", {cmp.n_blocks} blocks" if cmp.n_blocks else ""
    head = (f"{_pname(percentile)} {metric} {bq:.4g} -> {cq:.4g} {unit} (x{cmp.estimate:.3f}, {pct} CI "
            f"x{cmp.interval.low:.3f} to x{cmp.interval.high:.3f}; {b.n}+{c.n} requests{blocks})")
    op = "at least" if higher_is_better else "at most"
    if verdict is Verdict.PASS:
        tail = f"within {op} x{bound:.3g}"
    elif verdict is Verdict.FAIL:
        tail = f"beyond the limit of {op} x{bound:.3g}"
    else:
        tail = f"the interval straddles x{bound:.3g}" + _needed_requests(cmp, n)
    return CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}{shift}", baseline_value=bq,
                           candidate_value=cq, difference=None, ci_low=cmp.interval.low,
                           ci_high=cmp.interval.high, p_pass=cmp.p_pass, p_fail=cmp.p_fail, mde=cmp.mde,
                           n_needed=None if cmp.n_needed is None else math.ceil(cmp.n_needed / 2),
                           method=cmp.method)


def _percentile_interval(values: np.ndarray, q: float, confidence: float) -> tuple[float | None, float | None]:
    """Distribution-free interval of the q-quantile, inverting Wilson's interval of the
    share of values beyond each observed value."""
    x = np.sort(values)
    n = x.size
    zval = float(_sp.norm.ppf(0.5 + confidence / 2))
    above = n - np.searchsorted(x, x, side="right")  # values strictly above x_k
    at_or_above = n - np.searchsorted(x, x, side="left")
    _, high = wilson_bounds(above, n, zval)
    low, _ = wilson_bounds(at_or_above, n, zval)
    upper_ok = np.nonzero(high < 1 - q)[0]
    lower_ok = np.nonzero(low > 1 - q)[0]
    return (float(x[lower_ok[-1]]) if lower_ok.size else None, float(x[upper_ok[0]]) if upper_ok.size else None)


def percentile_limit(*, name: str, suite: str, kind: str, metric: str, unit: str, values: np.ndarray,
                     percentile: float, limit: float, at_most: bool, min_requests: int,
                     options: JudgeOptions) -> CriterionResult:
    """Absolute SLO on a percentile: ``p95 <= limit`` is "share above limit <= 5%"."""
    q = percentile / 100
    n = int(values.size)
    base = dict(name=name, suite=suite, metric=metric, kind=kind, confidence=options.confidence, n=n,
                threshold=limit)
    needed = _tail_minimum(q, min_requests)
    if n < needed:
        return _too_few(base, n, needed)
    if at_most:
        beyond, allowed = (values > limit).astype(float), 1 - q
    else:
        beyond, allowed = (values < limit).astype(float), q
    cmp = stats.compare_threshold(values=beyond, threshold=allowed, higher_is_better=False,
                                  confidence=options.confidence, binary=True)
    verdict = decide(cmp, options)
    est = float(np.quantile(values, q, method="inverted_cdf"))
    if at_most:
        low, high = _percentile_interval(values, q, options.confidence)
    else:  # a lower bound on a percentile: mirror the values
        lo_m, hi_m = _percentile_interval(-values, 1 - q, options.confidence)
        low, high = (None if hi_m is None else -hi_m), (None if lo_m is None else -lo_m)
    op = "<=" if at_most else ">="
    side = "above" if at_most else "below"
    ci = (f"{options.confidence:.0%} CI {'?' if low is None else f'{low:.4g}'} to "
          f"{'?' if high is None else f'{high:.4g}'} {unit}")
    head = (f"candidate {_pname(percentile)} {metric} {est:.4g} {unit} ({ci}; {int(beyond.sum())} of {n} requests "
            f"{side} {limit:g} {unit})")
    want = f"{op} {limit:g} {unit}"
    if verdict is Verdict.PASS:
        tail = f"meets {want}"
    elif verdict is Verdict.FAIL:
        tail = f"misses {want}"
    else:
        tail = f"the data cannot tell whether it meets {want}" + _needed_single(cmp, n)
    return CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}", baseline_value=None,
                           candidate_value=est, difference=None, ci_low=low, ci_high=high, p_pass=cmp.p_pass,
                           p_fail=cmp.p_fail, mde=None, n_needed=cmp.n_needed,
                           method=f"share of requests {side} the limit, {cmp.method}")


def _needed_single(cmp, n: int) -> str:
    if cmp.n_needed is None:
        return "; the estimate sits on the bound, more requests alone may not decide"
    return f"; about {cmp.n_needed} requests ({max(cmp.n_needed - n, 0)} more) would decide"


def _outcome_text(verdict: Verdict, want: str, cmp, n: int, needed=_needed_single) -> str:
    if verdict is Verdict.PASS:
        return f"meets {want}"
    if verdict is Verdict.FAIL:
        return f"misses {want}"
    return "the interval straddles " + want.split(" ", 1)[-1] + needed(cmp, n)


def judge_throughput(c: ThroughputCriterion, level: LevelData, suite: str, at: str,
                     options: JudgeOptions) -> list[CriterionResult]:
    tb, tc = level.baseline.block_throughput, level.candidate.block_throughput
    shared = sorted(set(tb) & set(tc))
    xb = np.array([tb[k] for k in shared])
    xc = np.array([tc[k] for k in shared])
    out = []
    pct = f"{options.confidence:.0%}"
    if c.max_decrease is not None:
        bound = 1 - c.max_decrease
        base = dict(name=_title(c.name, f"throughput >= x{bound:.3g} baseline", at), suite=suite, metric="throughput",
                    kind="throughput", confidence=options.confidence, n=len(shared), threshold=bound)
        if len(shared) < c.min_requests or np.any(xb <= 0) or np.any(xc <= 0):
            out.append(_too_few(base, len(shared), c.min_requests, "block pairs with completed requests"))
        else:
            cmp = stats.compare_paired(baseline=np.log(xb), candidate=np.log(xc), threshold=math.log(bound),
                                       higher_is_better=True, confidence=options.confidence, seed=options.seed,
                                       n_resamples=options.n_resamples, binary=False)
            verdict = decide(cmp, options)
            ratio, lo, hi = math.exp(cmp.estimate), math.exp(cmp.interval.low), math.exp(cmp.interval.high)
            gb, gc = float(np.exp(np.log(xb).mean())), float(np.exp(np.log(xc).mean()))
            head = (f"throughput {gb:.4g} -> {gc:.4g} req/s (x{ratio:.3f}, {pct} CI x{lo:.3f} to x{hi:.3f}; "
                    f"{len(shared)} block pairs)")
            tail = _outcome_text(verdict, f"at least x{bound:.3g}", cmp, len(shared),
                                 lambda cm, n: _needed_blocks(cm, n))
            out.append(CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}", baseline_value=gb,
                                       candidate_value=gc, difference=gc - gb, ci_low=lo, ci_high=hi,
                                       p_pass=cmp.p_pass, p_fail=cmp.p_fail, n_needed=cmp.n_needed,
                                       method=f"paired log-ratio per block pair, {cmp.method}"))
    if c.min_rps is not None:
        base = dict(name=_title(c.name, f"throughput >= {c.min_rps:g} req/s", at), suite=suite, metric="throughput",
                    kind="throughput", confidence=options.confidence, n=len(shared), threshold=c.min_rps)
        if xc.size < max(c.min_requests, 2):
            out.append(_too_few(base, int(xc.size), max(c.min_requests, 2), "blocks"))
        else:
            cmp = stats.compare_threshold(values=xc, threshold=c.min_rps, higher_is_better=True,
                                          confidence=options.confidence, seed=options.seed,
                                          n_resamples=options.n_resamples, binary=False)
            verdict = decide(cmp, options)
            head = (f"candidate throughput {cmp.estimate:.4g} req/s per block ({pct} CI {cmp.interval.low:.4g} to "
                    f"{cmp.interval.high:.4g}; {xc.size} blocks)")
            tail = _outcome_text(verdict, f">= {c.min_rps:g} req/s", cmp, int(xc.size),
                                 lambda cm, n: _needed_blocks(cm, n))
            out.append(CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}", baseline_value=None,
                                       candidate_value=cmp.estimate, difference=None, ci_low=cmp.interval.low,
                                       ci_high=cmp.interval.high, p_pass=cmp.p_pass, p_fail=cmp.p_fail,
                                       n_needed=cmp.n_needed, method=cmp.method))
    return out


def _title(custom: str | None, default: str, at: str) -> str:
    return (custom or default) + at


def _needed_blocks(cmp, n: int) -> str:
    if cmp.n_needed is None:
        return "; the estimate sits on the bound, more blocks alone may not decide"
    return f"; about {cmp.n_needed} blocks ({max(cmp.n_needed - n, 0)} more) would decide"


def judge_rate(c: ErrorRateCriterion, level: LevelData, suite: str, at: str,
               options: JudgeOptions) -> list[CriterionResult]:
    what = "error" if c.kind == "error_rate" else "timeout"
    xb = level.baseline.failed if c.kind == "error_rate" else level.baseline.timed_out
    xc = level.candidate.failed if c.kind == "error_rate" else level.candidate.timed_out
    out = []
    pct = f"{options.confidence:.0%}"
    if c.max_rate is not None:
        base = dict(name=_title(c.name, f"{what} rate <= {c.max_rate:.2%}", at), suite=suite, metric=c.kind, kind=c.kind,
                    confidence=options.confidence, n=int(xc.size), threshold=c.max_rate)
        if xc.size < c.min_requests:
            out.append(_too_few(base, int(xc.size), c.min_requests))
        else:
            cmp = stats.compare_threshold(values=xc, threshold=c.max_rate, higher_is_better=False,
                                          confidence=options.confidence, binary=True)
            verdict = decide(cmp, options)
            head = (f"candidate {what} rate {cmp.estimate:.2%} ({int(xc.sum())} of {xc.size}; {pct} CI "
                    f"{cmp.interval.low:.2%} to {cmp.interval.high:.2%})")
            tail = _outcome_text(verdict, f"<= {c.max_rate:.2%}", cmp, int(xc.size))
            out.append(CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}",
                                       baseline_value=float(xb.mean()) if xb.size else None,
                                       candidate_value=cmp.estimate, difference=None, ci_low=cmp.interval.low,
                                       ci_high=cmp.interval.high, p_pass=cmp.p_pass, p_fail=cmp.p_fail,
                                       n_needed=cmp.n_needed, method=cmp.method))
    if c.max_increase is not None:
        base = dict(name=_title(c.name, f"{what} rate at most +{c.max_increase * 100:g} points vs baseline", at),
                    suite=suite, metric=c.kind, kind=c.kind, confidence=options.confidence,
                    n=int(xb.size + xc.size), threshold=c.max_increase)
        if min(xb.size, xc.size) < c.min_requests:
            out.append(_too_few(base, int(min(xb.size, xc.size)), c.min_requests))
        else:
            cmp = stats.compare_independent_difference(a=xb, b=xc, threshold=c.max_increase, higher_is_better=False,
                                                       confidence=options.confidence, binary=True)
            verdict = decide(cmp, options)
            head = (f"{what} rate {xb.mean():.2%} -> {xc.mean():.2%} ({cmp.estimate * 100:+.2f} points, {pct} CI "
                    f"{cmp.interval.low * 100:+.2f} to {cmp.interval.high * 100:+.2f})")
            tail = _outcome_text(verdict, f"<= +{c.max_increase * 100:g} points", cmp, int(xb.size + xc.size))
            out.append(CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}",
                                       baseline_value=float(xb.mean()), candidate_value=float(xc.mean()),
                                       difference=cmp.estimate, ci_low=cmp.interval.low, ci_high=cmp.interval.high,
                                       p_pass=cmp.p_pass, p_fail=cmp.p_fail, n_needed=cmp.n_needed,
                                       method=cmp.method))
    return out


def judge_cost(c: CostCriterion, level: LevelData, suite: str, at: str, unknown: dict[str, str],
               options: JudgeOptions) -> list[CriterionResult]:
    ub, uc = level.baseline.usd, level.candidate.usd
    out = []
    pct = f"{options.confidence:.0%}"
    specs = []
    if c.max_usd_per_1k is not None:
        specs.append(("ceiling", _title(c.name, f"cost <= {c.max_usd_per_1k:g} USD per 1k requests", at), c.max_usd_per_1k))
    if c.max_increase is not None:
        specs.append(("increase", _title(c.name, f"cost per request at most +{c.max_increase:.0%} vs baseline", at),
                      c.max_increase))
    for which, title, bound in specs:
        roles = ("candidate",) if which == "ceiling" else ("baseline", "candidate")
        base = dict(name=title, suite=suite, metric="cost", kind="cost", confidence=options.confidence,
                    n=int(uc.size), threshold=bound)
        missing = [unknown[r] for r in roles if r in unknown]
        if missing:
            out.append(CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, baseline_value=None,
                                       candidate_value=None, difference=None, ci_low=None, ci_high=None,
                                       method="cost unknown", reason="cost unknown: " + "; ".join(missing)))
            continue
        if which == "ceiling":
            values = uc[np.isfinite(uc)] * 1000
            if values.size < c.min_requests:
                out.append(_too_few(base, int(values.size), c.min_requests, "priced requests"))
                continue
            cmp = stats.compare_threshold(values=values, threshold=bound, higher_is_better=False,
                                          confidence=options.confidence, seed=options.seed,
                                          n_resamples=options.n_resamples, binary=False)
            verdict = decide(cmp, options)
            head = (f"candidate {cmp.estimate:.4g} USD per 1k requests ({pct} CI {cmp.interval.low:.4g} to "
                    f"{cmp.interval.high:.4g}; {values.size} requests)")
            tail = _outcome_text(verdict, f"<= {bound:g} USD per 1k", cmp, int(values.size))
            out.append(CriterionResult(**{**base, "n": int(values.size)}, verdict=verdict, reason=f"{head}, {tail}",
                                       baseline_value=None, candidate_value=cmp.estimate, difference=None,
                                       ci_low=cmp.interval.low, ci_high=cmp.interval.high, p_pass=cmp.p_pass,
                                       p_fail=cmp.p_fail, n_needed=cmp.n_needed, method=cmp.method))
        else:
            both = np.isfinite(ub) & np.isfinite(uc)
            xb, xc = ub[both] * 1000, uc[both] * 1000
            if xb.size < c.min_requests:
                out.append(_too_few(base, int(xb.size), c.min_requests, "requests answered by both models"))
                continue
            margin = bound * float(xb.mean())
            cmp = stats.compare_paired(baseline=xb, candidate=xc, threshold=margin, higher_is_better=False,
                                       confidence=options.confidence, seed=options.seed,
                                       n_resamples=options.n_resamples, binary=False)
            verdict = decide(cmp, options)
            head = (f"cost {xb.mean():.4g} -> {xc.mean():.4g} USD per 1k requests ({cmp.estimate:+.4g}, {pct} CI "
                    f"{cmp.interval.low:+.4g} to {cmp.interval.high:+.4g}; {xb.size} paired requests)")
            tail = _outcome_text(verdict, f"<= +{margin:.4g} USD per 1k (+{bound:.0%})", cmp, int(xb.size))
            out.append(CriterionResult(**{**base, "n": int(xb.size), "threshold": margin}, verdict=verdict,
                                       reason=f"{head}, {tail}", baseline_value=float(xb.mean()),
                                       candidate_value=float(xc.mean()), difference=cmp.estimate,
                                       ci_low=cmp.interval.low, ci_high=cmp.interval.high, p_pass=cmp.p_pass,
                                       p_fail=cmp.p_fail, n_needed=cmp.n_needed, method=cmp.method))
    return out


def judge_memory(c: PeakMemoryCriterion, data: SuiteData, options: JudgeOptions) -> list[CriterionResult]:
    """Deterministic measurements: compared as they are, no interval and no p-value (so
    they are not part of the Holm family, like a zero-tolerance finding)."""
    mb, mc = data.memory_mb.get("baseline"), data.memory_mb.get("candidate")
    out = []
    method = data.memory_method or "tracemalloc"
    specs = []
    if c.max_increase is not None:
        specs.append((_title(c.name, f"peak memory at most +{c.max_increase:.0%} vs baseline", ""),
                      None if mb is None else mb * (1 + c.max_increase)))
    if c.max_mb is not None:
        specs.append((_title(c.name, f"peak memory <= {c.max_mb:g} MiB", ""), c.max_mb))
    for title, limit in specs:
        base = dict(name=title, suite=data.suite, metric="peak_memory", kind="peak_memory",
                    confidence=options.confidence, n=1, threshold=limit)
        if mc is None or limit is None:
            out.append(CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, baseline_value=mb, candidate_value=mc,
                                       difference=None, ci_low=None, ci_high=None, method=method,
                                       reason="peak memory was not measured"))
            continue
        ok = mc <= limit
        reason = (f"peak memory {'' if mb is None else f'{mb:.1f} -> '}{mc:.1f} MiB "
                  f"({'within' if ok else 'above'} {limit:.1f} MiB; {method})")
        out.append(CriterionResult(**base, verdict=Verdict.PASS if ok else Verdict.FAIL, reason=reason,
                                   baseline_value=mb, candidate_value=mc,
                                   difference=None if mb is None else mc - mb, ci_low=None, ci_high=None,
                                   method=method))
    return out


def judge_suite(criteria: list, data: SuiteData, options: JudgeOptions) -> list[CriterionResult]:
    """Every criterion of a performance suite at every load level (before Holm)."""
    out: list[CriterionResult] = []
    several = len(data.levels) > 1
    for i, c in enumerate(criteria):
        if isinstance(c, PeakMemoryCriterion):
            out.extend(judge_memory(c, data, options))
            continue
        for level in data.levels:
            at = f" @ {level.label}" if several else ""
            if isinstance(c, LatencyCriterion):
                metric = "latency" if c.kind == "latency" else "ttft"
                field_ = "latency_ms" if c.kind == "latency" else "ttft_ms"
                b, cand = getattr(level.baseline, field_), getattr(level.candidate, field_)
                p = _pname(c.percentile)
                if c.max_increase is not None:
                    title = c.name or f"{metric} {p} at most +{c.max_increase:.0%} vs baseline"
                    out.append(percentile_ratio(
                        name=title + at, suite=data.suite, kind=c.kind, metric=metric, unit="ms", baseline=b,
                        candidate=cand, percentile=c.percentile, bound=1 + c.max_increase, higher_is_better=False,
                        min_requests=c.min_requests, options=options))
                if c.max_ms is not None:
                    title = c.name or f"{metric} {p} <= {c.max_ms:g} ms"
                    out.append(percentile_limit(
                        name=title + at, suite=data.suite, kind=c.kind, metric=metric, unit="ms", values=cand.values,
                        percentile=c.percentile, limit=c.max_ms, at_most=True, min_requests=c.min_requests,
                        options=options))
            elif isinstance(c, TokensPerSecondCriterion):
                b, cand = level.baseline.tokens_per_s, level.candidate.tokens_per_s
                p = _pname(c.percentile)
                if c.max_decrease is not None:
                    title = c.name or f"tokens/s {p} at least x{1 - c.max_decrease:.3g} baseline"
                    out.append(percentile_ratio(
                        name=title + at, suite=data.suite, kind=c.kind, metric="tokens/s", unit="tokens/s",
                        baseline=b, candidate=cand, percentile=c.percentile, bound=1 - c.max_decrease,
                        higher_is_better=True, min_requests=c.min_requests, options=options))
                if c.min_tokens_per_s is not None:
                    title = c.name or f"tokens/s {p} >= {c.min_tokens_per_s:g}"
                    out.append(percentile_limit(
                        name=title + at, suite=data.suite, kind=c.kind, metric="tokens/s", unit="tokens/s",
                        values=cand.values, percentile=c.percentile, limit=c.min_tokens_per_s, at_most=False,
                        min_requests=c.min_requests, options=options))
            elif isinstance(c, ThroughputCriterion):
                out.extend(judge_throughput(c, level, data.suite, at, options))
            elif isinstance(c, ErrorRateCriterion):
                out.extend(judge_rate(c, level, data.suite, at, options))
            elif isinstance(c, CostCriterion):
                out.extend(judge_cost(c, level, data.suite, at, data.cost_unknown, options))
            else:  # pragma: no cover - the schema admits no other kind
                raise TypeError(f"unknown performance criterion {type(c).__name__}")
    return out


__all__ = ["ArmData", "LevelData", "Series", "SuiteData", "distribution", "judge_suite", "percentile_limit",
           "percentile_ratio"]
