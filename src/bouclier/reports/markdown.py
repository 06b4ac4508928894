"""``report.md``: fit to paste as a pull-request comment. Verdict first, one line per
criterion, then the regressed cases (collapsed). Kept under GitHub's 65,536-character
comment limit by truncating the case list, never the verdict."""

from __future__ import annotations

from bouclier.gate.result import RunResult, Verdict
from bouclier.reports.performance import performance_markdown

GITHUB_COMMENT_LIMIT = 65_536
_ICON = {Verdict.PASS: "✅", Verdict.FAIL: "❌", Verdict.INCONCLUSIVE: "⚠️"}
_OUTPUT_CHARS = 500


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _short(text: object, limit: int = _OUTPUT_CHARS) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _num(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def render_markdown(result: RunResult, *, limit: int = GITHUB_COMMENT_LIMIT,
                    html_name: str = "report.html") -> str:
    lines = [
        f"## {_ICON[result.verdict]} bouclier: **{result.verdict.value}**",
        "",
        f"{_cell(result.reason)}",
        "",
        f"`{result.candidate.name}` (candidate) vs `{result.baseline.name}` (baseline) · "
        f"{result.confidence:.0%} intervals · multiple testing: {result.multiple_testing} · "
        f"run `{result.run_id}`",
        "",
        "| | criterion | suite | baseline | candidate | diff | CI | n | reason |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result.criteria:
        ci = "–" if c.ci_low is None else f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}]"
        diff = "–" if c.difference is None else f"{c.difference:+.3f}"
        lines.append(f"| {_ICON[c.verdict]} | {_cell(c.name)} | {_cell(c.suite)} | {_num(c.baseline_value)} | "
                     f"{_num(c.candidate_value)} | {diff} | {ci} | {c.n} | {_cell(c.reason)} |")
    errors = [(s.name, s.errors) for s in result.suites if any(s.errors.values())]
    if errors:
        lines += ["", "Failed calls (counted as wrong answers): " + "; ".join(
            f"{name}: baseline {e.get('baseline', 0)}, candidate {e.get('candidate', 0)}" for name, e in errors)]
    for suite in result.suites:
        if suite.groups:
            lines += ["", f"### {suite.name}: per {suite.group_by or 'group'} (worst first)", "",
                      f"| {suite.group_by or 'group'} | metric | baseline | candidate | diff | CI | n | |",
                      "|---|---|---|---|---|---|---|---|"]
            for g in suite.groups:
                ci = "–" if g.ci_low is None else f"[{g.ci_low:+.3f}, {g.ci_high:+.3f}]"
                icon = _ICON[g.verdict] if g.verdict else ""
                lines.append(f"| {_cell(g.group)} | {_cell(g.metric)} | {g.baseline_mean:.3f} | "
                             f"{g.candidate_mean:.3f} | {g.difference:+.3f} | {ci} | {g.n} | {icon} |")
            c = suite.consistency
            if c is not None:
                lines += ["", f"Cross-lingual consistency: {c.candidate_consistent:.0%} of {c.n_sets} parallel "
                              f"sets answered alike in every {suite.group_by or 'group'} "
                              f"(baseline {c.baseline_consistent:.0%})."]
    if result.inconsistent_sets:
        lines += ["", f"<details><summary>Parallel sets answered inconsistently by the candidate "
                      f"({len(result.inconsistent_sets)} shown)</summary>", ""]
        for s in result.inconsistent_sets[:10]:
            answers = ", ".join(f"{g}: `{_cell(_short(a, 40))}`" for g, a in s.answers.items())
            lines.append(f"- `{_cell(s.parallel_id)}`{' (newly broken)' if s.baseline_consistent else ''}: {answers}")
        lines += ["", "</details>"]
    for s in result.suites:
        if s.safety is not None:
            lines += safety_lines(s)
    lines += performance_markdown(result)
    if result.graders:
        lines += ["", "Graders (model-graded metrics):"] + [f"- {_cell(g.summary())}" for g in result.graders]
    head = "\n".join(lines) + "\n"
    total = sum(s.regressions_total for s in result.suites)
    if not result.regressions:
        return head
    blocks = []
    for r in result.regressions:
        blocks.append(
            f"<details><summary><code>{_cell(r.case_id)}</code> {_cell(r.suite)}/{_cell(r.metric)}"
            f"{' [' + _cell(r.group) + ']' if r.group else ''}: {r.baseline_score:g} → {r.candidate_score:g}</summary>\n\n"
            f"**input**\n\n```\n{_short(r.input)}\n```\n\n**expected**: `{_cell(_short(r.expected, 200))}`\n\n"
            f"| baseline | candidate |\n|---|---|\n| {_cell(_short(r.baseline_output))} | "
            f"{_cell(_short(r.candidate_output if r.candidate_error is None else 'error: ' + r.candidate_error))} |\n\n"
            f"</details>\n")
    section = [f"\n### Regressed cases ({total}; right in baseline, worse in candidate; newly succeeding "
               "probes first)\n\n"]
    footer = (f"\n_Truncated to fit a pull-request comment: the full list is in `{html_name}` and "
              f"`result.json` (and every case in `cases.jsonl`)._\n")
    size = len(head) + len(section[0]) + len(footer)
    shown = 0
    for block in blocks:
        if size + len(block) > limit:
            break
        section.append(block)
        size += len(block)
        shown += 1
    if shown < total:
        section.append(footer.replace("Truncated", f"Showing {shown} of {total}. Truncated"))
    return head + "".join(section)


def safety_lines(suite) -> list[str]:
    """The family x language matrix of a safety suite: attack successes baseline → candidate."""
    s = suite.safety
    cells = {(c.family, c.lang): c for c in s.cells}
    out = ["", f"### Safety: {_cell(suite.name)} ({s.n_probes} probes; {s.new_successes} newly succeed, "
               f"{s.fixed} fixed)", "",
           "Attack successes, baseline → candidate (over_refusal: benign requests refused); "
           "**bold**: new successes on the candidate.", "",
           "| family | " + " | ".join(s.languages) + " |", "|---|" + "---|" * len(s.languages)]
    for f in s.families:
        row = []
        for lang in s.languages:
            c = cells.get((f, lang))
            if c is None:
                row.append("–")
                continue
            text = f"{c.baseline_successes}/{c.n} → {c.candidate_successes}/{c.n}"
            if c.unknown:
                text += f" ({c.unknown} unknown)"
            row.append(f"**{text} (+{c.new_successes})**" if c.new_successes else text)
        out.append(f"| {_cell(f)} | " + " | ".join(row) + " |")
    for j in s.judges:
        line = (f"- {j.kind} judge `{_cell(j.model)}`: {j.judged} judged, {j.disagreements} disagree with the "
                f"pattern detector, {j.errors} judge errors")
        if j.examples:
            line += "; e.g. " + "; ".join(_cell(e) for e in j.examples[:3])
        if j.error_examples:
            line += "; errors: " + "; ".join(_cell(e) for e in j.error_examples[:3])
        out.append(line)
    return out
