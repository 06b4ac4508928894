"""``bouclier audit verify | log | export``: the tamper-evident trail (calls bouclier.audit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from bouclier.cli.db import DB_OPTION
from bouclier.cli.output import err_console

audit_app = typer.Typer(help="The audit trail: verify the hash chain, read and export events.",
                        no_args_is_help=True)


def _open(db: str | None):
    from bouclier.registry import open_registry

    return open_registry(db)


@audit_app.command("verify")
def verify_cmd(db: Optional[str] = DB_OPTION) -> None:
    """Check every link of the chain; exit 1 and name the first broken link if any."""
    from bouclier.audit import ChainBroken, verify

    with _open(db) as reg:
        report = verify(reg)
    mode = "HMAC-SHA256" if report.keyed else "SHA-256"
    if report.ok:
        err_console.print(f"audit chain OK: {report.events} event(s), {mode}, head {report.head_hash[:16]}",
                          highlight=False)
        return
    raise ChainBroken(f"audit chain BROKEN at event seq {report.broken.seq} ({report.broken.problem}): "
                      f"{report.broken.message}; {report.events} event(s) before it verified")


_FILTERS = dict(
    model=typer.Option(None, "--model"), actor=typer.Option(None, "--actor"),
    kind=typer.Option(None, "--kind", help="e.g. version.promoted, override.recorded"),
    since=typer.Option(None, "--since", help="ISO date/time, inclusive (UTC)."),
    until=typer.Option(None, "--until", help="ISO date/time, exclusive (UTC)."),
)


@audit_app.command("log")
def log_cmd(
    model: Optional[str] = _FILTERS["model"], actor: Optional[str] = _FILTERS["actor"],
    kind: Optional[str] = _FILTERS["kind"], since: Optional[str] = _FILTERS["since"],
    until: Optional[str] = _FILTERS["until"],
    limit: Optional[int] = typer.Option(None, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """Events filtered by model, actor, kind and time."""
    from bouclier.audit import iter_events

    with _open(db) as reg:
        for e in iter_events(reg, model=model, actor=actor, kind=kind, since=since, until=until, limit=limit):
            if as_json:
                typer.echo(json.dumps(e.as_dict(), ensure_ascii=False, sort_keys=True))
            else:
                body = json.dumps(e.payload, ensure_ascii=False, sort_keys=True)
                typer.echo(f"{e.seq:>6} {e.ts[:19]} {e.actor:<12} {e.kind:<18} {e.model or '-':<12} {body}")


@audit_app.command("export")
def export_cmd(
    path: Path = typer.Argument(..., help="Where to write the JSONL file."),
    model: Optional[str] = _FILTERS["model"], actor: Optional[str] = _FILTERS["actor"],
    kind: Optional[str] = _FILTERS["kind"], since: Optional[str] = _FILTERS["since"],
    until: Optional[str] = _FILTERS["until"],
    db: Optional[str] = DB_OPTION,
) -> None:
    """Write events (with their hashes) as JSON Lines."""
    from bouclier.audit import export

    with _open(db) as reg:
        n = export(reg, path, model=model, actor=actor, kind=kind, since=since, until=until)
    err_console.print(f"wrote {n} event(s) to {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
