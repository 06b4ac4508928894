"""Signals from Prometheus: the canary analysis on PromQL, Kayenta style.

Configured in the ``rollout.prometheus`` section (:class:`PrometheusConfig`); every query is a
template whose ``$variables`` are filled per variant and window:

- ``$variant`` (``stable`` / ``canary``), ``$identity`` (how the caller names the variant,
  e.g. Argo's pod template hash; the variant name when not given), ``$rollout`` (the rollout
  id), ``$window`` (the window as a PromQL duration, e.g. ``300s``), ``$step`` (a continuous
  metric's step, e.g. ``60s``).

How each metric is read:

- ``requests`` and ``errors``: instant queries at the window's end, typically
  ``sum(increase(...[$window]))``; error_rate is errors out of requests;
- rates and leaks: a ``count`` and a ``total`` query, evaluated the same way;
- continuous metrics: a range query over the window, one sample per ``step_s``; the
  samples of canary and stable feed the Mann-Whitney comparison.

``increase()`` extrapolates, so counts are rounded (and events capped at the trials). An
empty result is no data, never a failure; an empty ``count`` with a non-empty ``total`` is
zero events (a counter of errors often has no series before the first error). A query
returning several series is refused: aggregate it (``sum(...)``).

The defaults read the metrics of bouclier's own router (``/metrics``, label ``variant``).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import string
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from bouclier.errors import UsageError
from bouclier.rollout.canary_metrics import METRICS
from bouclier.rollout.observations import VARIANTS, Observations, SignalSourceError

VARIABLES = ("variant", "identity", "rollout", "window", "step")
MAX_POINTS = 10_000  # Prometheus refuses range queries of more than 11,000 points per series
_LABEL_VALUE = re.compile(r"[\w.:/@-]{1,253}")


class PrometheusError(SignalSourceError):
    """Prometheus could not answer a query."""


class PrometheusUnreachable(PrometheusError):
    """No connection, a timeout, or an answer that is not Prometheus's API."""


class PrometheusQueryError(PrometheusError):
    """Prometheus rejected a query (``"status": "error"``) or its result cannot be used."""


def _check_template(query: str) -> str:
    t = string.Template(query)
    if not t.is_valid():
        raise ValueError("a '$' that starts no variable: write $$ for a literal '$'")
    unknown = sorted(set(t.get_identifiers()) - set(VARIABLES))
    if unknown:
        raise ValueError(f"unknown variable ${unknown[0]}: the variables are "
                         f"{', '.join('$' + v for v in VARIABLES)}")
    return query


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateQuery(_Strict):
    """A rate or a leak: events out of trials over the window (instant queries)."""

    count: str = Field(..., description="Events in the window, e.g. sum(increase(flags{...}[$window])).")
    total: str = Field(..., description="Trials in the window, e.g. sum(increase(requests{...}[$window])).")

    @field_validator("count", "total")
    @classmethod
    def _templates(cls, v: str) -> str:
        return _check_template(v)


class SeriesQuery(_Strict):
    """A continuous metric: a range query over the window, one sample per step."""

    query: str = Field(..., description="One series, e.g. a rate ratio or histogram_quantile over [$step].")
    step_s: float = Field(60.0, gt=0, le=86_400, description="Seconds between samples.")

    @field_validator("query")
    @classmethod
    def _templates(cls, v: str) -> str:
        return _check_template(v)


_REQ = 'bouclier_router_requests_total{variant="$variant",kind="primary"}'
_OK = 'bouclier_router_requests_total{variant="$variant",kind="primary",outcome="ok"}'


def _flags(detector: str) -> RateQuery:
    return RateQuery(count=f'sum(increase(bouclier_router_detector_flags_total{{variant="$variant",'
                           f'detector="{detector}"}}[$window]))',
                     total='sum(increase(bouclier_router_inspected_total{variant="$variant"}[$window]))')


def _mean(histogram: str) -> SeriesQuery:
    return SeriesQuery(query=f'sum(rate({histogram}_sum{{variant="$variant"}}[$step])) / '
                             f'sum(rate({histogram}_count{{variant="$variant"}}[$step]))')


def _per_request(counter: str) -> SeriesQuery:
    return SeriesQuery(query=f"sum(rate({counter}[$step])) / sum(rate({_OK}[$step]))")


DEFAULT_REQUESTS = f"sum(increase({_REQ}[$window]))"
DEFAULT_ERRORS = ('sum(increase(bouclier_router_requests_total{variant="$variant",kind="primary",'
                  'outcome=~"http_error|error|timeout|invalid_response"}[$window]))')
