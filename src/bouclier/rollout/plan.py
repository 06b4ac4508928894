"""The ``rollout:`` section: steps, shadow phase, manual gates and the canary analysis.

Loaded from the same YAML file as the router (``load_rollout_config``) or, once declared
on :class:`bouclier.config.schema.Config`, from bouclier.yaml. Every model forbids unknown
keys; problems name the file, line and key (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bouclier.rollout.canary_metrics import METRICS
from bouclier.rollout.prometheus import PrometheusConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricConfig(_Strict):
    """One metric of the analysis (Kayenta style: a tolerance, a weight, critical or not)."""

    name: str = Field(..., description=f"One of: {', '.join(METRICS)}.")
    weight: float = Field(10.0, ge=0, le=100, description="Share of the score this metric carries.")
    allowed_increase: float = Field(
        0.1, ge=0,
        description="Tolerated worsening before 'High': relative for continuous metrics (0.1 = +10% of "
        "stable's median), absolute for rates (0.01 = +1 percentage point).")
    direction: Literal["increase", "decrease", "either"] = Field(
        "increase", description="Which change is bad (latency: increase).")
    required: bool = Field(False, description="Without enough data for this metric, the step never promotes.")
    min_samples: int = Field(20, ge=1, description="Fewer values (or trials) per variant: NoData.")
    statistic: str = Field(
        "median",
        description="Continuous metrics only: 'median' (Mann-Whitney, Hodges-Lehmann shift) or a quantile "
        "'pNN' such as p95 or p99.9 (seeded bootstrap of the canary/stable quantile ratio).")
    resamples: int = Field(2000, ge=200, le=100_000, description="Bootstrap resamples of a quantile statistic.")

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"unknown metric {v!r}: expected one of {', '.join(METRICS)}")
        return v

    @field_validator("statistic")
    @classmethod
    def _statistic(cls, v: str) -> str:
        if v != "median" and quantile_of(v) is None:
            raise ValueError(f"unknown statistic {v!r}: expected 'median' or a quantile 'pNN' from p1 to p99.9 "
                             "such as p95 or p99")
        return v

    @model_validator(mode="after")
    def _statistic_of_continuous(self) -> "MetricConfig":
        if self.statistic != "median" and METRICS[self.name].kind != "continuous":
            continuous = ", ".join(n for n, d in METRICS.items() if d.kind == "continuous")
            raise ValueError(f"statistic {self.statistic!r} applies to continuous metrics ({continuous}), "
                             f"not to {self.name!r}")
        return self

    @property
    def quantile(self) -> float | None:
        """The quantile judged (0.95 for p95), None for the median shift."""
        return quantile_of(self.statistic)

    @property
    def key(self) -> str:
        """The metric's name in the analysis: ``latency``, or ``latency_p95`` for a quantile."""
        return self.name if self.statistic == "median" else f"{self.name}_{self.statistic}"


_QUANTILE = re.compile(r"p(\d{1,2}(?:\.\d{1,3})?)")


def quantile_of(statistic: str) -> float | None:
    """``"p95"`` -> 0.95; None when ``statistic`` is not a quantile from p1 to p99.9."""
    m = _QUANTILE.fullmatch(statistic)
    if m is None:
        return None
    q = float(m.group(1)) / 100
    return q if 0.01 <= q <= 0.999 else None


def known_metric(name: str) -> bool:
    """A metric name, or a metric name with a quantile suffix (``latency_p95``)."""
    base, _, stat = name.rpartition("_")
    return name in METRICS or (base in METRICS and METRICS[base].kind == "continuous" and quantile_of(stat) is not None)


def _default_metrics() -> list[MetricConfig]:
    return [
        MetricConfig(name="error_rate", weight=30, allowed_increase=0.002, required=True),
        MetricConfig(name="latency", weight=30, allowed_increase=0.1, required=True),
        MetricConfig(name="ttft", weight=10, allowed_increase=0.1),
        MetricConfig(name="timeout_rate", weight=10, allowed_increase=0.002),
        MetricConfig(name="refusal_rate", weight=10, allowed_increase=0.02),
        MetricConfig(name="negative_feedback_rate", weight=5, allowed_increase=0.05),
        MetricConfig(name="cost", weight=5, allowed_increase=0.2),
        MetricConfig(name="secret_leak", weight=0),
        MetricConfig(name="canary_token_leak", weight=0),
    ]


class AnalysisConfig(_Strict):
    metrics: list[MetricConfig] = Field(default_factory=_default_metrics, min_length=1)
    pass_score: float = Field(95.0, ge=0, le=100, description="Score at or above: the step passes.")
    marginal_score: float = Field(75.0, ge=0, le=100, description="Below: roll back; between: extend the step.")
    false_rollback_rate: float = Field(
        0.05, gt=0, lt=0.5,
        description="Chance of rolling back an identical canary over the whole rollout; split over the "
        "planned analyses and the metrics (Bonferroni), so repeated looks do not inflate it.")
    error_rate_ceiling: float = Field(
        0.2, gt=0, le=1, description="Canary error rate surely above this (95% Wilson lower bound): roll back at once.")
    max_extensions: int = Field(2, ge=0, le=100, description="Times a step is extended for lack of data before pausing.")

    @model_validator(mode="after")
    def _thresholds(self) -> "AnalysisConfig":
        if self.marginal_score > self.pass_score:
            raise ValueError(f"marginal_score ({self.marginal_score:g}) must not exceed pass_score ({self.pass_score:g})")
        names = [m.key for m in self.metrics]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"metric {dup[0]!r} is listed twice (a second entry of a metric needs another statistic)")
        return self


