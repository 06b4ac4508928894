"""Pydantic models of the ``performance`` suite kind and of per-model prices.

Imported by :mod:`bouclier.config.schema` (which puts :class:`PerformanceSuiteConfig` in
the discriminated union of suites and :class:`ModelCostConfig` on every model); kept
apart so that the quality-suite models stay readable. See docs/performance.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PERCENTILES = (50, 90, 95, 99)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- cost


class ModelCostConfig(_Strict):
    """What one call of this model costs: a price table and how tokens are counted."""

    input_usd_per_million: float | None = Field(
        None, ge=0, description="Price of one million input (prompt) tokens, USD.")
    output_usd_per_million: float | None = Field(
        None, ge=0, description="Price of one million output (completion) tokens, USD.")
    tokenizer: str | None = Field(
        None, description="'module:function' returning the token count of a string; used when the "
        "API reports no usage, and by `bouclier check --estimate`.")
    expected_output_tokens: int | None = Field(
        None, ge=0, description="Output tokens per call assumed by `--estimate` (default: params.max_tokens).")

    @field_validator("tokenizer")
    @classmethod
    def _tokenizer_shape(cls, v: str | None) -> str | None:
        if v is not None:
            module, sep, attr = v.partition(":")
            if not sep or not module or not attr:
                raise ValueError("expected 'package.module:function', e.g. 'mytokens:count'")
        return v

    @property
    def priced(self) -> bool:
        return self.input_usd_per_million is not None and self.output_usd_per_million is not None


# --------------------------------------------------------------------------- load profile


class LoadProfile(_Strict):
    """How requests are sent. Closed loop: ``concurrency`` clients each send a request as
    soon as their previous one answered. Open loop: requests start at ``rate_per_s``
    whatever the answers (latency then counts from the scheduled start, queueing included)."""

    mode: Literal["closed", "open"] = Field("closed", description="closed: fixed concurrency; open: fixed arrival rate.")
    requests: int | None = Field(
        None, ge=1, description="Measured requests per model and per level (default 200 unless duration_s is set).")
    duration_s: float | None = Field(
        None, gt=0, description="Measure each model for about this long per level instead of a request count.")
    warmup: int = Field(10, ge=0, description="Unmeasured requests per model and level before measuring.")
    block_size: int = Field(
        20, ge=1, description="Requests per block: baseline and candidate alternate block by block (A B, B A, ...).")
    concurrency: list[int] = Field(
        default_factory=lambda: [1], description="Closed loop: in-flight requests, one level or several.")
    rate_per_s: list[float] | None = Field(
        None, description="Open loop: target request rates (requests per second), one or several.")
    arrivals: Literal["constant", "poisson"] = Field(
        "constant", description="Open loop: evenly spaced starts, or a seeded Poisson process.")
    max_in_flight: int = Field(256, ge=1, description="Open loop: most requests in flight at once.")

    @field_validator("concurrency", mode="before", json_schema_input_type=Union[int, list[int]])
    @classmethod
    def _one_or_many_levels(cls, v: Any) -> Any:
        return [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @field_validator("rate_per_s", mode="before", json_schema_input_type=Union[float, list[float], None])
    @classmethod
    def _one_or_many_rates(cls, v: Any) -> Any:
        return [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _consistent(self) -> "LoadProfile":
        if self.requests is not None and self.duration_s is not None:
            raise ValueError("set requests or duration_s, not both")
        if any(c < 1 for c in self.concurrency):
            raise ValueError("concurrency levels must be >= 1")
        if self.mode == "open":
            if not self.rate_per_s:
                raise ValueError("mode: open needs rate_per_s (target requests per second)")
            if any(r <= 0 for r in self.rate_per_s):
                raise ValueError("rate_per_s must be > 0")
        elif self.rate_per_s is not None:
            raise ValueError("rate_per_s is for mode: open; a closed loop is set by concurrency")
        return self

    @property
    def measured_requests(self) -> int | None:
        """Requests per model and level (None: duration-bound)."""
        if self.duration_s is not None:
            return None
        return self.requests if self.requests is not None else 200

    @property
    def levels(self) -> list[tuple[str, float]]:
        """(mode, value) per level: ("closed", concurrency) or ("open", rate)."""
        if self.mode == "open":
            return [("open", float(r)) for r in self.rate_per_s or []]
        return [("closed", float(c)) for c in self.concurrency]


# --------------------------------------------------------------------------- criteria


class _PerfCriterion(_Strict):
    name: str | None = Field(None, description="Display name (default derived).")
    min_requests: int = Field(
        30, ge=2, description="Fewer measured requests per model make the criterion INCONCLUSIVE.")


def _one_bound(obj: Any, fields: tuple[str, ...]) -> Any:
    if all(getattr(obj, f) is None for f in fields):
        raise ValueError(f"set at least one of: {', '.join(fields)}")
    return obj


class LatencyCriterion(_PerfCriterion):
    """A latency percentile (``latency``: whole request; ``ttft``: time to the first token of
    a streaming OpenAI-compatible model): relative to the baseline and/or an absolute SLO."""

    kind: Literal["latency", "ttft"]
    percentile: float = Field(95, gt=0, lt=100, description="50, 90, 95, 99, ...")
    max_increase: float | None = Field(
        None, ge=0, description="Candidate percentile at most (1 + this) x the baseline's (0.10 = +10%).")
    max_ms: float | None = Field(None, gt=0, description="Absolute SLO: candidate percentile at most this many ms.")

    @model_validator(mode="after")
    def _bounds(self) -> "LatencyCriterion":
        return _one_bound(self, ("max_increase", "max_ms"))


class ThroughputCriterion(_PerfCriterion):
    """Completed requests per second, per block (paired block by block)."""

    kind: Literal["throughput"]
    max_decrease: float | None = Field(
        None, ge=0, lt=1, description="Candidate throughput at least (1 - this) x the baseline's.")
    min_rps: float | None = Field(None, gt=0, description="Candidate at least this many requests per second.")
    min_requests: int = Field(5, ge=2, description="Fewer blocks make the criterion INCONCLUSIVE.")

    @model_validator(mode="after")
    def _bounds(self) -> "ThroughputCriterion":
        return _one_bound(self, ("max_decrease", "min_rps"))


class ErrorRateCriterion(_PerfCriterion):
    """Share of failed requests (``error_rate``: any failure; ``timeout_rate``: timeouts)."""

    kind: Literal["error_rate", "timeout_rate"]
    max_rate: float | None = Field(None, ge=0, le=1, description="Candidate rate at most this (0.01 = 1%).")
    max_increase: float | None = Field(
        None, ge=0, le=1, description="Candidate rate at most this much above the baseline's (0.01 = 1 point).")

    @model_validator(mode="after")
    def _bounds(self) -> "ErrorRateCriterion":
        return _one_bound(self, ("max_rate", "max_increase"))


class TokensPerSecondCriterion(_PerfCriterion):
    """Decode speed of a streaming model: (output tokens - 1) / (latency - ttft)."""

    kind: Literal["tokens_per_s"]
    percentile: float = Field(50, gt=0, lt=100)
    max_decrease: float | None = Field(None, ge=0, lt=1, description="Candidate at least (1 - this) x baseline.")
    min_tokens_per_s: float | None = Field(None, gt=0, description="Candidate percentile at least this many tokens/s.")

    @model_validator(mode="after")
    def _bounds(self) -> "TokensPerSecondCriterion":
        return _one_bound(self, ("max_decrease", "min_tokens_per_s"))


class PeakMemoryCriterion(_PerfCriterion):
    """Peak Python-heap memory (tracemalloc) of building an in-process ``python`` model and
    answering ``memory_requests`` requests."""

    kind: Literal["peak_memory"]
    max_increase: float | None = Field(None, ge=0, description="Candidate peak at most (1 + this) x baseline.")
    max_mb: float | None = Field(None, gt=0, description="Candidate peak at most this many MiB.")
    min_requests: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _bounds(self) -> "PeakMemoryCriterion":
        return _one_bound(self, ("max_increase", "max_mb"))


class CostCriterion(_PerfCriterion):
    """Price of the requests (tokens x the models' price tables)."""

    kind: Literal["cost"]
    max_usd_per_1k: float | None = Field(None, ge=0, description="Candidate cost of 1,000 requests at most this (USD).")
    max_increase: float | None = Field(
        None, ge=0, description="Candidate cost per request at most (1 + this) x baseline, on the same inputs.")

    @model_validator(mode="after")
    def _bounds(self) -> "CostCriterion":
        return _one_bound(self, ("max_usd_per_1k", "max_increase"))


PerformanceCriterion = Annotated[
    Union[LatencyCriterion, ThroughputCriterion, ErrorRateCriterion, TokensPerSecondCriterion,
          PeakMemoryCriterion, CostCriterion],
    Field(discriminator="kind"),
]

STREAMING_KINDS = frozenset({"ttft", "tokens_per_s"})


class PerformanceSuiteConfig(_Strict):
    """Latency, throughput, errors, streaming speed, memory and cost of both models, measured
    in interleaved blocks on inputs drawn from a dataset. Never uses the response cache."""

    kind: Literal["performance"]
    name: str
    dataset: str = Field(..., description="Path to a .jsonl or .csv file (relative to the config).")
    input: str = Field("{{input}}", description="Template of the model input, e.g. '{{text}}'.")
    id_field: str | None = Field(None, description="Row field with a stable case id (default: content hash).")
    system: str | None = Field(None, description="System prompt for this suite (overrides the model's).")
    limit: int | None = Field(None, ge=1, description="Draw inputs from the first N rows only.")
    load: LoadProfile = Field(default_factory=LoadProfile)
    memory_requests: int = Field(
        20, ge=1, description="Requests answered while measuring peak memory (python models, peak_memory criteria).")
    criteria: list[PerformanceCriterion] = Field(default_factory=list)

    # The dataset reader reads these of every suite; a performance suite has none.
    @property
    def expected(self) -> None:
        return None

    @property
    def group_by(self) -> None:
        return None

    @property
    def parallel_by(self) -> None:
        return None

    @property
    def needs_streaming(self) -> bool:
        return any(c.kind in STREAMING_KINDS for c in self.criteria)


__all__ = [
    "CostCriterion", "ErrorRateCriterion", "LatencyCriterion", "LoadProfile", "ModelCostConfig",
    "PeakMemoryCriterion", "PerformanceCriterion", "PerformanceSuiteConfig", "STREAMING_KINDS",
    "ThroughputCriterion", "TokensPerSecondCriterion",
]
