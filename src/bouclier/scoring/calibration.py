"""Calibrating a judge on a human-labelled set: how far can its grades be trusted?

:func:`calibrate` grades every labelled answer with a configured judge model and a rubric
(through the same scorer, runner and cache as the gate) and compares its grades with the
human labels: accuracy, Cohen's kappa and the confusion matrix, overall, per label and per
language. An answer the judge could not grade (call failed, off-format answer) counts as
a disagreement, under the column ``error`` — a judge that cannot follow the format is not
silently excused.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from bouclier.data import Case
from bouclier.data.readers import read_rows
from bouclier.errors import DataError, Problem, UsageError
from bouclier.scoring.base import build_scorer
from bouclier.scoring.graded import ScoreItem, ScoringContext
from bouclier.stats.agreement import cohen_kappa

ERROR = "error"
MAX_BAD_ROWS = 20


@dataclass
class AgreementRow:
    """Agreement of judge and humans on a subset (all, one label, one language)."""

    n: int
    graded: int
    accuracy: float | None
    kappa: float | None


@dataclass
class CalibrationReport:
    judge: str
    fingerprint: str
    rubric: str
    rubric_digest: str
    data: str
    repeats: int
    labels: list[str]  # human label set, in the rubric's order; the judge may also say "error"
    overall: AgreementRow
    confusion: list[list[int]]  # rows: human label; columns: labels + "error"
    per_label: dict[str, dict[str, Any]]  # label -> {n, recall, precision}
    per_language: dict[str, AgreementRow] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # first judge errors
    reliability: float | None = None  # across repeats (judge_repeats >= 2)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _agreement(human: list[str], judged: list[str], labels: list[str]) -> AgreementRow:
    agreement = cohen_kappa(first=human, second=judged, labels=[*labels, ERROR])
    return AgreementRow(n=len(human), graded=sum(j != ERROR for j in judged),
                        accuracy=agreement.accuracy, kappa=agreement.kappa)


def _majority(grades: tuple[Any, ...]) -> str:
    ok = [str(g) for g in grades if g is not None]
    if not ok:
        return ERROR
    counts = Counter(ok).most_common()
    return counts[0][0]  # ties: the first grade given among the most common (Counter keeps order)


def calibrate(loaded: Any, *, judge: str, rubric: str, data: Path, label_field: str,
              lang_field: str | None = None, input_field: str = "input", output_field: str = "output",
              reference_field: str | None = None, label_map: Mapping[str, str] | None = None,
              repeats: int = 1, limit: int | None = None, params: Mapping[str, Any] | None = None,
              fields: Mapping[str, str] | None = None, use_cache: bool = True,
              progress: Callable | None = None) -> CalibrationReport:
    """Run ``judge`` with ``rubric`` on the labelled answers of ``data`` and compare.

    ``loaded`` is a :class:`~bouclier.config.LoadedConfig` (its ``models:`` and ``run:``
    settings are used). ``label_map`` maps a human label to a rubric label (e.g.
    ``{"2_full_refusal": "refusal"}``); for scale rubrics the labels are the integer grades.
    """
    import time

    from bouclier.runner import ResponseCache, RunOptions

    cfg = loaded.config
    options: dict[str, Any] = {"model": judge, "rubric": rubric, "judge_repeats": repeats}
    if params:
        options["params"] = dict(params)
    if fields:
        options["fields"] = dict(fields)
    scorer = build_scorer("judge", options, where="--rubric")
    problems = scorer.check(models=cfg.models, base_dir=loaded.base_dir)
    if problems:
        raise UsageError(problems=[Problem(p, key="--judge/--rubric") for p in problems])
    spec = scorer.rubric.spec
    labels = list(spec.labels) if spec.labels is not None else [str(g) for g in range(spec.scale[0], spec.scale[1] + 1)]
    rows = read_rows(data)
    if limit:
        rows = rows[:limit]
    if not rows:
        raise DataError(problems=[Problem("no labelled rows", file=str(data))])
    mapping = dict(label_map or {})
    needed = [input_field, output_field, label_field] + [f for f in (lang_field, reference_field) if f]
    bad: list[Problem] = []
    items, human, langs = [], [], []
    for line, row in rows:
        missing = [f for f in needed if f not in row]
        if missing:
            bad.append(Problem(f"row lacks field(s) {', '.join(missing)} (has: {', '.join(sorted(row))})",
                               file=str(data), line=line))
            continue
        label = str(row[label_field]).strip()
        label = mapping.get(label, label)
        if label not in labels:
            bad.append(Problem(f"human label {label!r} is not one of the rubric's labels ({', '.join(labels)})",
                               file=str(data), line=line, key=label_field,
                               hint="map it with --label-map 'theirs=ours,...'"))
            continue
        case = Case(id=f"line{line}", input=str(row[input_field]), expected=row.get(reference_field) if reference_field else None,
                    group=None, fields=row, line=line)
        items.append(ScoreItem(str(row[output_field]), case, case.expected))
        human.append(label)
        langs.append(str(row[lang_field]) if lang_field else None)
        if len(bad) >= MAX_BAD_ROWS:
            break
    if bad:
        raise DataError(problems=bad)
    run = cfg.run
    cache = ResponseCache(loaded.base_dir / run.cache_dir) if (use_cache and run.cache) else None
    context = ScoringContext(models=cfg.models, base_dir=loaded.base_dir,
                             options=RunOptions(concurrency=run.concurrency, timeout_s=run.timeout_s,
                                                retries=run.retries, error_budget=run.error_budget, seed=run.seed),
                             cache=cache, concurrency=run.concurrency, timeout_s=run.timeout_s, progress=progress)
    t0 = time.perf_counter()
    try:
        batch = asyncio.run(scorer.score_batch(items, context))
    finally:
        if cache is not None:
            cache.close()
    elapsed = time.perf_counter() - t0
    judged = [_majority(g.grades) for g in batch.grades]
    overall = cohen_kappa(first=human, second=judged, labels=[*labels, ERROR])
    per_label: dict[str, dict[str, Any]] = {}
    for lab in labels:
        n = sum(h == lab for h in human)
        said = sum(j == lab for j in judged)
        hit = sum(h == lab and j == lab for h, j in zip(human, judged))
        per_label[lab] = {"n": n, "judged": said, "recall": hit / n if n else None,
                          "precision": hit / said if said else None}
    per_language: dict[str, AgreementRow] = {}
    if lang_field:
        for lang in sorted({x for x in langs if x is not None}):
            idx = [i for i, x in enumerate(langs) if x == lang]
            per_language[lang] = _agreement([human[i] for i in idx], [judged[i] for i in idx], labels)
    return CalibrationReport(
        judge=judge, fingerprint=batch.report.fingerprint, rubric=batch.report.rubric or rubric,
        rubric_digest=batch.report.rubric_digest or "", data=str(data), repeats=repeats, labels=labels,
        overall=AgreementRow(n=len(human), graded=sum(j != ERROR for j in judged),
                             accuracy=overall.accuracy, kappa=overall.kappa),
        confusion=[list(r[:]) for r in overall.matrix[: len(labels)]], per_label=per_label,
        per_language=per_language, errors=list(dict.fromkeys(g.error for g in batch.grades if g.error))[:5],
        reliability=batch.report.reliability, elapsed_s=elapsed)


def render_markdown(report: CalibrationReport) -> str:
    """The calibration report as Markdown tables."""
    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    o = report.overall
    lines = [f"judge `{report.judge}` ({report.fingerprint[:12]}), rubric `{report.rubric}` "
             f"({report.rubric_digest[:12]}), {report.repeats} repeat(s), data {report.data}", "",
             "| n | graded | accuracy | Cohen's kappa |", "|---|---|---|---|",
             f"| {o.n} | {o.graded} | {f(o.accuracy)} | {f(o.kappa)} |", ""]
    cols = [*report.labels, ERROR]
    lines += ["| human \\ judge | " + " | ".join(cols) + " | recall |", "|---" * (len(cols) + 2) + "|"]
    for lab, row in zip(report.labels, report.confusion):
        lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + f" | {f(report.per_label[lab]['recall'])} |")
    lines.append("| precision | " + " | ".join(f(report.per_label[lab]["precision"]) for lab in report.labels)
                 + " | | |")
    if report.per_language:
        lines += ["", "| language | n | graded | accuracy | kappa |", "|---|---|---|---|---|"]
        for lang, a in report.per_language.items():
            lines.append(f"| {lang} | {a.n} | {a.graded} | {f(a.accuracy)} | {f(a.kappa)} |")
    if report.reliability is not None:
        lines += ["", f"judge reliability across repeats (Krippendorff's alpha): {report.reliability:.3f}"]
    if report.errors:
        lines += ["", "first judge errors:"] + [f"- {e}" for e in report.errors]
    return "\n".join(lines)
