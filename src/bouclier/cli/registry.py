"""``bouclier registry ...``: models, versions, aliases, promotions (calls bouclier.registry)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from bouclier.cli.db import DB_OPTION
from bouclier.cli.output import console, err_console
from bouclier.errors import ConfigError, DataError, UsageError

registry_app = typer.Typer(help="The model registry: versions, aliases, promotions, release notes.",
                           no_args_is_help=True)

ACTOR_OPTION = typer.Option(None, "--actor", envvar="BOUCLIER_ACTOR",
                            help="Who acts (default: git user.name, else the OS user).")


def _open(db: str | None):
    from bouclier.registry import open_registry

    return open_registry(db)


def _when(t: dt.datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC" if t else "-"


def _json(value) -> None:
    console.print_json(json.dumps(value, default=str))


def _ref(text: str, option: str) -> tuple[str, str]:
    model, sep, version = text.rpartition("@")
    if not sep or not model or not version:
        raise UsageError(f"{option} '{text}': expected MODEL@VERSION (or MODEL@ALIAS), e.g. clf@production")
    return model, version


@registry_app.command("list")
def list_cmd(db: Optional[str] = DB_OPTION,
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List models with their production version."""
    with _open(db) as reg:
        models = reg.list_models()
    if as_json:
        return _json([asdict(m) for m in models])
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for col in ("model", "versions", "production", "since", "latest"):
        table.add_column(col)
    for m in models:
        table.add_row(m.model, str(m.versions), m.production or "-", _when(m.production_since),
                      m.latest or "-")
    if not models:
        err_console.print("no models yet: bouclier registry register MODEL VERSION")
    else:
        console.print(table)


@registry_app.command("show")
def show_cmd(model: str, db: Optional[str] = DB_OPTION,
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """One screen: production and since when, the evidence, pending candidates."""
    with _open(db) as reg:
        o = reg.show(model)
    if as_json:
        return _json(asdict(o))
    out = [f"[bold]{o.model}[/]  {o.versions} version(s), {o.retired} retired"]
    if o.production:
        out.append(f"production  [bold]{o.production.label}[/] since {_when(o.production_since)}")
        if o.evidence:
            e = o.evidence
            out.append(f"  evidence  {e.evidence}")
            if e.override_refused_because:
                out.append(f"  gate was  {e.override_refused_because}")
            out.append(f"  promoted  by {e.actor}" + (f", approved by {', '.join(e.approvers)}" if e.approvers else "")
                       + (f", replacing {e.replaced}" if e.replaced else ""))
    else:
        out.append("production  none yet (bouclier registry promote MODEL VERSION --to production)")
    if o.canary:
        out.append(f"canary      {o.canary.label}")
    if o.candidates:
        out.append("pending")
        for c in o.candidates:
            r = c.last_run
            last = (f"{r.verdict} vs {r.baseline or '-'} ({r.run_id}, {_when(r.created_at)})"
                    if r else "no gate run recorded")
            out.append(f"  {c.version.label:<20} {c.version.stage:<9} {last}")
        if o.pending > len(o.candidates):
            out.append(f"  ... and {o.pending - len(o.candidates)} older pending version(s)")
    if o.deprecated:
        items = [v.label + (f" (retire after {v.retire_after})" if v.retire_after else "") for v in o.deprecated[:6]]
        more = f" +{len(o.deprecated) - 6}" if len(o.deprecated) > 6 else ""
        out.append(f"deprecated  {', '.join(items)}{more}")
    if o.aliases:
        out.append("aliases     " + ", ".join(f"{a.name} -> {a.target}" for a in o.aliases))
    console.print("\n".join(out), highlight=False)


def _adapter_spec(config: Path, name: str) -> dict:
    import yaml

    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{config}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config}: invalid YAML ({exc})") from exc
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict) or name not in models or not isinstance(models[name], dict):
        known = ", ".join(models) if isinstance(models, dict) else "none"
        raise ConfigError(f"{config}: models.{name}: no such model (known: {known}); pass --adapter NAME")
    return models[name]


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} '{item}': expected KEY=VALUE")
        out[key] = value
    return out


