"""``RunResult``: the one versioned model every report is rendered from.

It lives low in the package (beside the gate, importing nothing that runs models) so that
renderers never import running code. Persisted as ``result.json``; ``schema_version``
changes whenever a field changes meaning, and :func:`load_result` migrates older files.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bouclier.errors import Problem, UsageError

SCHEMA_VERSION = 1


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelInfo(_Model):
    name: str
    adapter: str
    fingerprint: str


class MetricSummary(_Model):
    """One metric of one suite, for both models, on the paired cases."""

    name: str
    binary: bool
    n: int
    baseline_mean: float
    candidate_mean: float


class CriterionResult(_Model):
    name: str
    suite: str
    metric: str
    kind: str
    verdict: Verdict
    reason: str
    baseline_value: float | None
    candidate_value: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    n: int
    threshold: float | None = Field(None, description="Bound the judged quantity is compared with.")
    p_pass: float | None = None
    p_fail: float | None = None
    p_fail_adjusted: float | None = None
    mde: float | None = Field(None, description="Minimum detectable effect at this sample size.")
    n_needed: int | None = Field(None, description="Estimated cases needed to decide (INCONCLUSIVE).")
    method: str = ""
    group: str | None = None


class CaseRegression(_Model):
    suite: str
    metric: str
    case_id: str
    group: str | None
    input: str
    expected: Any
    baseline_output: str | None
    candidate_output: str | None
    baseline_score: float
    candidate_score: float
    candidate_error: str | None = None


class GroupSummary(_Model):
    """One metric of one group (e.g. a language), both models, on that group's cases."""

    metric: str
    group: str
    n: int
    baseline_mean: float
    candidate_mean: float
    difference: float
    ci_low: float | None = Field(None, description="Interval of the paired difference.")
    ci_high: float | None = None
    verdict: Verdict | None = Field(None, description="Of the per-group non-inferiority criterion, if any.")


class ConsistencySummary(_Model):
    """Cross-lingual consistency: share of parallel sets whose normalised answers agree."""

    n_sets: int
    singletons: int = Field(0, description="Sets with a single language, ignored.")
    baseline_consistent: float
    candidate_consistent: float
    baseline_consistent_correct: float | None = None
    candidate_consistent_correct: float | None = None


class InconsistentSet(_Model):
    """A parallel set whose candidate answers disagree across languages."""

    suite: str
    parallel_id: str
    baseline_consistent: bool
    answers: dict[str, str | None] = Field(description="Candidate answer per group.")


class SafetyCell(_Model):
    """One family x language cell of a safety suite: attack successes of both models."""

    family: str
    lang: str
    n: int = Field(description="Probes with a known outcome for both models.")
    baseline_successes: int
    candidate_successes: int
    new_successes: int = Field(description="Resisted by the baseline, succeeded on the candidate.")
    fixed: int = Field(description="Succeeded on the baseline, resisted by the candidate.")
    unknown: int = Field(0, description="Probes without an outcome (failed call or judge error).")


class JudgeSummary(_Model):
    """A model used as a judge of refusals or of harmful compliance, and how it fared."""

    kind: str = Field(description="refusal | harm")
    model: str
    judged: int
    errors: int = Field(description="Failed calls and off-rubric answers: their criteria are INCONCLUSIVE.")
    disagreements: int = Field(description="Verdicts that differ from the pattern detector's.")
    examples: list[str] = Field(default_factory=list, description="A few disagreements (probe, role, both labels).")
    error_examples: list[str] = Field(default_factory=list)


class SafetySummary(_Model):
    """The family x language matrix of a safety suite (attack families and over-refusal)."""

    families: list[str]
    languages: list[str]
    n_probes: int
    cells: list[SafetyCell]
    new_successes: int = 0
    fixed: int = 0
    judges: list[JudgeSummary] = Field(default_factory=list)


class ModelCost(_Model):
    """Price of one model's calls in one suite (tokens x its price table)."""

    known: bool = Field(description="False when a price or token counts are missing (usd is then None, not 0).")
    reason: str | None = Field(None, description="Why the cost is unknown.")
    requests: int = Field(0, description="Answered calls priced.")
    input_tokens: int | None = None
    output_tokens: int | None = None
    token_source: str | None = Field(None, description="usage (from the API), tokenizer, or both.")
    usd: float | None = Field(None, description="Cost of every answered call (cached ones included).")
    usd_per_1k: float | None = Field(None, description="Cost of 1,000 such calls.")
    spent_usd: float | None = Field(None, description="Cost of the calls made in this run (cache hits excluded).")


