"""Prometheus metrics of the router (one registry per router), all labelled by ``variant``.

Updated by the recorder's background thread from the signals, so the request path pays
nothing for them; they lag the traffic by at most one recorder batch.
"""

from __future__ import annotations

from typing import Any

from bouclier.rollout.signals import Signal

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class RouterMetrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("bouclier_router_requests", "Upstream attempts by variant, kind and outcome.",
                                ["variant", "kind", "outcome", "code"], registry=r)
        self.latency = Histogram("bouclier_router_latency_seconds", "Request latency (primary attempts).",
                                 ["variant"], buckets=_LATENCY_BUCKETS, registry=r)
        self.ttft = Histogram("bouclier_router_ttft_seconds", "Time to first token of streamed answers.",
                              ["variant"], buckets=_LATENCY_BUCKETS, registry=r)
        self.tokens = Counter("bouclier_router_tokens", "Tokens reported by the upstreams.",
                              ["variant", "type"], registry=r)
        self.cost = Counter("bouclier_router_cost", "Cost of the answers (configured prices or reported cost).",
                            ["variant"], registry=r)
        self.flags = Counter("bouclier_router_detector_flags", "Inspected answers flagged, by detector.",
                             ["variant", "detector"], registry=r)
        self.inspected = Counter("bouclier_router_inspected", "Answers run through the detectors.",
                                 ["variant"], registry=r)
        self.feedback = Counter("bouclier_router_feedback", "User feedback by variant and sign.",
                                ["variant", "sign"], registry=r)
        self.weight = Gauge("bouclier_router_weight_percent", "Current traffic weight.", ["variant"], registry=r)
        self.dropped = Counter("bouclier_router_signals_dropped", "Signals dropped because the queue was full.",
                               registry=r)
        self.queue = Gauge("bouclier_router_signal_queue", "Signals waiting to be written.", registry=r)
        self._children: dict[tuple, Any] = {}  # labelled children, looked up once
        self.shadow_skipped = Counter("bouclier_router_shadow_skipped", "Mirrors skipped, by reason.",
                                      ["reason"], registry=r)

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(self, s: Signal) -> None:
        v = s.variant
        self._child(self.requests, v, s.kind, s.outcome, str(s.status)).inc()
        if s.kind != "primary":
            return
        if s.latency_ms is not None:
            self._child(self.latency, v).observe(s.latency_ms / 1000)
        if s.ttft_ms is not None:
            self._child(self.ttft, v).observe(s.ttft_ms / 1000)
        if s.prompt_tokens:
            self.tokens.labels(v, "prompt").inc(s.prompt_tokens)
        if s.completion_tokens:
            self.tokens.labels(v, "completion").inc(s.completion_tokens)
        if s.cost:
            self.cost.labels(v).inc(s.cost)
        if s.inspected:
            self.inspected.labels(v).inc()
            for name in ("secret", "pii", "canary_token", "refusal"):
                if getattr(s, name):
                    self.flags.labels(v, name).inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def set_weights(self, weights: dict[str, Any]) -> None:
        for name, w in weights.items():
            self.weight.labels(name).set(w)
