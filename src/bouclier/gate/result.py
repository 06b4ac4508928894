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


class SuiteResult(_Model):
    name: str
    dataset: str
    dataset_digest: str
    n_cases: int
    metrics: list[MetricSummary]
    errors: dict[str, int] = Field(default_factory=dict, description="Failed calls per role.")
    cached: dict[str, int] = Field(default_factory=dict, description="Cache hits per role.")
    regressions_total: int = 0


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
    graders: list[GraderEvidence] = Field(default_factory=list)

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
