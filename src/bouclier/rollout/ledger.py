"""Rollouts persisted in the registry database: the state row, one transition row per
state change with its evidence, an audit event per transition (same transaction), and the
lease that lets one controller at a time drive a rollout.

Every write checks the row's ``revision`` (optimistic concurrency): a controller that
decided on a state a human has since changed gets :class:`StateChanged` and looks again.
Promotion moves the registry's ``production`` alias in the same transaction as the
``promoted`` transition, so it happens exactly once, and only when the registry's promotion
policy (gate PASS on the config digest, approvals: :mod:`.promotion`) allows it, checked in
that transaction; the same policy is checked when the rollout is created.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select

from bouclier.errors import UsageError
from bouclier.registry import lifecycle, lookup
from bouclier.registry.exceptions import PromotionRefused
from bouclier.registry.tables import RolloutRow, RolloutTransitionRow, VersionRow, utcnow
from bouclier.rollout.decision import TERMINAL, Move, RolloutState, TransitionRefused
from bouclier.rollout.decision import command as decide
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.promotion import PromotionPolicy, RolloutRefused


class LeaseHeld(UsageError):
    """Another controller holds the rollout's lease."""


class StateChanged(Exception):
    """The rollout changed since it was read (a human command or another writer)."""


def _ts(value: dt.datetime | None) -> float | None:
    return lookup.aware(value).timestamp() if value is not None else None


