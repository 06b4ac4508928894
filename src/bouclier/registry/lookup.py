"""Finding rows by name inside a session, and turning rows into plain values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bouclier.registry.exceptions import AliasLoop, UnknownModel, UnknownVersion
from bouclier.registry.tables import (
    AliasRow,
    GateRunRow,
    ModelRow,
    OverrideRow,
    PromotionRow,
    VersionRow,
)
from bouclier.registry.values import GateRunInfo, PromotionInfo, VersionInfo

MAX_ALIAS_DEPTH = 32


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


def model_row(s: Session, name: str) -> ModelRow:
    row = s.execute(select(ModelRow).where(ModelRow.name == name)).scalar_one_or_none()
    if row is None:
        known = s.execute(select(ModelRow.name).order_by(ModelRow.name).limit(10)).scalars().all()
        hint = f"known: {', '.join(known)}" if known else "the registry has no models yet"
        raise UnknownModel(
            f"model '{name}' is not in the registry ({hint}); register a version first: "
            f"bouclier registry register {name} VERSION"
        )
    return row


def version_row(s: Session, model: ModelRow, label: str) -> VersionRow | None:
    return s.execute(
        select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.label == label)
    ).scalar_one_or_none()


def alias_row(s: Session, model: ModelRow, name: str) -> AliasRow | None:
    return s.execute(
        select(AliasRow).where(AliasRow.model_id == model.id, AliasRow.name == name)
    ).scalar_one_or_none()


def unknown_version(s: Session, model: ModelRow, name: str) -> UnknownVersion:
    labels = s.execute(
        select(VersionRow.label).where(VersionRow.model_id == model.id)
        .order_by(VersionRow.id.desc()).limit(8)
    ).scalars().all()
    aliases = s.execute(
        select(AliasRow.name).where(AliasRow.model_id == model.id).order_by(AliasRow.name)
    ).scalars().all()
    known = ", ".join(list(labels) + [f"alias {a}" for a in aliases]) or "none"
    return UnknownVersion(
        f"{model.name}: no version or alias named '{name}' (recent: {known}); "
        f"list them with: bouclier registry show {model.name}"
    )


def follow_alias(s: Session, model: ModelRow, alias: AliasRow) -> VersionRow:
    """The version an alias points to, following alias-to-alias links; a cycle is an error."""
    seen = [alias.name]
    current = alias
    while current.version_id is None:
        nxt = alias_row(s, model, current.target_alias or "")
        if nxt is None:
            raise UnknownVersion(
                f"{model.name}: alias '{current.name}' points to alias '{current.target_alias}', "
                "which does not exist; set it again with: bouclier registry alias"
            )
        if nxt.name in seen or len(seen) > MAX_ALIAS_DEPTH:
            raise AliasLoop(
                f"{model.name}: alias loop {' -> '.join(seen + [nxt.name])}; point one of "
                "these aliases at a version"
            )
        seen.append(nxt.name)
        current = nxt
    return s.get(VersionRow, current.version_id)


def resolve_row(s: Session, model: ModelRow, name: str) -> VersionRow:
    """An alias (followed to its version) or a version label."""
    alias = alias_row(s, model, name)
    if alias is not None:
        return follow_alias(s, model, alias)
    row = version_row(s, model, name)
    if row is None:
        raise unknown_version(s, model, name)
    return row


def version_info(row: VersionRow, model_name: str) -> VersionInfo:
    return VersionInfo(
        model=model_name, label=row.label, stage=row.stage,
        stage_changed_at=aware(row.stage_changed_at), retire_after=row.retire_after,
        adapter_spec=dict(row.adapter_spec or {}), artifacts=dict(row.artifacts or {}),
        git_commit=row.git_commit, created_by=row.created_by, created_at=aware(row.created_at),
        metadata=dict(row.meta or {}), id=row.id,
    )


def ref(s: Session, version_id: int | None) -> str | None:
    if version_id is None:
        return None
    v = s.get(VersionRow, version_id)
    m = s.get(ModelRow, v.model_id)
    return f"{m.name}@{v.label}"


def gate_run_info(s: Session, row: GateRunRow) -> GateRunInfo:
    result: dict[str, Any] = json.loads(row.result_json)
    return GateRunInfo(
        run_id=row.run_id, verdict=row.verdict, config_digest=row.config_digest,
        baseline=ref(s, row.baseline_version_id), candidate=ref(s, row.candidate_version_id),
        dataset_digests=dict(row.dataset_digests or {}), created_at=aware(row.created_at),
        actor=row.actor, result=result,
    )


def promotion_info(s: Session, row: PromotionRow) -> PromotionInfo:
    override = s.get(OverrideRow, row.override_id) if row.override_id else None
    gate = s.get(GateRunRow, row.gate_run_id) if row.gate_run_id else None
    return PromotionInfo(
        version=ref(s, row.version_id), from_stage=row.from_stage, to_stage=row.to_stage,
        replaced=ref(s, row.replaced_version_id),
        gate_run=gate_run_info(s, gate) if gate else None,
        override_reason=override.reason if override else None,
        override_refused_because=override.refused_because if override else None,
        approvers=list(row.approvers or []), actor=row.actor, at=aware(row.created_at),
    )
