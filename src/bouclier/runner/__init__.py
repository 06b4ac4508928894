"""Async execution of models over cases, with retries, the error budget and the cache."""

from bouclier.runner.cache import ResponseCache
from bouclier.runner.execute import Response, RunOptions, run_model

__all__ = ["Response", "ResponseCache", "RunOptions", "run_model"]
