"""The confidence interval every statistic in :mod:`bouclier.stats` returns."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval ``[low, high]`` at ``confidence`` (e.g. 0.95).

    ``method`` names how it was computed, in words a report can show as is.
    """

    low: float
    high: float
    confidence: float
    method: str

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high):
            raise ValueError(f"interval bounds must be numbers, found [{self.low}, {self.high}]")
        if self.low > self.high:
            raise ValueError(f"interval low {self.low} is above high {self.high}")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence must be in (0, 1), found {self.confidence}")

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"[{self.low:.4g}, {self.high:.4g}] ({self.confidence:.0%}, {self.method})"
