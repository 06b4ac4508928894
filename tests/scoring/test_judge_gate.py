"""The judge scorer in the gate, with deliberately faulty in-process judges (a stable one, a
noisy one, one answering prose, a slow one): repeats, reliability, unstable cases, the
mean of k grades in the paired test, and every judge failure making its criterion
INCONCLUSIVE — never a crash, never a silent pass. The real SmolLM2 judge is exercised in
test_judge_smollm2.py."""

from __future__ import annotations

import json
import textwrap

import pytest

from bouclier.check import case_rows, plan_check, run_check
from bouclier.config import load_config
from bouclier.errors import ConfigError, InfrastructureError, UsageError
from bouclier.gate.result import Verdict, load_result
from bouclier.reports import write_run
from bouclier.scoring.rubric import load_rubric

N = 12
JUDGES = '''
import asyncio, hashlib, re

ANSWERS = {f"q{i}": f"a{i}" for i in range(%d)}
CALLS = {}

def base(q):
    return ANSWERS[q]

def cand(q):
    return "wrong" if q in ("q1", "q2") else ANSWERS[q]

def _pair(prompt):
    ans = re.search(r"Answer to grade: (.*)", prompt).group(1).strip()
    ref = re.search(r"Reference answer: (.*)", prompt).group(1).strip()
    return ans, ref

def stable(prompt):
    ans, ref = _pair(prompt)
    return f"SCORE: {5 if ans == ref else 1}\\nREASON: compared with the reference"

def noisy(prompt):
    n = CALLS[prompt] = CALLS.get(prompt, 0) + 1
    return f"SCORE: {int(hashlib.sha256(f'{prompt}{n}'.encode()).hexdigest(), 16) %% 5 + 1}"

def prose(prompt):
    ans, ref = _pair(prompt)
    return "SCORE: 5" if ans != "a3" else "The answer looks right to me, I would say it deserves a five."

async def slow(prompt):
    await asyncio.sleep(3)
    return "SCORE: 5"
''' % N


def project(tmp_path, *, judge: str, options: str = "", criteria: str = "", run: str = "{retries: 0}"):
    (tmp_path / "jmodels.py").write_text(JUDGES)
    (tmp_path / "data.jsonl").write_text("".join(json.dumps({"q": f"q{i}", "a": f"a{i}"}) + "\n" for i in range(N)))
    (tmp_path / "bouclier.yaml").write_text(textwrap.dedent(f'''\
        models:
          base: {{adapter: python, target: "jmodels:base"}}
          cand: {{adapter: python, target: "jmodels:cand"}}
          judge: {{adapter: python, target: "jmodels:{judge}"}}
        baseline: base
        candidate: cand
        run: {run}
        suites:
          - name: qa
            dataset: data.jsonl
            input: "{{{{q}}}}"
            expected: a
            scorers:
              - {{name: judge, options: {{model: judge, rubric: correctness{options}}}}}
            criteria:
              - {{metric: judge, kind: non_inferiority, margin: 0.5, min_cases: 5{criteria}}}
        '''))
    return load_config(tmp_path / "bouclier.yaml")


def test_stable_judge_repeats_agree_and_identity_is_recorded(tmp_path):
    loaded = project(tmp_path, judge="stable", options=", judge_repeats: 3", criteria=", min_judge_reliability: 0.8")
    result, records = run_check(loaded)
    ev = result.graders[0]
    assert (ev.scorer, ev.model, ev.adapter, ev.rubric, ev.repeats) == ("judge", "judge", "python", "correctness", 3)
    assert ev.rubric_digest == load_rubric("correctness").digest and len(ev.fingerprint) == 64
    assert ev.n_items == 2 * N and ev.n_errors == 0 and ev.unstable == 0
    assert ev.reliability == pytest.approx(1.0) and "Krippendorff" in ev.reliability_method
    scores = {r.case.id: (r.scores["baseline"]["judge"], r.scores["candidate"]["judge"]) for r in records}
    assert sum(b for b, _ in scores.values()) == N and sum(c for _, c in scores.values()) == N - 2
    crit = result.criteria[0]
    assert crit.verdict is not Verdict.INCONCLUSIVE or "straddles" in crit.reason
    assert "judge judge: alpha 1.00 over 3 repeats, 0 unstable answers" in crit.reason
    row = next(iter(case_rows(records)))
    assert row["baseline"]["grades"]["judge"]["grades"] == [5, 5, 5]
    # result.json carries the grader; it loads back
    out = write_run(result, tmp_path / "run", cases=case_rows(records))
    loaded_back = load_result(out["json"])
    assert loaded_back.graders[0].rubric_digest == ev.rubric_digest
    md = out["md"].read_text()
    assert "Graders (model-graded metrics):" in md and "3 repeats, reliability 1.00, 0 unstable" in md
    cases = [json.loads(line) for line in out["cases"].read_text().splitlines()]
    assert cases[0]["candidate"]["grades"]["judge"]["reason"] == "compared with the reference"
    # the second run is served from the cache: same grades, no judge call
    again, records2 = run_check(loaded)
    assert again.graders[0].cached == 3 * (N + 2)  # distinct prompts (identical answers share one) x repeats
    assert [r.scores for r in records2] == [r.scores for r in records]


