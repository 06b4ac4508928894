"""Linguistic fairness: every metric per group (language), and the criteria that keep an
update from improving the average while one language quietly collapses.

- parity_ratio: worst group / best group of the candidate, judged on its interval;
- max_gap_to_reference: each group's gap below the reference group;
- per_group_non_inferiority: each group against the baseline on its own cases;
- min_cases_per_group: too few cases make a group's criteria INCONCLUSIVE;
- consistency: parallel sets (the same request in several languages) answered alike.
Every criterion carries p-values, so the gate's Holm correction covers all the groups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bouclier import stats
from bouclier.config.schema import FairnessConfig
from bouclier.gate.judge import JudgeOptions, MetricData, format_value
from bouclier.gate.result import (ConsistencySummary, CriterionResult, GroupSummary, InconsistentSet,
                                  Verdict)
from bouclier.scoring.normalize import normalize

MAX_INCONSISTENT = 30


@dataclass(frozen=True)
class GroupedData:
    """One metric's paired scores with each case's group (and parallel set)."""

    metric: MetricData
    groups: tuple[str, ...]
    parallel: tuple[str, ...] | None = None


def _verdict(cmp, options: JudgeOptions) -> Verdict:
    alpha1 = (1 - options.confidence) / 2
    if cmp.p_pass < alpha1:
        return Verdict.PASS
    if cmp.p_fail < alpha1:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def _tail(verdict: Verdict, cmp, n: int) -> str:
    if verdict is not Verdict.INCONCLUSIVE:
        return ""
    if cmp.n_needed is None:
        return "; the estimate sits on the bound"
    return f"; about {cmp.n_needed} cases in all ({max(cmp.n_needed - n, 0)} more) would decide"


def group_summaries(data: GroupedData, cfg: FairnessConfig | None, options: JudgeOptions) -> list[GroupSummary]:
    """Per group: both means, the paired difference and its interval; sorted worst first
    (largest drop, then lowest candidate score)."""
    md = data.metric
    groups = np.array(data.groups)
    out = []
    for g in sorted(set(data.groups)):
        mask = groups == g
        b, c = md.baseline[mask], md.candidate[mask]
        lo = hi = None
        if mask.sum() >= 2:
            _, interval = stats.paired_difference_interval(baseline=b, candidate=c, confidence=options.confidence,
                                                           seed=options.seed, n_resamples=options.n_resamples,
                                                           binary=md.binary)
            lo, hi = interval.low, interval.high
        out.append(GroupSummary(metric=md.name, group=g, n=int(mask.sum()), baseline_mean=float(b.mean()),
                                candidate_mean=float(c.mean()), difference=float(c.mean() - b.mean()),
                                ci_low=lo, ci_high=hi))
    sign = 1 if md.higher_is_better else -1
    return sorted(out, key=lambda s: (sign * s.difference, sign * s.candidate_mean))


def fairness_criteria(data: GroupedData, cfg: FairnessConfig, options: JudgeOptions) -> list[CriterionResult]:
    md = data.metric
    points = md.in_unit_interval
    pct = f"{options.confidence:.0%}"
    groups = np.array(data.groups)
    names = sorted(set(data.groups))
    sizes = {g: int((groups == g).sum()) for g in names}
    small = {g: n for g, n in sizes.items() if n < cfg.min_cases_per_group}
    out: list[CriterionResult] = []
    base = dict(suite=md.suite, metric=md.name, confidence=options.confidence)

    def too_few(name: str, kind: str, group: str | None, n: int) -> CriterionResult:
        return CriterionResult(**base, name=name, kind=kind, group=group, n=n, verdict=Verdict.INCONCLUSIVE,
                               reason=f"group '{group}' has {n} cases; min_cases_per_group is "
                                      f"{cfg.min_cases_per_group} ({cfg.min_cases_per_group - n} more needed)",
                               baseline_value=None, candidate_value=None, difference=None, ci_low=None,
                               ci_high=None, n_needed=cfg.min_cases_per_group, method="too few cases")

    if cfg.parity_ratio is not None:
        name = f"{md.name} parity ratio (worst/best group) >= {cfg.parity_ratio.fail:g}"
        if small:
            g = min(small, key=small.get)
            out.append(too_few(name, "parity_ratio", g, small[g]))
        else:
            try:
                cmp = stats.compare_group_ratio(values=md.candidate, groups=data.groups,
                                                threshold=cfg.parity_ratio.fail, clusters=data.parallel,
                                                confidence=options.confidence, seed=options.seed,
                                                n_resamples=options.n_resamples)
            except ValueError as exc:
                out.append(CriterionResult(**base, name=name, kind="parity_ratio", n=md.candidate.size,
                                           verdict=Verdict.INCONCLUSIVE, reason=f"cannot compute: {exc}",
                                           baseline_value=None, candidate_value=None, difference=None,
                                           ci_low=None, ci_high=None))
            else:
                v = _verdict(cmp, options)
                lo, hi = cmp.interval.low, cmp.interval.high
                means = {g: m for g, m, _ in cmp.group_means}
                warn = (f"; warning: below {cfg.parity_ratio.warn:g}" if cmp.estimate < cfg.parity_ratio.warn
                        and v is not Verdict.FAIL else "")
                reason = (f"worst group {cmp.worst} ({format_value(means[cmp.worst], points)}) / best {cmp.best} "
                          f"({format_value(means[cmp.best], points)}) = {cmp.estimate:.2f} ({pct} CI {lo:.2f} to {hi:.2f}), "
                          + {Verdict.PASS: "above", Verdict.FAIL: "below",
                             Verdict.INCONCLUSIVE: "straddling"}[v] + f" {cfg.parity_ratio.fail:g}" + warn
                          + _tail(v, cmp, md.candidate.size))
                out.append(CriterionResult(**base, name=name, kind="parity_ratio", group=cmp.worst,
                                           n=int(md.candidate.size), verdict=v, reason=reason,
                                           baseline_value=None, candidate_value=cmp.estimate, difference=None,
                                           ci_low=lo, ci_high=hi, threshold=cfg.parity_ratio.fail,
                                           p_pass=cmp.p_pass, p_fail=cmp.p_fail, mde=cmp.mde,
                                           n_needed=cmp.n_needed, method=cmp.method))

    if cfg.max_gap_to_reference is not None and cfg.reference is not None:
        ref = cfg.reference
        if ref not in sizes:
            out.append(CriterionResult(**base, name=f"{md.name} gap to reference '{ref}'", kind="max_gap_to_reference",
                                       n=0, verdict=Verdict.INCONCLUSIVE, group=ref,
                                       reason=f"reference group '{ref}' has no cases (groups: {', '.join(names)})",
                                       baseline_value=None, candidate_value=None, difference=None,
                                       ci_low=None, ci_high=None))
        else:
            out.extend(_gap_criteria(data, cfg, options, sizes, small))

    if cfg.per_group_non_inferiority is not None:
        margin = cfg.per_group_non_inferiority.margin
        threshold = -margin if md.higher_is_better else margin
        for g in names:
            name = f"{md.name} in '{g}' non-inferior (margin {margin:g})"
            if g in small:
                out.append(too_few(name, "per_group_non_inferiority", g, small[g]))
                continue
            mask = groups == g
            cmp = stats.compare_paired(baseline=md.baseline[mask], candidate=md.candidate[mask], threshold=threshold,
                                       higher_is_better=md.higher_is_better, confidence=options.confidence,
                                       seed=options.seed, n_resamples=options.n_resamples, binary=md.binary)
            v = _verdict(cmp, options)
            lo, hi = cmp.interval.low, cmp.interval.high
            moved = "rose" if cmp.estimate > 0 else "fell" if cmp.estimate < 0 else "did not change"
            reason = (f"in '{g}', {md.name} {moved} {format_value(abs(cmp.estimate), points)}{' points' if points else ''} "
                      f"({pct} CI {format_value(lo, points, True)} to {format_value(hi, points, True)}; n={sizes[g]}), "
                      + {Verdict.PASS: "within", Verdict.FAIL: "beyond",
                         Verdict.INCONCLUSIVE: "straddling"}[v] + f" the margin of {format_value(margin, points)}"
                      + (" points" if points else "") + _tail(v, cmp, sizes[g]))
            out.append(CriterionResult(**base, name=name, kind="per_group_non_inferiority", group=g, n=sizes[g],
                                       verdict=v, reason=reason, baseline_value=float(md.baseline[mask].mean()),
                                       candidate_value=float(md.candidate[mask].mean()), difference=cmp.estimate,
                                       ci_low=lo, ci_high=hi, threshold=threshold, p_pass=cmp.p_pass,
                                       p_fail=cmp.p_fail, mde=cmp.mde, n_needed=cmp.n_needed, method=cmp.method))
    return out


def _gap_criteria(data, cfg, options, sizes, small) -> list[CriterionResult]:
    md = data.metric
    points = md.in_unit_interval
    ref, gap = cfg.reference, cfg.max_gap_to_reference
    groups = np.array(data.groups)
    ref_mask = groups == ref
    threshold = -gap if md.higher_is_better else gap
    out = []
    for g in sorted(sizes):
        if g == ref:
            continue
        name = f"{md.name} gap of '{g}' to '{ref}' <= {format_value(gap, points)}"
        base = dict(suite=md.suite, metric=md.name, confidence=options.confidence, name=name,
                    kind="max_gap_to_reference", group=g)
        if g in small or ref in small:
            worst = g if g in small else ref
            out.append(CriterionResult(**base, n=sizes[g], verdict=Verdict.INCONCLUSIVE,
                                       reason=f"group '{worst}' has {sizes[worst]} cases; min_cases_per_group is "
                                              f"{cfg.min_cases_per_group}",
                                       baseline_value=None, candidate_value=None, difference=None,
                                       ci_low=None, ci_high=None, n_needed=cfg.min_cases_per_group))
            continue
        mask = groups == g
        if data.parallel is not None:  # the same requests in both languages: pair them
            pairs = _paired_by_set(data.parallel, groups, md.candidate, ref, g)
            if len(pairs[0]) >= 2:
                cmp = stats.compare_paired(baseline=pairs[0], candidate=pairs[1], threshold=threshold,
                                           higher_is_better=md.higher_is_better, confidence=options.confidence,
                                           seed=options.seed, n_resamples=options.n_resamples, binary=md.binary)
            else:
                cmp = None
        else:
            cmp = None
        if cmp is None:
            cmp = stats.compare_independent_difference(a=md.candidate[ref_mask], b=md.candidate[mask],
                                                       threshold=threshold, higher_is_better=md.higher_is_better,
                                                       confidence=options.confidence, binary=md.binary)
        v = _verdict(cmp, options)
        lo, hi = cmp.interval.low, cmp.interval.high
        reason = (f"'{g}' is {format_value(-cmp.estimate, points)} below '{ref}' "
                  f"({options.confidence:.0%} CI of the difference {format_value(lo, points, True)} to "
                  f"{format_value(hi, points, True)}; n={sizes[g]}), "
                  + {Verdict.PASS: "within", Verdict.FAIL: "beyond",
                     Verdict.INCONCLUSIVE: "straddling"}[v] + f" the allowed gap of {format_value(gap, points)}"
                  + _tail(v, cmp, sizes[g]))
        out.append(CriterionResult(**base, n=sizes[g], verdict=v, reason=reason,
                                   baseline_value=float(md.candidate[ref_mask].mean()),
                                   candidate_value=float(md.candidate[mask].mean()), difference=cmp.estimate,
                                   ci_low=lo, ci_high=hi, threshold=threshold, p_pass=cmp.p_pass, p_fail=cmp.p_fail,
                                   mde=cmp.mde, n_needed=cmp.n_needed, method=cmp.method))
    return out


def _paired_by_set(parallel, groups, values, ref: str, g: str) -> tuple[np.ndarray, np.ndarray]:
    by_set: dict[str, dict[str, float]] = defaultdict(dict)
    for pid, grp, v in zip(parallel, groups, values):
        if grp in (ref, g):
            by_set[pid][grp] = v
    both = [d for d in by_set.values() if ref in d and g in d]
    return np.array([d[ref] for d in both]), np.array([d[g] for d in both])


@dataclass(frozen=True)
class ConsistencyData:
    suite: str
    parallel: tuple[str, ...]
    groups: tuple[str, ...]
    outputs: dict[str, tuple[str | None, ...]]  # role -> output per case
    correct: dict[str, np.ndarray] | None  # role -> 0/1 per case (binary metric), if any


def consistency(data: ConsistencyData, cfg: FairnessConfig, options: JudgeOptions
                ) -> tuple[ConsistencySummary, list[CriterionResult], list[InconsistentSet]]:
    """Share of parallel sets whose normalised answers agree across languages, for both
    models; criteria on it (paired over sets); the sets the candidate breaks."""
    members: dict[str, list[int]] = defaultdict(list)
    for k, pid in enumerate(data.parallel):
        members[pid].append(k)
    sets = {pid: ks for pid, ks in members.items() if len({data.groups[k] for k in ks}) >= 2}
    singletons = len(members) - len(sets)
    flags: dict[str, np.ndarray] = {}
    correct: dict[str, np.ndarray] = {}
    for role, outs in data.outputs.items():
        flags[role] = np.array([len({normalize(str(outs[k])) if outs[k] is not None else None
                                     for k in ks}) == 1 and outs[ks[0]] is not None
                                for ks in sets.values()], dtype=float)
        if data.correct is not None:
            right = data.correct[role]
            correct[role] = flags[role] * np.array([float(all(right[k] > 0 for k in ks)) for ks in sets.values()])
    summary = ConsistencySummary(
        n_sets=len(sets), singletons=singletons,
        baseline_consistent=float(flags["baseline"].mean()) if sets else 0.0,
        candidate_consistent=float(flags["candidate"].mean()) if sets else 0.0,
        baseline_consistent_correct=float(correct["baseline"].mean()) if correct and sets else None,
        candidate_consistent_correct=float(correct["candidate"].mean()) if correct and sets else None)
    broken = []
    for (pid, ks), b_ok, c_ok in zip(sets.items(), flags["baseline"], flags["candidate"]):
        if not c_ok and len(broken) < MAX_INCONSISTENT:
            broken.append(InconsistentSet(suite=data.suite, parallel_id=pid, baseline_consistent=bool(b_ok),
                                          answers={data.groups[k]: data.outputs["candidate"][k] for k in ks}))
    broken.sort(key=lambda s: not s.baseline_consistent)  # newly broken first
    criteria: list[CriterionResult] = []
    rule = cfg.consistency
    base = dict(suite=data.suite, metric="consistency", confidence=options.confidence, n=len(sets))
    note = f"; {singletons} single-language set(s) ignored" if singletons else ""
    if rule is None:
        return summary, criteria, broken
    if len(sets) < cfg.min_cases_per_group:
        wanted = [kind for kind, on in (("consistency_non_inferiority", rule.margin is not None),
                                        ("consistency_min", rule.min is not None)) if on]
        for kind in wanted:
            criteria.append(CriterionResult(
                **base, name=f"cross-lingual consistency ({kind.split('_', 1)[1].replace('_', '-')})", kind=kind,
                verdict=Verdict.INCONCLUSIVE,
                reason=f"only {len(sets)} parallel sets with 2+ languages; at least {cfg.min_cases_per_group} "
                       f"are needed{note}", baseline_value=summary.baseline_consistent,
                candidate_value=summary.candidate_consistent, difference=None, ci_low=None, ci_high=None,
                n_needed=cfg.min_cases_per_group))
        return summary, criteria, broken
    if rule.margin is not None:
        cmp = stats.compare_paired(baseline=flags["baseline"], candidate=flags["candidate"], threshold=-rule.margin,
                                   confidence=options.confidence, seed=options.seed,
                                   n_resamples=options.n_resamples, binary=True)
        v = _verdict(cmp, options)
        reason = (f"{summary.candidate_consistent:.0%} of {len(sets)} parallel sets answered alike in every language "
                  f"(baseline {summary.baseline_consistent:.0%}; {options.confidence:.0%} CI of the difference "
                  f"{cmp.interval.low * 100:+.1f} to {cmp.interval.high * 100:+.1f} points), "
                  + {Verdict.PASS: "within", Verdict.FAIL: "beyond", Verdict.INCONCLUSIVE: "straddling"}[v]
                  + f" the margin of {rule.margin * 100:.1f} points" + _tail(v, cmp, len(sets)) + note)
        criteria.append(CriterionResult(
            **base, name=f"cross-lingual consistency non-inferior (margin {rule.margin:g})",
            kind="consistency_non_inferiority", verdict=v, reason=reason,
            baseline_value=summary.baseline_consistent, candidate_value=summary.candidate_consistent,
            difference=cmp.estimate, ci_low=cmp.interval.low, ci_high=cmp.interval.high, threshold=-rule.margin,
            p_pass=cmp.p_pass, p_fail=cmp.p_fail, mde=cmp.mde, n_needed=cmp.n_needed, method=cmp.method))
    if rule.min is not None:
        cmp = stats.compare_threshold(values=flags["candidate"], threshold=rule.min, confidence=options.confidence,
                                      binary=True)
        v = _verdict(cmp, options)
        reason = (f"{summary.candidate_consistent:.0%} of {len(sets)} parallel sets consistent "
                  f"({options.confidence:.0%} CI {cmp.interval.low:.0%} to {cmp.interval.high:.0%}), "
                  + {Verdict.PASS: "meets", Verdict.FAIL: "misses", Verdict.INCONCLUSIVE: "straddles"}[v]
                  + f" {rule.min:.0%}" + _tail(v, cmp, len(sets)) + note)
        criteria.append(CriterionResult(
            **base, name=f"cross-lingual consistency >= {rule.min:g}", kind="consistency_min", verdict=v,
            reason=reason, baseline_value=summary.baseline_consistent, candidate_value=summary.candidate_consistent,
            difference=None, ci_low=cmp.interval.low, ci_high=cmp.interval.high, threshold=rule.min,
            p_pass=cmp.p_pass, p_fail=cmp.p_fail, mde=cmp.mde, n_needed=cmp.n_needed, method=cmp.method))
    return summary, criteria, broken
