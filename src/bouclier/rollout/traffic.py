"""How the controller moves traffic: the canary router's admin API (or, embedded, the
router object itself). Both are idempotent: the controller converges the router to the
weights recorded in the database, so a crash between the two is repaired on restart."""

from __future__ import annotations

from typing import Any, Protocol

from bouclier.errors import InfrastructureError


class TrafficSplit(Protocol):
    def weights(self) -> dict[str, float]: ...

    def set_weights(self, weights: dict[str, float], *, reason: str) -> None: ...

    def set_shadow(self, share: float) -> None: ...


class AdminApiTraffic:
    """``GET/PUT /admin/weights`` and ``PUT /admin/shadow`` of a router, with its bearer token."""

    def __init__(self, url: str, token: str, *, timeout_s: float = 5.0):
        import httpx

        self.url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {token}"})
        self._shadow: float | None = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        import httpx

        try:
            r = self._client.request(method, self.url + path, json=body)
        except httpx.HTTPError as exc:
            raise InfrastructureError(f"router {self.url}: {type(exc).__name__}: {exc}") from exc
        if r.status_code != 200:
            raise InfrastructureError(f"router {self.url}{path}: HTTP {r.status_code}: {r.text[:200]}")
        return r.json()

    def weights(self) -> dict[str, float]:
        return {k: float(v) for k, v in self._call("GET", "/admin/weights")["weights"].items()}

    def set_weights(self, weights: dict[str, float], *, reason: str) -> None:
        self._call("PUT", "/admin/weights", {"weights": weights, "reason": reason[:500]})

    def set_shadow(self, share: float) -> None:
        if self._shadow != share:
            self._call("PUT", "/admin/shadow", {"share": share})
            self._shadow = share

    def close(self) -> None:
        self._client.close()


class EmbeddedTraffic:
    """A :class:`~bouclier.rollout.router.Router` in the same process."""

    def __init__(self, router: Any):
        self.router = router

    def weights(self) -> dict[str, float]:
        return dict(self.router.weights)

    def set_weights(self, weights: dict[str, float], *, reason: str) -> None:
        self.router.set_weights(weights, reason=reason)

    def set_shadow(self, share: float) -> None:
        if self.router.shadow.share != share:
            self.router.set_shadow_share(share)

    def close(self) -> None:
        pass
