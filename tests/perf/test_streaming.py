"""Time to first token and decode speed measured against the real local streaming
OpenAI-compatible test server (uvicorn on 127.0.0.1)."""

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from bouclier.check import run_check
from bouclier.config import load_config
from bouclier.errors import InfrastructureError, UsageError
from bouclier.gate.result import Verdict
from tests.perf.project import write_project
from tests.servers.fixtures import serve_app
from tests.servers.openai_app import make_app

STREAM = '''
models:
  base: {{adapter: openai, base_url: "{base}/v1", model: m, stream: true,
         cost: {{input_usd_per_million: 1.0, output_usd_per_million: 4.0}}}}
  cand: {{adapter: openai, base_url: "{cand}/v1", model: m, stream: {stream},
         cost: {{input_usd_per_million: 1.0, output_usd_per_million: 4.0}}}}
baseline: base
candidate: cand
suites:
  - name: stream
    kind: performance
    dataset: cases.jsonl
    input: "{{{{text}}}}"
    load: {{requests: 60, warmup: 2, block_size: 5, concurrency: 5}}
    criteria:
      - {{kind: ttft, percentile: 50, max_increase: 0.2, max_ms: 2000}}
      - {{kind: tokens_per_s, percentile: 50, max_decrease: 0.2}}
      - {{kind: cost, max_increase: 0.05}}
run: {{seed: 0, bootstrap_resamples: 1000, timeout_s: 10}}
'''


def test_ttft_and_tokens_per_s_against_a_streaming_server(tmp_path):
    with serve_app(make_app(chunk_delay_s=0.005)) as fast, serve_app(make_app(chunk_delay_s=0.04)) as slow:
        path = write_project(tmp_path, STREAM.format(base=fast, cand=slow, stream="true"))
        result, _ = run_check(load_config(path), use_cache=False)
    by = {(c.kind, c.threshold): c for c in result.criteria}
    ratio = by[("ttft", 1.2)]
    assert ratio.verdict is Verdict.FAIL, ratio.reason
    # the server sleeps chunk_delay_s before its first chunk
    assert 5 <= ratio.baseline_value < ratio.candidate_value and ratio.candidate_value >= 40
    assert by[("ttft", 2000)].verdict is Verdict.PASS
    assert by[("tokens_per_s", 0.8)].verdict is Verdict.FAIL
    level = result.suites[0].performance.levels[0]
    assert level.candidate.ttft_ms.p50 < level.candidate.latency_ms.p50
    assert 40 < level.baseline.tokens_per_s.p50 and level.candidate.tokens_per_s.p50 < 30
    cost = result.suites[0].cost  # usage comes from the final stream chunk
    assert cost.baseline.known and cost.baseline.token_source == "usage" and cost.candidate.usd_per_1k > 0
    assert [c.verdict for c in result.criteria if c.kind == "cost"] == [Verdict.PASS]


def test_stream_flag_on_a_server_that_does_not_stream(tmp_path):
    async def plain(request):
        await request.json()  # ignores "stream": answers one JSON document
        return JSONResponse({"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 1,
                                                                                   "completion_tokens": 1}})

    app = Starlette(routes=[Route("/v1/chat/completions", plain, methods=["POST"])])
    with serve_app(make_app()) as good, serve_app(app) as flat:
        path = write_project(tmp_path, STREAM.format(base=good, cand=flat, stream="true"))
        with pytest.raises(InfrastructureError, match="does not stream, set stream: false"):
            run_check(load_config(path), use_cache=False)


def test_streaming_criteria_on_a_non_streaming_model(tmp_path):
    path = write_project(tmp_path, STREAM.format(base="http://127.0.0.1:9", cand="http://127.0.0.1:9",
                                                 stream="false"))
    with pytest.raises(UsageError) as exc:
        run_check(load_config(path), use_cache=False)
    messages = [p.message for p in exc.value.problems]
    assert any("criterion 'ttft' needs a streaming chat model, but candidate 'cand' is an openai model without "
               "stream: true" in m for m in messages), messages
    assert any("tokens_per_s" in m for m in messages)
