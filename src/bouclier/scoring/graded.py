"""Model-graded scorers: the batch phase of the scorer contract.

A plain scorer grades one output at a time, synchronously. A *model-graded* scorer
(``judge``, ``similarity``) needs another model: it implements, besides the
:class:`~bouclier.scoring.base.Scorer` attributes,

* ``check(*, models, base_dir) -> list[str]`` — problems found before any model is called
  (an unknown model name, an unreadable rubric);
* ``async score_batch(items, context) -> GradedBatch`` — grade every answer of a suite at
  once, through the runner (concurrency, retries, the error budget and the cache come
  with it), returning one :class:`Grade` per item and a :class:`GraderReport`.

The gate calls :func:`grade_suite` once per suite, after both models have answered and
before the per-case loop; the per-case loop then reads the grade instead of calling
``score``. A grade that could not be obtained (judge timeout, off-format answer, wrong
vector size) carries its ``error``: the value is 0.0, like a failed model call, and the
gate makes every criterion on that metric INCONCLUSIVE (see ``bouclier.gate.grading``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from bouclier.data import Case
from bouclier.errors import ConfigError, Problem

MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class ScoreItem:
    """One answer to grade."""

    output: str
    case: Case
    reference: Any
    role: str = ""


@dataclass(slots=True)
class Grade:
    """The grade of one answer: ``value`` is what the gate's statistics use (the mean of
    the repeats' values); ``grades`` the raw grade of each repeat (``None``: that call
    failed or was off-format)."""

    value: float
    error: str | None = None
    reason: str | None = None
    grades: tuple[Any, ...] = ()
    agreement: float | None = None
    unstable: bool = False

    def row(self) -> dict[str, Any]:
        """The grade as written in cases.jsonl."""
        out: dict[str, Any] = {"value": self.value}
        if self.grades:
            out["grades"] = list(self.grades)
        for key in ("reason", "error", "agreement"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.unstable:
            out["unstable"] = True
        return out


@dataclass
class GraderReport:
    """What a model-graded scorer tells the result about itself (``result.json``:
    ``graders``): the grader's identity, its errors and, for judges, its reliability."""

    metric: str
    scorer: str
    model: str
    adapter: str
    fingerprint: str
    n_items: int
    n_errors: int = 0
    first_error: str | None = None
    suite: str = ""
    cached: int = 0
    rubric: str | None = None
    rubric_source: str | None = None
    rubric_digest: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    repeats: int = 1
    reliability: float | None = None
    reliability_method: str | None = None
    fleiss_kappa: float | None = None
    mean_agreement: float | None = None
    unstable: int = 0
    unstable_cases: list[str] = field(default_factory=list)
    dimension: int | None = None


@dataclass
class GradedBatch:
    grades: list[Grade]
    report: GraderReport


ProgressFactory = Callable[[str, int], Any]  # (label, total) -> context manager yielding advance(n)


