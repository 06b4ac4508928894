"""Scorers: a protocol, a registry, built-ins and user scorers ``module:function``."""

from bouclier.scoring.base import Scorer, build_scorer, register_scorer, scorer_names

__all__ = ["Scorer", "build_scorer", "register_scorer", "scorer_names"]
