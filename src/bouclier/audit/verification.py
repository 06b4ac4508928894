"""``verify``: walk the chain in ``seq`` order and name the first broken link.

For each event, in order: a gap in ``seq`` means deleted events; a ``prev_hash`` that is
not the previous event's hash means an inserted, reordered, or modified-and-rehashed
event (the hash it points to says which); a hash that does not match the event's own
content means a modified event (or one written with another ``BOUCLIER_AUDIT_KEY``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from bouclier.audit.chain import GENESIS, audit_key, event_document, link_hash
from bouclier.errors import BouclierError
from bouclier.registry.tables import AuditEventRow

_COLUMNS = (
    AuditEventRow.seq, AuditEventRow.ts, AuditEventRow.actor, AuditEventRow.kind,
    AuditEventRow.model, AuditEventRow.payload, AuditEventRow.prev_hash, AuditEventRow.hash,
)


class ChainBroken(BouclierError):
    """The audit chain does not verify (exit 1): the message names the first broken link."""

    exit_code = 1


@dataclass(frozen=True)
class BrokenLink:
    seq: int  # the first event that does not belong where it is
    problem: str  # deleted | inserted | reordered | modified
    message: str


@dataclass(frozen=True)
class ChainReport:
    events: int  # events checked up to (not including) the first broken link
    head_hash: str
    keyed: bool
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(target, *, key: str | bytes | None = None, batch: int = 20_000) -> ChainReport:
    """Check every link of the audit chain of ``target`` (a Registry or an Engine)."""
    engine: Engine = getattr(target, "engine", target)
    k = audit_key(key)
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=batch).execute(
            select(*_COLUMNS).order_by(AuditEventRow.seq)
        )
        for seq, ts, actor, kind, model, payload, stored_prev, stored_hash in result:
            doc = event_document(seq=seq, ts=ts, actor=actor, kind=kind, model=model, payload=payload)
            self_ok = link_hash(stored_prev, doc, k) == stored_hash
            broken = None
            if seq != expected_seq:
                span = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}..{seq - 1}"
                broken = BrokenLink(
                    seq, "deleted",
                    f"event {span} missing before event seq {seq}: deleted",
                )
            elif stored_prev != prev_hash:
                broken = _classify_link(conn, seq, stored_prev, self_ok)
            elif not self_ok:
                hint = " (or written with another BOUCLIER_AUDIT_KEY)" if seq == 1 else ""
                broken = BrokenLink(
                    seq, "modified",
                    f"event seq {seq} ({kind}) was modified: its hash does not match its content{hint}",
                )
            if broken is not None:
                result.close()
                return ChainReport(checked, prev_hash, k is not None, broken)
            checked += 1
            expected_seq = seq + 1
            prev_hash = stored_hash
    return ChainReport(checked, prev_hash, k is not None, None)


def _classify_link(conn, seq: int, stored_prev: str, self_ok: bool) -> BrokenLink:
    target = conn.execute(
        select(AuditEventRow.seq).where(AuditEventRow.hash == stored_prev).limit(1)
    ).scalar()
    if stored_prev == GENESIS and seq != 1:
        target = 0
    if target is not None and target > seq:
        return BrokenLink(
            seq, "reordered",
            f"event seq {seq} was reordered: it follows event seq {target}, which now comes after it",
        )
    if target is not None and target < seq - 1:
        if target == seq - 2:
            return BrokenLink(
                seq - 1, "inserted",
                f"event seq {seq - 1} was inserted: event seq {seq} links to event seq {target}",
            )
        return BrokenLink(
            target + 1, "inserted",
            f"events seq {target + 1}..{seq - 1} were inserted or reordered: "
            f"event seq {seq} links to event seq {target}",
        )
    if self_ok:
        return BrokenLink(
            seq - 1, "modified",
            f"event seq {seq - 1} was modified (and rehashed), or event seq {seq} was forged: "
            f"event seq {seq} links to a hash that no event has",
        )
    return BrokenLink(
        seq, "deleted",
        f"event seq {seq} does not follow event seq {seq - 1}: the event it followed was "
        "deleted and later events renumbered, or it was replaced",
    )
