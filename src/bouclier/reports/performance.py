"""The performance and cost sections of the reports: per load level, a latency
percentile table (baseline / candidate / ratio), throughput and errors, streaming speed,
peak memory, and the cost per 1,000 requests of every suite. The CDF data (101 quantiles
per model) stay in result.json for charts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bouclier.gate.result import CostSummary, Distribution, RunResult

_PCTS = ("p50", "p90", "p95", "p99")


def _ratio(b: float | None, c: float | None) -> str:
    return "–" if b is None or c is None or b == 0 else f"x{c / b:.3f}"


def _v(x: float | None, fmt: str = ".4g") -> str:
    return "–" if x is None else format(x, fmt)


def _usd(x: float | None) -> str:
    return "unknown" if x is None else f"${x:.4g}"


def performance_rows(result: RunResult) -> list[tuple[str, str, list[tuple[str, str, str, str]], list[str]]]:
    """(suite, level label, rows (quantity, baseline, candidate, ratio), notes) per level."""
    out = []
    for suite in result.suites:
        perf = suite.performance
        if perf is None:
            continue
        for level in perf.levels:
            b, c = level.baseline, level.candidate
            rows = []
            for field, unit in (("latency_ms", "ms"), ("ttft_ms", "ms"), ("tokens_per_s", "tokens/s")):
                db: Distribution | None = getattr(b, field)
                dc: Distribution | None = getattr(c, field)
                if db is None and dc is None:
                    continue
                label = {"latency_ms": "latency", "ttft_ms": "time to first token",
                         "tokens_per_s": "decode speed"}[field]
                for p in _PCTS:
                    vb, vc = getattr(db, p) if db else None, getattr(dc, p) if dc else None
                    rows.append((f"{label} {p} ({unit})", _v(vb), _v(vc), _ratio(vb, vc)))
            rows.append(("throughput (req/s)", _v(b.throughput_rps), _v(c.throughput_rps),
                         _ratio(b.throughput_rps, c.throughput_rps)))
            if level.requested_rate is not None:
                rows.append((f"achieved rate (of {level.requested_rate:g} req/s)", _v(b.achieved_rate),
                             _v(c.achieved_rate), _ratio(b.achieved_rate, c.achieved_rate)))
            rows.append(("errors / timeouts", f"{b.errors} / {b.timeouts} of {b.requests}",
                         f"{c.errors} / {c.timeouts} of {c.requests}", "–"))
            out.append((suite.name, f"{level.label}, {level.blocks} block pairs", rows, list(level.notes)))
        if perf.peak_memory_mb:
            mb, mc = perf.peak_memory_mb.get("baseline"), perf.peak_memory_mb.get("candidate")
            out.append((suite.name, f"peak memory: {perf.memory_method or 'tracemalloc'}",
                        [("peak memory (MiB)", _v(mb), _v(mc), _ratio(mb, mc))], []))
    return out


def cost_rows(result: RunResult) -> list[tuple[str, str, str, str, str]]:
    """(suite, baseline, candidate, ratio, note) of the cost per 1,000 requests."""
    out = []
    for suite in result.suites:
        cost: CostSummary | None = suite.cost
        if cost is None:
            continue
        b, c = cost.baseline, cost.candidate
        if not b.known and not c.known and b.reason and c.reason and "no price" in b.reason and "no price" in c.reason:
            continue  # nothing priced at all: not worth a row
        notes = [f"{role}: {m.reason}" for role, m in (("baseline", b), ("candidate", c)) if not m.known and m.reason]
        totals = f"run: {_usd(b.usd)} vs {_usd(c.usd)}"
        out.append((suite.name, _usd(b.usd_per_1k), _usd(c.usd_per_1k),
                    "–" if cost.ratio is None else f"x{cost.ratio:.3f}", "; ".join([totals] + notes)))
    return out


def render_performance_terminal(result: RunResult, console: Console) -> None:
    for suite, label, rows, notes in performance_rows(result):
        table = Table(title=f"{suite}: {label}", title_justify="left")
        for col in ("", "baseline", "candidate", "ratio"):
            table.add_column(col, justify="right" if col else "left")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        for note in notes:
            console.print(f"  note: {note}", style="yellow", highlight=False)
    costs = cost_rows(result)
    if costs:
        table = Table(title="cost per 1,000 requests (USD)", title_justify="left")
        for col in ("suite", "baseline", "candidate", "ratio", ""):
            table.add_column(col, overflow="fold")
        for row in costs:
            table.add_row(*row)
        console.print(table)
    if result.stopped:
        console.print(f"  stopped: {result.stopped}", style="bold yellow", highlight=False)


def performance_markdown(result: RunResult) -> list[str]:
    lines: list[str] = []
    for suite, label, rows, notes in performance_rows(result):
        lines += ["", f"### Performance: {suite} ({label})", "", "| | baseline | candidate | ratio |",
                  "|---|---|---|---|"]
        lines += [f"| {q} | {b} | {c} | {r} |" for q, b, c, r in rows]
        lines += [f"\n> ⚠️ {n}" for n in notes]
    costs = cost_rows(result)
    if costs:
        lines += ["", "### Cost per 1,000 requests (USD)", "", "| suite | baseline | candidate | ratio | |",
                  "|---|---|---|---|---|"]
        lines += [f"| {s} | {b} | {c} | {r} | {n.replace('|', '/')} |" for s, b, c, r, n in costs]
    if result.stopped:
        lines += ["", f"**Stopped early:** {result.stopped}"]
    return lines
