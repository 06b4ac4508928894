"""``bouclier db | registry | audit``: exit codes, one-line errors, nothing written on bad input."""

from __future__ import annotations

import hashlib
import json

import pytest
from registry_backends import count, result

from bouclier.cli import main


@pytest.fixture
def cli(db_url, capsys, monkeypatch):
    monkeypatch.setenv("BOUCLIER_DATABASE_URL", db_url)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, " ".join(out.err.split())  # rich wraps long lines at 80 columns

    return run


def _events(db_url) -> int:
    from bouclier.registry import open_registry

    with open_registry(db_url) as reg:
        return count(reg, "audit_event")


def test_happy_path_and_exit_codes(cli, db_url, tmp_path):
    assert cli("db", "upgrade")[0] == 0
    code, out, _ = cli("db", "current")
    assert code == 0 and "up to date" in out
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    cfg = tmp_path / "bouclier.yaml"
    cfg.write_text("models:\n  clf:\n    adapter: openai\n    base_url: http://127.0.0.1:9/v1\n"
                   "    model: m\n    api_key: sk-should-not-be-stored\n")
    assert cli("registry", "register", "clf", "v1", "--config", str(cfg), "--artifact", str(weights),
               "--git-commit", "abc123", "--meta", "team=nlp")[0] == 0
    assert cli("registry", "promote", "clf", "v1")[0] == 0
    assert cli("registry", "register", "clf", "v2")[0] == 0
    code, _, err = cli("registry", "promote", "clf", "v2", "--config-digest", "cfg1")
    assert code == 1 and "refused" in err and "--override" in err
    res = tmp_path / "result.json"
    res.write_text(json.dumps(result("run-1")))
    assert cli("registry", "record", str(res), "--candidate", "clf@v2", "--baseline", "clf@production")[0] == 0
    assert cli("registry", "approve", "clf", "v2", "--actor", "alice")[0] == 0
    code, _, err = cli("registry", "promote", "clf", "v2", "--config-digest", "cfg1", "--required-approvals", "2")
    assert code == 1 and "requires 2 distinct approver(s), it has 1 (alice)" in err
    code, _, err = cli("registry", "promote", "clf", "v2", "--config-digest", "cfg1")
    assert code == 0 and "clf@v2 is now production" in err
    assert cli("registry", "alias", "clf", "stable", "v2")[0] == 0
    assert cli("registry", "deprecate", "clf", "v1", "--retire-after", "2030-01-01")[0] == 0
    assert cli("registry", "retire", "clf", "v1")[0] == 0
    code, out, _ = cli("registry", "list", "--json")
    assert code == 0 and json.loads(out)[0]["production"] == "v2"
    note = tmp_path / "note.md"
    assert cli("registry", "release-note", "clf", "v2", "-o", str(note))[0] == 0
    assert "gate PASS (run run-1 vs clf@v1" in note.read_text()
    code, out, _ = cli("audit", "log", "--kind", "version.promoted", "--json")
    assert code == 0 and [json.loads(x)["payload"]["version"] for x in out.splitlines()] == ["v1", "v2"]
    assert cli("audit", "export", str(tmp_path / "a.jsonl"))[0] == 0
    code, _, err = cli("audit", "verify")
    assert code == 0 and "audit chain OK" in err
    code, out, _ = cli("registry", "show", "clf", "--json")
    assert code == 0 and json.loads(out)["production"]["label"] == "v2"
    from bouclier.registry import open_registry

    with open_registry(db_url) as reg:
        v1 = reg.get_version("clf", "v1")
    assert v1.adapter_spec["api_key"] == "[redacted]" and v1.adapter_spec["model"] == "m"
    assert v1.artifacts == {str(weights): hashlib.sha256(b"w").hexdigest()}
    assert v1.git_commit == "abc123" and v1.metadata == {"team": "nlp"} and v1.stage == "retired"


