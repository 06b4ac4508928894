"""Live traffic per version, read from the canary router's signal store, for the
``min_requests_per_day`` policy of ``bouclier lifecycle report``.

The router records one primary signal per client request under its ``rollout_id`` and
variant (``stable`` / ``canary``); the registry's rollouts (same name as the router's
``rollout_id``) say which version each variant was. A rollout speaks for its
``rollout_id`` from its creation until the next rollout of that name, so a request is
attributed to the version its variant served at that time. Requests the router received
under a ``rollout_id`` no rollout of the registry names are counted apart, never
attributed.

Traffic is **unknown** (never 0) without a signal store, and for a version that no
rollout of this model ever sent traffic to (the router cannot have seen it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bouclier.errors import ConfigError, Problem

DAY_S = 86400.0


@dataclass(frozen=True)
class VersionTraffic:
    requests: int  # client requests attributed to the version in the window
    per_day: float | None  # None when the store does not cover the whole window
    days: float  # the part of the window the store covers
    rollouts: list[str]  # the rollouts that sent it traffic


@dataclass(frozen=True)
class TrafficReading:
    """What the signal store says about a model's versions over the window."""

    store: str | None  # None: no store, traffic unknown
    window_days: float
    versions: dict[str, VersionTraffic] = field(default_factory=dict)  # label -> traffic
    notes: list[str] = field(default_factory=list)
    rolling_out: dict[str, str] = field(default_factory=dict)  # label -> running rollout (a share only)
    covered: bool = False  # the store holds requests from before the window: the figures can be judged
    unknown_reason: str | None = None  # why no version's traffic is known

    def of(self, label: str) -> VersionTraffic | None:
        return self.versions.get(label)


def duration(seconds: float) -> str:
    """'7 days', '5.5 hours', '40 s'."""
    if seconds >= DAY_S:
        return f"{seconds / DAY_S:.3g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} hours"
    return f"{seconds:.3g} s"


NO_STORE = ("no signal store configured (set lifecycle.signals to the router's signals.store, "
            "or add a rollout: section)")


def signals_path(loaded: Any) -> tuple[Path | str | None, str | None]:
    """(store, key that set it) of the router's signal store for ``loaded`` (a
    LoadedConfig): ``lifecycle.signals``, else ``rollout.traffic.signals``. A SQLite file
    comes back as a Path relative to the config file; ``registry`` or a database URL as
    given (see :func:`bouclier.rollout.signals.open_signal_store`). (None, None) when
    neither is set."""
    from bouclier.rollout.signals import is_database_store

    cfg = loaded.config
    for key, value in (("lifecycle.signals", cfg.lifecycle.signals if cfg.lifecycle else None),
                       ("rollout.traffic.signals", cfg.rollout.traffic.signals if cfg.rollout else None)):
        if value:
            if is_database_store(value):
                return value, key
            p = Path(value)
            return (p if p.is_absolute() else loaded.base_dir / p), key
    return None, None


def read_traffic(registry: Any, model: str, store_path: Path | str | None, *, window_days: float,
                 now: dt.datetime, key: str = "lifecycle.signals", config_file: str | None = None) -> TrafficReading:
    """Requests per version of ``model`` over the ``window_days`` before ``now``."""
    if store_path is None:
        return TrafficReading(None, window_days, unknown_reason=NO_STORE)
    if isinstance(store_path, Path) and not store_path.is_file():
        if key == "lifecycle.signals":  # set on purpose: a wrong path is a mistake to fix
            raise ConfigError(problems=[Problem(f"the signal store {store_path} does not exist", file=config_file,
                                                key=key, hint="point it at the router's signals.store file")])
        return TrafficReading(str(store_path), window_days,
                              unknown_reason=f"the signal store {store_path} ({key}) does not exist yet: "
                                             "the router has not run")
    from bouclier.rollout.decision import TERMINAL
    from bouclier.rollout.ledger import RolloutLedger
    from bouclier.rollout.signals import open_signal_store

    until = now.timestamp()
    since = until - window_days * DAY_S
    rollouts = sorted(RolloutLedger(registry).list(), key=lambda r: (r.created_at or 0.0, r.id))
    mine = [r for r in rollouts if r.model == model]
    store = open_signal_store(str(store_path))
    try:
        first = store.first_ts()
        if first is None or first >= until:
            return TrafficReading(str(store_path), window_days,
                                  unknown_reason=f"the signal store {store_path} holds no request yet")
        start = max(since, first)
        days = (until - start) / DAY_S
        notes = []
        if start > since:
            notes.append(f"the signal store covers only the last {duration(until - start)}, not the whole window "
                         f"of {duration(window_days * DAY_S)}: too short to judge min_requests_per_day")
        if not mine:
            notes.append(f"no rollout of {model} in the registry: the router's requests cannot be "
                         "attributed to its versions")
        counts: dict[str, int] = {}
        seen: dict[str, list[str]] = {}
        attributed: dict[str, int] = {}  # rollout id -> requests attributed to a version
        for r in mine:
            nxt = next((o.created_at for o in rollouts if o.name == r.name and (o.created_at or 0.0, o.id)
                        > (r.created_at or 0.0, r.id)), None)
            lo, hi = max(start, r.created_at or start), min(until, nxt if nxt is not None else until)
            for variant, label in (("stable", r.stable), ("canary", r.canary)):
                n = store.count(rollout_id=r.name, variant=variant, since=lo, until=hi) if lo < hi else 0
                counts[label] = counts.get(label, 0) + n
                seen.setdefault(label, []).append(r.name)
                attributed[r.name] = attributed.get(r.name, 0) + n
        names = {r.name for r in rollouts}
        left = []
        for rid in store.rollout_ids(since=start, until=until):
            if rid in names and rid not in attributed:
                continue  # another model's rollout
            n = store.count(rollout_id=rid, since=start, until=until) - attributed.get(rid, 0)
            if n > 0:
                left.append(f"{rid} ({n}{'' if rid in names else ', no rollout of that name'})")
        if left:
            notes.append("requests received outside any rollout of the registry, not attributed to a version: "
                         + ", ".join(left))
    finally:
        store.close()
    covered = start <= since
    versions = {label: VersionTraffic(n, n / days if covered else None, days, list(dict.fromkeys(seen[label])))
                for label, n in counts.items()}
    running = {label: r.name for r in mine if r.state not in TERMINAL for label in (r.stable, r.canary)}
    return TrafficReading(str(store_path), window_days, versions, notes, running, covered)
