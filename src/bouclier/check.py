"""The release gate as a library call: configuration in, :class:`RunResult` out.

``plan_check`` reads everything that can be read without calling a model (configuration,
datasets, scorers, model targets); ``run_check`` then runs both models on the same cases,
scores them and judges every criterion. Nothing here prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from bouclier import __version__
from bouclier import performance_suite as perf
from bouclier.adapters.base import Model
from bouclier.adapters.registry import build_model
from bouclier.config import LoadedConfig
from bouclier.config.lifecycle import AgreementConfig
from bouclier.config.schema import ScorerConfig, SuiteConfig
from bouclier.cost.budget import apply_budget_stop, budget_problems, guard_models
from bouclier.cost.suites import records_cost
from bouclier.data import Case, Dataset, load_cases
from bouclier.errors import DataError, Problem, UsageError
from bouclier.gate.code_scan import code_scan_criterion, run_code_scan
from bouclier.gate.fairness import ConsistencyData, GroupedData, consistency, fairness_criteria, group_summaries
from bouclier.gate.grading import apply_grading
from bouclier.gate.judge import JudgeOptions, MetricData, adjust, judge_criterion, overall
from bouclier.lifecycle.stability import stability_criterion, stability_summaries
from bouclier.lifecycle.usage import role_usage
from bouclier.gate.result import (CaseRegression, CriterionResult, GroupSummary, MetricSummary, ModelInfo,
                                  RunResult, SuiteResult)
from bouclier.runner import Response, ResponseCache, RunOptions, run_model
from bouclier.runner.records import CaseRecord, SuiteRecords
from bouclier.safety import ProbeRecord, SafetySuitePlan, case_row, judge_safety_suite, plan_safety_suite, run_safety_suite
from bouclier.scoring import Scorer, build_scorer
from bouclier.scoring.graded import (Grade, ScoringContext, SuiteGrades, grade_suite, is_model_graded,
                                     raise_grading_problems)

ROLES = ("baseline", "candidate")
MAX_REGRESSIONS = 50

# progress(label, total) -> advance(n); the CLI draws a bar, tests pass nothing.
ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class SuitePlan:
    config: SuiteConfig
    dataset: Dataset
    scorers: list[tuple[ScorerConfig, Scorer]]


@dataclass
class Plan:
    loaded: LoadedConfig
    baseline: str
    candidate: str
    suites: list[SuitePlan | SafetySuitePlan | perf.PerformancePlan]


def plan_check(loaded: LoadedConfig, *, baseline: str | None = None, candidate: str | None = None) -> Plan:
    """Resolve the two models and read every dataset and scorer, without calling a model.
    All problems are reported at once."""
    cfg = loaded.config
    roles = {"baseline": baseline or cfg.baseline, "candidate": candidate or cfg.candidate}
    problems: list[Problem] = []
    for role, name in roles.items():
        if name not in cfg.models:
            problems.append(Problem(f"--{role} '{name}' is not one of the models "
                                    f"({', '.join(cfg.models)})", file=str(loaded.path), key="models"))
    if roles["baseline"] == roles["candidate"]:
        problems.append(Problem(f"baseline and candidate are the same model '{roles['baseline']}'",
                                file=str(loaded.path)))
    if cfg.code_scan is not None:
        for j, rel in enumerate(cfg.code_scan.paths):
            if not (loaded.base_dir / rel).exists():
                problems.append(Problem(f"path '{rel}' does not exist", file=str(loaded.path),
                                        key=f"code_scan.paths[{j}]", hint="paths are relative to bouclier.yaml"))
    if not any(s.criteria for s in cfg.suites) and cfg.code_scan is None:
        problems.append(Problem("no suite has criteria: the gate would have nothing to decide",
                                file=str(loaded.path), key="suites[*].criteria",
                                hint="add e.g. {metric: exact_match, kind: non_inferiority, margin: 0.02}"))
    suites: list[SuitePlan | SafetySuitePlan | perf.PerformancePlan] = []
    problems.extend(budget_problems(loaded, roles))
    for i, suite in enumerate(cfg.suites):
        if suite.kind == "performance":  # bouclier.performance_suite
            try:
                suites.append(perf.plan_performance(suite, i, loaded, roles))
            except UsageError as exc:
                problems.extend(exc.problems)
            continue
        if suite.kind == "safety":
            try:
                suites.append(plan_safety_suite(suite, loaded=loaded, index=i))
            except (UsageError, DataError) as exc:
                problems.extend(exc.problems)
            continue
        try:
            if suite.canary:
                dataset = load_cases(suite, base_dir=loaded.base_dir, enrich=_canary_planter(cfg.run.seed, suite.name),
                                     enriched=frozenset({"canary"}))
            else:
                dataset = load_cases(suite, base_dir=loaded.base_dir)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        scorers = []
        for j, sc in enumerate(suite.scorers):
            where = f"suites[{i}].scorers[{j}]"
            try:
                scorer = build_scorer(sc.name, sc.options, where=where)
            except UsageError as exc:
                problems.extend(Problem(p.message, file=str(loaded.path), key=p.key, hint=p.hint)
                                for p in exc.problems)
                continue
            scorers.append((sc, scorer))
            if sc.field is None and suite.expected is None and getattr(scorer, "needs_reference", True):
                problems.append(Problem(f"scorer '{sc.name}' needs a reference: set the suite's "
                                        "'expected' or the scorer's 'field'", file=str(loaded.path), key=where))
        suites.append(SuitePlan(suite, dataset, scorers))
    for i, suite in enumerate(cfg.suites):
        agreement = getattr(suite, "agreement", None)
        if agreement is not None:
            problems.extend(_agreement_problems(loaded, i, agreement))
    for i, sp in enumerate(suites):
        graded = [sc.name for sc, scorer in getattr(sp, "scorers", []) if hasattr(scorer, "score_batch")]
        if graded and getattr(sp.config, "repeats", 1) > 1:
            problems.append(Problem(f"repeats with model-graded scorers ({', '.join(graded)}) is not supported: "
                                    "grade once per answer and use judge_repeats for the grader's noise",
                                    file=str(loaded.path), key=f"suites[{i}].repeats"))
    if problems:
        raise UsageError(problems=problems)
    # Model-graded scorers: judge and embedding models exist, rubrics load (before any call).
    raise_grading_problems(suites, models=cfg.models, base_dir=loaded.base_dir, file=str(loaded.path))
    return Plan(loaded, roles["baseline"], roles["candidate"], suites)


def _agreement_problems(loaded: LoadedConfig, i: int, agreement: AgreementConfig) -> list[Problem]:
    """The suite's ``agreement.scorer`` exists, takes its options and compares two texts
    without a model (checked here, before any call, not when the samples are compared)."""
    try:
        scorer = build_scorer(agreement.scorer, agreement.options, where="")
    except UsageError as exc:
        return [loaded.problem(p.message, "suites", i, "agreement", "scorer", hint=p.hint) for p in exc.problems]
    if hasattr(scorer, "score_batch"):
        return [loaded.problem(f"'{agreement.scorer}' is model-graded: it cannot compare two samples",
                               "suites", i, "agreement", "scorer",
                               hint="use a text similarity scorer such as token_f1")]
    return []


def _canary_planter(seed: int, suite: str) -> Callable[[str], dict]:
    """A unique canary token per case, derived from (seed, suite, case id): unpredictable
    to the model, stable across runs so that cached answers stay valid."""
    from bouclier.detectors import new_canary_token

    def plant(case_id: str) -> dict:
        digest = hashlib.sha256(f"{seed}\x00{suite}\x00{case_id}".encode()).digest()
        return {"canary": new_canary_token(seed=int.from_bytes(digest[:8], "big"))}

    return plant


@contextlib.contextmanager
def _no_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


async def _build_models(plan: Plan) -> dict[str, Model]:
    models: dict[str, Model] = {}
    try:
        for role in ROLES:
            name = getattr(plan, role)
            models[role] = build_model(name, plan.loaded.config.models[name], base_dir=plan.loaded.base_dir,
                                       concurrency=plan.loaded.config.run.concurrency,
                                       timeout_s=plan.loaded.config.run.timeout_s)
    except BaseException:
        for m in models.values():
            await m.aclose()
        raise
    return models


def _score_response(plan: SuitePlan, case: Case, k: int, role: str, response: Response,
                    columns: dict[str, list], graded: dict[tuple[str, str], Grade] | None,
                    grades: dict[int, dict[str, dict]]) -> dict[str, str] | None:
    """Score one answer into ``columns[metric][k]``; return its redacted findings, if any."""
    details = None
    for sc, scorer in plan.scorers:
        column = columns[sc.metric]
        if not response.ok:  # a failed call counts as a wrong answer
            column[k] = 0.0
            continue
        grade = graded.get((sc.metric, role)) if graded else None
        if grade is not None:  # model-graded: computed once per suite by grade_suite
            column[k] = grade.value
            grades.setdefault(k, {})[sc.metric] = grade.row()
            continue
        if sc.field:
            reference = case.fields.get(sc.field)
        else:
            reference = case.expected if getattr(scorer, "needs_reference", True) else None
        try:
            column[k] = score = float(scorer.score(response.output, case, reference))
            explain = getattr(scorer, "explain", None)
            if explain is not None and score:
                detail = explain(response.output, case, reference)
                if detail:
                    if details is None:
                        details = {}
                    details[sc.metric] = detail
        except Exception as exc:
            raise UsageError(problems=[Problem(
                f"scorer '{sc.name}' raised {type(exc).__name__}: {exc}",
                file=str(plan.dataset.path), line=case.line, key=f"case {case.id}")]) from exc
    return details


def _score(plan: SuitePlan, records: SuiteRecords, graded: SuiteGrades | None = None) -> None:
    """Score every answer of a suite, case by case; with repeats, each sample, and the
    case's score is the mean of its samples' scores (its details those of the first
    sample that has some)."""
    for k, case in enumerate(records.cases):
        for role in ROLES:
            grades = records.grades[role]
            if records.samples is None:
                found = _score_response(plan, case, k, role, records.responses[role][k], records.scores[role],
                                        graded.case(k) if graded else None, grades)
                if found:
                    records.details[role][k] = found
                continue
            per_sample = records.sample_scores[role]
            for j, responses in enumerate(records.samples[role]):
                found = _score_response(plan, case, k, role, responses[k], per_sample[j], None, grades)
                if found and k not in records.details[role]:
                    records.details[role][k] = found
            for m, column in records.scores[role].items():
                column[k] = float(np.mean([cols[m][k] for cols in per_sample]))
    records.freeze()


async def execute(plan: Plan, *, use_cache: bool = True,
                  progress: Callable | None = None) -> tuple[RunResult, list[CaseRecord]]:
    """Run both models on every suite, score, judge; return the result and the per-case
    records."""
    cfg = plan.loaded.config
    run = cfg.run
    progress = progress or _no_progress
    started = dt.datetime.now(dt.timezone.utc)
    options = RunOptions(concurrency=run.concurrency, timeout_s=run.timeout_s, retries=run.retries,
                         error_budget=run.error_budget, seed=run.seed)
    scan = run_code_scan(cfg.code_scan, base_dir=plan.loaded.base_dir) if cfg.code_scan else None
    cache = ResponseCache(plan.loaded.base_dir / run.cache_dir) if (use_cache and run.cache) else None
    grading = ScoringContext(models=cfg.models, base_dir=plan.loaded.base_dir, options=options, cache=cache,
                             cache_dir=(plan.loaded.base_dir / run.cache_dir) if (use_cache and run.cache) else None,
                             concurrency=run.concurrency, timeout_s=run.timeout_s, progress=progress)
    grader_reports = []
    models, guard = guard_models(plan, await _build_models(plan))
    records: list[CaseRecord] = []
    measured: dict[str, perf.PerformanceRun] = {}
    try:
        for sp in plan.suites:
            if isinstance(sp, SafetySuitePlan):
                records.extend(await run_safety_suite(
                    sp, loaded=plan.loaded, names={role: getattr(plan, role) for role in ROLES}, models=models,
                    options=options, cache=cache, progress=progress))
                continue
            if isinstance(sp, perf.PerformancePlan):
                measured[sp.config.name] = await perf.run_performance(sp, plan.loaded, guard=guard, progress=progress)
                continue
            cases = sp.dataset.cases

            repeats = sp.config.repeats

            async def one(role: str, repeat: int) -> list[Response]:
                mcfg = cfg.models[getattr(plan, role)]
                label = f"{sp.config.name}: {role} ({getattr(plan, role)})"
                label += f" sample {repeat + 1}/{repeats}" if repeats > 1 else ""
                with progress(label, len(cases)) as advance:
                    return await run_model(models[role], cases, options=options,
                                           system=sp.config.system or mcfg.system, params=mcfg.params,
                                           repeat=repeat, cache=cache, progress=advance)

            answers = await asyncio.gather(*(one(role, k) for role in ROLES for k in range(repeats)))
            samples = {role: [answers[r * repeats + j] for j in range(repeats)] for r, role in enumerate(ROLES)}
            del answers
            graded = None
            if any(is_model_graded(scorer) for _, scorer in sp.scorers):
                rows = [(case, {role: samples[role][0][k] for role in ROLES}) for k, case in enumerate(cases)]
                graded = await grade_suite(sp.scorers, rows, grading, suite=sp.config.name)
                grader_reports += graded.reports
                del rows
            suite = SuiteRecords(sp.config.name, cases, [sc.metric for sc, _ in sp.scorers], samples=samples)
            _score(sp, suite, graded)
            records.extend(suite.views())
    finally:
        if cache is not None:
            cache.close()
        for m in models.values():
            await m.aclose()
    result = judge(plan, records, started=started, models=models, scan=scan, performance=measured)
    result = apply_grading(result, [sp.config for sp in plan.suites], grader_reports)
    return apply_budget_stop(result, guard), records


def _metric_data(sp: SuitePlan, records: SuiteRecords, clusters: tuple | None = None) -> list[MetricData]:
    out = []
    case_ids = tuple(c.id for c in records.cases)
    details = records.details["candidate"]
    for sc, scorer in sp.scorers:
        out.append(MetricData(
            sp.config.name, sc.metric, scorer.binary and sp.config.repeats == 1,  # a mean of k 0/1 scores is not 0/1
            records.score_array("baseline", sc.metric), records.score_array("candidate", sc.metric),
            higher_is_better=getattr(scorer, "higher_is_better", True),
            case_ids=case_ids,
            candidate_details=tuple(details[k].get(sc.metric) if k in details else None
                                    for k in range(len(records))),
            clusters=clusters))
    return out


def _withheld(flagged: dict[str, str]) -> str:
    return "[output withheld: " + "; ".join(f"{m}: {d}" for m, d in flagged.items()) + "]"


def shown_output(record: CaseRecord, role: str) -> str | None:
    """The output as it may be stored: withheld, with the redacted findings, when a leak
    scorer flagged it (a secret is never written in full)."""
    flagged = record.details.get(role)
    if flagged:
        return _withheld(flagged)
    return record.responses[role].output


def _shown(records: SuiteRecords, role: str, k: int) -> str | None:
    """:func:`shown_output` of case ``k``, read from the columns."""
    flagged = records.details[role].get(k)
    return _withheld(flagged) if flagged else records.responses[role][k].output


def _regressions(sp: SuitePlan, data: list[MetricData], records: SuiteRecords) -> tuple[list[CaseRegression], int]:
    """The suite's regressed cases, worst first by judged metric (at most
    ``MAX_REGRESSIONS``: the run keeps no more), and how many there are in all."""
    judged = {c.metric for c in sp.config.criteria}
    found, total = [], 0
    for md in data:
        if md.name not in judged:
            continue
        drop = md.baseline - md.candidate if md.higher_is_better else md.candidate - md.baseline
        order = np.argsort(-drop, kind="stable")
        stops = np.flatnonzero(drop[order] <= 0)  # the worst-first walk stops at the first drop <= 0
        regressed = order[: stops[0] if stops.size else order.size]
        total += regressed.size
        for k in regressed[: MAX_REGRESSIONS - len(found)]:
            case = records.cases[k]
            found.append(CaseRegression(
                suite=sp.config.name, metric=md.name, case_id=case.id, group=case.group,
                input=case.input, expected=case.expected,
                baseline_output=_shown(records, "baseline", k),
                candidate_output=_shown(records, "candidate", k),
                baseline_score=float(md.baseline[k]), candidate_score=float(md.candidate[k]),
                candidate_error=records.responses["candidate"][k].error))
    return found, total


def _suite_of(sp: SuitePlan, recs: list) -> SuiteRecords:
    """The columns behind a quality suite's records (the views ``execute`` returned)."""
    if not recs:
        repeats = sp.config.repeats
        empty = SuiteRecords(sp.config.name, [], [sc.metric for sc, _ in sp.scorers],
                             samples={role: [[] for _ in range(repeats)] for role in ROLES})
        empty.freeze()
        return empty
    records = recs[0].records
    if len(recs) != len(records) or any(r.records is not records for r in recs):
        raise ValueError(f"suite '{sp.config.name}': judge the case records as execute() returned them, "
                         "all of them (the gate reads the suite's score columns)")
    return records


