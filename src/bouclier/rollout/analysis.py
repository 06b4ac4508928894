"""Canary analysis: canary against stable over one step's window, metric by metric.

Kayenta's shape with bouclier's statistics:

- continuous metrics (latency, TTFT, cost, tokens): Mann-Whitney with the Hodges-Lehmann
  shift and its interval; ``High`` when the whole interval lies above the tolerance
  (``allowed_increase`` times stable's median), ``Low`` when below minus the tolerance;
- a quantile of a continuous metric (``statistic: p95``, named ``latency_p95``): seeded
  percentile bootstrap of the ratio canary quantile / stable quantile; the shift and its
  interval are relative (ratio - 1), ``High`` when the interval lies above
  ``allowed_increase`` (0.1 = +10% of stable's p95): a slower tail with the same median;
- rates (errors, timeouts, refusals, PII, negative feedback): Fisher's exact test with a
  Newcombe interval of the difference (honest with 0 events); ``High`` when the interval
  lies above ``allowed_increase`` (absolute);
- leaks (secret, canary token): any one on the canary is critical;
- fewer than ``min_samples`` values or trials on either side: ``NoData`` (never a failure).

The score is the weighted share of metrics with data that are not bad, 0-100. The
interval level is set by ``alpha`` (one-sided, per metric): the controller passes the
rollout's false rollback budget split over its planned analyses and metrics.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

from bouclier.rollout.canary_metrics import METRICS
from bouclier.rollout.observations import Observations, observe_signals
from bouclier.rollout.plan import AnalysisConfig, MetricConfig
from bouclier.rollout.signals import Feedback, Signal

Status = Literal["Pass", "High", "Low", "NoData"]
Verdict = Literal["pass", "marginal", "fail", "critical", "nodata"]


@dataclass(frozen=True)
class MetricResult:
    name: str
    kind: str
    status: Status
    bad: bool  # High/Low in the bad direction, or any leak
    critical: bool
    weight: float
    stable_n: int
    canary_n: int
    stable_value: float | None  # median or quantile (continuous), or rate
    canary_value: float | None
    shift: float | None  # canary - stable (Hodges-Lehmann shift, rate difference, or quantile ratio - 1)
    low: float | None  # interval of the shift
    high: float | None
    tolerance: float | None
    p_value: float | None
    reason: str


@dataclass(frozen=True)
class Analysis:
    verdict: Verdict
    score: float | None
    reason: str
    metrics: list[MetricResult]
    stable_requests: int
    canary_requests: int
    alpha: float
    critical: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["metrics"] = {m["name"]: m for m in out["metrics"]}
        return _finite(out)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _status(low: float, high: float, tol: float, direction: str) -> tuple[Status, bool]:
    if low > tol:
        return "High", direction in ("increase", "either")
    if high < -tol:
        return "Low", direction in ("decrease", "either")
    return "Pass", False


def _continuous(cfg: MetricConfig, stable: list[float], canary: list[float], alpha: float) -> MetricResult:
    from bouclier.stats import mann_whitney

    base = dict(name=cfg.key, kind="continuous", critical=False, weight=cfg.weight,
                stable_n=len(stable), canary_n=len(canary))
    if len(stable) < cfg.min_samples or len(canary) < cfg.min_samples:
        return MetricResult(**base, status="NoData", bad=False, stable_value=None, canary_value=None, shift=None,
                            low=None, high=None, tolerance=None, p_value=None,
                            reason=f"{len(stable)} stable / {len(canary)} canary values, {cfg.min_samples} needed")
    if cfg.quantile is not None:
        return _quantile(cfg, base, stable, canary, alpha)
    m0, m1 = _median(stable), _median(canary)
    alternative = {"increase": "greater", "decrease": "less"}.get(cfg.direction, "two-sided")
    r = mann_whitney(baseline=stable, candidate=canary, alternative=alternative, confidence=1 - 2 * alpha)
    tol = cfg.allowed_increase * abs(m0)
    status, bad = _status(r.interval.low, r.interval.high, tol, cfg.direction)
    rel = f" ({r.shift / m0:+.1%} of stable's median)" if m0 else ""
    reason = (f"shift {r.shift:+.4g}{rel}, interval [{r.interval.low:.4g}, {r.interval.high:.4g}], "
              f"tolerance ±{tol:.4g}")
    return MetricResult(**base, status=status, bad=bad, stable_value=m0, canary_value=m1, shift=r.shift,
                        low=r.interval.low, high=r.interval.high, tolerance=tol, p_value=r.pvalue, reason=reason)


def _quantile(cfg: MetricConfig, base: dict[str, Any], stable: list[float], canary: list[float],
              alpha: float) -> MetricResult:
    """Canary quantile / stable quantile by a seeded percentile bootstrap; judged as ratio - 1."""
    import numpy as np

    from bouclier.stats.quantiles import quantile_ratio_evidence

    q, label = cfg.quantile, cfg.statistic
    if min(stable) <= 0 or min(canary) <= 0:
        return MetricResult(**base, status="NoData", bad=False, stable_value=None, canary_value=None, shift=None,
                            low=None, high=None, tolerance=None, p_value=None,
                            reason=f"a {label} ratio needs positive values; {cfg.name} has values <= 0")
    q0 = float(np.quantile(stable, q, method="inverted_cdf"))
    q1 = float(np.quantile(canary, q, method="inverted_cdf"))
    ev = quantile_ratio_evidence(baseline=stable, candidate=canary, q=q, seed=0, n_resamples=cfg.resamples,
                                 blocks=None)
    iv = ev.interval(1 - 2 * alpha)
    low, high, tol = iv.low - 1.0, iv.high - 1.0, cfg.allowed_increase
    status, bad = _status(low, high, tol, cfg.direction)
    p_value = {"increase": ev.p_above(1.0), "decrease": ev.p_below(1.0)}.get(
        cfg.direction, min(1.0, 2 * min(ev.p_above(1.0), ev.p_below(1.0))))
    reason = (f"{label} {q0:.4g} -> {q1:.4g} ({ev.estimate - 1:+.1%}), interval [{low:+.1%}, {high:+.1%}], "
              f"tolerance ±{tol:.0%}")
    return MetricResult(**base, status=status, bad=bad, stable_value=q0, canary_value=q1, shift=ev.estimate - 1,
                        low=low, high=high, tolerance=tol, p_value=p_value, reason=reason)


def _rate(cfg: MetricConfig, x1: int, n1: int, x2: int, n2: int, alpha: float) -> MetricResult:
    from bouclier.stats import proportion_difference

    base = dict(name=cfg.name, kind="rate", critical=False, weight=cfg.weight, stable_n=n1, canary_n=n2)
    if n1 < cfg.min_samples or n2 < cfg.min_samples:
        return MetricResult(**base, status="NoData", bad=False, stable_value=None, canary_value=None, shift=None,
                            low=None, high=None, tolerance=None, p_value=None,
                            reason=f"{n1} stable / {n2} canary trials, {cfg.min_samples} needed")
    alternative = {"increase": "greater", "decrease": "less"}.get(cfg.direction, "two-sided")
    d = proportion_difference(x1=x1, n1=n1, x2=x2, n2=n2, confidence=1 - 2 * alpha, alternative=alternative)
    tol = cfg.allowed_increase
    status, bad = _status(d.interval.low, d.interval.high, tol, cfg.direction)
    reason = (f"stable {x1}/{n1} ({d.rate1:.2%}), canary {x2}/{n2} ({d.rate2:.2%}), difference "
              f"{d.estimate:+.2%} in [{d.interval.low:+.2%}, {d.interval.high:+.2%}], tolerance ±{tol:.2%}")
    return MetricResult(**base, status=status, bad=bad, stable_value=d.rate1, canary_value=d.rate2,
                        shift=d.estimate, low=d.interval.low, high=d.interval.high, tolerance=tol,
                        p_value=d.p_value, reason=reason)


def _leak(cfg: MetricConfig, x1: int, n1: int, x2: int, n2: int) -> MetricResult:
    base = dict(name=cfg.name, kind="leak", weight=cfg.weight, stable_n=n1, canary_n=n2, shift=None, low=None,
                high=None, tolerance=0.0, p_value=None,
                stable_value=x1 / n1 if n1 else None, canary_value=x2 / n2 if n2 else None)
    if x2 > 0:
        return MetricResult(**base, status="High", bad=True, critical=True,
                            reason=f"{x2} canary answer(s) of {n2} inspected leaked ({cfg.name})")
    if n2 == 0:
        return MetricResult(**base, status="NoData", bad=False, critical=False, reason="no inspected canary answer")
    return MetricResult(**base, status="Pass", bad=False, critical=False, reason=f"0 of {n2} inspected canary answers")


def analyse(
    *,
    stable: Sequence[Signal],
    canary: Sequence[Signal],
    config: AnalysisConfig,
    alpha: float,
    stable_feedback: Sequence[Feedback] = (),
    canary_feedback: Sequence[Feedback] = (),
    metrics: Sequence[str] | None = None,
    min_requests: int = 1,
) -> Analysis:
    """Compare the canary's signals with stable's. ``alpha``: one-sided level of the
    whole analysis, split (Bonferroni) over the scored metrics. Signals forced by the
    tester header are ignored."""
    names = [m.name for m in config.metrics if metrics is None or m.name in metrics or m.key in metrics]
    return analyse_observations(stable=observe_signals(stable, stable_feedback, names),
                                canary=observe_signals(canary, canary_feedback, names),
                                config=config, alpha=alpha, metrics=metrics, min_requests=min_requests)


def analyse_observations(
    *,
    stable: Observations,
    canary: Observations,
    config: AnalysisConfig,
    alpha: float,
    metrics: Sequence[str] | None = None,
    min_requests: int = 1,
) -> Analysis:
    """:func:`analyse` on observations of any :class:`~bouclier.rollout.observations.SignalSource`
    (a metric missing from them has no data)."""
    from bouclier.stats import wilson_interval

    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), found {alpha}")
    chosen = [m for m in config.metrics if metrics is None or m.name in metrics or m.key in metrics]
    scored = [m for m in chosen if METRICS[m.name].kind != "leak" and m.weight > 0]
    alpha_m = alpha / max(1, len(scored))
    results: list[MetricResult] = []
    for cfg in chosen:
        d = METRICS[cfg.name]
        if d.kind == "continuous":
            results.append(_continuous(cfg, list(stable.values.get(cfg.name, ())),
                                       list(canary.values.get(cfg.name, ())), alpha_m))
        else:
            x1, n1 = stable.events.get(cfg.name, (0, 0))
            x2, n2 = canary.events.get(cfg.name, (0, 0))
            results.append(_leak(cfg, x1, n1, x2, n2) if d.kind == "leak" else _rate(cfg, x1, n1, x2, n2, alpha_m))
    critical = [f"{m.name}: {m.reason}" for m in results if m.critical]
    errors = canary.errors
    if canary.requests:
        floor = wilson_interval(successes=errors, n=canary.requests, confidence=0.95).low
        if floor > config.error_rate_ceiling:
            critical.append(f"error_rate: canary {errors}/{canary.requests} failed, surely above the ceiling "
                            f"{config.error_rate_ceiling:.0%} (95% lower bound {floor:.1%})")
    weighted = [m for m in results if m.kind != "leak" and m.weight > 0 and m.status != "NoData"]
    total = sum(m.weight for m in weighted)
    score = round(100.0 * sum(m.weight for m in weighted if not m.bad) / total, 1) if total else None
    n0, n1 = stable.requests, canary.requests
    missing = [m.name for m in results if m.status == "NoData" and next(c for c in chosen if c.key == m.name).required]
    bad = [f"{m.name} {m.status}" for m in results if m.bad and not m.critical]
    if critical:
        verdict, reason = "critical", "; ".join(critical)
    elif n0 < min_requests or n1 < min_requests:
        verdict, reason = "nodata", f"{n0} stable / {n1} canary requests, {min_requests} per variant needed"
    elif missing or score is None:
        verdict = "nodata"
        reason = f"not enough data for {', '.join(missing) or 'any scored metric'}"
    elif score >= config.pass_score:
        verdict, reason = "pass", f"score {score:g} >= {config.pass_score:g}" + (f" ({', '.join(bad)})" if bad else "")
    elif score >= config.marginal_score:
        verdict, reason = "marginal", f"score {score:g} between {config.marginal_score:g} and {config.pass_score:g}: {', '.join(bad)}"
    else:
        verdict, reason = "fail", f"score {score:g} < {config.marginal_score:g}: {', '.join(bad)}"
    return Analysis(verdict=verdict, score=score, reason=reason, metrics=results, stable_requests=n0,
                    canary_requests=n1, alpha=alpha, critical=critical)
