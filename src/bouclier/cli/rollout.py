"""``bouclier rollout start | status | pause | resume | promote | abort`` and
``bouclier serve-analysis`` (calls bouclier.rollout; no logic here).

Exit codes: 0 done (promoted, or the command was applied), 1 the rollout ended rolled back
or aborted, 2 bad input or a refused command (nothing changed), 4 database or router
unreachable.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from bouclier.cli.db import DB_OPTION
from bouclier.cli.output import console, err_console

rollout_app = typer.Typer(help="Progressive rollout driven by the canary analysis.", no_args_is_help=True)
CONFIG = typer.Option(..., "--config", "-c", help="YAML file with a rollout: section.")
ACTOR = typer.Option(None, "--actor", envvar="BOUCLIER_ACTOR", help="Who acts (default: git user.name or OS user).")
REASON = typer.Option("", "--reason", help="Why (kept in the audit trail).")


def _ledger(db: str | None):
    from bouclier.registry import open_registry
    from bouclier.rollout.ledger import RolloutLedger

    reg = open_registry(db)
    return reg, RolloutLedger(reg)


@rollout_app.command("start")
def start_cmd(config: Path = CONFIG, canary: str = typer.Option(..., "--canary", help="Version label to roll out."),
              stable: str = typer.Option("production", "--stable", help="Alias or label of the stable version."),
              db: Optional[str] = DB_OPTION, actor: Optional[str] = ACTOR,
              report_dir: Path = typer.Option(Path(".bouclier/rollouts"), "--report-dir",
                                              help="Where the final report (Markdown + JSON) goes."),
              gate_config: Optional[Path] = typer.Option(
                  None, "--gate-config",
                  help="bouclier.yaml whose digest and policy.required_approvals the promotion obeys "
                  "(default: ./bouclier.yaml when it exists)."),
              config_digest: Optional[str] = typer.Option(
                  None, "--config-digest", envvar="BOUCLIER_CONFIG_DIGEST",
                  help="Digest the recorded gate PASS must be on (config_digest in result.json)."),
              required_approvals: Optional[int] = typer.Option(
                  None, "--required-approvals", envvar="BOUCLIER_REQUIRED_APPROVALS", min=0,
                  help="Distinct approvers promotion needs (default: the gate config's policy).")) -> None:
    """Start a rollout (or resume driving an unfinished one of the same rollout_id) and run
    the controller until it is promoted, rolled back or aborted. The registry's promotion
    policy (a recorded gate PASS of the canary against production, approvals) is checked
    first: a canary that could not be promoted is refused (exit 2, nothing started)."""
    import logging
    import os

    from bouclier.errors import UsageError
    from bouclier.registry import actor as current_actor
    from bouclier.rollout.controller import Controller
    from bouclier.rollout.decision import TERMINAL
    from bouclier.rollout.plan import load_rollout_config
    from bouclier.rollout.promotion import load_promotion_policy
    from bouclier.rollout.signals import open_signal_store
    from bouclier.rollout.traffic import AdminApiTraffic

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    loaded = load_rollout_config(config)
    plan = loaded.config
    policy = load_promotion_policy(gate_config, config_digest=config_digest, required_approvals=required_approvals)
    token = os.environ.get(plan.traffic.token_env)
    if not token:
        raise UsageError(f"rollout.traffic.token_env: environment variable {plan.traffic.token_env} is not set "
                         "(the router's admin token)")
    reg, ledger = _ledger(db)
    with reg:
        existing = [r for r in ledger.list() if r.name == plan.rollout_id and r.state not in TERMINAL]
        if existing:
            st = existing[-1]
            err_console.print(f"resuming rollout {st.name} at {st.label} (weights {st.weights})", highlight=False)
        else:
            st = ledger.create(model=plan.model, canary=canary, stable=stable, name=plan.rollout_id,
                               plan=plan.model_dump(mode="json"), actor=actor or current_actor(), policy=policy)
            err_console.print(f"rollout {st.name}: {st.model}@{st.canary} against {st.stable}", highlight=False)
        from bouclier.lifecycle.deprecation import rollout_warnings

        for w in rollout_warnings(reg, st):
            err_console.print(f"warning: {w}", highlight=False)
        traffic = AdminApiTraffic(plan.traffic.admin_url, token)
        signals = open_signal_store(plan.traffic.signals, base_dir=loaded.path.parent)
        try:
            ctl = Controller(ledger=ledger, rollout=st.id, plan=plan, signals=signals, traffic=traffic,
                             policy=policy, report_dir=report_dir)
            final = ctl.run()
        finally:
            traffic.close()
            signals.close()
        err_console.print(f"rollout {final.name}: {final.state}; report in {report_dir}", highlight=False)
        if final.state != "promoted":
            raise typer.Exit(1)


@rollout_app.command("status")
def status_cmd(rollout: Optional[str] = typer.Argument(None, help="Rollout id or name (default: all)."),
               db: Optional[str] = DB_OPTION, as_json: bool = typer.Option(False, "--json")) -> None:
    """Step, weights, time in step, per-metric comparison and score, and what the controller waits for."""
    from bouclier.lifecycle.deprecation import rollout_warnings
    from bouclier.rollout.status import describe

    reg, ledger = _ledger(db)
    with reg:
        states = [ledger.get(rollout)] if rollout else ledger.list()
        docs = [{**describe(st, now=time.time()), "warnings": rollout_warnings(reg, st)} for st in states]
    if as_json:
        console.print_json(json.dumps(docs if rollout is None else docs[0], default=str))
        return
    from bouclier.rollout.status import render_text

    if not docs:
        err_console.print("no rollout in this registry yet (`bouclier rollout start`)", highlight=False)
    for d in docs:
        console.print(render_text(d), highlight=False, markup=False, soft_wrap=True)
        for w in d["warnings"]:
            err_console.print(f"  warning: {w}", highlight=False, markup=False)


def _command(action: str, rollout: str, db: str | None, actor: str | None, reason: str) -> None:
    from bouclier.registry import actor as current_actor

    reg, ledger = _ledger(db)
    with reg:
        before, after, move = ledger.command(rollout, action, actor=actor or current_actor(), reason=reason)
    err_console.print(f"rollout {after.name}: {before.label} -> {after.label}: {move.reason}", highlight=False)


@rollout_app.command("pause")
def pause_cmd(rollout: str = typer.Argument(...), db: Optional[str] = DB_OPTION, actor: Optional[str] = ACTOR,
              reason: str = REASON) -> None:
    """Hold the rollout at its current weights until `resume`."""
    _command("pause", rollout, db, actor, reason)


@rollout_app.command("resume")
def resume_cmd(rollout: str = typer.Argument(...), db: Optional[str] = DB_OPTION, actor: Optional[str] = ACTOR,
               reason: str = REASON) -> None:
    """Continue a paused rollout (past a manual gate, or judge a data-starved step again)."""
    _command("resume", rollout, db, actor, reason)


@rollout_app.command("promote")
def promote_cmd(rollout: str = typer.Argument(...), db: Optional[str] = DB_OPTION, actor: Optional[str] = ACTOR,
                reason: str = REASON) -> None:
    """Skip the remaining steps: the controller sends all traffic to the canary and moves production."""
    _command("promote", rollout, db, actor, reason)


@rollout_app.command("abort")
def abort_cmd(rollout: str = typer.Argument(...), db: Optional[str] = DB_OPTION, actor: Optional[str] = ACTOR,
              reason: str = REASON) -> None:
    """Return all traffic to stable at once and end the rollout as aborted."""
    _command("abort", rollout, db, actor, reason)


def serve_analysis_cmd(config: Path = CONFIG,
                       host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8090, "--port"),
                       db: Optional[str] = DB_OPTION, actor: Optional[str] = ACTOR) -> None:
    """Serve the canary analysis to Argo Rollouts (POST /v1/analysis) and Flagger (POST /flagger/<hook>),
    on the router's signals or Prometheus (rollout.analysis_source, rollout.prometheus); Flagger's
    decisions are kept in the registry database."""
    import uvicorn

    from bouclier.registry import actor as current_actor
    from bouclier.registry import open_registry
    from bouclier.rollout.analysis_server import AnalysisService, analysis_app, signal_sources
    from bouclier.rollout.flagger_revisions import FlaggerRevisions
    from bouclier.rollout.plan import load_rollout_config

    loaded = load_rollout_config(config)
    plan = loaded.config
    sources = signal_sources(loaded)
    with open_registry(db) as reg:
        service = AnalysisService(plan=plan, sources=sources,
                                  revisions=FlaggerRevisions(reg, model=plan.model, actor=actor or current_actor()))
        where = {"router": f"router store {plan.traffic.signals}",
                 "prometheus": f"prometheus {plan.prometheus.where if plan.prometheus else ''}"}
        err_console.print(f"serve-analysis: http://{host}:{port} (signals: "
                          f"{', '.join(where[name] for name in sources)}; default {service.default_source}; "
                          f"registry {reg.where})", highlight=False)
        try:
            uvicorn.run(analysis_app(service), host=host, port=port, log_level="warning")
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout")
    app.command("serve-analysis")(serve_analysis_cmd)
