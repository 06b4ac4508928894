"""Cost of a quality suite's calls, from the per-case records of ``bouclier check``."""

from __future__ import annotations

from typing import Any, Iterator

from bouclier.cost.prices import Call, build_pricing, summarize_cost
from bouclier.gate.result import CostSummary


def records_cost(plan: Any, suite_plan: Any, records: list) -> CostSummary:
    """Tokens x prices of both models' answers in one quality suite (cached answers are
    priced in ``usd`` and left out of ``spent_usd``)."""
    cfg = plan.loaded.config
    out = {}
    for role in ("baseline", "candidate"):
        name = getattr(plan, role)
        mcfg = cfg.models[name]
        pricing = build_pricing(name, mcfg, base_dir=plan.loaded.base_dir)
        system = suite_plan.config.system or mcfg.system
        out[role] = summarize_cost(pricing, _calls(records, role, system))
    return CostSummary(**out)


def _calls(records: list, role: str, system: str | None) -> Iterator[Call]:
    """One role's calls, one at a time (a large suite's calls are never all in memory)."""
    for r in records:
        resp = r.responses[role]
        yield Call(r.case.input, r.case.system if r.case.system is not None else system, resp.output,
                   resp.input_tokens, resp.output_tokens, resp.ok, resp.cached)