def test_noisy_judge_is_unreliable_and_inconclusive(tmp_path):
    loaded = project(tmp_path, judge="noisy", options=", judge_repeats: 3", criteria=", min_judge_reliability: 0.6")
    result, records = run_check(loaded, use_cache=False)
    ev = result.graders[0]
    assert ev.reliability is not None and ev.reliability < 0.6
    assert ev.unstable > N and len(ev.unstable_cases) <= 20
    crit = result.criteria[0]
    assert crit.verdict is Verdict.INCONCLUSIVE
    assert f"judge reliability {ev.reliability:.2f}" in crit.reason and "below the required 0.60" in crit.reason
    assert result.verdict is Verdict.INCONCLUSIVE
    # the paired test used the mean of the k grades of each case
    r = records[0]
    grades = r.grades["baseline"]["judge"]["grades"]
    assert r.scores["baseline"]["judge"] == pytest.approx(sum((g - 1) / 4 for g in grades) / 3)
    assert result.suites[0].metrics[0].binary is False


def test_prose_instead_of_a_score_is_a_recorded_error(tmp_path):
    loaded = project(tmp_path, judge="prose")
    result, records = run_check(loaded)
    ev = result.graders[0]
    assert ev.n_errors == 2 and ev.first_error.startswith("off-format judge answer: expected 'SCORE: <grade>'")
    crit = result.criteria[0]
    assert crit.verdict is Verdict.INCONCLUSIVE and "2 of 24 answers could not be graded" in crit.reason
    bad = [r for r in records if r.case.input == "q3"][0]
    assert "off-format" in bad.grades["baseline"]["judge"]["error"]


def test_judge_timeout_is_a_recorded_error_not_a_crash(tmp_path):
    loaded = project(tmp_path, judge="slow", options=", timeout_s: 0.1, error_budget: 1.0")
    result, _ = run_check(loaded)
    crit = result.criteria[0]
    assert crit.verdict is Verdict.INCONCLUSIVE
    assert "judge call failed" in crit.reason and "did not answer within 0.1 s" in crit.reason


def test_judge_beyond_the_error_budget_stops_the_run(tmp_path):
    loaded = project(tmp_path, judge="slow", options=", timeout_s: 0.1")
    with pytest.raises(InfrastructureError, match="more than the error budget allows") as info:
        run_check(loaded)
    assert info.value.exit_code == 4


def test_min_judge_reliability_needs_repeats(tmp_path):
    loaded = project(tmp_path, judge="stable", criteria=", min_judge_reliability: 0.8")
    with pytest.raises(ConfigError, match=r"suites\[0\].criteria\[0\].min_judge_reliability: .*judge_repeats >= 2"):
        run_check(loaded)


def test_unknown_judge_model_is_reported_before_any_call(tmp_path):
    project(tmp_path, judge="stable")
    text = (tmp_path / "bouclier.yaml").read_text().replace("model: judge,", "model: jduge,")
    (tmp_path / "bouclier.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"suites\[0\].scorers\[0\].options: judge model 'jduge' is not one"):
        run_check(load_config(tmp_path / "bouclier.yaml"))


def test_rubric_without_its_placeholders_is_refused_at_plan_time(tmp_path):
    (tmp_path / "mine.yaml").write_text("name: mine\nscale: [1, 5]\nrequires: [reference]\n"
                                        "template: 'Grade this: {{output}}'\n")
    project(tmp_path, judge="stable")
    text = (tmp_path / "bouclier.yaml").read_text().replace("rubric: correctness", f"rubric: {tmp_path / 'mine.yaml'}")
    (tmp_path / "bouclier.yaml").write_text(text)
    with pytest.raises(UsageError, match=r"suites\[0\].scorers\[0\].*template lacks the placeholder\(s\) it needs: "
                                         r"\{\{reference\}\}"):
        plan_check(load_config(tmp_path / "bouclier.yaml"))


def test_case_field_for_a_rubric_placeholder_must_exist(tmp_path):
    project(tmp_path, judge="stable")
    text = (tmp_path / "bouclier.yaml").read_text().replace("rubric: correctness", "rubric: groundedness")
    (tmp_path / "bouclier.yaml").write_text(text)
    from bouclier.errors import DataError
    with pytest.raises(DataError, match=r"needs the field 'context' for \{\{context\}\}"):
        run_check(load_config(tmp_path / "bouclier.yaml"))
