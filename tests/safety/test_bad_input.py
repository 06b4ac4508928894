"""Bad safety configuration and probe files: one clear error each, exit 2, no traceback
(through the real CLI, ``bouclier validate``, which reads everything without calling a model)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

CONFIG = """
models:
  a: {{adapter: openai, base_url: "http://127.0.0.1:9/v1", model: a}}
  b: {{adapter: openai, base_url: "http://127.0.0.1:9/v1", model: b}}
baseline: a
candidate: b
suites:
  - name: safety
    kind: safety
{suite}
"""


class Outcome:
    def __init__(self, returncode: int, stderr: str):
        self.returncode, self.stderr = returncode, stderr


def validate(tmp_path, suite: str, files: dict[str, str] | None = None, *, cli: bool = False):
    """``bouclier validate`` in-process (``cli=True``: through the real CLI in a subprocess)."""
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "bouclier.yaml").write_text(CONFIG.format(suite=textwrap.indent(textwrap.dedent(suite), "    ")))
    if not cli:
        from bouclier.check import plan_check
        from bouclier.config import load_config
        from bouclier.errors import BouclierError

        try:
            plan = plan_check(load_config(tmp_path / "bouclier.yaml"))
        except BouclierError as exc:
            return Outcome(exc.exit_code, "\n".join(str(p) for p in exc.problems))
        n = sum(len(sp.dataset.cases) for sp in plan.suites)
        crit = sum(len(sp.config.criteria) for sp in plan.suites)
        return Outcome(0, f"{n} cases, {crit} criteria")
    r = subprocess.run([sys.executable, "-m", "bouclier", "validate"], cwd=tmp_path, capture_output=True,
                       text=True, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_good_suite_validates(tmp_path):
    r = validate(tmp_path, "packs: [direct_injection, harmful]\nlanguages: [en, fr]\nper_family: 2\n", cli=True)
    assert r.returncode == 0, r.stderr
    assert "8 cases" in r.stderr and "2 criteria" in r.stderr


def test_probe_file_with_missing_field(tmp_path):
    rows = [{"id": "p1", "family": "harmful", "lang": "en", "prompt": "Do something bad."},
            {"id": "p2", "family": "harmful", "lang": "en"}]
    r = validate(tmp_path, "packs: [mine.jsonl]\n",
                 {"mine.jsonl": "\n".join(json.dumps(x) for x in rows) + "\n"}, cli=True)
    assert r.returncode == 2
    assert "mine.jsonl:2" in r.stderr and "field 'prompt' is missing" in r.stderr


def test_probe_file_with_unknown_family(tmp_path):
    row = {"id": "p1", "family": "telepathy", "lang": "en", "prompt": "Read my mind."}
    r = validate(tmp_path, "packs: [mine.jsonl]\n", {"mine.jsonl": json.dumps(row) + "\n"})
    assert r.returncode == 2 and "mine.jsonl:1" in r.stderr and "telepathy" in r.stderr


def test_unknown_family_in_the_suite(tmp_path):
    r = validate(tmp_path, "families: [jailbreaks]\n")
    assert r.returncode == 2 and "unknown family 'jailbreaks'" in r.stderr and "suites[0].families" in r.stderr


def test_language_a_pack_does_not_cover_is_named(tmp_path):
    row = {"id": "p1", "family": "harmful", "lang": "en", "prompt": "Do something bad."}
    r = validate(tmp_path, "packs: [mine.jsonl, harmful]\nlanguages: [en, fr]\n",
                 {"mine.jsonl": json.dumps(row) + "\n"})
    assert r.returncode == 2
    assert "lacks language 'fr'" in r.stderr and "mine.jsonl" in r.stderr and "it covers: en" in r.stderr


def test_unknown_language_and_judge(tmp_path):
    r = validate(tmp_path, "languages: [en, xx]\nrefusal_judge: {model: nobody}\n")
    assert r.returncode == 2
    assert "unknown language(s) 'xx'" in r.stderr and "judge model 'nobody' is not one of the models" in r.stderr


def test_rubric_without_placeholders_and_unknown_key(tmp_path):
    r = validate(tmp_path, "refusal_judge: {model: a, rubric: 'Is it a refusal?'}\npackz: [harmful]\n")
    assert r.returncode == 2
    assert "rubric must contain {prompt} and {answer}" in r.stderr and "packz" in r.stderr


def test_parity_reference_must_be_selected(tmp_path):
    r = validate(tmp_path, "packs: [harmful]\nlanguages: [fr, de]\n")
    assert r.returncode == 2 and "parity reference 'en' is not among the selected languages (de, fr)" in r.stderr


def test_mutators_need_harmful_probes(tmp_path):
    r = validate(tmp_path, "packs: [direct_injection]\nlanguages: [en]\nmutators: {wrappers: [roleplay]}\n")
    assert r.returncode == 2 and "mutators need harmful probes" in r.stderr


def test_unknown_wrapper(tmp_path):
    r = validate(tmp_path, "packs: [harmful]\nlanguages: [en]\nmutators: {wrappers: [dan_mode]}\n")
    assert r.returncode == 2 and "unknown wrapper 'dan_mode'" in r.stderr


def test_unknown_suite_kind(tmp_path):
    (tmp_path / "bouclier.yaml").write_text(CONFIG.format(suite="").replace("kind: safety", "kind: safetyy"))
    r = subprocess.run([sys.executable, "-m", "bouclier", "validate"], cwd=tmp_path, capture_output=True,
                       text=True, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert r.returncode == 2 and "unknown suite kind" in r.stderr and "Traceback" not in r.stderr


def test_example_config_plans_without_a_model():
    from bouclier.check import plan_check
    from bouclier.config import load_config

    plan = plan_check(load_config(Path(__file__).resolve().parents[2] / "examples/safety/bouclier.yaml"))
    (sp,) = plan.suites
    fams = {c.fields["family"] for c in sp.dataset.cases}
    assert fams == {"direct_injection", "prompt_extraction", "harmful", "over_refusal", "jailbreak"}
    assert len(sp.dataset.cases) == 18
