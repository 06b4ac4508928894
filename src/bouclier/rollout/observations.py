"""What the canary analysis reads: per variant, the observations of each metric over a window.

:class:`Observations` is the analysis's input, whatever the signals came from: the number
of requests and errors, sample values of each continuous metric, and (events, trials) of
each rate. A :class:`SignalSource` produces them for both variants of a window:

- :class:`RouterSignals` reads the router's :class:`~bouclier.rollout.signals.SignalStore`
  (one value per request);
- :class:`~bouclier.rollout.prometheus.PrometheusSignals` evaluates PromQL (one value per
  step of a range query, counts from ``increase()`` over the window).

A source that cannot answer raises :class:`SignalSourceError`: that is no evidence about the
canary, so the analysis service turns it into an inconclusive answer, never a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol, Sequence, runtime_checkable

from bouclier.errors import BouclierError
from bouclier.rollout.canary_metrics import METRICS
from bouclier.rollout.signals import Feedback, Signal, SignalStore

VARIANTS = ("stable", "canary")


class SignalSourceError(BouclierError):
    """The signals cannot be read (source unreachable, query rejected): exit code 4."""

    exit_code = 4


@dataclass(frozen=True)
class Observations:
    """One variant over one window. A metric absent from ``values`` / ``events`` has no data."""

    requests: int
    errors: int
    values: Mapping[str, Sequence[float]] = field(default_factory=dict)  # continuous metric -> samples
    events: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # rate or leak -> (events, trials)


def observe_signals(signals: Sequence[Signal], feedback: Sequence[Feedback] = (),
                    metrics: Sequence[str] | None = None) -> Observations:
    """Observations of the router's per-request signals (those forced by the tester header
    are left out)."""
    kept = [s for s in signals if not s.forced]
    values: dict[str, list[float]] = {}
    events: dict[str, tuple[int, int]] = {}
    for name in metrics if metrics is not None else METRICS:
        d = METRICS[name]
        if d.kind == "continuous":
            values[name] = d.values(kept)
        else:
            events[name] = d.events(kept, feedback)
    return Observations(requests=len(kept), errors=sum(1 for s in kept if s.is_error), values=values, events=events)


@runtime_checkable
class SignalSource(Protocol):
    """Observations of both variants of a rollout over ``[since, until)``.

    ``identities`` maps a variant to how the caller names it (Argo's pod template hashes);
    sources that do not need it ignore it. Blocking: call it from a worker thread."""

    name: str

    def observe(self, *, rollout_id: str, since: float, until: float, metrics: Sequence[str],
                identities: Mapping[str, str] | None = None) -> dict[str, Observations]: ...


class RouterSignals:
    """The router's signal store as a :class:`SignalSource`."""

    name = "router"

    def __init__(self, store: SignalStore):
        self.store = store

    def observe(self, *, rollout_id: str, since: float, until: float, metrics: Sequence[str],
                identities: Mapping[str, str] | None = None) -> dict[str, Observations]:
        out = {}
        for variant in VARIANTS:
            kw = dict(rollout_id=rollout_id, variant=variant, since=since, until=until)
            out[variant] = observe_signals(self.store.window(**kw), self.store.feedback(**kw), metrics)
        return out
