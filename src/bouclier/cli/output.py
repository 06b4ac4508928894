"""Consoles shared by the commands: summaries to stderr, machine output to stdout."""

from __future__ import annotations

from rich.console import Console

from bouclier.errors import BouclierError, UsageError

console = Console()
err_console = Console(stderr=True)
if not err_console.is_terminal:  # CI logs: wide enough for one line per criterion
    err_console = Console(stderr=True, width=160)


def print_error(exc: BouclierError) -> None:
    problems = getattr(exc, "problems", None)
    if isinstance(exc, UsageError) and problems:
        err_console.print(f"[bold red]error:[/] {len(problems)} problem(s)", highlight=False)
        for p in problems:
            err_console.print(f"  - {p}", highlight=False, markup=False, soft_wrap=True)
    else:
        err_console.print("[bold red]error:[/] ", end="", highlight=False)
        err_console.print(str(exc), highlight=False, markup=False, soft_wrap=True)
