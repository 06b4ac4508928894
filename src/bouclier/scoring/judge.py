"""The ``judge`` scorer: a configured model grades each answer with a rubric.

Options: ``model`` (a key of ``models:``), ``rubric`` (a shipped rubric — correctness,
groundedness, helpfulness, refusal, language_match — or a path to a YAML rubric),
``judge_repeats`` (grade each answer k times; the repeat index is part of the cache key),
``threshold`` (pass/fail on the rubric's own scale, or against the label's value),
``fields`` (placeholder -> case field, e.g. ``{context: passage}``), ``params`` (judge
generation parameters over the model's own; an integer ``seed`` becomes seed + repeat),
``timeout_s`` and ``error_budget`` (share of failed judge calls above which the run stops,
exit 4; default: the run's).

Every judge call goes through the runner (:func:`bouclier.runner.run_model`): bounded
concurrency, retries, the error budget and the response cache. The metric value of an
answer is the mean over its k repeats of each grade's value; grades that disagree mark the
case unstable, and the suite's judge reliability is Krippendorff's alpha across the
repeats (at the rubric's level; Fleiss' kappa too for label rubrics).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Mapping

from bouclier.data import Case
from bouclier.data.template import TemplateFieldError, render
from bouclier.errors import DataError, Problem
from bouclier.scoring.base import register_scorer
from bouclier.scoring.graded import Grade, GradedBatch, GraderReport, ScoreItem, ScoringContext, listed
from bouclier.scoring.rubric import OffFormat, Rubric, load_rubric, shipped_rubrics
from bouclier.stats.agreement import fleiss_kappa, krippendorff_alpha, unit_agreement

MAX_REPEATS = 20


@register_scorer("judge")
class Judge:
    """A model grades each answer with a rubric (model-graded)."""

    name = "judge"

    def __init__(self, *, model: str, rubric: str, judge_repeats: int = 1, threshold: float | None = None,
                 fields: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                 timeout_s: float | None = None, error_budget: float | None = None):
        if not isinstance(model, str) or not model:
            raise ValueError("'model' must name one of the configured models")
        if not isinstance(judge_repeats, int) or not 1 <= judge_repeats <= MAX_REPEATS:
            raise ValueError(f"judge_repeats must be an integer from 1 to {MAX_REPEATS}, found {judge_repeats!r}")
        if error_budget is not None and not 0 <= error_budget <= 1:
            raise ValueError("error_budget must be in [0, 1]")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.model = model
        self.rubric_name = rubric
        self.repeats = judge_repeats
        self.threshold = None if threshold is None else float(threshold)
        self.fields = dict(fields or {})
        self.params = dict(params or {})
        self.timeout_s = timeout_s
        self.error_budget = error_budget
        self.binary = self.threshold is not None and judge_repeats == 1
        self.rubric: Rubric | None = None
        path = Path(rubric)
        if (rubric in shipped_rubrics() or path.suffix not in (".yaml", ".yml") or path.is_absolute()
                or path.is_file()):
            self._set_rubric(load_rubric(rubric))  # validated now, at configuration time
        # else: a path relative to bouclier.yaml's folder, validated by check() before any call

    def _set_rubric(self, rubric: Rubric) -> None:
        if self.threshold is not None:
            values = (list(rubric.spec.labels.values()) if rubric.spec.labels is not None
                      else list(rubric.spec.scale))  # type: ignore[arg-type]
            if not min(values) <= self.threshold <= max(values):
                raise ValueError(f"threshold {self.threshold:g} is outside the rubric's grades "
                                 f"({min(values):g}..{max(values):g})")
        unknown = set(self.fields) - rubric.case_fields
        if unknown:
            raise ValueError(f"fields maps '{sorted(unknown)[0]}', which rubric '{rubric.name}' does not use "
                             f"(its case fields: {', '.join(sorted(rubric.case_fields)) or 'none'})")
        self.rubric = rubric

    @property
    def needs_reference(self) -> bool:
        return self.rubric is not None and "reference" in self.rubric.placeholders

    @property
    def higher_is_better(self) -> bool:
        return self.rubric.spec.higher_is_better if self.rubric is not None else True

    def score(self, output: str, case: Case, reference: Any) -> float:
        raise TypeError("judge is model-graded: the gate calls score_batch")

    def check(self, *, models: Mapping[str, Any], base_dir: Path) -> list[str]:
        problems = []
        if self.model not in models:
            problems.append(f"judge model '{self.model}' is not one of the models ({', '.join(models)})")
        if self.rubric is None:
            try:
                self._set_rubric(load_rubric(self.rubric_name, base_dir=base_dir))
            except ValueError as exc:
                problems.append(str(exc))
        return problems

    # ------------------------------------------------------------------ prompts
    def _prompt(self, item: ScoreItem) -> str:
        rubric = self.rubric
        assert rubric is not None
        values: dict[str, Any] = {"input": item.case.input, "output": item.output,
                                  "reference": item.reference, "format": rubric.format_instruction()}
        for name in rubric.case_fields:
            field = self.fields.get(name, name)
            if field not in item.case.fields:
                raise DataError(problems=[Problem(
                    f"rubric '{rubric.name}' needs the field '{field}' for {{{{{name}}}}}, absent from this row",
                    line=item.case.line, key=f"case {item.case.id}",
                    hint=f"add it to the dataset or map it: options.fields: {{{name}: <field>}}")])
            values[name] = item.case.fields[field]
        try:
            return render(rubric.template, values)
        except TemplateFieldError as exc:  # a dotted path into a field that lacks it
            raise DataError(problems=[Problem(str(exc), line=item.case.line, key=f"case {item.case.id}")]) from exc

    # ------------------------------------------------------------------ grading
    async def score_batch(self, items: list[ScoreItem], context: ScoringContext) -> GradedBatch:
        from bouclier.adapters.registry import build_model
        from bouclier.runner import run_model

        rubric = self.rubric
        if rubric is None:  # check() was not called (library use): resolve now
            self._set_rubric(load_rubric(self.rubric_name, base_dir=context.base_dir))
            rubric = self.rubric
        assert rubric is not None
        mcfg = context.models[self.model]
        prompts = [self._prompt(it) for it in items]
        unique = list(dict.fromkeys(prompts))
        cases = [Case(id=hashlib.sha256(p.encode()).hexdigest()[:16], input=p, expected=None, group=None,
                      fields={}, line=0) for p in unique]
        options = context.options
        if self.error_budget is not None:
            options = dataclasses.replace(options, error_budget=self.error_budget)
        if self.timeout_s is not None:
            options = dataclasses.replace(options, timeout_s=self.timeout_s)
        model = build_model(self.model, mcfg, base_dir=context.base_dir, concurrency=context.concurrency,
                            timeout_s=self.timeout_s or context.timeout_s)
        base_params = {**getattr(mcfg, "params", {}), **self.params}
        system = rubric.spec.system if rubric.spec.system is not None else getattr(mcfg, "system", None)
        try:
            with context.progress_bar(f"judge ({self.model}, {rubric.name})", len(cases) * self.repeats) as advance:
                runs = await asyncio.gather(*(
                    run_model(model, cases, options=options, system=system, params=self._params(base_params, r),
                              repeat=r, cache=context.cache, progress=advance)
                    for r in range(self.repeats)))
            fingerprint = model.fingerprint()
        finally:
            await model.aclose()
        # per distinct prompt: the parsed grade (or error) of each repeat
        parsed: list[list[tuple[Any, str | None, str | None]]] = []
        cached = 0
        for u in range(len(unique)):
            row = []
            for r in range(self.repeats):
                resp = runs[r][u]
                cached += resp.cached
                if not resp.ok:
                    row.append((None, None, f"judge call failed: {resp.error}"))
                    continue
                try:
                    grade, reason = rubric.parse(resp.output or "")
                except OffFormat as exc:
                    row.append((None, None, f"off-format judge answer: {exc}"))
                    continue
                row.append((grade, reason, None))
            parsed.append(row)
        index = {p: u for u, p in enumerate(unique)}
        grades = [self._grade(parsed[index[p]], rubric) for p in prompts]
        return GradedBatch(grades, self._report(items, grades, parsed, rubric, fingerprint, base_params, cached,
                                                getattr(mcfg, "adapter", "?")))

    def _params(self, base: dict[str, Any], repeat: int) -> dict[str, Any]:
        seed = base.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool) and repeat:
            return {**base, "seed": seed + repeat}
        return base

    def _grade(self, row: list[tuple[Any, str | None, str | None]], rubric: Rubric) -> Grade:
        raw = tuple(g for g, _, _ in row)
        ok = [g for g in raw if g is not None]
        errors = [e for _, _, e in row if e]
        values = [rubric.value(g, self.threshold) for g in ok]
        value = sum(values) / len(values) if values else 0.0
        agreement = unit_agreement(values=[rubric.code(g) for g in ok]) if len(ok) >= 2 else None
        reason = next((r for g, r, _ in row if g is not None and r), None)
        return Grade(value, error=errors[0] if errors else None, reason=reason, grades=raw,
                     agreement=agreement, unstable=agreement is not None and agreement < 1.0)

    def _report(self, items, grades, parsed, rubric: Rubric, fingerprint: str, params: dict, cached: int,
                adapter: str) -> GraderReport:
        errors = [g.error for g in grades if g.error]
        report = GraderReport(metric=self.name, scorer=self.name, model=self.model, adapter=str(adapter),
                              fingerprint=fingerprint, n_items=len(items), n_errors=len(errors),
                              first_error=errors[0] if errors else None, cached=cached, rubric=rubric.name,
                              rubric_source=rubric.source, rubric_digest=rubric.digest,
                              params={k: v for k, v in params.items() if isinstance(v, (int, float, str, bool))},
                              repeats=self.repeats)
        unstable = [it.case.id for it, g in zip(items, grades) if g.unstable]
        report.unstable = len(unstable)
        report.unstable_cases = listed(unstable)
        agreements = [g.agreement for g in grades if g.agreement is not None]
        report.mean_agreement = sum(agreements) / len(agreements) if agreements else None
        if self.repeats >= 2:
            units = [[None if g is None else rubric.code(g) for g, _, _ in row] for row in parsed]
            report.reliability = krippendorff_alpha(units=units, level=rubric.level)  # type: ignore[arg-type]
            report.reliability_method = f"Krippendorff's alpha ({rubric.level}) over {self.repeats} repeats"
            if rubric.spec.labels is not None:
                complete = [u for u in units if all(v is not None for v in u)]
                if complete:
                    k = len(rubric.spec.labels)
                    counts = [[sum(1 for v in u if v == c) for c in range(k)] for u in complete]
                    report.fleiss_kappa = fleiss_kappa(counts=counts)
        return report
