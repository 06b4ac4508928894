"""Flagger's decisions survive a crash of `bouclier serve-analysis`: the real command, killed
with SIGKILL and started again on the same registry database (SQLite and PostgreSQL), gives
the same answer to the same webhook payload and records nothing twice."""

from __future__ import annotations

import time

import httpx
import numpy as np

from bouclier.audit.trail import log
from bouclier.audit.verification import verify
from bouclier.registry import open_registry
from bouclier.rollout.simulation import Behaviour, synthesise
from bouclier.rollout.sqlite_store import SQLiteSignalStore

from .serve import serve_analysis

CONFIG = """\
rollout:
  model: clf
  rollout_id: x
  steps: [{weight: 10, min_requests: 100}]
  traffic: {signals: signals.sqlite}
"""


def hook(url: str, kind: str, name: str, **extra) -> httpx.Response:
    payload = {"name": name, "namespace": "test", "phase": "Progressing", "checksum": "7c6b9d5f8b", **extra}
    return httpx.post(f"{url}/flagger/{kind}", json=payload, timeout=30)


def new_revision_event(url: str, timestamp_ms: int) -> httpx.Response:
    return hook(url, "event", "podinfo", metadata={"eventMessage": "New revision detected! Scaling up podinfo.test",
                                                   "eventType": "Normal", "timestamp": str(timestamp_ms)})


def audit_kinds(db_url: str) -> list[str]:
    with open_registry(db_url) as reg:
        assert verify(reg).ok
        return [e.kind for e in log(reg)]


def test_flagger_decisions_survive_a_restart(tmp_path, db_url):
    config = tmp_path / "rollout.yaml"
    config.write_text(CONFIG)
    store = SQLiteSignalStore(tmp_path / "signals.sqlite")
    with serve_analysis(config, db_url) as url:
        assert hook(url, "confirm-rollout", "podinfo").status_code == 200  # two revisions' windows start
        assert hook(url, "confirm-rollout", "frontend").status_code == 200
        assert new_revision_event(url, 1_700_000_000_000).json() == {"recorded": True}
        start = time.time()
        rng = np.random.default_rng(7)
        for rollout, canary in (("test/podinfo", Behaviour(error_rate=0.25)), ("test/frontend", Behaviour())):
            s, sf = synthesise(rng=rng, rollout_id=rollout, variant="stable", n=800, behaviour=Behaviour(),
                               start=start, end=start + 1)
            c, cf = synthesise(rng=rng, rollout_id=rollout, variant="canary", n=400, behaviour=canary,
                               start=start, end=start + 1)
            store.write(s + c, sf + cf)
        time.sleep(max(0.0, start + 1.05 - time.time()))
        failed = hook(url, "rollback", "podinfo")
        healthy = hook(url, "confirm-traffic-increase", "frontend")
        assert failed.status_code == 200 and failed.json()["verdict"] == "fail", failed.json()
        assert healthy.status_code == 200 and healthy.json()["verdict"] == "pass", healthy.json()
    before = audit_kinds(db_url)
    assert sorted(before) == ["flagger.event", "flagger.failed", "flagger.revision", "flagger.revision"]

    with serve_analysis(config, db_url) as url:  # restarted after a SIGKILL
        again = hook(url, "rollback", "podinfo")
        assert (again.status_code, again.json()) == (failed.status_code, failed.json())
        assert hook(url, "rollout", "podinfo").status_code == 403
        # the healthy revision keeps its window (a reset one would hold for lack of data)
        same = hook(url, "confirm-traffic-increase", "frontend")
        assert same.status_code == 200 and same.json()["verdict"] == "pass"
        assert hook(url, "confirm-rollout", "podinfo").status_code == 200
        assert new_revision_event(url, 1_700_000_000_000).json() == {"recorded": False}  # Flagger's retry
    assert audit_kinds(db_url) == before
    store.close()
