"""Stability end to end: a deliberately random python model vs a deterministic one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bouclier.check import run_check, case_rows
from bouclier.config import load_config
from bouclier.errors import ConfigError, UsageError

SRC = str(Path(__file__).resolve().parents[2] / "src")

MODELS = '''
import random

def steady(text):
    return text.split(":")[1].strip()

def coin(text):  # deliberately random: right half of the time, unseeded
    label = text.split(":")[1].strip()
    return label if random.random() < 0.5 else "other"
'''

CONFIG = '''
models:
  base: {{adapter: python, target: "lcstab_models:steady"}}
  steady: {{adapter: python, target: "lcstab_models:steady"}}
  coin: {{adapter: python, target: "lcstab_models:coin"}}
baseline: base
candidate: {candidate}
suites:
  - name: labels
    dataset: cases.jsonl
    input: "label: {{{{label}}}}"
    expected: label
    id_field: id
    repeats: {repeats}
    scorers: [exact_match]
    criteria:
      - {{metric: exact_match, kind: non_inferiority, margin: 0.05}}
      - {{kind: max_unpredictability, threshold: 0.2}}
run: {{seed: 0, cache: false}}
'''


def project(tmp_path, candidate, repeats=5, n=40):
    (tmp_path / "lcstab_models.py").write_text(MODELS)
    (tmp_path / "bouclier.yaml").write_text(CONFIG.format(candidate=candidate, repeats=repeats))
    with (tmp_path / "cases.jsonl").open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"c{i}", "label": f"l{i}"}) + "\n")
    return load_config(tmp_path / "bouclier.yaml")


def stab(result, role):
    return next(s for s in result.suites[0].stability if s.role == role)


def test_deterministic_model_is_stable_and_passes(tmp_path):
    result, records = run_check(project(tmp_path, "steady"))
    crit = next(c for c in result.criteria if c.kind == "max_unpredictability")
    assert crit.verdict.value == "PASS", crit.reason
    s = stab(result, "candidate")
    assert s.repeats == 5 and s.unpredictability == 0 and s.flip_rate == {"exact_match": 0.0}
    assert s.score_variance["exact_match"] == 0 and s.ci_high < 0.2
    assert all(len(r.samples["candidate"]) == 5 for r in records)
    usage = {u.role: u for u in result.usage}
    assert usage["candidate"].calls == 5 * 40 and usage["candidate"].latency_p95_s is not None
    assert "stability" in result.model_dump(mode="json")["suites"][0]


def test_random_model_is_unpredictable_and_fails(tmp_path):
    result, records = run_check(project(tmp_path, "coin"))
    crit = next(c for c in result.criteria if c.kind == "max_unpredictability")
    assert crit.verdict.value == "FAIL", crit.reason
    s = stab(result, "candidate")
    # two coin flips disagree with probability 1/2: the index sits near 0.5
    assert 0.35 < s.unpredictability < 0.65 and s.ci_low > 0.2
    assert s.flip_rate["exact_match"] > 0.8 and s.score_variance["exact_match"] > 0.15
    # the paired test uses the mean of the k scores per case
    r = records[0]
    mean = sum(x["exact_match"] for x in r.sample_scores["candidate"]) / 5
    assert r.scores["candidate"]["exact_match"] == pytest.approx(mean)
    assert stab(result, "baseline").unpredictability == 0
    rows = list(case_rows(records))
    assert rows[0]["candidate"]["scores"]["exact_match"] == pytest.approx(mean)


def test_unpredictability_criterion_needs_repeats(tmp_path):
    with pytest.raises((ConfigError, UsageError), match="repeats"):
        project(tmp_path, "steady", repeats=1)


@pytest.mark.parametrize("scorer, words", [("token_f2", "unknown scorer 'token_f2'"),
                                           ("lcstab_models:nowhere", "cannot import scorer"),
                                           ("similarity", "model-graded")])
def test_unknown_agreement_scorer_is_refused_before_any_call(tmp_path, scorer, words):
    project(tmp_path, "coin")
    extra = "      options: {model: base}\n" if scorer == "similarity" else ""
    text = (tmp_path / "bouclier.yaml").read_text().replace(
        "    repeats: 5\n", f"    repeats: 5\n    agreement:\n      scorer: {scorer}\n      min: 0.8\n{extra}")
    (tmp_path / "bouclier.yaml").write_text(text)
    line = text.splitlines().index(f"      scorer: {scorer}") + 1
    path = tmp_path / "bouclier.yaml"
    with pytest.raises(UsageError) as exc:
        run_check(load_config(path))  # the plan refuses it: no model is called, no sample compared
    problem = next(p for p in exc.value.problems if p.key == "suites[0].agreement.scorer")
    assert words in problem.message and problem.line == line and problem.file == str(path.resolve())
    r = subprocess.run([sys.executable, "-m", "bouclier", "validate"], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": SRC})
    assert r.returncode == 2 and f"bouclier.yaml:{line}: suites[0].agreement.scorer: " in r.stderr
    assert words in r.stderr and "Traceback" not in r.stderr
