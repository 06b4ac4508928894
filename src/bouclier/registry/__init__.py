"""bouclier's model registry: models, versions, aliases, gate runs, approvals, overrides
and promotions on SQLAlchemy 2 (SQLite by default, PostgreSQL by URL), every change
recorded in the audit trail in the same transaction.

Public API::

    from bouclier.registry import open_registry, actor

    with open_registry() as reg:          # .bouclier/bouclier.db or BOUCLIER_DATABASE_URL
        reg.register_model_version("clf", "v2", adapter_spec=..., artifacts=...)
        reg.record_gate_run(result=result_json, baseline=("clf", "production"),
                            candidate=("clf", "v2"), dataset_digests={...})
        reg.promote("clf", "v2", to="production", config_digest=result_json["config_digest"])
"""

from bouclier.registry.database import ENV_URL, DatabaseUnavailable
from bouclier.registry.exceptions import (
    AliasLoop,
    PromotionRefused,
    RegistryError,
    UnknownModel,
    UnknownVersion,
)
from bouclier.registry.identity import actor, source_commit
from bouclier.registry.provenance import artifact_digests, public_spec
from bouclier.registry.schema_version import NewerDatabaseError, SchemaState
from bouclier.registry.store import Registry, database_schema, migrate_database, open_registry
from bouclier.registry.tables import STAGES, VERDICTS
from bouclier.registry.values import (
    AliasChange,
    AliasInfo,
    CandidateInfo,
    GateRunInfo,
    ModelOverview,
    ModelSummary,
    PromotionInfo,
    VersionInfo,
)

__all__ = [
    "ENV_URL", "STAGES", "VERDICTS", "AliasChange", "AliasInfo", "AliasLoop", "CandidateInfo",
    "DatabaseUnavailable", "GateRunInfo", "ModelOverview", "ModelSummary", "NewerDatabaseError",
    "PromotionInfo", "PromotionRefused", "Registry", "RegistryError", "SchemaState",
    "UnknownModel", "UnknownVersion", "VersionInfo", "actor", "artifact_digests",
    "database_schema", "migrate_database", "open_registry", "public_spec", "source_commit",
]
