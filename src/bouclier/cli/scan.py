"""``bouclier scan PATH...``: secrets and unsafe model artifacts in what is about to ship.

Exit codes: 0 no new finding, 1 new findings, 2 bad usage (e.g. a malformed baseline).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from bouclier.errors import Problem, UsageError


class ScanFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    codequality = "codequality"


def _parse_size(value: str) -> int:
    units = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2,
             "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3}
    v = value.strip().lower()
    number = v.rstrip("kmgib")
    unit = v[len(number):]
    try:
        n = float(number)
    except ValueError:
        n = -1.0
    if unit not in units or n <= 0:
        raise UsageError(problems=[Problem(
            f"expected a size such as 10M, 512K or 1048576, found {value!r}", key="--max-file-size")])
    return int(n * units[unit])


def scan_command(
    paths: list[Path] = typer.Argument(..., help="Files or directories to scan."),
    format: ScanFormat = typer.Option(ScanFormat.text, "--format", "-f", help="Output format (codequality: GitLab code quality JSON)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Baseline file of accepted findings."),
    write_baseline_to: Path | None = typer.Option(
        None, "--write-baseline", help="Write every current finding to this baseline file and exit 0."),
    max_file_size: str = typer.Option("10M", "--max-file-size", help="Skip text files larger than this."),
    no_gitignore: bool = typer.Option(False, "--no-gitignore", help="Also scan files that .gitignore excludes."),
) -> None:
    """Scan code, configuration and model artifacts for secrets and unsafe pickles."""
    from bouclier.cli.output import err_console
    from bouclier.scan import render_codequality, render_json, render_sarif, render_text, scan_paths, write_baseline

    limit = _parse_size(max_file_size)
    progress_cb = None
    bar = None
    if err_console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       console=err_console, transient=True)
        task = bar.add_task("scan", total=None)

        def progress_cb(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total)

        bar.start()
    try:
        report = scan_paths(paths, baseline=baseline, max_file_size=limit,
                            respect_gitignore=not no_gitignore, progress=progress_cb)
    finally:
        if bar is not None:
            bar.stop()
    if write_baseline_to is not None:
        n = write_baseline(write_baseline_to, report.findings + report.baselined)
        err_console.print(f"wrote {n} fingerprint(s) to {write_baseline_to}", highlight=False)
        raise typer.Exit(0)
    rendered = {ScanFormat.text: render_text, ScanFormat.json: render_json, ScanFormat.sarif: render_sarif,
                ScanFormat.codequality: render_codequality}[format](report)
    if output is not None:
        try:
            output.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            raise UsageError(problems=[Problem(f"cannot write the report ({exc.strerror})", file=str(output),
                                               key="--output")]) from exc
    else:
        sys.stdout.write(rendered)
    if format is not ScanFormat.text or output is not None:
        err_console.print(render_text(report, show_skipped=False).splitlines()[-1], highlight=False)
    raise typer.Exit(1 if report.findings else 0)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
