"""The terminal summary (Rich): verdict, reason and one row per criterion."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bouclier.gate.result import RunResult, Verdict

_STYLE = {Verdict.PASS: "bold green", Verdict.FAIL: "bold red", Verdict.INCONCLUSIVE: "bold yellow"}


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def render_terminal(result: RunResult, console: Console) -> None:
    table = Table(title=f"{result.candidate.name} (candidate) vs {result.baseline.name} (baseline)",
                  title_justify="left", show_lines=False)
    for col in ("verdict", "suite", "criterion", "baseline", "candidate", "diff", f"{result.confidence:.0%} CI", "n"):
        table.add_column(col, overflow="fold")
    for c in result.criteria:
        ci = "–" if c.ci_low is None else f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}]"
        diff = "–" if c.difference is None else f"{c.difference:+.3f}"
        table.add_row(Text(c.verdict.value, style=_STYLE[c.verdict]), c.suite, c.name,
                      _num(c.baseline_value), _num(c.candidate_value), diff, ci, str(c.n))
    console.print(table)
    for c in result.criteria:
        if c.verdict is not Verdict.PASS:
            console.print(Text(f"  {c.verdict.value}: {c.suite}/{c.name}: {c.reason}", style=_STYLE[c.verdict]))
    for s in result.suites:
        if any(s.errors.values()):
            console.print(f"  {s.name}: failed calls (counted as wrong) baseline {s.errors.get('baseline', 0)}, "
                          f"candidate {s.errors.get('candidate', 0)}")
    for g in result.graders:
        console.print(Text(f"  grader {g.summary()}"))
    console.print(Text.assemble(("verdict: ", "bold"), (result.verdict.value, _STYLE[result.verdict]),
                                (f" — {result.reason}", "")))
