"""Prometheus metrics of the router, labelled by ``variant`` where it applies.

Two groups, because they are kept in two places:

- :class:`SignalMetrics`: what the signals say (requests, latency, tokens, cost, detector
  flags, feedback), updated by whoever writes the signals: the recorder's worker process
  (values in prometheus-client's multiprocess files, read back at scrape time) or, when
  signals are recorded in a thread, that thread. The request path pays nothing for them;
  they lag the traffic by at most one recorder batch.
- :class:`RouterMetrics`: the router's own state (weights; the signal queue, dropped
  signals and skipped mirrors, read at scrape time), in the router's process, plus the
  signal metrics: ``/metrics`` renders this registry.
"""

from __future__ import annotations

from typing import Any, Iterator

from bouclier.rollout.signals import Signal

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class SignalMetrics:
    def __init__(self, registry: Any) -> None:
        from prometheus_client import Counter, Histogram

        r = registry
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
        self._children: dict[tuple, Any] = {}  # labelled children, looked up once

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
            self._child(self.tokens, v, "prompt").inc(s.prompt_tokens)
        if s.completion_tokens:
            self._child(self.tokens, v, "completion").inc(s.completion_tokens)
        if s.cost:
            self._child(self.cost, v).inc(s.cost)
        if s.inspected:
            self._child(self.inspected, v).inc()
            for name in ("secret", "pii", "canary_token", "refusal"):
                if getattr(s, name):
                    self._child(self.flags, v, name).inc()

    def observe_feedback(self, variant: str | None, value: float) -> None:
        sign = "negative" if value < 0 else "positive" if value > 0 else "neutral"
        self._child(self.feedback, variant or "unknown", sign).inc()


class RouterMetrics:
    """The registry ``/metrics`` renders: the router's own state, and the signal metrics,
    kept here (:meth:`observe_here`, for a recorder thread) or read from a worker process's
    files (:meth:`collect_from`)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Gauge

        self.registry = CollectorRegistry(auto_describe=True)
        self.weight = Gauge("bouclier_router_weight_percent", "Current traffic weight.", ["variant"],
                            registry=self.registry)

    def observe_here(self) -> SignalMetrics:
        return SignalMetrics(self.registry)

    def collect_from(self, multiprocess_dir: str) -> None:
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(self.registry, path=multiprocess_dir)

    def watch(self, recorder: Any, shadow: Any) -> None:
        """Read the signal queue, the dropped signals and the skipped mirrors at scrape time."""
        self.registry.register(_StateCollector(recorder, shadow))

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def set_weights(self, weights: dict[str, Any]) -> None:
        for name, w in weights.items():
            self.weight.labels(name).set(w)


class _StateCollector:
    def __init__(self, recorder: Any, shadow: Any):
        self.recorder = recorder
        self.shadow = shadow

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        r = self.recorder
        yield GaugeMetricFamily("bouclier_router_signal_queue", "Signals waiting to be written.", value=r.depth)
        yield CounterMetricFamily("bouclier_router_signals_dropped",
                                  "Signals dropped (queue full, or lost with a signal worker that died).",
                                  value=r.dropped + r.lost)
        skipped = CounterMetricFamily("bouclier_router_shadow_skipped", "Mirrors skipped, by reason.", labels=["reason"])
        for reason, n in sorted(self.shadow.skipped.items()):
            skipped.add_metric([reason], n)
        yield skipped
