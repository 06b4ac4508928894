"""The metrics a canary analysis can compare, and how each is read from the signals.

Continuous metrics give one number per request (compared by Mann-Whitney with the
Hodges-Lehmann shift); rates give a count of events out of a number of trials (compared
by Fisher's exact test with a Newcombe interval, which stay honest with 0 events). Leaks
are *critical*: a single one on the canary rolls back at once, whatever the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

from bouclier.rollout.signals import Feedback, Signal

Kind = Literal["continuous", "rate", "leak"]


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    kind: Kind
    description: str
    values: Callable[[Sequence[Signal]], list[float]] | None = None  # continuous
    events: Callable[[Sequence[Signal], Sequence[Feedback]], tuple[int, int]] | None = None  # rate/leak: (x, n)


def _values(attr: str) -> Callable[[Sequence[Signal]], list[float]]:
    def read(signals: Sequence[Signal]) -> list[float]:
        return [float(getattr(s, attr)) for s in signals if s.outcome == "ok" and getattr(s, attr) is not None]

    return read


def _rate(predicate: Callable[[Signal], bool], *, inspected_only: bool = False):
    def count(signals: Sequence[Signal], feedback: Sequence[Feedback]) -> tuple[int, int]:
        pool = [s for s in signals if s.inspected] if inspected_only else list(signals)
        return sum(1 for s in pool if predicate(s)), len(pool)

    return count


def _negative_feedback(signals: Sequence[Signal], feedback: Sequence[Feedback]) -> tuple[int, int]:
    return sum(1 for f in feedback if f.value < 0), len(feedback)


METRICS: dict[str, MetricDefinition] = {m.name: m for m in (
    MetricDefinition("latency", "continuous", "time to the last byte of an answer (ms, successful requests)",
                     values=_values("latency_ms")),
    MetricDefinition("ttft", "continuous", "time to the first byte of a streamed answer (ms)",
                     values=_values("ttft_ms")),
    MetricDefinition("cost", "continuous", "cost per successful request", values=_values("cost")),
    MetricDefinition("completion_tokens", "continuous", "completion tokens per successful request",
                     values=_values("completion_tokens")),
    MetricDefinition("error_rate", "rate", "share of requests that failed upstream (5xx, connection, invalid)",
                     events=_rate(lambda s: s.is_error)),
    MetricDefinition("timeout_rate", "rate", "share of requests that timed out", events=_rate(lambda s: s.outcome == "timeout")),
    MetricDefinition("refusal_rate", "rate", "share of inspected answers that are refusals",
                     events=_rate(lambda s: bool(s.refusal), inspected_only=True)),
    MetricDefinition("pii_rate", "rate", "share of inspected answers with personal data",
                     events=_rate(lambda s: bool(s.pii), inspected_only=True)),
    MetricDefinition("negative_feedback_rate", "rate", "share of feedback that is negative", events=_negative_feedback),
    MetricDefinition("secret_leak", "leak", "answers containing a secret", events=_rate(lambda s: bool(s.secret), inspected_only=True)),
    MetricDefinition("canary_token_leak", "leak", "answers containing a planted canary token",
                     events=_rate(lambda s: bool(s.canary_token), inspected_only=True)),
)}
