"""Client-side CPU time per request: aiohttp vs httpx (why the HTTP adapters use aiohttp).

    python benchmarks/http_client_cpu.py            # default: 2000 requests per cell, 3 rounds

A fast OpenAI-like JSON server runs in a separate process (its CPU is not counted). In
this process each client sends the same chat-completion POST (JSON body, JSON answer
parsed, content read) ``--requests`` times at concurrency 1, 8 and 32; the process CPU
time (``time.process_time``: user + system, all threads) is divided by the number of
requests. Cells are interleaved (round by round, client order alternating) so that a
change in machine load affects both clients alike; the median over rounds is reported.

httpx is measured as installed: without the ``sniffio`` package (optional for anyio 4)
httpcore retries ``import sniffio`` on every lock it takes, which costs httpx much CPU;
the header line says whether it was importable (``pip install sniffio`` for the fair
comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import subprocess
import sys
import time

ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": "bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris is the capital."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }
).encode()
BODY = json.dumps(
    {
        "model": "bench",
        "messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0,
    }
).encode()
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench"}


# ---------------------------------------------------------------------------- server
def serve(port: int) -> None:
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ---------------------------------------------------------------------------- clients
async def run_aiohttp(url: str, n: int, concurrency: int) -> tuple[float, float]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), headers=HEADERS) as session:

        async def one() -> None:
            async with session.post(url, data=BODY) as resp:
                doc = json.loads(await resp.read())
                assert resp.status == 200 and doc["choices"][0]["message"]["content"]

        return await _drive(one, n, concurrency)


async def run_httpx(url: str, n: int, concurrency: int) -> tuple[float, float]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, headers=HEADERS, timeout=None) as client:

        async def one() -> None:
            resp = await client.post(url, content=BODY)
            doc = json.loads(resp.content)
            assert resp.status_code == 200 and doc["choices"][0]["message"]["content"]

        return await _drive(one, n, concurrency)


async def _drive(one, n: int, concurrency: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for n calls of ``one`` by ``concurrency`` workers,
    after a warm-up that opens the connections."""
    await asyncio.gather(*(one() for _ in range(concurrency * 4)))
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu0, time.perf_counter() - wall0


CLIENTS = {"aiohttp": run_aiohttp, "httpx": run_httpx}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000, help="requests per cell and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return

    import aiohttp
    import httpx

    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the benchmark server did not start")
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        cells: dict[tuple[str, int], list[tuple[float, float]]] = {}
        for r in range(args.rounds):
            order = list(CLIENTS) if r % 2 == 0 else list(reversed(CLIENTS))
            for conc in args.concurrency:
                for name in order:
                    cpu, wall = asyncio.run(CLIENTS[name](url, args.requests, conc))
                    cells.setdefault((name, conc), []).append((cpu, wall))
    finally:
        server.terminate()
        server.wait(timeout=10)

    def med(name: str, conc: int, i: int) -> float:
        return statistics.median(c[i] for c in cells[(name, conc)])

    try:
        import sniffio  # noqa: F401

        sniffio_note = "sniffio installed"
    except ImportError:  # httpcore then retries 'import sniffio' on every lock: slower
        sniffio_note = "sniffio NOT installed (httpcore re-tries the import per request)"
    print(f"# {platform.python_version()} {platform.machine()} | aiohttp {aiohttp.__version__}, "
          f"httpx {httpx.__version__} ({sniffio_note})")
    print(f"# {args.requests} requests per cell, median of {args.rounds} interleaved rounds; server in another process")
    print("| concurrency | aiohttp CPU/req (us) | httpx CPU/req (us) | httpx / aiohttp | aiohttp req/s | httpx req/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    n = args.requests
    for conc in args.concurrency:
        a_cpu, h_cpu = med("aiohttp", conc, 0) / n * 1e6, med("httpx", conc, 0) / n * 1e6
        a_rps, h_rps = n / med("aiohttp", conc, 1), n / med("httpx", conc, 1)
        print(f"| {conc} | {a_cpu:.0f} | {h_cpu:.0f} | {h_cpu / a_cpu:.2f}x | {a_rps:.0f} | {h_rps:.0f} |")


if __name__ == "__main__":
    main()