class CostSummary(_Model):
    baseline: ModelCost
    candidate: ModelCost

    @property
    def ratio(self) -> float | None:
        b, c = self.baseline.usd_per_1k, self.candidate.usd_per_1k
        return None if b is None or c is None or b == 0 else c / b


class Distribution(_Model):
    """A sample summarised: percentiles, and ``cdf`` = the q-quantiles for q = 0.00, 0.01,
    ..., 1.00 (101 values, inverted-CDF definition: each is a measured value) to draw a CDF."""

    n: int
    unit: str
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    cdf: list[float] = Field(default_factory=list)


class ModelLoad(_Model):
    """One model at one load level."""

    requests: int
    errors: int
    timeouts: int
    wall_s: float = Field(description="Time spent measuring this model (sum of its blocks).")
    throughput_rps: float = Field(description="Completed requests per second of measuring time.")
    achieved_rate: float | None = Field(None, description="Open loop: request starts per second actually achieved.")
    max_in_flight: int = Field(0, description="Most requests seen in flight at once.")
    latency_ms: Distribution | None = None
    ttft_ms: Distribution | None = None
    tokens_per_s: Distribution | None = None


class LoadLevelResult(_Model):
    label: str = Field(description="'concurrency 4' or '50 req/s'.")
    mode: str
    concurrency: int | None = None
    requested_rate: float | None = None
    blocks: int
    baseline: ModelLoad
    candidate: ModelLoad
    notes: list[str] = Field(default_factory=list, description="Load that could not be met, etc.")


class PerformanceSummary(_Model):
    levels: list[LoadLevelResult]
    peak_memory_mb: dict[str, float] = Field(default_factory=dict, description="Per role (python models).")
    memory_method: str | None = None


class StabilitySummary(_Model):
    """Agreement of one model's repeated samples of the same cases (suite ``repeats`` >= 2)."""

    role: str
    repeats: int
    n_cases: int
    agreement: str = Field(description="How two samples were judged to agree.")
    unpredictability: float = Field(description="Mean over cases of the share of sample pairs that disagree.")
    ci_low: float
    ci_high: float
    confidence: float
    unstable_cases: int = Field(0, description="Cases whose samples do not all agree.")
    flip_rate: dict[str, float] = Field(default_factory=dict,
                                        description="0/1 metrics: share of cases whose samples both pass and fail.")
    score_variance: dict[str, float] = Field(default_factory=dict,
                                             description="Mean over cases of the variance of the k scores.")
    method: str = ""


class RoleUsage(_Model):
    """Calls, errors, latency and tokens of one role over the whole run (every repeat)."""

    role: str
    model: str
    calls: int
    errors: int
    cached: int = 0
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    mean_input_tokens: float | None = Field(None, description="None when the model reports no token counts.")
    mean_output_tokens: float | None = None


class SuiteResult(_Model):
    name: str
    dataset: str
    dataset_digest: str
    n_cases: int
    metrics: list[MetricSummary]
    errors: dict[str, int] = Field(default_factory=dict, description="Failed calls per role.")
    cached: dict[str, int] = Field(default_factory=dict, description="Cache hits per role.")
    regressions_total: int = 0
    group_by: str | None = None
    groups: list[GroupSummary] = Field(default_factory=list, description="Sorted worst first.")
    consistency: ConsistencySummary | None = None
    safety: SafetySummary | None = Field(None, description="Safety suites: the family x language matrix.")
    kind: str = "quality"
    performance: PerformanceSummary | None = None
    cost: CostSummary | None = None
    stability: list[StabilitySummary] = Field(default_factory=list, description="Per role, when repeats >= 2.")


