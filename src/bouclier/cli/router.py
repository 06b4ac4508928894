"""``bouclier router --config FILE``: serve the canary router until interrupted.

Exit codes: 2 bad configuration (weights not summing to 100, unknown variant, ...), 4
cannot listen. SIGTERM/SIGINT stop it gracefully (signals flushed), then the process ends
with that signal's status, as uvicorn does.
"""

from __future__ import annotations

from pathlib import Path

import typer


def router_command(
    config: Path = typer.Option(..., "--config", "-c", help="YAML file with a router: section."),
    host: str | None = typer.Option(None, "--host", help="Listen address (default: router.host, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Listen port (default: router.port, 8080)."),
) -> None:
    """Serve the canary router: split traffic between stable and canary and record live signals."""
    import logging

    from bouclier.cli.output import err_console
    from bouclier.rollout import load_router_config
    from bouclier.rollout.server import require_server_extra

    require_server_extra()
    loaded = load_router_config(config)
    from bouclier.rollout.router import Router
    from bouclier.rollout.server import serve_router

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    router = Router(loaded)
    c = loaded.config
    err_console.print(
        f"router {c.rollout_id}: http://{host or c.host}:{c.port if port is None else port} -> "
        f"stable {c.upstreams['stable'].url} ({router.weights['stable']:g}%), "
        f"canary {c.upstreams['canary'].url} ({router.weights['canary']:g}%); signals in {router.store.where}",
        highlight=False, markup=False)
    try:
        serve_router(router, host=host, port=port)
    except KeyboardInterrupt:  # Ctrl-C, after the graceful shutdown
        err_console.print("router stopped", highlight=False)
        raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    app.command("router")(router_command)
