"""Reading the trail: ``log`` filters events, ``export`` writes them as JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, select

from bouclier.audit.chain import AuditEvent, timestamp
from bouclier.errors import UsageError
from bouclier.registry.tables import AuditEventRow


def _bound(value: dt.datetime | str | None, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(
                f"--{name}: expected an ISO date or time such as 2025-01-31 or "
                f"2025-01-31T12:00:00Z, found '{value}'"
            ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return timestamp(value)


def log(target, **filters) -> list[AuditEvent]:
    """The events matching ``filters`` (model, actor, kind, since, until, limit)."""
    return list(iter_events(target, **filters))


def iter_events(target, **filters) -> Iterator[AuditEvent]:
    """Events in chain order, filtered by model, actor, kind, since (inclusive), until
    (exclusive, UTC) and limit."""
    engine: Engine = getattr(target, "engine", target)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        q = _query(**filters)
        for row in session.execute(q.execution_options(yield_per=5_000)).scalars():
            yield AuditEvent(
                row.seq, row.ts, row.actor, row.kind, row.model,
                json.loads(row.payload), row.prev_hash, row.hash,
            )


def _query(*, model=None, actor=None, kind=None, since=None, until=None, limit=None):
    q = select(AuditEventRow).order_by(AuditEventRow.seq)
    if model is not None:
        q = q.where(AuditEventRow.model == model)
    if actor is not None:
        q = q.where(AuditEventRow.actor == actor)
    if kind is not None:
        q = q.where(AuditEventRow.kind == kind)
    lo, hi = _bound(since, "since"), _bound(until, "until")
    if lo is not None:
        q = q.where(AuditEventRow.ts >= lo)
    if hi is not None:
        q = q.where(AuditEventRow.ts < hi)
    if limit is not None:
        q = q.limit(limit)
    return q


def export(target, path: str | Path, **filters) -> int:
    """Write the matching events to ``path`` as JSON Lines (one event per line, with its
    hashes, so the file can be re-verified elsewhere); returns the number written."""
    path = Path(path)
    n = 0
    try:
        with path.open("w", encoding="utf-8") as fh:
            for event in iter_events(target, **filters):
                fh.write(json.dumps(event.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the export ({exc.strerror})") from exc
    return n
