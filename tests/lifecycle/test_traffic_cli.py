"""A real router run on 127.0.0.1: `bouclier rollout start` warns about a deprecated canary
and promotes it, the router records the requests, `bouclier rollout status` warns about a
running rollout of a deprecated version, and `bouclier lifecycle report` reads each
version's traffic from the router's signal store."""

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from bouclier.config import load_config
from bouclier.registry import open_registry
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.promotion import load_promotion_policy
from tests.rollout.harness import TOKEN, chat, router_config, serve_router
from tests.rollout_controller.sim import gate_result
from tests.rollout_controller.test_end_to_end import upstream
from tests.servers.fixtures import serve_app

from .test_cli import bouclier, project

ROOT = Path(__file__).resolve().parents[2]


def send(url: str, n: int) -> None:
    with httpx.Client(timeout=5) as client:
        for i in range(n):
            r = client.post(url + "/v1/chat/completions", json=chat(f"q{i}"), headers={"X-User-Id": f"u{i}"})
            assert r.status_code == 200


def test_rollout_warns_and_report_reads_the_routers_traffic(tmp_path):
    p = project(tmp_path)
    store = p / "signals.sqlite"
    text = (p / "bouclier.yaml").read_text().replace(
        "  max_cost_per_1k_requests: 0.8\n",
        "  max_cost_per_1k_requests: 0.8\n  min_requests_per_day: 1000\n  signals: signals.sqlite\n")
    (p / "bouclier.yaml").write_text(text)
    db = f"sqlite:///{p / 'bouclier.db'}"
    with open_registry(db) as reg:
        for v in ("v1", "v2", "v3"):
            reg.register_model_version("clf", v)
        reg.set_alias("clf", "production", "v1")
        reg.deprecate("clf", "v2", retire_after=dt.date(2999, 1, 1))
        reg.deprecate("clf", "v3")
        # the gate PASS against production on this bouclier.yaml that a rollout's promotion requires
        digest = load_config(p / "bouclier.yaml").digest
        reg.record_gate_run(result=gate_result("gate-v2", "PASS", digest), baseline=("clf", "production"),
                            candidate=("clf", "v2"))
    with serve_app(upstream("stable")) as stable, serve_app(upstream("canary")) as canary:
        cfg = router_config(stable, canary, tmp_path, weights={"stable": 100, "canary": 0},
                            signals={"store": str(store)})
        with serve_router(cfg) as (url, _router):
            send(url, 5)  # before any rollout in the registry: not attributed
            (p / "rollout.yaml").write_text(textwrap.dedent(f"""\
                rollout:
                  model: clf
                  rollout_id: test
                  interval_s: 0.2
                  steps: [{{weight: 100}}]
                  traffic: {{admin_url: "{url}", signals: "{store}"}}
                """))
            env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}", "BOUCLIER_ROUTER_TOKEN": TOKEN,
                   "BOUCLIER_ACTOR": "tester"}
            r = subprocess.run([sys.executable, "-m", "bouclier", "rollout", "start", "--config", "rollout.yaml",
                                "--canary", "v2", "--db", db, "--report-dir", "reports"],
                               cwd=p, env=env, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            assert "warning: the canary version clf@v2 is deprecated, retire after 2999-01-01" in r.stderr
            send(url, 30)  # promoted: all to the canary, v2
    with open_registry(db) as reg:  # a rollout of the deprecated v3 (gated against v2) left pending
        reg.record_gate_run(result=gate_result("gate-v3", "PASS", digest), baseline=("clf", "production"),
                            candidate=("clf", "v3"))
        RolloutLedger(reg).create(model="clf", canary="v3", stable="production", name="next", plan={},
                                  actor="tester", policy=load_promotion_policy(p / "bouclier.yaml"))
    r = bouclier("rollout", "status", "next", "--db", db, cwd=p)
    assert r.returncode == 0, r.stderr
    assert "warning: the canary version clf@v3 is deprecated" in r.stderr
    r = bouclier("rollout", "status", "--json", "--db", db, cwd=p)
    docs = {d["rollout"]: d for d in json.loads(r.stdout)}
    assert docs["test"]["warnings"] == [] and "clf@v3 is deprecated" in docs["next"]["warnings"][0]

    r = bouclier("lifecycle", "report", "--json", "--db", db, cwd=p)
    assert r.returncode == 0, r.stderr
    advice = {a["version"]: a for a in json.loads(r.stdout)}
    assert advice["clf@v2"]["traffic"]["requests"] == 30 and advice["clf@v1"]["traffic"]["requests"] == 0
    assert advice["clf@v2"]["traffic"]["rollouts"] == ["test", "next"]
    notes = " ".join(advice["clf@v1"]["notes"])
    assert "outside any rollout of the registry, not attributed to a version: test (5)" in notes
    assert "covers only the last" in notes  # a store minutes old: per day is not judged
    assert not any("requests per day" in x for a in advice.values() for x in a["reasons"])
    r = bouclier("lifecycle", "report", "--db", db, cwd=p)
    assert "evidence: traffic: 30 requests through the router in the last" in r.stderr
    assert r.stderr.count("not attributed to a version: test (5)") == 1  # the store's notes, once
    # a configured store that does not exist: file and key, exit 2
    (p / "bouclier.yaml").write_text(text.replace("signals: signals.sqlite", "signals: nowhere.sqlite"))
    r = bouclier("lifecycle", "report", "--db", db, cwd=p)
    assert r.returncode == 2 and "lifecycle.signals" in r.stderr and "nowhere.sqlite" in r.stderr
    assert "Traceback" not in r.stderr
