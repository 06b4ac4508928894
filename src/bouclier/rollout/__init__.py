"""Progressive rollout: the canary router (data plane) and, next, analysis and controller.

Public API (the server parts need the ``[server]`` extra and are imported on use):

- :func:`load_router_config`, :class:`RouterConfig` — the ``router:`` section;
- :func:`bucket_of`, :func:`in_canary`, :class:`Assigner` — sticky, monotone assignment;
- :class:`Router` — the ASGI router (``set_weights``, ``status``, ``store``, ``recorder``);
- :func:`serve_router` — run it with uvicorn;
- :class:`SignalStore`, :class:`Signal`, :class:`Feedback`, :class:`WeightChange`,
  :class:`SQLiteSignalStore` — the signals the analysis reads per variant and window;
- :class:`SignalSource`, :class:`Observations`, :class:`RouterSignals`,
  :class:`PrometheusSignals`, :class:`PrometheusConfig` — where ``bouclier serve-analysis``
  reads them (the router's store or Prometheus).
"""

from __future__ import annotations

from typing import Any

from bouclier.rollout.assignment import BUCKETS, Assigner, Assignment, bucket_of, in_canary
from bouclier.rollout.config import VARIANTS, LoadedRouterConfig, RouterConfig, check_weights, load_router_config
from bouclier.rollout.observations import Observations, RouterSignals, SignalSource, SignalSourceError
from bouclier.rollout.prometheus import PrometheusConfig, PrometheusSignals
from bouclier.rollout.signals import ERROR_OUTCOMES, Feedback, Signal, SignalStore, VariantSummary, WeightChange
from bouclier.rollout.sqlite_store import SQLiteSignalStore

__all__ = [
    "BUCKETS", "ERROR_OUTCOMES", "VARIANTS", "Assigner", "Assignment", "Feedback", "LoadedRouterConfig", "Observations",
    "PrometheusConfig", "PrometheusSignals", "Router", "RouterConfig", "RouterSignals", "SQLiteSignalStore", "Signal",
    "SignalSource", "SignalSourceError", "SignalStore", "VariantSummary", "WeightChange", "bucket_of",
    "check_weights", "in_canary", "load_router_config", "serve_router",
]


def __getattr__(name: str) -> Any:
    if name in ("Router", "serve_router"):
        from bouclier.rollout.server import require_server_extra

        require_server_extra()
        if name == "Router":
            from bouclier.rollout.router import Router

            return Router
        from bouclier.rollout.server import serve_router

        return serve_router
    raise AttributeError(name)
