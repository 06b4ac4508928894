"""The registry's errors. Bad input is a :class:`~bouclier.errors.UsageError` (exit 2,
nothing written); a promotion the policy refuses exits 1, like a failed gate."""

from __future__ import annotations

from bouclier.errors import BouclierError, UsageError


class RegistryError(UsageError):
    """A registry operation cannot be done as asked (unknown name, invalid transition)."""


class UnknownModel(RegistryError):
    pass


class UnknownVersion(RegistryError):
    pass


class AliasLoop(RegistryError):
    pass


class PromotionRefused(BouclierError):
    """The promotion policy is not met; the message says why and how to proceed."""

    exit_code = 1
