"""The gate: criteria -> comparisons -> verdict, and the RunResult model."""

from bouclier.gate.result import CriterionResult, RunResult, Verdict, load_result

__all__ = ["CriterionResult", "RunResult", "Verdict", "load_result"]
