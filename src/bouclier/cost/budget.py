"""``run.max_cost_usd``: stop calling a model once its calls in this run cost that much.

Each model is wrapped in a :class:`BudgetedModel` that adds up the price of every answer
(cache hits never reach it, so they cost nothing) and, once the model's spend reaches the
limit, answers every further request with a non-retryable ``ModelCallError`` of kind
``budget`` instead of calling it. Calls already in flight finish, so the spend can exceed
the limit by at most the price of ``concurrency`` calls. The run then ends INCONCLUSIVE
(:func:`apply_budget_stop`) with the reason: a gate must not FAIL or PASS on cases a model
was never asked.
"""

from __future__ import annotations

from typing import Any

from bouclier.adapters.base import Completion, ModelCallError, Model, Request
from bouclier.cost.prices import Pricing
from bouclier.errors import DataError, Problem
from bouclier.gate.result import RunResult, Verdict

BUDGET_KIND = "budget"


class CostGuard:
    """The spend of each model in one run, against one limit."""

    def __init__(self, limit_usd: float, pricings: dict[str, Pricing]):
        self.limit_usd = limit_usd
        self.pricings = pricings
        self.spent: dict[str, float] = {name: 0.0 for name in pricings}
        self.calls: dict[str, int] = {name: 0 for name in pricings}
        self.refused: dict[str, int] = {name: 0 for name in pricings}

    def exhausted(self, name: str) -> bool:
        return self.spent[name] >= self.limit_usd

    def refuse(self, name: str) -> ModelCallError:
        self.refused[name] += 1
        return ModelCallError(
            f"model '{name}' not called: run.max_cost_usd ({self.limit_usd:g} USD) reached "
            f"(spent {self.spent[name]:.4f} USD)", kind=BUDGET_KIND, retryable=False, latency_s=0.0)

    def charge(self, name: str, request: Request, completion: Completion) -> None:
        pricing = self.pricings[name]
        usd = pricing.call_usd(text=request.input, system=request.system, output=completion.output,
                               input_tokens=completion.input_tokens, output_tokens=completion.output_tokens)
        if usd is None:
            raise DataError(problems=[Problem(
                f"run.max_cost_usd is set but the cost of model '{name}' is unknown: {pricing.no_tokens_reason}",
                key=f"models.{name}.cost", hint="configure cost.tokenizer, or unset run.max_cost_usd")])
        self.spent[name] += usd
        self.calls[name] += 1

    def wrap(self, model: Model) -> Model:
        if model.name not in self.pricings:
            return model
        if hasattr(model, "complete_batch") and getattr(model, "batch_size", 1) > 1:
            return BudgetedBatchModel(model, self)
        return BudgetedModel(model, self)

    def stop_reason(self) -> str | None:
        stopped = [n for n, k in self.refused.items() if k]
        if not stopped:
            return None
        parts = [f"model '{n}' stopped after {self.calls[n]} calls ({self.spent[n]:.4f} USD), "
                 f"{self.refused[n]} calls not made" for n in stopped]
        return (f"run.max_cost_usd ({self.limit_usd:g} USD) reached: " + "; ".join(parts)
                + ". Criteria counting the calls not made are not reliable; raise max_cost_usd or shrink the "
                "suites (answers already received are cached and not paid again)")


class BudgetedModel:
    """A model behind the cost guard (same name, fingerprint and timeout behaviour)."""

    def __init__(self, inner: Model, guard: CostGuard):
        self.inner = inner
        self.guard = guard
        self.name = inner.name
        self.handles_timeout = getattr(inner, "handles_timeout", False)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    def __getattr__(self, item: str) -> Any:  # embed(), config, ... of the wrapped adapter
        return getattr(self.inner, item)

    async def complete(self, request: Request) -> Completion:
        if self.guard.exhausted(self.name):
            raise self.guard.refuse(self.name)
        completion = await self.inner.complete(request)
        self.guard.charge(self.name, request, completion)
        return completion

    async def aclose(self) -> None:
        await self.inner.aclose()


class BudgetedBatchModel(BudgetedModel):
    def __init__(self, inner: Model, guard: CostGuard):
        super().__init__(inner, guard)
        self.batch_size = inner.batch_size

    async def complete_batch(self, requests: list[Request]) -> list[Completion | ModelCallError]:
        if self.guard.exhausted(self.name):
            return [self.guard.refuse(self.name) for _ in requests]
        answers = await self.inner.complete_batch(requests)
        for request, answer in zip(requests, answers):
            if isinstance(answer, Completion):
                self.guard.charge(self.name, request, answer)
        return answers


def apply_budget_stop(result: RunResult, guard: CostGuard | None) -> RunResult:
    """A run in which the budget stopped a model is INCONCLUSIVE, with the reason."""
    reason = guard.stop_reason() if guard is not None else None
    if reason is None:
        return result
    return result.model_copy(update={"verdict": Verdict.INCONCLUSIVE, "reason": reason, "stopped": reason})


def budget_problems(loaded: Any, roles: dict[str, str]) -> list:
    """Plan-time check: ``run.max_cost_usd`` needs a price for both models."""
    from bouclier.errors import Problem as _Problem

    cfg = loaded.config
    if cfg.run.max_cost_usd is None:
        return []
    problems = []
    for role, name in roles.items():
        m = cfg.models.get(name)
        if m is not None and (m.cost is None or not m.cost.priced):
            problems.append(_Problem(f"run.max_cost_usd needs a price for {role} '{name}'", file=str(loaded.path),
                                     key=f"models.{name}.cost",
                                     hint="set cost: {input_usd_per_million: ..., output_usd_per_million: ...}"))
    return problems


def guard_models(plan: Any, models: dict[str, Model]) -> tuple[dict[str, Model], CostGuard | None]:
    """Wrap both models in a :class:`CostGuard` when ``run.max_cost_usd`` is set."""
    from bouclier.cost.prices import build_pricing

    cfg = plan.loaded.config
    if cfg.run.max_cost_usd is None:
        return models, None
    names = {plan.baseline, plan.candidate}
    pricings = {n: build_pricing(n, cfg.models[n], base_dir=plan.loaded.base_dir) for n in names}
    guard = CostGuard(cfg.run.max_cost_usd, pricings)
    return {role: guard.wrap(m) for role, m in models.items()}, guard
