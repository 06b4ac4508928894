"""The ``bouclier`` command: parse, call the library, render, set the exit code.

Each command group lives in its own module and is registered below. No logic lives here
that a Python user could not reach through the library.
"""

from __future__ import annotations

import sys

import typer

from bouclier.errors import BouclierError

app = typer.Typer(
    name="bouclier",
    help="CI/CD for AI models: a statistical release gate, rollout, registry and audit trail.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """CI/CD for AI models: a statistical release gate, rollout, registry and audit trail."""


def _register() -> None:
    # One line per command module; each module exposes ``register(app)``.
    from bouclier.cli import audit, db, gate, init, judge, lifecycle, registry, report, rollout, router, scan

    for module in (gate, scan, report, init, judge, db, registry, audit, lifecycle, router, rollout):
        module.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: user errors become one clear message and an
    exit code, never a traceback; bugs keep theirs."""
    try:
        code = app(args=argv, standalone_mode=False)
    except BouclierError as exc:
        from bouclier.cli.output import print_error

        print_error(exc)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        from bouclier.cli.output import err_console

        err_console.print("interrupted: completed calls are cached; run the same command to resume")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        usage_errors: tuple[type[BaseException], ...] = (click.exceptions.ClickException,)
        try:  # typer >= 0.29 vendors its own click
            from typer._click.exceptions import ClickException as _TyperClickException

            usage_errors += (_TyperClickException,)
        except ImportError:
            pass
        if isinstance(exc, usage_errors):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    sys.exit(code if isinstance(code, int) else 0)
