"""``bouclier report RUN_DIR``: re-render a past run in any format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from bouclier.errors import Problem, UsageError
from bouclier.reports.rerender import ReportFormat


def report(
    run_dir: Path = typer.Argument(..., help="A run directory written by `bouclier check` (or its result.json)."),
    format: ReportFormat = typer.Option(ReportFormat.html, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    source_root: Path = typer.Option(
        Path("."), "--source-root", help="Repository root that SARIF locations are relative to."),
) -> None:
    """Re-render a past run (result.json) as HTML, Markdown, JSON, JUnit or SARIF.

    Exit codes: 0 rendered, 2 missing, corrupt or unsupported result.json.
    """
    from bouclier.cli.output import err_console
    from bouclier.reports import render_run

    rendered = render_run(run_dir, format, source_root=source_root)
    if output is None:
        sys.stdout.write(rendered)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(rendered, encoding="utf-8")
    except OSError as exc:
        raise UsageError(problems=[Problem(f"cannot write the report ({exc.strerror})", file=str(output),
                                           key="--output")]) from exc
    err_console.print(f"wrote {output}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(report)
