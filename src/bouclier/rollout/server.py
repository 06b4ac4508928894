"""Serve a :class:`~bouclier.rollout.router.Router` with uvicorn (the ``[server]`` extra).

uvloop and httptools are used when installed (``uvicorn[standard]``): they are what makes
the router's own overhead small (see docs/benchmarks.md, "Canary router"). httptools is
required: the router's upstream client (:mod:`bouclier.rollout.upstream`) parses with it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from bouclier.errors import UsageError

_SERVER_MODULES = ("starlette", "uvicorn", "httptools", "prometheus_client")


def require_server_extra() -> None:
    """Raise a clear error when the ``[server]`` extra is not installed."""
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the router needs {', '.join(missing)}: pip install 'bouclier[server]'")


def uvicorn_config(router: Any, *, host: str, port: int, log_level: str = "warning") -> Any:
    """The uvicorn configuration the router runs with (also used by tests and benchmarks)."""
    import uvicorn

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return uvicorn.Config(
        router, host=host, port=port, loop=loop, http=http, lifespan="on", log_level=log_level,
        access_log=False, proxy_headers=False, server_header=False, date_header=False, timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=router.config.limits.max_header_bytes + 1024,
    )


def serve_router(router: Any, *, host: str | None = None, port: int | None = None) -> None:
    """Run until interrupted (SIGINT/SIGTERM stop it gracefully, flushing the signals)."""
    import sys

    import uvicorn

    if router.config.signals.worker == "thread":
        # The recorder thread shares the interpreter lock with the request path: hand the
        # lock back to the event loop after 0.5 ms instead of the default 5 ms.
        sys.setswitchinterval(0.0005)
    router.freeze_gc = True
    config = uvicorn_config(router, host=host or router.config.host, port=router.config.port if port is None else port)
    server = uvicorn.Server(config)
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind or start
        if server.started:
            raise
        from bouclier.errors import InfrastructureError

        raise InfrastructureError(f"the router could not start on {config.host}:{config.port} "
                                  "(address in use, not allowed, or a start-up failure logged above)") from exc
