"""Stability of a model on repeated samples of the same cases (a suite's ``repeats: k``).

Per case and role: whether each pair of the k samples agrees (equal after normalisation,
or a similarity scorer at or above its ``min``, or -- for the criterion with a metric --
equal scores), the pass/fail flip of 0/1 metrics and the variance of the k scores. The
suite's unpredictability index and its interval come from
:func:`bouclier.stats.unpredictability_index`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from bouclier import stats
from bouclier.config.lifecycle import AgreementConfig, MaxUnpredictability
from bouclier.gate.result import CriterionResult, StabilitySummary, Verdict
from bouclier.scoring.normalize import normalize
from bouclier.stats.stability import pairwise_disagreement, sample_pairs

Agreement = Callable[[str | None, str | None, Any], bool]


def output_agreement(config: AgreementConfig | None) -> tuple[Agreement, str]:
    """The pair test for outputs and its description. Two failed calls agree; a failed
    call never agrees with an answer."""
    if config is None:
        def same(a, b, case) -> bool:
            if a is None or b is None:
                return a is None and b is None
            return normalize(a) == normalize(b)
        return same, "equal after normalisation"
    from bouclier.scoring import build_scorer

    scorer = build_scorer(config.scorer, config.options, where="agreement.scorer")

    def similar(a, b, case) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return float(scorer.score(a, case, b)) >= config.min

    return similar, f"{config.scorer} >= {config.min:g}"


def _disagreement(samples: Sequence[Any], agree: Callable[[Any, Any], bool]) -> float:
    k = len(samples)
    return pairwise_disagreement(agree=[agree(samples[i], samples[j]) for i, j in sample_pairs(k)], repeats=k)


def per_case_disagreement(records: Sequence[Any], role: str, *, metric: str | None,
                          agree: Agreement) -> np.ndarray:
    """``u_i`` of every case: by outputs, or by ``metric`` scores when given."""
    out = []
    for r in records:
        if metric is not None:
            scores = [s[metric] for s in r.sample_scores[role]]
            out.append(_disagreement(scores, lambda a, b: abs(a - b) <= 1e-9))
        else:
            outputs = [resp.output for resp in r.samples[role]]
            out.append(_disagreement(outputs, lambda a, b, case=r.case: agree(a, b, case)))
    return np.array(out, dtype=float)


def stability_summaries(records: Sequence[Any], *, roles: Sequence[str], repeats: int,
                        binary: dict[str, bool], agreement: AgreementConfig | None,
                        confidence: float, seed: int, n_resamples: int) -> list[StabilitySummary]:
    """One :class:`StabilitySummary` per role of a suite run with ``repeats`` >= 2."""
    if repeats < 2 or not records:
        return []
    agree, described = output_agreement(agreement)
    out = []
    for role in roles:
        u = per_case_disagreement(records, role, metric=None, agree=agree)
        index = stats.unpredictability_index(per_case=u, confidence=confidence, seed=seed, n_resamples=n_resamples)
        flips, variance = {}, {}
        for metric, is_binary in binary.items():
            matrix = np.array([[s[metric] for s in r.sample_scores[role]] for r in records], dtype=float)
            variance[metric] = float(matrix.var(axis=1).mean())
            if is_binary:
                flips[metric] = float(np.mean(matrix.min(axis=1) != matrix.max(axis=1)))
        out.append(StabilitySummary(
            role=role, repeats=repeats, n_cases=len(records), agreement=described,
            unpredictability=index.estimate, ci_low=index.interval.low, ci_high=index.interval.high,
            confidence=confidence, unstable_cases=index.unstable, flip_rate=flips, score_variance=variance,
            method=index.interval.method))
    return out


def stability_criterion(c: MaxUnpredictability, records: Sequence[Any], *, suite: str, repeats: int,
                        agreement: AgreementConfig | None, confidence: float, seed: int,
                        n_resamples: int) -> CriterionResult:
    """Judge the candidate's unpredictability index against ``c.threshold``: PASS when the
    whole interval is at or below it, FAIL when the whole interval is above, otherwise
    INCONCLUSIVE (also with fewer than ``min_cases`` cases). Not Holm-adjusted: it is a
    bound on one model, decided on its interval."""
    agree, described = output_agreement(agreement)
    what = f"{c.metric} scores" if c.metric else f"outputs ({described})"
    name = c.name or f"unpredictability <= {c.threshold:g}" + (f" ({c.metric})" if c.metric else "")
    base = dict(name=name, suite=suite, metric=c.metric or "unpredictability", kind=c.kind,
                confidence=confidence, n=len(records), threshold=c.threshold)
    if len(records) < max(c.min_cases, 2):
        return CriterionResult(**base, verdict=Verdict.INCONCLUSIVE, baseline_value=None, candidate_value=None,
                               difference=None, ci_low=None, ci_high=None, n_needed=c.min_cases,
                               method="too few cases",
                               reason=f"only {len(records)} cases; at least {c.min_cases} are needed")
    values = {role: per_case_disagreement(records, role, metric=c.metric, agree=agree)
              for role in ("baseline", "candidate")}
    index = stats.unpredictability_index(per_case=values["candidate"], confidence=confidence, seed=seed,
                                         n_resamples=n_resamples)
    lo, hi = index.interval.low, index.interval.high
    head = (f"candidate unpredictability {index.estimate:.3f} ({confidence:.0%} CI {lo:.3f} to {hi:.3f}; "
            f"{index.unstable} of {index.n} cases unstable over {repeats} samples, by {what})")
    if hi <= c.threshold:
        verdict, tail = Verdict.PASS, f"meets <= {c.threshold:g}"
    elif lo > c.threshold:
        verdict, tail = Verdict.FAIL, f"above {c.threshold:g}"
    else:
        verdict, tail = Verdict.INCONCLUSIVE, f"the interval straddles {c.threshold:g}"
    return CriterionResult(**base, verdict=verdict, reason=f"{head}, {tail}",
                           baseline_value=float(values["baseline"].mean()), candidate_value=index.estimate,
                           difference=index.estimate - float(values["baseline"].mean()),
                           ci_low=lo, ci_high=hi, method=index.interval.method)
