"""The lifecycle advisor: stability of repeated samples, watching production, trends
with change points, comparing many candidates (Pareto front of quality x cost x p95
latency) and keep / compress / replace / retire / investigate advice per version."""