def judge(plan: Plan, records: list[CaseRecord], *, started: dt.datetime,
          models: dict[str, Model], scan=None, performance: dict | None = None) -> RunResult:
    cfg = plan.loaded.config
    options = JudgeOptions(confidence=cfg.run.confidence, seed=cfg.run.seed,
                           n_resamples=cfg.run.bootstrap_resamples,
                           multiple_testing=cfg.policy.multiple_testing)
    suites, criteria, regressions, inconsistent, newly_succeeding = [], [], [], [], []
    by_suite: dict[str, list] = {}
    for r in records:
        by_suite.setdefault(r.suite, []).append(r)
    for sp in plan.suites:
        if isinstance(sp, perf.PerformancePlan):
            suite, found = perf.judge_performance(sp, (performance or {})[sp.config.name], plan.loaded, options)
            suites.append(suite)
            criteria.extend(found)
            continue
        recs = by_suite.get(sp.config.name, [])
        if isinstance(sp, SafetySuitePlan):
            suite, found = judge_safety_suite(sp, recs, options, criteria)
            suites.append(suite)
            newly_succeeding.extend(found)
            continue
        suite, found, broken = _judge_suite(sp, _suite_of(sp, recs), recs, options, criteria)
        suite.cost = records_cost(plan, sp, recs)
        suites.append(suite)
        regressions.extend(found)
        inconsistent.extend(broken)
    if scan is not None:
        criteria.insert(0, code_scan_criterion(scan, confidence=cfg.run.confidence))
    criteria = adjust(criteria, options)
    _mark_groups(suites, criteria)
    verdict, reason = overall(criteria)
    reason += _worst_group_note(suites)
    info = {role: ModelInfo(name=getattr(plan, role), adapter=cfg.models[getattr(plan, role)].adapter,
                            fingerprint=models[role].fingerprint()) for role in ROLES}
    return RunResult(
        bouclier_version=__version__, run_id=started.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6],
        started_at=started.isoformat(), finished_at=dt.datetime.now(dt.timezone.utc).isoformat(),
        config_path=str(plan.loaded.path), config_digest=plan.loaded.digest,
        verdict=verdict, reason=reason, baseline=info["baseline"], candidate=info["candidate"],
        confidence=cfg.run.confidence, multiple_testing=cfg.policy.multiple_testing,
        inconclusive_policy=cfg.policy.inconclusive, suites=suites, criteria=criteria,
        regressions=(newly_succeeding + regressions)[:MAX_REGRESSIONS], inconsistent_sets=inconsistent,
        usage=role_usage(records, {role: getattr(plan, role) for role in ROLES}))


