"""``bouclier lifecycle report``: per registered version, keep / compress / replace /
retire / investigate, each with the measured reasons against the ``lifecycle:`` policy
and the evidence (run ids and dates).

Evidence for a version is its latest recorded run in which it took part (as candidate,
or as baseline), read for the role it played. The advice is the most urgent of the
reasons found, in this order:

- **retire**: already retired, or deprecated and past its ``retire_after`` date, or
  fewer requests per day through the canary router than ``min_requests_per_day``;
- **investigate**: no recorded run at all, or unpredictability above the policy;
- **replace**: quality below the policy; or cost / p95 above the policy while another
  version is measured non-inferior to it (a PASS against it) within the policy;
- **compress**: cost or p95 latency above the policy and no measured replacement;
- **keep**: every judged figure within the policy.

A figure that is not measured (cost without a price, p95 latency without a performance
suite, traffic without the router's signal store, unpredictability without ``repeats``)
is never judged, and the report says so. Latency and cost are the performance suite's
(:mod:`bouclier.lifecycle.measures`); traffic is the router's (:mod:`bouclier.lifecycle.traffic`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bouclier.config.lifecycle import LifecycleConfig
from bouclier.lifecycle.deprecation import deprecation_warnings
from bouclier.lifecycle.measures import Measures, measures
from bouclier.lifecycle.traffic import DAY_S, NO_STORE, TrafficReading, VersionTraffic, duration

ADVICE = ("retire", "investigate", "replace", "compress", "keep")


@dataclass(frozen=True)
class VersionAdvice:
    version: str  # "model@label"
    stage: str
    advice: str
    reasons: list[str]  # the measured reasons (those that set the advice first)
    notes: list[str] = field(default_factory=list)  # what could not be judged
    evidence: list[str] = field(default_factory=list)  # "run RUN_ID (DATE, role)"
    measures: Measures | None = None
    traffic: VersionTraffic | None = None  # None: unknown


def _parse(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at)


def lifecycle_report(registry: Any, model: str, *, policy: LifecycleConfig | None = None,
                     quality_metric: str | None = None, now: dt.datetime | None = None,
                     traffic: TrafficReading | None = None) -> list[VersionAdvice]:
    """Advice for every version of ``model``, newest first. ``traffic``: what the router's
    signal store says (:func:`bouclier.lifecycle.traffic.read_traffic`); None: unknown."""
    policy = policy or LifecycleConfig()
    traffic = traffic or TrafficReading(None, policy.traffic_window_days, unknown_reason=NO_STORE)
    quality_metric = quality_metric or policy.quality_metric
    now = now or dt.datetime.now(dt.timezone.utc)
    # Runs recorded from a full result.json of `bouclier check` (the registry also accepts a
    # bare verdict through its Python API: such a run carries no figures to advise on).
    runs = [r for r in registry.gate_runs(model) if all(k in r.result for k in ("started_at", "baseline", "candidate"))]
    if policy.max_age_days is not None:
        cutoff = now - dt.timedelta(days=policy.max_age_days)
        runs = [r for r in runs if _parse(r.result["started_at"]) >= cutoff]
    versions = registry.list_versions(model)
    latest: dict[str, tuple[Any, str]] = {}  # ref -> (run, role), runs oldest first
    for run in runs:
        latest[run.candidate] = (run, "candidate")
        if run.baseline:
            latest[run.baseline] = (run, "baseline")
    figures = {ref: measures(run.result, role, quality_metric=quality_metric, prices=policy.prices,
                             version=ref.rpartition("@")[2], dataset_digests=run.dataset_digests or None)
               for ref, (run, role) in latest.items()}
    try:
        production = registry.resolve(model, "production").ref
    except Exception:  # no production alias yet
        production = None
    out = []
    for v in sorted(versions, key=lambda v: v.created_at, reverse=True):
        out.append(_advise(v, figures.get(v.ref), latest.get(v.ref), runs, figures, policy, production,
                           now.date(), registry, traffic))
    return out


def _replacement(ref: str, runs: list, figures: dict, ok) -> str | None:
    """Another version measured non-inferior to ``ref`` (its latest run against it PASSed)
    whose own figures satisfy ``ok``."""
    last: dict[str, Any] = {}
    for run in runs:
        if run.baseline == ref and run.candidate != ref:
            last[run.candidate] = run
    for cand, run in last.items():
        m = figures.get(cand)
        if run.verdict == "PASS" and m is not None and ok(m):
            return f"{cand} (PASS against it in run {run.run_id})"
    return None


def _advise(v, m: Measures | None, seen, runs, figures, policy: LifecycleConfig, production, today,
            registry, traffic: TrafficReading) -> VersionAdvice:
    found: dict[str, list[str]] = {a: [] for a in ADVICE}
    notes: list[str] = []
    if v.ref == production or v.stage == "deprecated":
        notes.extend(w for w in deprecation_warnings(registry, v.model, today=today) if v.ref in w)
    if v.stage == "retired":
        found["retire"].append(f"retired on {v.stage_changed_at.date().isoformat()}")
    elif v.stage == "deprecated":
        if v.retire_after and v.retire_after < today and v.ref != production:
            found["retire"].append(f"deprecated; its retire-after date {v.retire_after.isoformat()} has passed")
        else:
            notes.append("deprecated" + (f", retire after {v.retire_after.isoformat()}" if v.retire_after else ""))
    evidence = []
    if m is None:
        if v.stage != "retired":
            found["investigate"].append("no recorded runs: nothing is measured "
                                        "(record one with `bouclier check --record` or `bouclier watch`)")
    else:
        run, role = seen
        evidence.append(f"run {run.run_id} ({m.at[:10]}, as {role}, verdict {run.verdict})")
        _judge(v.ref, m, runs, figures, policy, found, notes)
    used = traffic.of(v.label)
    if v.stage != "retired":
        _judge_traffic(v, used, traffic, policy, found, notes, evidence)
    advice = next(a for a in ADVICE if found[a] or a == "keep")
    reasons = found[advice] or ["every judged figure is within the policy"]
    more = [r for a in ADVICE if a != advice for r in found[a]]
    return VersionAdvice(f"{v.ref}", v.stage, advice, reasons + more, notes, evidence, m, used)


def _judge_traffic(v, used: VersionTraffic | None, traffic: TrafficReading, policy: LifecycleConfig,
                   found: dict, notes: list, evidence: list) -> None:
    floor = policy.min_requests_per_day
    if used is None:
        if floor is None:
            return
        why = traffic.unknown_reason or ("no rollout of this model sent it traffic through the router "
                                         "(stable or canary)")
        notes.append(f"traffic unknown ({why}): min_requests_per_day not judged")
        return
    rate = f"{used.per_day:.4g} per day; " if used.per_day is not None else ""
    evidence.append(f"traffic: {used.requests} requests through the router in the last "
                    f"{duration(used.days * DAY_S)} ({rate}rollouts {', '.join(used.rollouts)})")
    notes.extend(traffic.notes)
    if floor is None or used.per_day is None:
        return
    if v.label in traffic.rolling_out:
        notes.append(f"in a running rollout ({traffic.rolling_out[v.label]}): its traffic is the rollout's "
                     "share, min_requests_per_day not judged")
    elif used.per_day < floor:
        found["retire"].append(f"{used.per_day:.4g} requests per day through the router over the last "
                               f"{duration(used.days * DAY_S)}, below the policy's {floor:g}: hardly anyone uses it")


def _judge(ref: str, m: Measures, runs, figures, policy: LifecycleConfig, found: dict, notes: list) -> None:
    p = policy
    if p.max_unpredictability is not None:
        if m.unpredictability is None:
            notes.append("unpredictability not measured (set repeats: k >= 2 on a suite)")
        elif m.unpredictability > p.max_unpredictability:
            found["investigate"].append(
                f"unpredictability {m.unpredictability:.3f} (interval up to {m.unpredictability_high:.3f}) "
                f"above the policy's {p.max_unpredictability:g}: answers change between identical requests")
    if p.min_quality is not None:
        if m.quality is None:
            notes.append(f"quality metric '{m.quality_metric}' not measured in the evidence run")
        elif m.quality < p.min_quality:
            found["replace"].append(f"quality ({m.quality_metric}) {m.quality:.3f} below the policy's {p.min_quality:g}")
    if p.max_cost_per_1k_requests is not None:
        if not m.cost.known:
            notes.append(f"cost unknown ({m.cost.note}): not judged")
        elif m.cost.per_1k_requests > p.max_cost_per_1k_requests:
            what = (f"cost {m.cost.per_1k_requests:.4g} per 1k requests above the policy's "
                    f"{p.max_cost_per_1k_requests:g}")
            alt = _replacement(ref, runs, figures, lambda x: x.cost.known
                               and x.cost.per_1k_requests <= p.max_cost_per_1k_requests)
            if alt:
                found["replace"].append(f"{what}; measured replacement: {alt}")
            else:
                found["compress"].append(f"{what}; no measured non-inferior version within the budget: "
                                         "try a compressed or smaller variant (bouclier compare)")
    if p.max_p95_latency_s is not None:
        if m.latency_p95_s is None:
            notes.append(f"p95 latency unknown ({m.latency_note}): not judged")
        elif m.latency_p95_s > p.max_p95_latency_s:
            what = (f"p95 latency {m.latency_p95_s:.3g} s ({m.latency_note}) above the policy's "
                    f"{p.max_p95_latency_s:g} s")
            alt = _replacement(ref, runs, figures, lambda x: x.latency_p95_s is not None
                               and x.latency_p95_s <= p.max_p95_latency_s)
            if alt:
                found["replace"].append(f"{what}; measured replacement: {alt}")
            else:
                found["compress"].append(f"{what}; no measured non-inferior version within it")
