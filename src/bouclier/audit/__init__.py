"""bouclier's audit trail: an append-only, hash-chained log of every registry change.

Public API::

    from bouclier.audit import verify, log, export, AuditEvent, ChainReport

Events are appended by the registry in the same transaction as the change they record
(:func:`bouclier.audit.chain.append`); ``verify`` names the first broken link.
"""

from bouclier.audit.chain import AuditEvent, append, canonical_json
from bouclier.audit.trail import export, iter_events, log
from bouclier.audit.verification import BrokenLink, ChainBroken, ChainReport, verify

__all__ = [
    "AuditEvent", "BrokenLink", "ChainBroken", "ChainReport", "append", "canonical_json",
    "export", "iter_events", "log", "verify",
]
