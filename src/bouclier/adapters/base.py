"""The contract every model adapter implements.

A ``Model`` turns one :class:`Request` into one :class:`Completion`. It measures its own
latency (the time of the call itself, not of queueing), reports token usage when the
backend gives it, and raises :class:`ModelCallError` when a call fails; the runner owns
timeouts, retries, the error budget and the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Protocol, runtime_checkable

from bouclier.errors import BouclierError


@dataclass(frozen=True, slots=True)
class Request:
    """What is sent to a model for one case."""

    input: str
    system: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    # Fields of the dataset row, for adapters that template a body from them.
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Completion:
    """What came back from one successful call."""

    output: str
    latency_s: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    ttft_s: float | None = None


class ModelCallError(BouclierError):
    """One call failed. ``kind`` is one of: timeout, connection, http, invalid_response,
    exception. ``retryable`` says whether the runner may try again; ``retry_after`` (s)
    is the server's own hint (HTTP 429/503 ``Retry-After``)."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
        url: str | None = None,
        latency_s: float | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.url = url
        self.latency_s = latency_s


@runtime_checkable
class Model(Protocol):
    """A model the runner can call. Adapters register a factory under a name."""

    name: str
    # Optional attribute: ``handles_timeout = True`` when the model enforces the call
    # timeout itself (HTTP adapters, on the wire) or runs inline and cannot be interrupted;
    # the runner then skips its own timer on the hot path.

    def fingerprint(self) -> str:
        """A stable digest of everything that determines the model's answers (adapter,
        target or URL, model id, parameters, system prompt) and nothing secret. Used in
        the response cache key."""

    async def complete(self, request: Request) -> Completion:
        """Answer one request or raise :class:`ModelCallError`."""

    async def aclose(self) -> None:
        """Release connections and resources."""


@runtime_checkable
class BatchModel(Model, Protocol):
    """A model that can also answer several requests in one call (in-process models)."""

    batch_size: int

    async def complete_batch(self, requests: list[Request]) -> list[Completion | ModelCallError]:
        """Answer a list of requests; a failure of one item is returned in its place."""


ModelFactory = Callable[..., Model]
EmbedFn = Callable[[list[str]], Awaitable[list[list[float]]]]
