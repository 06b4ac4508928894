"""``bouclier check``, ``validate`` and ``schema``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Iterator, Optional

import typer

from bouclier.cli.output import err_console

CONFIG_OPTION = typer.Option("bouclier.yaml", "--config", "-c", help="Path to bouclier.yaml.")


def progress_factory():
    """A Rich bar on a terminal; plain lines (every 10%) in CI logs."""
    if err_console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=err_console, transient=True)

        @contextlib.contextmanager
        def factory(label: str, total: int) -> Iterator:
            with bars:
                task = bars.add_task(label, total=total)
                yield lambda n: bars.advance(task, n)

        return factory

    @contextlib.contextmanager
    def plain(label: str, total: int) -> Iterator:
        state = {"done": 0, "next": 0.1}

        def advance(n: int) -> None:
            state["done"] += n
            if total and state["done"] / total >= state["next"]:
                err_console.print(f"{label}: {state['done']}/{total}", highlight=False)
                while state["done"] / total >= state["next"]:
                    state["next"] += 0.1

        yield advance

    return plain


def check(
    config: Path = CONFIG_OPTION,
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Model name to use as baseline."),
    candidate: Optional[str] = typer.Option(None, "--candidate", help="Model name to use as candidate."),
    output_dir: Optional[Path] = typer.Option(
        None, "--output-dir", "-o", help="Where to write result.json, report.md, report.html, junit.xml, cases.jsonl "
        "(default .bouclier/runs/<timestamp>)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Call the models even for cached answers."),
    as_json: bool = typer.Option(False, "--json", help="Print result.json to stdout."),
    record: bool = typer.Option(False, "--record", help="Store the run in the registry, linked to both versions."),
    db: Optional[str] = typer.Option(None, "--db", envvar="BOUCLIER_DATABASE_URL",
                                     help="Registry database URL (default: SQLite in .bouclier/)."),
    estimate: bool = typer.Option(False, "--estimate", help="Estimate the run's cost (tokens x prices) "
                                  "without calling any model, then exit."),
) -> None:
    """Evaluate candidate vs baseline on the same cases and decide PASS / FAIL / INCONCLUSIVE.

    Exit codes: 0 pass, 1 fail, 2 usage or configuration error, 3 inconclusive (see
    policy.inconclusive), 4 models unreachable beyond the error budget. A --baseline or
    --candidate that is not one of models: is a registry alias or version (e.g. production).
    """
    from bouclier.check import case_rows
    from bouclier.config import load_config
    from bouclier.release import check_release
    from bouclier.reports import render_terminal, write_run

    loaded = load_config(config)
    if estimate:
        _estimate(loaded, baseline, candidate, as_json)
        raise typer.Exit(0)
    result, records, run_id = check_release(loaded, baseline=baseline, candidate=candidate, record=record,
                                            database_url=db, use_cache=not no_cache, progress=progress_factory())
    if output_dir is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        output_dir = loaded.base_dir / loaded.config.run.cache_dir / "runs" / stamp
    paths = write_run(result, output_dir, cases=case_rows(records))
    render_terminal(result, err_console)
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", highlight=False)
    err_console.print(f"reports: {paths['json'].parent}", highlight=False)
    if run_id:
        err_console.print(f"recorded in the registry as gate run {run_id}", highlight=False)
    if as_json:
        sys.stdout.write(paths["json"].read_text(encoding="utf-8"))
    raise typer.Exit(result.exit_code())


def _estimate(loaded, baseline: Optional[str], candidate: Optional[str], as_json: bool) -> None:
    from bouclier.check import plan_check
    from bouclier.cost import estimate_cost
    from bouclier.reports.estimate import render_estimate

    est = estimate_cost(plan_check(loaded, baseline=baseline, candidate=candidate))
    render_estimate(est, err_console)
    if as_json:
        sys.stdout.write(json.dumps(est.as_dict(), indent=2) + "\n")


def validate(
    config: Path = CONFIG_OPTION,
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Model name to use as baseline."),
    candidate: Optional[str] = typer.Option(None, "--candidate", help="Model name to use as candidate."),
) -> None:
    """Check bouclier.yaml, its datasets, scorers and model targets without calling any model."""
    from bouclier.check import plan_check
    from bouclier.config import load_config

    plan = plan_check(load_config(config), baseline=baseline, candidate=candidate)
    n = sum(len(s.dataset.cases) for s in plan.suites)
    crit = sum(len(s.config.criteria) for s in plan.suites)
    err_console.print(f"ok: {config}: {len(plan.suites)} suite(s), {n} cases, {crit} criteria; "
                      f"baseline {plan.baseline}, candidate {plan.candidate}", highlight=False)


def schema() -> None:
    """Print the JSON Schema of bouclier.yaml (for editor completion)."""
    from bouclier.config import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(validate)
    app.command()(schema)
