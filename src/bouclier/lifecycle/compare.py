"""``bouclier compare``: several candidates on the same suites against one baseline.

Each candidate gets the full gate against the baseline (fairness included: the same
``check.judge``); the comparison then places every option on quality x cost per 1k
requests x p95 latency, marks the Pareto front, and recommends the cheapest candidate
that is non-inferior on every gate criterion (verdict PASS) and cheaper than the baseline.
A candidate whose cost is unknown is left out of the cost ranking, and the comparison
says so. Runs made on different configurations, datasets or baselines are refused, with
exactly what differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from bouclier.config.lifecycle import PriceConfig
from bouclier.errors import Problem, UsageError
from bouclier.lifecycle.measures import Measures, measures


@dataclass(frozen=True)
class Option:
    """One row of the comparison: the baseline or a candidate."""

    name: str
    is_baseline: bool
    measures: Measures
    verdict: str | None  # the candidate's gate verdict against the baseline
    not_passed: list[str] = field(default_factory=list)  # "criterion (suite): VERDICT"
    on_front: bool | None = None  # None: not placed (a dimension is unknown)
    dominated_by: list[str] = field(default_factory=list)

    @property
    def non_inferior(self) -> bool:
        return self.is_baseline or self.verdict == "PASS"

    @property
    def unknown(self) -> list[str]:
        m = self.measures
        return [what for what, v in (("quality", m.quality), ("cost", m.cost.per_1k_requests),
                                     ("p95 latency", m.latency_p95_s)) if v is None]


@dataclass(frozen=True)
class CandidateComparison:
    baseline: str
    quality_metric: str | None
    options: list[Option]
    recommended: str | None  # a candidate's name, or None: keep the baseline
    reasons: list[str]  # why, including which options were excluded and why
    config_digest: str
    run_ids: list[str]


def same_basis(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """What differs between runs that must share configuration, datasets and baseline
    (empty when they can be compared)."""
    first = results[0]
    diffs = []
    digests0 = {s["name"]: s["dataset_digest"] for s in first["suites"]}
    for r in results[1:]:
        who = f"run {r['run_id']} vs run {first['run_id']}"
        if r["config_digest"] != first["config_digest"]:
            diffs.append(f"{who}: config digest {r['config_digest'][:12]} vs {first['config_digest'][:12]}")
        digests = {s["name"]: s["dataset_digest"] for s in r["suites"]}
        for suite in sorted(set(digests) | set(digests0)):
            a, b = digests.get(suite), digests0.get(suite)
            if a != b:
                diffs.append(f"{who}: suite '{suite}' dataset digest "
                             f"{(a or 'absent')[:12]} vs {(b or 'absent')[:12]}")
        if (r["baseline"]["name"], r["baseline"]["fingerprint"]) != (first["baseline"]["name"],
                                                                     first["baseline"]["fingerprint"]):
            diffs.append(f"{who}: baseline {r['baseline']['name']} ({r['baseline']['fingerprint'][:12]}) vs "
                         f"{first['baseline']['name']} ({first['baseline']['fingerprint'][:12]})")
    return diffs


def _dims(m: Measures) -> tuple[float, float, float]:
    """All three as lower-is-better."""
    return (-m.quality, m.cost.per_1k_requests, m.latency_p95_s)


def dominates(a: Measures, b: Measures) -> bool:
    """``a`` at least as good as ``b`` on quality, cost and p95 latency, better on one."""
    da, db = _dims(a), _dims(b)
    return all(x <= y for x, y in zip(da, db)) and any(x < y for x, y in zip(da, db))


def pareto(options: list[Option]) -> list[Option]:
    placed = [o for o in options if not o.unknown]
    out = []
    for o in options:
        if o.unknown:
            out.append(o)
            continue
        by = [p.name for p in placed if p is not o and dominates(p.measures, o.measures)]
        out.append(replace(o, on_front=not by, dominated_by=by))
    return out


def _as_dict(result: Any) -> dict:
    return dict(result) if isinstance(result, Mapping) else result.model_dump(mode="json")


def compare_results(results: Sequence[Any], *, quality_metric: str | None = None,
                    prices: Mapping[str, PriceConfig] | None = None) -> CandidateComparison:
    """Build the comparison from gate runs (one per candidate, all against the same
    baseline on the same configuration and datasets)."""
    runs = [_as_dict(r) for r in results]
    if not runs:
        raise UsageError("nothing to compare: no candidate runs")
    diffs = same_basis(runs)
    if diffs:
        raise UsageError(problems=[Problem(f"cannot compare runs made on a different basis: {d}",
                                           hint="re-run the candidates with the same bouclier.yaml and datasets")
                                   for d in diffs])
    names = [r["candidate"]["name"] for r in runs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UsageError(f"a candidate appears in more than one run: {', '.join(dup)}")
    base = measures(runs[0], "baseline", quality_metric=quality_metric, prices=prices)
    options = [Option(base.model, True, base, None)]
    for r in runs:
        m = measures(r, "candidate", quality_metric=base.quality_metric, prices=prices)
        failed = [f"{c['name']} ({c['suite']}{', ' + c['group'] if c.get('group') else ''}): {c['verdict']}"
                  for c in r["criteria"] if c["verdict"] != "PASS"]
        options.append(Option(m.model, False, m, r["verdict"], failed))
    options = pareto(options)
    recommended, reasons = _recommend(options)
    return CandidateComparison(baseline=base.model, quality_metric=base.quality_metric, options=options,
                               recommended=recommended, reasons=reasons, config_digest=runs[0]["config_digest"],
                               run_ids=[r["run_id"] for r in runs])


def _recommend(options: list[Option]) -> tuple[str | None, list[str]]:
    baseline = options[0]
    reasons = []
    for o in options[1:]:
        if not o.non_inferior:
            shown = "; ".join(o.not_passed[:3]) + (f" (+{len(o.not_passed) - 3} more)" if len(o.not_passed) > 3 else "")
            reasons.append(f"{o.name}: not non-inferior to {baseline.name} ({o.verdict}): {shown}")
        elif not o.measures.cost.known:
            reasons.append(f"{o.name}: non-inferior, but cost unknown ({o.measures.cost.note}): "
                           "excluded from the cost ranking")
    ranked = sorted((o for o in options[1:] if o.non_inferior and o.measures.cost.known),
                    key=lambda o: (o.measures.cost.per_1k_requests, -(o.measures.quality or 0.0),
                                   o.measures.latency_p95_s if o.measures.latency_p95_s is not None else float("inf")))
    if not ranked:
        reasons.append(f"keep {baseline.name}: no candidate is both non-inferior and priced")
        return None, reasons
    best = ranked[0]
    cost = best.measures.cost.per_1k_requests
    if not baseline.measures.cost.known:
        reasons.append(f"{best.name} is the cheapest non-inferior candidate ({cost:.4g} per 1k requests); "
                       f"the baseline's cost is unknown ({baseline.measures.cost.note}), so the saving is not known")
        return best.name, reasons
    base_cost = baseline.measures.cost.per_1k_requests
    if cost < base_cost:
        reasons.append(f"{best.name}: non-inferior on every criterion and the cheapest "
                       f"({cost:.4g} vs {base_cost:.4g} per 1k requests, {1 - cost / base_cost:.0%} less)")
        return best.name, reasons
    reasons.append(f"keep {baseline.name}: the cheapest non-inferior candidate, {best.name}, "
                   f"costs {cost:.4g} per 1k requests vs {base_cost:.4g}")
    return None, reasons


def default_quality_metric(config: Any) -> str | None:
    """``lifecycle.quality_metric``, else the first suite's first criterion metric, else its first scorer."""
    if config.lifecycle is not None and config.lifecycle.quality_metric:
        return config.lifecycle.quality_metric
    for suite in config.suites:
        for c in suite.criteria:
            if c.metric:
                return c.metric
        return suite.scorers[0].metric
    return None


