"""Performance suites within ``bouclier check``: plan, measure, judge.

:mod:`bouclier.check` dispatches the suites of ``kind: performance`` here, one call per
phase: :func:`plan_performance` (read the dataset, check that every criterion can be
measured on these two models, without calling them), :func:`run_performance` (interleaved
load blocks, then peak memory) and :func:`judge_performance` (criteria and the summary
kept in ``result.json``). See docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from bouclier.adapters.base import Model, Request
from bouclier.adapters.registry import build_model
from bouclier.config import LoadedConfig
from bouclier.config.performance import (STREAMING_KINDS, CostCriterion, PeakMemoryCriterion,
                                         PerformanceSuiteConfig)
from bouclier.cost.budget import CostGuard
from bouclier.cost.prices import Call, Pricing, build_pricing, summarize_cost
from bouclier.data import Dataset, load_cases
from bouclier.errors import DataError, Problem, UsageError
from bouclier.gate.judge import JudgeOptions
from bouclier.gate.performance import ArmData, LevelData, Series, SuiteData, distribution, judge_suite, MIB
from bouclier.gate.result import (CostSummary, CriterionResult, LoadLevelResult, ModelLoad, PerformanceSummary,
                                  SuiteResult)
from bouclier.runner.load import LevelMeasurement, LoadSettings, measure_level
from bouclier.runner.memory import METHOD as MEMORY_METHOD
from bouclier.runner.memory import peak_memory_bytes

ROLES = ("baseline", "candidate")
UNMET_RATE = 0.95  # achieved below this share of the requested rate: reported as not met


@dataclass
class PerformancePlan:
    config: PerformanceSuiteConfig
    dataset: Dataset
    index: int
    model_names: dict[str, str]
    pricing: dict[str, Pricing]

    @property
    def scorers(self) -> list:  # a performance suite scores no answers
        return []


@dataclass
class PerformanceRun:
    levels: list[LevelMeasurement]
    requests: dict[str, list[Request]]
    memory_bytes: dict[str, int] = field(default_factory=dict)


def plan_performance(suite: PerformanceSuiteConfig, index: int, loaded: LoadedConfig,
                     roles: dict[str, str]) -> PerformancePlan:
    """Read the dataset and check every criterion against the two models; raise
    :class:`UsageError` listing every problem."""
    cfg = loaded.config
    where = f"suites[{index}]"
    problems: list[Problem] = []
    try:
        dataset = load_cases(suite, base_dir=loaded.base_dir)
    except DataError as exc:
        raise UsageError(problems=exc.problems) from exc
    names = {role: roles[role] for role in ROLES if roles[role] in cfg.models}
    for j, c in enumerate(suite.criteria):
        key = f"{where}.criteria[{j}]"
        for role, name in names.items():
            m = cfg.models[name]
            if c.kind in STREAMING_KINDS and not (m.adapter == "openai" and getattr(m, "stream", False)
                                                  and getattr(m, "endpoint", "chat") == "chat"):
                problems.append(Problem(
                    f"criterion '{c.kind}' needs a streaming chat model, but {role} '{name}' is "
                    + ("an openai model without stream: true" if m.adapter == "openai" and m.endpoint == "chat"
                       else f"an {m.adapter} model" + (" (embeddings do not stream)" if m.adapter == "openai" else "")),
                    file=str(loaded.path), key=key,
                    hint=f"set models.{name}.stream: true on an OpenAI-compatible chat endpoint, or drop the criterion"))
            if isinstance(c, PeakMemoryCriterion) and m.adapter != "python":
                problems.append(Problem(
                    f"peak_memory is measured for in-process python models only; {role} '{name}' is an "
                    f"{m.adapter} model", file=str(loaded.path), key=key,
                    hint="measure the server's memory with its own tooling, or drop the criterion"))
            if isinstance(c, CostCriterion):
                cost = m.cost
                if cost is None or not cost.priced:
                    problems.append(Problem(
                        f"criterion 'cost' needs a price for {role} '{name}'", file=str(loaded.path),
                        key=f"models.{name}.cost",
                        hint="set cost: {input_usd_per_million: ..., output_usd_per_million: ...}"))
    for role, name in names.items():
        m = cfg.models[name]
        if getattr(m, "stream", False) and getattr(m, "endpoint", "chat") == "embeddings":
            problems.append(Problem(f"model '{name}' sets stream: true on an embeddings endpoint, which does not "
                                    "stream", file=str(loaded.path), key=f"models.{name}.stream",
                                    hint="remove stream: true"))
    pricing: dict[str, Pricing] = {}
    if not problems:
        for role, name in names.items():
            try:
                pricing[role] = build_pricing(name, cfg.models[name], base_dir=loaded.base_dir)
            except UsageError as exc:
                problems.extend(Problem(p.message, file=str(loaded.path), key=p.key, hint=p.hint)
                                for p in exc.problems)
    if problems:
        raise UsageError(problems=problems)
    return PerformancePlan(suite, dataset, index, dict(names), pricing)


def settings_of(suite: PerformanceSuiteConfig, *, timeout_s: float, seed: int) -> LoadSettings:
    load = suite.load
    return LoadSettings(mode=load.mode, requests=load.measured_requests, duration_s=load.duration_s,
                        warmup=load.warmup, block_size=load.block_size, arrivals=load.arrivals,
                        max_in_flight=load.max_in_flight, timeout_s=timeout_s, seed=seed)


def _requests(plan: PerformancePlan, loaded: LoadedConfig) -> dict[str, list[Request]]:
    out = {}
    for role in ROLES:
        mcfg = loaded.config.models[plan.model_names[role]]
        system = plan.config.system or mcfg.system
        out[role] = [Request(input=c.input, system=c.system if c.system is not None else system,
                             params=dict(mcfg.params), fields=c.fields) for c in plan.dataset.cases]
    return out


def _build(loaded: LoadedConfig, name: str, concurrency: int) -> Model:
    run = loaded.config.run
    return build_model(name, loaded.config.models[name], base_dir=loaded.base_dir, concurrency=concurrency,
                       timeout_s=run.timeout_s)


async def run_performance(plan: PerformancePlan, loaded: LoadedConfig, *, guard: CostGuard | None = None,
                          progress: Callable | None = None) -> PerformanceRun:
    """Measure both models at every load level (fresh model instances sized for the load,
    never the response cache), then their peak memory when a criterion asks for it."""
    run = loaded.config.run
    load = plan.config.load
    settings = settings_of(plan.config, timeout_s=run.timeout_s, seed=run.seed)
    width = max(load.concurrency) if load.mode == "closed" else load.max_in_flight
    requests = _requests(plan, loaded)
    models: dict[str, Model] = {}
    try:
        for role in ROLES:
            model = _build(loaded, plan.model_names[role], width)
            models[role] = guard.wrap(model) if guard is not None else model
        levels = []
        per_level = (settings.warmup + settings.requests) * 2 if settings.requests is not None else 0
        for mode, value in load.levels:
            label = f"{plan.config.name}: {'concurrency ' + str(int(value)) if mode == 'closed' else f'{value:g} req/s'}"
            with (progress or _no_progress)(label, per_level) as advance:
                levels.append(await measure_level(models, requests, mode=mode, value=value, settings=settings,
                                                  progress=advance))
    finally:
        for m in models.values():
            await m.aclose()
    memory: dict[str, int] = {}
    if any(isinstance(c, PeakMemoryCriterion) for c in plan.config.criteria):
        n = min(plan.config.memory_requests, len(plan.dataset.cases))
        for role in ROLES:
            name = plan.model_names[role]
            memory[role] = await peak_memory_bytes(lambda name=name: _build(loaded, name, 1), requests[role][:n])
    return PerformanceRun(levels, requests, memory)


class _no_progress:
    def __init__(self, label: str, total: int):
        pass

    def __enter__(self):
        return lambda n: None

    def __exit__(self, *exc) -> None:
        return None


def _arm(level: LevelMeasurement, role: str, requests: list[Request], pricing: Pricing) -> tuple[ArmData, list[Call]]:
    pairs = level.samples(role)
    ok = [(b, s) for b, s in pairs if s.ok]
    usd = np.full(len(pairs), np.nan)
    calls = []
    for k, (_, s) in enumerate(pairs):
        req = requests[s.case_index]
        calls.append(Call(req.input, req.system, s.output, s.input_tokens, s.output_tokens, s.ok))
        if s.ok:
            value = pricing.call_usd(text=req.input, system=req.system, output=s.output,
                                     input_tokens=s.input_tokens, output_tokens=s.output_tokens)
            usd[k] = np.nan if value is None else value
    arm = ArmData(
        latency_ms=Series.of([(b, s.latency_s * 1000) for b, s in ok]),
        ttft_ms=Series.of([(b, s.ttft_s * 1000) for b, s in ok if s.ttft_s is not None]),
        tokens_per_s=Series.of([(b, s.tokens_per_s) for b, s in ok if s.tokens_per_s is not None]),
        failed=np.array([0.0 if s.ok else 1.0 for _, s in pairs]),
        timed_out=np.array([1.0 if s.timed_out else 0.0 for _, s in pairs]),
        block_throughput={ab.block: ab.throughput for ab in level.arm(role)},
        usd=usd)
    return arm, calls


def _model_load(level: LevelMeasurement, role: str, arm: ArmData) -> ModelLoad:
    blocks = level.arm(role)
    wall = sum(b.wall_s for b in blocks)
    n = int(arm.failed.size)
    rates = [b.achieved_rate for b in blocks if b.achieved_rate is not None]
    return ModelLoad(
        requests=n, errors=int(arm.failed.sum()), timeouts=int(arm.timed_out.sum()), wall_s=wall,
        throughput_rps=(n - int(arm.failed.sum())) / wall if wall > 0 else 0.0,
        achieved_rate=float(np.median(rates)) if rates else None,
        max_in_flight=max((b.max_in_flight for b in blocks), default=0),
        latency_ms=distribution(arm.latency_ms.values, "ms"), ttft_ms=distribution(arm.ttft_ms.values, "ms"),
        tokens_per_s=distribution(arm.tokens_per_s.values, "tokens/s"))


def _notes(level: LevelMeasurement, loads: dict[str, ModelLoad], names: dict[str, str], loaded: LoadedConfig) -> list[str]:
    notes = []
    for role in ROLES:
        load = loads[role]
        name = names[role]
        if level.mode == "open" and load.achieved_rate is not None and load.achieved_rate < UNMET_RATE * level.value:
            notes.append(f"load profile not met for {role} '{name}': requested {level.value:g} req/s, achieved "
                         f"{load.achieved_rate:.3g} req/s (the generator or the model could not keep up; latencies "
                         "count from the scheduled start, so they include the queueing)")
        if level.mode == "closed" and load.max_in_flight < int(level.value):
            mcfg = loaded.config.models[name]
            why = (f"; the python model runs inline, set models.{name}.threads: {int(level.value)} to run it in a "
                   "thread pool" if mcfg.adapter == "python" and not getattr(mcfg, "threads", 0) else "")
            notes.append(f"concurrency {int(level.value)} not reached for {role} '{name}': at most "
                         f"{load.max_in_flight} requests in flight{why}")
    return notes


def judge_performance(plan: PerformancePlan, run: PerformanceRun, loaded: LoadedConfig,
                      options: JudgeOptions) -> tuple[SuiteResult, list[CriterionResult]]:
    """Criteria (before the gate's Holm adjustment) and the suite's summary."""
    levels_data, level_results = [], []
    calls: dict[str, list[Call]] = {role: [] for role in ROLES}
    unknown: dict[str, str] = {}
    for level in run.levels:
        arms = {}
        for role in ROLES:
            arms[role], found = _arm(level, role, run.requests[role], plan.pricing[role])
            calls[role].extend(found)
        levels_data.append(LevelData(level.label, arms["baseline"], arms["candidate"]))
        loads = {role: _model_load(level, role, arms[role]) for role in ROLES}
        level_results.append(LoadLevelResult(
            label=level.label, mode=level.mode, concurrency=int(level.value) if level.mode == "closed" else None,
            requested_rate=level.value if level.mode == "open" else None, blocks=level.n_blocks,
            baseline=loads["baseline"], candidate=loads["candidate"],
            notes=_notes(level, loads, plan.model_names, loaded)))
    costs = {role: summarize_cost(plan.pricing[role], calls[role]) for role in ROLES}
    for role in ROLES:
        if not costs[role].known:
            unknown[role] = costs[role].reason or "cost unknown"
    memory_mb = {role: b / MIB for role, b in run.memory_bytes.items()}
    n_mem = min(plan.config.memory_requests, len(plan.dataset.cases))
    data = SuiteData(plan.config.name, levels_data, memory_mb=memory_mb,
                     memory_method=MEMORY_METHOD.format(n=n_mem) if memory_mb else None, cost_unknown=unknown)
    criteria = judge_suite(list(plan.config.criteria), data, options)
    summary = PerformanceSummary(levels=level_results, peak_memory_mb=memory_mb, memory_method=data.memory_method)
    total = sum(lr.baseline.requests + lr.candidate.requests for lr in level_results)
    suite = SuiteResult(
        name=plan.config.name, dataset=str(plan.dataset.path), dataset_digest=plan.dataset.digest, n_cases=total,
        metrics=[], errors={role: sum(getattr(lr, role).errors for lr in level_results) for role in ROLES},
        cached={role: 0 for role in ROLES}, kind="performance", performance=summary,
        cost=CostSummary(baseline=costs["baseline"], candidate=costs["candidate"]))
    return suite, criteria


def planned_calls(plan: PerformancePlan) -> int | None:
    """Calls per model this suite will make (None when duration-bound)."""
    load = plan.config.load
    n = load.measured_requests
    return None if n is None else (load.warmup + n) * len(load.levels)


__all__ = ["PerformancePlan", "PerformanceRun", "judge_performance", "plan_performance", "planned_calls",
           "run_performance"]