@registry_app.command("register")
def register_cmd(
    model: str, version: str,
    config: Optional[Path] = typer.Option(None, "--config", help="bouclier.yaml holding the adapter spec."),
    adapter: Optional[str] = typer.Option(None, "--adapter", help="Model key in --config (default: MODEL)."),
    artifact: list[Path] = typer.Option([], "--artifact", help="File or directory to digest (sha256); repeatable."),
    git_commit: Optional[str] = typer.Option(None, "--git-commit", help="Source commit (default: git rev-parse HEAD)."),
    meta: list[str] = typer.Option([], "--meta", help="KEY=VALUE metadata; repeatable."),
    actor: Optional[str] = ACTOR_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Register a new version (stage: candidate)."""
    from bouclier.registry import artifact_digests, source_commit

    spec = _adapter_spec(config, adapter or model) if config else {}
    digests = artifact_digests(list(artifact))
    metadata = _pairs(meta, "--meta")
    with _open(db) as reg:
        v = reg.register_model_version(model, version, adapter_spec=spec, artifacts=digests,
                                       git_commit=git_commit or source_commit(), metadata=metadata,
                                       actor=actor)
    err_console.print(f"registered {v.ref} (candidate, {len(v.artifacts)} artifact digest(s))", highlight=False)


@registry_app.command("record")
def record_cmd(
    result: Path = typer.Argument(..., help="result.json written by bouclier check."),
    candidate: str = typer.Option(..., "--candidate", help="MODEL@VERSION that was evaluated."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="MODEL@VERSION it was compared with."),
    dataset_digest: list[str] = typer.Option([], "--dataset-digest", help="NAME=SHA256; repeatable."),
    actor: Optional[str] = ACTOR_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Record a gate run (result.json) and link it to both versions."""
    try:
        data = json.loads(result.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"{result}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{result}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    cand = _ref(candidate, "--candidate")
    base = _ref(baseline, "--baseline") if baseline else None
    digests = _pairs(dataset_digest, "--dataset-digest")
    if isinstance(data, dict) and isinstance(data.get("dataset_digests"), dict) and not digests:
        digests = data["dataset_digests"]
    with _open(db) as reg:
        run_id = reg.record_gate_run(result=data, baseline=base, candidate=cand,
                                     dataset_digests=digests, actor=actor)
    err_console.print(f"recorded gate run {run_id} ({data.get('verdict')}) for {candidate}", highlight=False)


@registry_app.command("alias")
def alias_cmd(
    model: str, alias: str,
    target: str = typer.Argument(..., help="A version label, or alias:NAME to follow another alias."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why (kept in the alias history)."),
    actor: Optional[str] = ACTOR_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Point an alias at a version (history kept; loops refused)."""
    with _open(db) as reg:
        a = reg.set_alias(model, alias, target, actor=actor, reason=reason)
    err_console.print(f"{model}: {a.name} -> {a.target} (resolves to {a.version})", highlight=False)


@registry_app.command("promote")
def promote_cmd(
    model: str, version: str,
    to: str = typer.Option("production", "--to", help="canary or production."),
    config_digest: Optional[str] = typer.Option(
        None, "--config-digest", envvar="BOUCLIER_CONFIG_DIGEST",
        help="Digest of the current bouclier.yaml (config_digest in result.json)."),
    override: bool = typer.Option(False, "--override", help="Promote without the gate evidence (needs --reason)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why the gate is overridden (recorded)."),
    required_approvals: Optional[int] = typer.Option(
        None, "--required-approvals", envvar="BOUCLIER_REQUIRED_APPROVALS", min=0,
        help="Distinct approvers the policy requires (default: policy.required_approvals of --config)."),
    config: Path = typer.Option(Path("bouclier.yaml"), "--config", "-c",
                                help="bouclier.yaml whose digest and policy apply (when it exists)."),
    actor: Optional[str] = ACTOR_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Promote a version; production needs a recorded PASS against production (exit 1 if refused)."""
    if override and not (reason and reason.strip()):
        raise UsageError('--override needs --reason "why the gate is overridden" (recorded in the audit trail)')
    if config.exists() and (config_digest is None or required_approvals is None):
        from bouclier.config import load_config

        loaded = load_config(config)
        config_digest = config_digest or loaded.digest
        if required_approvals is None:
            required_approvals = loaded.config.policy.required_approvals
    required_approvals = required_approvals or 0
    with _open(db) as reg:
        p = reg.promote(model, version, to=to, config_digest=config_digest, override=override,
                        reason=reason, actor=actor, required_approvals=required_approvals)
    err_console.print(f"{p.version} is now {p.to_stage}" + (f" (replacing {p.replaced})" if p.replaced else "")
                      + f"; evidence: {p.evidence}", highlight=False)


@registry_app.command("approve")
def approve_cmd(
    model: str, version: str,
    to: str = typer.Option("production", "--to", help="canary or production."),
    comment: Optional[str] = typer.Option(None, "--comment"),
    actor: Optional[str] = ACTOR_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Approve a version for promotion (counts toward required_approvals)."""
    with _open(db) as reg:
        approvers = reg.approve(model, version, to=to, comment=comment, actor=actor)
    err_console.print(f"{model}@{version}: approved for {to} by {', '.join(approvers)}", highlight=False)


@registry_app.command("deprecate")
def deprecate_cmd(
    model: str, version: str,
    retire_after: Optional[str] = typer.Option(None, "--retire-after", help="Date (YYYY-MM-DD) after which to retire it."),
    actor: Optional[str] = ACTOR_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    """Mark a version deprecated (optionally with a retirement date)."""
    date = None
    if retire_after is not None:
        try:
            date = dt.date.fromisoformat(retire_after)
        except ValueError as exc:
            raise UsageError(f"--retire-after '{retire_after}': expected a date YYYY-MM-DD") from exc
    with _open(db) as reg:
        reg.deprecate(model, version, retire_after=date, actor=actor)
    err_console.print(f"{model}@{version} deprecated" + (f", retire after {date}" if date else ""), highlight=False)


@registry_app.command("retire")
def retire_cmd(model: str, version: str, actor: Optional[str] = ACTOR_OPTION,
               db: Optional[str] = DB_OPTION) -> None:
    """Retire a version (it can no longer be promoted or aliased)."""
    with _open(db) as reg:
        reg.retire(model, version, actor=actor)
    err_console.print(f"{model}@{version} retired", highlight=False)


@registry_app.command("release-note")
def release_note_cmd(
    model: str, version: str,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write Markdown here (default: stdout)."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """A Markdown summary of a version for people outside the team."""
    with _open(db) as reg:
        text = reg.release_note(model, version)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror})") from exc
    err_console.print(f"wrote {output}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
