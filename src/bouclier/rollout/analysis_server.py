"""``bouclier serve-analysis``: the canary analysis for Kubernetes progressive delivery.

- Argo Rollouts web metric provider: ``POST /v1/analysis`` with the AnalysisTemplate's
  ``jsonBody`` ``{"rollout", "canary", "baseline", "window": seconds | "since"/"until",
  "source"}``; always HTTP 200 with ``{"verdict": "pass"|"fail"|"inconclusive", "score",
  "reason", "metrics"}`` (a non-2xx would count as an Argo *Error*, not a failure).
- Flagger webhooks: ``POST /flagger/<hook>`` with Flagger's payload ``{"name", "namespace",
  "phase", "checksum", "metadata"}`` (``metadata`` absent when the webhook has none). Flagger
  proceeds only on 200/201/202: gates answer 200 to proceed and 403 to hold; ``rollback`` is
  reversed (200 triggers a rollback). Decisions are sticky per (namespace, name, checksum)
  and persisted in the registry database (:mod:`~bouclier.rollout.flagger_revisions`): once a
  revision failed it stays failed, across restarts, and repeated events are recorded once.

Signals come from a :class:`~bouclier.rollout.observations.SignalSource`: the router's store
(``router``) or Prometheus (``prometheus``), chosen by the request's ``source`` (Argo) or
``metadata.source`` (Flagger), else the configuration's ``analysis_source``. ``rollout``
(Argo) or ``metadata.rollout``, else ``<namespace>/<name>`` (Flagger) names the rollout.
A source that cannot answer gives an inconclusive verdict with the reason: never a failure.
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

from bouclier.registry import DatabaseUnavailable
from bouclier.rollout.analysis import analyse_observations
from bouclier.rollout.flagger_revisions import FlaggerRevisions
from bouclier.rollout.observations import SignalSource, SignalSourceError
from bouclier.rollout.plan import LoadedRolloutConfig, RolloutConfig

VERDICTS = {"pass": "pass", "fail": "fail", "critical": "fail", "marginal": "inconclusive", "nodata": "inconclusive"}
FLAGGER_HOOKS = ("confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion",
                 "rollback", "post-rollout", "event")


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _inconclusive(reason: str, **extra: Any) -> dict[str, Any]:
    return {"verdict": "inconclusive", "score": None, "reason": reason, "metrics": {}, **extra}


class AnalysisService:
    """The judgement behind both contracts (no HTTP here). ``sources`` maps a source name
    (``router``, ``prometheus``) to a :class:`SignalSource`."""

    def __init__(self, *, plan: RolloutConfig, sources: Mapping[str, SignalSource], revisions: FlaggerRevisions,
                 clock=time.time, default_window_s: float = 300.0):
        if not sources:
            raise ValueError("at least one signal source is needed")
        self.plan, self.sources, self.revisions, self.clock = plan, dict(sources), revisions, clock
        self.default_source = plan.analysis_source if plan.analysis_source in self.sources else next(iter(self.sources))
        self.default_window_s = default_window_s

    def judge(self, *, rollout_id: str, since: float, until: float, source: str | None = None,
              identities: Mapping[str, str] | None = None) -> dict[str, Any]:
        name = source or self.default_source
        src = self.sources.get(name)
        if src is None:
            return _inconclusive(f"bad request: unknown signal source {name!r}; this server reads "
                                 f"{', '.join(sorted(self.sources))}", source=name)
        try:
            obs = src.observe(rollout_id=rollout_id, since=since, until=until, identities=identities,
                              metrics=[m.name for m in self.plan.analysis.metrics])
        except SignalSourceError as exc:
            return _inconclusive(f"no verdict: the {name} signals are unavailable: {exc}", source=name)
        a = analyse_observations(stable=obs["stable"], canary=obs["canary"], config=self.plan.analysis,
                                 alpha=self.plan.analysis.false_rollback_rate / self.plan.planned_analyses,
                                 min_requests=self.plan.steps[0].min_requests)
        return {"verdict": VERDICTS[a.verdict], "score": a.score, "reason": a.reason, "metrics": a.to_dict()["metrics"],
                "analysis_verdict": a.verdict, "requests": {"stable": a.stable_requests, "canary": a.canary_requests},
                "source": name}

    # ------------------------------------------------------------------ Argo
    def argo(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            return _inconclusive('bad request: expected a JSON object {"rollout": ..., "window": seconds}')
        rollout = body.get("rollout") or body.get("rollout_id")
        if not isinstance(rollout, str) or not rollout:
            return _inconclusive("bad request: 'rollout' (the rollout id) is missing")
        now = self.clock()
        try:  # Argo renders {{args.*}} as strings: "300" is as good as 300
            until = float(body.get("until", now))
            since = float(body["since"]) if "since" in body else until - float(body.get("window", self.default_window_s))
        except (TypeError, ValueError):
            since = until = math.nan
        if not (math.isfinite(since) and math.isfinite(until)):
            return _inconclusive("bad request: 'window' is seconds and 'since'/'until' are unix times")
        if since >= until:
            return _inconclusive(f"bad request: empty window (since {since} >= until {until})")
        identities = {v: str(body[k]) for v, k in (("canary", "canary"), ("stable", "baseline")) if body.get(k)}
        out = self.judge(rollout_id=rollout, since=since, until=until, source=_text(body.get("source")),
                         identities=identities)
        out["canary"], out["baseline"] = body.get("canary"), body.get("baseline")
        return out

    # ------------------------------------------------------------------ Flagger
    def flagger(self, hook: str, body: Any) -> tuple[int, dict[str, Any]]:
        if hook not in FLAGGER_HOOKS:
            return 404, {"error": f"unknown hook {hook!r}: expected one of {', '.join(FLAGGER_HOOKS)}"}
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not isinstance(body.get("namespace"), str):
            return 400, {"error": 'expected Flagger\'s payload {"name", "namespace", "phase", "checksum", "metadata"}'}
        if len(body["name"]) > 253 or len(body["namespace"]) > 253 or len(str(body.get("checksum") or "")) > 128:
            return 400, {"error": "name and namespace are Kubernetes names (at most 253 characters), "
                                  "checksum at most 128 characters"}
        meta = body.get("metadata") or {}
        if not isinstance(meta, dict):
            return 400, {"error": "metadata must be a mapping of strings"}
        window = None
        if "window" in meta:
            try:
                window = float(meta["window"])
            except (TypeError, ValueError):
                window = math.nan
            if not (math.isfinite(window) and window > 0):
                return 400, {"error": f"metadata.window must be seconds, found {meta['window']!r}"}
        try:
            return self._flagger(hook, body, meta, window)
        except DatabaseUnavailable as exc:  # nothing can be remembered: hold, do not guess
            return 503, {"error": f"the registry database is unavailable: {exc}"}

    def _flagger(self, hook: str, body: dict[str, Any], meta: dict[str, Any], window: float | None):
        now = self.clock()
        rev = self.revisions.seen(body["namespace"], body["name"], str(body.get("checksum") or ""), now=now)
        phase = str(body.get("phase") or "")
        if hook == "event":
            new = self.revisions.record_event(rev, phase=phase, event_type=str(meta.get("eventType") or ""),
                                              message=str(meta.get("eventMessage") or ""), now=now)
            return 202, {"recorded": new}
        if hook in ("confirm-rollout", "pre-rollout"):
            return 200, {"proceed": True, "reason": "revision seen; its analysis window started "
                                                    f"{now - rev.first_seen:.0f} s ago"}
        if hook == "post-rollout":
            return 200, {"recorded": True, "phase": phase}
        result = rev.failure
        if result is None:
            since = rev.first_seen if window is None else max(rev.first_seen, now - window)
            result = self.judge(rollout_id=str(meta.get("rollout") or f"{rev.namespace}/{rev.name}"), since=since,
                                until=max(now, since + 1e-6), source=_text(meta.get("source")))
            if result["verdict"] == "fail":
                result = self.revisions.fail(rev, result, now=now).failure  # the first failure wins
        verdict = result["verdict"]
        doc = {"verdict": verdict, "score": result["score"], "reason": result["reason"], "source": result.get("source")}
        if hook == "rollback":  # reversed: 200 makes Flagger roll back
            return (200 if verdict == "fail" else 403), doc
        if hook == "rollout":  # a failed check; too little data is not a failure
            return (403 if verdict == "fail" else 200), doc
        # confirm-traffic-increase / confirm-promotion: proceed only on evidence
        return (200 if verdict == "pass" else 403), doc


def signal_sources(loaded: LoadedRolloutConfig) -> dict[str, SignalSource]:
    """The sources a configuration offers: Prometheus when ``rollout.prometheus`` is given; the
    router's store (``rollout.traffic.signals``: a SQLite file, ``registry`` or a database URL)
    when it is the default source, a database, or an existing file (a cluster reading only
    Prometheus has none)."""
    from bouclier.rollout.observations import RouterSignals
    from bouclier.rollout.prometheus import PrometheusSignals
    from bouclier.rollout.signals import is_database_store, open_signal_store

    plan, sources = loaded.config, {}
    if plan.prometheus is not None:
        sources["prometheus"] = PrometheusSignals(plan.prometheus)
    spec = plan.traffic.signals
    if plan.analysis_source == "router" or is_database_store(spec) or loaded.signals_path.exists():
        sources["router"] = RouterSignals(open_signal_store(spec, base_dir=loaded.path.parent))
    return sources


def analysis_app(service: AnalysisService):
    import asyncio
    import json

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        if len(raw) > 1 << 20:
            return None
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    async def argo(request: Request) -> JSONResponse:
        return JSONResponse(await asyncio.to_thread(service.argo, await body_of(request)))

    async def flagger(request: Request) -> JSONResponse:
        status, doc = await asyncio.to_thread(service.flagger, request.path_params["hook"], await body_of(request))
        return JSONResponse(doc, status_code=status)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/v1/analysis", argo, methods=["POST"]),
                             Route("/flagger/{hook}", flagger, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])