def _dt(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


class RolloutLedger:
    def __init__(self, registry):
        self.registry = registry

    # ------------------------------------------------------------------ reading
    def _state(self, s, row: RolloutRow) -> RolloutState:
        model = s.get(lookup.ModelRow, row.model_id).name
        return RolloutState(
            id=row.id, name=row.name or str(row.id), model=model,
            stable=s.get(VersionRow, row.stable_version_id).label, canary=s.get(VersionRow, row.canary_version_id).label,
            state=row.state, step=row.step, weights=dict(row.weights), revision=row.revision,
            step_started_at=_ts(row.step_started_at), detail=dict(row.detail or {}), plan=dict(row.plan),
            lease_owner=row.lease_owner, lease_expires_at=_ts(row.lease_expires_at),
            created_at=_ts(row.created_at), updated_at=_ts(row.updated_at))

    def _row(self, s, ref: int | str) -> RolloutRow:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            row = s.get(RolloutRow, int(ref))
        else:
            row = s.execute(select(RolloutRow).where(RolloutRow.name == ref).order_by(RolloutRow.id.desc())
                            .limit(1)).scalar_one_or_none()
        if row is None:
            raise UsageError(f"no rollout {ref!r}; list them with `bouclier rollout status`")
        return row

    def get(self, ref: int | str) -> RolloutState:
        with self.registry.reading() as s:
            return self._state(s, self._row(s, ref))

    def list(self) -> list[RolloutState]:
        with self.registry.reading() as s:
            return [self._state(s, r) for r in s.execute(select(RolloutRow).order_by(RolloutRow.id)).scalars()]

    def transitions(self, ref: int | str) -> list[dict[str, Any]]:
        with self.registry.reading() as s:
            row = self._row(s, ref)
            rows = s.execute(select(RolloutTransitionRow).where(RolloutTransitionRow.rollout_id == row.id)
                             .order_by(RolloutTransitionRow.seq)).scalars()
            return [{"seq": t.seq, "from_state": t.from_state, "from_step": t.from_step, "to_state": t.to_state,
                     "to_step": t.to_step, "weights": t.weights, "reason": t.reason, "evidence": t.evidence,
                     "actor": t.actor, "at": _ts(t.created_at)} for t in rows]

    # ------------------------------------------------------------------ creating
    def create(self, *, model: str, canary: str, name: str, plan: dict[str, Any], actor: str,
               policy: PromotionPolicy, stable: str = "production") -> RolloutState:
        """A pending rollout of ``model@canary`` against ``stable`` (an alias or label).
        Refused while another rollout of the model or of this name is unfinished, and
        (:class:`~.promotion.RolloutRefused`) when the promotion ``policy`` would refuse the
        canary: nothing is written then."""
        with self.registry.writing() as s:
            m = lookup.model_row(s, model)
            base = lookup.resolve_row(s, m, stable)
            cand = lookup.resolve_row(s, m, canary)
            if base.id == cand.id:
                raise UsageError(f"{model}@{canary} is already {stable}; nothing to roll out")
            if cand.stage == "retired":
                raise UsageError(f"{model}@{canary} is retired and cannot be rolled out")
            active = s.execute(select(RolloutRow).where(
                ((RolloutRow.model_id == m.id) | (RolloutRow.name == name)),
                RolloutRow.state.not_in(sorted(TERMINAL)))).scalars().first()
            if active is not None:
                raise UsageError(f"rollout {active.name} ({active.state}) is still running for {model}; "
                                 "finish or abort it first")
            gate = self._policy_check(s, m, cand, policy, when="started")
            now = utcnow()
            row = RolloutRow(model_id=m.id, stable_version_id=base.id, canary_version_id=cand.id, state="pending",
                             step=-1, weights={"stable": 100.0, "canary": 0.0}, plan=plan, lease_owner=None,
                             lease_expires_at=None, revision=0, created_at=now, updated_at=now, name=name,
                             step_started_at=None, detail={})
            s.add(row)
            s.flush()
            self.registry.audit(s, "rollout.created", model, actor, rollout=name, rollout_row=row.id,
                                stable=base.label, canary=cand.label, plan=plan,
                                policy={**policy.as_dict(), "gate_run": gate})
            return self._state(s, row)

    # ------------------------------------------------------------------ lease
    def acquire(self, ref: int | str, owner: str, *, ttl_s: float, now: float) -> RolloutState:
        with self.registry.writing() as s:
            row = self._row(s, ref)
            held = row.lease_owner and row.lease_owner != owner and _ts(row.lease_expires_at) > now
            if held:
                raise LeaseHeld(f"rollout {row.name} is driven by controller {row.lease_owner} (lease until "
                                f"{_dt(_ts(row.lease_expires_at)):%H:%M:%S} UTC); a second controller is refused")
            row.lease_owner, row.lease_expires_at = owner, _dt(now + ttl_s)
            return self._state(s, row)

    def release(self, ref: int | str, owner: str) -> None:
        with self.registry.writing() as s:
            row = self._row(s, ref)
            if row.lease_owner == owner:
                row.lease_owner, row.lease_expires_at = None, None

    def _check_lease(self, row: RolloutRow, owner: str | None, now: float, ttl_s: float | None) -> None:
        if owner is None:
            return
        if row.lease_owner != owner or (_ts(row.lease_expires_at) or 0) <= now:
            raise LeaseHeld(f"controller {owner} lost the lease of rollout {row.name} (held by {row.lease_owner})")
        if ttl_s:
            row.lease_expires_at = _dt(now + ttl_s)

    # ------------------------------------------------------------------ writing
    def apply(self, st: RolloutState, move: Move, *, actor: str, now: float, owner: str | None = None,
              ttl_s: float | None = None, policy: PromotionPolicy | None = None) -> RolloutState:
        """Persist ``move`` from ``st`` (checked against the row's revision and, for a
        controller, its lease), with a transition row and an audit event. A move to
        ``promoted`` needs the promotion ``policy``; :class:`PromotionRefused` (nothing
        written) when the registry refuses."""
        with self.registry.writing() as s:
            row = self._row(s, st.id)
            if row.revision != st.revision:
                raise StateChanged(f"rollout {row.name} changed (revision {row.revision}, expected {st.revision})")
            self._check_lease(row, owner, now, ttl_s)
            if move.to_state == "promoted":
                if policy is None:
                    raise TypeError("a move to promoted needs the promotion policy")
                self._promote_in_registry(s, row, actor, policy)
            seq = s.execute(select(func.count()).where(RolloutTransitionRow.rollout_id == row.id)).scalar_one() + 1
            s.add(RolloutTransitionRow(rollout_id=row.id, seq=seq, from_state=row.state, from_step=row.step,
                                       to_state=move.to_state, to_step=move.to_step, weights=move.weights,
                                       reason=move.reason, evidence=move.evidence, actor=actor, created_at=_dt(now)))
            self.registry.audit(s, "rollout.transition", st.model, actor, rollout=row.name, seq=seq,
                                from_state=row.state, from_step=row.step, to_state=move.to_state,
                                to_step=move.to_step, weights=move.weights, reason=move.reason,
                                score=(move.evidence.get("analysis") or {}).get("score"),
                                verdict=(move.evidence.get("analysis") or {}).get("verdict"))
            row.state, row.step, row.weights = move.to_state, move.to_step, dict(move.weights)
            row.detail = dict(move.detail)
            if move.new_window:
                row.step_started_at = _dt(now)
            row.revision += 1
            row.updated_at = _dt(now)
            return self._state(s, row)

    def command(self, ref: int | str, action: str, *, actor: str, reason: str = "",
                now: float | None = None) -> tuple[RolloutState, RolloutState, Move]:
        """A human command (pause, resume, promote, abort) applied to the rollout's current
        state: (before, after, move). :class:`~.decision.TransitionRefused` when the state
        does not allow it (nothing changed)."""
        for _ in range(5):  # a controller may write between our read and our write
            st = self.get(ref)
            at = time.time() if now is None else now
            move = decide(RolloutConfig.model_validate(st.plan), st, action, at, reason)
            try:
                return st, self.apply(st, move, actor=actor, now=at), move
            except StateChanged:
                continue
        raise UsageError(f"rollout {ref} kept changing while `{action}` was applied; run it again")

    def record_analysis(self, st: RolloutState, analysis: dict[str, Any], *, now: float) -> None:
        """Keep the latest analysis on the row for `status` (not a transition; no revision bump)."""
        with self.registry.writing() as s:
            row = self._row(s, st.id)
            if row.revision == st.revision:
                row.detail = {**(row.detail or {}), "last_analysis": analysis, "analysed_at": now}

    def _policy_check(self, s, m, v: VersionRow, policy: PromotionPolicy, *, when: str) -> str | None:
        """The run id of the PASS the promotion would rest on; refusal when the policy says no."""
        try:
            if v.stage == "retired":
                raise PromotionRefused(f"{m.name}@{v.label} is retired")
            _, gate, missing = lifecycle.production_evidence(s, self.registry, m, v,
                                                             config_digest=policy.config_digest,
                                                             required_approvals=policy.required_approvals)
            if missing:
                raise lifecycle.gate_refusal(f"{m.name}@{v.label}", missing, override_hint=False)
        except PromotionRefused as exc:
            where = f" (policy of {policy.source})" if policy.source else ""
            raise RolloutRefused(f"rollout of {m.name}@{v.label} not {when}: it could not be promoted{where}: "
                                 f"{exc}") from exc
        return gate.run_id if gate else None

    def promotion_refused(self, st: RolloutState, policy: PromotionPolicy) -> str | None:
        """Why the registry would refuse to promote the rollout's canary now (None: it would not)."""
        with self.registry.reading() as s:
            row = self._row(s, st.id)
            try:
                self._policy_check(s, s.get(lookup.ModelRow, row.model_id), s.get(VersionRow, row.canary_version_id),
                                   policy, when="promoted")
            except RolloutRefused as exc:
                return str(exc.__cause__)
        return None

    def _promote_in_registry(self, s, row: RolloutRow, actor: str, policy: PromotionPolicy) -> None:
        m = s.get(lookup.ModelRow, row.model_id)
        v = s.get(VersionRow, row.canary_version_id)
        current = self.registry._production(s, m)
        if current is not None and current.id == v.id:
            raise TransitionRefused(f"{m.name}@{v.label} is already production")
        if v.stage == "retired":
            raise PromotionRefused(f"{m.name}@{v.label} was retired during the rollout and cannot be promoted")
        approvers, gate, missing = lifecycle.production_evidence(
            s, self.registry, m, v, config_digest=policy.config_digest, required_approvals=policy.required_approvals)
        if missing:
            raise lifecycle.gate_refusal(f"{m.name}@{v.label}", missing, override_hint=False)
        lifecycle.record_promotion(s, self.registry, m, v, to="production", current=current, gate=gate,
                                   override_row=None, approvers=approvers, who=actor,
                                   alias_reason=f"rollout {row.name} promoted", config_digest=policy.config_digest,
                                   rollout=row.name,
                                   evidence="canary analysis of rollout " + (row.name or str(row.id)))
