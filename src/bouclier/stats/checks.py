"""Argument checks shared by the statistics: bad input raises ``ValueError`` with one clear line.

The messages name the argument, what was expected, what was found and what to do, so
that the gate can pass them on to the user unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

ALTERNATIVES = ("two-sided", "greater", "less")


def check_confidence(confidence: float, *, name: str = "confidence") -> float:
    try:
        value = float(confidence)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1) such as 0.95, found {confidence!r}") from None
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1) such as 0.95, found {confidence!r}")
    return value


def check_power(power: float) -> float:
    return check_confidence(power, name="power")


def check_threshold(threshold: float) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number, found {threshold!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"threshold must be a finite number, found {threshold!r}")
    return value


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
    return int(seed)


def check_resamples(n_resamples: Any) -> int:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise ValueError(f"n_resamples must be an integer (4000 is a good default), found {n_resamples!r}")
    if n_resamples < 200:
        raise ValueError(f"n_resamples must be at least 200 for a usable bootstrap interval, found {n_resamples}")
    return int(n_resamples)


def check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer() and value >= 0:
            return int(value)
        raise ValueError(f"{name} must be a non-negative whole number, found {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative whole number, found {value}")
    return int(value)


def check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}; found {alternative!r}")
    return alternative


def as_sample(name: str, values: Any, *, min_size: int = 1) -> np.ndarray:
    """``values`` as a 1-D float array with at least ``min_size`` finite numbers."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, found {type(values).__name__}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one score per case), found shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: at least {min_size} value(s) are needed")
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s) (first at index {first}); "
            "drop or score those cases before comparing"
        )
    if array.size < min_size:
        raise ValueError(f"{name} has {array.size} value(s): at least {min_size} are needed")
    return array


def check_same_length(names: Sequence[str], arrays: Sequence[Any]) -> None:
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        found = ", ".join(f"{n}={k}" for n, k in zip(names, lengths))
        raise ValueError(f"{' and '.join(names)} must have the same length (one entry per case), found {found}")


def as_groups(name: str, labels: Any, *, size: int) -> np.ndarray:
    """Group labels (cluster or block ids, any hashable values) as integer codes 0..G-1."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one id per case), found shape {array.shape}")
    if array.size != size:
        raise ValueError(f"{name} must have one id per case: expected {size}, found {array.size}")
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN ids; give every case a cluster id")
    if array.dtype == object and any(v is None for v in array):
        raise ValueError(f"{name} contains missing (None) ids; give every case a cluster id")
    _, codes = np.unique(array, return_inverse=True)
    return codes.reshape(-1).astype(np.intp)


def resolve_binary(binary: bool | None, *arrays: np.ndarray) -> bool:
    """Whether the scores are 0/1; ``None`` detects it, ``True`` insists on it."""
    is_binary = all(bool(np.isin(a, (0.0, 1.0)).all()) for a in arrays)
    if binary is None:
        return is_binary
    if binary and not is_binary:
        raise ValueError("binary=True but the scores are not all 0 or 1; pass binary=False for continuous scores")
    return bool(binary)
