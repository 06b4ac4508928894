"""Bad input: clear errors, exit 2, state unchanged."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bouclier.cli import main
from bouclier.errors import ConfigError
from bouclier.rollout.decision import TransitionRefused, command
from bouclier.rollout.ledger import LeaseHeld, RolloutLedger
from bouclier.rollout.plan import load_rollout_config

from .sim import POLICY, plan, seed_registry

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, body: str) -> Path:
    p = tmp_path / "rollout.yaml"
    p.write_text(textwrap.dedent(body))
    return p


@pytest.mark.parametrize("body, line, key, words", [
    ("""\
     rollout:
       model: clf
       rollout_id: r
       steps:
         - weight: 25
         - weight: 5
     """, 4, "rollout.steps", "steps must increase: step 2 (5%) is not above step 1 (25%)"),
    ("""\
     rollout:
       model: clf
       rollout_id: r
       steps:
         - weight: 50
         - weight: 150
     """, 6, "rollout.steps[1].weight", "less than or equal to 100"),
    ("""\
     rollout:
       model: clf
       rollout_id: r
       analysis:
         metrics:
           - name: latencyy
     """, 6, "rollout.analysis.metrics[0].name", "unknown metric 'latencyy'"),
    ("""\
     rollout:
       model: clf
       rollout_id: r
       analysis:
         metrics:
           - name: latency
             statistic: p100
     """, 7, "rollout.analysis.metrics[0].statistic",
     "unknown statistic 'p100': expected 'median' or a quantile 'pNN' from p1 to p99.9 such as p95 or p99"),
    ("""\
     rollout:
       model: clf
       rollout_id: r
       analysis:
         metrics:
           - {name: error_rate, statistic: p95}
     """, 6, "rollout.analysis.metrics[0]", "statistic 'p95' applies to continuous metrics"),
    ("""\
     rollout:
       model: clf
       rollout_id: r
       analysis:
         metrics:
           - {name: latency}
           - {name: latency, statistic: p95}
           - {name: latency, statistic: p95, weight: 5}
     """, 4, "rollout.analysis", "metric 'latency_p95' is listed twice"),
    ("""\
     rollout:
       model: clf
       rollout_id: r
       steps:
         - {weight: 10, metrics: [latency_p95]}
     """, 1, "rollout", "step 1 names metric 'latency_p95', which analysis.metrics does not list"),
])
def test_bad_plans_name_file_line_and_key(tmp_path, body, line, key, words, capsys):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_rollout_config(path)
    problem = err.value.problems[0]
    assert problem.key == key and problem.line == line and words in problem.message, str(err.value)
    with pytest.raises(SystemExit) as exit_:
        main(["rollout", "start", "--config", str(path), "--canary", "v2", "--db", f"sqlite:///{tmp_path / 'b.db'}"])
    stderr = " ".join(capsys.readouterr().err.split())
    assert exit_.value.code == 2, stderr
    assert " ".join(words.split()) in stderr and "Traceback" not in stderr


def test_bad_plan_through_the_real_command(tmp_path):
    """Once as a user runs it: a process, exit status 2, no traceback."""
    path = write(tmp_path, "rollout:\n  model: clf\n  rollout_id: r\n  steps: [{weight: 50}, {weight: 20}]\n")
    proc = subprocess.run([sys.executable, "-m", "bouclier", "rollout", "start", "--config", str(path), "--canary", "v2",
                           "--db", f"sqlite:///{tmp_path / 'b.db'}"], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2, proc.stderr
    assert "steps must increase: step 2 (20%) is not above step 1 (50%)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_promote_while_rolling_back_is_refused_and_changes_nothing(registry):
    seed_registry(registry)
    ledger = RolloutLedger(registry)
    p = plan()
    st = ledger.create(model="clf", canary="v2", name="r", plan=p.model_dump(mode="json"), actor="t", policy=POLICY)
    st = ledger.apply(st, command(p, st, "abort", 1.0, "bad"), actor="t", now=1.0)
    assert st.state == "rolling_back"
    with pytest.raises(TransitionRefused, match="rolling back; promote refused"):
        command(p, st, "promote", 2.0)
    again = ledger.get(st.id)
    assert again.revision == st.revision and again.state == "rolling_back"
    assert len(ledger.transitions(st.id)) == 1


def test_second_controller_is_refused_by_the_lease(registry):
    seed_registry(registry)
    ledger = RolloutLedger(registry)
    st = ledger.create(model="clf", canary="v2", name="r", plan=plan().model_dump(mode="json"), actor="t", policy=POLICY)
    ledger.acquire(st.id, "first", ttl_s=30, now=100.0)
    with pytest.raises(LeaseHeld, match="driven by controller first"):
        ledger.acquire(st.id, "second", ttl_s=30, now=110.0)
    assert ledger.get(st.id).lease_owner == "first"
    ledger.acquire(st.id, "second", ttl_s=30, now=131.0)  # expired: taken over
    with pytest.raises(LeaseHeld, match="lost the lease"):
        ledger.apply(st, command(plan(), st, "pause", 132.0), actor="first", now=132.0, owner="first")
    assert ledger.get(st.id).state == "pending"


def test_second_rollout_of_the_same_model_is_refused(registry):
    seed_registry(registry)
    ledger = RolloutLedger(registry)
    ledger.create(model="clf", canary="v2", name="r", plan=plan().model_dump(mode="json"), actor="t", policy=POLICY)
    with pytest.raises(Exception, match="still running"):
        ledger.create(model="clf", canary="v2", name="other", plan=plan().model_dump(mode="json"), actor="t", policy=POLICY)
