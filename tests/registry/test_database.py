"""Opening the database: default location, WAL, migrations, drift, bad URLs, newer schemas."""

from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import create_engine, inspect, text

from bouclier.registry import DatabaseUnavailable, NewerDatabaseError, open_registry
from bouclier.registry.schema_version import VERSION_TABLE, downgrade, head_revision, upgrade
from bouclier.registry.tables import Base

TABLES = {"model", "model_version", "alias", "alias_history", "gate_run", "approval", "override",
          "promotion", "rollout", "audit_event"}


def test_default_is_sqlite_in_dot_bouclier_with_wal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_registry() as reg:
        reg.register_model_version("clf", "v1")
    path = tmp_path / ".bouclier" / "bouclier.db"
    assert path.is_file()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()[0] == head_revision()
    conn.close()


def test_environment_url_is_used(db_url, monkeypatch):
    monkeypatch.setenv("BOUCLIER_DATABASE_URL", db_url)
    with open_registry() as reg:
        assert reg.schema().up_to_date
        reg.register_model_version("clf", "v1")
    with open_registry(db_url) as reg:
        assert reg.get_version("clf", "v1").label == "v1"


def test_upgrade_from_empty_and_round_trip(db_url):
    engine = create_engine(db_url)
    try:
        assert upgrade(engine).current == head_revision()
        assert TABLES <= set(inspect(engine).get_table_names())
        with open_registry(db_url) as reg:
            reg.register_model_version("clf", "v1")
        state = downgrade(engine, revision="base")
        assert state.current is None
        assert not (TABLES & set(inspect(engine).get_table_names()))
        assert upgrade(engine).current == head_revision()
        with open_registry(db_url) as reg:  # usable again after the round trip
            reg.register_model_version("clf", "v1")
            assert reg.list_versions("clf")[0].label == "v1"
    finally:
        engine.dispose()


def test_models_and_migrations_do_not_drift(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "version_table": VERSION_TABLE})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"tables.py and migrations/ differ; add a migration: {diff}"
    finally:
        engine.dispose()


def test_newer_database_is_refused_and_left_alone(db_url):
    with open_registry(db_url) as reg:
        reg.register_model_version("clf", "v1")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_from_the_future'"))
    with pytest.raises(NewerDatabaseError) as e:
        open_registry(db_url)
    msg = str(e.value)
    assert "'0099_from_the_future' was written by a newer bouclier" in msg
    assert f"latest revision is '{head_revision()}'" in msg and "\n" not in msg
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0099_from_the_future"
    engine.dispose()


@pytest.mark.parametrize("url, expected", [
    ("postgresql+psycopg://bob:s3cr3t-pw@127.0.0.1:1/nowhere",
     "cannot open the postgresql database 'nowhere' on host 127.0.0.1:1: connection failed"),
    ("postgresql://bob:s3cr3t-pw@127.0.0.1:1/nowhere", "on host 127.0.0.1:1"),
    ("mysql://bob:s3cr3t-pw@127.0.0.1/x", "unsupported database 'mysql'"),
    ("not a url at all", "cannot parse database URL"),
    ("postgresql+nosuchdriver://bob:s3cr3t-pw@127.0.0.1/x", "unknown driver"),
])
def test_wrong_or_unreachable_url_is_one_clear_line(url, expected):
    with pytest.raises(DatabaseUnavailable) as e:
        open_registry(url)
    msg = str(e.value)
    assert expected in msg
    assert "s3cr3t" not in msg and "\n" not in msg


def test_wrong_database_name_names_driver_error():
    base = os.environ.get("BOUCLIER_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("BOUCLIER_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    from sqlalchemy.engine import make_url

    url = make_url(base).set(database="no_such_db_bouclier").render_as_string(hide_password=False)
    with pytest.raises(DatabaseUnavailable, match='database "no_such_db_bouclier" does not exist'):
        open_registry(url)


def test_unwritable_sqlite_location(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseUnavailable, match="cannot create the registry directory"):
        open_registry(root=blocker / "sub")
    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        open_registry(f"sqlite:///{(blocker / 'sub' / 'x.db').as_posix()}")
