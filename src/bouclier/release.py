"""The gate's link to the registry.

``--baseline production`` (a name that is not one of ``models:``) resolves the alias in
the registry to a registered version and gates against that version's adapter spec;
``--record`` stores the run and links it to both versions, registering the candidate's
version (its ``version:`` label, spec without secrets, git commit) on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bouclier.config import LoadedConfig
from bouclier.config.schema import ModelConfig
from bouclier.errors import ConfigError, Problem

_MODEL_CONFIG = TypeAdapter(ModelConfig)


@dataclass(frozen=True)
class RoleVersion:
    """Which registry version a role of this run is (``None`` when not registered)."""

    name: str  # key in models:
    version: str | None


def _link(loaded: LoadedConfig, what: str) -> str:
    link = loaded.config.registry
    if link is None:
        raise ConfigError(problems=[Problem(
            f"{what} needs the registry: add `registry: {{model: NAME}}` to bouclier.yaml", file=str(loaded.path))])
    return link.model


def resolve_roles(loaded: LoadedConfig, registry: Any, *, baseline: str | None, candidate: str | None
                  ) -> tuple[LoadedConfig, str | None, str | None]:
    """Turn a registry alias or version given as --baseline/--candidate into a model entry
    built from the registered adapter spec. Names found in ``models:`` are left alone."""
    cfg = loaded.config
    models = dict(cfg.models)
    out = {"baseline": baseline, "candidate": candidate}
    for role, name in out.items():
        if name is None or name in models:
            continue
        model = _link(loaded, f"--{role} {name} (not one of models:)")
        info = registry.resolve(model, name)
        try:
            spec = _MODEL_CONFIG.validate_python({**info.adapter_spec, "version": info.label})
        except ValidationError as exc:
            raise ConfigError(problems=[Problem(
                f"registered version {info.ref} has an adapter spec this bouclier cannot use: {exc.errors()[0]['msg']}",
                key=f"--{role}")]) from None
        key = f"{name}@{info.label}" if name != info.label else info.label
        models[key] = spec
        out[role] = key
    new = cfg.model_copy(update={"models": models})
    return replace(loaded, config=new), out["baseline"], out["candidate"]


def record_run(loaded: LoadedConfig, registry: Any, result: Any, *, dataset_digests: dict[str, str]) -> str:
    """Store ``result`` in the registry, linked to both versions; register the candidate's
    version on first use (and the baseline's, when it is a plain models: entry)."""
    from bouclier.registry import UnknownModel, UnknownVersion, public_spec, source_commit

    model = _link(loaded, "--record")
    roles = {}
    for role in ("baseline", "candidate"):
        name = getattr(result, role).name
        spec = loaded.config.models[name]
        label = spec.version
        if label is None:
            raise ConfigError(problems=[Problem(
                f"--record needs a registry version for the {role} '{name}': set `version:` on that model",
                file=str(loaded.path), key=f"models.{name}.version")])
        try:
            registry.get_version(model, label)
        except (UnknownModel, UnknownVersion):  # first time this version is gated: register it
            registry.register_model_version(model, label, adapter_spec=public_spec(spec.model_dump(exclude_none=True)),
                                            git_commit=source_commit(), metadata={"registered_by": "bouclier check --record"})
        roles[role] = (model, label)
    return registry.record_gate_run(result=result.model_dump(mode="json"), baseline=roles["baseline"],
                                    candidate=roles["candidate"], dataset_digests=dataset_digests)


def check_release(loaded: LoadedConfig, *, baseline: str | None = None, candidate: str | None = None,
                  record: bool = False, database_url: str | None = None, use_cache: bool = True,
                  progress=None):
    """``bouclier check`` with the registry: resolve registry aliases given as roles, run the
    gate, and with ``record`` store the run. Returns (result, case records, recorded run id)."""
    from bouclier.check import run_check

    cfg = loaded.config
    wants = [n for n in (baseline, candidate) if n is not None and n not in cfg.models]
    if not wants and not record:
        result, records = run_check(loaded, baseline=baseline, candidate=candidate, use_cache=use_cache,
                                    progress=progress)
        from bouclier.lifecycle.deprecation import gate_warnings

        warned = gate_warnings(loaded, result, database_url=database_url)
        if warned:
            result = result.model_copy(update={"warnings": [*result.warnings, *warned]})
        return result, records, None
    from bouclier.registry import open_registry

    with open_registry(database_url) as reg:
        loaded, baseline, candidate = resolve_roles(loaded, reg, baseline=baseline, candidate=candidate)
    result, records = run_check(loaded, baseline=baseline, candidate=candidate, use_cache=use_cache,
                                progress=progress)
    from bouclier.lifecycle.deprecation import gate_warnings

    warned = gate_warnings(loaded, result, database_url=database_url)
    if warned:
        result = result.model_copy(update={"warnings": [*result.warnings, *warned]})
    run_id = None
    if record:
        digests = {s.name: s.dataset_digest for s in result.suites}
        with open_registry(database_url) as reg:
            run_id = record_run(loaded, reg, result, dataset_digests=digests)
    return result, records, run_id
