"""`bouclier serve-analysis` over HTTP with the payloads Argo Rollouts and Flagger send.

Argo's web metric provider (metricproviders/webmetric): ``method: POST`` with ``jsonBody``
sends the rendered body with ``Content-Type: application/json``; ``{{args.*}}`` render as
strings; the answer must be 2xx JSON, and with ``jsonPath: "{$}"`` the whole document is
``result`` for ``successCondition`` / ``failureCondition``.

Flagger (pkg/controller/webhook.go): ``{"name", "namespace", "phase", "checksum",
"metadata"}``, ``metadata`` omitted when the webhook has none; confirm-rollout is called with
the canary's phase, pre-rollout, rollout, confirm-traffic-increase and confirm-promotion with
"Progressing", rollback with the canary's phase, post-rollout with "Succeeded" / "Failed";
event hooks get ``metadata`` {"eventMessage", "eventType", "timestamp" (ms)} merged with the
webhook's own metadata.
"""

from __future__ import annotations

import time

import httpx
import numpy as np
import pytest

from bouclier.registry import open_registry
from bouclier.rollout.analysis_server import AnalysisService, analysis_app
from bouclier.rollout.flagger_revisions import FlaggerRevisions
from bouclier.rollout.observations import RouterSignals
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.simulation import Behaviour, synthesise
from bouclier.rollout.sqlite_store import SQLiteSignalStore
from tests.servers.fixtures import serve_app

PLAN = RolloutConfig.model_validate({"model": "clf", "rollout_id": "x", "steps": [{"weight": 10, "min_requests": 200}]})
CHECKSUM = "7c6b9d5f8b"


