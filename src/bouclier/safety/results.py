"""The judge phase of a safety suite: probe records -> criteria, the family x language
matrix, the judges' summaries and the probes that newly succeed (listed first)."""

from __future__ import annotations

from bouclier.gate.judge import JudgeOptions
from bouclier.gate.result import CaseRegression, CriterionResult, JudgeSummary, MetricSummary, SuiteResult
from bouclier.gate.safety import (OVER_REFUSAL, ProbeResult, family_key, lang_key, rate_name, safety_criteria,
                                  safety_matrix)
from bouclier.safety.plan import SafetySuitePlan
from bouclier.safety.run import ROLES, ProbeRecord

_EXAMPLES = 5


def probe_results(records: list[ProbeRecord]) -> list[ProbeResult]:
    out = []
    for rec in records:
        b, c = rec.outcomes["baseline"], rec.outcomes["candidate"]
        out.append(ProbeResult(rec.case.id, rec.family, rec.lang, rec.rendered.probe.parallel_id,
                               b.succeeded, c.succeeded, judge_error=b.judge_error or c.judge_error))
    return out


def judge_safety_suite(sp: SafetySuitePlan, records: list[ProbeRecord], options: JudgeOptions,
                       criteria: list[CriterionResult]) -> tuple[SuiteResult, list[CaseRegression]]:
    """Append the suite's criteria to ``criteria``; return its summary and its newly
    succeeding probes (family, then language order)."""
    results = probe_results(records)
    criteria.extend(safety_criteria(sp.config.name, results, sp.config.criteria, options))
    summary = safety_matrix(results)
    summary.judges = judge_summaries(sp, records)
    found = new_successes(records)
    suite = SuiteResult(
        name=sp.config.name, dataset=_describe_selection(sp), dataset_digest=sp.dataset.digest,
        n_cases=len(records), metrics=_metrics(results),
        errors={role: sum(not r.responses[role].ok for r in records) for role in ROLES},
        cached={role: sum(r.responses[role].cached for r in records) for role in ROLES},
        regressions_total=len(found), group_by="lang", safety=summary)
    return suite, found


def _describe_selection(sp: SafetySuitePlan) -> str:
    cfg = sp.config
    packs = ", ".join(cfg.packs) if cfg.packs else "all built-in packs"
    return f"probes: {packs}"


def _metrics(results: list[ProbeResult]) -> list[MetricSummary]:
    out = []
    attacks = [r for r in results if r.family != OVER_REFUSAL]
    scopes = [("asr", attacks)] if attacks else []
    for f in sorted({r.family for r in results}, key=family_key):
        scopes.append((rate_name(f), [r for r in results if r.family == f]))
    for name, scope in scopes:
        known = [r for r in scope if r.known]
        n = len(known)
        out.append(MetricSummary(name=name, binary=True, n=n,
                                 baseline_mean=sum(r.baseline for r in known) / n if n else 0.0,
                                 candidate_mean=sum(r.candidate for r in known) / n if n else 0.0))
    return out


def new_successes(records: list[ProbeRecord]) -> list[CaseRegression]:
    """Probes the baseline resisted and the candidate fell for, with both (redacted) answers."""
    from bouclier.check import shown_output

    hits = [r for r in records if r.outcomes["candidate"].succeeded and r.outcomes["baseline"].succeeded is False]
    hits.sort(key=lambda r: (family_key(r.family), lang_key(r.lang), r.case.id))
    return [CaseRegression(
        suite=r.suite, metric=r.family, case_id=r.case.id, group=r.lang, input=r.case.input,
        expected=_expected(r), baseline_output=shown_output(r, "baseline"), candidate_output=shown_output(r, "candidate"),
        baseline_score=0.0, candidate_score=1.0, candidate_error=None) for r in hits]


def _expected(r: ProbeRecord) -> str:
    o = r.outcomes["candidate"]
    want = {"refuse": "a refusal", "comply": "an answer (no refusal)"}.get(r.rendered.probe.expect or "",
                                                                           "no planted token in the answer")
    return f"{want}; candidate: {o.evidence}"


def judge_summaries(sp: SafetySuitePlan, records: list[ProbeRecord]) -> list[JudgeSummary]:
    out = []
    for kind, jcfg in (("refusal", sp.config.refusal_judge), ("harm", sp.config.harm_judge)):
        if jcfg is None:
            continue
        judged = errors = disagree = 0
        examples, error_examples = [], []
        for rec in records:
            for role in ROLES:
                o = rec.outcomes[role]
                label = o.refusal_judge if kind == "refusal" else o.harm_judge
                erred = o.judge_error is not None and o.judge_error.startswith(kind)
                if label is None and not erred:
                    continue
                judged += 1
                if erred:
                    errors += 1
                    if len(error_examples) < _EXAMPLES:
                        error_examples.append(f"{rec.case.id} ({role}): {o.judge_error}")
                    continue
                pattern_refused = o.pattern_label != "compliance"
                if kind == "refusal":
                    differs = pattern_refused != (label != "COMPLIANCE")
                    text = f"patterns {o.pattern_label}, judge {label.lower()}"
                else:  # the patterns alone count every non-refusal as harmful
                    differs = label == "HARMLESS"
                    text = "patterns: not refused, judge: harmless"
                if differs:
                    disagree += 1
                    if len(examples) < _EXAMPLES:
                        examples.append(f"{rec.case.id} ({role}): {text}")
        out.append(JudgeSummary(kind=kind, model=jcfg.model, judged=judged, errors=errors, disagreements=disagree,
                                examples=examples, error_examples=error_examples))
    return out


def case_row(r: ProbeRecord) -> dict:
    """One row of cases.jsonl for a probe: redacted input and answers, outcome per model."""
    from bouclier.check import shown_output

    row = {"suite": r.suite, "case_id": r.case.id, "group": r.lang, "line": r.case.line,
           "family": r.family, "parallel_id": r.rendered.probe.parallel_id, "input": r.case.input,
           "system": r.case.system, "expected": r.rendered.probe.expect}
    for role, resp in r.responses.items():
        o = r.outcomes[role]
        row[role] = {"output": shown_output(r, role), "error": resp.error, "error_kind": resp.error_kind,
                     "latency_s": resp.latency_s, "output_tokens": resp.output_tokens, "cached": resp.cached,
                     "attack_succeeded": o.succeeded, "detector": o.detector, "evidence": o.evidence,
                     "refusal_patterns": o.pattern_label, "refusal_judge": o.refusal_judge,
                     "harm_judge": o.harm_judge, "judge_error": o.judge_error}
    return row
