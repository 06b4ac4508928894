"""Where the registry lives: the database URL, the engine, and its connection errors.

The embedded default is SQLite at ``.bouclier/bouclier.db`` (WAL journal); a team sets
``BOUCLIER_DATABASE_URL=postgresql+psycopg://user@host/db`` (psycopg 3, the ``postgres``
extra). Every write transaction is serialised: SQLite ``BEGIN IMMEDIATE``, PostgreSQL a
transaction-scoped advisory lock, so the audit chain can never fork.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bouclier.errors import UsageError

ENV_URL = "BOUCLIER_DATABASE_URL"
DEFAULT_FILE = "bouclier.db"
# Key of the PostgreSQL advisory lock that serialises registry writes ("bouclier" in ASCII).
PG_WRITE_LOCK = 0x626F75636C696572
WRITE_OPTION = "bouclier_write"


class DatabaseUnavailable(UsageError):
    """The database URL is wrong or the server cannot be reached."""


def resolve_url(url: str | None, *, root: Path) -> URL:
    raw = url if url is not None else os.environ.get(ENV_URL) or None
    if raw is None:
        root = Path(root)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"{root}: cannot create the registry directory ({exc.strerror}); "
                f"set {ENV_URL} or run from a writable directory"
            ) from exc
        return make_url(f"sqlite:///{(root / DEFAULT_FILE).as_posix()}")
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"{ENV_URL}: cannot parse database URL '{_redact_text(raw)}'; expected "
            "sqlite:///path/to/bouclier.db or postgresql+psycopg://user:password@host:5432/db"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe(url: URL) -> str:
    """A printable name of the database: never the password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{url.get_backend_name()} database '{url.database}' on host {host}{port}"


def _redact_text(raw: str) -> str:
    # user:password@host -> user:***@host, without needing a parsable URL
    head, sep, tail = raw.partition("://")
    if not sep or "@" not in tail:
        return raw
    cred, _, rest = tail.rpartition("@")
    user = cred.split(":", 1)[0]
    return f"{head}://{user}:***@{rest}" if ":" in cred else raw


def create_registry_engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60})
        _sqlite_events(engine)
    elif backend == "postgresql":
        if url.get_driver_name() == "psycopg":
            try:
                import psycopg  # noqa: F401
            except ImportError as exc:
                raise DatabaseUnavailable(
                    f"{describe(url)}: PostgreSQL needs psycopg 3: pip install 'bouclier[postgres]'"
                ) from exc
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except NoSuchModuleError as exc:
            raise DatabaseUnavailable(
                f"{ENV_URL}: unknown driver '{url.drivername}'; use postgresql+psycopg://"
            ) from exc
        except ImportError as exc:
            raise DatabaseUnavailable(
                f"{describe(url)}: driver '{url.drivername}' is not installed ({exc}); "
                "use postgresql+psycopg:// with pip install 'bouclier[postgres]'"
            ) from exc
        _postgres_events(engine)
    else:
        raise DatabaseUnavailable(
            f"{ENV_URL}: unsupported database '{url.drivername}'; expected sqlite:///path "
            "or postgresql+psycopg://user@host/db"
        )
    return engine


def check_reachable(engine: Engine) -> None:
    """Open one connection; a failure becomes one line naming the host and the driver error."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"cannot open the {describe(engine.url)}: {driver_message(exc, engine.url)} "
            f"(check {ENV_URL})"
        ) from exc


def driver_message(exc: DBAPIError, url: URL) -> str:
    orig = exc.orig if exc.orig is not None else exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    msg = lines[0] if lines else type(orig).__name__
    if url.password:
        msg = msg.replace(str(url.password), "***")
    return msg


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _postgres_events(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")