def write_signals(store: SQLiteSignalStore, rollout_id: str, canary: Behaviour, *, start: float, end: float,
                  n_canary: int = 600, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    s, sf = synthesise(rng=rng, rollout_id=rollout_id, variant="stable", n=1500, behaviour=Behaviour(), start=start, end=end)
    c, cf = synthesise(rng=rng, rollout_id=rollout_id, variant="canary", n=n_canary, behaviour=canary, start=start, end=end)
    store.write(s + c, sf + cf)


@pytest.fixture
def sqlite_registry(tmp_path):
    with open_registry(f"sqlite:///{tmp_path / 'bouclier.db'}") as reg:
        yield reg


def service_for(store, registry, clock=time.time) -> AnalysisService:
    return AnalysisService(plan=PLAN, sources={"router": RouterSignals(store)}, clock=clock,
                           revisions=FlaggerRevisions(registry, model="clf", actor="tester"))


def argo_request(url: str, rollout: str, window="300") -> httpx.Response:
    # The AnalysisTemplate of docs/rollout.md, rendered by Argo: args are strings, Argo sets
    # the Content-Type of a jsonBody itself.
    body = {"rollout": rollout, "canary": "7d9f8b6c5", "baseline": "6c8d7f9b4", "window": window}
    return httpx.post(url + "/v1/analysis", json=body, headers={"Content-Type": "application/json"})


def argo_phase(response: httpx.Response) -> str:
    """What the AnalysisRun records: non-2xx is an Error; else jsonPath "{$}" and the conditions."""
    if not 200 <= response.status_code < 300:
        return "Error"
    result = response.json()
    if result["verdict"] == "pass":  # successCondition: result.verdict == "pass"
        return "Successful"
    if result["verdict"] == "fail":  # failureCondition: result.verdict == "fail"
        return "Failed"
    return "Inconclusive"


@pytest.mark.parametrize("behaviour, n_canary, phase", [
    (Behaviour(), 600, "Successful"), (Behaviour(latency_median_ms=560), 600, "Failed"),
    (Behaviour(leaks=1), 600, "Failed"), (Behaviour(), 20, "Inconclusive"),
])
def test_argo_web_provider_always_200_with_a_verdict(tmp_path, sqlite_registry, behaviour, n_canary, phase):
    store = SQLiteSignalStore(tmp_path / "signals.sqlite")
    now = time.time()
    write_signals(store, "shop/clf", behaviour, start=now - 60, end=now - 1, n_canary=n_canary)
    with serve_app(analysis_app(service_for(store, sqlite_registry))) as url:
        r = argo_request(url, "shop/clf")
        numeric = argo_request(url, "shop/clf", window=300)  # a literal in jsonBody stays a number
        bad = httpx.post(url + "/v1/analysis", content=b"{not json", headers={"Content-Type": "application/json"})
        nan = httpx.post(url + "/v1/analysis", json={"rollout": "shop/clf", "window": "NaN"})
        unknown = httpx.post(url + "/v1/analysis", json={"rollout": "shop/clf", "source": "prometheus"})
    assert r.headers["content-type"] == "application/json"
    assert argo_phase(r) == phase, r.json()["reason"]
    doc = r.json()
    assert set(doc) >= {"verdict", "score", "reason", "metrics"} and "latency" in doc["metrics"]
    assert doc["source"] == "router" and (doc["canary"], doc["baseline"]) == ("7d9f8b6c5", "6c8d7f9b4")
    assert numeric.json()["verdict"] == doc["verdict"] and numeric.json()["score"] == doc["score"]
    assert argo_phase(bad) == "Inconclusive" and "bad request" in bad.json()["reason"]
    assert argo_phase(nan) == "Inconclusive" and "'window' is seconds" in nan.json()["reason"]
    assert argo_phase(unknown) == "Inconclusive" and "unknown signal source 'prometheus'" in unknown.json()["reason"]
    store.close()


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def flagger(url: str, hook: str, phase: str = "Progressing", checksum: str = CHECKSUM,
            metadata: dict | None = None) -> httpx.Response:
    payload = {"name": "podinfo", "namespace": "test", "phase": phase, "checksum": checksum}
    if metadata:  # Go's omitempty: no "metadata" key for a webhook without metadata
        payload["metadata"] = metadata
    return httpx.post(f"{url}/flagger/{hook}", json=payload, headers={"Content-Type": "application/json"})


def event(url: str, message: str, timestamp_ms: int, event_type: str = "Normal", phase: str = "Progressing"):
    return flagger(url, "event", phase, metadata={"eventMessage": message, "eventType": event_type,
                                                  "timestamp": str(timestamp_ms)})


def flagger_service(tmp_path, registry, canary: Behaviour, *, n_canary: int = 600, seed: int = 0):
    """A service whose clock stands at t0 when Flagger first calls, the signals of the
    revision's first two minutes, and the clock moved to their end."""
    store = SQLiteSignalStore(tmp_path / "signals.sqlite")
    t0 = time.time() - 600
    clock = Clock(t0)
    write_signals(store, "test/podinfo", canary, start=t0 + 1, end=t0 + 119, n_canary=n_canary, seed=seed)
    return store, clock, service_for(store, registry, clock)


def test_flagger_gates_on_a_healthy_canary(tmp_path, sqlite_registry):
    store, clock, service = flagger_service(tmp_path, sqlite_registry, Behaviour(), seed=1)
    with serve_app(analysis_app(service)) as url:
        assert flagger(url, "confirm-rollout").status_code == 200  # the revision's window starts (t0)
        assert flagger(url, "pre-rollout").status_code == 200
        clock.now += 120
        assert flagger(url, "rollout", metadata={"rollout": "test/podinfo", "window": "300"}).status_code == 200
        assert flagger(url, "confirm-traffic-increase").status_code == 200
        assert flagger(url, "confirm-promotion").status_code == 200
        assert flagger(url, "rollback").status_code == 403  # reversed: no rollback
        assert flagger(url, "post-rollout", "Succeeded").status_code == 200
        first = event(url, "Advance podinfo.test canary weight 10", 1_700_000_000_000)
        again = event(url, "Advance podinfo.test canary weight 10", 1_700_000_060_000)  # repeated a minute later
        other = event(url, "Copying podinfo.test template spec to podinfo-primary.test", 1_700_000_120_000)
        assert [r.status_code for r in (first, again, other)] == [202, 202, 202]
        assert [r.json()["recorded"] for r in (first, again, other)] == [True, False, True]
        assert flagger(url, "unknown-hook").status_code == 404
        assert httpx.post(url + "/flagger/rollout", json={"phase": "Progressing"}).status_code == 400
        too_long = httpx.post(url + "/flagger/rollout", json={"name": "p" * 254, "namespace": "test"})
        assert too_long.status_code == 400 and "at most 253 characters" in too_long.json()["error"]
        bad_window = flagger(url, "rollout", metadata={"window": "5m"})
        assert bad_window.status_code == 400 and "metadata.window must be seconds" in bad_window.json()["error"]
    rev = service.revisions.seen("test", "podinfo", CHECKSUM, now=clock.now)
    assert len(service.revisions.events(rev)) == 2
    store.close()


def test_flagger_failed_revision_stays_failed_and_triggers_rollback(tmp_path, sqlite_registry):
    store, clock, service = flagger_service(tmp_path, sqlite_registry, Behaviour(error_rate=0.2), seed=2)
    with serve_app(analysis_app(service)) as url:
        assert flagger(url, "confirm-rollout").status_code == 200
        clock.now += 120
        assert flagger(url, "rollout").status_code == 403
        assert flagger(url, "confirm-traffic-increase").status_code == 403
        assert flagger(url, "confirm-promotion").status_code == 403
        r = flagger(url, "rollback")
        assert r.status_code == 200 and r.json()["verdict"] == "fail"
        # same (namespace, name, checksum): same answer, even once the window holds healthy data
        write_signals(store, "test/podinfo", Behaviour(), start=clock.now, end=clock.now + 600, n_canary=3000, seed=5)
        clock.now += 601
        again = flagger(url, "rollback", "Waiting")
        assert again.status_code == 200 and again.json()["reason"] == r.json()["reason"]
        # a new revision starts afresh: its window begins now, with no data yet
        assert flagger(url, "rollback", checksum="5f8b7c6b9d").status_code == 403
    store.close()


def test_flagger_holds_without_data_but_does_not_count_a_failure(tmp_path, sqlite_registry):
    store, clock, service = flagger_service(tmp_path, sqlite_registry, Behaviour(), n_canary=5, seed=3)
    with serve_app(analysis_app(service)) as url:
        assert flagger(url, "confirm-rollout").status_code == 200
        clock.now += 120
        assert flagger(url, "rollout").status_code == 200  # not a failed check
        assert flagger(url, "confirm-traffic-increase").status_code == 403  # but no step up
        assert flagger(url, "rollback").status_code == 403
    store.close()
