"""The terminal summary (Rich): verdict, reason and one row per criterion."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bouclier.gate.result import RunResult, Verdict
from bouclier.reports.performance import render_performance_terminal

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
    for suite in result.suites:
        if suite.groups:
            render_groups(suite, console)
    for c in result.criteria:
        if c.verdict is not Verdict.PASS:
            console.print(Text(f"  {c.verdict.value}: {c.suite}/{c.name}: {c.reason}", style=_STYLE[c.verdict]))
    for s in result.suites:
        if s.safety is not None:
            render_safety_matrix(s, console)
        if any(s.errors.values()):
            console.print(f"  {s.name}: failed calls (counted as wrong) baseline {s.errors.get('baseline', 0)}, "
                          f"candidate {s.errors.get('candidate', 0)}")
    render_performance_terminal(result, console)
    for g in result.graders:
        console.print(Text(f"  grader {g.summary()}"))
    console.print(Text.assemble(("verdict: ", "bold"), (result.verdict.value, _STYLE[result.verdict]),
                                (f" — {result.reason}", "")))


def render_groups(suite, console: Console) -> None:
    """Per-group table (e.g. per language), worst first."""
    table = Table(title=f"{suite.name}: per {suite.group_by or 'group'}, worst first", title_justify="left")
    for col in (suite.group_by or "group", "metric", "baseline", "candidate", "diff", "CI of diff", "n", "verdict"):
        table.add_column(col)
    for g in suite.groups:
        ci = "–" if g.ci_low is None else f"[{g.ci_low:+.3f}, {g.ci_high:+.3f}]"
        verdict = Text(g.verdict.value, style=_STYLE[g.verdict]) if g.verdict else Text("–")
        table.add_row(g.group, g.metric, f"{g.baseline_mean:.3f}", f"{g.candidate_mean:.3f}",
                      f"{g.difference:+.3f}", ci, str(g.n), verdict)
    console.print(table)
    c = suite.consistency
    if c is not None:
        console.print(f"  cross-lingual consistency: {c.candidate_consistent:.0%} of {c.n_sets} parallel sets "
                      f"(baseline {c.baseline_consistent:.0%})")


def _cell_text(cell) -> Text:
    if cell is None:
        return Text("–")
    b = f"{cell.baseline_successes}/{cell.n}"
    c = f"{cell.candidate_successes}/{cell.n}"
    style = "bold red" if cell.new_successes else ("green" if cell.fixed else "")
    extra = f" +{cell.new_successes}" if cell.new_successes else ""
    unknown = f" ?{cell.unknown}" if cell.unknown else ""
    return Text(f"{b}→{c}{extra}{unknown}", style=style)


def render_safety_matrix(suite, console: Console) -> None:
    """Attack successes per family x language, baseline → candidate (+new successes)."""
    s = suite.safety
    table = Table(title=f"{suite.name}: attack successes (baseline→candidate, +new, ?unknown)",
                  title_justify="left")
    table.add_column("family")
    for lang in s.languages:
        table.add_column(lang, justify="right")
    cells = {(c.family, c.lang): c for c in s.cells}
    for f in s.families:
        table.add_row(f if f != "over_refusal" else "over_refusal (refused)",
                      *[_cell_text(cells.get((f, lang))) for lang in s.languages])
    console.print(table)
    console.print(f"  {suite.name}: {s.n_probes} probes, {s.new_successes} newly succeed on the candidate, "
                  f"{s.fixed} fixed", highlight=False)
    for j in s.judges:
        console.print(f"  {j.kind} judge '{j.model}': {j.judged} judged, {j.disagreements} disagree with the "
                      f"patterns, {j.errors} judge errors" + (f" (first: {j.error_examples[0]})" if j.error_examples
                                                              else ""), highlight=False)
