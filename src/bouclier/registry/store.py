"""The :class:`Registry`: models, versions, aliases and their history.

Every change runs in one write transaction that also appends its audit event(s), under
the registry's write lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL advisory lock): either
the change and its events are both committed, or neither is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bouclier.errors import UsageError
from bouclier.registry import lookup
from bouclier.registry.database import (
    WRITE_OPTION,
    DatabaseUnavailable,
    check_reachable,
    create_registry_engine,
    describe,
    driver_message,
    resolve_url,
)
from bouclier.registry.exceptions import AliasLoop, RegistryError
from bouclier.registry.identity import actor as current_actor
from bouclier.registry.provenance import public_spec
from bouclier.registry.schema_version import SchemaState, schema_state, upgrade
from bouclier.registry.tables import (
    STAGES,
    AliasHistoryRow,
    AliasRow,
    ModelRow,
    PromotionRow,
    VersionRow,
    utcnow,
)
from bouclier.registry.values import (
    AliasChange,
    AliasInfo,
    GateRunInfo,
    ModelOverview,
    ModelSummary,
    PromotionInfo,
    VersionInfo,
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+/-]{0,199}$")


def check_name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value) or "@" in value:
        raise RegistryError(
            f"{kind} '{value}': expected 1-200 characters, letters, digits and . _ - : + / "
            "(starting with a letter or digit)"
        )
    return value


def open_registry(
    url: str | None = None, *, root: Path = Path(".bouclier"), migrate: bool = True
) -> "Registry":
    """Open (and on first use create and migrate) the registry.

    ``url`` defaults to ``BOUCLIER_DATABASE_URL``, else SQLite at ``root/bouclier.db``.
    A database written by a newer bouclier is refused; an unreachable one raises a
    one-line :class:`DatabaseUnavailable` naming the host and the driver's error.
    """
    parsed = resolve_url(url, root=root)
    engine = create_registry_engine(parsed)
    try:
        check_reachable(engine)
        where = describe(parsed)
        state = schema_state(engine, where=where)
        if migrate and not state.up_to_date:
            upgrade(engine, where=where)
    except BaseException:
        engine.dispose()
        raise
    return Registry(engine)


def database_schema(url: str | None = None, *, root: Path = Path(".bouclier")) -> SchemaState:
    """The schema revision of the database (changes nothing, but creates the SQLite file)."""
    parsed = resolve_url(url, root=root)
    engine = create_registry_engine(parsed)
    try:
        check_reachable(engine)
        return schema_state(engine, where=describe(parsed))
    finally:
        engine.dispose()


def migrate_database(
    url: str | None = None, *, root: Path = Path(".bouclier")
) -> tuple[SchemaState, SchemaState]:
    """Create the database if needed and migrate it to the latest schema: (before, after)."""
    parsed = resolve_url(url, root=root)
    engine = create_registry_engine(parsed)
    try:
        check_reachable(engine)
        before = schema_state(engine, where=describe(parsed))
        return before, upgrade(engine, where=describe(parsed))
    finally:
        engine.dispose()


class Registry:
    """Models, versions, aliases, gate runs, approvals and promotions, with their audit trail."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})

    # ------------------------------------------------------------------ plumbing
    @property
    def where(self) -> str:
        return describe(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema(self) -> SchemaState:
        return schema_state(self.engine, where=self.where)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._translated(), Session(self.engine) as s:
            yield s

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction holding the registry's write lock; commits on success."""
        with self._translated(), Session(self._write_engine, expire_on_commit=False) as s:
            with s.begin():
                yield s

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            if getattr(exc, "connection_invalidated", False) or type(exc).__name__ == "OperationalError":
                raise DatabaseUnavailable(
                    f"{self.where}: {driver_message(exc, self.engine.url)}"
                ) from exc
            raise

    def audit(self, s: Session, kind: str, model: str | None, actor: str, **payload: Any) -> None:
        """Append an audit event in the current write transaction."""
        from bouclier.audit.chain import append  # audit builds on the registry's tables

        append(s, kind=kind, actor=actor, model=model, payload=payload)

    # ------------------------------------------------------------------ versions
    def register_model_version(
        self,
        model: str,
        version: str,
        *,
        adapter_spec: dict[str, Any] | None = None,
        artifacts: dict[str, str] | None = None,
        git_commit: str | None = None,
        metadata: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> VersionInfo:
        """Register ``model@version`` as a candidate. ``artifacts`` maps file names to
        sha256 digests (see :func:`artifact_digests`); secrets in ``adapter_spec`` are
        replaced by ``[redacted]`` before storing."""
        check_name("model", model)
        check_name("version", version)
        who = actor or current_actor()
        spec = public_spec(dict(adapter_spec or {}))
        for name, digest in (artifacts or {}).items():
            if not re.fullmatch(r"[0-9a-f]{64}", str(digest)):
                raise RegistryError(f"artifact '{name}': expected a sha256 hex digest, found '{digest}'")
        now = utcnow()
        with self.writing() as s:
            m = s.execute(select(ModelRow).where(ModelRow.name == model)).scalar_one_or_none()
            if m is None:
                m = ModelRow(name=model, created_at=now, created_by=who)
                s.add(m)
                s.flush()
                self.audit(s, "model.created", model, who)
            if lookup.version_row(s, m, version) is not None:
                raise RegistryError(
                    f"{model}@{version} is already registered; registered versions are "
                    "immutable, register a new version label"
                )
            if lookup.alias_row(s, m, version) is not None:
                raise RegistryError(f"{model}: '{version}' is an alias; choose another version label")
            row = VersionRow(
                model_id=m.id, label=version, stage="candidate", stage_changed_at=now,
                retire_after=None, adapter_spec=spec, artifacts=dict(artifacts or {}),
                git_commit=git_commit, created_by=who, created_at=now, meta=dict(metadata or {}),
            )
            s.add(row)
            s.flush()
            self.audit(
                s, "version.registered", model, who, version=version, adapter_spec=spec,
                artifacts=dict(artifacts or {}), git_commit=git_commit, metadata=dict(metadata or {}),
            )
            return lookup.version_info(row, model)

    def get_version(self, model: str, version: str) -> VersionInfo:
        """A version by its label (not an alias)."""
        with self.reading() as s:
            m = lookup.model_row(s, model)
            row = lookup.version_row(s, m, version)
            if row is None:
                raise lookup.unknown_version(s, m, version)
            return lookup.version_info(row, model)

    def resolve(self, model: str, alias_or_version: str) -> VersionInfo:
        """The version an alias (followed through other aliases) or a label names."""
        with self.reading() as s:
            m = lookup.model_row(s, model)
            return lookup.version_info(lookup.resolve_row(s, m, alias_or_version), model)

    def list_versions(self, model: str) -> list[VersionInfo]:
        with self.reading() as s:
            m = lookup.model_row(s, model)
            rows = s.execute(
                select(VersionRow).where(VersionRow.model_id == m.id).order_by(VersionRow.id)
            ).scalars()
            return [lookup.version_info(r, model) for r in rows]

    def list_models(self) -> list[ModelSummary]:
        out = []
        with self.reading() as s:
            for m in s.execute(select(ModelRow).order_by(ModelRow.name)).scalars():
                n = s.execute(select(func.count()).where(VersionRow.model_id == m.id)).scalar_one()
                latest = s.execute(
                    select(VersionRow).where(VersionRow.model_id == m.id)
                    .order_by(VersionRow.id.desc()).limit(1)
                ).scalar_one_or_none()
                prod = self._production(s, m)
                since = self._production_since(s, prod) if prod else None
                out.append(ModelSummary(
                    model=m.name, versions=n, production=prod.label if prod else None,
                    production_since=since, latest=latest.label if latest else None,
                    latest_at=lookup.aware(latest.created_at) if latest else None,
                ))
        return out

    # ------------------------------------------------------------------ aliases
    def set_alias(
        self, model: str, alias: str, target: str, *, actor: str | None = None,
        reason: str | None = None,
    ) -> AliasInfo:
        """Point ``alias`` at a version label, or at another alias with ``alias:NAME``.
        The move is kept in the alias history; a loop is refused and nothing is written."""
        check_name("alias", alias)
        who = actor or current_actor()
        with self.writing() as s:
            m = lookup.model_row(s, model)
            if lookup.version_row(s, m, alias) is not None:
                raise RegistryError(f"{model}: '{alias}' is a version label; choose another alias name")
            row = lookup.alias_row(s, m, alias)
            old = _target_text(row) if row else None
            version_id, target_alias = None, None
            if target.startswith("alias:"):
                target_alias = target[len("alias:"):]
                if target_alias == alias:
                    raise AliasLoop(f"{model}: alias loop {alias} -> {alias}; point it at a version")
                if lookup.alias_row(s, m, target_alias) is None:
                    raise lookup.unknown_version(s, m, target_alias)
            else:
                v = lookup.version_row(s, m, target)
                if v is None:
                    raise lookup.unknown_version(s, m, target)
                if v.stage == "retired":
                    raise RegistryError(f"{model}@{target} is retired; an alias cannot point at it")
                version_id = v.id
            now = utcnow()
            if row is None:
                row = AliasRow(model_id=m.id, name=alias, version_id=version_id,
                               target_alias=target_alias, updated_at=now, updated_by=who)
                s.add(row)
            else:
                row.version_id, row.target_alias = version_id, target_alias
                row.updated_at, row.updated_by = now, who
            s.flush()
            resolved = lookup.follow_alias(s, m, row)  # raises AliasLoop -> rollback
            new = _target_text(row)
            s.add(AliasHistoryRow(model_id=m.id, alias=alias, old_target=old, new_target=new,
                                  actor=who, reason=reason, created_at=now))
            self.audit(s, "alias.set", model, who, alias=alias, old_target=old, new_target=new,
                       version=resolved.label, reason=reason)
            return AliasInfo(model, alias, new, resolved.label, now, who)

    def move_alias(self, s: Session, m: ModelRow, alias: str, v: VersionRow | None, who: str,
                   reason: str | None) -> None:
        """Inside a write transaction: point ``alias`` at ``v`` (None removes it)."""
        row = lookup.alias_row(s, m, alias)
        old = _target_text(row) if row else None
        now = utcnow()
        if v is None:
            if row is None:
                return
            s.delete(row)
        elif row is None:
            s.add(AliasRow(model_id=m.id, name=alias, version_id=v.id, target_alias=None,
                           updated_at=now, updated_by=who))
        else:
            row.version_id, row.target_alias, row.updated_at, row.updated_by = v.id, None, now, who
        new = v.label if v is not None else None
        s.add(AliasHistoryRow(model_id=m.id, alias=alias, old_target=old, new_target=new,
                              actor=who, reason=reason, created_at=now))
        self.audit(s, "alias.set" if v is not None else "alias.removed", m.name, who,
                   alias=alias, old_target=old, new_target=new, version=new, reason=reason)

    def aliases(self, model: str) -> list[AliasInfo]:
        with self.reading() as s:
            m = lookup.model_row(s, model)
            return self._aliases(s, m)

    def _aliases(self, s: Session, m: ModelRow) -> list[AliasInfo]:
        out = []
        for row in s.execute(select(AliasRow).where(AliasRow.model_id == m.id).order_by(AliasRow.name)).scalars():
            try:
                label = lookup.follow_alias(s, m, row).label
            except RegistryError:
                label = None
            out.append(AliasInfo(m.name, row.name, _target_text(row), label,
                                 lookup.aware(row.updated_at), row.updated_by))
        return out

    def alias_history(self, model: str, alias: str | None = None) -> list[AliasChange]:
        with self.reading() as s:
            m = lookup.model_row(s, model)
            q = select(AliasHistoryRow).where(AliasHistoryRow.model_id == m.id)
            if alias is not None:
                q = q.where(AliasHistoryRow.alias == alias)
            rows = s.execute(q.order_by(AliasHistoryRow.id)).scalars()
            return [AliasChange(r.alias, r.old_target, r.new_target, r.actor, r.reason,
                                lookup.aware(r.created_at)) for r in rows]

    # ------------------------------------------------------------------ lifecycle
    def promote(
        self, model: str, version: str, *, to: str = "production", config_digest: str | None = None,
        override: bool = False, reason: str | None = None, actor: str | None = None,
        required_approvals: int = 0,
    ) -> PromotionInfo:
        """Promote under the policy (see :mod:`bouclier.registry.lifecycle`); raises
        :class:`PromotionRefused` with the reason and the next step when it is not met."""
        from bouclier.registry.lifecycle import promote

        return promote(self, model, version, to=to, config_digest=config_digest, override=override,
                       reason=reason, actor=actor, required_approvals=required_approvals)

    def approve(self, model: str, version: str, *, actor: str | None = None,
                to: str = "production", comment: str | None = None) -> list[str]:
        """Record an approval; returns the distinct approvers of this version so far."""
        from bouclier.registry.lifecycle import approve

        return approve(self, model, version, actor=actor, to=to, comment=comment)

    def deprecate(self, model: str, version: str, *, retire_after: dt.date | None = None,
                  actor: str | None = None) -> None:
        from bouclier.registry.lifecycle import deprecate

        deprecate(self, model, version, retire_after=retire_after, actor=actor)

    def retire(self, model: str, version: str, *, actor: str | None = None) -> None:
        from bouclier.registry.lifecycle import retire

        retire(self, model, version, actor=actor)

    def record_gate_run(
        self, *, result: dict[str, Any], baseline: tuple[str, str] | None,
        candidate: tuple[str, str], dataset_digests: dict[str, str] | None = None,
        actor: str | None = None,
    ) -> str:
        """Store a ``result.json`` and link it to both versions (labels or aliases);
        returns its ``run_id``."""
        from bouclier.registry.gate_runs import record_gate_run

        return record_gate_run(self, result=result, baseline=baseline, candidate=candidate,
                               dataset_digests=dataset_digests, actor=actor)

    def gate_runs(self, model: str, version: str | None = None) -> list[GateRunInfo]:
        from bouclier.registry.gate_runs import gate_runs

        return gate_runs(self, model, version)

    def show(self, model: str) -> ModelOverview:
        from bouclier.registry.overview import show

        return show(self, model)

    def release_note(self, model: str, version: str) -> str:
        from bouclier.registry.release_note import release_note

        return release_note(self, model, version)

    # ------------------------------------------------------------------ helpers
    def _alias_target(self, s: Session, m: ModelRow, alias: str) -> VersionRow | None:
        row = lookup.alias_row(s, m, alias)
        return lookup.follow_alias(s, m, row) if row is not None else None

    def _production(self, s: Session, m: ModelRow) -> VersionRow | None:
        return self._alias_target(s, m, "production")

    def _production_since(self, s: Session, v: VersionRow) -> dt.datetime | None:
        p = s.execute(
            select(PromotionRow).where(PromotionRow.version_id == v.id,
                                       PromotionRow.to_stage == "production")
            .order_by(PromotionRow.id.desc()).limit(1)
        ).scalar_one_or_none()
        return lookup.aware(p.created_at) if p else lookup.aware(v.stage_changed_at)


def _target_text(row: AliasRow) -> str:
    if row.version_id is not None:
        from sqlalchemy.orm import object_session

        return object_session(row).get(VersionRow, row.version_id).label
    return f"alias:{row.target_alias}"


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise UsageError(f"stage '{stage}': expected one of {', '.join(STAGES)}")
    return stage
