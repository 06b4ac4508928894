"""``RunResult``: the one versioned model every report is rendered from.

It lives low in the package (beside the gate, importing nothing that runs models) so that
renderers never import running code. Persisted as ``result.json``; ``schema_version``
changes whenever a field changes meaning, and :func:`load_result` migrates older files.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
    stability: list[StabilitySummary] = Field(default_factory=list, description="Per role, when repeats >= 2.")


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
        raise UsageError(problems=[Problem(f"corrupt result.json: {exc}", file=str(path))]) from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if not isinstance(version, int):
        raise UsageError(problems=[Problem("missing schema_version: not a bouclier result", file=str(path))])
    if version > SCHEMA_VERSION:
        raise UsageError(problems=[Problem(
            f"written by a newer bouclier (schema {version}; this one reads up to {SCHEMA_VERSION})",
            file=str(path), hint="upgrade bouclier")])
    try:
        return RunResult.model_validate(data)
    except Exception as exc:
        raise UsageError(problems=[Problem(f"invalid result.json: {exc}", file=str(path))]) from None