DEFAULTS: dict[str, RateQuery | SeriesQuery] = {
    "latency": _mean("bouclier_router_latency_seconds"),
    "ttft": _mean("bouclier_router_ttft_seconds"),
    "cost": _per_request('bouclier_router_cost_total{variant="$variant"}'),
    "completion_tokens": _per_request('bouclier_router_tokens_total{variant="$variant",type="completion"}'),
    "timeout_rate": RateQuery(
        count='sum(increase(bouclier_router_requests_total{variant="$variant",kind="primary",outcome="timeout"}'
              '[$window]))', total=DEFAULT_REQUESTS),
    "refusal_rate": _flags("refusal"),
    "pii_rate": _flags("pii"),
    "secret_leak": _flags("secret"),
    "canary_token_leak": _flags("canary_token"),
    "negative_feedback_rate": RateQuery(
        count='sum(increase(bouclier_router_feedback_total{variant="$variant",sign="negative"}[$window]))',
        total='sum(increase(bouclier_router_feedback_total{variant="$variant"}[$window]))'),
}

def _no_error_rate(cls, data: Any) -> Any:
    if isinstance(data, dict) and "error_rate" in data:
        raise ValueError("error_rate is read as prometheus.errors out of prometheus.requests; "
                         "set those two queries instead")
    return data


# One optional key per metric, typed by its kind, so that a wrong key is reported on its own line.
PrometheusQueries = create_model(
    "PrometheusQueries", __base__=_Strict,
    __validators__={"_no_error_rate": model_validator(mode="before")(_no_error_rate)},
    **{name: ((SeriesQuery if d.kind == "continuous" else RateQuery) | None,
              Field(DEFAULTS.get(name), description=d.description))
       for name, d in METRICS.items() if name != "error_rate"})


