"""Real short performance runs of in-process python models through ``run_check``."""

import json
import sqlite3

import pytest

from bouclier.check import run_check
from bouclier.config import load_config
from bouclier.gate.result import Verdict
from tests.perf.project import bouclier, write_project

PERF = '''
models:
  base: {{adapter: python, target: "pmodels:fast"}}
  same: {{adapter: python, target: "pmodels:fast_too"}}
  slow: {{adapter: python, target: "pmodels:slow"}}
  hungry: {{adapter: python, target: "pmodels:hungry"}}
baseline: base
candidate: {candidate}
suites:
  - name: speed
    kind: performance
    dataset: cases.jsonl
    input: "{{{{text}}}}"
    load: {{requests: 200, warmup: 5, block_size: 20}}
    memory_requests: 3
    criteria:
      - {{kind: latency, percentile: 50, max_increase: 0.10}}
      - {{kind: error_rate, max_rate: 0.05}}
{extra}
run: {{seed: 3, bootstrap_resamples: 1000}}
'''


def check(tmp_path, candidate, extra=""):
    path = write_project(tmp_path, PERF.format(candidate=candidate, extra=extra))
    return run_check(load_config(path), use_cache=False)


def test_thirty_percent_delay_fails_latency(tmp_path):
    result, _ = check(tmp_path, "slow")
    latency = result.criteria[0]
    assert latency.verdict is Verdict.FAIL, latency.reason
    assert latency.ci_low > 1.10 and latency.candidate_value > latency.baseline_value
    assert "Mann-Whitney" in latency.reason and "blocks" in latency.method
    perf = result.suites[0].performance
    level = perf.levels[0]
    assert level.blocks == 10 and level.baseline.requests == level.candidate.requests == 200
    assert len(level.baseline.latency_ms.cdf) == 101 and level.baseline.latency_ms.cdf == sorted(level.baseline.latency_ms.cdf)
    assert result.verdict is Verdict.FAIL


@pytest.mark.parametrize("attempt", range(2))
def test_identical_model_never_fails(tmp_path, attempt):
    result, _ = check(tmp_path, "same")
    assert result.criteria[0].verdict in (Verdict.PASS, Verdict.INCONCLUSIVE), result.criteria[0].reason
    assert result.verdict is not Verdict.FAIL


def test_peak_memory_of_python_models(tmp_path):
    result, _ = check(tmp_path, "hungry", extra="      - {kind: peak_memory, max_increase: 0.5, max_mb: 100}")
    mem = [c for c in result.criteria if c.kind == "peak_memory"]
    assert [c.verdict for c in mem] == [Verdict.FAIL, Verdict.PASS]
    peak = result.suites[0].performance.peak_memory_mb
    assert peak["candidate"] > 3.5 > peak["baseline"]  # the 4 MB buffer is seen, the baseline has none


def test_never_uses_the_response_cache(tmp_path):
    path = write_project(tmp_path, PERF.format(candidate="same", extra=""))
    first, _ = run_check(load_config(path), use_cache=True)
    second, _ = run_check(load_config(path), use_cache=True)
    assert second.suites[0].cached == {"baseline": 0, "candidate": 0}
    assert second.suites[0].performance.levels[0].baseline.requests == 200
    cache = tmp_path / ".bouclier" / "cache-v1.sqlite"
    if cache.exists():  # opened by the run for quality suites; nothing of this suite went in
        with sqlite3.connect(cache) as db:
            assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0


def test_reports_show_percentiles_and_cdf(tmp_path):
    path = write_project(tmp_path, PERF.format(candidate="slow", extra=""))
    r = bouclier("check", "-o", "out", cwd=path.parent)
    assert r.returncode == 1, r.stderr
    assert "latency p95 (ms)" in r.stderr and "throughput (req/s)" in r.stderr
    md = (path.parent / "out" / "report.md").read_text()
    assert "### Performance: speed" in md and "| latency p99 (ms) |" in md
    data = json.loads((path.parent / "out" / "result.json").read_text())
    assert data["schema_version"] == 1
    assert len(data["suites"][0]["performance"]["levels"][0]["candidate"]["latency_ms"]["cdf"]) == 101
