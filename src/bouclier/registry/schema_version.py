"""The database schema's version: Alembic migrations shipped inside the package and run
programmatically (users need no ``alembic.ini``).

A database whose revision this bouclier does not know was migrated by a newer bouclier and
is refused rather than silently misread.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect

from bouclier import __version__
from bouclier.errors import UsageError

SCRIPT_LOCATION = "bouclier.registry:migrations"
VERSION_TABLE = "bouclier_schema_version"


class NewerDatabaseError(UsageError):
    """The database was migrated by a newer bouclier."""


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: empty database
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(connection: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    from alembic.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def schema_state(engine: Engine, *, where: str) -> SchemaState:
    with engine.connect() as conn:
        current = current_revision(conn)
    state = SchemaState(current=current, head=head_revision())
    check_known(state, where=where)
    return state


def check_known(state: SchemaState, *, where: str) -> None:
    if state.current is None:
        return
    script = _script()
    from alembic.util import CommandError

    try:
        known = script.get_revision(state.current) is not None
    except CommandError:
        known = False
    if not known:
        raise NewerDatabaseError(
            f"{where}: database schema revision '{state.current}' was written by a newer "
            f"bouclier (this is bouclier {__version__}, whose latest revision is "
            f"'{state.head}'); upgrade bouclier, or point BOUCLIER_DATABASE_URL elsewhere"
        )


def upgrade(engine: Engine, *, revision: str = "head", where: str = "database") -> SchemaState:
    """Migrate the database to ``revision`` (default: the latest). Idempotent."""
    from alembic import command

    schema_state(engine, where=where)  # refuses a newer database before touching it
    # Under the registry's write lock, so processes opening a new database at once migrate
    # it once (alembic reads the revision again inside the locked transaction).
    with engine.execution_options(bouclier_write=True).begin() as conn:
        command.upgrade(_config(conn), revision)
    return schema_state(engine, where=where)


def downgrade(engine: Engine, *, revision: str, where: str = "database") -> SchemaState:
    """Migrate down to ``revision`` (``"base"`` empties the database)."""
    from alembic import command

    schema_state(engine, where=where)
    with engine.execution_options(bouclier_write=True).begin() as conn:
        command.downgrade(_config(conn), revision)
    return schema_state(engine, where=where)
