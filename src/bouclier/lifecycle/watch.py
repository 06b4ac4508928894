"""``bouclier watch``: run the configured suites once against the version behind the
``production`` alias and record the run, for a cron job or a CI schedule.

The cache is bypassed (a hosted model may change behind the same name: that is what is
being watched), so both roles are called afresh. The baseline is bouclier.yaml's
``baseline`` (or ``--baseline``): when it is the production version itself the run is an
A/A comparison and its criteria show the run-to-run noise. Each watch run becomes one
point of ``bouclier lifecycle trend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bouclier.errors import ConfigError, Problem


@dataclass(frozen=True)
class WatchRun:
    run_id: str  # as recorded in the registry
    version: str  # model@label behind production
    result: Any  # RunResult
    warnings: list[str]


def watch_production(loaded: Any, *, baseline: str | None = None, database_url: str | None = None,
                     progress=None) -> WatchRun:
    """Run the suites against production (no cache) and record the run."""
    from bouclier.release import check_release
    from bouclier.registry import open_registry

    link = loaded.config.registry
    if link is None:
        raise ConfigError(problems=[Problem("bouclier watch needs the registry: add `registry: {model: NAME}` "
                                            "to bouclier.yaml", file=str(loaded.path), key="registry")])
    baseline = baseline or loaded.config.baseline
    result, _, _ = check_release(loaded, baseline=baseline, candidate="production", database_url=database_url,
                                 use_cache=False, progress=progress)
    result = result.model_copy(update={"origin": "watch"})
    with open_registry(database_url) as reg:
        prod = reg.resolve(link.model, "production")
        base_spec = loaded.config.models.get(baseline)
        base_label = base_spec.version if base_spec is not None else None
        if base_label is None and baseline not in loaded.config.models:
            base_label = reg.resolve(link.model, baseline).label
        base_ref = None
        if base_label is not None:
            try:
                reg.get_version(link.model, base_label)
                base_ref = (link.model, base_label)
            except Exception:  # the baseline is not a registered version: recorded without it
                base_ref = None
        from bouclier.lifecycle.deprecation import deprecation_warnings

        warnings = deprecation_warnings(reg, link.model, baseline=base_label)
        result = result.model_copy(update={"warnings": list(result.warnings) + warnings})
        run_id = reg.record_gate_run(result=result.model_dump(mode="json"), baseline=base_ref,
                                     candidate=(link.model, prod.label),
                                     dataset_digests={s.name: s.dataset_digest for s in result.suites})
    return WatchRun(run_id, prod.ref, result, warnings)
