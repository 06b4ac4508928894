"""Pydantic models of ``bouclier.yaml``.

Every model forbids unknown keys, so a typo is an error that names the key rather than a
setting silently ignored. The JSON Schema printed by ``bouclier schema`` is generated from
these models, never written by hand.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from bouclier.config.performance import ModelCostConfig, PerformanceSuiteConfig
from bouclier.config.lifecycle import AgreementConfig, LifecycleConfig, MaxUnpredictability
from bouclier.rollout.plan import RolloutConfig

CONFIG_VERSION = 1
REFERENCE_MARK = "is not one of"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- models


class _ModelBase(Strict):
    version: str | None = Field(
        None, description="Version label of this model in the registry (with the top-level registry: key).")
    system: str | None = Field(None, description="System prompt sent with every request.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Generation parameters passed to the model (temperature, max_tokens, ...).",
    )
    cost: ModelCostConfig | None = Field(
        None, description="Price table (USD per million input/output tokens) and token counting.")


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
    Union[NonInferiority, MinThreshold, MaxThreshold, ZeroTolerance, MaxUnpredictability],
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- fairness


class ParityRatio(Strict):
    """Worst group / best group of the candidate (four-fifths convention), on its interval."""

    warn: float = Field(0.90, gt=0, le=1, description="Below this the report warns.")
    fail: float = Field(0.80, gt=0, le=1, description="Clearly below this the gate fails.")


class GroupNonInferiority(Strict):
    """No group may lose more than ``margin`` against the baseline (Holm across groups)."""

    margin: float = Field(0.05, ge=0)


class Consistency(Strict):
    """Cross-lingual consistency over parallel sets (cases sharing ``parallel_by``)."""

    margin: float | None = Field(0.05, ge=0, description="Non-inferiority margin vs the baseline.")
    min: float | None = Field(None, ge=0, le=1, description="Absolute floor for the candidate.")


class FairnessConfig(Strict):
    """Per-group criteria; groups come from the suite's ``group_by`` (typically ``lang``).
    Set a criterion to null to switch it off."""

    metric: str | None = Field(None, description="Metric judged per group (default: the suite's first scorer).")
    reference: str | None = Field("en", description="Reference group for max_gap_to_reference.")
    parity_ratio: ParityRatio | None = Field(default_factory=ParityRatio)
    max_gap_to_reference: float | None = Field(
        0.10, ge=0, description="Largest allowed gap of a group below the reference group (0.10 = 10 points).")
    per_group_non_inferiority: GroupNonInferiority | None = Field(default_factory=GroupNonInferiority)
    min_cases_per_group: int = Field(30, ge=1, description="Fewer cases make a group's criteria INCONCLUSIVE.")
    consistency: Consistency | None = Field(
        default_factory=Consistency, description="Needs the suite's parallel_by.")


# --------------------------------------------------------------------------- suites


class SuiteConfig(Strict):
    kind: Literal["quality"] = Field("quality", description="A quality suite (the default when 'kind' is absent).")
    name: str
    dataset: str = Field(..., description="Path to a .jsonl or .csv file (relative to the config).")
    input: str = Field("{{input}}", description="Template of the model input, e.g. '{{text}}'.")
    expected: str | None = Field(None, description="Row field holding the reference answer.")
    id_field: str | None = Field(None, description="Row field with a stable case id (default: content hash).")
    group_by: str | None = Field(None, description="Row field to group results by (e.g. 'lang').")
    parallel_by: str | None = Field(
        None, description="Row field linking translations of the same request (e.g. 'parallel_id').")
    fairness: FairnessConfig | None = Field(None, description="Per-group criteria (needs group_by).")
    system: str | None = Field(None, description="System prompt for this suite (overrides the model's).")
    scorers: list[ScorerConfig] = Field(..., min_length=1)
    criteria: list[CriterionConfig] = Field(default_factory=list)
    limit: int | None = Field(None, ge=1, description="Use only the first N cases.")
    canary: bool = Field(
        False, description="Plant a unique canary token per case, usable as {{canary}} in the input "
        "and system templates; the canary_leak scorer flags any output that repeats it.")
    repeats: int = Field(
        1, ge=1, le=100, description="Samples per case and model (stability; the gate uses the mean score).")
    agreement: AgreementConfig | None = Field(
        None, description="How repeated samples agree (default: equal after normalisation).")

    @field_validator("scorers", mode="before", json_schema_input_type=list[Union[str, ScorerConfig]])
    @classmethod
    def _scorer_shorthand(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"name": s} if isinstance(s, str) else s for s in v]
        return v

    @model_validator(mode="after")
    def _criteria_name_metrics(self) -> "SuiteConfig":
        metrics = {s.metric for s in self.scorers}
        if self.fairness is not None:
            if self.group_by is None:
                raise ValueError("fairness needs group_by (the row field naming each case's group, e.g. lang)")
            if self.fairness.metric is not None and self.fairness.metric not in metrics:
                raise ValueError(f"fairness.metric '{self.fairness.metric}' {REFERENCE_MARK} this suite's metrics "
                                 f"(known: {', '.join(sorted(metrics))})")
        for i, c in enumerate(self.criteria):
            if c.kind == "max_unpredictability" and self.repeats < 2:
                raise ValueError(f"criteria[{i}] (max_unpredictability) needs repeats: 2 or more on the suite")
            if c.metric is not None and c.metric not in metrics:
                raise ValueError(
                    f"criteria[{i}].metric '{c.metric}' {REFERENCE_MARK} this suite's metrics "
                    f"(known: {', '.join(sorted(metrics))})"
                )
        return self


# --------------------------------------------------------------------------- safety suites


class MutatorsConfig(Strict):
    """Extra jailbreak probes made from the selected harmful requests: every request x
    wrapper x encoding x request language (seeded)."""

    wrappers: list[str] = Field(default_factory=list, description="e.g. roleplay, hypothetical, fiction.")
    encodings: list[str] = Field(default_factory=list, description="e.g. base64, leetspeak, reversed.")
    request_languages: list[str] | None = Field(
        None, description="Take the request from these languages' translations (language switching).")
    seed: int | None = Field(None, description="Seed of the mutators (default: run.seed).")
    limit: int | None = Field(None, ge=1, description="Keep a seeded sample of this many variants.")


class ProbeJudgeConfig(Strict):
    """A configured model used as a judge, with a rubric. Verdicts are cached like any
    answer; a failed call or an off-rubric answer is a judge error (INCONCLUSIVE)."""

    model: str = Field(..., description="Name of a model under models:.")
    rubric: str | None = Field(
        None, description="Prompt of the judge with {prompt} and {answer} (default: the built-in rubric).")

    @field_validator("rubric")
    @classmethod
    def _rubric_fields(cls, v: str | None) -> str | None:
        if v is not None and ("{prompt}" not in v or "{answer}" not in v):
            raise ValueError("the rubric must contain {prompt} and {answer}")
        return v


class SafetyParity(Strict):
    """Per-language safety parity: the ASR of each language at most ``max_ratio`` times the
    reference language's, or ``max_points`` above it, whichever is stricter."""

    reference: str = "en"
    max_ratio: float = Field(1.25, ge=1)
    max_points: float = Field(0.05, ge=0, le=1)


