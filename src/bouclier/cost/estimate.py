"""``bouclier check --estimate``: what a run would cost, before calling any model.

Per suite and model: calls = cases (quality suite) or (warm-up + measured requests) x
levels (performance suite); input tokens = the model's tokenizer applied to each rendered
input (system prompt + input), or, without a tokenizer, the documented heuristic of one
token per 4 characters (``chars/4``; chat-template overhead is not counted); output tokens
per call = ``cost.expected_output_tokens`` if set, else ``params.max_tokens`` (an upper
bound: the model may stop earlier), else unknown. USD = tokens x the price table. A
missing price or output estimate makes that line's USD unknown, never zero. Cached answers
are not subtracted: this is the cost of a run without cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bouclier.cost.prices import HEURISTIC, build_pricing, heuristic_tokens


@dataclass(frozen=True)
class EstimateRow:
    suite: str
    role: str
    model: str
    calls: int | None
    input_tokens: int | None
    input_method: str
    output_tokens: int | None
    output_method: str
    usd: float | None
    note: str | None = None


@dataclass
class CostEstimate:
    rows: list[EstimateRow] = field(default_factory=list)

    def total(self, role: str | None = None) -> float | None:
        """Sum of the rows (of one role); None when any of them is unknown."""
        rows = [r for r in self.rows if role is None or r.role == role]
        if any(r.usd is None for r in rows):
            return None
        return sum(r.usd for r in rows)

    def as_dict(self) -> dict:
        return {"rows": [r.__dict__ for r in self.rows], "total_usd": self.total(),
                "baseline_usd": self.total("baseline"), "candidate_usd": self.total("candidate")}


def _prompt(case: Any, system: str | None) -> str:
    prompt = case.system if case.system is not None else system
    return f"{prompt}\n{case.input}" if prompt else case.input


def _calls(suite_plan: Any) -> int | None:
    if getattr(suite_plan.config, "kind", "quality") == "performance":
        from bouclier.performance_suite import planned_calls

        return planned_calls(suite_plan)
    return len(suite_plan.dataset.cases)


def estimate_cost(plan: Any) -> CostEstimate:
    """Estimate every suite's cost for both models of a :class:`~bouclier.check.Plan`."""
    cfg = plan.loaded.config
    est = CostEstimate()
    for role in ("baseline", "candidate"):
        name = getattr(plan, role)
        mcfg = cfg.models[name]
        pricing = build_pricing(name, mcfg, base_dir=plan.loaded.base_dir)
        cost = mcfg.cost
        if cost is not None and cost.expected_output_tokens is not None:
            out_per_call, out_method = cost.expected_output_tokens, "cost.expected_output_tokens"
        elif isinstance(mcfg.params.get("max_tokens"), int):
            out_per_call, out_method = mcfg.params["max_tokens"], "params.max_tokens (upper bound)"
        else:
            out_per_call, out_method = None, "set cost.expected_output_tokens or params.max_tokens"
        for sp in plan.suites:
            cases = sp.dataset.cases
            system = sp.config.system or mcfg.system
            count = pricing.counter or heuristic_tokens
            per_case = [count(_prompt(c, system)) for c in cases]
            mean_in = sum(per_case) / len(per_case) if per_case else 0.0
            calls = _calls(sp)
            notes = []
            if calls is None:
                notes.append("duration-bound load: the number of calls is not known in advance")
            if not pricing.priced:
                notes.append(pricing.no_price_reason)
            tin = None if calls is None else round(mean_in * calls)
            tout = None if calls is None or out_per_call is None else out_per_call * calls
            usd = pricing.usd(tin, tout) if tin is not None and tout is not None else None
            est.rows.append(EstimateRow(
                suite=sp.config.name, role=role, model=name, calls=calls, input_tokens=tin,
                input_method=f"tokenizer {pricing.counter.target}" if pricing.counter else HEURISTIC,
                output_tokens=tout, output_method=out_method, usd=usd, note="; ".join(notes) or None))
    return est


__all__ = ["CostEstimate", "EstimateRow", "estimate_cost"]
