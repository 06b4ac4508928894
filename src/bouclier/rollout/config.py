"""Configuration of the canary router: the ``router:`` section of a YAML file.

The router reads one section, ``router:``, and ignores the other top-level keys of the
file, so that the section can sit in its own ``router.yaml`` or, once bouclier.yaml
declares it, beside ``models:`` and ``rollout:``. Every model forbids unknown keys; every
problem is reported with its file, line and key (the same loader as ``bouclier.yaml``).

Variants are exactly ``stable`` and ``canary``: the assignment rule, the signals and the
analysis all compare those two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


VARIANTS: tuple[str, str] = ("stable", "canary")
Variant = Literal["stable", "canary"]
DETECTORS: tuple[str, ...] = ("secret", "pii", "canary", "refusal")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UpstreamConfig(_Strict):
    """One model server. Its URL is the only place the router ever sends a request."""

    url: str = Field(..., description="Base URL, e.g. http://127.0.0.1:8001 (the client's path is appended).")
    timeout_s: float = Field(30.0, gt=0, le=3600, description="No byte from the upstream for this long: 504.")
    connect_timeout_s: float = Field(2.0, gt=0, le=60)
    max_connections: int = Field(256, ge=1, le=65536)
    headers: dict[str, str] = Field(default_factory=dict, description="Headers added to every upstream request.")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Header name -> environment variable holding its value (tokens).")
    price_prompt_per_1k: float = Field(0.0, ge=0, description="Cost of 1,000 prompt tokens (any currency).")
    price_completion_per_1k: float = Field(0.0, ge=0, description="Cost of 1,000 completion tokens.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:8001")
        if parts.query or parts.fragment:
            raise ValueError("the upstream URL takes no query or fragment")
        return v.rstrip("/")


class AssignmentConfig(_Strict):
    """Where the sticky key comes from, in this order: header, cookie, API key; else a random draw."""

    key_header: str | None = Field("X-User-Id", description="Header holding the user key (None: unused).")
    key_cookie: str | None = Field(None, description="Cookie holding the user key.")
    hash_api_key: bool = Field(True, description="Use a hash of the Authorization / api-key header as the key.")
    force_header: str | None = Field(
        "X-Bouclier-Variant", description="Tester header naming the variant to serve (stable|canary).")
    bucket_header: str | None = Field(
        "X-Bouclier-Bucket",
        description="Header carrying the bucket (0-9999) to the upstream, usable as Envoy's header_name.")


class ShadowConfig(_Strict):
    """Mirror a share of stable's requests to the canary in the background."""

    share: float = Field(0.0, ge=0, le=100, description="Percent of stable-served requests mirrored.")
    mirror_paths: list[str] = Field(
        default_factory=list,
        description="Path prefixes whose non-idempotent requests (POST, ...) may be mirrored; "
        "GET/HEAD requests are mirrored anywhere.")
    max_per_minute: int = Field(600, ge=0, description="Cap on mirrored requests per minute.")
    max_cost_per_hour: float | None = Field(
        None, ge=0, description="Stop mirroring once mirrored calls cost this much in the last hour.")
    max_in_flight: int = Field(64, ge=1, description="Mirrors running at once; more are skipped.")


class FailoverConfig(_Strict):
    """Retry a failed canary request once on stable, so that the client sees no failure."""

    enabled: bool = True
    on_status: list[int] = Field(
        default_factory=lambda: [500, 502, 503, 504],
        description="Canary statuses retried on stable (connection errors and timeouts always are).")


class SignalsConfig(_Strict):
    store: str = Field(".bouclier/signals.sqlite", description=(
        "Where signals go: a SQLite file (relative to the config file), 'registry' (the registry's "
        "database: BOUCLIER_DATABASE_URL, else .bouclier/bouclier.db) or a database URL."))
    queue_size: int = Field(50_000, ge=100, description="Signals waiting to be written; beyond it they are dropped and counted.")
    detectors: list[Literal["secret", "pii", "canary", "refusal"]] = Field(
        default_factory=lambda: list(DETECTORS), description="Output detectors run on inspected responses.")
    inspect_share: float = Field(100.0, ge=0, le=100, description="Percent of responses inspected by the detectors.")
    worker: Literal["process", "thread"] = Field("process", description=(
        "Where signals are written (answers parsed, detectors run, store and metrics updated): 'process', a "
        "worker process, so that this work never holds the interpreter lock against the request path; "
        "'thread', a thread of the router's process (when embedding the router)."))
    max_inspect_bytes: int = Field(1 << 20, ge=1024, description="Bytes of a response kept for inspection.")
    canary_tokens: list[str] = Field(default_factory=list, description="Planted tokens that must never appear in outputs.")
    canary_tokens_env: str | None = Field(None, description="Environment variable with comma-separated canary tokens.")

    @model_validator(mode="before")
    @classmethod
    def _replaced_keys(cls, data: object) -> object:
        if isinstance(data, dict) and "detector_process" in data:
            raise ValueError("detector_process was replaced by worker: process (the default: detectors, parsing "
                             "and writes in a worker process) or thread")
        return data


