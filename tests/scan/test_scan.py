import json
import os
import pickle
from pathlib import Path

import pytest

from bouclier.errors import UsageError
from bouclier.scan import load_baseline, render_json, render_sarif, render_text, scan_paths, write_baseline
from tests.detectors.fakes import POSITIVES


class RunsShell:
    def __reduce__(self):
        return (os.system, ("echo harmless",))


@pytest.fixture()
def tree(tmp_path: Path):
    """A small project: a leaked key, an allowed one, an ignored one, a poisoned pickle and
    every bad input the issue lists."""
    body, values = POSITIVES["github"]()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text("import os\n" + body)
    allowed_body, allowed_values = POSITIVES["stripe"]()
    (tmp_path / "app" / "tests_fixture.py").write_text(allowed_body.rstrip("\n") + "  # bouclier: allow\n")
    ignored_body, ignored_values = POSITIVES["db_url_psycopg2"]()
    (tmp_path / ".gitignore").write_text("secrets.env\nbuild/\n")
    (tmp_path / "secrets.env").write_text(ignored_body)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.py").write_text(ignored_body)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(RunsShell(), protocol=4))
    (tmp_path / "truncated.pkl").write_bytes(pickle.dumps({"a": list(range(30))}, protocol=4)[:15])
    (tmp_path / "weights.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 password".encode("latin-1"))
    (tmp_path / "big.log").write_text("x" * 5000)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    unreadable = tmp_path / "private.txt"
    unreadable.write_text(body)
    unreadable.chmod(0)
    yield tmp_path, {"leaked": values, "allowed": allowed_values, "ignored": ignored_values}
    unreadable.chmod(0o644)


def test_scan_reports_findings_and_every_skip_with_a_reason(tree):
    root, values = tree
    report = scan_paths([root], max_file_size=4096)
    rules = sorted(f.rule_id for f in report.findings)
    assert "betterleaks.github-pat" in rules
    assert "pickle.dangerous-import" in rules
    assert "pickle.unreadable" in rules  # the truncated pickle
    assert [f.rule_id for f in report.allowed] and all("stripe" in f.rule_id for f in report.allowed)
    paths = {Path(f.location.path).name for f in report.findings}
    assert "secrets.env" not in paths and "out.py" not in paths  # .gitignore honoured
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["image.png"] == "binary file"
    assert reasons["latin1.txt"].startswith("invalid UTF-8")
    assert reasons["big.log"].startswith("over the size limit")
    assert reasons["dangling"] == "broken symlink"
    if os.geteuid() != 0:  # root reads mode-000 files
        assert reasons["private.txt"].startswith("unreadable")


def test_gitignore_can_be_turned_off(tree):
    root, _ = tree
    report = scan_paths([root], respect_gitignore=False, max_file_size=4096)
    assert "secrets.env" in {Path(f.location.path).name for f in report.findings}


def test_missing_path_is_reported(tmp_path):
    report = scan_paths([tmp_path / "absent"])
    assert report.skipped[0].reason == "no such file or directory"


def test_no_output_format_contains_a_full_secret(tree):
    root, values = tree
    report = scan_paths([root], max_file_size=4096)
    outputs = [render_text(report), render_json(report), render_sarif(report)]
    for secret in values["leaked"] + values["allowed"] + values["ignored"]:
        for out in outputs:
            assert secret not in out
            assert secret[4:14] not in out


def test_baseline_round_trip(tree, tmp_path_factory):
    root, _ = tree
    first = scan_paths([root], max_file_size=4096)
    bl = tmp_path_factory.mktemp("bl") / "baseline.json"
    assert write_baseline(bl, first.findings) == len({f.fingerprint for f in first.findings})
    text = bl.read_text()
    for secret in tree[1]["leaked"]:
        assert secret not in text
    second = scan_paths([root], baseline=bl, max_file_size=4096)
    assert second.clean and len(second.baselined) == len(first.findings)


@pytest.mark.parametrize(
    "content,expected",
    [
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"bouclier_baseline": 99, "findings": []}', "bouclier_baseline"),
        ('{"bouclier_baseline": 1, "findings": {}}', "findings"),
        ('{"bouclier_baseline": 1, "findings": [{"fingerprint": "ghp_notahash"}]}', "findings[0].fingerprint"),
    ],
)
def test_malformed_baseline_is_a_usage_error(tmp_path, content, expected):
    bl = tmp_path / "baseline.json"
    bl.write_text(content)
    with pytest.raises(UsageError) as exc:
        load_baseline(bl)
    assert expected in str(exc.value) and "baseline.json" in str(exc.value)


def test_missing_baseline_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        scan_paths([tmp_path], baseline=tmp_path / "nope.json")


def test_json_format_is_versioned(tree):
    root, _ = tree
    data = json.loads(render_json(scan_paths([root], max_file_size=4096)))
    assert data["bouclier_scan"] == 1
    assert data["summary"]["new_findings"] == len(data["findings"]) > 0


def test_progress_is_called_for_every_file(tree):
    root, _ = tree
    calls = []
    scan_paths([root], progress=lambda done, total, path: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] == len(calls)


def test_nested_gitignore_and_negation(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / ".gitignore").write_text("*.cfg\n!keep.cfg\n")
    body, _ = POSITIVES["password_literal"]()
    (tmp_path / "pkg" / "drop.cfg").write_text(body)
    (tmp_path / "pkg" / "keep.cfg").write_text(body)
    names = {Path(f.location.path).name for f in scan_paths([tmp_path]).findings}
    assert names == {"keep.cfg"}


def test_repository_root_gitignore_applies_when_scanning_a_subdirectory(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*.secret.py\n")
    sub = tmp_path / "services" / "api"
    sub.mkdir(parents=True)
    body, _ = POSITIVES["password_literal"]()
    (sub / "local.secret.py").write_text(body)
    (sub / "settings.py").write_text(body)
    names = {Path(f.location.path).name for f in scan_paths([sub]).findings}
    assert names == {"settings.py"}
    # named explicitly, an ignored file is scanned
    assert scan_paths([sub / "local.secret.py"]).findings


def test_symlink_to_directory_is_not_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    report = scan_paths([tmp_path])
    assert {s.reason for s in report.skipped} == {"symlink to a directory (not followed)"}
