"""Calls, errors, latency percentiles and token counts of each role of a run, from the
per-case responses (every repeat counts): what the correctness run observed (batched,
cached, concurrent calls). The lifecycle figures never use this latency: theirs is the
performance suite's (see :mod:`bouclier.lifecycle.measures`)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bouclier.gate.result import RoleUsage


def _mean(values: list) -> float | None:
    known = [v for v in values if v is not None]
    if not known or len(known) < len(values):  # partial counts would bias the mean
        return None
    return float(np.mean(known))


def role_usage(records: Sequence[Any], names: dict[str, str]) -> list[RoleUsage]:
    """One :class:`RoleUsage` per role in ``names`` (role -> model name)."""
    out = []
    for role, name in names.items():
        responses = []
        for r in records:
            samples = getattr(r, "samples", None) or {}
            responses.extend(samples.get(role) or [r.responses[role]])
        latencies = [x.latency_s for x in responses if x.latency_s is not None]
        p50 = p95 = None
        if latencies:
            p50, p95 = (float(v) for v in np.quantile(latencies, [0.5, 0.95]))
        ok = [x for x in responses if x.ok]
        out.append(RoleUsage(
            role=role, model=name, calls=len(responses), errors=len(responses) - len(ok),
            cached=sum(x.cached for x in responses), latency_p50_s=p50, latency_p95_s=p95,
            mean_input_tokens=_mean([x.input_tokens for x in ok]) if ok else None,
            mean_output_tokens=_mean([x.output_tokens for x in ok]) if ok else None))
    return out
