"""Database back-ends for the registry and audit tests: every test runs on a SQLite file
and on a real PostgreSQL (``BOUCLIER_TEST_POSTGRES_URL``), each PostgreSQL test in a fresh
schema dropped afterwards."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV = "BOUCLIER_TEST_POSTGRES_URL"
SKIP_MESSAGE = (
    f"{ENV} is not set: PostgreSQL variant skipped "
    "(e.g. export BOUCLIER_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


def postgres_schema_url(base: str, schema: str) -> str:
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A URL to an empty database on each back-end."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'bouclier.db').as_posix()}"
        return
    base = os.environ.get(ENV)
    if not base:
        pytest.skip(SKIP_MESSAGE)
    schema = f"bt_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.connect() as conn:  # fail, rather than hang, if a test leaked a connection
            conn.execute(text("SET lock_timeout = '20s'"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def registry(db_url):
    from bouclier.registry import open_registry

    reg = open_registry(db_url)
    try:
        yield reg
    finally:
        reg.close()


def result(run_id: str, verdict: str = "PASS", config_digest: str = "cfg1", **extra):
    """A result.json as ``bouclier check`` writes it (the keys the registry relies on)."""
    out = {
        "schema_version": "1",
        "run_id": run_id,
        "verdict": verdict,
        "config_digest": config_digest,
        "criteria": [{"name": "quality/accuracy", "verdict": verdict, "reason": "paired bootstrap"}],
    }
    out.update(extra)
    return out


def count(reg, table: str) -> int:
    with reg.engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Tests name their actor and database explicitly."""
    monkeypatch.setenv("BOUCLIER_ACTOR", "tester")
    for name in ("BOUCLIER_DATABASE_URL", "BOUCLIER_AUDIT_KEY", "BOUCLIER_CONFIG_DIGEST",
                 "BOUCLIER_REQUIRED_APPROVALS"):
        monkeypatch.delenv(name, raising=False)