class LimitsConfig(_Strict):
    max_body_bytes: int = Field(1 << 20, ge=1, description="Larger request bodies get 413.")
    max_header_bytes: int = Field(16 << 10, ge=256, description="Larger request headers get 431.")
    max_headers: int = Field(100, ge=1)


class AdminConfig(_Strict):
    token_env: str = Field("BOUCLIER_ROUTER_TOKEN", description="Environment variable holding the admin bearer token.")


class RouterConfig(_Strict):
    """The ``router:`` section."""

    rollout_id: str = Field(..., min_length=1, max_length=200, description="Names this rollout in the signals.")
    salt: str = Field("", description="Mixed into the assignment hash; change it to reshuffle users.")
    upstreams: dict[str, UpstreamConfig] = Field(..., description="stable and canary model servers.")
    weights: dict[str, float] = Field(..., description="Percent of traffic per variant; sums to 100.")
    paths: list[str] = Field(default_factory=lambda: ["/"], description="Path prefixes proxied; others get 404.")
    openai_paths: list[str] = Field(
        default_factory=lambda: ["/v1/chat/completions", "/v1/completions", "/v1/responses"],
        description="Paths whose JSON/SSE answers are parsed for text, usage and detector flags.")
    assignment: AssignmentConfig = Field(default_factory=AssignmentConfig)
    shadow: ShadowConfig = Field(default_factory=ShadowConfig)
    failover: FailoverConfig = Field(default_factory=FailoverConfig)
    signals: SignalsConfig = Field(default_factory=SignalsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    admin: AdminConfig = Field(default_factory=AdminConfig)
    host: str = Field("127.0.0.1", description="Listen address (loopback unless told otherwise).")
    port: int = Field(8080, ge=0, le=65535)
    access_log: bool = Field(True, description="One JSON line per request on the bouclier.router.access logger (no bodies).")

    @field_validator("upstreams")
    @classmethod
    def _known_upstreams(cls, v: dict[str, UpstreamConfig]) -> dict[str, UpstreamConfig]:
        unknown = sorted(set(v) - set(VARIANTS))
        if unknown:
            raise ValueError(f"unknown variant {unknown[0]!r}: variants are {' and '.join(VARIANTS)}")
        missing = [n for n in VARIANTS if n not in v]
        if missing:
            raise ValueError(f"missing upstream for {missing[0]!r}: both stable and canary need a url")
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        return check_weights(v)

    @field_validator("paths", "openai_paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for p in v:
            if not p.startswith("/"):
                raise ValueError(f"paths start with '/', found {p!r}")
        return v


def check_weights(weights: dict[str, float]) -> dict[str, float]:
    """Validate a weights mapping (also used by the admin API); return it with both variants."""
    unknown = sorted(set(weights) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}: variants are {' and '.join(VARIANTS)}")
    out = {}
    for name in VARIANTS:
        w = weights.get(name, 0.0)
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or not 0 <= w <= 100:
            raise ValueError(f"weight of {name} must be a number from 0 to 100, found {w!r}")
        if round(w * 100) != w * 100 and abs(round(w * 100) - w * 100) > 1e-6:
            raise ValueError(f"weight of {name} has more than 2 decimals ({w!r}); the unit is 0.01 percent")
        out[name] = float(w)
    total = sum(out.values())
    if abs(total - 100.0) > 1e-6:
        raise ValueError(f"weights must sum to 100, found {total:g} ({', '.join(f'{k}={v:g}' for k, v in out.items())})")
    return out


@dataclass(frozen=True)
class LoadedRouterConfig:
    config: RouterConfig
    path: Path
    digest: str


def load_router_config(path: str | Path) -> LoadedRouterConfig:
    """Read the ``router:`` section of a YAML file; raise :class:`ConfigError` listing every
    problem with its line."""
    from bouclier.config.loader import load_section

    config, resolved, digest = load_section(path, "router", RouterConfig, doc="docs/router.md")
    return LoadedRouterConfig(config=config, path=resolved, digest=digest)
