"""The CLI reference in Markdown, generated from the Typer app itself (docs/cli.md is
written from this at documentation build time, never by hand)."""

from __future__ import annotations

import inspect


def _walk(cmd, path):
    yield path, cmd
    for name in sorted(getattr(cmd, "commands", {}) or {}):
        yield from _walk(cmd.commands[name], path + [name])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _param_row(p, ctx) -> str:
    """One row from the parameter's own help record (names, metavar, help, default)."""
    record = p.get_help_record(ctx)
    names, text = record if record else (p.name, getattr(p, "help", None) or "")
    return f"| `{_cell(names)}` | {_cell(text).replace('<', '&lt;').replace('>', '&gt;')} |"


def cli_reference_markdown() -> str:
    """Every command of ``bouclier``: usage, description and options."""
    import typer.main

    from bouclier.cli import app

    root = typer.main.get_command(app)
    out = ["# CLI reference", "",
           "Generated from the code at documentation build time (`bouclier.cli.reference`).", ""]
    for path, cmd in _walk(root, []):
        name = " ".join(["bouclier", *path])
        if path and getattr(cmd, "hidden", False):
            continue
        out += [f"## `{name}`", ""]
        helptext = inspect.cleandoc(cmd.help or "")
        if helptext:
            out += [helptext, ""]
        params = [p for p in cmd.params if p.name != "help" and not getattr(p, "hidden", False)]
        ctx = cmd.make_context(name, [], resilient_parsing=True)
        if getattr(cmd, "commands", None):
            out += ["| command | what it does |", "|---|---|"]
            out += [f"| `{name} {sub}` | {(c.get_short_help_str(limit=120) or '').replace('|', '/')} |"
                    for sub, c in sorted(cmd.commands.items())]
            out.append("")
        if params:
            usage = " ".join(p.name.upper() for p in params if p.param_type_name == "argument")
            out += ["```", f"{name} [OPTIONS] {usage}".rstrip(), "```", "",
                    "| parameter | description |", "|---|---|"]
            out += [_param_row(p, ctx) for p in params]
            out.append("")
    return "\n".join(out)
