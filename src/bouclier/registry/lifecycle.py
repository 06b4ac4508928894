"""Stage changes and the promotion policy.

Promotion to ``production`` needs, in one write transaction:

1. the version is not retired and not already production;
2. ``required_approvals`` distinct approvers have approved it for production (an
   override does not replace approvals: four eyes stay four eyes);
3. evidence: the most recent gate run of this version against the current production
   version on the caller's config digest is a PASS. Without it the promotion is refused
   with the reason and the next step, unless ``override=True`` with a ``reason``, which
   records an override (actor, reason, what was missing). The very first production
   version of a model needs no gate run (there is nothing to compare with).

Promotion to ``canary`` needs only a version that is not retired or production. The
replaced production version becomes ``deprecated``. Nothing is written when refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bouclier.errors import UsageError
from bouclier.registry import lookup
from bouclier.registry.exceptions import PromotionRefused, RegistryError
from bouclier.registry.gate_runs import latest_run
from bouclier.registry.identity import actor as current_actor
from bouclier.registry.tables import (
    AliasRow,
    ApprovalRow,
    GateRunRow,
    OverrideRow,
    PromotionRow,
    VersionRow,
    utcnow,
)
from bouclier.registry.values import PromotionInfo

PROMOTION_TARGETS = ("canary", "production")


def _evidence(s, m, v: VersionRow, current: VersionRow, config_digest: str | None):
    """(gate run row or None, why it is missing)."""
    ref, base = f"{m.name}@{v.label}", f"{m.name}@{current.label}"
    if not config_digest:
        return None, f"no config digest given, so no gate run of {ref} can be matched to the current configuration"
    run = latest_run(s, candidate_id=v.id, baseline_id=current.id, config_digest=config_digest)
    if run is not None and run.verdict == "PASS":
        return run, ""
    if run is not None:
        return None, (
            f"the latest gate run of {ref} against production {base} on config "
            f"{config_digest[:12]} is {run.verdict} (run {run.run_id})"
        )
    other = latest_run(s, candidate_id=v.id, baseline_id=current.id)
    if other is not None:
        return None, (
            f"{ref} was gated against production {base} only on config "
            f"{other.config_digest[:12]} (run {other.run_id}, {other.verdict}), not on the current "
            f"config {config_digest[:12]}"
        )
    return None, f"no recorded gate run of {ref} against production {base}"


def production_evidence(
    s, registry, m, v: VersionRow, *, config_digest: str | None, required_approvals: int,
) -> tuple[list[str], GateRunRow | None, str]:
    """The promotion policy for ``v`` -> production, inside session ``s``: (approvers, PASS
    gate run or None, why the gate evidence is missing). :class:`PromotionRefused` when the
    approvals are missing (an override never replaces them)."""
    if required_approvals < 0:
        raise UsageError(f"required_approvals: expected 0 or more, found {required_approvals}")
    ref = f"{m.name}@{v.label}"
    approvers = sorted(s.execute(
        select(ApprovalRow.approver).where(ApprovalRow.version_id == v.id, ApprovalRow.stage == "production")
    ).scalars().all())
    if len(approvers) < required_approvals:
        have = f" ({', '.join(approvers)})" if approvers else ""
        raise PromotionRefused(
            f"promotion of {ref} to production refused: the policy requires "
            f"{required_approvals} distinct approver(s), it has {len(approvers)}{have}; "
            f"an approver runs: bouclier registry approve {m.name} {v.label}"
        )
    current = registry._production(s, m)
    if current is None or current.id == v.id:
        return approvers, None, ""
    gate, missing = _evidence(s, m, v, current, config_digest)
    return approvers, gate, missing


def gate_refusal(ref: str, missing: str, *, override_hint: bool = True) -> PromotionRefused:
    other = ', or promote with --override --reason "..."' if override_hint else " first"
    return PromotionRefused(
        f"promotion of {ref} to production refused: {missing}. Run "
        f"`bouclier check --baseline production --record` with {ref} as the candidate{other}"
    )


def promote(
    registry, model: str, version: str, *, to: str = "production", config_digest: str | None = None,
    override: bool = False, reason: str | None = None, actor: str | None = None,
    required_approvals: int = 0,
) -> PromotionInfo:
    if to not in PROMOTION_TARGETS:
        raise UsageError(f"--to '{to}': expected one of {', '.join(PROMOTION_TARGETS)}")
    if override and not (reason and reason.strip()):
        raise UsageError('--override needs --reason "why the gate is overridden" (recorded in the audit trail)')
    if required_approvals < 0:
        raise UsageError(f"required_approvals: expected 0 or more, found {required_approvals}")
    who = actor or current_actor()
    with registry.writing() as s:
        m = lookup.model_row(s, model)
        v = lookup.version_row(s, m, version)
        if v is None:
            raise lookup.unknown_version(s, m, version)
        ref = f"{model}@{version}"
        if v.stage == "retired":
            raise RegistryError(f"{ref} is retired and cannot be promoted; register a new version")
        current = registry._production(s, m)
        if current is not None and current.id == v.id:
            raise RegistryError(f"{ref} is already the production version")
        if to == "canary" and v.stage == "canary":
            raise RegistryError(f"{ref} is already the canary")
        approvers: list[str] = []
        gate = None
        override_row = None
        if to == "production":
            approvers, gate, missing = production_evidence(s, registry, m, v, config_digest=config_digest,
                                                           required_approvals=required_approvals)
            if missing and not override:
                raise gate_refusal(ref, missing)
            if missing:
                override_row = OverrideRow(version_id=v.id, stage=to, actor=who,
                                           reason=reason.strip(), refused_because=missing,
                                           created_at=utcnow())
                s.add(override_row)
                s.flush()
                registry.audit(s, "override.recorded", model, who, version=version, to=to,
                               reason=reason.strip(), refused_because=missing)
        row = record_promotion(s, registry, m, v, to=to, current=current, gate=gate, override_row=override_row,
                               approvers=approvers, who=who, alias_reason=f"promoted to {to}",
                               config_digest=config_digest)
        return lookup.promotion_info(s, row)


def record_promotion(s, registry, m, v: VersionRow, *, to: str, current: VersionRow | None,
                     gate: GateRunRow | None, override_row: OverrideRow | None, approvers: list[str], who: str,
                     alias_reason: str, config_digest: str | None = None, **audit: object) -> PromotionRow:
    """Write a checked promotion in session ``s``: stages, promotion row, audit event, alias."""
    now = utcnow()
    from_stage = v.stage
    replaced = None
    if to == "production" and current is not None:
        replaced = current
        current.stage, current.stage_changed_at = "deprecated", now
    if to == "canary":
        prev = registry._alias_target(s, m, "canary")
        replaced = prev if prev is not None and prev.id != v.id else None
    v.stage, v.stage_changed_at = to, now
    if to == "production":
        v.retire_after = None
    row = PromotionRow(
        version_id=v.id, from_stage=from_stage, to_stage=to,
        replaced_version_id=replaced.id if replaced else None,
        gate_run_id=gate.id if gate else None,
        override_id=override_row.id if override_row else None,
        approvers=approvers, actor=who, created_at=now,
    )
    s.add(row)
    s.flush()
    registry.audit(
        s, "version.promoted", m.name, who, version=v.label, from_stage=from_stage, to=to,
        replaced=replaced.label if replaced else None,
        gate_run=gate.run_id if gate else None, verdict=gate.verdict if gate else None,
        config_digest=gate.config_digest if gate else config_digest,
        override=override_row is not None, approvers=approvers, **audit,
    )
    registry.move_alias(s, m, to, v, who, reason=alias_reason)
    return row


def approve(registry, model: str, version: str, *, actor: str | None = None, to: str = "production",
            comment: str | None = None) -> list[str]:
    """Record one approval; returns the distinct approvers so far."""
    if to not in PROMOTION_TARGETS:
        raise UsageError(f"--to '{to}': expected one of {', '.join(PROMOTION_TARGETS)}")
    who = actor or current_actor()
    with registry.writing() as s:
        m = lookup.model_row(s, model)
        v = lookup.version_row(s, m, version)
        if v is None:
            raise lookup.unknown_version(s, m, version)
        if v.stage == "retired":
            raise RegistryError(f"{model}@{version} is retired and cannot be approved")
        exists = s.execute(select(ApprovalRow.id).where(
            ApprovalRow.version_id == v.id, ApprovalRow.stage == to, ApprovalRow.approver == who)).first()
        if exists:
            raise RegistryError(f"{who} has already approved {model}@{version} for {to}")
        s.add(ApprovalRow(version_id=v.id, stage=to, approver=who, comment=comment, created_at=utcnow()))
        s.flush()
        registry.audit(s, "approval.recorded", model, who, version=version, to=to, comment=comment)
        return sorted(s.execute(select(ApprovalRow.approver).where(
            ApprovalRow.version_id == v.id, ApprovalRow.stage == to)).scalars().all())


def deprecate(registry, model: str, version: str, *, retire_after: dt.date | None = None,
              actor: str | None = None) -> None:
    who = actor or current_actor()
    with registry.writing() as s:
        m = lookup.model_row(s, model)
        v = lookup.version_row(s, m, version)
        if v is None:
            raise lookup.unknown_version(s, m, version)
        ref = f"{model}@{version}"
        if v.stage == "retired":
            raise RegistryError(f"{ref} is already retired")
        current = registry._production(s, m)
        if current is not None and current.id == v.id:
            raise RegistryError(f"{ref} is the production version; promote another version first")
        old = v.stage
        v.stage, v.stage_changed_at, v.retire_after = "deprecated", utcnow(), retire_after
        registry.audit(s, "version.deprecated", model, who, version=version, from_stage=old,
                       retire_after=retire_after.isoformat() if retire_after else None)


def retire(registry, model: str, version: str, *, actor: str | None = None) -> None:
    """Retire a version: it can no longer be promoted; aliases other than production that
    point at it are removed (kept in the alias history)."""
    who = actor or current_actor()
    with registry.writing() as s:
        m = lookup.model_row(s, model)
        v = lookup.version_row(s, m, version)
        if v is None:
            raise lookup.unknown_version(s, m, version)
        ref = f"{model}@{version}"
        if v.stage == "retired":
            raise RegistryError(f"{ref} is already retired")
        current = registry._production(s, m)
        if current is not None and current.id == v.id:
            raise RegistryError(f"{ref} is the production version; promote another version first")
        old = v.stage
        v.stage, v.stage_changed_at = "retired", utcnow()
        for a in s.execute(select(AliasRow).where(AliasRow.model_id == m.id,
                                                  AliasRow.version_id == v.id)).scalars().all():
            registry.move_alias(s, m, a.name, None, who, reason=f"{ref} retired")
        registry.audit(s, "version.retired", model, who, version=version, from_stage=old)
