"""Bad ``rollout.prometheus`` sections: file, line, key and what to do; `bouclier
serve-analysis` exits 2 without a traceback. (Runs without the prometheus binary.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bouclier.errors import ConfigError
from bouclier.rollout.plan import load_rollout_config
from bouclier.rollout.prometheus import DEFAULTS, PrometheusConfig

ROOT = Path(__file__).resolve().parents[2]
HEAD = """\
rollout:
  model: clf
  rollout_id: r
"""


@pytest.mark.parametrize("body, line, key, words", [
    ("""\
     analysis_source: prometheus
     """, 1, "rollout", "analysis_source is prometheus but there is no prometheus: section"),
    ("""\
     prometheus:
       url: prometheus:9090
     """, 5, "rollout.prometheus.url", "expected an http:// or https:// URL with a host"),
    ("""\
     prometheus:
       url: http://127.0.0.1:9090
       requests: sum(increase(requests_total{pod="$pod"}[$window]))
     """, 6, "rollout.prometheus.requests", "unknown variable $pod: the variables are $variant, $identity"),
    ("""\
     prometheus:
       url: http://127.0.0.1:9090
       metrics:
         latency:
           count: sum(x)
           total: sum(y)
     """, 8, "rollout.prometheus.metrics.latency.count", "unknown key"),
    ("""\
     prometheus:
       url: http://127.0.0.1:9090
       metrics:
         refusal_rate:
           query: sum(x)
     """, 8, "rollout.prometheus.metrics.refusal_rate.query", "unknown key"),
    ("""\
     prometheus:
       url: http://127.0.0.1:9090
       metrics:
         latencyy: {query: sum(x)}
     """, 7, "rollout.prometheus.metrics.latencyy", "unknown key"),
    ("""\
     prometheus:
       url: http://127.0.0.1:9090
       metrics:
         error_rate: {count: sum(x), total: sum(y)}
     """, 6, "rollout.prometheus.metrics", "error_rate is read as prometheus.errors out of prometheus.requests"),
    ("""\
     prometheus:
       url: http://127.0.0.1:9090
       metrics:
         latency: {query: 'sum(x) * $ 2', step_s: 0}
     """, 7, "rollout.prometheus.metrics.latency.query", "a '$' that starts no variable"),
])
def test_bad_prometheus_sections_name_file_line_and_key(tmp_path, body, line, key, words):
    path = tmp_path / "rollout.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(body), "  "))
    with pytest.raises(ConfigError) as err:
        load_rollout_config(path)
    problems = err.value.problems
    assert any(p.key == key and p.line == line and words in p.message for p in problems), str(err.value)
    if line == 8:  # the command itself, on a few of them (a process start each)
        proc = serve_analysis(path, tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr


def serve_analysis(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bouclier", "serve-analysis", "--config", str(path),
                           "--db", f"sqlite:///{tmp_path / 'b.db'}"], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, timeout=60)


def test_a_missing_token_is_a_usage_error(tmp_path):
    path = tmp_path / "rollout.yaml"
    path.write_text(HEAD + "  prometheus:\n    url: http://127.0.0.1:9090\n    headers_env: {Authorization: PROM_TOKEN}\n")
    proc = serve_analysis(path, tmp_path)
    assert proc.returncode == 2 and "environment variable PROM_TOKEN is not set" in proc.stderr, proc.stderr


def test_defaults_cover_every_metric_the_router_exports():
    config = PrometheusConfig(url="http://127.0.0.1:9090")
    assert set(DEFAULTS) | {"error_rate"} >= {"latency", "ttft", "timeout_rate", "refusal_rate", "secret_leak",
                                              "canary_token_leak", "negative_feedback_rate", "cost"}
    assert config.query("latency").step_s == 60 and "$window" in config.query("refusal_rate").count


def test_the_documented_prometheus_example_loads(tmp_path):
    doc = (ROOT / "docs" / "rollout.md").read_text()
    section = doc[doc.index("### Signals from Prometheus"):]
    example = section[section.index("```yaml\n") + 8:section.index("```\n", section.index("```yaml\n") + 8)]
    path = tmp_path / "rollout.yaml"
    path.write_text(example)
    plan = load_rollout_config(path).config
    assert plan.analysis_source == "prometheus" and plan.prometheus.query("latency").step_s == 30
    assert '$rollout' in plan.prometheus.query("secret_leak").count
