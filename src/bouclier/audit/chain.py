"""The hash chain: how an event is written, hashed and linked to the one before it.

Each event's hash is SHA-256 of ``prev_hash + canonical JSON of the event`` (or
HMAC-SHA256 with ``BOUCLIER_AUDIT_KEY`` as the key, so rewriting history needs the key).
``append`` must run inside the registry's write transaction (which holds the write lock:
SQLite ``BEGIN IMMEDIATE``, PostgreSQL an advisory lock), so the event commits or rolls
back with the change it records and concurrent writers never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from bouclier.registry.tables import AuditEventRow

ENV_KEY = "BOUCLIER_AUDIT_KEY"
GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    ts: str
    actor: str
    kind: str
    model: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "kind": self.kind,
            "model": self.model,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 characters kept: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_document(*, seq: int, ts: str, actor: str, kind: str, model: str | None, payload: str) -> str:
    """Canonical JSON of an event, built from the stored (already canonical) payload text."""
    d = json.dumps
    return (
        f'{{"actor":{d(actor, ensure_ascii=False)},"kind":{d(kind, ensure_ascii=False)},'
        f'"model":{d(model, ensure_ascii=False)},"payload":{payload},"seq":{int(seq)},'
        f'"ts":{d(ts, ensure_ascii=False)}}}'
    )


def audit_key(key: str | bytes | None = None) -> bytes | None:
    if key is None:
        key = os.environ.get(ENV_KEY) or None
    if key is None:
        return None
    return key.encode() if isinstance(key, str) else key


def link_hash(prev_hash: str, document: str, key: bytes | None) -> str:
    data = (prev_hash + document).encode("utf-8")
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def timestamp(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head(conn: Connection | Session) -> tuple[int, str]:
    """(last seq, last hash), or (0, GENESIS) for an empty trail."""
    row = conn.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    return (int(row[0]), row[1]) if row else (0, GENESIS)


def append(
    conn: Connection | Session,
    *,
    kind: str,
    actor: str,
    model: str | None,
    payload: dict[str, Any],
    key: str | bytes | None = None,
) -> AuditEvent:
    """Append one event in the caller's (write-locked) transaction."""
    return append_many(conn, [(kind, actor, model, payload)], key=key)[-1]


def append_many(
    conn: Connection | Session,
    events: list[tuple[str, str, str | None, dict[str, Any]]],
    *,
    key: str | bytes | None = None,
) -> list[AuditEvent]:
    """Append several events (kind, actor, model, payload) as one batch in one transaction."""
    k = audit_key(key)
    seq, prev = head(conn)
    rows: list[dict[str, Any]] = []
    out: list[AuditEvent] = []
    ts = timestamp()
    for kind, actor, model, payload in events:
        seq += 1
        text = canonical_json(payload)
        doc = event_document(seq=seq, ts=ts, actor=actor, kind=kind, model=model, payload=text)
        h = link_hash(prev, doc, k)
        rows.append(
            {"seq": seq, "ts": ts, "actor": actor, "kind": kind, "model": model,
             "payload": text, "prev_hash": prev, "hash": h}
        )
        out.append(AuditEvent(seq, ts, actor, kind, model, json.loads(text), prev, h))
        prev = h
    if rows:
        conn.execute(insert(AuditEventRow), rows)
    return out
