"""``bouclier db upgrade | current``: the registry database's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bouclier.cli.output import console, err_console

DB_OPTION = typer.Option(
    None, "--db", envvar="BOUCLIER_DATABASE_URL", show_envvar=True,
    help="Database URL, e.g. postgresql+psycopg://user@host/db (default: SQLite at .bouclier/bouclier.db).",
)

db_app = typer.Typer(help="The registry database: create, migrate, show its schema revision.",
                     no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_cmd(db: Optional[str] = DB_OPTION) -> None:
    """Create the database if needed and migrate it to this bouclier's schema."""
    from bouclier.registry import migrate_database
    from bouclier.registry.database import describe, resolve_url

    before, after = migrate_database(db)
    where = describe(resolve_url(db, root=Path(".bouclier")))
    if before.current == after.current:
        err_console.print(f"{where}: already at revision {after.current} (latest)", highlight=False)
    else:
        err_console.print(f"{where}: migrated {before.current or 'empty'} -> {after.current}",
                          highlight=False)


@db_app.command("current")
def current_cmd(db: Optional[str] = DB_OPTION) -> None:
    """Print the database's schema revision and this bouclier's latest."""
    from bouclier.registry import database_schema

    state = database_schema(db)
    status = "up to date" if state.up_to_date else "needs `bouclier db upgrade`"
    console.print(f"{state.current or 'empty'} (latest {state.head}, {status})", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
