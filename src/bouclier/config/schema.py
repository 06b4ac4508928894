"""Pydantic models of ``bouclier.yaml``.

Every model forbids unknown keys, so a typo is an error that names the key rather than a
setting silently ignored. The JSON Schema printed by ``bouclier schema`` is generated from
these models, never written by hand.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONFIG_VERSION = 1
REFERENCE_MARK = "is not one of"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- models


class _ModelBase(Strict):
    system: str | None = Field(None, description="System prompt sent with every request.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Generation parameters passed to the model (temperature, max_tokens, ...).",
    )


class PythonModelConfig(_ModelBase):
    """An in-process model: ``package.module:attr``, a callable or a factory returning one."""

    adapter: Literal["python"]
    target: str = Field(..., description="'package.module:attr' of a callable or factory.")
    args: dict[str, Any] | None = Field(
        None,
        description=(
            "Keyword arguments: a class is instantiated with them; a function is called with "
            "them as a factory returning the model. Unset: the function is the model itself."
        ),
    )
    batch_size: int = Field(1, ge=1, description="Items per call when the callable takes a list.")
    threads: int = Field(
        0,
        ge=0,
        le=256,
        description="Run a synchronous callable in a pool of this many threads (0: inline).",
    )

    @field_validator("target")
    @classmethod
    def _target_shape(cls, v: str) -> str:
        module, sep, attr = v.partition(":")
        if not sep or not module or not attr:
            raise ValueError("expected 'package.module:attribute', e.g. 'mypkg.models:classify'")
        return v


class OpenAIModelConfig(_ModelBase):
    """Any OpenAI-compatible endpoint (chat completions)."""

    adapter: Literal["openai"]
    base_url: str = Field(..., description="e.g. http://127.0.0.1:8000/v1")
    model: str = Field(..., description="Model id sent in the request body.")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key."
    )
    endpoint: Literal["chat", "embeddings"] = "chat"
    stream: bool = Field(False, description="Use server-sent events (measures time to first token).")


class HTTPModelConfig(_ModelBase):
    """A generic JSON-over-HTTP model: POST a templated body, read one field of the answer."""

    adapter: Literal["http"]
    url: str
    method: Literal["POST", "PUT"] = "POST"
    body: Any = Field(
        default_factory=lambda: {"input": "{{input}}"},
        description="JSON body; strings may use {{input}}, {{system}} and {{field}} of the row.",
    )
    response_path: str = Field(
        ..., description="Dotted path of the answer in the JSON response, e.g. 'data.0.text'."
    )
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(
        default_factory=dict,
        description="Header name -> environment variable holding its value (for tokens).",
    )


ModelConfig = Annotated[
    Union[PythonModelConfig, OpenAIModelConfig, HTTPModelConfig],
    Field(discriminator="adapter"),
]


# --------------------------------------------------------------------------- scorers


class ScorerConfig(Strict):
    """A scorer by registered name (``exact_match``, ``contains``, ...) or ``module:function``."""

    name: str = Field(..., description="Registered scorer name, or 'module:function'.")
    alias: str | None = Field(None, description="Metric name in reports (default: name).")
    field: str | None = Field(
        None, description="Row field holding the reference (default: the suite's expected)."
    )
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def metric(self) -> str:
        return self.alias or self.name


# --------------------------------------------------------------------------- criteria


class _CriterionBase(Strict):
    metric: str = Field(..., description="Metric (scorer name or alias) the criterion judges.")
    name: str | None = Field(None, description="Display name (default derived).")
    higher_is_better: bool | None = Field(
        None, description="Direction of the metric (default: the scorer's; leak scorers are lower-is-better).")
    min_cases: int = Field(
        20, ge=1, description="Fewer paired cases than this make the criterion INCONCLUSIVE."
    )
    min_judge_reliability: float | None = Field(
        None, ge=-1, le=1,
        description="For a metric graded by a judge with judge_repeats >= 2: a judge reliability "
        "(Krippendorff's alpha across the repeats) below this makes the criterion INCONCLUSIVE.")


class NonInferiority(_CriterionBase):
    """Candidate no worse than baseline by more than ``margin`` (paired, same cases)."""

    kind: Literal["non_inferiority"]
    margin: float = Field(..., ge=0)
    relative: bool = Field(
        False, description="Margin as a fraction of the baseline mean instead of points."
    )


class MinThreshold(_CriterionBase):
    """Candidate mean at least ``threshold``."""

    kind: Literal["min"]
    threshold: float


class MaxThreshold(_CriterionBase):
    """Candidate mean at most ``threshold``."""

    kind: Literal["max"]
    threshold: float


class ZeroTolerance(_CriterionBase):
    """No candidate case may score above zero on this metric (a leak detector): the first
    finding FAILs, naming the case and the redacted finding."""

    kind: Literal["zero_tolerance"]
    min_cases: int = Field(1, ge=1)


CriterionConfig = Annotated[
    Union[NonInferiority, MinThreshold, MaxThreshold, ZeroTolerance], Field(discriminator="kind")
]


# --------------------------------------------------------------------------- suites


class SuiteConfig(Strict):
    name: str
    dataset: str = Field(..., description="Path to a .jsonl or .csv file (relative to the config).")
    input: str = Field("{{input}}", description="Template of the model input, e.g. '{{text}}'.")
    expected: str | None = Field(None, description="Row field holding the reference answer.")
    id_field: str | None = Field(None, description="Row field with a stable case id (default: content hash).")
    group_by: str | None = Field(None, description="Row field to group results by (e.g. 'lang').")
    system: str | None = Field(None, description="System prompt for this suite (overrides the model's).")
    scorers: list[ScorerConfig] = Field(..., min_length=1)
    criteria: list[CriterionConfig] = Field(default_factory=list)
    limit: int | None = Field(None, ge=1, description="Use only the first N cases.")
    canary: bool = Field(
        False, description="Plant a unique canary token per case, usable as {{canary}} in the input "
        "and system templates; the canary_leak scorer flags any output that repeats it.")

    @field_validator("scorers", mode="before", json_schema_input_type=list[Union[str, ScorerConfig]])
    @classmethod
    def _scorer_shorthand(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"name": s} if isinstance(s, str) else s for s in v]
        return v

    @model_validator(mode="after")
    def _criteria_name_metrics(self) -> "SuiteConfig":
        metrics = {s.metric for s in self.scorers}
        for i, c in enumerate(self.criteria):
            if c.metric not in metrics:
                raise ValueError(
                    f"criteria[{i}].metric '{c.metric}' {REFERENCE_MARK} this suite's metrics "
                    f"(known: {', '.join(sorted(metrics))})"
                )
        return self


# --------------------------------------------------------------------------- run / policy


class RunConfig(Strict):
    concurrency: int = Field(16, ge=1, le=4096)
    timeout_s: float = Field(60.0, gt=0)
    retries: int = Field(2, ge=0, le=20)
    error_budget: float = Field(
        0.05, ge=0, le=1, description="Share of failed calls per model above which the run aborts (exit 4)."
    )
    seed: int = 0
    cache: bool = True
    cache_dir: str = ".bouclier"
    confidence: float = Field(0.95, gt=0.5, lt=1)
    bootstrap_resamples: int = Field(4000, ge=200)


class PolicyConfig(Strict):
    inconclusive: Literal["inconclusive", "pass", "fail"] = Field(
        "inconclusive", description="What an INCONCLUSIVE verdict exits as (3, 0 or 1)."
    )
    multiple_testing: Literal["holm", "none"] = "holm"


class CodeScanConfig(Strict):
    """Scan the code, configuration and artifacts being shipped (same engine as ``bouclier scan``)."""

    paths: list[str] = Field(..., min_length=1, description="Paths relative to bouclier.yaml.")
    baseline: str | None = Field(None, description="Baseline file of accepted findings.")
    max_file_size: int = Field(10 * 1024 * 1024, ge=1)


class Config(Strict):
    version: Literal[1] = CONFIG_VERSION
    models: dict[str, ModelConfig] = Field(..., min_length=1)
    baseline: str
    candidate: str
    suites: list[SuiteConfig] = Field(..., min_length=1)
    run: RunConfig = Field(default_factory=RunConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    code_scan: CodeScanConfig | None = Field(None, description="Fail the gate on secrets or unsafe artifacts.")

    @model_validator(mode="after")
    def _check_refs(self) -> "Config":
        for role in ("baseline", "candidate"):
            name = getattr(self, role)
            if name not in self.models:
                raise ValueError(
                    f"{role} '{name}' {REFERENCE_MARK} the models ({', '.join(self.models)})"
                )
        names = [s.name for s in self.suites]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"suite names must be unique; repeated: {', '.join(sorted(dup))}")
        return self
