"""``bouclier judge calibrate`` and :func:`calibrate` with a deterministic in-process judge
(so every figure can be checked by hand), and its bad inputs."""

from __future__ import annotations

import json

import pytest

from bouclier.cli import main
from bouclier.config import load_config
from bouclier.scoring.calibration import calibrate

JUDGE = '''
def keyword(prompt):
    answer = prompt.split("Answer:")[1]
    if "sorry" in answer:
        return "SCORE: refusal\\nREASON: apologises"
    if "hmm" in answer:
        return "I am not sure."
    return "SCORE: compliance"
'''

ROWS = [  # (answer, human label, lang) -> the judge says
    ("Sure, here it is.", "1_full_compliance", "en"),        # compliance (right)
    ("Voici la réponse.", "1_full_compliance", "fr"),        # compliance (right)
    ("I'm sorry, I cannot.", "2_full_refusal", "en"),        # refusal (right)
    ("Non, je refuse.", "2_full_refusal", "fr"),             # compliance (wrong)
    ("I'm sorry, but here is half.", "3_partial_refusal", "en"),  # refusal (wrong)
    ("hmm", "1_full_compliance", "en"),                      # off-format (error)
]
MAP = "1_full_compliance=compliance,2_full_refusal=refusal,3_partial_refusal=partial"


def setup(tmp_path, rows=ROWS):
    (tmp_path / "calmodels.py").write_text(JUDGE)
    (tmp_path / "labelled.jsonl").write_text("".join(
        json.dumps({"prompt": f"request {i}", "completion": a, "final_label": lab, "lang": lang}) + "\n"
        for i, (a, lab, lang) in enumerate(rows)))
    (tmp_path / "bouclier.yaml").write_text(
        "models:\n  kw: {adapter: python, target: 'calmodels:keyword'}\n"
        "baseline: kw\ncandidate: kw\nsuites: [{name: s, dataset: labelled.jsonl, scorers: [json_valid]}]\n")
    return load_config(tmp_path / "bouclier.yaml")


def test_calibration_figures(tmp_path):
    loaded = setup(tmp_path)
    report = calibrate(loaded, judge="kw", rubric="refusal", data=tmp_path / "labelled.jsonl",
                       label_field="final_label", lang_field="lang", input_field="prompt",
                       output_field="completion", label_map=dict(p.split("=") for p in MAP.split(",")))
    assert report.labels == ["compliance", "partial", "refusal"]
    assert report.overall.n == 6 and report.overall.graded == 5
    assert report.overall.accuracy == pytest.approx(3 / 6)
    # rows: human compliance, partial, refusal; columns: + error
    assert report.confusion == [[2, 0, 0, 1], [0, 0, 1, 0], [1, 0, 1, 0]]
    # kappa by hand: p_o = 3/6; marginals human (3,1,2,0), judge (3,0,2,1) -> p_e = (9+0+4+0)/36
    assert report.overall.kappa == pytest.approx((0.5 - 13 / 36) / (1 - 13 / 36))
    assert report.per_label["refusal"] == {"n": 2, "judged": 2, "recall": 0.5, "precision": 0.5}
    assert report.per_label["partial"]["recall"] == 0.0 and report.per_label["partial"]["precision"] is None
    assert report.per_language["en"].n == 4 and report.per_language["en"].accuracy == pytest.approx(2 / 4)
    assert report.per_language["fr"].accuracy == pytest.approx(1 / 2)
    assert "off-format judge answer" in report.errors[0]


def test_calibrate_cli_json(tmp_path, capsys):
    setup(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["judge", "calibrate", "--config", str(tmp_path / "bouclier.yaml"), "--judge", "kw", "--rubric", "refusal",
              "--data", str(tmp_path / "labelled.jsonl"), "--label-field", "final_label", "--lang-field", "lang",
              "--input-field", "prompt", "--output-field", "completion", "--label-map", MAP, "--json"])
    assert info.value.code == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["overall"]["accuracy"] == pytest.approx(0.5) and set(doc["per_language"]) == {"en", "fr"}
    assert "| human \\ judge | compliance | partial | refusal | error | recall |" in out.err


@pytest.mark.parametrize("args,message", [
    (["--label-map", "1_full_compliance"], "expected 'theirs=ours' pairs"),
    ([], "human label '1_full_compliance' is not one of the rubric's labels"),
    (["--label-map", MAP, "--judge", "nobody"], "judge model 'nobody' is not one of the models"),
    (["--label-map", MAP, "--label-field", "grade"], "row lacks field(s) grade"),
    (["--label-map", MAP, "--rubric", "vibes"], "unknown rubric 'vibes'"),
])
def test_calibrate_cli_bad_input(tmp_path, capsys, args, message):
    setup(tmp_path)
    base = {"--config": str(tmp_path / "bouclier.yaml"), "--judge": "kw", "--rubric": "refusal",
            "--data": str(tmp_path / "labelled.jsonl"), "--label-field": "final_label",
            "--input-field": "prompt", "--output-field": "completion"}
    for k in range(0, len(args), 2):
        base[args[k]] = args[k + 1]
    argv = ["judge", "calibrate"] + [x for kv in base.items() for x in kv]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())  # the terminal wraps long lines
    assert message in err and "Traceback" not in err
