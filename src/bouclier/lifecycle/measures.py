"""What one role of one recorded run measured: quality, p95 latency, error rate, cost per
1k requests (when priced), unpredictability -- read from a ``result.json`` (a dict, as
the registry stores it, or a :class:`RunResult`).

This is the one place that reads those figures: when the performance/cost gate adds its
own latency percentiles and costs to ``RunResult``, prefer them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from bouclier.config.lifecycle import PriceConfig

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Cost:
    per_1k_requests: float | None  # None = unknown, never 0 for "not priced"
    note: str  # how it was computed, or why it is unknown

    @property
    def known(self) -> bool:
        return self.per_1k_requests is not None

    def __str__(self) -> str:
        return f"{self.per_1k_requests:.4g}" if self.known else UNKNOWN


@dataclass(frozen=True)
class Measures:
    run_id: str
    at: str  # started_at of the run (ISO 8601)
    role: str
    model: str  # the models: name of that role in the run
    fingerprint: str
    config_digest: str
    dataset_digests: dict[str, str]
    quality_metric: str | None
    quality: float | None
    metrics: dict[str, float]  # "suite/metric" -> mean
    latency_p50_s: float | None
    latency_p95_s: float | None
    error_rate: float | None
    mean_input_tokens: float | None
    mean_output_tokens: float | None
    unpredictability: float | None
    unpredictability_high: float | None
    verdict: str | None  # the run's verdict when this role is the candidate
    origin: str | None
    cost: Cost = field(default_factory=lambda: Cost(None, "no price table"))


def _as_dict(result: Any) -> dict:
    if isinstance(result, Mapping):
        return dict(result)
    return result.model_dump(mode="json")


def price_for(prices: Mapping[str, PriceConfig], *names: str | None) -> tuple[str, PriceConfig] | None:
    """The first price whose key is one of ``names`` (a models: name, ``name@label`` or a label)."""
    for name in names:
        if not name:
            continue
        for key in (name, name.rpartition("@")[2]):
            if key in prices:
                return key, prices[key]
    return None


def cost_per_1k(price: PriceConfig | None, *, input_tokens: float | None, output_tokens: float | None,
                key: str = "") -> Cost:
    """Cost of 1,000 requests: flat price + mean tokens x token prices. Unknown (None)
    when there is no price or a token price needs counts the model did not report."""
    if price is None:
        return Cost(None, "no price configured (lifecycle.prices)")
    total, parts = 0.0, []
    if price.per_1k_requests is not None:
        total += price.per_1k_requests
        parts.append(f"{price.per_1k_requests:g} per 1k requests")
    for label, unit, tokens in (("input", price.input_per_1k_tokens, input_tokens),
                                ("output", price.output_per_1k_tokens, output_tokens)):
        if unit is None:
            continue
        if tokens is None:
            return Cost(None, f"price '{key}' is per {label} token but the model reported no token counts")
        total += tokens * unit  # 1000 requests x tokens/request x unit/1000 tokens
        parts.append(f"{tokens:.1f} {label} tokens x {unit:g}/1k")
    return Cost(total, f"{price.currency}: " + " + ".join(parts))


def measures(result: Any, role: str, *, quality_metric: str | None = None,
             prices: Mapping[str, PriceConfig] | None = None, version: str | None = None,
             dataset_digests: Mapping[str, str] | None = None) -> Measures:
    """The figures of ``role`` ('baseline' or 'candidate') in one run."""
    r = _as_dict(result)
    info = r[role]
    metrics: dict[str, float] = {}
    for suite in r.get("suites", []):
        for m in suite.get("metrics", []):
            metrics[f"{suite['name']}/{m['name']}"] = float(m[f"{role}_mean"])
    if quality_metric is None:
        first = next(iter(metrics), None)
        quality_metric = first.split("/", 1)[1] if first else None
    quality = next((v for k, v in metrics.items() if k.split("/", 1)[1] == quality_metric), None)
    usage = next((u for u in r.get("usage", []) if u.get("role") == role), None) or {}
    calls, errors = usage.get("calls"), usage.get("errors")
    if calls is None:  # runs written before usage existed: errors per suite
        calls = sum(s.get("n_cases", 0) for s in r.get("suites", []))
        errors = sum(s.get("errors", {}).get(role, 0) for s in r.get("suites", []))
    stab = [s for suite in r.get("suites", []) for s in suite.get("stability", []) if s.get("role") == role]
    worst = max(stab, key=lambda s: s["ci_high"]) if stab else None
    found = price_for(prices or {}, info["name"], version)
    cost = cost_per_1k(found[1] if found else None, input_tokens=usage.get("mean_input_tokens"),
                       output_tokens=usage.get("mean_output_tokens"), key=found[0] if found else "")
    digests = dict(dataset_digests or {s["name"]: s["dataset_digest"] for s in r.get("suites", [])})
    return Measures(
        run_id=r["run_id"], at=r["started_at"], role=role, model=info["name"], fingerprint=info["fingerprint"],
        config_digest=r["config_digest"], dataset_digests=digests, quality_metric=quality_metric,
        quality=quality, metrics=metrics, latency_p50_s=usage.get("latency_p50_s"),
        latency_p95_s=usage.get("latency_p95_s"), error_rate=(errors / calls) if calls else None,
        mean_input_tokens=usage.get("mean_input_tokens"), mean_output_tokens=usage.get("mean_output_tokens"),
        unpredictability=worst["unpredictability"] if worst else None,
        unpredictability_high=worst["ci_high"] if worst else None,
        verdict=r["verdict"] if role == "candidate" else None, origin=r.get("origin"), cost=cost)


def config_prices(config: Any) -> dict[str, PriceConfig]:
    """``lifecycle.prices`` of a bouclier.yaml, also keyed by each model's registry
    ``version:`` label, so that recorded runs of that version find their price."""
    policy = getattr(config, "lifecycle", None)
    prices = dict(policy.prices) if policy else {}
    for name, spec in config.models.items():
        if spec.version and name in prices and spec.version not in prices:
            prices[spec.version] = prices[name]
    return prices
