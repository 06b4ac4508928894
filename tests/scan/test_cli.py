import json
import subprocess
import sys
from pathlib import Path

import pytest

from bouclier.cli import main
from tests.detectors.fakes import POSITIVES


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


@pytest.fixture()
def project(tmp_path):
    body, values = POSITIVES["aws"]()
    (tmp_path / "deploy.py").write_text(body)
    (tmp_path / "clean.py").write_text("print('hello')\n")
    return tmp_path, values


def test_exit_codes(project, capsys):
    root, values = project
    assert run(["scan", str(root / "clean.py")], capsys)[0] == 0
    code, out, _ = run(["scan", str(root)], capsys)
    assert code == 1 and "deploy.py" in out
    for v in values:
        assert v not in out


def test_write_baseline_then_clean(project, capsys, tmp_path_factory):
    root, values = project
    bl = tmp_path_factory.mktemp("b") / "bl.json"
    assert run(["scan", str(root), "--write-baseline", str(bl)], capsys)[0] == 0
    assert run(["scan", str(root), "--baseline", str(bl)], capsys)[0] == 0


def test_malformed_baseline_exits_2_with_one_clear_line(project, capsys, tmp_path_factory):
    root, _ = project
    bl = tmp_path_factory.mktemp("b") / "bl.json"
    bl.write_text("{oops")
    code, _, err = run(["scan", str(root), "--baseline", str(bl)], capsys)
    assert code == 2 and "bl.json" in err and "not valid JSON" in err and "Traceback" not in err


def test_bad_size_and_bad_format_exit_2(project, capsys):
    root, _ = project
    assert run(["scan", str(root), "--max-file-size", "huge"], capsys)[0] == 2
    assert run(["scan", str(root), "--format", "xml"], capsys)[0] == 2


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_to_output_file(project, capsys, tmp_path_factory, fmt):
    root, values = project
    out = tmp_path_factory.mktemp("o") / f"report.{fmt}"
    code, stdout, err = run(["scan", str(root), "--format", fmt, "--output", str(out)], capsys)
    assert code == 1 and stdout == "" and "1 new finding" in err or "new finding" in err
    text = out.read_text()
    json.loads(text)
    for v in values:
        assert v not in text


def test_console_script_entry_point(project):
    root, _ = project
    proc = subprocess.run([sys.executable, "-m", "bouclier", "scan", str(root / "clean.py")],
                          capture_output=True, text=True, env={"PYTHONPATH": str(Path(__file__).parents[2] / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
