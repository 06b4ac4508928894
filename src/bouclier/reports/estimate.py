"""The table of ``bouclier check --estimate``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bouclier.cost.estimate import CostEstimate


def _n(x: int | None) -> str:
    return "unknown" if x is None else f"{x:,}"


def render_estimate(est: CostEstimate, console: Console) -> None:
    table = Table(title="estimated cost (no model was called)", title_justify="left")
    for col in ("suite", "model", "calls", "input tokens", "output tokens", "USD", "note"):
        table.add_column(col, overflow="fold")
    for r in est.rows:
        table.add_row(r.suite, f"{r.model} ({r.role})", _n(r.calls), f"{_n(r.input_tokens)} ({r.input_method})",
                      f"{_n(r.output_tokens)} ({r.output_method})", "unknown" if r.usd is None else f"${r.usd:.4f}",
                      r.note or "")
    console.print(table)
    total = est.total()
    parts = [f"{role} {'unknown' if est.total(role) is None else f'${est.total(role):.4f}'}"
             for role in ("baseline", "candidate")]
    console.print(f"total: {'unknown' if total is None else f'${total:.4f}'} ({', '.join(parts)})", highlight=False)
