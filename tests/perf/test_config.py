"""The suite union: quality by default, performance by kind; the JSON Schema stays generated."""

import jsonschema
import pytest
from pydantic import ValidationError

from bouclier.config import json_schema
from bouclier.config.performance import PerformanceSuiteConfig
from bouclier.config.schema import Config, SuiteConfig

DOC = {
    "models": {"a": {"adapter": "python", "target": "m:f"},
               "b": {"adapter": "openai", "base_url": "http://127.0.0.1:1/v1", "model": "x", "stream": True,
                     "cost": {"input_usd_per_million": 0.15, "output_usd_per_million": 0.6}}},
    "baseline": "a", "candidate": "b",
    "suites": [
        {"name": "q", "dataset": "d.jsonl", "scorers": ["exact_match"]},
        {"name": "q2", "kind": "quality", "dataset": "d.jsonl", "scorers": ["exact_match"]},
        {"name": "p", "kind": "performance", "dataset": "d.jsonl",
         "load": {"mode": "open", "rate_per_s": 20, "duration_s": 5},
         "criteria": [{"kind": "latency", "percentile": 99, "max_ms": 800},
                      {"kind": "cost", "max_increase": 0.1}]},
    ],
    "run": {"max_cost_usd": 3.5},
}


def test_kind_discriminates_and_defaults_to_quality():
    cfg = Config.model_validate(DOC)
    assert [type(s) for s in cfg.suites] == [SuiteConfig, SuiteConfig, PerformanceSuiteConfig]
    perf = cfg.suites[2]
    assert perf.load.levels == [("open", 20.0)] and perf.load.measured_requests is None
    assert cfg.models["b"].cost.priced and cfg.run.max_cost_usd == 3.5


def test_generated_json_schema_accepts_both_kinds():
    schema = json_schema()
    jsonschema.validate(DOC, schema)
    bad = {**DOC, "suites": [{"name": "p", "kind": "performance", "dataset": "d", "scorers": ["x"]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize("load, message", [
    ({"requests": 10, "duration_s": 3}, "not both"),
    ({"mode": "closed", "rate_per_s": 5}, "rate_per_s is for mode: open"),
    ({"concurrency": [0]}, "concurrency levels must be >= 1"),
])
def test_bad_load_profiles(load, message):
    with pytest.raises(ValidationError, match=message):
        PerformanceSuiteConfig.model_validate({"kind": "performance", "name": "p", "dataset": "d", "load": load})


def test_a_criterion_needs_a_bound():
    with pytest.raises(ValidationError, match="set at least one of: max_increase, max_ms"):
        PerformanceSuiteConfig.model_validate({"kind": "performance", "name": "p", "dataset": "d",
                                               "criteria": [{"kind": "latency", "percentile": 95}]})
