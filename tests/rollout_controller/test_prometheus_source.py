"""The analysis on a real Prometheus: Debian's ``prometheus`` binary on 127.0.0.1 scrapes the
``/metrics`` of two real routers (job = rollout id) every second while traffic flows through
them to real upstreams; `bouclier serve-analysis` (the real command) then judges from
Prometheus alone. One router's canary fails a third of its requests: Argo's verdict is
"fail" and Flagger's rollback hook answers 200; the other's is "pass"."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bouclier.registry import open_registry
from bouclier.rollout.analysis_server import AnalysisService
from bouclier.rollout.flagger_revisions import FlaggerRevisions
from bouclier.rollout.plan import load_rollout_config
from bouclier.rollout.prometheus import (
    PrometheusConfig,
    PrometheusQueryError,
    PrometheusSignals,
    PrometheusUnreachable,
)
from tests.rollout.harness import chat, router_config, serve_router
from tests.servers.fixtures import free_port, serve_app, wait_until_answering

from .serve import serve_analysis

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="the prometheus binary is absent: apt-get install prometheus (.ci/run installs it)")

REQ = 'bouclier_router_requests_total{job="$rollout",variant="$variant",kind="primary"'
CONFIG = """\
rollout:
  model: clf
  rollout_id: unused
  steps: [{{weight: 50, min_requests: 40}}]
  analysis_source: prometheus
  analysis:
    metrics:
      - {{name: error_rate, weight: 50, allowed_increase: 0.02, required: true, min_samples: 40}}
      - {{name: latency, weight: 50, allowed_increase: 0.5, required: true, min_samples: 4}}
  prometheus:
    url: {url}
    timeout_s: 5
    requests: 'sum(increase({req}}}[$window]))'
    errors: 'sum(increase({req},outcome=~"http_error|error|timeout|invalid_response"}}[$window]))'
    metrics:
      latency:
        query: >-
          sum(rate(bouclier_router_latency_seconds_sum{{job="$rollout",variant="$variant"}}[3s]))
          / sum(rate(bouclier_router_latency_seconds_count{{job="$rollout",variant="$variant"}}[3s]))
        step_s: 1
"""


def upstream(*, fail_every: int = 0) -> Starlette:
    count = {"n": 0}

    async def completions(request: Request) -> JSONResponse:
        await request.body()
        count["n"] += 1
        await asyncio.sleep(0.02)  # latency well above the machine's jitter
        if fail_every and count["n"] % fail_every == 0:
            return JSONResponse({"error": "injected"}, status_code=500)
        return JSONResponse({"id": "x", "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}}]})

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextlib.contextmanager
def prometheus(tmp: Path, targets: dict[str, str]) -> Iterator[str]:
    """Debian's Prometheus on a free loopback port, scraping each ``job: host:port`` every second."""
    jobs = "".join(f"  - job_name: {job}\n    static_configs: [{{targets: ['{target}']}}]\n"
                   for job, target in targets.items())
    (tmp / "prometheus.yml").write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                                        + ("scrape_configs:\n" + jobs if jobs else ""))
    url = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'data'}",
                             f"--web.listen-address={url[7:]}", "--log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_answering(url + "/-/ready", proc, "prometheus", timeout=20)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stderr.close()


def instant(prom: str, query: str) -> float:
    result = httpx.post(prom + "/api/v1/query", data={"query": query}).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def wait_for(prom: str, query: str, at_least: float, what: str) -> None:
    deadline = time.monotonic() + 20
    while instant(prom, query) < at_least:
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def router(tmp: Path, name: str, stable: str, canary: str):
    return serve_router(router_config(stable, canary, tmp, rollout_id=name, weights={"stable": 50, "canary": 50},
                                      signals={"store": str(tmp / f"{name}.sqlite"), "inspect_share": 0}))


