"""What one role of one recorded run measured: quality, p95 latency, error rate, cost per
1k requests, unpredictability -- read from a ``result.json`` (a dict, as the registry
stores it, or a :class:`RunResult`).

This is the one place that reads those figures. Latency and cost come from the run's
performance suite (``suites[].performance`` and ``suites[].cost`` of the first suite of
kind ``performance``, its first load level), never from the latency the correctness suites
happened to observe: without a performance suite they are unknown, and said so. A flat
``per_1k_requests`` price needs no measurement; a token price is applied to the tokens per
request the performance suite counted.
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
    latency_p50_s: float | None  # from the performance suite; None = not measured
    latency_p95_s: float | None
    latency_note: str  # where the latency was measured, or why it is unknown
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


def performance_of(result: Mapping[str, Any], role: str) -> tuple[dict | None, dict | None, str]:
    """(load of ``role`` at the first load level, its cost, a description) of the run's first
    performance suite; (None, None, why) without one."""
    for suite in result.get("suites", []):
        perf = suite.get("performance")
        if suite.get("kind") != "performance" or not perf or not perf.get("levels"):
            continue
        level = perf["levels"][0]
        load = level[role]
        cost = (suite.get("cost") or {}).get(role)
        return load, cost, f"performance suite '{suite['name']}', {level['label']}, {load['requests']} requests"
    return None, None, "no performance suite in the run"


def _latency(load: dict | None, where: str) -> tuple[float | None, float | None, str]:
    if load is None:
        return None, None, where
    dist = load.get("latency_ms")
    if not dist:
        return None, None, f"{where}: no answered request to time"
    return dist["p50"] / 1000, dist["p95"] / 1000, where


def _cost(measured: dict | None, where: str, found: tuple[str, PriceConfig] | None) -> Cost:
    """The performance suite's own cost (the models' price tables) when it priced the calls;
    else the ``lifecycle.prices`` entry, token prices applied to its token counts."""
    if measured and measured.get("known") and measured.get("usd_per_1k") is not None:
        return Cost(float(measured["usd_per_1k"]), f"USD, {where} (models' price table)")
    if found is None:
        why = (measured or {}).get("reason") or where
        return Cost(None, f"no price in lifecycle.prices and none measured ({why})")
    key, price = found
    per_token = price.input_per_1k_tokens is not None or price.output_per_1k_tokens is not None
    n = (measured or {}).get("requests") or 0
    if per_token and not n:
        return Cost(None, f"price '{key}' is per token, and no performance suite counted tokens per request "
                          f"({where if measured is None else where + ': no answered request'})")
    mean = {side: (measured[f"{side}_tokens"] / n if n and measured.get(f"{side}_tokens") is not None else None)
            for side in ("input", "output")}
    return cost_per_1k(price, input_tokens=mean["input"], output_tokens=mean["output"], key=key)


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
        calls = sum(s.get("n_cases", 0) for s in r.get("suites", []) if s.get("kind", "quality") != "performance")
        errors = sum(s.get("errors", {}).get(role, 0) for s in r.get("suites", [])
                     if s.get("kind", "quality") != "performance")
    stab = [s for suite in r.get("suites", []) for s in suite.get("stability", []) if s.get("role") == role]
    worst = max(stab, key=lambda s: s["ci_high"]) if stab else None
    load, measured_cost, where = performance_of(r, role)
    p50, p95, latency_note = _latency(load, where)
    cost = _cost(measured_cost, where, price_for(prices or {}, info["name"], version))
    digests = dict(dataset_digests or {s["name"]: s["dataset_digest"] for s in r.get("suites", [])})
    return Measures(
        run_id=r["run_id"], at=r["started_at"], role=role, model=info["name"], fingerprint=info["fingerprint"],
        config_digest=r["config_digest"], dataset_digests=digests, quality_metric=quality_metric,
        quality=quality, metrics=metrics, latency_p50_s=p50, latency_p95_s=p95, latency_note=latency_note,
        error_rate=(errors / calls) if calls else None,
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
