"""Synthetic live traffic for checking the analysis and the controller by simulation
(seeded): requests of a variant with a given error rate, latency distribution, refusals
and leaks, as the router would have recorded them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from bouclier.rollout.signals import Feedback, Signal


@dataclass(frozen=True)
class Behaviour:
    error_rate: float = 0.01
    timeout_rate: float = 0.0
    latency_median_ms: float = 400.0
    latency_sigma: float = 0.5  # of log latency: p95 = median * exp(1.645 sigma)
    refusal_rate: float = 0.02
    leaks: int = 0  # answers with a secret among the first requests
    cost: float = 0.002
    negative_feedback_rate: float = 0.1
    feedback_share: float = 0.2


def synthesise(*, rng: np.random.Generator, rollout_id: str, variant: str, n: int, behaviour: Behaviour,
               start: float, end: float, kind: str = "primary") -> tuple[list[Signal], list[Feedback]]:
    """``n`` requests of ``variant`` spread uniformly over [start, end)."""
    b = behaviour
    ts = np.sort(rng.uniform(start, end, size=n)) if n else np.array([])
    u = rng.uniform(size=n)
    lat = b.latency_median_ms * np.exp(b.latency_sigma * rng.standard_normal(n))
    refusal = rng.uniform(size=n) < b.refusal_rate
    fb = rng.uniform(size=n)
    neg = rng.uniform(size=n) < b.negative_feedback_rate
    signals, feedback = [], []
    for i in range(n):
        rid = uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i).hex
        if u[i] < b.timeout_rate:
            outcome, status = "timeout", 504
        elif u[i] < b.timeout_rate + b.error_rate:
            outcome, status = "http_error", 500
        else:
            outcome, status = "ok", 200
        ok = outcome == "ok"
        signals.append(Signal(
            request_id=rid, rollout_id=rollout_id, ts=float(ts[i]), variant=variant, kind=kind, status=status,
            outcome=outcome, latency_ms=float(lat[i]), cost=b.cost if ok else None, inspected=ok,
            secret=(1 if i < b.leaks else 0) if ok else None, refusal=bool(refusal[i]) if ok else None,
            canary_token=0 if ok else None, pii=0 if ok else None))
        if ok and fb[i] < b.feedback_share:
            feedback.append(Feedback(request_id=rid, ts=float(ts[i]) + 0.001, value=-1.0 if neg[i] else 1.0,
                                     rollout_id=rollout_id, variant=variant))
    return signals, feedback
