"""Configuration of stability (``repeats``), the ``max_unpredictability`` criterion and the
``lifecycle:`` policy section of ``bouclier.yaml``.

Kept apart from :mod:`bouclier.config.schema` (which imports it) so that the lifecycle
settings read in one place.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgreementConfig(_Strict):
    """How two samples of the same case are judged to agree. Default: equal after
    normalisation (NFKC, case folding, collapsed whitespace)."""

    scorer: str = Field(..., description="Similarity scorer (e.g. token_f1) applied to a pair of samples.")
    min: float = Field(0.8, ge=0, le=1, description="Similarity at or above which two samples agree.")
    options: dict = Field(default_factory=dict, description="Options of the similarity scorer.")


class MaxUnpredictability(_Strict):
    """The candidate's unpredictability index (share of pairs of repeated samples of a case
    that disagree, averaged over cases) at most ``threshold``, on its interval. Needs the
    suite's ``repeats`` >= 2. With ``metric`` the samples are compared by that metric's
    score (pass/fail flips for a 0/1 metric); without, by their outputs."""

    kind: Literal["max_unpredictability"]
    threshold: float = Field(..., ge=0, le=1)
    metric: str | None = Field(None, description="Compare samples by this metric's score instead of the outputs.")
    name: str | None = Field(None, description="Display name (default derived).")
    min_cases: int = Field(20, ge=1, description="Fewer cases make the criterion INCONCLUSIVE.")


class PriceConfig(_Strict):
    """Price of one model. Illustrative figures are fine for a demo; say so in a comment."""

    per_1k_requests: float | None = Field(None, ge=0, description="Flat price of 1,000 requests.")
    input_per_1k_tokens: float | None = Field(None, ge=0)
    output_per_1k_tokens: float | None = Field(None, ge=0)
    currency: str = "USD"

    @model_validator(mode="after")
    def _some_price(self) -> "PriceConfig":
        if self.per_1k_requests is None and self.input_per_1k_tokens is None and self.output_per_1k_tokens is None:
            raise ValueError("a price needs per_1k_requests, input_per_1k_tokens or output_per_1k_tokens")
        return self


class LifecycleConfig(_Strict):
    """Policies of ``bouclier lifecycle report`` and prices for ``bouclier compare``. Every
    bound is optional; an unset bound is not judged."""

    quality_metric: str | None = Field(
        None, description="Metric that is 'quality' (default: the first suite's first criterion metric).")
    min_quality: float | None = Field(None, description="Below this mean the version should be replaced.")
    max_cost_per_1k_requests: float | None = Field(None, ge=0)
    max_unpredictability: float | None = Field(None, ge=0, le=1)
    max_p95_latency_s: float | None = Field(None, gt=0)
    min_requests_per_day: float | None = Field(
        None, ge=0, description="Traffic floor: fewer client requests per day through the canary router -> retire. "
        "Needs the router's signal store (signals, or a rollout: section); otherwise traffic is unknown.")
    signals: str | None = Field(
        None, description="The canary router's signal store (its signals.store: a file relative to this config, "
        "'registry' or a database URL). "
        "Default: the rollout: section's traffic.signals, when there is one.")
    traffic_window_days: float = Field(
        7.0, gt=0, description="Traffic is counted over this many days before the report.")
    max_age_days: int | None = Field(
        None, ge=1, description="Runs older than this are not evidence (default: any age).")
    prices: dict[str, PriceConfig] = Field(
        default_factory=dict,
        description="Price per model: key = a models: name or a registry version label. "
        "A model without a price has an unknown cost (never zero).")