class StepConfig(_Strict):
    weight: float = Field(..., gt=0, le=100, description="Percent of traffic on the canary during this step.")
    min_duration_s: float = Field(300.0, ge=0, description="Shortest time in the step before it is judged.")
    min_requests: int = Field(200, ge=1, description="Requests per variant needed before it is judged.")
    pause: bool = Field(False, description="Manual gate: after this step passes, wait for `bouclier rollout resume`.")
    metrics: list[str] | None = Field(
        None, description="Subset of the analysis metrics judged at this step (a name such as latency selects "
        "each of its statistics; latency_p95 one).")

    @field_validator("metrics")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        for name in v or []:
            if not known_metric(name):
                raise ValueError(f"unknown metric {name!r}: expected one of {', '.join(METRICS)} "
                                 "(or a continuous one with a quantile suffix such as latency_p95)")
        return v


def _default_steps() -> list[StepConfig]:
    return [StepConfig(weight=w) for w in (5, 25, 50, 100)]


class ShadowPhaseConfig(_Strict):
    share: float = Field(10.0, gt=0, le=100, description="Percent of stable's requests mirrored to the canary.")
    min_duration_s: float = Field(300.0, ge=0)
    min_requests: int = Field(200, ge=1)


class TrafficConfig(_Strict):
    """How the controller moves traffic: the router's admin API."""

    admin_url: str = Field("http://127.0.0.1:8080", description="Base URL of the router.")
    token_env: str = Field("BOUCLIER_ROUTER_TOKEN", description="Environment variable holding the admin token.")
    signals: str = Field(".bouclier/signals.sqlite", description=(
        "The router's signal store: a SQLite file relative to the config, 'registry' or a database URL "
        "(the router's signals.store)."))
    unreachable_s: float = Field(300.0, gt=0, le=86_400, description=(
        "How long the controller keeps retrying an unreachable router before it stops (exit 4, the rollout "
        "left where it was: `rollout start` again resumes it)."))


class RolloutConfig(_Strict):
    """The ``rollout:`` section."""

    model: str = Field(..., description="Model name in the registry; its production alias moves on promotion.")
    rollout_id: str = Field(..., min_length=1, max_length=200, description="The router's rollout_id.")
    steps: list[StepConfig] = Field(default_factory=_default_steps, min_length=1)
    shadow: ShadowPhaseConfig | None = None
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    interval_s: float = Field(10.0, gt=0, le=3600, description="How often the controller looks.")
    lease_s: float = Field(30.0, gt=0, description="A controller silent this long loses its lease.")
    traffic: TrafficConfig = Field(default_factory=TrafficConfig)
    analysis_source: Literal["router", "prometheus"] = Field(
        "router", description="Where `bouclier serve-analysis` reads signals unless a request names its "
        "source (the controller always reads the router's store).")
    prometheus: PrometheusConfig | None = Field(
        None, description="Prometheus and the PromQL of each metric, for `bouclier serve-analysis`.")

    @field_validator("steps")
    @classmethod
    def _increasing(cls, v: list[StepConfig]) -> list[StepConfig]:
        for i in range(1, len(v)):
            if v[i].weight <= v[i - 1].weight:
                raise ValueError(f"steps must increase: step {i + 1} ({v[i].weight:g}%) is not above "
                                 f"step {i} ({v[i - 1].weight:g}%)")
        return v

    @model_validator(mode="after")
    def _prometheus_configured(self) -> "RolloutConfig":
        if self.analysis_source == "prometheus" and self.prometheus is None:
            raise ValueError("analysis_source is prometheus but there is no prometheus: section "
                             "(give at least prometheus.url)")
        return self

    @model_validator(mode="after")
    def _step_metrics_analysed(self) -> "RolloutConfig":
        names = {m.name for m in self.analysis.metrics} | {m.key for m in self.analysis.metrics}
        for i, step in enumerate(self.steps):
            for name in step.metrics or []:
                if name not in names:
                    raise ValueError(f"step {i + 1} names metric {name!r}, which analysis.metrics does not list")
        return self

    def metric(self, key: str) -> MetricConfig:
        return next(m for m in self.analysis.metrics if m.key == key)

    @property
    def planned_analyses(self) -> int:
        """Analyses a rollout may run: each judged step (and the shadow phase), with its extensions."""
        judged = sum(1 for s in self.steps if s.weight < 100) + (1 if self.shadow else 0)
        return max(1, judged) * (1 + self.analysis.max_extensions)


@dataclass(frozen=True)
class LoadedRolloutConfig:
    config: RolloutConfig
    path: Path
    digest: str

    @property
    def signals_path(self) -> Path:
        p = Path(self.config.traffic.signals)
        return p if p.is_absolute() else self.path.parent / p


def load_rollout_config(path: str | Path) -> LoadedRolloutConfig:
    """Read the ``rollout:`` section of a YAML file; :class:`ConfigError` lists every problem."""
    from bouclier.config.loader import load_section

    config, resolved, digest = load_section(path, "rollout", RolloutConfig, doc="docs/rollout.md")
    return LoadedRolloutConfig(config=config, path=resolved, digest=digest)