def test_show_fits_one_screen(cli, db_url):
    from bouclier.registry import open_registry

    with open_registry(db_url) as reg:
        for i in range(30):
            reg.register_model_version("clf", f"v{i}")
        reg.promote("clf", "v0")
        for i in range(12, 29):
            reg.record_gate_run(result=result(f"r{i}", "FAIL" if i % 3 else "PASS"),
                                baseline=("clf", "v0"), candidate=("clf", f"v{i}"))
        reg.record_gate_run(result=result("r-ok"), baseline=("clf", "v0"), candidate=("clf", "v29"))
        reg.promote("clf", "v29", config_digest="cfg1")
        for i in range(1, 12):
            reg.deprecate("clf", f"v{i}")
    code, out, _ = cli("registry", "show", "clf")
    lines = out.splitlines()
    assert code == 0 and len(lines) <= 24, out
    assert "production  v29 since" in out and "gate PASS (run r-ok vs clf@v0" in out
    assert "pending" in out and "v26" in out and "FAIL vs clf@v0 (r26" in out
    assert "PASS vs clf@v0 (r27" in out and "and 9 older pending version(s)" in out
    assert "deprecated  v11, v10, v9, v8, v7, v6 +6" in out


@pytest.mark.parametrize("args, message", [
    (("registry", "promote", "clf", "v1", "--override"), "--override needs --reason"),
    (("registry", "promote", "clf", "v9", "--override", "--reason", "x"), "no version or alias named 'v9'"),
    (("registry", "promote", "nope", "v1"), "model 'nope' is not in the registry"),
    (("registry", "alias", "clf", "a", "alias:b"), "no version or alias named 'b'"),
    (("registry", "alias", "clf", "b", "alias:b"), "alias loop b -> b"),
    (("registry", "deprecate", "clf", "v1", "--retire-after", "soon"), "expected a date YYYY-MM-DD"),
    (("registry", "register", "clf", "v2", "--artifact", "/nonexistent/w.bin"), "artifact not found"),
    (("registry", "register", "clf", "v2", "--meta", "novalue"), "expected KEY=VALUE"),
    (("registry", "record", "/nonexistent/result.json", "--candidate", "clf@v1"), "cannot read"),
    (("registry", "record", "{result}", "--candidate", "clf"), "expected MODEL@VERSION"),
    (("registry", "promote", "clf", "v1", "--to", "qa"), "--to 'qa'"),
    (("audit", "log", "--since", "last tuesday"), "expected an ISO date"),
])
def test_bad_input_exits_2_and_writes_nothing(cli, db_url, tmp_path, args, message):
    assert cli("registry", "register", "clf", "v1")[0] == 0
    res = tmp_path / "result.json"
    res.write_text(json.dumps(result("r1")))
    args = tuple(a.replace("{result}", str(res)) for a in args)
    before = _events(db_url)
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    assert message in err, err
    assert "Traceback" not in err
    assert _events(db_url) == before


def test_wrong_url_and_newer_database(cli, db_url, monkeypatch):
    code, _, err = cli("registry", "list", "--db", "postgresql+psycopg://u:pa55word@127.0.0.1:1/x")
    assert code == 2 and "on host 127.0.0.1:1" in err and "pa55word" not in err and "Traceback" not in err
    assert cli("db", "upgrade")[0] == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE bouclier_schema_version SET version_num = '0042_newer'"))
    engine.dispose()
    for args in (("db", "current"), ("db", "upgrade"), ("registry", "list")):
        code, _, err = cli(*args)
        assert code == 2 and "'0042_newer' was written by a newer bouclier" in err


def test_audit_verify_exit_1_on_tampering(cli, db_url):
    assert cli("registry", "register", "clf", "v1")[0] == 0
    assert cli("registry", "register", "clf", "v2")[0] == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    code, _, err = cli("audit", "verify")
    assert code == 1 and "BROKEN at event seq 2 (modified)" in err


def test_every_command_has_help(cli):
    from bouclier.cli.audit import audit_app
    from bouclier.cli.db import db_app
    from bouclier.cli.registry import registry_app

    for group in (db_app, registry_app, audit_app):
        for command in group.registered_commands:
            assert (command.callback.__doc__ or "").strip(), command.name
