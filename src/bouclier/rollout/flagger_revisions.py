"""What ``bouclier serve-analysis`` remembers of Flagger's canaries, in the registry database.

Flagger identifies a canary revision by (namespace, name, checksum). For each one the
database keeps when its analysis window began, and, once its analysis failed, the failing
judgement: the decision is sticky and survives a restart of the server (or a second replica
behind the same Service), so a revision never flips from "roll back" to "proceed". Each
distinct Flagger event is recorded once. Every new fact is an audit event written in the
same transaction as the row that dedupes it:

- ``flagger.revision``: a revision was first seen (its window starts);
- ``flagger.failed``: its analysis failed (Flagger is told to roll back);
- ``flagger.event``: a distinct Flagger event (phase, type, message).

Why the registry and not the router's signal store: the decision belongs with the rollout
state and the audit trail (same database, same transaction), and with Prometheus as the
signal source there may be no signal store at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bouclier.registry.tables import FlaggerEventRow, FlaggerRevisionRow


@dataclass(frozen=True)
class FlaggerRevision:
    id: int
    namespace: str
    name: str
    checksum: str
    first_seen: float
    failure: dict[str, Any] | None  # the judgement that failed it, None while not failed


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _dt(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def _revision(row: FlaggerRevisionRow) -> FlaggerRevision:
    return FlaggerRevision(id=row.id, namespace=row.namespace, name=row.name, checksum=row.checksum,
                           first_seen=_aware(row.first_seen_at).timestamp(), failure=row.failure)


class FlaggerRevisions:
    """The revisions and events of Flagger canaries (``registry``: an open
    :class:`~bouclier.registry.Registry`; ``model``: the registry model named in audit events)."""

    def __init__(self, registry, *, model: str | None, actor: str):
        self.registry, self.model, self.actor = registry, model, actor

    def _find(self, s, namespace: str, name: str, checksum: str) -> FlaggerRevisionRow | None:
        return s.execute(select(FlaggerRevisionRow).where(
            FlaggerRevisionRow.namespace == namespace, FlaggerRevisionRow.name == name,
            FlaggerRevisionRow.checksum == checksum)).scalar_one_or_none()

    def seen(self, namespace: str, name: str, checksum: str, *, now: float) -> FlaggerRevision:
        """The revision, created (and audited) the first time it is seen."""
        with self.registry.reading() as s:
            row = self._find(s, namespace, name, checksum)
            if row is not None:
                return _revision(row)
        with self.registry.writing() as s:  # holds the write lock: one creation however many callers
            row = self._find(s, namespace, name, checksum)
            if row is None:
                row = FlaggerRevisionRow(namespace=namespace, name=name, checksum=checksum,
                                         first_seen_at=_dt(now), failed_at=None, failure=None)
                s.add(row)
                s.flush()
                self.registry.audit(s, "flagger.revision", self.model, self.actor, namespace=namespace,
                                    name=name, checksum=checksum)
            return _revision(row)

    def fail(self, revision: FlaggerRevision, failure: dict[str, Any], *, now: float) -> FlaggerRevision:
        """Mark the revision failed with ``failure`` (once: a revision already failed keeps
        its first failure, which is returned)."""
        with self.registry.writing() as s:
            row = s.get(FlaggerRevisionRow, revision.id)
            if row.failure is None:
                row.failure, row.failed_at = failure, _dt(now)
                self.registry.audit(s, "flagger.failed", self.model, self.actor, namespace=row.namespace,
                                    name=row.name, checksum=row.checksum, verdict=failure.get("verdict"),
                                    score=failure.get("score"), reason=failure.get("reason"))
            return _revision(row)

    def record_event(self, revision: FlaggerRevision, *, phase: str, event_type: str, message: str,
                     now: float) -> bool:
        """Record a Flagger event; False when the same (phase, type, message) was recorded."""
        digest = hashlib.sha256(json.dumps([phase, event_type, message]).encode()).hexdigest()
        where = (FlaggerEventRow.revision_id == revision.id, FlaggerEventRow.digest == digest)
        with self.registry.reading() as s:
            if s.execute(select(FlaggerEventRow.id).where(*where)).first() is not None:
                return False
        with self.registry.writing() as s:
            if s.execute(select(FlaggerEventRow.id).where(*where)).first() is not None:
                return False
            s.add(FlaggerEventRow(revision_id=revision.id, digest=digest, phase=phase[:40], event_type=event_type[:40],
                                  message=message, created_at=_dt(now)))
            self.registry.audit(s, "flagger.event", self.model, self.actor, namespace=revision.namespace,
                                name=revision.name, checksum=revision.checksum, phase=phase, type=event_type,
                                message=message)
            return True

    def events(self, revision: FlaggerRevision) -> list[dict[str, Any]]:
        with self.registry.reading() as s:
            rows = s.execute(select(FlaggerEventRow).where(FlaggerEventRow.revision_id == revision.id)
                             .order_by(FlaggerEventRow.id)).scalars()
            return [{"phase": r.phase, "type": r.event_type, "message": r.message,
                     "at": _aware(r.created_at).timestamp()} for r in rows]
