"""compare, watch, lifecycle trend/report through the real CLI (subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

MODELS = '''
def right(text):
    return text.split(":")[1].strip()

def half(text):
    label = text.split(":")[1].strip()
    return "nope" if int(label[1:]) % 2 else label
'''

CONFIG = '''
models:
  base: {adapter: python, target: "lccli_models:right", version: v1}
  twin: {adapter: python, target: "lccli_models:right", version: v2}
  bad: {adapter: python, target: "lccli_models:half", version: v3}
  free: {adapter: python, target: "lccli_models:right", version: v4}
baseline: base
candidate: twin
registry: {model: clf}
suites:
  - name: labels
    dataset: cases.jsonl
    input: "label: {{label}}"
    expected: label
    id_field: id
    scorers: [exact_match]
    criteria:
      - {metric: exact_match, kind: non_inferiority, margin: 0.05}
  - name: speed
    kind: performance
    dataset: cases.jsonl
    input: "label: {{label}}"
    load: {requests: 40, warmup: 0, block_size: 10}
    criteria:
      - {kind: error_rate, max_rate: 0.5}
lifecycle:
  prices: {base: {per_1k_requests: 1.0}, twin: {per_1k_requests: 0.5}, bad: {per_1k_requests: 0.1}}
  max_cost_per_1k_requests: 0.8
'''


def bouclier(*args, cwd):
    env = {**os.environ, "PYTHONPATH": SRC, "BOUCLIER_ACTOR": "tester"}
    env.pop("BOUCLIER_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "bouclier", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def project(tmp_path):
    (tmp_path / "lccli_models.py").write_text(MODELS)
    (tmp_path / "bouclier.yaml").write_text(CONFIG)
    with (tmp_path / "cases.jsonl").open("w") as fh:
        for i in range(300):
            fh.write(json.dumps({"id": f"c{i}", "label": f"l{i}"}) + "\n")
    return tmp_path


def test_compare_recommends_the_cheaper_twin_and_says_free_is_unpriced(tmp_path):
    p = project(tmp_path)
    r = bouclier("compare", "--json", cwd=p)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["recommended"] == "twin"
    reasons = " ".join(data["reasons"])
    assert "bad: not non-inferior" in reasons and "free: non-inferior, but cost unknown" in reasons
    assert "recommended: twin" in r.stderr
    # p95 latency is the performance suite's: every priced option is placed on the front
    options = {o["name"]: o for o in data["options"]}
    assert all(o["measures"]["latency_note"].startswith("performance suite 'speed', concurrency 1, 40 requests")
               for o in options.values())
    assert options["twin"]["on_front"] is not None and options["free"]["on_front"] is None


def test_watch_trend_report_and_deprecation_warning(tmp_path):
    p = project(tmp_path)
    assert bouclier("check", "--record", "-o", "o", cwd=p).returncode == 0  # registers v1 and v2
    r = bouclier("registry", "promote", "clf", "v2", "--to", "production", cwd=p)
    assert r.returncode == 0, r.stderr
    r = bouclier("watch", cwd=p)
    assert r.returncode == 0, r.stderr
    assert "watched clf@v2" in r.stderr and "recorded as run" in r.stderr
    r = bouclier("lifecycle", "trend", "--json", cwd=p)
    assert r.returncode == 0, r.stderr
    points = json.loads(r.stdout)["points"]
    assert [pt["origin"] for pt in points] == [None, "watch"] and points[1]["version"] == "v2"
    assert all(pt["values"]["latency_p95_s"] > 0 for pt in points)  # the performance suite's, each run
    r = bouclier("lifecycle", "report", cwd=p)
    assert r.returncode == 0, r.stderr
    assert "clf@v1 (candidate): REPLACE" in r.stderr
    assert "cost 1 per 1k requests above the policy's 0.8; measured replacement: clf@v2" in r.stderr
    assert bouclier("registry", "deprecate", "clf", "v1", "--retire-after", "2020-01-01", cwd=p).returncode == 0
    r = bouclier("check", "-o", "o2", cwd=p)
    assert "warning: the baseline clf@v1 is deprecated" in r.stderr
    r = bouclier("lifecycle", "report", "ghost", cwd=p)
    assert r.returncode == 2 and "ghost" in r.stderr and "Traceback" not in r.stderr
