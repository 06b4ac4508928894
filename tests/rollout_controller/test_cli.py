"""``bouclier rollout status | pause | resume | promote | abort`` (and ``start``'s refusals)
on a real SQLite registry file: what status shows, and bad input: clear error, exit 2,
nothing changed in the database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bouclier.audit.trail import log
from bouclier.cli import main
from bouclier.config import load_config
from bouclier.registry import open_registry
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.simulation import Behaviour
from tests.rollout.harness import TOKEN, router_config, serve_router
from tests.servers.fixtures import serve_app

from .sim import GATE_DIGEST, Simulation, gate_result, plan, seed_registry
from .test_end_to_end import upstream

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./bouclier.yaml: the policy comes from the options
    monkeypatch.delenv("BOUCLIER_DATABASE_URL", raising=False)
    url = f"sqlite:///{(tmp_path / 'bouclier.db').as_posix()}"
    reg = open_registry(url)
    seed_registry(reg)
    yield url, reg
    reg.close()


@pytest.fixture
def cli(capsys):
    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, " ".join(out.err.split())

    return run


def in_step(reg, seconds: float = 40.0) -> Simulation:
    """A rollout 'sim' in step 1 for ``seconds`` (of a 60 s step), driven by 'sim-controller'
    whose lease is live, with its latest analysis recorded."""
    sim = Simulation(reg, plan(), canary=Behaviour(), rate=150, seed=11)
    sim.clock.t = time.time() - seconds
    sim.controller.acquire()
    sim.controller.tick()
    sim.advance(seconds - 5)
    sim.controller.tick()
    st = sim.ledger.get("sim")
    assert st.state == "step" and st.detail.get("last_analysis")
    return sim


def snapshot(reg, ref="sim"):
    ledger = RolloutLedger(reg)
    st = ledger.get(ref)
    return st.state, st.step, st.weights, st.revision, st.lease_owner, len(ledger.transitions(ref))


def test_status_shows_step_weights_time_metrics_score_and_what_it_waits_for(db, cli):
    url, reg = db
    in_step(reg)
    code, out, _ = cli("rollout", "status", "sim", "--db", url)
    assert code == 0
    head, state, controller, waiting, score, columns, *metrics = out.splitlines()
    assert head == "rollout sim (#1): clf@v2 against v1"
    assert state.startswith("  state: step 1; weights stable 95% / canary 5%; ")
    assert 35 <= int(state.rsplit("; ", 1)[1].removesuffix("s in step")) <= 60
    assert controller == "  controller: sim-controller"
    assert "judgement in " in waiting and "(extension 0/2)" in waiting
    assert "at least 300 requests per variant" in waiting and " canary so far" in waiting and "latest look: " in waiting
    assert score.startswith("  score ") and " stable / " in score and "canary requests" in score
    assert columns.split() == ["metric", "status", "stable", "canary", "comparison"]
    by_name = {line.split()[0]: line.split() for line in metrics}
    assert set(by_name) == {m.name for m in plan().analysis.metrics}
    latency = by_name["latency"]
    assert latency[1] == "Pass" and 300 < float(latency[2]) < 500 and 300 < float(latency[3]) < 500
    assert "interval" in " ".join(latency) and "tolerance" in " ".join(latency)
    assert by_name["error_rate"][1] in ("Pass", "NoData")

    code, out, _ = cli("rollout", "status", "sim", "--db", url, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["state"] == "step" and doc["step"] == 1
    assert doc["weights"] == {"stable": 95.0, "canary": 5.0} and doc["controller"] == "sim-controller"
    assert doc["analysis"]["metrics"]["latency"]["status"] == "Pass" and doc["score"] == doc["analysis"]["score"]
    code, out, _ = cli("rollout", "status", "--db", url, "--json")
    assert code == 0 and [d["rollout"] for d in json.loads(out)] == ["sim"]


def test_pause_resume_promote_abort_move_the_state_and_leave_a_trail(db, cli):
    url, reg = db
    in_step(reg)
    code, _, err = cli("rollout", "pause", "sim", "--db", url, "--reason", "holiday", "--actor", "alice")
    assert code == 0 and "rollout sim: step 1 -> paused: paused by a human: holiday" in err
    code, out, _ = cli("rollout", "status", "sim", "--db", url)
    assert "state: paused (at step 1); weights stable 95% / canary 5%" in out
    assert "waiting for: a human: holiday (`bouclier rollout resume|promote|abort`)" in out
    code, _, err = cli("rollout", "resume", "sim", "--db", url)
    assert code == 0 and "paused -> step 1: resumed" in err
    code, _, err = cli("rollout", "promote", "sim", "--db", url, "--reason", "looks good")
    assert code == 0 and "step 1 -> promoting: promoted by a human: looks good" in err
    code, out, _ = cli("rollout", "status", "sim", "--db", url)
    assert "waiting for: the controller to check the registry's promotion policy" in out
    trail = RolloutLedger(reg).transitions("sim")
    assert [(t["to_state"], t["actor"]) for t in trail[-3:]] == [
        ("paused", "alice"), ("step", "tester"), ("promoting", "tester")]
    assert trail[-1]["reason"] == "promoted by a human: looks good"


def test_abort_then_promote_while_rolling_back_is_refused_and_changes_nothing(db, cli):
    url, reg = db
    in_step(reg)
    code, _, err = cli("rollout", "abort", "sim", "--db", url, "--reason", "bad answers")
    assert code == 0 and "step 1 -> rolling_back: aborted by a human: bad answers" in err
    before = snapshot(reg)
    code, out, err = cli("rollout", "promote", "sim", "--db", url)
    assert code == 2 and "rollout sim is rolling back; promote refused (nothing changed)" in err
    assert "Traceback" not in err + out
    assert snapshot(reg) == before


@pytest.mark.parametrize("action, words", [
    ("resume", "rollout sim is step, not paused; resume refused"),
    ("unknown", "No such command"),
])
def test_resume_of_a_running_rollout_is_refused(db, cli, action, words):
    url, reg = db
    in_step(reg)
    before = snapshot(reg)
    code, out, err = cli("rollout", action, "sim", "--db", url)
    assert code == 2 and words in err and "Traceback" not in err + out
    assert snapshot(reg) == before


def test_commands_on_a_finished_rollout_are_refused(db, cli):
    url, reg = db
    sim = in_step(reg)
    ledger = RolloutLedger(reg)
    ledger.command("sim", "abort", actor="t")
    sim.controller.tick()
    assert ledger.get("sim").state == "aborted"
    before = snapshot(reg)
    for action in ("pause", "resume", "promote", "abort"):
        code, _, err = cli("rollout", action, "sim", "--db", url)
        assert code == 2 and f"rollout sim is aborted; {action} refused (nothing changed)" in err
    assert snapshot(reg) == before
    code, out, _ = cli("rollout", "status", "sim", "--db", url)
    assert "state: aborted (at step 1); weights stable 100% / canary 0%" in out and "waiting for: nothing: the rollout is finished" in out


@pytest.mark.parametrize("args", [("status", "nope"), ("pause", "nope"), ("resume", "nope"), ("promote", "42"),
                                  ("abort", "nope")])
def test_unknown_rollout_is_a_clear_error(db, cli, args):
    url, reg = db
    in_step(reg)
    before = snapshot(reg)
    code, out, err = cli("rollout", *args, "--db", url)
    assert code == 2 and f"no rollout '{args[1]}'; list them with `bouclier rollout status`" in err
    assert "Traceback" not in err + out
    assert snapshot(reg) == before


def rollout_yaml(tmp_path, rollout_id: str = "sim", admin_url: str = "http://127.0.0.1:9"):
    path = tmp_path / "rollout.yaml"
    path.write_text(textwrap.dedent(f"""\
        rollout:
          model: clf
          rollout_id: {rollout_id}
          interval_s: 0.1
          steps:
            - {{weight: 5, min_duration_s: 60, min_requests: 300}}
            - {{weight: 100}}
          traffic:
            admin_url: {admin_url}
            signals: {tmp_path / 'signals.sqlite'}
        """))
    return path


def test_second_controller_is_refused_by_the_lease(db, cli, tmp_path, monkeypatch):
    url, reg = db
    in_step(reg)  # 'sim-controller' holds the lease
    monkeypatch.setenv("BOUCLIER_ROUTER_TOKEN", "test-token-0123456789")
    before = snapshot(reg)
    code, out, err = cli("rollout", "start", "--config", str(rollout_yaml(tmp_path)), "--canary", "v2",
                         "--db", url, "--config-digest", GATE_DIGEST)
    assert code == 2, err
    assert "rollout sim is driven by controller sim-controller" in err and "a second controller is refused" in err
    assert "Traceback" not in err + out
    assert snapshot(reg) == before  # same state, revision, lease owner and trail


def test_start_refused_by_the_promotion_policy_writes_nothing(db, cli, tmp_path, monkeypatch):
    url, reg = db
    monkeypatch.setenv("BOUCLIER_ROUTER_TOKEN", "test-token-0123456789")
    config = str(rollout_yaml(tmp_path))
    code, _, err = cli("rollout", "start", "--config", config, "--canary", "v2", "--db", url,
                       "--config-digest", "another-digest")
    assert code == 2
    assert "rollout of clf@v2 not started: it could not be promoted (policy of --config-digest)" in err
    assert "was gated against production clf@v1 only on config digest-of-th" in err
    code, _, err = cli("rollout", "start", "--config", config, "--canary", "v2", "--db", url,
                       "--config-digest", GATE_DIGEST, "--required-approvals", "1")
    assert code == 2 and "the policy requires 1 distinct approver(s), it has 0" in err
    code, _, err = cli("rollout", "start", "--config", config, "--canary", "v2", "--db", url,
                       "--gate-config", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml: file not found" in err
    # without a bouclier.yaml or a digest, nothing can match the recorded PASS
    code, _, err = cli("rollout", "start", "--config", config, "--canary", "v2", "--db", url)
    assert code == 2 and "no config digest given" in err
    assert RolloutLedger(reg).list() == []


def test_start_obeys_the_gate_config_then_a_human_promotes_the_running_rollout(db, cli, tmp_path, monkeypatch):
    """`start` with ./bouclier.yaml: its digest must be the one the PASS was recorded on and its
    policy.required_approvals applies. Once approved, the controller runs (a subprocess, a
    real router); `status` shows it live, `promote` ends the rollout promoted."""
    url, reg = db
    gate = tmp_path / "bouclier.yaml"
    gate.write_text(textwrap.dedent("""\
        models:
          v1: {adapter: python, target: "gmodels:v1", version: v1}
          v2: {adapter: python, target: "gmodels:v2", version: v2}
        baseline: v1
        candidate: v2
        suites:
          - {name: labels, dataset: cases.jsonl, input: "{{text}}", expected: label, scorers: [exact_match]}
        policy: {required_approvals: 1}
        """))
    reg.record_gate_run(result=gate_result("gate-on-yaml", config_digest=load_config(gate).digest),
                        baseline=("clf", "production"), candidate=("clf", "v2"))
    monkeypatch.setenv("BOUCLIER_ROUTER_TOKEN", TOKEN)
    with serve_app(upstream("stable")) as stable, serve_app(upstream("canary")) as canary:
        cfg = router_config(stable, canary, tmp_path, rollout_id="sim", weights={"stable": 100, "canary": 0})
        with serve_router(cfg) as (router_url, router):
            config = rollout_yaml(tmp_path, admin_url=router_url)
            code, _, err = cli("rollout", "start", "--config", str(config), "--canary", "v2", "--db", url)
            assert code == 2 and "(policy of bouclier.yaml)" in err and "requires 1 distinct approver(s)" in err
            assert RolloutLedger(reg).list() == []
            reg.approve("clf", "v2", actor="alice")
            proc = subprocess.Popen(
                [sys.executable, "-m", "bouclier", "rollout", "start", "--config", str(config), "--canary", "v2",
                 "--db", url, "--report-dir", str(tmp_path / "reports")],
                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "BOUCLIER_ACTOR": "ci-bot"})
            try:
                deadline = time.monotonic() + 60
                while not RolloutLedger(reg).list() or router.weights["canary"] != 5.0:
                    assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1]
                    time.sleep(0.1)
                code, out, _ = cli("rollout", "status", "sim", "--db", url)
                assert "state: step 1; weights stable 95% / canary 5%" in out
                assert f"controller: controller@{socket.gethostname()}:{proc.pid}" in out
                code, _, err = cli("rollout", "promote", "sim", "--db", url, "--reason", "ship it")
                assert code == 0 and "step 1 -> promoting" in err
                _, stderr = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
            assert proc.returncode == 0, stderr
            assert router.weights == {"stable": 0.0, "canary": 100.0}
    assert "rollout sim: promoted" in stderr and "Traceback" not in stderr
    assert reg.resolve("clf", "production").label == "v2"
    promoted = log(reg, kind="version.promoted")[-1].payload
    assert promoted["gate_run"] == "gate-on-yaml" and promoted["approvers"] == ["alice"]
    assert log(reg, kind="rollout.created")[-1].payload["policy"]["required_approvals"] == 1