def _judge_suite(sp: SuitePlan, records: SuiteRecords, recs: list[CaseRecord], options: JudgeOptions,
                 criteria: list[CriterionResult]):
    """Judge one suite's criteria (appended to ``criteria``); return its summary, its
    regressed cases and the parallel sets the candidate answers inconsistently.
    ``recs`` are the views of ``records``, case by case."""
    cfg = sp.config
    parallel = tuple(str(c.fields.get(cfg.parallel_by)) for c in records.cases) if cfg.parallel_by else None
    data = _metric_data(sp, records, clusters=parallel)
    by_name = {md.name: md for md in data}
    for c in cfg.criteria:
        if c.kind == "max_unpredictability":
            criteria.append(stability_criterion(c, recs, suite=cfg.name, repeats=cfg.repeats, agreement=cfg.agreement,
                                                confidence=options.confidence, seed=options.seed,
                                                n_resamples=options.n_resamples))
            continue
        try:
            criteria.append(judge_criterion(c, by_name[c.metric], options))
        except ValueError as exc:  # e.g. NaN scores from a user scorer
            raise UsageError(problems=[Problem(f"cannot judge metric '{c.metric}': {exc}",
                                               key=f"suites.{cfg.name}.criteria")]) from exc
    groups: list[GroupSummary] = []
    summary, broken = None, []
    if cfg.group_by:
        labels = tuple(c.group or "" for c in records.cases)
        for md in data:
            groups.extend(group_summaries(GroupedData(md, labels, parallel), cfg.fairness, options))
        fair = cfg.fairness
        if fair is not None:
            md = by_name[fair.metric or data[0].name]
            criteria.extend(fairness_criteria(GroupedData(md, labels, parallel), fair, options))
            if parallel is not None:
                outputs = {role: tuple(x.output for x in records.responses[role]) for role in ROLES}
                correct = {"baseline": md.baseline, "candidate": md.candidate} if md.binary else None
                summary, found, broken = consistency(
                    ConsistencyData(cfg.name, parallel, labels, outputs, correct), fair, options)
                criteria.extend(found)
    found, total = _regressions(sp, data, records)
    suite = SuiteResult(
        name=cfg.name, dataset=str(sp.dataset.path), dataset_digest=sp.dataset.digest, n_cases=len(records),
        metrics=[MetricSummary(name=md.name, binary=md.binary, n=int(md.candidate.size),
                               baseline_mean=float(md.baseline.mean()) if md.baseline.size else 0.0,
                               candidate_mean=float(md.candidate.mean()) if md.candidate.size else 0.0)
                 for md in data],
        errors={role: sum(not x.ok for x in records.responses[role]) for role in ROLES},
        cached={role: sum(x.cached for x in records.responses[role]) for role in ROLES},
        regressions_total=total, group_by=cfg.group_by, groups=groups, consistency=summary,
        stability=stability_summaries(recs, roles=ROLES, repeats=cfg.repeats, agreement=cfg.agreement,
                                      binary={sc.metric: scorer.binary for sc, scorer in sp.scorers},
                                      confidence=options.confidence,
                                      seed=options.seed, n_resamples=options.n_resamples))
    return suite, found, broken


