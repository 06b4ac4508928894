"""End to end on 127.0.0.1: the real router in front of two real upstreams, load from a
client thread, the controller moving weights over the router's admin API and judging the
router's own signal store; the registry's audit chain verifies afterwards."""

from __future__ import annotations

import threading

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bouclier.audit.verification import verify
from bouclier.rollout.controller import Controller
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.traffic import AdminApiTraffic
from tests.rollout.harness import TOKEN, chat, router_config, serve_router
from tests.servers.fixtures import serve_app

from .sim import POLICY, seed_registry


def upstream(marker: str, *, fail_every: int = 0) -> Starlette:
    count = {"n": 0}

    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        count["n"] += 1
        if fail_every and count["n"] % fail_every == 0:
            return JSONResponse({"error": "injected"}, status_code=500)
        return JSONResponse({"id": "x", "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": f"{marker} {body['messages'][-1]['content']}"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4}})

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def drive(router_url: str, stop: threading.Event) -> None:
    with httpx.Client(timeout=5) as client:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                client.post(router_url + "/v1/chat/completions", json=chat(f"q{i}"), headers={"X-User-Id": f"u{i}"})
            except httpx.HTTPError:
                pass


@pytest.mark.parametrize("fail_every, expected", [(0, "promoted"), (3, "rolled_back")])
def test_rollout_end_to_end(registry, tmp_path, fail_every, expected):
    seed_registry(registry)
    plan = RolloutConfig.model_validate({
        "model": "clf", "rollout_id": "test", "interval_s": 0.5, "lease_s": 10,
        "steps": [{"weight": 20, "min_duration_s": 1.5, "min_requests": 25},
                  {"weight": 50, "min_duration_s": 1.5, "min_requests": 25}, {"weight": 100}],
        "analysis": {"metrics": [{"name": "error_rate", "weight": 50, "allowed_increase": 0.01, "required": True,
                                  "min_samples": 25},
                                 {"name": "latency", "weight": 50, "allowed_increase": 1.0, "min_samples": 25}]},
    })
    with serve_app(upstream("stable")) as stable, serve_app(upstream("canary", fail_every=fail_every)) as canary:
        cfg = router_config(stable, canary, tmp_path, weights={"stable": 100, "canary": 0},
                            failover={"enabled": False})
        with serve_router(cfg) as (url, router):
            stop = threading.Event()
            load = threading.Thread(target=drive, args=(url, stop), daemon=True)
            load.start()
            ledger = RolloutLedger(registry)
            st = ledger.create(model="clf", canary="v2", name="test", plan=plan.model_dump(mode="json"), actor="t",
                               policy=POLICY)
            traffic = AdminApiTraffic(url, TOKEN)
            try:
                final = Controller(ledger=ledger, rollout=st.id, plan=plan, signals=router.store, traffic=traffic,
                                   policy=POLICY, report_dir=tmp_path / "reports").run(max_ticks=120)
            finally:
                stop.set()
                load.join(timeout=10)
                traffic.close()
            weights = dict(router.weights)
    assert final.state == expected, ledger.transitions(st.id)[-1]["reason"]
    if expected == "promoted":
        assert weights == {"stable": 0.0, "canary": 100.0}
        assert registry.resolve("clf", "production").label == "v2"
    else:
        assert weights == {"stable": 100.0, "canary": 0.0}
        assert "error_rate" in ledger.transitions(st.id)[-2]["reason"]
        assert registry.resolve("clf", "production").label == "v1"
    assert verify(registry).ok
    assert (tmp_path / "reports" / f"rollout-test-{st.id}.md").read_text().startswith("# Rollout test")
