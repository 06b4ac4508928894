"""``bouclier check --record`` and ``--baseline production`` through the registry, on SQLite
and PostgreSQL, then the promotion policy that consumes the recorded evidence."""

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

MODELS = '''
def v1(text):
    return text.split(":")[1].strip()

def v2(text):
    return v1(text)

def v3(text):
    label = v1(text)
    return "nope" if label[-1] in "37" else label
'''

CONFIG = '''
registry: {model: labeller}
models:
  v1: {adapter: python, target: "gmodels:v1", version: "1.0"}
  v2: {adapter: python, target: "gmodels:v2", version: "2.0"}
  v3: {adapter: python, target: "gmodels:v3", version: "3.0"}
baseline: v1
candidate: v2
suites:
  - name: labels
    dataset: cases.jsonl
    input: "label: {{label}}"
    expected: label
    id_field: id
    scorers: [exact_match]
    criteria: [{metric: exact_match, kind: non_inferiority, margin: 0.05}]
'''


def bouclier(*args, cwd, db):
    env = {**os.environ, "PYTHONPATH": SRC, "BOUCLIER_DATABASE_URL": db, "BOUCLIER_ACTOR": "ci-bot"}
    return subprocess.run([sys.executable, "-m", "bouclier", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_record_resolve_production_and_promote(tmp_path, db_url):
    (tmp_path / "gmodels.py").write_text(MODELS)
    (tmp_path / "bouclier.yaml").write_text(CONFIG)
    (tmp_path / "cases.jsonl").write_text("".join(json.dumps({"id": f"c{i}", "label": f"l{i}"}) + "\n"
                                                  for i in range(200)))
    # A first recorded run registers both versions with their adapter specs (no secrets).
    r = bouclier("check", "--record", "-o", "o1", cwd=tmp_path, db=db_url)
    assert r.returncode == 0, r.stderr
    # v1 becomes production (the first production version needs no gate run).
    r = bouclier("registry", "promote", "labeller", "1.0", cwd=tmp_path, db=db_url)
    assert r.returncode == 0, r.stderr

    # A failing candidate is recorded, and its promotion refused with the reason.
    r = bouclier("check", "--baseline", "production", "--candidate", "v3", "--record", "-o", "o3", cwd=tmp_path, db=db_url)
    assert r.returncode == 1, r.stderr
    r = bouclier("registry", "promote", "labeller", "3.0", cwd=tmp_path, db=db_url)
    assert r.returncode == 1 and "FAIL" in r.stderr

    # --baseline production resolves the alias to 1.0's registered spec; --record links both versions.
    r = bouclier("check", "--baseline", "production", "--record", "-o", "o2", cwd=tmp_path, db=db_url)
    assert r.returncode == 0, r.stderr
    assert "recorded in the registry" in r.stderr
    result = json.loads((tmp_path / "o2" / "result.json").read_text())
    assert result["baseline"]["name"] == "production@1.0"

    r = bouclier("registry", "promote", "labeller", "2.0", cwd=tmp_path, db=db_url)
    assert r.returncode == 0, r.stderr
    show = bouclier("registry", "show", "labeller", cwd=tmp_path, db=db_url)
    assert "2.0" in show.stdout + show.stderr
    assert bouclier("audit", "verify", cwd=tmp_path, db=db_url).returncode == 0


def test_alias_without_registry_link_is_a_config_error(tmp_path, db_url):
    (tmp_path / "gmodels.py").write_text(MODELS)
    (tmp_path / "bouclier.yaml").write_text(CONFIG.replace("registry: {model: labeller}\n", ""))
    (tmp_path / "cases.jsonl").write_text(json.dumps({"id": "a", "label": "x"}) + "\n")
    r = bouclier("check", "--baseline", "production", cwd=tmp_path, db=db_url)
    assert r.returncode == 2 and "add `registry: {model: NAME}`" in r.stderr