def run_compare(loaded: Any, *, candidates: Sequence[str] | None = None, baseline: str | None = None,
                database_url: str | None = None, use_cache: bool = True, progress=None
                ) -> tuple[CandidateComparison, list[Any]]:
    """Gate every candidate (default: every model of bouclier.yaml but the baseline; a
    name that is not one of models: is a registry alias or version) against the baseline,
    then compare. Returns the comparison and the gate results."""
    from bouclier.release import check_release

    cfg = loaded.config
    baseline = baseline or cfg.baseline
    chosen = list(candidates) if candidates else [m for m in cfg.models if m != baseline]
    if not chosen:
        raise UsageError(problems=[Problem("no candidate to compare: bouclier.yaml has a single model",
                                           file=str(loaded.path), key="models")])
    if baseline in chosen:
        raise UsageError(f"the baseline '{baseline}' cannot also be a candidate")
    results = []
    for name in chosen:
        result, _, _ = check_release(loaded, baseline=baseline, candidate=name, database_url=database_url,
                                     use_cache=use_cache, progress=progress)
        results.append(result.model_copy(update={"origin": "compare"}))
    policy = cfg.lifecycle
    comparison = compare_results(results, quality_metric=default_quality_metric(cfg),
                                 prices=policy.prices if policy else None)
    return comparison, results