@pytest.fixture
def scraped(tmp_path):
    """Prometheus holding ~6 s of traffic of the rollouts "healthy" and "broken"."""
    with serve_app(upstream()) as stable, serve_app(upstream()) as good, serve_app(upstream(fail_every=3)) as bad, \
         router(tmp_path, "healthy", stable, good) as (healthy, _), router(tmp_path, "broken", stable, bad) as (broken, _):
        routers = {"healthy": healthy, "broken": broken}
        with prometheus(tmp_path, {name: url[7:] for name, url in routers.items()}) as prom:
            # Prometheus's first scrape comes seconds after it is ready, and a counter's first
            # sample is its baseline: one forced request per variant, scraped, before the traffic
            with httpx.Client(timeout=5) as client:
                for url in routers.values():
                    for variant in ("stable", "canary"):
                        client.post(url + "/v1/chat/completions", json=chat("warm-up"),
                                    headers={"X-Bouclier-Variant": variant})
            wait_for(prom, 'count(bouclier_router_requests_total{kind="primary"} > 0)', 4,
                     "Prometheus did not scrape the routers")
            time.sleep(1.5)  # one more scrape: a baseline sample just before the traffic
            started = time.time()
            stop = threading.Event()
            counts: list[tuple[str, int]] = []

            def drive(name: str) -> None:
                n = 0
                with httpx.Client(timeout=5) as client:
                    while not stop.is_set():
                        n += 1
                        client.post(routers[name] + "/v1/chat/completions", json=chat("q"),
                                    headers={"X-User-Id": f"{threading.get_ident()}-{n}"})
                counts.append((name, n))

            threads = [threading.Thread(target=drive, args=(name,)) for name in routers for _ in range(2)]
            for t in threads:
                t.start()
            time.sleep(6)
            stop.set()
            for t in threads:
                t.join()
            sent = {name: 2 + sum(n for job, n in counts if job == name) for name in routers}
            for name in routers:  # every request scraped: Prometheus's counters reach what was sent
                q = f'sum(bouclier_router_requests_total{{job="{name}",kind="primary"}})'
                wait_for(prom, q, sent[name], f"Prometheus did not scrape all of {name}'s requests")
                assert instant(prom, q) == sent[name]
            yield {"url": prom, "started": started - 1.5, "sent": sent}


def argo(url: str, rollout: str, started: float, **extra) -> dict:
    window = round(time.time() - started + 1)  # the last `window` seconds hold all the traffic
    body = {"rollout": rollout, "canary": "canary", "baseline": "stable", "window": str(window), **extra}
    r = httpx.post(url + "/v1/analysis", json=body, timeout=30)
    assert r.status_code == 200
    return r.json()


def test_serve_analysis_judges_from_prometheus(scraped, tmp_path):
    config = tmp_path / "rollout.yaml"
    config.write_text(CONFIG.format(url=scraped["url"], req=REQ))
    db = f"sqlite:///{tmp_path / 'bouclier.db'}"
    with open_registry(db) as reg:  # Flagger first called about this revision when the traffic began
        FlaggerRevisions(reg, model="clf", actor="tester").seen("shop", "broken", "7c6b9d5f8b", now=scraped["started"])
    with serve_analysis(config, db) as url:
        broken = argo(url, "broken", scraped["started"], source="prometheus")
        healthy = argo(url, "healthy", scraped["started"])  # the configured default source
        absent = argo(url, "absent", scraped["started"])
        payload = {"name": "broken", "namespace": "shop", "phase": "Progressing", "checksum": "7c6b9d5f8b",
                   "metadata": {"rollout": "broken", "source": "prometheus"}}
        rollback = httpx.post(url + "/flagger/rollback", json=payload, timeout=30)
        newer = httpx.post(url + "/flagger/rollback", json={**payload, "checksum": "5f8b7c6b9d"}, timeout=30)
    assert broken["source"] == healthy["source"] == "prometheus"
    assert broken["verdict"] == "fail", broken["reason"]
    rate = broken["metrics"]["error_rate"]
    assert rate["canary_value"] > 0.2 and rate["stable_value"] == 0, rate  # a third of canary requests failed
    # increase() extrapolates: the counts are close to, not exactly, what was sent
    assert 0.8 * scraped["sent"]["broken"] <= sum(broken["requests"].values()) <= 1.2 * scraped["sent"]["broken"]
    assert healthy["verdict"] == "pass", healthy["reason"]
    assert healthy["metrics"]["latency"]["canary_n"] >= 4  # samples of the range query
    # no series at all: no data, never a failure
    assert absent["verdict"] == "inconclusive" and absent["requests"] == {"stable": 0, "canary": 0}
    assert rollback.status_code == 200 and rollback.json()["verdict"] == "fail"  # 200: Flagger rolls back
    # a revision first seen now has nothing in its window yet: no rollback on no data
    assert newer.status_code == 403 and newer.json()["verdict"] == "inconclusive"


