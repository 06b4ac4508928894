"""kill -9 the controller (`bouclier rollout start`) mid-step, start it again: same step,
same weights, no duplicate transition."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bouclier.registry import open_registry
from bouclier.rollout.ledger import RolloutLedger
from tests.rollout.harness import TOKEN, router_config, serve_router
from tests.servers.fixtures import serve_app

from .sim import GATE_DIGEST, seed_registry
from .test_end_to_end import upstream

ROOT = Path(__file__).resolve().parents[2]


def controller(config: Path, db: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}", "BOUCLIER_ROUTER_TOKEN": TOKEN,
           "BOUCLIER_ACTOR": "tester"}
    return subprocess.Popen([sys.executable, "-m", "bouclier", "rollout", "start", "--config", str(config),
                             "--canary", "v2", "--db", db, "--report-dir", str(tmp_path / "reports"),
                             "--config-digest", GATE_DIGEST],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(pred, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_kill_9_mid_step_then_restart_resumes_exactly(tmp_path):
    db = f"sqlite:///{tmp_path / 'bouclier.db'}"
    reg = open_registry(db)
    seed_registry(reg)
    ledger = RolloutLedger(reg)
    with serve_app(upstream("stable")) as stable, serve_app(upstream("canary")) as canary:
        cfg = router_config(stable, canary, tmp_path, weights={"stable": 100, "canary": 0})
        with serve_router(cfg) as (url, router):
            config = tmp_path / "rollout.yaml"
            config.write_text(textwrap.dedent(f"""\
                rollout:
                  model: clf
                  rollout_id: test
                  interval_s: 0.2
                  lease_s: 1
                  steps:
                    - {{weight: 10, min_duration_s: 600, min_requests: 10}}
                    - {{weight: 100}}
                  traffic:
                    admin_url: {url}
                    signals: {tmp_path / 'signals.sqlite'}
                """))
            first = controller(config, db, tmp_path)
            try:
                st = wait_for(lambda: next((r for r in ledger.list() if r.state == "step"), None))
                time.sleep(0.6)  # a few looks inside the step
                os.kill(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            finally:
                if first.poll() is None:
                    first.kill()
            before = ledger.get(st.id)
            trail = ledger.transitions(st.id)
            assert before.state == "step" and before.step == 0 and before.weights == {"stable": 90.0, "canary": 10.0}
            assert router.weights == before.weights
            second = controller(config, db, tmp_path)
            try:  # the dead controller's lease (1 s) expires, then the new one drives on
                wait_for(lambda: (ledger.get(st.id).lease_owner or "").endswith(f":{second.pid}"))
                time.sleep(0.6)
                after = ledger.get(st.id)
                assert (after.state, after.step, after.weights) == (before.state, before.step, before.weights)
                assert after.step_started_at == before.step_started_at
                assert ledger.transitions(st.id) == trail  # no duplicate transition
                assert router.weights == before.weights
            finally:
                second.send_signal(signal.SIGKILL)
                second.wait(timeout=10)
    reg.close()
