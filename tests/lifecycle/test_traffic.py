"""Minimum-traffic advice from the canary router's signal store (a real SQLite store written
through its own API) and the registry's rollouts; deprecation warnings of running rollouts."""

import datetime as dt
import itertools

import pytest

from bouclier.config.lifecycle import LifecycleConfig
from bouclier.errors import ConfigError
from bouclier.lifecycle.advice import lifecycle_report
from bouclier.lifecycle.deprecation import rollout_warnings
from bouclier.lifecycle.traffic import read_traffic
from bouclier.registry.tables import RolloutRow
from bouclier.rollout.decision import ALL_CANARY, ALL_STABLE, Move
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.promotion import PromotionPolicy
from bouclier.rollout.signals import Signal
from bouclier.rollout.sqlite_store import SQLiteSignalStore

from .runs import run

DAY = 86400.0
NOW = dt.datetime(2030, 6, 1, tzinfo=dt.timezone.utc)
T = NOW.timestamp()
POLICY = LifecycleConfig(min_requests_per_day=100)
_ids = itertools.count()


GATE = PromotionPolicy(config_digest="cfg-lifecycle")


def create(reg, *, canary, stable, name):
    """A pending rollout of clf@canary: first the gate PASS against production that the
    promotion policy requires of any rollout."""
    reg.record_gate_run(result=run(canary, quality=0.9, config_digest="cfg-lifecycle"),
                        baseline=("clf", "production"), candidate=("clf", canary))
    return RolloutLedger(reg).create(model="clf", canary=canary, stable=stable, name=name, plan={}, actor="tester",
                                     policy=GATE)


def rollout(reg, name, stable, canary, *, created, end=None):
    """A rollout of clf created ``created`` seconds before NOW, ended as ``end`` (or left running)."""
    ledger = RolloutLedger(reg)
    st = create(reg, canary=canary, stable=stable, name=name)
    if end is not None:
        ledger.apply(st, Move(end, 0, ALL_CANARY if end == "promoted" else ALL_STABLE, "test"), actor="tester",
                     now=T - created + 60, policy=GATE)
    with reg.writing() as s:  # backdate it: the history the store's signals belong to
        s.get(RolloutRow, st.id).created_at = dt.datetime.fromtimestamp(T - created, dt.timezone.utc)
    return st


def signals(store, rollout_id, variant, n, *, start, end, kind="primary", forced=False):
    step = (start - end) / n  # start, end: seconds before NOW
    store.write([Signal(request_id=f"r{next(_ids)}", rollout_id=rollout_id, ts=T - start + i * step, variant=variant,
                        kind=kind, forced=forced, status=200, latency_ms=20.0) for i in range(n)])


@pytest.fixture
def history(registry, tmp_path):
    for v in ("v1", "v2", "v3", "v4", "v5"):
        registry.register_model_version("clf", v)
    registry.set_alias("clf", "production", "v1")
    # A: v1 -> v2 promoted 10 days ago; B: v2 -> v3 rolled back, 3 days ago (same router id)
    rollout(registry, "clf-canary", "production", "v2", created=10 * DAY, end="promoted")
    rollout(registry, "clf-canary", "production", "v3", created=3 * DAY, end="rolled_back")
    path = tmp_path / "signals.sqlite"
    store = SQLiteSignalStore(path)
    signals(store, "clf-canary", "canary", 500, start=9 * DAY, end=7.5 * DAY)  # before the 7-day window
    signals(store, "clf-canary", "stable", 10, start=6 * DAY, end=4 * DAY)  # A: v1
    signals(store, "clf-canary", "canary", 1400, start=6 * DAY, end=3.1 * DAY)  # A: v2
    signals(store, "clf-canary", "stable", 700, start=2.9 * DAY, end=0.1 * DAY)  # B: v2
    signals(store, "clf-canary", "canary", 70, start=2.9 * DAY, end=2 * DAY)  # B: v3
    signals(store, "clf-canary", "canary", 100, start=2 * DAY, end=1 * DAY, forced=True)  # tester header: excluded
    signals(store, "clf-canary", "canary", 50, start=2 * DAY, end=1 * DAY, kind="shadow")  # mirrored: excluded
    signals(store, "other-router", "stable", 30, start=2 * DAY, end=1 * DAY)  # no rollout of that name
    store.close()
    return path


