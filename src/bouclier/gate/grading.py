"""The grader's noise as evidence: criteria on model-graded metrics.

After the criteria are judged, :func:`apply_grading` looks at each model-graded metric's
grader report and makes its criteria INCONCLUSIVE when

* some answers could not be graded (a judge call failed or timed out, the judge answered
  off-format, an embedding had the wrong size): the verdict would rest on missing grades;
* the criterion sets ``min_judge_reliability`` and the judge's reliability across its
  repeats (Krippendorff's alpha) is below it, or cannot be measured.

Otherwise the judge's reliability and unstable answers are appended to the reason. The
graders' identity goes to ``RunResult.graders`` and the gate's verdict is recomputed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

from bouclier.gate.judge import criterion_name, overall
from bouclier.gate.result import CriterionResult, GraderEvidence, RunResult, Verdict


def _fmt(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.2f}"


def _downgrade(r: CriterionResult, reason: str) -> CriterionResult:
    return r.model_copy(update={"verdict": Verdict.INCONCLUSIVE, "reason": reason,
                                "method": (r.method + "; " if r.method else "") + "grader evidence"})


def _judged(r: CriterionResult, ev: GraderEvidence, wanted: float | None) -> CriterionResult:
    who = f"'{ev.model}'" + (f" with rubric {ev.rubric}" if ev.rubric else "")
    if ev.n_errors:
        return _downgrade(r, (
            f"{ev.n_errors} of {ev.n_items} answers could not be graded by {who} (first: {ev.first_error}); "
            f"the verdict would rest on missing grades. Failed calls are retried on the next run; off-format "
            f"answers are cached, so fix the judge, its parameters or the rubric [without them: {r.reason}]"))
    if wanted is not None and (ev.reliability is None or ev.reliability < wanted):
        if ev.reliability is None:
            why = ("judge reliability cannot be measured (every grade identical, or too few repeated grades)")
        else:
            why = (f"judge reliability {ev.reliability:.2f} ({ev.reliability_method}) is below the required "
                   f"{wanted:.2f}")
        return _downgrade(r, (f"{why}; {ev.unstable} of {ev.n_items} answers got disagreeing grades from {who}. "
                              f"Use a stronger judge or a clearer rubric [as graded: {r.reason}]"))
    if ev.repeats >= 2:
        note = (f" [judge {ev.model}: alpha {_fmt(ev.reliability)} over {ev.repeats} repeats, "
                f"{ev.unstable} unstable answers]")
        return r.model_copy(update={"reason": r.reason + note})
    return r


def apply_grading(result: RunResult, suites: Sequence[Any], reports: Sequence[Any]) -> RunResult:
    """``result`` with the graders recorded and the criteria on model-graded metrics
    judged on their grader's evidence (``suites``: the suite configurations; ``reports``:
    :class:`~bouclier.scoring.graded.GraderReport` objects)."""
    if not reports:
        return result
    evidence = [GraderEvidence(**asdict(rep)) for rep in reports]
    by_metric = {(ev.suite, ev.metric): ev for ev in evidence}
    wanted: dict[tuple[str, str, str], float | None] = {}
    for suite in suites:
        for c in suite.criteria:
            wanted[(suite.name, c.metric, criterion_name(c))] = getattr(c, "min_judge_reliability", None)
    criteria = []
    for r in result.criteria:
        ev = by_metric.get((r.suite, r.metric))
        criteria.append(r if ev is None else _judged(r, ev, wanted.get((r.suite, r.metric, r.name))))
    verdict, reason = overall(criteria)
    return result.model_copy(update={"criteria": criteria, "verdict": verdict, "reason": reason,
                                     "graders": evidence})
