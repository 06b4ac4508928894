"""The router against real upstreams on 127.0.0.1 (uvicorn in threads and processes)."""

from __future__ import annotations

import random
import string
import time

import httpx
import pytest

from tests.rollout.apps import dead_url, marked_app
from tests.rollout.harness import TOKEN, chat, router_config, serve_router
from tests.servers.fixtures import serve_app
from tests.servers.openai_app import make_app

CHAT = "/v1/chat/completions"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def two_upstreams():
    stable, canary = marked_app("STABLE"), marked_app("CANARY")
    with serve_app(stable) as s, serve_app(canary) as c:
        yield s, c, stable, canary


def variants_of(client: httpx.Client, users: list[str]) -> dict[str, str]:
    out = {}
    for u in users:
        r = client.post(CHAT, json=chat("hi"), headers={"X-User-Id": u})
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"].startswith(r.headers["x-bouclier-variant"].upper())
        out[u] = r.headers["x-bouclier-variant"]
    return out


def test_weights_are_honoured_within_binomial_tolerance(two_upstreams, tmp_path):
    s, c, _, _ = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 80, "canary": 20})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        n = 1000
        seen = variants_of(client, [f"user-{i}" for i in range(n)])
        canary = sum(v == "canary" for v in seen.values())
        assert abs(canary - 0.2 * n) < 4.5 * (n * 0.2 * 0.8) ** 0.5, canary
        router.recorder.flush()
        rows = router.store.window(rollout_id="test")
        assert len(rows) == n
        assert sum(r.variant == "canary" for r in rows) == canary
        assert all(r.key_source == "header" for r in rows)


def test_sticky_and_monotone_under_weight_changes_then_rollback(two_upstreams, tmp_path):
    s, c, _, _ = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 95, "canary": 5})
    users = [f"u{i}" for i in range(400)]
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        at5 = variants_of(client, users)
        assert variants_of(client, users) == at5  # sticky
        r = client.put("/admin/weights", json={"weights": {"stable": 75, "canary": 25}, "reason": "step 2"}, headers=ADMIN)
        assert r.status_code == 200 and r.json()["epoch"] == 1
        at25 = variants_of(client, users)
        in5 = {u for u, v in at5.items() if v == "canary"}
        in25 = {u for u, v in at25.items() if v == "canary"}
        assert in5 and in5 < in25  # monotone: everyone in at 5% is still in at 25%
        assert client.put("/admin/weights", json={"weights": {"stable": 100, "canary": 0}}, headers=ADMIN).status_code == 200
        assert set(variants_of(client, users).values()) == {"stable"}  # rollback: everyone at once
        router.recorder.flush()
        epochs = {r.weights_epoch for r in router.store.window(rollout_id="test", variant="canary")}
        assert epochs == {0, 1}
    # the weights survive a restart (the controller's last decision stands)
    with serve_router(config) as (url, router):
        assert router.weights == {"stable": 100.0, "canary": 0.0} and router.epoch == 2


def test_tester_header_forces_a_variant_and_is_excluded_from_analysis(two_upstreams, tmp_path):
    s, c, _, canary_app = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        r = client.post(CHAT, json=chat("x"), headers={"X-Bouclier-Variant": "canary"})
        assert r.headers["x-bouclier-variant"] == "canary"
        assert "x-bouclier-variant" not in canary_app.state.requests[-1]["headers"]  # not forwarded
        assert canary_app.state.requests[-1]["headers"]["x-bouclier-bucket"].isdigit()
        bad = client.post(CHAT, json=chat("x"), headers={"X-Bouclier-Variant": "beta"})
        assert bad.status_code == 400 and "stable or canary" in bad.json()["error"]["message"]
        router.recorder.flush()
        assert router.store.window(rollout_id="test") == []
        assert len(router.store.window(rollout_id="test", include_forced=True)) == 1


