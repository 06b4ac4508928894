"""``bouclier compare``, ``bouclier watch`` and ``bouclier lifecycle trend|report``
(calls bouclier.lifecycle)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from bouclier.cli.db import DB_OPTION
from bouclier.cli.gate import CONFIG_OPTION, progress_factory
from bouclier.cli.output import err_console
from bouclier.errors import UsageError

lifecycle_app = typer.Typer(help="Lifecycle advice: trends with change points, keep/compress/replace/retire.",
                            no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON to stdout.")


def _dump(value) -> None:
    sys.stdout.write(json.dumps(value, default=str, indent=2) + "\n")


def _fmt(value, spec: str = ".3f", unknown: str = "unknown") -> str:
    return unknown if value is None else format(value, spec)


def _model(config: Path, model: str | None):
    """The registry model (argument, else bouclier.yaml's registry link), the policy, the
    quality metric and the loaded config (None when there is no bouclier.yaml)."""
    from bouclier.config import load_config
    from bouclier.lifecycle.compare import default_quality_metric

    loaded = load_config(config) if (config.exists() or model is None) else None
    if model is None:
        if loaded.config.registry is None:
            raise UsageError(f"no MODEL given and {config} has no `registry: {{model: NAME}}`")
        model = loaded.config.registry.model
    from bouclier.config.lifecycle import LifecycleConfig
    from bouclier.lifecycle.measures import config_prices

    policy = (loaded.config.lifecycle or LifecycleConfig()) if loaded else LifecycleConfig()
    if loaded:
        policy = policy.model_copy(update={"prices": config_prices(loaded.config)})
    quality = default_quality_metric(loaded.config) if loaded else None
    return model, policy, quality, loaded


def compare(
    config: Path = CONFIG_OPTION,
    candidate: list[str] = typer.Option([], "--candidate", help="Candidate (models: name or registry "
                                        "version/alias); repeatable. Default: every model but the baseline."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Baseline (default: bouclier.yaml's)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Call the models even for cached answers."),
    db: Optional[str] = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Gate several candidates against the baseline on the same suites; show the Pareto
    front of quality x cost per 1k requests x p95 latency and recommend the cheapest
    candidate non-inferior on every criterion (fairness included). Exit 0."""
    from bouclier.config import load_config
    from bouclier.lifecycle.compare import run_compare

    loaded = load_config(config)
    comparison, results = run_compare(loaded, candidates=candidate or None, baseline=baseline, database_url=db,
                                      use_cache=not no_cache, progress=progress_factory())
    _render_comparison(comparison)
    if as_json:
        data = asdict(comparison)
        data["results"] = [r.model_dump(mode="json") for r in results]
        _dump(data)


def _render_comparison(c) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", title=f"quality = {c.quality_metric}; baseline {c.baseline}")
    for col in ("option", "quality", "cost/1k req", "p95 s", "gate vs baseline", "Pareto front"):
        table.add_column(col)
    for o in c.options:
        m = o.measures
        front = ("yes" if o.on_front else f"no (dominated by {', '.join(o.dominated_by)})"
                 if o.on_front is False else f"not placed ({', '.join(o.unknown)} unknown)")
        gate = "baseline" if o.is_baseline else f"{o.verdict}" + ("" if o.non_inferior else f" ({len(o.not_passed)} criteria)")
        table.add_row(o.name + (" *" if o.name == c.recommended else ""), _fmt(m.quality), str(m.cost),
                      _fmt(m.latency_p95_s, ".4f"), gate, front)
    err_console.print(table)
    verdict = f"recommended: {c.recommended}" if c.recommended else f"recommended: keep {c.baseline}"
    err_console.print(f"[bold]{verdict}[/]", highlight=False)
    for reason in c.reasons:
        err_console.print(f"  - {reason}", highlight=False, markup=False)


def watch(
    config: Path = CONFIG_OPTION,
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Reference model (default: bouclier.yaml's)."),
    db: Optional[str] = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the suites once against the version behind `production` (no cache) and record
    the run in the registry, for cron or a CI schedule; then show the trend's change
    points. Exit 0 when recorded, 1 when a change point falls on this run."""
    from bouclier.config import load_config
    from bouclier.lifecycle.compare import default_quality_metric
    from bouclier.lifecycle.trend import trend
    from bouclier.lifecycle.watch import watch_production
    from bouclier.registry import open_registry

    loaded = load_config(config)
    run = watch_production(loaded, baseline=baseline, database_url=db, progress=progress_factory())
    err_console.print(f"watched {run.version}: gate {run.result.verdict.value} vs {run.result.baseline.name}; "
                      f"recorded as run {run.run_id}", highlight=False)
    for w in run.warnings:
        err_console.print(f"warning: {w}", highlight=False)
    from bouclier.lifecycle.measures import config_prices

    with open_registry(db) as reg:
        t = trend(reg, loaded.config.registry.model, quality_metric=default_quality_metric(loaded.config),
                  prices=config_prices(loaded.config))
    here = [b for b in t.breaks if b.run_id == run.run_id]
    for b in here:
        err_console.print(f"[bold red]change point[/] in {b.measure} at this run: {b.before:.4g} -> {b.after:.4g} "
                          f"(p={b.p_value:.3f})", highlight=False)
    if as_json:
        _dump({"run_id": run.run_id, "version": run.version, "warnings": run.warnings,
               "breaks_at_this_run": [asdict(b) for b in here]})
    raise typer.Exit(1 if here else 0)


@lifecycle_app.command("trend")
def trend_cmd(
    model: Optional[str] = typer.Argument(None, help="Registry model (default: bouclier.yaml's registry link)."),
    config: Path = CONFIG_OPTION,
    db: Optional[str] = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Quality, p95 latency, cost, error rate, unpredictability and every metric of the
    model's recorded runs over time, with change points flagged."""
    from rich.table import Table

    from bouclier.lifecycle.trend import trend
    from bouclier.registry import open_registry

    model, policy, quality, _ = _model(config, model)
    with open_registry(db) as reg:
        t = trend(reg, model, quality_metric=quality, prices=policy.prices)
    if as_json:
        return _dump(asdict(t))
    flagged = {(b.run_id, b.measure) for b in t.breaks}
    table = Table(box=None, header_style="bold", title=f"{model}: quality = {t.quality_metric}")
    cols = ("quality", "latency_p95_s", "cost_per_1k", "error_rate", "unpredictability")
    for col in ("date", "version", "run", "origin", "verdict", *cols):
        table.add_column(col)
    for p in t.points:
        cells = [(_fmt(p.values.get(c), ".4g") + (" <- break" if (p.run_id, c) in flagged else "")) for c in cols]
        table.add_row(p.at[:16], p.version, p.run_id, p.origin or "check", p.verdict, *cells)
    err_console.print(table)
    for b in t.breaks:
        err_console.print(f"change point: {b.version} {b.measure} {b.before:.4g} -> {b.after:.4g} from run "
                          f"{b.run_id} ({b.at[:10]}, p={b.p_value:.3f})", highlight=False)
    for n in t.notes:
        err_console.print(f"note: {n}", highlight=False, markup=False)


@lifecycle_app.command("report")
def report_cmd(
    model: Optional[str] = typer.Argument(None, help="Registry model (default: bouclier.yaml's registry link)."),
    config: Path = CONFIG_OPTION,
    db: Optional[str] = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Per registered version: keep / compress / replace / retire / investigate, with the
    measured reasons against bouclier.yaml's lifecycle: policy and the evidence (runs, and
    live traffic from the canary router's signal store when one is configured)."""
    import datetime as dt

    from bouclier.lifecycle.advice import lifecycle_report
    from bouclier.lifecycle.traffic import read_traffic, signals_path
    from bouclier.registry import open_registry

    model, policy, quality, loaded = _model(config, model)
    store, key = signals_path(loaded) if loaded else (None, None)
    now = dt.datetime.now(dt.timezone.utc)
    with open_registry(db) as reg:
        reg.list_versions(model)  # an unknown model is refused before the store is read
        traffic = read_traffic(reg, model, store, window_days=policy.traffic_window_days, now=now,
                               key=key or "lifecycle.signals", config_file=str(loaded.path) if loaded else None)
        advice = lifecycle_report(reg, model, policy=policy, quality_metric=quality, now=now, traffic=traffic)
    if as_json:
        return _dump([asdict(a) for a in advice])
    if not advice:
        err_console.print(f"{model}: no registered versions", highlight=False)
    elif traffic.store:
        err_console.print(f"traffic: the router's signal store {traffic.store}, last {traffic.window_days:g} days",
                          highlight=False, markup=False)
        for n in [traffic.unknown_reason, *traffic.notes] if traffic.unknown_reason else traffic.notes:
            err_console.print(f"  note: {n}", highlight=False, markup=False)
    for a in advice:
        err_console.print(f"[bold]{a.version}[/] ({a.stage}): [bold]{a.advice.upper()}[/]", highlight=False)
        for r in a.reasons:
            err_console.print(f"  - {r}", highlight=False, markup=False)
        for n in (n for n in a.notes if n not in traffic.notes):  # the store's notes: shown once above
            err_console.print(f"  note: {n}", highlight=False, markup=False)
        for e in a.evidence:
            err_console.print(f"  evidence: {e}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command()(compare)
    app.command()(watch)
    app.add_typer(lifecycle_app, name="lifecycle")