def test_requests_per_day_from_the_signal_store(registry, history):
    traffic = read_traffic(registry, "clf", history, window_days=7, now=NOW)
    assert traffic.covered
    counts = {label: t.requests for label, t in traffic.versions.items()}
    assert counts == {"v1": 10, "v2": 2100, "v3": 70}
    assert traffic.versions["v2"].per_day == pytest.approx(300.0)
    assert "v4" not in traffic.versions  # never behind the router: unknown, not 0
    assert any("other-router (30, no rollout of that name)" in n for n in traffic.notes)

    a = {x.version: x for x in lifecycle_report(registry, "clf", policy=POLICY, now=NOW, traffic=traffic)}
    assert a["clf@v1"].advice == "retire"  # deprecated by the promotion and hardly used
    assert any("1.429 requests per day" in r and "below the policy's 100" in r for r in a["clf@v1"].reasons)
    assert a["clf@v3"].advice == "retire" and "10 requests per day" in a["clf@v3"].reasons[0]
    assert not any("requests per day" in r for r in a["clf@v2"].reasons)
    assert any("2100 requests through the router in the last 7 days (300 per day" in e for e in a["clf@v2"].evidence)
    assert a["clf@v4"].traffic is None
    assert any("traffic unknown (no rollout of this model sent it traffic" in n for n in a["clf@v4"].notes)
    assert not any("requests per day" in r for r in a["clf@v4"].reasons)


def test_a_running_rollout_is_not_judged_on_its_share(registry, history):
    rollout(registry, "clf-c2", "production", "v4", created=0.5 * DAY)  # pending: v2 and v4 serve shares
    traffic = read_traffic(registry, "clf", history, window_days=7, now=NOW)
    assert traffic.versions["v4"].requests == 0
    a = {x.version: x for x in lifecycle_report(registry, "clf", policy=POLICY, now=NOW, traffic=traffic)}
    assert not any("requests per day" in r for r in a["clf@v4"].reasons)
    assert any("in a running rollout (clf-c2)" in n for n in a["clf@v4"].notes)


def test_a_store_younger_than_the_window_is_not_judged(registry, history):
    traffic = read_traffic(registry, "clf", history, window_days=30, now=NOW)
    assert not traffic.covered and traffic.versions["v3"].per_day is None
    a = {x.version: x for x in lifecycle_report(registry, "clf", policy=POLICY, now=NOW, traffic=traffic)}
    assert a["clf@v3"].advice != "retire"
    assert any("covers only the last 9 days, not the whole window of 30 days" in n for n in a["clf@v3"].notes)


def test_no_store_is_unknown_and_a_missing_configured_store_is_an_error(registry, tmp_path):
    registry.register_model_version("clf", "v1")
    traffic = read_traffic(registry, "clf", None, window_days=7, now=NOW)
    a = lifecycle_report(registry, "clf", policy=POLICY, now=NOW, traffic=traffic)[0]
    assert a.traffic is None and any("traffic unknown (no signal store configured" in n for n in a.notes)
    with pytest.raises(ConfigError) as exc:
        read_traffic(registry, "clf", tmp_path / "nope.sqlite", window_days=7, now=NOW, config_file="b.yaml")
    assert "b.yaml: lifecycle.signals: the signal store" in str(exc.value)
    assert not (tmp_path / "nope.sqlite").exists()  # never created by a read
    # from a rollout: section, a store the router has not written yet is unknown traffic, not an error
    traffic = read_traffic(registry, "clf", tmp_path / "nope.sqlite", window_days=7, now=NOW,
                           key="rollout.traffic.signals")
    assert traffic.versions == {} and "does not exist yet" in traffic.unknown_reason


def test_rollout_warnings_for_deprecated_versions_while_it_runs(registry):
    for v in ("v1", "v2", "v3"):
        registry.register_model_version("clf", v)
    registry.set_alias("clf", "production", "v2")
    registry.deprecate("clf", "v1", retire_after=dt.date(2020, 1, 1))
    registry.deprecate("clf", "v3", retire_after=dt.date(2999, 1, 1))
    st = create(registry, canary="v3", stable="v1", name="r")
    warnings = rollout_warnings(registry, st)
    assert len(warnings) == 2
    assert "the stable version clf@v1 is deprecated, retire after 2020-01-01 (that date has passed)" in warnings[0]
    assert "the canary version clf@v3 is deprecated, retire after 2999-01-01:" in warnings[1]
    done = RolloutLedger(registry).apply(st, Move("aborted", 0, ALL_STABLE, "test"), actor="t", now=T)
    assert rollout_warnings(registry, done) == []  # finished: nothing to warn about