def test_streamed_answers_pass_through_chunk_by_chunk(tmp_path):
    app = make_app(chunk_delay_s=0.25)
    with serve_app(app) as s, serve_app(make_app()) as c:
        config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0})
        with serve_router(config) as (url, router), httpx.Client(base_url=url, timeout=10) as client:
            arrivals = []
            t0 = time.perf_counter()
            body = chat("one two three four", stream=True, stream_options={"include_usage": True})
            with client.stream("POST", CHAT, json=body) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                for chunk in r.iter_raw():
                    arrivals.append((time.perf_counter() - t0, chunk))
            text = b"".join(c for _, c in arrivals)
            assert text.count(b"data: ") == 6 and text.endswith(b"data: [DONE]\n\n")
            # the first word arrived while the upstream was still producing the others (~0.75 s more)
            assert arrivals[-1][0] - arrivals[0][0] > 0.5, arrivals
            router.recorder.flush()
            (sig,) = router.store.window(rollout_id="test")
            assert sig.streamed and sig.ttft_ms is not None and sig.ttft_ms < sig.latency_ms - 500
            assert (sig.prompt_tokens, sig.completion_tokens) == (4, 4) and sig.output_chars == len("ONE TWO THREE FOUR")


def test_shadow_mirrors_to_the_canary_and_never_leaks_its_answers(two_upstreams, tmp_path):
    s, c, stable_app, canary_app = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0},
                           shadow={"share": 100, "mirror_paths": [CHAT]})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        ids = []
        for i in range(40):
            r = client.post(CHAT, json=chat(f"q{i}"), headers={"X-User-Id": f"u{i}"})
            assert r.headers["x-bouclier-variant"] == "stable"
            assert r.json()["choices"][0]["message"]["content"] == f"STABLE q{i}"
            assert "CANARY" not in r.text
            ids.append(r.headers["x-request-id"])
        deadline = time.monotonic() + 10
        while router.shadow.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        router.recorder.flush()
        shadows = router.store.window(rollout_id="test", kinds=("shadow",))
        assert sorted(x.pair_of for x in shadows) == sorted(ids)  # one mirror per request, paired
        assert all(x.variant == "canary" and x.status == 200 and x.output_chars for x in shadows)
        assert len(canary_app.state.requests) == 40
        # non-idempotent routes are not mirrored unless configured
    config2 = router_config(s, c, tmp_path / "b", weights={"stable": 100, "canary": 0}, shadow={"share": 100})
    with serve_router(config2) as (url, router), httpx.Client(base_url=url) as client:
        client.post(CHAT, json=chat("not mirrored"))
        time.sleep(0.2)
        router.recorder.flush()
        assert router.store.window(rollout_id="test", kinds=("shadow",)) == []


def test_shadow_rate_cap(two_upstreams, tmp_path):
    s, c, _, canary_app = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0},
                           shadow={"share": 100, "mirror_paths": [CHAT], "max_per_minute": 5})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        for i in range(20):
            client.post(CHAT, json=chat("q"))
        assert router.shadow.started <= 5 + 5  # at most one minute boundary crossed
        assert router.shadow.skipped["rate"] >= 10
        text = client.get("/metrics").text
        assert f'bouclier_router_shadow_skipped_total{{reason="rate"}} {router.shadow.skipped["rate"]:.1f}' in text


@pytest.mark.parametrize("worker", ["process", "thread"])
def test_shadow_cost_cap(two_upstreams, tmp_path, worker):
    """Mirrors stop once their recorded cost (usage x configured prices, computed where the
    signals are written and reported back) reaches max_cost_per_hour."""
    s, c, _, canary_app = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0}, signals={"worker": worker},
                           upstreams={"stable": {"url": s}, "canary": {"url": c, "price_prompt_per_1k": 1000,
                                                                         "price_completion_per_1k": 1000}},
                           shadow={"share": 100, "mirror_paths": [CHAT], "max_cost_per_hour": 20})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        for i in range(10):
            assert client.post(CHAT, json=chat("q")).status_code == 200
            deadline = time.monotonic() + 10
            while router.shadow.in_flight:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert router.recorder.flush(10)
        # each mirror costs (3 + 4) tokens x 1 per token: the fourth would exceed 20
        assert router.shadow.started == 3 and len(canary_app.state.requests) == 3
        assert router.shadow.skipped["cost"] == 7
        assert router.shadow.cost_last_hour() == pytest.approx(21)


