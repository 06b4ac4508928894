"""``report.md``: fit to paste as a pull-request comment. Verdict first, one line per
criterion, then the regressed cases (collapsed). Kept under GitHub's 65,536-character
comment limit by truncating the case list, never the verdict."""

from __future__ import annotations

from bouclier.gate.result import RunResult, Verdict

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
    section = [f"\n### Regressed cases ({total}; right in baseline, worse in candidate)\n\n"]
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