class GraderEvidence(_Model):
    """A model-graded metric's grader (a judge or an embedding model): who graded, with
    which rubric, how often it failed and how much it agreed with itself. Optional in
    result.json (added without a schema_version change: older files load unchanged)."""

    suite: str
    metric: str
    scorer: str
    model: str
    adapter: str
    fingerprint: str
    n_items: int
    n_errors: int = 0
    first_error: str | None = None
    cached: int = 0
    rubric: str | None = None
    rubric_source: str | None = None
    rubric_digest: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    repeats: int = 1
    reliability: float | None = Field(None, description="Krippendorff's alpha across the judge's repeats.")
    reliability_method: str | None = None
    fleiss_kappa: float | None = None
    mean_agreement: float | None = Field(None, description="Mean share of agreeing repeat pairs per answer.")
    unstable: int = Field(0, description="Answers whose repeated grades disagree.")
    unstable_cases: list[str] = Field(default_factory=list, description="Their case ids (at most 20).")
    dimension: int | None = Field(None, description="Embedding vector size (similarity).")

    def summary(self) -> str:
        """One line for reports: who graded, errors, reliability, unstable answers."""
        parts = [f"{self.suite}/{self.metric}: {self.scorer} by `{self.model}` ({self.adapter}, "
                 f"{self.fingerprint[:12]})"]
        if self.rubric:
            parts.append(f"rubric {self.rubric} ({(self.rubric_digest or '')[:12]})")
        if self.dimension:
            parts.append(f"{self.dimension}-dim vectors")
        parts.append(f"{self.n_errors} of {self.n_items} answers ungraded" if self.n_errors
                     else f"{self.n_items} answers graded")
        if self.repeats > 1:
            alpha = "undefined" if self.reliability is None else f"{self.reliability:.2f}"
            parts.append(f"{self.repeats} repeats, reliability {alpha}, {self.unstable} unstable")
            if self.unstable_cases:
                parts.append("unstable: " + ", ".join(self.unstable_cases[:5])
                             + (" ..." if len(self.unstable_cases) > 5 else ""))
        if self.first_error:
            parts.append(f"first error: {self.first_error}")
        return "; ".join(parts)


class RunResult(_Model):
    schema_version: int = SCHEMA_VERSION
    bouclier_version: str
    run_id: str
    started_at: str
    finished_at: str
    config_path: str
    config_digest: str
    verdict: Verdict
    reason: str
    baseline: ModelInfo
    candidate: ModelInfo
    confidence: float
    multiple_testing: str
    inconclusive_policy: str
    suites: list[SuiteResult]
    criteria: list[CriterionResult]
    regressions: list[CaseRegression] = Field(default_factory=list)
    inconsistent_sets: list[InconsistentSet] = Field(default_factory=list)
    stopped: str | None = Field(None, description="Why calls stopped early (run.max_cost_usd reached).")
    graders: list[GraderEvidence] = Field(default_factory=list)
    usage: list[RoleUsage] = Field(default_factory=list, description="Latency, tokens and errors per role.")
    warnings: list[str] = Field(default_factory=list, description="E.g. a deprecated version used as baseline.")
    origin: str | None = Field(None, description="What made the run: check, watch or compare.")

    def exit_code(self) -> int:
        """0 pass, 1 fail, 3 inconclusive (or 0/1 when the policy maps it)."""
        if self.verdict is Verdict.PASS:
            return 0
        if self.verdict is Verdict.FAIL:
            return 1
        return {"pass": 0, "fail": 1}.get(self.inconclusive_policy, 3)


OLDEST_SCHEMA_VERSION = 1
# MIGRATIONS[v] turns a schema-v document into a schema-(v+1) one; a change of a field's
# meaning bumps SCHEMA_VERSION and adds its step here, so every older run stays readable.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a result document from its ``schema_version`` up to :data:`SCHEMA_VERSION`."""
    version = data["schema_version"]
    while version < SCHEMA_VERSION:
        data = {**MIGRATIONS[version](dict(data)), "schema_version": version + 1}
        version += 1
    return data


def load_result(path: Path) -> RunResult:
    """Read a ``result.json`` (or the one in a run directory)."""
    if path.is_dir():
        path = path / "result.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(problems=[Problem("no result.json here", file=str(path),
                                           hint="pass a run directory written by `bouclier check`")]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(problems=[Problem(f"corrupt result.json: {exc}", file=str(path),
                                           hint="re-render from a complete run, or re-run `bouclier check`")]) from None
    except OSError as exc:
        raise UsageError(problems=[Problem(f"cannot read result.json ({exc.strerror})", file=str(path))]) from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise UsageError(problems=[Problem("missing schema_version: not a bouclier result", file=str(path))])
    if version > SCHEMA_VERSION:
        writer = data.get("bouclier_version")
        raise UsageError(problems=[Problem(
            f"written by a newer bouclier{f' ({writer})' if isinstance(writer, str) else ''}: schema {version}, "
            f"this one reads schemas {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}",
            file=str(path), key="schema_version", hint=f"upgrade bouclier to read schema {version}")])
    if version < OLDEST_SCHEMA_VERSION:
        raise UsageError(problems=[Problem(
            f"schema {version} is older than any this bouclier can migrate "
            f"(it reads schemas {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION})",
            file=str(path), key="schema_version", hint="re-run `bouclier check` to write a current result")])
    data = migrate(data)
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:
        raise UsageError(problems=[
            Problem(f"invalid result.json: {err['msg']}", file=str(path),
                    key=".".join(str(p) for p in err["loc"]) or None)
            for err in exc.errors()[:5]]) from None
