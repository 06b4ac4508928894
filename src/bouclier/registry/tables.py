"""The registry's tables (SQLAlchemy 2 declarative models).

The schema is owned by the Alembic migrations in ``migrations/versions``; a test fails when
these models and the migrations drift apart. Every timestamp is stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Index,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STAGES = ("candidate", "canary", "production", "deprecated", "retired")
VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ModelRow(Base):
    __tablename__ = "model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class VersionRow(Base):
    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("model_id", "label", name="uq_model_version_model_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20))
    stage_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    retire_after: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    adapter_spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifacts: Mapped[dict[str, str]] = mapped_column(JSON)
    git_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)


class AliasRow(Base):
    __tablename__ = "alias"
    __table_args__ = (UniqueConstraint("model_id", "name", name="uq_alias_model_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Exactly one of the two targets is set: a version, or another alias of the same model.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id"), nullable=True)
    target_alias: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200))


class AliasHistoryRow(Base):
    __tablename__ = "alias_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id"), index=True)
    alias: Mapped[str] = mapped_column(String(100))
    old_target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    new_target: Mapped[str | None] = mapped_column(String(200), nullable=True)  # None: removed
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class GateRunRow(Base):
    __tablename__ = "gate_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(100), unique=True)
    schema_version: Mapped[str] = mapped_column(String(20))
    config_digest: Mapped[str] = mapped_column(String(100), index=True)
    dataset_digests: Mapped[dict[str, str]] = mapped_column(JSON)
    result_json: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    baseline_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id"), nullable=True, index=True
    )
    candidate_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))


class ApprovalRow(Base):
    __tablename__ = "approval"
    __table_args__ = (
        UniqueConstraint("version_id", "stage", "approver", name="uq_approval_version_stage_approver"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    approver: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OverrideRow(Base):
    __tablename__ = "override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    refused_because: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PromotionRow(Base):
    """One stage change of a version and the evidence it rested on."""

    __tablename__ = "promotion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"), index=True)
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    replaced_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id"), nullable=True
    )
    gate_run_id: Mapped[int | None] = mapped_column(ForeignKey("gate_run.id"), nullable=True)
    override_id: Mapped[int | None] = mapped_column(ForeignKey("override.id"), nullable=True)
    approvers: Mapped[list[str]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RolloutRow(Base):
    """A progressive rollout; driven by the rollout controller (state persisted per step)."""

    __tablename__ = "rollout"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id"), index=True)
    stable_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    canary_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    state: Mapped[str] = mapped_column(String(30))
    step: Mapped[int] = mapped_column(Integer)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # 0002: the router's rollout id, when the current step began, and its detail
    # (extensions, pause reason and resume target, last analysis).
    name: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    step_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RolloutTransitionRow(Base):
    """One state change of a rollout and the evidence (analysis, command) that caused it."""

    __tablename__ = "rollout_transition"
    __table_args__ = (UniqueConstraint("rollout_id", "seq", name="uq_rollout_transition_rollout_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str] = mapped_column(String(30))
    from_step: Mapped[int] = mapped_column(Integer)
    to_state: Mapped[str] = mapped_column(String(30))
    to_step: Mapped[int] = mapped_column(Integer)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FlaggerRevisionRow(Base):
    """A canary revision Flagger asked ``bouclier serve-analysis`` about, keyed by Flagger's
    (namespace, name, checksum): when its analysis window began and, once it failed, the
    failing judgement (sticky, so a restart of the server gives the same answer)."""

    __tablename__ = "flagger_revision"
    __table_args__ = (UniqueConstraint("namespace", "name", "checksum", name="uq_flagger_revision_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    namespace: Mapped[str] = mapped_column(String(253))
    name: Mapped[str] = mapped_column(String(253))
    checksum: Mapped[str] = mapped_column(String(128))
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class FlaggerEventRow(Base):
    """One distinct Flagger event of a revision (``digest`` of phase, type and message):
    Flagger repeats events and retries deliveries; each is recorded once."""

    __tablename__ = "flagger_event"
    __table_args__ = (UniqueConstraint("revision_id", "digest", name="uq_flagger_event_revision_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("flagger_revision.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEventRow(Base):
    """One link of the hash chain. ``seq`` is assigned under the append lock, never by the
    database, so that a gap means a deleted event."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# 0003: the canary router's live signals, when its store is the registry's database
# (``signals.store: registry`` or a database URL). Mirrors bouclier.rollout.signals.Signal.
_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class RouterSignalRow(Base):
    """One upstream attempt seen by the canary router (see bouclier.rollout.signals.Signal)."""

    __tablename__ = "router_signal"
    __table_args__ = (Index("ix_router_signal_window", "rollout_id", "variant", "kind", "ts"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    rollout_id: Mapped[str] = mapped_column(String(200))
    ts: Mapped[float] = mapped_column(Double)
    variant: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Double, nullable=True)
    ttft_ms: Mapped[float | None] = mapped_column(Double, nullable=True)
    streamed: Mapped[bool] = mapped_column(Boolean)
    bucket: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key_source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    forced: Mapped[bool] = mapped_column(Boolean)
    failed_over: Mapped[bool] = mapped_column(Boolean)
    pair_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cost: Mapped[float | None] = mapped_column(Double, nullable=True)
    inspected: Mapped[bool] = mapped_column(Boolean)
    secret: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pii: Mapped[int | None] = mapped_column(Integer, nullable=True)
    canary_token: Mapped[int | None] = mapped_column(Integer, nullable=True)
    refusal: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    output_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    output_chars: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weights_epoch: Mapped[int] = mapped_column(Integer)


class RouterFeedbackRow(Base):
    """User feedback posted to the router (``POST /feedback/{request_id}``)."""

    __tablename__ = "router_feedback"
    __table_args__ = (Index("ix_router_feedback_window", "rollout_id", "variant", "ts"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64))
    ts: Mapped[float] = mapped_column(Double)
    value: Mapped[float] = mapped_column(Double)
    rollout_id: Mapped[str] = mapped_column(String(200))
    variant: Mapped[str | None] = mapped_column(String(20), nullable=True)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)


class RouterWeightsRow(Base):
    """A weight change applied by the router (its epoch delimits a rollout step's window)."""

    __tablename__ = "router_weights"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    rollout_id: Mapped[str] = mapped_column(String(200), index=True)
    ts: Mapped[float] = mapped_column(Double)
    epoch: Mapped[int] = mapped_column(Integer)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