def test_failover_hides_a_dead_canary_but_counts_its_errors(tmp_path):
    stable = marked_app("STABLE")
    with serve_app(stable) as s:
        config = router_config(s, dead_url(), tmp_path, weights={"stable": 50, "canary": 50})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            for i in range(60):
                r = client.post(CHAT, json=chat("q"), headers={"X-User-Id": f"u{i}"})
                assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "STABLE q"
            router.recorder.flush()
            canary = router.store.window(rollout_id="test", variant="canary")
            assert canary and all(x.outcome == "error" and x.failed_over for x in canary)
            retries = router.store.window(rollout_id="test", kinds=("failover",))
            assert sorted(x.request_id for x in retries) == sorted(x.request_id for x in canary)
            assert all(x.variant == "stable" and x.status == 200 for x in retries)
            summary = router.store.summary(rollout_id="test")
            assert summary["canary"].errors == len(canary) and summary["stable"].errors == 0


def test_canary_5xx_fails_over_and_failover_can_be_disabled(tmp_path):
    with serve_app(marked_app("STABLE")) as s, serve_app(make_app()) as c:
        config = router_config(s, c, tmp_path, weights={"stable": 0, "canary": 100})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            r = client.post(CHAT, json=chat("!status:503 boom"))
            assert r.status_code == 200 and r.headers["x-bouclier-variant"] == "stable"
        config = router_config(s, c, tmp_path / "b", weights={"stable": 0, "canary": 100}, failover={"enabled": False})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            r = client.post(CHAT, json=chat("!status:503 boom"))
            assert r.status_code == 503 and r.headers["x-bouclier-variant"] == "canary"
            router.recorder.flush()
            (sig,) = router.store.window(rollout_id="test")
            assert sig.outcome == "http_error" and not sig.failed_over


@pytest.mark.parametrize("worker", ["process", "thread"])
def test_detectors_flag_a_planted_secret_in_a_canary_answer(tmp_path, worker):
    rng = random.Random(7)
    token = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    planted = "BOUCLIER-CANARY-7f3a9c"
    with serve_app(marked_app("STABLE")) as s, serve_app(marked_app("CANARY", append=f" here: {token}")) as c:
        config = router_config(s, c, tmp_path, weights={"stable": 50, "canary": 50},
                               signals={"canary_tokens": [planted], "worker": worker})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            for i in range(30):
                client.post(CHAT, json=chat("hello"), headers={"X-User-Id": f"u{i}"})
            client.post(CHAT, json=chat(f"repeat {planted}"), headers={"X-Bouclier-Variant": "stable"})
            router.recorder.flush()
            rows = router.store.window(rollout_id="test", include_forced=True)
            canary = [x for x in rows if x.variant == "canary"]
            stable = [x for x in rows if x.variant == "stable" and not x.forced]
            assert canary and stable and all(x.inspected for x in rows)
            assert all(x.secret == 1 for x in canary) and all(x.secret == 0 for x in stable)
            (leak,) = [x for x in rows if x.forced]
            assert leak.canary_token == 1
            metrics = client.get("/metrics").text
            assert 'bouclier_router_detector_flags_total{detector="secret",variant="canary"}' in metrics
            # the secret itself is stored nowhere
            assert token.encode() not in (tmp_path / "signals.sqlite").read_bytes()


def test_admin_api_refuses_without_the_token(two_upstreams, tmp_path):
    s, c, _, _ = two_upstreams
    config = router_config(s, c, tmp_path)
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        for headers in ({}, {"Authorization": "Bearer wrong-token-xxxxxxxxxxxx"}, {"Authorization": TOKEN}):
            assert client.get("/admin/status", headers=headers).status_code == 401
            r = client.put("/admin/weights", json={"weights": {"stable": 0, "canary": 100}}, headers=headers)
            assert r.status_code == 401
        assert router.weights == {"stable": 90.0, "canary": 10.0}
        status = client.get("/admin/status", headers=ADMIN).json()
        assert status["weights"] == {"stable": 90.0, "canary": 10.0} and status["signals"]["dropped"] == 0
        for bad in ({"weights": {"stable": 90, "canary": 5}}, {"weights": {"stable": 90, "beta": 10}}, {"w": 1}):
            r = client.put("/admin/weights", json=bad, headers=ADMIN)
            assert r.status_code == 400, bad
        assert router.weights == {"stable": 90.0, "canary": 10.0}
    with serve_router(config, token=None) as (url, router), httpx.Client(base_url=url) as client:
        r = client.get("/admin/status", headers=ADMIN)
        assert r.status_code == 401 and "BOUCLIER_ROUTER_TOKEN" in r.json()["error"]["message"]


