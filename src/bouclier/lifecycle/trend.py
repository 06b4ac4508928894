"""``bouclier lifecycle trend MODEL``: a model's recorded runs over time (quality,
latency, cost, error rate, unpredictability and every metric, refusal rates included
when a suite measures them), with change points flagged per version.

A silent change of a hosted model (same name, different behaviour) shows as a break
inside one version's series. Each point is the candidate side of a recorded run (what
``bouclier watch`` and ``bouclier check --record`` store); a change of configuration
digest between two points is flagged too, since it can explain a break.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from bouclier import stats
from bouclier.config.lifecycle import PriceConfig
from bouclier.lifecycle.measures import Measures, measures

#: Series shown for every point, in this order (then every suite/metric).
MEASURES = ("quality", "latency_p95_s", "cost_per_1k", "error_rate", "unpredictability")
MIN_POINTS = 4  # a break needs two points on each side


@dataclass(frozen=True)
class TrendPoint:
    run_id: str
    at: str
    version: str
    verdict: str
    origin: str | None
    config_digest: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class TrendBreak:
    measure: str
    version: str
    run_id: str  # first run of the new regime
    at: str
    before: float
    after: float
    p_value: float


@dataclass(frozen=True)
class Trend:
    model: str
    quality_metric: str | None
    points: list[TrendPoint]
    breaks: list[TrendBreak]
    notes: list[str] = field(default_factory=list)


def point_values(m: Measures) -> dict[str, float | None]:
    values: dict[str, float | None] = {
        "quality": m.quality, "latency_p95_s": m.latency_p95_s, "cost_per_1k": m.cost.per_1k_requests,
        "error_rate": m.error_rate, "unpredictability": m.unpredictability}
    values.update(m.metrics)
    return values


def trend(registry: Any, model: str, *, quality_metric: str | None = None,
          prices: Mapping[str, PriceConfig] | None = None, alpha: float = 0.05, seed: int = 0,
          n_permutations: int = 999) -> Trend:
    """The series of ``model``'s recorded runs and their change points."""
    runs = registry.gate_runs(model)
    points = []
    for run in runs:
        label = run.candidate.rpartition("@")[2]
        m = measures(run.result, "candidate", quality_metric=quality_metric, prices=prices, version=label,
                     dataset_digests=run.dataset_digests or None)
        quality_metric = quality_metric or m.quality_metric
        points.append(TrendPoint(run.run_id, m.at, label, run.verdict, m.origin, run.config_digest,
                                 point_values(m)))
    points.sort(key=lambda p: p.at)
    notes, breaks = [], []
    if not points:
        notes.append(f"{model}: no recorded runs (record some with `bouclier watch` or `bouclier check --record`)")
    versions = list(dict.fromkeys(p.version for p in points))
    for version in versions:
        series = [p for p in points if p.version == version]
        for a, b in zip(series, series[1:]):
            if a.config_digest != b.config_digest:
                notes.append(f"{version}: configuration changed at run {b.run_id} "
                             f"({a.config_digest[:12]} -> {b.config_digest[:12]}): a break there may be the config")
        if len(series) < MIN_POINTS:
            notes.append(f"{version}: {len(series)} run(s), change points need at least {MIN_POINTS}")
            continue
        names = list(dict.fromkeys(k for p in series for k in p.values))
        for name in names:
            known = [(p, p.values.get(name)) for p in series if p.values.get(name) is not None]
            if len(known) < MIN_POINTS:
                continue
            found = stats.detect_change_points(values=[v for _, v in known], alpha=alpha, seed=seed,
                                               n_permutations=n_permutations)
            for cp in found:
                p = known[cp.index][0]
                breaks.append(TrendBreak(name, version, p.run_id, p.at, cp.before_mean, cp.after_mean, cp.p_value))
    return Trend(model, quality_metric, points, breaks, notes)
