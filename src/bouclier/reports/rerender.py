"""Re-render a past run from its directory (``bouclier report RUN_DIR --format ...``)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from bouclier.gate.result import RunResult, load_result
from bouclier.reports.groups import group_tables, read_case_rows
from bouclier.reports.html import render_html
from bouclier.reports.junit import render_junit
from bouclier.reports.markdown import render_markdown
from bouclier.reports.sarif import render_gate_sarif


class ReportFormat(str, Enum):
    html = "html"
    md = "md"
    json = "json"
    junit = "junit"
    sarif = "sarif"


def render_result(result: RunResult, fmt: ReportFormat, *, run_dir: Path | None = None,
                  source_root: Path | None = None) -> str:
    """One report of ``result``; the HTML report reads ``run_dir/cases.jsonl`` (when
    present) for its per-group charts."""
    fmt = ReportFormat(fmt)
    if fmt is ReportFormat.html:
        bad: list[int] = []
        groups = group_tables(result, read_case_rows(run_dir / "cases.jsonl", bad_lines=bad)) if run_dir else []
        notes = [f"cases.jsonl: {len(bad)} unreadable line(s) left out of the per-group charts "
                 f"(first: line {bad[0]})"] if bad else []
        return render_html(result, groups=groups, notes=notes)
    if fmt is ReportFormat.md:
        return render_markdown(result)
    if fmt is ReportFormat.junit:
        return render_junit(result)
    if fmt is ReportFormat.sarif:
        return render_gate_sarif(result, source_root=source_root)
    return result.model_dump_json(indent=2) + "\n"


def render_run(run_dir: Path, fmt: ReportFormat, *, source_root: Path | None = None) -> str:
    """Load ``run_dir/result.json`` (migrating an older schema) and render it."""
    result = load_result(run_dir)
    directory = run_dir if run_dir.is_dir() else run_dir.parent
    return render_result(result, fmt, run_dir=directory, source_root=source_root)
