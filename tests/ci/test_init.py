"""`bouclier init`: every model type scaffolds a configuration that `validate` accepts;
existing files are never overwritten."""

import pytest
import yaml

from bouclier.cli import main
from bouclier.config import load_config
from bouclier.scaffold import ModelType, sample_rows


@pytest.mark.parametrize("kind", [t.value for t in ModelType])
def test_init_then_validate(tmp_path, capsys, kind):
    with pytest.raises(SystemExit) as exit_:
        main(["init", "--type", kind, "--dir", str(tmp_path)])
    assert exit_.value.code == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    expected = ["bouclier.yaml", "data/tickets.jsonl"] + (["ticket_model.py"] if kind == "python" else [])
    assert written == sorted(expected)
    text = (tmp_path / "bouclier.yaml").read_text()
    assert text.count("\n#") >= 5  # commented
    assert yaml.safe_load(text)["models"]["production"]["adapter"] == kind
    assert load_config(tmp_path / "bouclier.yaml").config.suites[0].group_by == "lang"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "-c", str(tmp_path / "bouclier.yaml")])
    assert exit_.value.code == 0, capsys.readouterr().err
    assert "160 cases, 2 criteria" in capsys.readouterr().err


def test_init_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "bouclier.yaml").write_text("mine\n")
    with pytest.raises(SystemExit) as exit_:
        main(["init", "--dir", str(tmp_path)])
    assert exit_.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "bouclier.yaml: already exists; bouclier init never overwrites a file" in err
    assert (tmp_path / "bouclier.yaml").read_text() == "mine\n"
    assert not (tmp_path / "data").exists()  # nothing written at all


def test_init_rejects_an_unknown_type(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["init", "--type", "grpc", "--dir", str(tmp_path)])
    assert exit_.value.code == 2 and not any(tmp_path.iterdir())


def test_sample_model_answers_every_sample_case(tmp_path, monkeypatch):
    main_ = pytest.raises(SystemExit)
    with main_:
        main(["init", "--dir", str(tmp_path)])
    monkeypatch.syspath_prepend(str(tmp_path))
    import ticket_model

    full, no_german = ticket_model.build(), ticket_model.build(languages=["en", "fr", "es"])
    rows = sample_rows()
    assert len(rows) == 160 and all(full(r["text"]) == r["intent"] for r in rows)
    assert all(no_german(r["text"]) != r["intent"] for r in rows if r["lang"] == "de")
