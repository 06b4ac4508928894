"""Datasets (JSONL, CSV, Parquet), cases and input templates."""

from bouclier.data.cases import Case, Dataset, load_cases

__all__ = ["Case", "Dataset", "load_cases"]
