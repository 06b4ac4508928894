"""``bouclier init``: scaffold a commented bouclier.yaml and a sample dataset."""

from __future__ import annotations

from pathlib import Path

import typer

from bouclier.scaffold import ModelType


def init(
    type: ModelType = typer.Option(ModelType.python, "--type", "-t",
                                   help="Kind of model: an in-process python callable, an OpenAI-compatible "
                                        "endpoint or a generic JSON-over-HTTP service."),
    directory: Path = typer.Option(Path("."), "--dir", "-d", help="Where to write the files."),
) -> None:
    """Scaffold bouclier.yaml, a sample dataset (and a sample model for --type python).

    Never overwrites a file: exit 2 if any of them exists.
    """
    from bouclier.cli.output import err_console
    from bouclier.scaffold import CONFIG_NAME, scaffold

    written = scaffold(directory, model_type=type)
    for path in written:
        err_console.print(f"wrote {path}", highlight=False)
    config = directory / CONFIG_NAME
    err_console.print(f"next: bouclier validate -c {config}   then   bouclier check -c {config}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(init)
