"""Bad input of performance and cost: each gets a clear message, never a traceback."""

import json

from bouclier.check import run_check
from bouclier.config import load_config
from bouclier.gate.result import Verdict
from tests.perf.project import bouclier, write_project

BASE = '''
models:
  base: {{adapter: python, target: "pmodels:{base}"{base_cost}}}
  cand: {{adapter: python, target: "pmodels:{cand}"{cand_cost}}}
baseline: base
candidate: cand
suites:
  - name: labels
    dataset: cases.jsonl
    input: "{{{{text}}}}"
    id_field: id
    scorers: [{{name: contains, field: text}}]
    criteria: [{{metric: contains, kind: min, threshold: 0.0, min_cases: 1}}]
  - name: speed
    kind: performance
    dataset: cases.jsonl
    input: "{{{{text}}}}"
    load: {load}
    criteria: {criteria}
run: {run}
'''
PRICE = ", cost: {input_usd_per_million: 2.0, output_usd_per_million: 8.0}"
TOKENIZED = ", cost: {input_usd_per_million: 2.0, output_usd_per_million: 8.0, tokenizer: 'pmodels:words'}"


def project(tmp_path, *, base="fast", cand="fast_too", base_cost=PRICE, cand_cost=PRICE,
            load="{requests: 40, warmup: 2, block_size: 10}", criteria="[{kind: error_rate, max_rate: 0.5}]",
            run="{seed: 0, bootstrap_resamples: 500}"):
    return write_project(tmp_path, BASE.format(base=base, cand=cand, base_cost=base_cost, cand_cost=cand_cost,
                                               load=load, criteria=criteria, run=run))


def test_load_profile_that_cannot_be_met_reports_achieved_rate(tmp_path):
    path = project(tmp_path, load="{mode: open, rate_per_s: 5000, requests: 40, warmup: 0, block_size: 20}")
    result, _ = run_check(load_config(path), use_cache=False)
    level = result.suites[1].performance.levels[0]
    assert level.requested_rate == 5000 and level.baseline.achieved_rate < 1000  # a 3 ms inline model
    assert any("load profile not met for baseline 'base': requested 5000 req/s, achieved" in n for n in level.notes)
    r = bouclier("check", "-o", "out", cwd=path.parent)
    assert "load profile not met" in r.stderr and "Traceback" not in r.stderr


def test_concurrency_not_reached_by_an_inline_model(tmp_path):
    path = project(tmp_path, load="{requests: 20, warmup: 0, block_size: 10, concurrency: 4}")
    result, _ = run_check(load_config(path), use_cache=False)
    notes = result.suites[1].performance.levels[0].notes
    assert any("concurrency 4 not reached" in n and "threads: 4" in n for n in notes), notes


def test_no_token_usage_and_no_tokenizer_is_unknown_not_zero(tmp_path):
    path = project(tmp_path, criteria="[{kind: cost, max_usd_per_1k: 1.0, max_increase: 0.1}]")
    result, _ = run_check(load_config(path), use_cache=False)
    for suite in result.suites:
        cost = suite.cost.candidate
        assert cost.known is False and cost.usd is None and cost.usd_per_1k is None
        assert "returned no token usage and no tokenizer is configured" in cost.reason
    costs = [c for c in result.criteria if c.kind == "cost"]
    assert [c.verdict for c in costs] == [Verdict.INCONCLUSIVE] * 2
    assert all(c.reason.startswith("cost unknown: ") and "model 'cand' returned no token usage" in c.reason for c in costs)
    r = bouclier("check", "-o", "out", cwd=path.parent)
    assert "unknown" in r.stderr and "$0 " not in r.stderr


def test_tokenizer_or_usage_gives_a_known_cost(tmp_path):
    path = project(tmp_path, cand="with_usage", base_cost=TOKENIZED,
                   criteria="[{kind: cost, max_usd_per_1k: 1.0, max_increase: 0.5}]")
    result, _ = run_check(load_config(path), use_cache=False)
    speed = result.suites[1].cost
    assert speed.baseline.token_source == "tokenizer" and speed.candidate.token_source == "usage"
    # same word counts both ways: identical cost per request
    assert speed.ratio == 1.0 and speed.baseline.usd_per_1k > 0
    assert [c.verdict for c in result.criteria if c.kind == "cost"] == [Verdict.PASS, Verdict.PASS]
    assert result.suites[0].cost.baseline.known  # quality suites are priced too


def test_missing_price(tmp_path):
    path = project(tmp_path, cand_cost="", criteria="[{kind: cost, max_increase: 0.1}]")
    r = bouclier("check", cwd=path.parent)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "models.cand.cost" in r.stderr and "criterion 'cost' needs a price for candidate 'cand'" in r.stderr
    path = project(tmp_path, cand_cost="", run="{max_cost_usd: 1.0}")
    r = bouclier("check", cwd=path.parent)
    assert r.returncode == 2 and "run.max_cost_usd needs a price for candidate 'cand'" in r.stderr


def test_max_cost_usd_stops_calling_and_is_inconclusive(tmp_path):
    # 20 answers of ~5 words x 2 tokens each way at $2 + $8 per million: ~ $0.0001 per call
    path = project(tmp_path, cand="with_usage", base="with_usage", run="{max_cost_usd: 0.0005, seed: 0}")
    r = bouclier("check", "-o", "out", cwd=path.parent)
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr and "run.max_cost_usd (0.0005 USD) reached" in r.stderr
    data = json.loads((path.parent / "out" / "result.json").read_text())
    assert data["verdict"] == "INCONCLUSIVE" and "calls not made" in data["stopped"]
    rows = [json.loads(line) for line in (path.parent / "out" / "cases.jsonl").read_text().splitlines()]
    assert any(row["candidate"]["error_kind"] == "budget" for row in rows)
    assert sum(row["candidate"]["error_kind"] is None for row in rows) < 40


def test_estimate_before_any_call(tmp_path):
    path = project(tmp_path, base="fast", cand="fast",
                   cand_cost=", cost: {input_usd_per_million: 2.0, output_usd_per_million: 8.0, "
                             "expected_output_tokens: 10}")
    r = bouclier("check", "--estimate", "--json", cwd=path.parent)
    assert r.returncode == 0, r.stderr
    est = json.loads(r.stdout)
    rows = {(x["suite"], x["role"]): x for x in est["rows"]}
    cand = rows[("speed", "candidate")]
    assert cand["calls"] == 42 and cand["input_method"] == "chars/4" and cand["output_tokens"] == 420
    assert cand["usd"] > 0 and rows[("labels", "candidate")]["calls"] == 40
    assert rows[("speed", "baseline")]["usd"] is None and est["total_usd"] is None  # no output estimate
    assert "no model was called" in r.stderr


def test_bad_performance_config(tmp_path):
    path = project(tmp_path, load="{mode: open, requests: 10}")
    r = bouclier("check", cwd=path.parent)
    assert r.returncode == 2 and "bouclier.yaml:18: suites[1].load: mode: open needs rate_per_s" in r.stderr
    (path.parent / "bouclier.yaml").write_text(path.read_text().replace("kind: performance", "kind: perf"))
    r = bouclier("validate", cwd=path.parent)
    assert r.returncode == 2 and "unknown suite kind (expected quality, safety or performance)" in r.stderr and "Traceback" not in r.stderr