class PrometheusConfig(_Strict):
    """The ``rollout.prometheus`` section: where Prometheus is and what to ask it."""

    url: str = Field(..., description="Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090.")
    timeout_s: float = Field(10.0, gt=0, le=300, description="Timeout of one query (also sent to Prometheus).")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Header name -> environment variable holding its value (tokens).")
    max_concurrency: int = Field(8, ge=1, le=64, description="Queries in flight at once.")
    requests: str = Field(DEFAULT_REQUESTS, description="Requests of a variant in the window (instant query).")
    errors: str = Field(DEFAULT_ERRORS, description="Failed requests of a variant in the window (instant query).")
    metrics: PrometheusQueries = Field(  # type: ignore[valid-type]
        default_factory=PrometheusQueries, description="Per-metric queries (defaults: bouclier's router).")

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:9090")
        return v.rstrip("/")

    @field_validator("requests", "errors")
    @classmethod
    def _templates(cls, v: str) -> str:
        return _check_template(v)

    @property
    def where(self) -> str:
        """The URL without any user or password in it (for messages)."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"

    def query(self, metric: str) -> RateQuery | SeriesQuery | None:
        return getattr(self.metrics, metric, None)


def _duration(seconds: float) -> str:
    ms = max(1, round(seconds * 1000))
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


class PrometheusSignals:
    """A :class:`~bouclier.rollout.observations.SignalSource` on the Prometheus HTTP API
    (``/api/v1/query`` and ``/api/v1/query_range``, through aiohttp)."""

    name = "prometheus"

    def __init__(self, config: PrometheusConfig):
        self.config = config
        self.headers = {}
        for header, env in config.headers_env.items():
            value = os.environ.get(env)
            if not value:
                raise UsageError(f"rollout.prometheus.headers_env.{header}: environment variable {env} is not set")
            self.headers[header] = value

    def observe(self, *, rollout_id: str, since: float, until: float, metrics: Sequence[str],
                identities: Mapping[str, str] | None = None) -> dict[str, Observations]:
        """Blocking (it runs its own event loop): call it from a worker thread."""
        identities = dict(identities or {})
        for what, value in [("rollout", rollout_id), *identities.items()]:
            if not _LABEL_VALUE.fullmatch(value):  # they go inside PromQL strings: no injection
                raise PrometheusQueryError(f"{what} {value[:80]!r} cannot go into a query: letters, digits "
                                           "and . _ - : / @ only, at most 253 characters")
        return asyncio.run(self._observe(rollout_id, since, until, metrics, identities))

    async def _observe(self, rollout_id: str, since: float, until: float, metrics: Sequence[str],
                       identities: Mapping[str, str]) -> dict[str, Observations]:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s, sock_connect=min(5.0, self.config.timeout_s))
        limit = asyncio.Semaphore(self.config.max_concurrency)
        async with aiohttp.ClientSession(timeout=timeout, headers=self.headers) as session:
            async def ask(label: str, template: str, variables: dict[str, str], step: float | None = None):
                query = string.Template(template).substitute(variables)
                async with limit:
                    if step is None:
                        return await self._instant(session, label, query, until)
                    return await self._range(session, label, query, since, until, step)

            jobs: dict[tuple[str, str, str], Any] = {}  # (variant, metric, part) -> query
            for name in VARIANTS:
                base = {"variant": name, "identity": identities.get(name) or name, "rollout": rollout_id,
                        "window": _duration(until - since), "step": "60s"}
                jobs[(name, "requests", "")] = ask(f"requests of {name}", self.config.requests, base)
                jobs[(name, "errors", "")] = ask(f"errors of {name}", self.config.errors, base)
                for metric in metrics:
                    q = self.config.query(metric)
                    if isinstance(q, RateQuery):
                        jobs[(name, metric, "count")] = ask(f"{metric} count of {name}", q.count, base)
                        jobs[(name, metric, "total")] = ask(f"{metric} total of {name}", q.total, base)
                    elif isinstance(q, SeriesQuery):
                        step = max(q.step_s, (until - since) / MAX_POINTS)
                        jobs[(name, metric, "query")] = ask(f"{metric} of {name}", q.query,
                                                            {**base, "step": _duration(step)}, step)
            try:  # the first failure cancels the other queries
                async with asyncio.TaskGroup() as group:
                    tasks = {key: group.create_task(job) for key, job in jobs.items()}
            except ExceptionGroup as eg:
                raise _first(eg) from None
        got = {key: task.result() for key, task in tasks.items()}
        return {name: _observations(name, got, metrics) for name in VARIANTS}

    async def _call(self, session, label: str, path: str, form: dict[str, str]) -> Any:
        import aiohttp

        url = self.config.url + path
        try:
            async with session.post(url, data=form) as resp:
                try:
                    doc = await resp.json(content_type=None)
                except ValueError:
                    doc = None
                status = resp.status
        except asyncio.TimeoutError:
            raise PrometheusUnreachable(f"prometheus at {self.config.where} did not answer within "
                                        f"{self.config.timeout_s:g} s ({label})") from None
        except aiohttp.ClientError as exc:
            os_error = getattr(exc, "os_error", None)  # the cause, without a URL that may hold a password
            reason = os_error.strerror if os_error is not None and os_error.strerror else type(exc).__name__
            raise PrometheusUnreachable(f"prometheus at {self.config.where} is unreachable ({label}): "
                                        f"{reason}") from exc
        if not isinstance(doc, dict) or "status" not in doc:
            raise PrometheusUnreachable(f"{self.config.where}{path} answered HTTP {status} without Prometheus's "
                                        "JSON (check rollout.prometheus.url)")
        if doc["status"] != "success":
            raise PrometheusQueryError(f"prometheus rejected the query for {label}: {doc.get('errorType', 'error')}: "
                                       f"{doc.get('error', '(no message)')} (query: {form['query']})")
        return doc.get("data") or {}

    def _one_series(self, label: str, query: str, result: list) -> dict | None:
        if not result:
            return None
        if len(result) > 1:
            raise PrometheusQueryError(
                f"the query for {label} returned {len(result)} series, one was expected: aggregate it, "
                f"e.g. sum(...) (query: {query})")
        return result[0]

    async def _instant(self, session, label: str, query: str, at: float) -> float | None:
        data = await self._call(session, label, "/api/v1/query",
                                {"query": query, "time": f"{at:.3f}", "timeout": _duration(self.config.timeout_s)})
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar":
            value = _float(result[1])
        elif kind == "vector":
            series = self._one_series(label, query, result)
            value = None if series is None else _float(series["value"][1])
        else:
            raise PrometheusQueryError(f"the query for {label} gave a {kind}, an instant vector or scalar "
                                       f"was expected (query: {query})")
        return value

    async def _range(self, session, label: str, query: str, since: float, until: float, step: float) -> list[float]:
        data = await self._call(session, label, "/api/v1/query_range",
                                {"query": query, "start": f"{since:.3f}", "end": f"{until:.3f}",
                                 "step": _duration(step), "timeout": _duration(self.config.timeout_s)})
        series = self._one_series(label, query, data.get("result") or [])
        if series is None:
            return []
        return [v for v in (_float(x) for _, x in series.get("values", [])) if v is not None]


def _first(group: BaseExceptionGroup) -> BaseException:
    """The first Prometheus error of a task group (anything else is a bug: re-raised as is)."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            exc = _first(exc)
        if isinstance(exc, PrometheusError):
            return exc
    raise group


def _observations(variant: str, got: dict[tuple[str, str, str], Any], metrics: Sequence[str]) -> Observations:
    requests = _count(got[(variant, "requests", "")])
    errors = min(_count(got[(variant, "errors", "")]), requests)
    values: dict[str, list[float]] = {}
    events = {"error_rate": (errors, requests)} if "error_rate" in metrics else {}
    for metric in metrics:
        if (variant, metric, "query") in got:
            values[metric] = got[(variant, metric, "query")]
        elif got.get((variant, metric, "total")) is not None:  # no total: no trials, no data
            n = _count(got[(variant, metric, "total")])
            events[metric] = (min(_count(got[(variant, metric, "count")]), n), n)  # no count: no event
    return Observations(requests=requests, errors=errors, values=values, events=events)


def _float(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _count(value: float | None) -> int:
    return max(0, round(value)) if value is not None else 0
