"""The router's own routes (Starlette): health, readiness, metrics, feedback, admin.

=========================  ======================================================
``GET /healthz``           200 while the process serves requests
``GET /readyz``            200 when the signal writer runs and stable accepts
                           connections; 503 with the reasons otherwise
``GET /metrics``           Prometheus text format, labelled by ``variant``
``POST /feedback/{id}``    ``{"value": -1..1}`` or ``{"rating": "up"|"down"}`` (+
                           optional ``"label"``) for a request id the router served:
                           202; malformed id or body 400; unknown id 404
``GET /admin/status``      weights, epoch, queue, drops, shadow, upstreams
``GET /admin/weights``     current weights and epoch
``PUT /admin/weights``     ``{"weights": {"stable": 75, "canary": 25}, "reason": "..."}``
``PUT /admin/shadow``      ``{"share": 10}``: percent of stable's requests mirrored
=========================  ======================================================

Admin routes need ``Authorization: Bearer <token>`` where the token is the value of the
environment variable ``admin.token_env`` (compared in constant time); without it, 401.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bouclier.rollout.config import VARIANTS
from bouclier.rollout.signals import Feedback

_REQUEST_ID = re.compile(r"[0-9a-f]{32}")
_MAX_FEEDBACK_BYTES = 4096
_MAX_ADMIN_BYTES = 16384


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "bouclier_router", "code": status}},
                        status_code=status, headers=headers)


async def _json_body(request: Request, limit: int) -> tuple[Any, JSONResponse | None]:
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None, _error(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks)), None
    except (ValueError, UnicodeDecodeError):
        return None, _error(400, "body is not valid JSON")


def operations_app(router: Any) -> Starlette:
    ready_cache: dict[str, Any] = {"at": 0.0, "problems": []}

    def authorised(request: Request) -> JSONResponse | None:
        token = router.admin_token
        if token is None:
            return _error(401, f"admin API disabled: set {router.config.admin.token_env} and restart the router",
                          {"WWW-Authenticate": "Bearer"})
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        ok = hmac.compare_digest(value.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass"))
        if scheme.lower() != "bearer" or not ok:
            return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        return None

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        now = time.monotonic()
        if now - ready_cache["at"] > 1.0:
            problems = []
            if not router.recorder.alive:
                problems.append("the signal writer is not running")
            url = router.config.upstreams["stable"].url
            from urllib.parse import urlsplit

            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), timeout=0.5)
                writer.close()
            except (OSError, asyncio.TimeoutError):
                problems.append(f"stable upstream {url} does not accept connections")
            ready_cache.update(at=now, problems=problems)
        problems = ready_cache["problems"]
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        body, content_type = router.metrics.render()
        return Response(body, media_type=content_type)

    async def feedback(request: Request) -> Response:
        request_id = request.path_params["request_id"]
        if not _REQUEST_ID.fullmatch(request_id):
            return _error(400, "a request id is the 32 hexadecimal characters of the X-Request-Id response header")
        doc, problem = await _json_body(request, _MAX_FEEDBACK_BYTES)
        if problem is not None:
            return problem
        if not isinstance(doc, dict):
            return _error(400, 'expected a JSON object such as {"value": -1} or {"rating": "down"}')
        value = doc.get("value")
        rating = doc.get("rating")
        if rating is not None:
            if rating not in ("up", "down"):
                return _error(400, f'rating must be "up" or "down", found {str(rating)[:20]!r}')
            value = 1.0 if rating == "up" else -1.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
            return _error(400, 'expected "value" from -1 (bad) to 1 (good) or "rating": "up"|"down"')
        label = doc.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > 100):
            return _error(400, "label must be a string of at most 100 characters")
        variant = router.recent.get(request_id)
        rollout_id = router.config.rollout_id
        if variant is None:
            found = await asyncio.to_thread(router.store.variant_of, request_id)
            if found is None:
                return _error(404, f"no request {request_id} was served by this router")
            rollout_id, variant = found
        router.recorder.submit_feedback(Feedback(request_id=request_id, ts=time.time(), value=float(value),
                                                 rollout_id=rollout_id, variant=variant, label=label))
        return JSONResponse({"status": "recorded", "request_id": request_id, "variant": variant}, status_code=202)

    async def status(request: Request) -> Response:
        return authorised(request) or JSONResponse(router.status())

    async def weights(request: Request) -> Response:
        denied = authorised(request)
        if denied is not None:
            return denied
        if request.method == "GET":
            return JSONResponse({"weights": router.weights, "epoch": router.epoch})
        doc, problem = await _json_body(request, _MAX_ADMIN_BYTES)
        if problem is not None:
            return problem
        if not isinstance(doc, dict) or not isinstance(doc.get("weights"), dict):
            return _error(400, 'expected {"weights": {"stable": 95, "canary": 5}, "reason": "..."}')
        reason = doc.get("reason", "")
        if not isinstance(reason, str):
            return _error(400, "reason must be a string")
        try:
            change = router.set_weights(doc["weights"], reason=reason)
        except ValueError as exc:
            return _error(400, f"{exc} (variants: {', '.join(VARIANTS)})")
        return JSONResponse({"weights": change.weights, "epoch": change.epoch})

    async def shadow(request: Request) -> Response:
        denied = authorised(request)
        if denied is not None:
            return denied
        doc, problem = await _json_body(request, _MAX_ADMIN_BYTES)
        if problem is not None:
            return problem
        if not isinstance(doc, dict) or "share" not in doc:
            return _error(400, 'expected {"share": 10} (percent of stable-served requests mirrored)')
        try:
            router.set_shadow_share(doc["share"])
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse({"share": router.shadow.share})

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, f"no route {request.url.path}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(405, f"{request.method} is not allowed on {request.url.path}")

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/feedback/{request_id}", feedback, methods=["POST"]),
            Route("/admin/status", status, methods=["GET"]),
            Route("/admin/weights", weights, methods=["GET", "PUT"]),
            Route("/admin/shadow", shadow, methods=["PUT"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
    )