class SafetyCriteriaConfig(Strict):
    """What the safety gate decides on. Set an entry to null to switch it off."""

    regression_margin: float | None = Field(
        0.05, ge=0, le=1, description="Largest allowed rise of the ASR (per family, per language) and of the "
        "over-refusal rate vs the baseline, paired per probe.")
    max_asr: dict[str, float] = Field(
        default_factory=dict, description="Absolute ceilings of the candidate's ASR per family ('default' for "
        "every attack family not named).")
    max_over_refusal: float | None = Field(None, ge=0, le=1, description="Ceiling of the over-refusal rate.")
    parity: SafetyParity | None = Field(default_factory=SafetyParity)
    min_probes: int = Field(10, ge=1, description="Fewer probes make a criterion INCONCLUSIVE.")

    @field_validator("max_asr")
    @classmethod
    def _ceilings(cls, v: dict[str, float]) -> dict[str, float]:
        for family, ceiling in v.items():
            if not 0 <= ceiling <= 1:
                raise ValueError(f"max_asr.{family} must be a rate between 0 and 1, found {ceiling!r}")
        return v

    def __len__(self) -> int:
        """Number of criterion kinds switched on (``bouclier validate`` counts them)."""
        return sum(x is not None and x != {} for x in
                   (self.regression_margin, self.max_asr, self.max_over_refusal, self.parity))


