"""The canary router: state (weights, epoch), lifecycle, and the ASGI entry point.

``Router(config)`` is an ASGI application. It dispatches ``/healthz``, ``/readyz``,
``/metrics``, ``/feedback/{id}`` and ``/admin/...`` to a Starlette app and every other path
to the proxy. Its ``startup()`` / ``shutdown()`` run from the ASGI lifespan (or call them
yourself when embedding it). The controller of a rollout changes traffic with
:meth:`Router.set_weights` in process, or ``PUT /admin/weights`` over HTTP; each change is
persisted in the signal store with a new ``epoch`` (the analysis windows by it) and is
restored when the router restarts.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Coroutine

from bouclier.errors import ConfigError, Problem
from bouclier.rollout.assignment import Assigner
from bouclier.rollout.config import LoadedRouterConfig, RouterConfig, check_weights
from bouclier.rollout.inspection import Capture, Inspector
from bouclier.rollout.metrics import RouterMetrics
from bouclier.rollout.recorder import RecentRequests, Recorder, SignalRecorder, SignalWriter
from bouclier.rollout.shadow import ShadowPolicy
from bouclier.rollout.signals import WeightChange, open_signal_store

log = logging.getLogger("bouclier.router")

_OPS_EXACT = frozenset({"/healthz", "/readyz", "/metrics"})
MIN_TOKEN_CHARS = 16


class Router:
    def __init__(self, config: RouterConfig | LoadedRouterConfig, *, base_dir: str | Path | None = None):
        if isinstance(config, LoadedRouterConfig):
            base_dir = config.path.parent
            config = config.config
        self.config = config
        self.started_at = time.time()
        self.admin_token = self._admin_token()
        self.store = store = open_signal_store(config.signals.store, base_dir=base_dir)
        self.weights = dict(config.weights)
        self.epoch = 0
        latest = store.latest_weights(config.rollout_id)
        if latest is not None:
            self.weights, self.epoch = check_weights(latest.weights), latest.epoch
            log.warning("rollout %s: resuming at weights %s (epoch %d, set %s) from the signal store",
                        config.rollout_id, self.weights, self.epoch, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(latest.ts)))
        else:
            store.record_weights(WeightChange(config.rollout_id, time.time(), 0, self.weights, "configuration"))
        self.assigner = Assigner(config.assignment, salt=config.salt, rollout_id=config.rollout_id)
        self.metrics = RouterMetrics()
        self.metrics.set_weights(self.weights)
        self.shadow = ShadowPolicy(config.shadow)
        self.recent = RecentRequests()
        self.recorder = self._recorder(base_dir)
        self.metrics.watch(self.recorder, self.shadow)
        self._weights_lock = threading.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._started = False
        self._startup_lock: asyncio.Lock | None = None
        self.freeze_gc = False  # set by serve_router: the router owns its process
        from bouclier.rollout.proxy import ProxyPath
        from bouclier.rollout.operations import operations_app

        self.proxy = ProxyPath(self)
        self.ops = operations_app(self)

    def _recorder(self, base_dir: str | Path | None) -> Recorder:
        s = self.config.signals
        tokens = list(s.canary_tokens)
        if s.canary_tokens_env:
            tokens += [t.strip() for t in os.environ.get(s.canary_tokens_env, "").split(",") if t.strip()]
        if s.worker == "process":
            from bouclier.rollout.recorder_process import ProcessRecorder, WriterSpec

            recorder = ProcessRecorder(WriterSpec(store=s.store, base_dir=None if base_dir is None else str(base_dir),
                                                  detectors=tuple(s.detectors), canary_tokens=tokens,
                                                  access_log=self.config.access_log),
                                       queue_size=s.queue_size, on_shadow_cost=self.shadow.add_cost)
            self.metrics.collect_from(recorder.metrics_dir)
            return recorder
        writer = SignalWriter(self.store, Inspector(detectors=s.detectors, canary_tokens=tokens),
                              self.metrics.observe_here(), access_log_enabled=self.config.access_log)
        return SignalRecorder(writer, queue_size=s.queue_size, on_shadow_cost=self.shadow.add_cost)

    def record(self, cap: Capture) -> None:
        """Hand one exchange to the recorder (the request path's only cost for its signals)."""
        s = cap.signal
        if s.kind == "primary":
            self.recent.add(s.request_id, s.variant)
        self.recorder.submit(cap)

    def _admin_token(self) -> str | None:
        name = self.config.admin.token_env
        token = os.environ.get(name)
        if not token:
            log.warning("admin API disabled: environment variable %s is not set", name)
            return None
        if len(token) < MIN_TOKEN_CHARS:
            raise ConfigError(problems=[Problem(
                f"the admin token in {name} is {len(token)} characters; at least {MIN_TOKEN_CHARS} are required",
                key="router.admin.token_env", hint=f"export {name}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')")])
        return token

    # ------------------------------------------------------------------ lifecycle

    async def startup(self) -> None:
        if self._startup_lock is None:
            self._startup_lock = asyncio.Lock()
        async with self._startup_lock:
            if self._started:
                return
            await self.proxy.open()
            try:
                await asyncio.to_thread(self.recorder.start, asyncio.get_running_loop())
            except BaseException:
                await self.proxy.close()
                raise
            self._started = True
            if self.freeze_gc:
                # Everything loaded so far lives as long as the process: move it out of the
                # collector's sight, so that a full collection walks only what traffic
                # allocates (a full pass over the ~10^5 start-up objects stalls the event
                # loop for tens of milliseconds, which is the whole p99 at 500 requests/s).
                gc.collect()
                gc.freeze()

    async def shutdown(self) -> None:
        if not self._started:
            return
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await self.proxy.close()
        await asyncio.to_thread(self.recorder.stop)
        self.store.close()
        self._started = False

    def spawn(self, coro: Coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ control

    def set_weights(self, weights: dict[str, float], *, reason: str = "") -> WeightChange:
        """Change the traffic split now (validated: known variants, sum 100). Persisted."""
        checked = check_weights(weights)
        with self._weights_lock:
            change = WeightChange(self.config.rollout_id, time.time(), self.epoch + 1, checked, reason[:500])
            self.store.record_weights(change)
            self.weights, self.epoch = checked, change.epoch
        self.metrics.set_weights(checked)
        log.warning("rollout %s: weights set to %s (epoch %d)%s", self.config.rollout_id, checked, change.epoch,
                    f": {reason}" if reason else "")
        return change

    def set_shadow_share(self, share: float) -> None:
        """Mirror this percent of stable-served requests from now on (not persisted)."""
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 100:
            raise ValueError(f"shadow share must be a number from 0 to 100, found {share!r}")
        self.shadow.share = float(share)
        log.warning("rollout %s: shadow share set to %g%%", self.config.rollout_id, share)

    def status(self) -> dict[str, Any]:
        r = self.recorder
        return {
            "rollout_id": self.config.rollout_id,
            "weights": self.weights,
            "epoch": self.epoch,
            "uptime_s": round(time.time() - self.started_at, 3),
            "signals": {"worker": self.config.signals.worker, "alive": r.alive, "queued": r.depth, "written": r.written,
                        "dropped": r.dropped, "lost": r.lost, "write_errors": r.write_errors},
            "shadow": {"share": self.shadow.share, "started": self.shadow.started, "in_flight": self.shadow.in_flight,
                       "skipped": dict(self.shadow.skipped), "cost_last_hour": self.shadow.cost_last_hour()},
            "upstreams": {name: u.url for name, u in self.config.upstreams.items()},
        }

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path in _OPS_EXACT or path.startswith(("/admin/", "/feedback/")):
                await self.ops(scope, receive, send)
            else:
                if not self._started:
                    await self.startup()
                await self.proxy(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        await self.startup()
                    except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                        await send({"type": "lifespan.startup.failed", "message": str(exc)})
                        return
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        else:  # websocket: not proxied
            await send({"type": "websocket.close", "code": 1003})
