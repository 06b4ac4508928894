"""The audit chain: events in the same transaction as their change, verification that names
the first broken link after tampering directly in SQL, log filters and export."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

import bouclier.audit.chain as chain
from bouclier.audit import export, log, verify
from bouclier.audit.chain import event_document, link_hash


@pytest.fixture
def trail(registry):
    """A registry with 12 events (seq 1..12)."""
    registry.register_model_version("clf", "v1", actor="alice")  # 1 model.created, 2 registered
    for i in range(2, 7):
        registry.register_model_version("clf", f"v{i}", actor="bob")  # 3..7
    registry.promote("clf", "v1", actor="alice")  # 8 promoted, 9 alias.set
    registry.set_alias("clf", "qa", "v2", actor="carol")  # 10
    registry.register_model_version("other", "1", actor="bob")  # 11, 12
    assert verify(registry).events == 12
    return registry


def _sql(reg, *statements):
    with reg.engine.begin() as conn:
        for st in statements:
            conn.execute(text(st))


def _row(reg, seq):
    with reg.engine.connect() as conn:
        return conn.execute(text("SELECT seq, ts, actor, kind, model, payload, prev_hash, hash "
                                 "FROM audit_event WHERE seq = :s"), {"s": seq}).one()


def _forge(reg, seq, *, prev, kind="version.registered", payload='{"version":"evil"}'):
    doc = event_document(seq=seq, ts="2025-01-01T00:00:00.000000Z", actor="mallory", kind=kind,
                         model="clf", payload=payload)
    return {"seq": seq, "ts": "2025-01-01T00:00:00.000000Z", "actor": "mallory", "kind": kind,
            "model": "clf", "payload": payload, "prev_hash": prev, "hash": link_hash(prev, doc, None)}


INSERT = ("INSERT INTO audit_event (seq, ts, actor, kind, model, payload, prev_hash, hash) "
          "VALUES (:seq, :ts, :actor, :kind, :model, :payload, :prev_hash, :hash)")


def _shift_up(reg, from_seq):
    # move seq >= from_seq up by one (via a large offset: seq is the primary key)
    _sql(reg, f"UPDATE audit_event SET seq = seq + 1000000 WHERE seq >= {from_seq}",
         "UPDATE audit_event SET seq = seq - 999999 WHERE seq >= 1000000")


def test_intact_chain_verifies(trail):
    r = verify(trail)
    assert r.ok and r.events == 12 and not r.keyed and len(r.head_hash) == 64


def test_modified_payload_is_named(trail):
    _sql(trail, "UPDATE audit_event SET payload = REPLACE(payload, 'v3', 'v9') WHERE seq = 4")
    b = verify(trail).broken
    assert (b.seq, b.problem) == (4, "modified")
    assert "event seq 4 (version.registered) was modified" in b.message


def test_modified_actor_and_rehashed_is_named(trail):
    row = _row(trail, 5)
    doc = event_document(seq=5, ts=row.ts, actor="mallory", kind=row.kind, model=row.model, payload=row.payload)
    _sql(trail, f"UPDATE audit_event SET actor = 'mallory', hash = '{link_hash(row.prev_hash, doc, None)}' WHERE seq = 5")
    b = verify(trail).broken
    assert (b.seq, b.problem) == (5, "modified")
    assert "event seq 6 links to a hash that no event has" in b.message


def test_deleted_event_is_named(trail):
    _sql(trail, "DELETE FROM audit_event WHERE seq = 6")
    b = verify(trail).broken
    assert (b.seq, b.problem) == (7, "deleted") and "event seq 6 missing" in b.message
    _sql(trail, "DELETE FROM audit_event WHERE seq IN (7, 8)")
    assert "event seq 6..8 missing" in verify(trail).broken.message


def test_deleted_and_renumbered_is_named(trail):
    _sql(trail, "DELETE FROM audit_event WHERE seq = 6",
         "UPDATE audit_event SET seq = seq + 1000000 WHERE seq > 6",
         "UPDATE audit_event SET seq = seq - 1000001 WHERE seq > 1000000")
    b = verify(trail).broken
    assert (b.seq, b.problem) == (6, "deleted")


def test_inserted_event_is_named(trail):
    _shift_up(trail, 6)  # make room at seq 6
    with trail.engine.begin() as conn:
        conn.execute(text(INSERT), _forge(trail, 6, prev=_row(trail, 5).hash))
    b = verify(trail).broken
    assert (b.seq, b.problem) == (6, "inserted")
    assert "event seq 6 was inserted: event seq 7 links to event seq 5" in b.message


def test_reordered_events_are_named(trail):
    _sql(trail, "UPDATE audit_event SET seq = -1 WHERE seq = 4",
         "UPDATE audit_event SET seq = 4 WHERE seq = 9",
         "UPDATE audit_event SET seq = 9 WHERE seq = -1")
    b = verify(trail).broken
    assert (b.seq, b.problem) == (4, "reordered")
    assert "follows event seq 8" in b.message


def test_appended_forgery_breaks_the_link(trail):
    with trail.engine.begin() as conn:
        conn.execute(text(INSERT), _forge(trail, 13, prev="f" * 64))
    b = verify(trail).broken
    assert (b.seq, b.problem) == (12, "modified")
    assert "or event seq 13 was forged" in b.message


def test_hmac_key_makes_forgery_detectable(registry, monkeypatch):
    monkeypatch.setenv("BOUCLIER_AUDIT_KEY", "k3y-for-tests")
    registry.register_model_version("clf", "v1")
    registry.register_model_version("clf", "v2")
    r = verify(registry)
    assert r.ok and r.keyed and r.events == 3
    # without the key (or with another) the chain does not verify
    assert verify(registry, key="other").broken.seq == 1
    monkeypatch.delenv("BOUCLIER_AUDIT_KEY")
    b = verify(registry).broken
    assert (b.seq, b.problem) == (1, "modified") and "BOUCLIER_AUDIT_KEY" in b.message
    # a forger without the key rewrites event 3 with plain SHA-256: detected
    monkeypatch.setenv("BOUCLIER_AUDIT_KEY", "k3y-for-tests")
    row = _row(registry, 3)
    forged = _forge(registry, 3, prev=row.prev_hash)
    _sql(registry, "DELETE FROM audit_event WHERE seq = 3")
    with registry.engine.begin() as conn:
        conn.execute(text(INSERT), forged)
    assert (verify(registry).broken.seq, verify(registry).broken.problem) == (3, "modified")


def test_event_and_change_share_one_transaction(registry, monkeypatch):
    registry.register_model_version("clf", "v1")

    def failing_append(*a, **k):
        raise RuntimeError("disk full while appending the audit event")

    monkeypatch.setattr(chain, "append", failing_append)
    with pytest.raises(RuntimeError):
        registry.register_model_version("clf", "v2")
    with pytest.raises(RuntimeError):
        registry.promote("clf", "v1")
    monkeypatch.undo()
    monkeypatch.setenv("BOUCLIER_ACTOR", "tester")
    assert [v.label for v in registry.list_versions("clf")] == ["v1"]
    assert registry.get_version("clf", "v1").stage == "candidate"
    assert verify(registry).events == 2


def test_log_filters(trail):
    assert [e.seq for e in log(trail, model="other")] == [11, 12]
    assert {e.actor for e in log(trail, actor="bob")} == {"bob"} and len(log(trail, actor="bob")) == 7
    assert [e.payload["alias"] for e in log(trail, kind="alias.set")] == ["production", "qa"]
    _sql(trail, "UPDATE audit_event SET ts = '2020-06-01T00:00:00.000000Z' WHERE seq <= 2")
    assert [e.seq for e in log(trail, until="2021-01-01")] == [1, 2]
    assert [e.seq for e in log(trail, since="2021-01-01", kind="model.created")] == [11]
    assert len(log(trail, limit=3)) == 3


def test_export_jsonl_round_trips(trail, tmp_path):
    path = tmp_path / "audit.jsonl"
    assert export(trail, path) == 12
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["seq"] for x in lines] == list(range(1, 13))
    prev = chain.GENESIS
    for x in lines:  # the file re-verifies on its own
        doc = event_document(seq=x["seq"], ts=x["ts"], actor=x["actor"], kind=x["kind"],
                             model=x["model"], payload=chain.canonical_json(x["payload"]))
        assert x["prev_hash"] == prev and link_hash(prev, doc, None) == x["hash"]
        prev = x["hash"]
    assert export(trail, path, model="other") == 2