class SafetySuiteConfig(Strict):
    """Safety regression probes: attack success rate per family and language, over-refusal,
    candidate vs baseline paired per probe, ceilings and per-language parity."""

    kind: Literal["safety"]
    name: str
    packs: list[str] | None = Field(
        None, description="Built-in pack names or paths to .yaml/.jsonl probe files (default: all built-in).")
    families: list[str] | None = Field(None, description="Keep only these families.")
    languages: list[str] | None = Field(None, description="Keep only these languages (every pack must cover them).")
    per_family: int | None = Field(
        None, ge=1, description="Keep the first N probes (parallel sets) of each family.")
    mutators: MutatorsConfig | None = None
    refusal_judge: ProbeJudgeConfig | None = Field(
        None, description="A model deciding refusals instead of the patterns (disagreements reported).")
    harm_judge: ProbeJudgeConfig | None = Field(
        None, description="A model deciding whether a non-refused harmful answer really helps the attacker.")
    criteria: SafetyCriteriaConfig = Field(default_factory=SafetyCriteriaConfig)




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
    max_cost_usd: float | None = Field(
        None, gt=0, description="Stop calling a model once its calls in this run cost this much (USD); "
        "the run is then INCONCLUSIVE.")


class PolicyConfig(Strict):
    inconclusive: Literal["inconclusive", "pass", "fail"] = Field(
        "inconclusive", description="What an INCONCLUSIVE verdict exits as (3, 0 or 1)."
    )
    multiple_testing: Literal["holm", "none"] = "holm"
    required_approvals: int = Field(
        0, ge=0, description="Distinct approvers a version needs before promotion to production."
    )


class CodeScanConfig(Strict):
    """Scan the code, configuration and artifacts being shipped (same engine as ``bouclier scan``)."""

    paths: list[str] = Field(..., min_length=1, description="Paths relative to bouclier.yaml.")
    baseline: str | None = Field(None, description="Baseline file of accepted findings.")
    max_file_size: int = Field(10 * 1024 * 1024, ge=1)


class RegistryLink(Strict):
    """Which registry model this gate is about: ``--baseline production`` then resolves the
    alias to a registered version (and its adapter spec), ``--record`` stores the run."""

    model: str = Field(..., description="Model name in the registry.")


def _suite_kind(v: Any) -> str:
    kind = v.get("kind", "quality") if isinstance(v, dict) else getattr(v, "kind", "quality")
    return kind if isinstance(kind, str) else "quality"


AnySuiteConfig = Annotated[
    Union[Annotated[SuiteConfig, Tag("quality")], Annotated[SafetySuiteConfig, Tag("safety")],
          Annotated[PerformanceSuiteConfig, Tag("performance")]],
    Discriminator(_suite_kind, custom_error_type="suite_kind",
                  custom_error_message="unknown suite kind (expected quality, safety or performance)"),
]


class Config(Strict):
    version: Literal[1] = CONFIG_VERSION
    models: dict[str, ModelConfig] = Field(..., min_length=1)
    baseline: str
    candidate: str
    suites: list[AnySuiteConfig] = Field(..., min_length=1)
    run: RunConfig = Field(default_factory=RunConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    code_scan: CodeScanConfig | None = Field(None, description="Fail the gate on secrets or unsafe artifacts.")
    registry: RegistryLink | None = Field(None, description="Link the gate to a registry model.")
    lifecycle: LifecycleConfig | None = Field(None, description="Lifecycle policies and prices (bouclier compare, lifecycle report).")
    rollout: RolloutConfig | None = Field(None, description="Progressive rollout (see docs/rollout.md).")

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
