"""docs/tutorial.md works as written: its bash blocks run in order (the pip install is
replaced by this checkout's `bouclier` on PATH), its YAML edit is applied, and the gate
passes, then blocks the regression."""

import re
import subprocess

import yaml

from tests.reports.project import ROOT, bouclier_shim, env

TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")


def test_tutorial_runs_as_written(tmp_path):
    blocks = re.findall(r"```(bash|yaml)\n(.*?)```", TUTORIAL, flags=re.S)
    bouclier_shim(tmp_path / "bin")
    shell_env = env(PATH=f"{tmp_path / 'bin'}:{env()['PATH']}")
    cwd, codes = tmp_path, []
    for kind, body in blocks:
        if kind == "yaml":  # the edit of step 3: the candidate loses German
            edit = yaml.safe_load(body)
            config = cwd / "bouclier.yaml"
            doc = yaml.safe_load(config.read_text())
            assert set(edit) <= set(doc["models"])
            text = config.read_text()
            new_args = "{languages: [" + ", ".join(edit["next"]["args"]["languages"]) + "]}"
            text = re.sub(r"(  next:\n(?:    .*\n)*?    args: )\{[^}]*\}", lambda m: m.group(1) + new_args, text)
            config.write_text(text)
            assert yaml.safe_load(text)["models"]["next"] == edit["next"]
            continue
        lines = [line for line in body.splitlines() if line.strip() and "pip install" not in line]
        script = "\n".join(lines) + "\ncode=$?\npwd >&3\nexit $code\n"
        r = subprocess.run(["bash", "-c", f"exec 3>{tmp_path / 'cwd'}\n{script}"], cwd=cwd, env=shell_env,
                           capture_output=True, text=True, timeout=300)
        codes.append((lines, r.returncode, r.stderr[-2000:]))
        if r.returncode == 0:
            cwd = type(cwd)((tmp_path / "cwd").read_text().strip())
    outcome = [(lines[-1], code) for lines, code, _ in codes]
    assert [code for _, code in outcome] == [0, 0, 0, 1], codes
    assert "verdict: PASS" in codes[2][2] and "verdict: FAIL" in codes[3][2]
    quoted = re.search(r"```\nverdict: FAIL — (.*?)\n```", TUTORIAL).group(1)
    assert quoted in " ".join(codes[3][2].split())
    assert (cwd / "runs" / "no-german" / "report.html").is_file()
