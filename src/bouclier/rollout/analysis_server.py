"""``bouclier serve-analysis``: the canary analysis for Kubernetes progressive delivery.

- Argo Rollouts web metric provider: ``POST /v1/analysis`` with the AnalysisTemplate's
  ``jsonBody`` ``{"rollout", "canary", "baseline", "window": seconds | "since"/"until"}``;
  always HTTP 200 with ``{"verdict": "pass"|"fail"|"inconclusive", "score", "reason",
  "metrics"}`` (a non-2xx would count as an Argo *Error*, not a failure).
- Flagger webhooks: ``POST /flagger/<hook>`` with Flagger's payload ``{"name", "namespace",
  "phase", "checksum", "metadata"}``. Flagger proceeds only on 200/201/202: gates answer 200
  to proceed and 403 to hold; ``rollback`` is reversed (200 triggers a rollback). Decisions
  are sticky per (namespace, name, checksum): once a revision failed it stays failed, and
  repeated events are recorded once.

Signals come from the router's signal store; ``rollout`` (Argo) or ``metadata.rollout``,
else ``<namespace>/<name>`` (Flagger) names the router's rollout id.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bouclier.rollout.analysis import analyse
from bouclier.rollout.plan import RolloutConfig

VERDICTS = {"pass": "pass", "fail": "fail", "critical": "fail", "marginal": "inconclusive", "nodata": "inconclusive"}
FLAGGER_HOOKS = ("confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion",
                 "rollback", "post-rollout", "event")


class AnalysisService:
    """The judgement behind both contracts (no HTTP here)."""

    def __init__(self, *, plan: RolloutConfig, signals: Any, clock=time.time, default_window_s: float = 300.0):
        self.plan, self.signals, self.clock = plan, signals, clock
        self.default_window_s = default_window_s
        self._lock = threading.Lock()
        self.revisions: dict[tuple[str, str, str], dict[str, Any]] = {}  # (ns, name, checksum) -> state
        self.events: list[dict[str, Any]] = []
        self._event_keys: set[tuple] = set()

    def judge(self, *, rollout_id: str, since: float, until: float) -> dict[str, Any]:
        kw = dict(rollout_id=rollout_id, since=since, until=until)
        a = analyse(stable=self.signals.window(variant="stable", **kw), canary=self.signals.window(variant="canary", **kw),
                    stable_feedback=self.signals.feedback(variant="stable", **kw),
                    canary_feedback=self.signals.feedback(variant="canary", **kw),
                    config=self.plan.analysis, alpha=self.plan.analysis.false_rollback_rate / self.plan.planned_analyses,
                    min_requests=self.plan.steps[0].min_requests)
        d = a.to_dict()
        return {"verdict": VERDICTS[a.verdict], "score": a.score, "reason": a.reason, "metrics": d["metrics"],
                "analysis_verdict": a.verdict, "requests": {"stable": a.stable_requests, "canary": a.canary_requests}}

    # ------------------------------------------------------------------ Argo
    def argo(self, body: Any) -> dict[str, Any]:
        def inconclusive(reason: str) -> dict[str, Any]:
            return {"verdict": "inconclusive", "score": None, "reason": reason, "metrics": {}}

        if not isinstance(body, dict):
            return inconclusive('bad request: expected a JSON object {"rollout": ..., "window": seconds}')
        rollout = body.get("rollout") or body.get("rollout_id")
        if not isinstance(rollout, str) or not rollout:
            return inconclusive("bad request: 'rollout' (the router's rollout id) is missing")
        now = self.clock()
        try:
            until = float(body.get("until", now))
            since = float(body["since"]) if "since" in body else until - float(body.get("window", self.default_window_s))
        except (TypeError, ValueError):
            return inconclusive("bad request: 'window' is seconds and 'since'/'until' are unix times")
        if since >= until:
            return inconclusive(f"bad request: empty window (since {since} >= until {until})")
        out = self.judge(rollout_id=rollout, since=since, until=until)
        out["canary"], out["baseline"] = body.get("canary"), body.get("baseline")
        return out

    # ------------------------------------------------------------------ Flagger
    def flagger(self, hook: str, body: Any) -> tuple[int, dict[str, Any]]:
        if hook not in FLAGGER_HOOKS:
            return 404, {"error": f"unknown hook {hook!r}: expected one of {', '.join(FLAGGER_HOOKS)}"}
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not isinstance(body.get("namespace"), str):
            return 400, {"error": 'expected Flagger\'s payload {"name", "namespace", "phase", "checksum", "metadata"}'}
        meta = body.get("metadata") or {}
        if not isinstance(meta, dict):
            return 400, {"error": "metadata must be a mapping of strings"}
        ns, name, checksum = body["namespace"], body["name"], str(body.get("checksum", ""))
        key = (ns, name, checksum)
        now = self.clock()
        with self._lock:
            rev = self.revisions.setdefault(key, {"first_seen": now, "failed": None, "promoted": False})
            if hook == "event":
                ek = (key, body.get("phase"), meta.get("eventMessage"), meta.get("eventType"))
                if ek not in self._event_keys:
                    self._event_keys.add(ek)
                    self.events.append({"namespace": ns, "name": name, "checksum": checksum, "phase": body.get("phase"),
                                        "message": meta.get("eventMessage"), "type": meta.get("eventType"), "at": now})
                return 202, {"recorded": True}
            if hook in ("confirm-rollout", "pre-rollout"):
                rev["first_seen"] = min(rev["first_seen"], now)
                return 200, {"proceed": True, "reason": "revision seen; analysis window starts now"}
            if hook == "post-rollout":
                return 200, {"recorded": True}
            failed = rev["failed"]
        if failed is None:
            rollout_id = str(meta.get("rollout") or f"{ns}/{name}")
            try:
                window = float(meta["window"]) if "window" in meta else None
            except ValueError:
                return 400, {"error": "metadata.window must be seconds"}
            since = rev["first_seen"] if window is None else max(rev["first_seen"], now - window)
            result = self.judge(rollout_id=rollout_id, since=since, until=max(now, since + 1e-6))
            if result["verdict"] == "fail":
                with self._lock:
                    rev["failed"] = failed = result
        else:
            result = failed
        verdict = result["verdict"]
        doc = {"verdict": verdict, "score": result["score"], "reason": result["reason"]}
        if hook == "rollback":  # reversed: 200 makes Flagger roll back
            return (200 if verdict == "fail" else 403), doc
        if hook == "rollout":  # a failed check; too little data is not a failure
            return (403 if verdict == "fail" else 200), doc
        # confirm-traffic-increase / confirm-promotion: proceed only on evidence
        return (200 if verdict == "pass" else 403), doc


def analysis_app(service: AnalysisService):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        if len(raw) > 1 << 20:
            return None
        import json

        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    async def argo(request: Request) -> JSONResponse:
        import asyncio

        return JSONResponse(await asyncio.to_thread(service.argo, await body_of(request)))

    async def flagger(request: Request) -> JSONResponse:
        import asyncio

        status, doc = await asyncio.to_thread(service.flagger, request.path_params["hook"], await body_of(request))
        return JSONResponse(doc, status_code=status)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/v1/analysis", argo, methods=["POST"]),
                             Route("/flagger/{hook}", flagger, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])
