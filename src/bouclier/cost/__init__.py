"""Cost of model calls: token counts x a price table per model, a budget that stops
calling a model once reached, and an estimate of a run's cost before any call."""

from bouclier.cost.budget import BudgetedModel, CostGuard, apply_budget_stop
from bouclier.cost.estimate import CostEstimate, EstimateRow, estimate_cost
from bouclier.cost.prices import HEURISTIC, Pricing, TokenCounter, build_pricing, heuristic_tokens

__all__ = ["BudgetedModel", "CostEstimate", "CostGuard", "EstimateRow", "HEURISTIC", "Pricing", "TokenCounter",
           "apply_budget_stop", "build_pricing", "estimate_cost", "heuristic_tokens"]
