"""`bouclier serve-analysis` over HTTP with the payloads Argo Rollouts and Flagger send."""

from __future__ import annotations

import time

import httpx
import numpy as np
import pytest

from bouclier.rollout.analysis_server import AnalysisService, analysis_app
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.simulation import Behaviour, synthesise
from bouclier.rollout.sqlite_store import SQLiteSignalStore
from tests.servers.fixtures import serve_app

PLAN = RolloutConfig.model_validate({"model": "clf", "rollout_id": "x", "steps": [{"weight": 10, "min_requests": 200}]})


def store_with(tmp_path, rollout_id: str, canary: Behaviour, n_canary: int = 600, seed: int = 0) -> SQLiteSignalStore:
    store = SQLiteSignalStore(tmp_path / f"{rollout_id.replace('/', '_')}.sqlite")
    rng = np.random.default_rng(seed)
    now = time.time()
    s, sf = synthesise(rng=rng, rollout_id=rollout_id, variant="stable", n=1500, behaviour=Behaviour(), start=now - 60, end=now - 1)
    c, cf = synthesise(rng=rng, rollout_id=rollout_id, variant="canary", n=n_canary, behaviour=canary, start=now - 60, end=now - 1)
    store.write(s + c, sf + cf)
    return store


def argo_body(rollout: str) -> dict:
    # what the AnalysisTemplate's jsonBody in docs/rollout.md renders to
    return {"rollout": rollout, "canary": "clf-7d9f8b6c5", "baseline": "clf-6c8d7f9b4", "window": 300}


@pytest.mark.parametrize("behaviour, n_canary, verdict", [
    (Behaviour(), 600, "pass"), (Behaviour(latency_median_ms=560), 600, "fail"),
    (Behaviour(leaks=1), 600, "fail"), (Behaviour(), 20, "inconclusive"),
])
def test_argo_web_provider_always_200_with_a_verdict(tmp_path, behaviour, n_canary, verdict):
    store = store_with(tmp_path, "shop/clf", behaviour, n_canary)
    with serve_app(analysis_app(AnalysisService(plan=PLAN, signals=store))) as url:
        r = httpx.post(url + "/v1/analysis", json=argo_body("shop/clf"), headers={"Content-Type": "application/json"})
        bad = httpx.post(url + "/v1/analysis", content=b"{not json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["verdict"] == verdict, doc["reason"]
    assert set(doc) >= {"verdict", "score", "reason", "metrics"} and "latency" in doc["metrics"]
    assert bad.status_code == 200 and bad.json()["verdict"] == "inconclusive" and "bad request" in bad.json()["reason"]
    store.close()


def flagger(url: str, hook: str, phase: str, checksum: str = "6d8c9f7b", **meta) -> httpx.Response:
    payload = {"name": "podinfo", "namespace": "test", "phase": phase, "checksum": checksum,
               "metadata": {"rollout": "test/podinfo", **meta}}
    return httpx.post(f"{url}/flagger/{hook}", json=payload)


def test_flagger_gates_on_a_healthy_canary(tmp_path):
    store = store_with(tmp_path, "test/podinfo", Behaviour(), seed=1)
    service = AnalysisService(plan=PLAN, signals=store, clock=lambda: time.time())
    service.revisions[("test", "podinfo", "6d8c9f7b")] = {"first_seen": time.time() - 120, "failed": None, "promoted": False}
    with serve_app(analysis_app(service)) as url:
        assert flagger(url, "confirm-rollout", "Initialized").status_code == 200
        assert flagger(url, "pre-rollout", "Progressing").status_code == 200
        assert flagger(url, "rollout", "Progressing").status_code == 200
        assert flagger(url, "confirm-traffic-increase", "Progressing").status_code == 200
        assert flagger(url, "confirm-promotion", "Progressing").status_code == 200
        assert flagger(url, "rollback", "Progressing").status_code == 403  # reversed: no rollback
        assert flagger(url, "post-rollout", "Succeeded").status_code == 200
        for _ in range(2):  # Flagger repeats events; recorded once
            r = flagger(url, "event", "Progressing", eventMessage="Advance podinfo.test canary weight 10",
                        eventType="Normal", timestamp="1700000000000")
            assert r.status_code == 202
        assert flagger(url, "unknown-hook", "Progressing").status_code == 404
        assert httpx.post(url + "/flagger/rollout", json={"phase": "Progressing"}).status_code == 400
    assert len(service.events) == 1
    store.close()


def test_flagger_failed_revision_stays_failed_and_triggers_rollback(tmp_path):
    store = store_with(tmp_path, "test/podinfo", Behaviour(error_rate=0.2), seed=2)
    service = AnalysisService(plan=PLAN, signals=store)
    service.revisions[("test", "podinfo", "6d8c9f7b")] = {"first_seen": time.time() - 120, "failed": None, "promoted": False}
    with serve_app(analysis_app(service)) as url:
        assert flagger(url, "rollout", "Progressing").status_code == 403
        assert flagger(url, "confirm-traffic-increase", "Progressing").status_code == 403
        assert flagger(url, "confirm-promotion", "Progressing").status_code == 403
        r = flagger(url, "rollback", "Progressing")
        assert r.status_code == 200 and r.json()["verdict"] == "fail"
        # same (namespace, name, checksum): same answer; a new revision starts afresh
        assert flagger(url, "rollback", "Progressing").status_code == 200
        assert flagger(url, "rollback", "Progressing", checksum="new-revision").status_code == 403
    store.close()


def test_flagger_holds_without_data_but_does_not_count_a_failure(tmp_path):
    store = store_with(tmp_path, "test/podinfo", Behaviour(), n_canary=5, seed=3)
    service = AnalysisService(plan=PLAN, signals=store)
    service.revisions[("test", "podinfo", "6d8c9f7b")] = {"first_seen": time.time() - 120, "failed": None, "promoted": False}
    with serve_app(analysis_app(service)) as url:
        assert flagger(url, "rollout", "Progressing").status_code == 200  # not a failed check
        assert flagger(url, "confirm-traffic-increase", "Progressing").status_code == 403  # but no step up
        assert flagger(url, "rollback", "Progressing").status_code == 403
    store.close()
