"""A :class:`~bouclier.rollout.signals.SignalStore` in the registry's database.

For a team whose registry is on PostgreSQL (or any SQLAlchemy URL the registry accepts):
the router writes its signals there and every controller, ``serve-analysis`` instance and
``lifecycle report`` reads them from the same place. Tables ``router_signal``,
``router_feedback`` and ``router_weights`` (migration 0003) belong to the registry's schema
and are created by its migrations like every other table.

The SQLite file store stays the default on one machine: it is the cheaper of the two on the
router's CPU (no SQLAlchemy layer between the rows and the driver).
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import func, insert, select

from bouclier.registry.tables import RouterFeedbackRow, RouterSignalRow, RouterWeightsRow
from bouclier.rollout.signals import Feedback, Signal, VariantSummary, WeightChange, summarise

_SIGNAL = RouterSignalRow.__table__
_FEEDBACK = RouterFeedbackRow.__table__
_WEIGHTS = RouterWeightsRow.__table__
_COLUMNS = Signal.columns()
_SIGNAL_COLUMNS = [_SIGNAL.c[name] for name in _COLUMNS]


class RegistrySignalStore:
    """Signals in the registry database at ``url`` (None: ``BOUCLIER_DATABASE_URL``, else
    the SQLite registry in ``.bouclier/``), migrated on first use."""

    def __init__(self, url: str | None = None):
        from bouclier.registry import open_registry

        self._registry = open_registry(url)
        self._engine = self._registry.engine
        self.where = self._registry.where

    def write(self, signals: Sequence[Signal], feedback: Sequence[Feedback] = ()) -> None:
        with self._engine.begin() as conn:
            if signals:
                conn.execute(insert(_SIGNAL), [{name: getattr(s, name) for name in _COLUMNS} for s in signals])
            if feedback:
                conn.execute(insert(_FEEDBACK), [
                    {"request_id": f.request_id, "ts": f.ts, "value": f.value, "rollout_id": f.rollout_id,
                     "variant": f.variant, "label": f.label} for f in feedback])

    def record_weights(self, change: WeightChange) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(_WEIGHTS).values(rollout_id=change.rollout_id, ts=change.ts, epoch=change.epoch,
                                                 weights=change.weights, reason=change.reason))

    def window(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
               until: float | None = None, kinds: Sequence[str] = ("primary",),
               include_forced: bool = False, epoch: int | None = None) -> list[Signal]:
        q = self._where(select(*_SIGNAL_COLUMNS), _SIGNAL, rollout_id, variant, since, until)
        if epoch is not None:
            q = q.where(_SIGNAL.c.weights_epoch == epoch)
        if kinds:
            q = q.where(_SIGNAL.c.kind.in_(list(kinds)))
        if not include_forced:
            q = q.where(_SIGNAL.c.forced.is_(False))
        with self._engine.connect() as conn:
            return [Signal(**row._mapping) for row in conn.execute(q.order_by(_SIGNAL.c.ts, _SIGNAL.c.id))]

    def feedback(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
                 until: float | None = None) -> list[Feedback]:
        c = _FEEDBACK.c
        q = self._where(select(c.request_id, c.ts, c.value, c.rollout_id, c.variant, c.label), _FEEDBACK,
                        rollout_id, variant, since, until)
        with self._engine.connect() as conn:
            return [Feedback(*row) for row in conn.execute(q.order_by(c.ts, c.id))]

    def summary(self, *, rollout_id: str, since: float | None = None,
                until: float | None = None) -> dict[str, VariantSummary]:
        return summarise(self, rollout_id=rollout_id, since=since, until=until)

    def variant_of(self, request_id: str) -> tuple[str, str] | None:
        c = _SIGNAL.c
        with self._engine.connect() as conn:
            row = conn.execute(select(c.rollout_id, c.variant).where(c.request_id == request_id, c.kind == "primary")
                               .limit(1)).first()
        return (row[0], row[1]) if row else None

    def count(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
              until: float | None = None) -> int:
        q = self._where(select(func.count()).select_from(_SIGNAL), _SIGNAL, rollout_id, variant, since, until)
        q = q.where(_SIGNAL.c.kind == "primary", _SIGNAL.c.forced.is_(False))
        with self._engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def first_ts(self) -> float | None:
        with self._engine.connect() as conn:
            return conn.execute(select(func.min(_SIGNAL.c.ts))).scalar_one()

    def rollout_ids(self, *, since: float, until: float) -> list[str]:
        c = _SIGNAL.c
        with self._engine.connect() as conn:
            return list(conn.execute(select(c.rollout_id).distinct().where(c.ts >= since, c.ts < until)
                                     .order_by(c.rollout_id)).scalars())

    def latest_weights(self, rollout_id: str) -> WeightChange | None:
        c = _WEIGHTS.c
        with self._engine.connect() as conn:
            row = conn.execute(select(c.rollout_id, c.ts, c.epoch, c.weights, c.reason).where(c.rollout_id == rollout_id)
                               .order_by(c.epoch.desc(), c.ts.desc(), c.id.desc()).limit(1)).first()
        if row is None:
            return None
        return WeightChange(rollout_id=row[0], ts=row[1], epoch=row[2], weights=dict(row[3]), reason=row[4] or "")

    def close(self) -> None:
        self._registry.close()

    @staticmethod
    def _where(q: Any, table: Any, rollout_id: str, variant: str | None, since: float | None,
               until: float | None) -> Any:
        q = q.where(table.c.rollout_id == rollout_id)
        if variant is not None:
            q = q.where(table.c.variant == variant)
        if since is not None:
            q = q.where(table.c.ts >= since)
        if until is not None:
            q = q.where(table.c.ts < until)
        return q
