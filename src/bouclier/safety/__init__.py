"""The ``safety:`` suite kind of the release gate: probes -> cases -> answers (both
models) -> detectors and judges -> criteria and the family x language matrix.

``bouclier.check`` dispatches to these three phases (plan, run, judge); the criteria
themselves live in :mod:`bouclier.gate.safety`.
"""

from bouclier.safety.plan import SafetySuitePlan, plan_safety_suite, redact_tokens
from bouclier.safety.results import case_row, judge_safety_suite
from bouclier.safety.run import ProbeOutcome, ProbeRecord, run_safety_suite

__all__ = ["ProbeOutcome", "ProbeRecord", "SafetySuitePlan", "case_row", "judge_safety_suite",
           "plan_safety_suite", "redact_tokens", "run_safety_suite"]