def _mark_groups(suites: list[SuiteResult], criteria: list[CriterionResult]) -> None:
    """Copy each per-group non-inferiority verdict (after Holm) onto its group row."""
    verdicts = {(c.suite, c.metric, c.group): c.verdict for c in criteria if c.kind == "per_group_non_inferiority"}
    for suite in suites:
        for g in suite.groups:
            g.verdict = verdicts.get((suite.name, g.metric, g.group))


def _worst_group_note(suites: list[SuiteResult]) -> str:
    notes = []
    for suite in suites:
        if suite.groups:
            worst = suite.groups[0]
            scale = 100 if 0 <= worst.candidate_mean <= 1 and 0 <= worst.baseline_mean <= 1 else 1
            unit = " points" if scale == 100 else ""
            notes.append(f"{suite.name}: worst {suite.group_by or 'group'} '{worst.group}' "
                         f"({worst.metric} {worst.difference * scale:+.1f}{unit})")
    return ("; " + "; ".join(notes)) if notes else ""


def run_check(loaded: LoadedConfig, *, baseline: str | None = None, candidate: str | None = None,
              use_cache: bool = True, progress: Callable | None = None) -> tuple[RunResult, list[CaseRecord]]:
    """Plan and execute the gate (synchronous convenience wrapper)."""
    plan = plan_check(loaded, baseline=baseline, candidate=candidate)
    return asyncio.run(execute(plan, use_cache=use_cache, progress=progress))


__all__ = ["Plan", "CaseRecord", "plan_check", "execute", "run_check", "judge", "case_rows"]


def case_rows(records: list[CaseRecord]) -> Iterator[dict]:
    """Per-case rows for cases.jsonl: input, expected, each model's output, error,
    latency, tokens and scores."""
    for r in records:
        if isinstance(r, ProbeRecord):
            yield case_row(r)
            continue
        records, k = r.records, r.index
        case = records.cases[k]
        row = {"suite": records.suite, "case_id": case.id, "group": case.group, "line": case.line,
               "input": case.input, "expected": case.expected}
        for role in ROLES:
            resp = records.responses[role][k]
            row[role] = {"output": _shown(records, role, k), "error": resp.error, "error_kind": resp.error_kind,
                         "latency_s": resp.latency_s, "input_tokens": resp.input_tokens,
                         "output_tokens": resp.output_tokens, "cached": resp.cached,
                         "scores": records.case_scores(role, k)}
            grades = records.grades[role].get(k)
            if grades:
                row[role]["grades"] = grades
        yield row
