"""``bouclier check`` / ``validate`` / ``schema`` end to end, through the real CLI in a
subprocess (exit codes and stderr as a user sees them)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")

MODELS = '''
def right(text):
    return text.split(":")[1].strip()

def wrong_on_sevens(text):
    label = text.split(":")[1].strip()
    return "nope" if label.endswith("7") or label.endswith("3") else label

def boom(text):
    raise RuntimeError("model crashed")
'''

CONFIG = '''
models:
  base: {{adapter: python, target: "qmodels:right"}}
  same: {{adapter: python, target: "qmodels:right"}}
  worse: {{adapter: python, target: "qmodels:wrong_on_sevens"}}
  broken: {{adapter: python, target: "qmodels:boom"}}
  remote:
    adapter: openai
    base_url: http://127.0.0.1:9/v1
    model: m
baseline: base
candidate: {candidate}
suites:
  - name: labels
    dataset: cases.jsonl
    input: "label: {{{{label}}}}"
    expected: label
    id_field: id
    scorers: [exact_match]
    criteria:
      - {{metric: exact_match, kind: non_inferiority, margin: 0.05}}
run: {{retries: 1, timeout_s: 2}}
policy: {{inconclusive: {policy}}}
'''


def project(tmp_path, n=300, candidate="worse", policy="inconclusive"):
    (tmp_path / "qmodels.py").write_text(MODELS)
    (tmp_path / "bouclier.yaml").write_text(CONFIG.format(candidate=candidate, policy=policy))
    with (tmp_path / "cases.jsonl").open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"c{i}", "label": f"l{i}"}) + "\n")
    return tmp_path


def bouclier(*args, cwd):
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "bouclier", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_regression_fails_with_reports(tmp_path):
    p = project(tmp_path)
    r = bouclier("check", "--output-dir", "out", cwd=p)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "FAIL" in r.stderr
    result = json.loads((p / "out" / "result.json").read_text())
    assert result["schema_version"] == 1 and result["verdict"] == "FAIL"
    crit = result["criteria"][0]
    for key in ("name", "suite", "metric", "verdict", "baseline_value", "candidate_value", "difference",
                "ci_low", "ci_high", "n", "reason"):
        assert key in crit
    assert crit["baseline_value"] == 1.0 and crit["candidate_value"] == pytest.approx(0.8)
    assert crit["ci_high"] < -0.05 and crit["n"] == 300
    md = (p / "out" / "report.md").read_text()
    assert md.startswith("## ❌ bouclier: **FAIL**") and "<details>" in md and "nope" in md
    junit = (p / "out" / "junit.xml").read_text()
    assert "<failure" in junit and 'tests="1"' in junit
    rows = [json.loads(line) for line in (p / "out" / "cases.jsonl").read_text().splitlines()]
    assert len(rows) == 300 and rows[3]["candidate"]["output"] == "nope"


def test_identical_candidate_passes_and_cache_is_reused(tmp_path):
    p = project(tmp_path, candidate="same")
    r = bouclier("check", "-o", "out1", cwd=p)
    assert r.returncode == 0, r.stderr
    r = bouclier("check", "-o", "out2", "--json", cwd=p)
    assert r.returncode == 0
    result = json.loads(r.stdout)
    assert result["suites"][0]["cached"] == {"baseline": 300, "candidate": 300}


def test_too_few_cases_is_inconclusive_and_policy_maps_it(tmp_path):
    p = project(tmp_path, n=10, candidate="same")
    r = bouclier("check", "-o", "out", cwd=p)
    assert r.returncode == 3, r.stderr
    assert "INCONCLUSIVE" in r.stderr
    (tmp_path / "strict").mkdir()
    strict = project(tmp_path / "strict", n=10, candidate="same", policy="fail")
    assert bouclier("check", "-o", "out", cwd=strict).returncode == 1


def test_candidate_override_on_command_line(tmp_path):
    p = project(tmp_path, candidate="worse")
    assert bouclier("check", "--candidate", "same", "-o", "o", cwd=p).returncode == 0
    r = bouclier("check", "--candidate", "ghost", cwd=p)
    assert r.returncode == 2 and "--candidate ghost (not one of models:) needs the registry" in r.stderr


def test_unreachable_endpoint_exits_4_with_url(tmp_path):
    p = project(tmp_path, n=30, candidate="remote")
    r = bouclier("check", "-o", "o", cwd=p)
    assert r.returncode == 4, r.stderr
    assert "127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr


def test_model_exceptions_count_as_errors_then_budget(tmp_path):
    p = project(tmp_path, n=30, candidate="broken")
    r = bouclier("check", "-o", "o", cwd=p)
    assert r.returncode == 4 and "model crashed" in r.stderr


def test_unimportable_target_and_unset_env_var_are_config_errors(tmp_path):
    p = project(tmp_path)
    cfg = (p / "bouclier.yaml").read_text()
    cfg = cfg.replace('qmodels:boom', 'nomodule:boom').replace("model: m", "model: m\n    api_key_env: BOUCLIER_TEST_UNSET_KEY")
    (p / "bouclier.yaml").write_text(cfg)
    r = bouclier("check", "--candidate", "broken", cwd=p)
    assert r.returncode == 2 and "nomodule" in r.stderr and "Traceback" not in r.stderr
    r = bouclier("check", "--candidate", "remote", cwd=p)
    assert r.returncode == 2 and "BOUCLIER_TEST_UNSET_KEY" in r.stderr


def test_validate_reports_without_calling_models(tmp_path):
    p = project(tmp_path, candidate="broken")
    r = bouclier("validate", cwd=p)
    assert r.returncode == 0, r.stderr
    assert "1 suite(s), 300 cases, 1 criteria" in r.stderr
    (p / "cases.jsonl").write_text('{"id": "a", "label": "x"}\n{"id": "b" "label": "y"}\n')
    r = bouclier("validate", cwd=p)
    assert r.returncode == 2 and "cases.jsonl:2: malformed JSON" in r.stderr


def test_config_errors_exit_2_without_traceback(tmp_path):
    (tmp_path / "bouclier.yaml").write_text("models: {}\nsuites: []\nbaselin: a\n")
    r = bouclier("check", cwd=tmp_path)
    assert r.returncode == 2
    assert "bouclier.yaml:3: baselin: unknown key" in r.stderr and "Traceback" not in r.stderr
    r = bouclier("check", "-c", "missing.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "configuration file not found" in r.stderr


def test_schema_prints_json(tmp_path):
    r = bouclier("schema", cwd=tmp_path)
    assert r.returncode == 0
    assert json.loads(r.stdout)["title"] == "bouclier.yaml"