@contextlib.contextmanager
def _silent(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass(frozen=True)
class ScoringContext:
    """The run, as a model-graded scorer sees it."""

    models: Mapping[str, Any]  # model configurations by name (bouclier.yaml ``models:``)
    base_dir: Path
    options: Any  # bouclier.runner.RunOptions
    cache: Any = None  # bouclier.runner.ResponseCache | None
    cache_dir: Path | None = None
    concurrency: int = 16
    timeout_s: float = 60.0
    progress: ProgressFactory | None = None
    label: str = ""

    def progress_bar(self, label: str, total: int):
        factory = self.progress or _silent
        return factory(f"{self.label}{label}", total)


@runtime_checkable
class ModelGradedScorer(Protocol):
    name: str
    binary: bool

    def check(self, *, models: Mapping[str, Any], base_dir: Path) -> list[str]:
        """Problems that can be found before any model is called."""

    async def score_batch(self, items: list[ScoreItem], context: ScoringContext) -> GradedBatch:
        """Grade every item; never raise for a failed grade (record it in the Grade)."""


def is_model_graded(scorer: Any) -> bool:
    return callable(getattr(scorer, "score_batch", None))


def reference_of(sc: Any, case: Case) -> Any:
    """The reference a scorer configured as ``sc`` compares with: its ``field``, else the
    case's expected value."""
    return case.fields.get(sc.field) if sc.field else case.expected


def grading_problems(suite: Any, scorers: Sequence[tuple[Any, Any]], *, models: Mapping[str, Any],
                     base_dir: Path, file: str | None = None, where: str = "") -> list[Problem]:
    """Configuration problems of a suite's model-graded scorers and of the criteria that
    ask for a judge's reliability, found before any model is called."""
    problems: list[Problem] = []
    graded = {}
    for j, (sc, scorer) in enumerate(scorers):
        if not is_model_graded(scorer):
            continue
        graded[sc.metric] = scorer
        for message in scorer.check(models=models, base_dir=base_dir):
            problems.append(Problem(message, file=file, key=f"{where}scorers[{j}].options"))
        if getattr(scorer, "needs_reference", False) and sc.field is None and getattr(suite, "expected", None) is None:
            problems.append(Problem(f"scorer '{sc.name}' needs a reference: set the suite's 'expected' "
                                    "or the scorer's 'field'", file=file, key=f"{where}scorers[{j}]"))
    for i, c in enumerate(getattr(suite, "criteria", [])):
        wanted = getattr(c, "min_judge_reliability", None)
        if wanted is None:
            continue
        scorer = graded.get(c.metric)
        if scorer is None or getattr(scorer, "repeats", 1) < 2:
            problems.append(Problem(
                f"min_judge_reliability needs metric '{c.metric}' to come from a judge scorer with "
                "judge_repeats >= 2 (reliability is measured across the repeats)",
                file=file, key=f"{where}criteria[{i}].min_judge_reliability",
                hint="set options.judge_repeats: 3 on the judge scorer, or remove min_judge_reliability"))
    return problems


@dataclass
class SuiteGrades:
    """The grades of one suite: ``by_case[k][(metric, role)]`` and the graders' reports."""

    by_case: list[dict[tuple[str, str], Grade]]
    reports: list[GraderReport]

    def case(self, k: int) -> dict[tuple[str, str], Grade]:
        return self.by_case[k] if k < len(self.by_case) else {}


async def grade_suite(scorers: Sequence[tuple[Any, Any]], rows: Sequence[tuple[Case, Mapping[str, Any]]],
                      context: ScoringContext, *, suite: str = "") -> SuiteGrades:
    """Run the batch phase of every model-graded scorer of a suite over both roles'
    answers (``rows``: each case with its responses by role; failed calls are skipped —
    the gate scores them 0)."""
    by_case: list[dict[tuple[str, str], Grade]] = [{} for _ in rows]
    reports: list[GraderReport] = []
    for sc, scorer in scorers:
        if not is_model_graded(scorer):
            continue
        items: list[ScoreItem] = []
        where: list[tuple[int, str]] = []
        for k, (case, responses) in enumerate(rows):
            for role, response in responses.items():
                if response.ok:
                    items.append(ScoreItem(response.output, case, reference_of(sc, case), role))
                    where.append((k, role))
        ctx = dataclasses.replace(context, label=f"{suite}: {sc.metric} ")
        batch = await scorer.score_batch(items, ctx)
        if len(batch.grades) != len(items):  # a scorer bug, not a user mistake
            raise RuntimeError(f"scorer '{sc.name}' returned {len(batch.grades)} grades for {len(items)} items")
        for (k, role), grade in zip(where, batch.grades):
            by_case[k][(sc.metric, role)] = grade
        batch.report.metric = sc.metric
        batch.report.suite = suite
        reports.append(batch.report)
    return SuiteGrades(by_case, reports)


def raise_grading_problems(suites: Sequence[Any], *, models: Mapping[str, Any], base_dir: Path,
                           file: str | None = None) -> None:
    """:func:`grading_problems` of every suite plan (``.config``, ``.scorers``), raised at
    once as a :class:`ConfigError`."""
    problems: list[Problem] = []
    for i, sp in enumerate(suites):
        if getattr(sp, "scorers", None) is None:  # safety and performance suites have no scorers
            continue
        problems += grading_problems(sp.config, sp.scorers, models=models, base_dir=base_dir, file=file,
                                     where=f"suites[{i}].")
    if problems:
        raise ConfigError(problems=problems)


def listed(case_ids: Sequence[str]) -> list[str]:
    """Case ids as listed in a report (deduplicated, at most ``MAX_LISTED``)."""
    return list(dict.fromkeys(case_ids))[:MAX_LISTED]
