"""The signal store contract, on each store: a SQLite file, and the registry's database
(a SQLite registry and a real PostgreSQL, see tests/registry/registry_backends.py); and a
real router writing its signals to PostgreSQL when configured with a database URL."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from bouclier.rollout.signals import Feedback, Signal, WeightChange, open_signal_store
from tests.registry.registry_backends import db_url  # noqa: F401  (fixture)
from tests.rollout.apps import marked_app
from tests.rollout.harness import chat, router_config, serve_router
from tests.servers.fixtures import serve_app


@pytest.fixture
def file_store(tmp_path):
    s = open_signal_store(str(tmp_path / "signals.sqlite"))
    yield s
    s.close()


@pytest.fixture
def registry_store(db_url):  # noqa: F811  (SQLite registry, and PostgreSQL when available)
    s = open_signal_store(db_url)
    yield s
    s.close()


def sig(i: int, **kw) -> Signal:
    base = dict(request_id=f"r{i}", rollout_id="ro", ts=1000.0 + i, variant="stable", latency_ms=10.0 + i, status=200)
    base.update(kw)
    return Signal(**base)


def test_the_contract_holds_on_the_file_store(file_store):
    check_contract(file_store)


def test_the_contract_holds_on_the_registry_store(registry_store):
    check_contract(registry_store)


def check_contract(store):
    signals = [sig(0), sig(1, variant="canary", outcome="timeout", status=504, latency_ms=None),
               sig(2, variant="canary", inspected=True, secret=1, refusal=False, cost=0.002, prompt_tokens=3,
                   completion_tokens=4, output_sha256="ab" * 32, output_chars=12),
               sig(3, kind="shadow", variant="canary", pair_of="r0"),
               sig(4, forced=True, variant="canary"),
               sig(5, rollout_id="other"),
               sig(6, variant="canary", weights_epoch=1, ts=2000.0, failed_over=True, outcome="error")]
    store.write(signals, [Feedback("r0", 1000.5, -1.0, "ro", "stable", "bad"),
                          Feedback("r2", 1002.5, 1.0, "ro", "canary")])
    canary = store.window(rollout_id="ro", variant="canary")
    assert [s.request_id for s in canary] == ["r1", "r2", "r6"]  # not shadow, not forced, not another rollout
    assert canary[1] == signals[2]  # every field round-trips, booleans as booleans
    assert canary[0].latency_ms is None and canary[0].outcome == "timeout"
    assert [s.request_id for s in store.window(rollout_id="ro", kinds=("shadow",))] == ["r3"]
    assert [s.request_id for s in store.window(rollout_id="ro", include_forced=True, until=1005)] == ["r0", "r1", "r2", "r4"]
    assert [s.request_id for s in store.window(rollout_id="ro", since=1001, until=1003)] == ["r1", "r2"]
    assert [s.request_id for s in store.window(rollout_id="ro", epoch=1)] == ["r6"]
    assert [f.label for f in store.feedback(rollout_id="ro")] == ["bad", None]
    assert store.feedback(rollout_id="ro", variant="canary")[0].value == 1.0
    summary = store.summary(rollout_id="ro")
    assert (summary["canary"].requests, summary["canary"].errors, summary["canary"].timeouts) == (3, 2, 1)
    assert summary["canary"].flagged["secret"] == 1 and summary["stable"].feedback_negative == 1
    assert store.count(rollout_id="ro") == 4 and store.count(rollout_id="ro", variant="canary", until=1500) == 2
    assert store.first_ts() == 1000.0 and store.rollout_ids(since=1003, until=1006) == ["other", "ro"]
    assert store.variant_of("r2") == ("ro", "canary")
    assert store.variant_of("r3") is None  # a shadow call answers no client
    assert store.latest_weights("ro") is None
    store.record_weights(WeightChange("ro", 10.0, 1, {"stable": 95, "canary": 5}, "step 1"))
    store.record_weights(WeightChange("ro", 20.0, 2, {"stable": 75, "canary": 25}, "step 2"))
    latest = store.latest_weights("ro")
    assert (latest.epoch, latest.weights, latest.reason) == (2, {"stable": 75, "canary": 25}, "step 2")


def test_the_router_writes_to_the_registry_database(tmp_path, db_url):  # noqa: F811
    """``signals.store: <database URL>``: the router's signals and weights land in the
    registry's tables, and a reader opened on the same URL (the controller, serve-analysis)
    sees them."""
    with serve_app(marked_app("STABLE")) as stable, serve_app(marked_app("CANARY")) as canary:
        config = router_config(stable, canary, tmp_path, signals={"store": db_url, "inspect_share": 100},
                               weights={"stable": 50, "canary": 50})
        with serve_router(config) as (url, router):
            ids = []
            for i in range(20):
                req = urllib.request.Request(url + "/v1/chat/completions", data=json.dumps(chat(f"hello {i}")).encode(),
                                             headers={"Content-Type": "application/json", "X-User-Id": f"u{i}"})
                with urllib.request.urlopen(req, timeout=10) as r:
                    ids.append(r.headers["x-request-id"])
            router.set_weights({"stable": 75, "canary": 25}, reason="step 2")
            assert router.recorder.flush(20)
    reader = open_signal_store(db_url)
    try:
        rows = reader.window(rollout_id="test")
        assert sorted(s.request_id for s in rows) == sorted(ids)
        assert {s.variant for s in rows} == {"stable", "canary"}
        assert all(s.inspected and s.completion_tokens == 4 and s.outcome == "ok" for s in rows)
        assert reader.latest_weights("test").weights == {"stable": 75, "canary": 25}
    finally:
        reader.close()


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    from bouclier.errors import BouclierError

    started = time.monotonic()
    with pytest.raises(BouclierError) as info:
        open_signal_store("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    assert "127.0.0.1" in str(info.value)
    assert time.monotonic() - started < 30