@pytest.mark.parametrize("worker", ["process", "thread"])
def test_health_readiness_and_metrics(two_upstreams, tmp_path, worker):
    s, c, _, _ = two_upstreams
    config = router_config(s, c, tmp_path, signals={"worker": worker})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        r = client.post(CHAT, json=chat("x"), headers={"X-User-Id": "a"})
        router.recorder.flush()
        text = client.get("/metrics").text
        variant = r.headers["x-bouclier-variant"]
        assert f'bouclier_router_requests_total{{code="200",kind="primary",outcome="ok",variant="{variant}"}} 1.0' in text
        assert 'bouclier_router_weight_percent{variant="canary"} 10.0' in text
        assert f'bouclier_router_latency_seconds_count{{variant="{variant}"}} 1.0' in text
        assert "bouclier_router_signal_queue 0.0" in text and "bouclier_router_signals_dropped_total 0.0" in text
        assert text.count("# TYPE bouclier_router_requests_total counter") == 1
    with serve_router(router_config(dead_url(), dead_url(), tmp_path / "b")) as (url, router):
        r = httpx.get(url + "/readyz")
        assert r.status_code == 503 and "stable upstream" in r.json()["problems"][0]


def test_shadow_can_be_switched_on_through_the_admin_api(two_upstreams, tmp_path):
    s, c, _, canary_app = two_upstreams
    config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0}, shadow={"mirror_paths": [CHAT]})
    with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
        client.post(CHAT, json=chat("before"))
        assert client.put("/admin/shadow", json={"share": 100}).status_code == 401
        assert client.put("/admin/shadow", json={"share": 101}, headers=ADMIN).status_code == 400
        assert client.put("/admin/shadow", json={"share": 100}, headers=ADMIN).json() == {"share": 100.0}
        client.post(CHAT, json=chat("after"))
        deadline = time.monotonic() + 10
        while router.shadow.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [r["body"]["messages"][-1]["content"] for r in canary_app.state.requests] == ["after"]
        router.recorder.flush()
        assert len(router.store.window(rollout_id="test", kinds=("shadow",), epoch=0)) == 1
        assert router.store.window(rollout_id="test", kinds=("shadow",), epoch=1) == []


def test_a_real_model_streams_through_the_router(smollm2_server, two_upstreams, tmp_path):
    """SmolLM2-135M (a real model on the CPU) as the canary: its streamed answer reaches the
    client as server-sent events, and the signals hold its time to first token, tokens and
    the detectors' verdicts on its text."""
    stable, _, _, _ = two_upstreams
    model_server = smollm2_server.removesuffix("/v1")
    config = router_config(stable, model_server, tmp_path, weights={"stable": 0, "canary": 100},
                           signals={"inspect_share": 100})
    with serve_router(config) as (url, router), httpx.Client(base_url=url, timeout=120) as client:
        body = chat("What is the capital of France?", model="smollm2", stream=True,
                    stream_options={"include_usage": True})
        with client.stream("POST", CHAT, json=body, headers={"X-User-Id": "u1"}) as r:
            assert r.status_code == 200 and r.headers["x-bouclier-variant"] == "canary"
            assert r.headers["content-type"].startswith("text/event-stream")
            events = [line for line in r.iter_lines() if line.startswith("data: ")]
        assert events[-1] == "data: [DONE]" and len(events) >= 3
        assert router.recorder.flush(20)
        (sig,) = router.store.window(rollout_id="test")
        assert sig.variant == "canary" and sig.streamed and sig.outcome == "ok"
        assert sig.ttft_ms is not None and sig.ttft_ms <= sig.latency_ms
        assert sig.inspected and sig.secret == 0 and sig.canary_token == 0 and sig.refusal is False
        assert sig.output_chars and sig.output_chars > 0
