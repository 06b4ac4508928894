"""The registry's promotion policy, applied to a rollout.

A rollout ends by moving the registry's ``production`` alias, so it obeys the same policy as
``bouclier registry promote`` (:mod:`bouclier.registry.lifecycle`): a recorded PASS of the
gate of the canary against production on the current bouclier.yaml (its digest), and
``policy.required_approvals`` distinct approvers. It is checked twice: when the rollout is
created (a rollout that could not be promoted is refused before any traffic moves) and in
the transaction that promotes (when refused there, the rollout pauses for a human with the
reason; `bouclier rollout resume` retries once the evidence or approvals exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bouclier.errors import UsageError


class RolloutRefused(UsageError):
    """The registry's promotion policy refuses the canary: the rollout is not created."""


@dataclass(frozen=True)
class PromotionPolicy:
    """What promotion needs: the gate's config digest (the PASS must be on it) and approvals."""

    config_digest: str | None = None
    required_approvals: int = 0
    source: str = ""  # where the policy was read (said in refusals)

    def as_dict(self) -> dict[str, object]:
        return {"config_digest": self.config_digest, "required_approvals": self.required_approvals,
                "source": self.source}


def load_promotion_policy(gate_config: Path | None = None, *, config_digest: str | None = None,
                          required_approvals: int | None = None) -> PromotionPolicy:
    """The policy of ``gate_config`` (bouclier.yaml: its digest and ``policy.required_approvals``),
    each overridable. Without ``gate_config``, ``bouclier.yaml`` of the working directory if it
    exists. A named file that does not exist is a usage error."""
    path = gate_config if gate_config is not None else Path("bouclier.yaml")
    source = ""
    if gate_config is not None and not gate_config.exists():
        raise UsageError(f"--gate-config {gate_config}: file not found (the bouclier.yaml whose gate runs and "
                         "policy apply to the promotion)")
    if path.exists() and (config_digest is None or required_approvals is None):
        from bouclier.config import load_config

        loaded = load_config(path)
        source = str(path)
        config_digest = config_digest or loaded.digest
        if required_approvals is None:
            required_approvals = loaded.config.policy.required_approvals
    return PromotionPolicy(config_digest=config_digest, required_approvals=required_approvals or 0,
                           source=source or ("--config-digest" if config_digest else ""))
