"""Live signals of a rollout: what the analysis (issue 9) reads, per variant and window.

One :class:`Signal` per upstream attempt. ``kind`` says which:

- ``primary``: the attempt that answered (or failed for) a client request, on the variant
  the request was assigned to. Exactly one per client request: the analysis counts these.
- ``failover``: the retry on stable of a failed canary request (the canary's own attempt is
  the primary row, with ``outcome`` error/timeout and ``failed_over`` set).
- ``shadow``: a mirrored call to the canary; ``pair_of`` is the request id of the stable
  answer the client received, for paired comparison.

The :class:`SignalStore` protocol is the contract, with two implementations chosen by
:func:`open_signal_store`: :class:`~bouclier.rollout.sqlite_store.SQLiteSignalStore` (a file,
the default) and :class:`~bouclier.rollout.registry_store.RegistrySignalStore` (the
registry's database, SQLite or PostgreSQL).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, Protocol, Sequence, runtime_checkable

SCHEMA_VERSION = 1

Kind = Literal["primary", "failover", "shadow"]
Outcome = Literal["ok", "http_error", "error", "timeout", "invalid_response", "client_closed", "rejected"]
ERROR_OUTCOMES = frozenset({"http_error", "error", "timeout", "invalid_response"})
"""Outcomes that count as a failure of the upstream (4xx answers are ``ok``: the client's fault)."""


@dataclass
class Signal:
    request_id: str
    rollout_id: str
    ts: float  # unix time the router received the request
    variant: str  # the upstream that was called
    kind: Kind = "primary"
    method: str = "POST"
    path: str = "/"
    status: int = 0  # sent to the client (primary) or received from the upstream; 0: none
    outcome: Outcome = "ok"
    error: str | None = None  # short reason, never a body
    latency_ms: float | None = None  # request received -> last byte of the answer
    ttft_ms: float | None = None  # request received -> first body byte of a streamed answer
    streamed: bool = False
    bucket: int | None = None
    key_source: str | None = None
    forced: bool = False  # tester header: excluded from the analysis
    failed_over: bool = False
    pair_of: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    inspected: bool = False
    secret: int | None = None  # number of findings; None when not inspected
    pii: int | None = None
    canary_token: int | None = None
    refusal: bool | None = None
    output_sha256: str | None = None  # digest of the answer text (pairs in shadow mode)
    output_chars: int | None = None
    weights_epoch: int = 0  # increases at every weight change: a step's window

    @property
    def is_error(self) -> bool:
        return self.outcome in ERROR_OUTCOMES

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass
class Feedback:
    request_id: str
    ts: float
    value: float  # -1 (bad) .. 1 (good)
    rollout_id: str = ""
    variant: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class WeightChange:
    rollout_id: str
    ts: float
    epoch: int
    weights: dict[str, float]
    reason: str = ""


@dataclass
class VariantSummary:
    """Counts of one variant's primary signals in a window (what ``/admin/status`` shows)."""

    variant: str
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    failed_over: int = 0
    inspected: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    latency_p50_ms: float | None = None
    feedback: int = 0
    feedback_negative: int = 0


@runtime_checkable
class SignalStore(Protocol):
    """Where signals go and where the analysis reads them. Writes come from one background
    thread; reads from any thread (implementations open what they need per thread)."""

    where: str  # where the signals are, for messages (a path, or a URL without its password)

    def write(self, signals: Sequence[Signal], feedback: Sequence[Feedback] = ()) -> None: ...

    def window(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
               until: float | None = None, kinds: Sequence[str] = ("primary",),
               include_forced: bool = False, epoch: int | None = None) -> list[Signal]:
        """Signals of a rollout, oldest first: ``ts`` in [since, until), of these kinds,
        optionally of one weights epoch (one step of the rollout)."""
        ...

    def feedback(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
                 until: float | None = None) -> list[Feedback]: ...

    def summary(self, *, rollout_id: str, since: float | None = None,
                until: float | None = None) -> dict[str, VariantSummary]: ...

    def variant_of(self, request_id: str) -> tuple[str, str] | None:
        """(rollout id, variant) of a recorded primary request, None if unknown."""
        ...

    def count(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
              until: float | None = None) -> int:
        """How many client requests (primary, not forced) :meth:`window` would return,
        without reading them (the lifecycle report's traffic over days)."""
        ...

    def first_ts(self) -> float | None:
        """When the oldest signal of any rollout was received (None: an empty store)."""
        ...

    def rollout_ids(self, *, since: float, until: float) -> list[str]:
        """The rollout ids that received requests in [since, until)."""
        ...

    def record_weights(self, change: WeightChange) -> None: ...

    def latest_weights(self, rollout_id: str) -> WeightChange | None: ...

    def close(self) -> None: ...


def summarise(store: SignalStore, *, rollout_id: str, since: float | None = None,
              until: float | None = None) -> dict[str, VariantSummary]:
    """Counts of each variant's primary signals and feedback in a window, from any store."""
    out: dict[str, VariantSummary] = {}
    for variant in ("stable", "canary"):
        sig = store.window(rollout_id=rollout_id, variant=variant, since=since, until=until)
        s = VariantSummary(variant=variant, requests=len(sig))
        s.errors = sum(1 for x in sig if x.is_error)
        s.timeouts = sum(1 for x in sig if x.outcome == "timeout")
        s.failed_over = sum(1 for x in sig if x.failed_over)
        s.inspected = sum(1 for x in sig if x.inspected)
        s.flagged = {name: sum(1 for x in sig if getattr(x, name)) for name in ("secret", "pii", "canary_token", "refusal")}
        lat = [x.latency_ms for x in sig if x.latency_ms is not None]
        s.latency_p50_ms = statistics.median(lat) if lat else None
        fb = store.feedback(rollout_id=rollout_id, variant=variant, since=since, until=until)
        s.feedback, s.feedback_negative = len(fb), sum(1 for f in fb if f.value < 0)
        out[variant] = s
    return out


def is_database_store(spec: str) -> bool:
    """Whether a store setting names a database (``registry`` or a URL), not a file."""
    return spec == "registry" or "://" in spec


def open_signal_store(spec: str, *, base_dir: str | Path | None = None) -> SignalStore:
    """The store a configuration names: ``registry`` (the registry's database:
    ``BOUCLIER_DATABASE_URL``, else ``.bouclier/bouclier.db``), a database URL
    (``postgresql+psycopg://...``, ``sqlite:///...``: the registry's tables there), or a
    SQLite file path (relative to ``base_dir``)."""
    if is_database_store(spec):
        from bouclier.rollout.registry_store import RegistrySignalStore

        return RegistrySignalStore(None if spec == "registry" else spec)
    from bouclier.rollout.sqlite_store import SQLiteSignalStore

    path = Path(spec)
    return SQLiteSignalStore(path if path.is_absolute() or base_dir is None else Path(base_dir) / path)
