"""Latency the canary router adds over direct calls, side by side with nginx in the same run.

    python benchmarks/router_latency.py [--seconds 5] [--rounds 3] [--rates 200,500]

Processes (all on 127.0.0.1): a fast upstream (an asyncio protocol parsed by httptools, a
fixed chat-completion JSON, listening on two ports: stable and canary), the router (``bouclier router``, 95/5 weights
keyed on X-User-Id, signals written to SQLite by its signal worker process, detectors on
10% of answers), a minimal aiohttp proxy under the same uvicorn (the stack's floor: no
assignment, signals or limits), nginx as the equivalent weighted proxy (``split_clients`` on the same header,
95%/5%, keep-alive upstreams, one worker) when installed, and the load generator: a
separate process sending an open-loop load at a fixed rate (keep-alive, with the router's
own lean client, garbage collector off during the measurement).

For each rate and round, the targets (direct, router, minimal, nginx) run in a shuffled order
for ``--seconds`` each; the added latency is the target's p50/p99 minus the direct p50/p99 of
the same round, and the medians over rounds are printed. CPU per 1,000 requests is the
proxy's CPU time (``/proc``: the router with its signal worker; for nginx its worker) over the
requests it served. The maximum rate is a closed loop of 64 concurrent requests for
``--seconds`` (the router's CPU counted until its worker has written every signal); the router's
requests per core is requests / its CPU seconds. The machine is shared: read the ratios to
nginx measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "Say hello to the benchmark."}]}).encode()
ANSWER = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello, benchmark! Nice to meet you."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 6, "completion_tokens": 7, "total_tokens": 13}}).encode()
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the router's signal worker)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0.0
    for p in [pid, *map(int, children)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    return total


# ----------------------------------------------------------------------------- roles


def run_upstream(ports: list[int]) -> None:
    """The fast local upstream: a fixed chat completion from an asyncio protocol parsed by
    httptools (keep-alive), the least CPU a Python upstream can take, so that it disturbs
    the measured proxies as little as possible."""
    import gc

    import httptools

    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(ANSWER))
    answer = head + ANSWER

    class Upstream(asyncio.Protocol):
        def connection_made(self, transport) -> None:
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.transport.close()

        def on_message_complete(self) -> None:
            self.transport.write(answer)
            if not self.parser.should_keep_alive():
                self.transport.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for port in ports:
            await loop.create_server(Upstream, "127.0.0.1", port, backlog=1024)
        await asyncio.Event().wait()

    gc.disable()
    _run(main())


def run_minimal(port: int, upstream: int) -> None:
    """The floor of the stack: a bare ASGI app forwarding with aiohttp under the same uvicorn
    settings, without assignment, signals, detectors or limits."""
    import aiohttp
    import uvicorn
    from yarl import URL

    session: list[aiohttp.ClientSession] = []
    base = f"http://127.0.0.1:{upstream}"

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        if not session:
            session.append(aiohttp.ClientSession(auto_decompress=False))
        body, more = b"", True
        while more:
            m = await receive()
            body += m.get("body", b"")
            more = m.get("more_body", False)
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k not in (b"host", b"content-length")]
        async with session[0].request(scope["method"], URL(base + scope["path"], encoded=True), headers=headers,
                                      data=body) as r:
            data = await r.read()
            await send({"type": "http.response.start", "status": r.status,
                        "headers": [(k, v) for k, v in r.raw_headers if k.lower() not in (b"connection", b"transfer-encoding")]})
            await send({"type": "http.response.body", "body": data})

    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", lifespan="off",
                access_log=False, proxy_headers=False, server_header=False, date_header=False, log_level="warning")


def run_load(url: str, rate: float, seconds: float, concurrency: int, out: str) -> None:
    """Open loop at ``rate`` (or closed loop of ``concurrency`` when rate is 0), keep-alive,
    with the router's own lean HTTP/1.1 client (bouclier.rollout.upstream: about half the
    CPU of aiohttp's) and the garbage collector off, so that the load generator adds as
    little noise as it can to what it measures."""
    import gc
    from urllib.parse import urlsplit

    from bouclier.rollout.upstream import UpstreamError, UpstreamPool

    parts = urlsplit(url)
    target = parts.path.encode()

    async def main() -> None:
        rng = random.Random(1)
        lat: list[float] = []
        errors = 0
        pool = UpstreamPool(f"{parts.scheme}://{parts.netloc}", max_connections=256, read_timeout_s=30)

        async def one() -> None:
            nonlocal errors
            headers = [(b"X-User-Id", b"user-%d" % rng.randrange(10_000)), (b"Content-Type", b"application/json")]
            t = time.perf_counter()
            try:
                r = await pool.request("POST", target, headers, BODY)
                try:
                    await r.read()
                finally:
                    r.release()
            except UpstreamError:
                errors += 1
                return
            if r.status != 200:
                errors += 1
                return
            lat.append(time.perf_counter() - t)

        for _ in range(50):  # warm the connections
            await one()
        lat.clear()
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        if rate > 0:
            tasks = []
            n = int(rate * seconds)
            for i in range(n):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(one()))
            await asyncio.gather(*tasks)
        else:
            async def worker() -> None:
                while time.perf_counter() - start < seconds:
                    await one()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        gc.enable()
        await pool.close()
        Path(out).write_text(json.dumps({"latencies": lat, "errors": errors, "elapsed": elapsed}))

    _run(main())


def _run(coro) -> None:
    try:
        import uvloop

        uvloop.run(coro)
    except ImportError:
        asyncio.run(coro)


# ----------------------------------------------------------------------------- orchestration


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            req = urllib.request.Request(url, data=BODY, headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=1).read()
            return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer in {timeout} s")
            time.sleep(0.1)


def spawn(args: list[str], log: Path, extra_env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(extra_env or {})}
    with open(log, "wb") as f:
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=f, **kw)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def nginx_conf(tmp: Path, port: int, stable: int, canary: int) -> Path:
    conf = tmp / "nginx.conf"
    conf.write_text(textwrap.dedent(f"""\
        worker_processes 1;
        error_log {tmp}/error.log warn;
        pid {tmp}/nginx.pid;
        events {{ worker_connections 4096; }}
        http {{
            access_log off;
            client_body_temp_path {tmp}/body;
            proxy_temp_path {tmp}/proxy;
            fastcgi_temp_path {tmp}/fastcgi;
            uwsgi_temp_path {tmp}/uwsgi;
            scgi_temp_path {tmp}/scgi;
            upstream stable {{ server 127.0.0.1:{stable}; keepalive 128; }}
            upstream canary {{ server 127.0.0.1:{canary}; keepalive 128; }}
            split_clients "${{http_x_user_id}}" $variant {{ 5% canary; * stable; }}
            server {{
                listen 127.0.0.1:{port};
                location / {{
                    proxy_pass http://$variant;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_buffering off;
                    add_header X-Bouclier-Variant $variant;
                }}
            }}
        }}
        """))
    return conf


def router_conf(tmp: Path, port: int, stable: int, canary: int) -> Path:
    conf = tmp / "router.yaml"
    conf.write_text(textwrap.dedent(f"""\
        router:
          rollout_id: bench
          port: {port}
          upstreams:
            stable: {{url: "http://127.0.0.1:{stable}"}}
            canary: {{url: "http://127.0.0.1:{canary}"}}
          weights: {{stable: 95, canary: 5}}
          signals: {{store: {tmp}/signals.sqlite, inspect_share: 10}}
          access_log: false
        """))
    return conf


def load(url: str, *, rate: float, seconds: float, concurrency: int = 64) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    subprocess.run([sys.executable, __file__, "--role", "load", "--url", url, "--rate", str(rate),
                    "--seconds", str(seconds), "--concurrency", str(concurrency), "--out", out],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    data = json.loads(Path(out).read_text())
    os.unlink(out)
    return data


def drained(port: int, token: str, timeout: float = 60) -> dict:
    """The router's signal accounting once its worker has written everything queued."""
    deadline = time.monotonic() + timeout
    while True:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/admin/status", headers={"Authorization": f"Bearer {token}"})
        state = json.loads(urllib.request.urlopen(req, timeout=5).read())["signals"]
        if state["queued"] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--role", default="main", choices=["main", "upstream", "load", "minimal"])
    ap.add_argument("--ports", default="")
    ap.add_argument("--url", default="")
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--rates", default="200,500")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if a.role == "upstream":
        return run_upstream([int(p) for p in a.ports.split(",")])
    if a.role == "load":
        return run_load(a.url, a.rate, a.seconds, a.concurrency, a.out)
    if a.role == "minimal":
        ports = [int(p) for p in a.ports.split(",")]
        return run_minimal(ports[0], ports[1])

    tmp = Path(tempfile.mkdtemp(prefix="bouclier-router-bench-"))
    stable, canary, rport, nport, mport = free_port(), free_port(), free_port(), free_port(), free_port()
    procs: list[subprocess.Popen] = []
    try:
        procs.append(spawn([sys.executable, __file__, "--role", "upstream", "--ports", f"{stable},{canary}"],
                           tmp / "upstream.log"))
        token = secrets.token_urlsafe(24)
        router = spawn([sys.executable, "-m", "bouclier", "router", "--config", str(router_conf(tmp, rport, stable, canary))],
                       tmp / "router.log", {"BOUCLIER_ROUTER_TOKEN": token}, cwd=str(tmp))
        procs.append(router)
        minimal = spawn([sys.executable, __file__, "--role", "minimal", "--ports", f"{mport},{stable}"], tmp / "minimal.log")
        procs.append(minimal)
        targets = {"direct": f"http://127.0.0.1:{stable}/v1/chat/completions",
                   "router": f"http://127.0.0.1:{rport}/v1/chat/completions",
                   "minimal": f"http://127.0.0.1:{mport}/v1/chat/completions"}
        pids = {"router": router.pid, "minimal": minimal.pid}
        nginx_bin = shutil.which("nginx") or (shutil.which("nginx", path="/usr/sbin:/sbin"))
        if nginx_bin:
            for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
                (tmp / d).mkdir()
            ngx = spawn([nginx_bin, "-p", str(tmp), "-c", str(nginx_conf(tmp, nport, stable, canary)), "-g", "daemon off;"],
                        tmp / "nginx.log")
            procs.append(ngx)
            targets["nginx"] = f"http://127.0.0.1:{nport}/v1/chat/completions"
        else:
            print("nginx is not installed: skipping the nginx comparison (apt-get install -y nginx)", file=sys.stderr)
        for url in targets.values():
            wait_http(url)
        if "nginx" in targets:
            workers = subprocess.run(["pgrep", "-P", str(procs[-1].pid)], capture_output=True, text=True).stdout.split()
            pids["nginx"] = int(workers[0])
        print(f"machine: {os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().machine}, Python "
              f"{sys.version.split()[0]}; {a.seconds:g} s per cell, {a.rounds} rounds; load average "
              f"{os.getloadavg()[0]:.1f} (other jobs on the machine)", file=sys.stderr)
        results: dict = {}
        rng = random.Random(0)
        for rate in [float(r) for r in a.rates.split(",")]:
            cells: dict[str, list[dict]] = {t: [] for t in targets}
            for rnd in range(a.rounds):
                order = list(targets)
                rng.shuffle(order)
                for t in order:
                    c0 = cpu_seconds(pids[t]) if t in pids else 0.0
                    d = load(targets[t], rate=rate, seconds=a.seconds)
                    cpu = (cpu_seconds(pids[t]) - c0) if t in pids else 0.0
                    n = len(d["latencies"])
                    cells[t].append({"p50": quantile(d["latencies"], 0.5) * 1000, "p99": quantile(d["latencies"], 0.99) * 1000,
                                     "n": n, "errors": d["errors"], "cpu_per_1k_s": cpu / max(n, 1) * 1000,
                                     "achieved": n / d["elapsed"]})
            row = {}
            for t in targets:
                med = {k: statistics.median(c[k] for c in cells[t]) for k in ("p50", "p99", "cpu_per_1k_s", "achieved")}
                med["errors"] = sum(c["errors"] for c in cells[t])
                if t != "direct":
                    med["added_p50"] = statistics.median(c["p50"] - d["p50"] for c, d in zip(cells[t], cells["direct"]))
                    med["added_p99"] = statistics.median(c["p99"] - d["p99"] for c, d in zip(cells[t], cells["direct"]))
                row[t] = med
            results[f"{rate:g}"] = row
            print(f"\nrate {rate:g} req/s", file=sys.stderr)
            print("| target | p50 ms | p99 ms | added p50 ms | added p99 ms | CPU s / 1k req | errors |", file=sys.stderr)
            print("|---|---:|---:|---:|---:|---:|---:|", file=sys.stderr)
            for t, m in row.items():
                print(f"| {t} | {m['p50']:.3f} | {m['p99']:.3f} | {m.get('added_p50', 0):+.3f} | {m.get('added_p99', 0):+.3f} "
                      f"| {m['cpu_per_1k_s']:.3f} | {m['errors']} |", file=sys.stderr)
            r, m = row["router"], row["minimal"]
            print(f"router / minimal aiohttp proxy: CPU per request {r['cpu_per_1k_s'] / max(m['cpu_per_1k_s'], 1e-9):.2f}x",
                  file=sys.stderr)
            if "nginx" in row:
                r, n = row["router"], row["nginx"]
                print(f"router / nginx: p50 {r['p50'] / n['p50']:.2f}x, p99 {r['p99'] / n['p99']:.2f}x, "
                      f"CPU per request {r['cpu_per_1k_s'] / max(n['cpu_per_1k_s'], 1e-9):.1f}x", file=sys.stderr)
        # maximum rate: closed loop
        maxrate = {}
        for t in [t for t in ("router", "minimal", "nginx") if t in targets]:
            c0 = cpu_seconds(pids[t])
            d = load(targets[t], rate=0, seconds=a.seconds, concurrency=a.concurrency)
            if t == "router":  # count the signal worker's CPU for the whole burst
                drained(rport, token)
            cpu = cpu_seconds(pids[t]) - c0
            n = len(d["latencies"])
            maxrate[t] = {"req_per_s": n / d["elapsed"], "cpu_share": cpu / d["elapsed"],
                          "req_per_cpu_s": n / max(cpu, 1e-9), "p50_ms": quantile(d["latencies"], 0.5) * 1000,
                          "errors": d["errors"]}
            m = maxrate[t]
            print(f"\nmax rate {t}: {m['req_per_s']:.0f} req/s at {m['cpu_share']:.2f} of a core "
                  f"({m['req_per_cpu_s']:.0f} req per CPU second), p50 {m['p50_ms']:.2f} ms, errors {m['errors']}",
                  file=sys.stderr)
        results["max_rate"] = maxrate
        state = drained(rport, token)
        print(f"\nrouter signals: {state['written']} written, {state['dropped']} dropped (queue full), "
              f"{state['lost']} lost, {state['queued']} still queued", file=sys.stderr)
        results["signal_accounting"] = state
        signals = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""\
            import sqlite3; c = sqlite3.connect('{tmp}/signals.sqlite')
            print(*c.execute("select count(*), sum(inspected), sum(variant='canary') from signals").fetchone())""")],
            capture_output=True, text=True).stdout.split()
        print(f"\nrouter signals written: {signals[0]} (inspected {signals[1]}, canary {signals[2]})", file=sys.stderr)
        results["signals"] = signals
        print(f"load average at the end: {os.getloadavg()[0]:.1f}", file=sys.stderr)
        print(json.dumps(results, indent=1))
    finally:
        for p in reversed(procs):
            stop(p)
        for name in ("router", "minimal", "upstream", "nginx"):
            log = tmp / f"{name}.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            if "Traceback" in text or "error" in text.lower():
                print(f"--- {name} log ---\n{text[-2000:]}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