def test_prometheus_errors_and_empty_results(tmp_path):
    """A rejected query or an unreachable Prometheus raise a clear error, which the service
    turns into an inconclusive answer; an empty result is no data. A bare Prometheus (no
    scrape target) answers these queries at once."""
    with prometheus(tmp_path, {}) as prom:
        plan = load_rollout_config(_write(tmp_path, CONFIG.format(url=prom, req=REQ))).config
        kw = dict(rollout_id="broken", since=time.time() - 60, until=time.time(), metrics=["error_rate", "latency"])
        empty = PrometheusSignals(plan.prometheus).observe(**kw)
        assert empty["canary"].requests == 0 and empty["canary"].events["error_rate"] == (0, 0)
        assert empty["canary"].values["latency"] == []
        bad_query = PrometheusSignals(plan.prometheus.model_copy(update={"requests": "sum(rate(x[5m])"}))
        with pytest.raises(PrometheusQueryError,
                           match=r"rejected the query for requests of (stable|canary): bad_data: .*parse error"):
            bad_query.observe(**kw)
        two = 'label_replace(vector(1), "a", "1", "", "") or label_replace(vector(2), "a", "2", "", "")'
        many = PrometheusSignals(plan.prometheus.model_copy(update={"requests": two}))
        with pytest.raises(PrometheusQueryError, match=r"returned 2 series, one was expected: aggregate it"):
            many.observe(**kw)
        injected = 'x"}) or vector(1) or sum(y{a="'  # from an unauthenticated request body
        with pytest.raises(PrometheusQueryError, match=r"cannot go into a query: letters, digits"):
            PrometheusSignals(plan.prometheus).observe(**{**kw, "identities": {"canary": injected}})
    # the same port, now closed; the URL's password is never shown
    down = PrometheusSignals(PrometheusConfig(url=prom.replace("http://", "http://reader:s3cret@"), timeout_s=2))
    with pytest.raises(PrometheusUnreachable, match=r"is unreachable \(requests of (stable|canary)\)") as err:
        down.observe(**kw)
    assert "s3cret" not in str(err.value) and prom in str(err.value)
    with open_registry(f"sqlite:///{tmp_path / 'bouclier.db'}") as reg:
        service = AnalysisService(plan=plan, sources={"prometheus": down},
                                  revisions=FlaggerRevisions(reg, model="clf", actor="tester"))
        doc = service.argo({"rollout": "broken", "window": 30})
        status, flagger = service.flagger("rollback", {"name": "p", "namespace": "t", "phase": "Progressing",
                                                       "checksum": "c", "metadata": {"source": "prometheus"}})
    assert doc["verdict"] == "inconclusive" and "prometheus signals are unavailable" in doc["reason"]
    assert status == 403 and flagger["verdict"] == "inconclusive"  # no rollback on a Prometheus outage


def _write(tmp_path, text: str):
    p = tmp_path / "rollout.yaml"
    p.write_text(text)
    return p
