"""Lifecycle report, trend and deprecation warnings on recorded runs in a real registry
(SQLite file and PostgreSQL)."""

import datetime as dt

import numpy as np

from bouclier.config.lifecycle import LifecycleConfig, PriceConfig
from bouclier.lifecycle.advice import lifecycle_report
from bouclier.lifecycle.deprecation import deprecation_warnings
from bouclier.lifecycle.trend import trend

from .runs import run

SPEC = {"adapter": "python", "target": "m:f"}
POLICY = LifecycleConfig(max_cost_per_1k_requests=1.0, max_unpredictability=0.1, min_quality=0.8,
                         max_p95_latency_s=0.5, min_requests_per_day=100,
                         prices={"v1": PriceConfig(per_1k_requests=1.5), "v2": PriceConfig(per_1k_requests=0.6),
                                 "v3": PriceConfig(per_1k_requests=0.5), "v4": PriceConfig(per_1k_requests=1.2)})


def setup(reg, versions=("v1", "v2", "v3", "v4", "v5")):
    for v in versions:
        reg.register_model_version("clf", v, adapter_spec=SPEC)


def record(reg, result, candidate, baseline=None):
    return reg.record_gate_run(result=result, candidate=("clf", candidate),
                               baseline=("clf", baseline) if baseline else None,
                               dataset_digests={"s": "data1"})


def advice(reg, **kw):
    return {a.version: a for a in lifecycle_report(reg, "clf", policy=POLICY, **kw)}


def test_known_answers(registry):
    setup(registry)
    # v1: cost 1.5 > 1.0, and v2 passed against it at 0.6 -> replace, naming v2
    r1 = record(registry, run("v1", quality=0.9, at="2025-01-01T00:00:00+00:00", unpredictability=0.01), "v1")
    r2 = record(registry, run("v2", quality=0.9, baseline="v1", at="2025-01-02T00:00:00+00:00",
                              unpredictability=0.02), "v2", baseline="v1")
    # v4: cost 1.2 > 1.0 and nothing measured against it -> compress
    record(registry, run("v4", quality=0.9, at="2025-01-03T00:00:00+00:00", unpredictability=0.0), "v4")
    # v3: cheap but unstable -> investigate, even though its cost is fine
    record(registry, run("v3", quality=0.9, at="2025-01-04T00:00:00+00:00", unpredictability=0.4), "v3")
    a = advice(registry)
    assert a["clf@v1"].advice == "replace"
    assert "cost 1.5 per 1k requests above the policy's 1" in a["clf@v1"].reasons[0]
    assert "clf@v2" in a["clf@v1"].reasons[0] and r2 in a["clf@v1"].reasons[0]
    assert any(r2 in e for e in a["clf@v1"].evidence)  # its latest run is v2's, as baseline
    assert a["clf@v4"].advice == "compress" and "cost 1.2" in a["clf@v4"].reasons[0]
    assert a["clf@v3"].advice == "investigate" and "unpredictability 0.400" in a["clf@v3"].reasons[0]
    assert a["clf@v2"].advice == "keep"
    # no signal store: traffic unknown, never 0, and not judged
    assert a["clf@v2"].traffic is None
    assert any("traffic unknown (no signal store configured" in n and "not judged" in n for n in a["clf@v2"].notes)
    # a version with no runs: said explicitly
    assert a["clf@v5"].advice == "investigate" and "no recorded runs" in a["clf@v5"].reasons[0]
    assert a["clf@v5"].evidence == [] and r1 not in str(a["clf@v5"])


def test_quality_and_unknown_cost(registry):
    setup(registry, ("v6",))
    record(registry, run("v6", quality=0.7, p95=0.9, unpredictability=0.0), "v6")
    a = advice(registry)["clf@v6"]
    assert a.advice == "replace" and "quality (acc) 0.700 below the policy's 0.8" in a.reasons[0]
    assert any("p95 latency 0.9 s (performance suite 'speed', concurrency 1, 200 requests) above" in r
               for r in a.reasons)
    assert any("cost unknown" in n and "not judged" in n for n in a.notes)


def test_latency_and_cost_are_the_performance_suites_never_the_correctness_runs(registry):
    setup(registry, ("v1", "v2", "v3"))
    # v1: its correctness run saw a 5 s p95, its performance suite 0.2 s: within the policy
    record(registry, run("v1", quality=0.9, p95=0.2, run_p95=5.0, unpredictability=0.0), "v1")
    # v2: the performance suite priced it (models' price table) at 2.5 per 1k requests; that figure,
    # not lifecycle.prices' 0.6, is the cost; its p95 at the second load level (8x) is not read
    record(registry, run("v2", quality=0.9, p95=0.3, usd_per_1k=2.5, unpredictability=0.0), "v2")
    # v3: no performance suite: p95 unknown (not the 5 s of the correctness run), flat price still known
    record(registry, run("v3", quality=0.9, p95=None, run_p95=5.0, unpredictability=0.0), "v3")
    a = advice(registry)
    assert a["clf@v1"].advice == "compress"  # cost 1.5 > 1.0 (flat price); latency fine
    assert a["clf@v1"].measures.latency_p95_s == 0.2
    assert not any("latency" in r for r in a["clf@v1"].reasons)
    assert a["clf@v2"].measures.cost.per_1k_requests == 2.5
    assert "models' price table" in a["clf@v2"].measures.cost.note
    assert a["clf@v2"].advice == "compress" and "cost 2.5 per 1k" in a["clf@v2"].reasons[0]
    assert a["clf@v2"].measures.latency_p95_s == 0.3
    m3 = a["clf@v3"].measures
    assert m3.latency_p95_s is None and m3.latency_p50_s is None and m3.cost.per_1k_requests == 0.5
    assert a["clf@v3"].advice == "keep"
    assert any("p95 latency unknown (no performance suite in the run): not judged" in n for n in a["clf@v3"].notes)


def test_deprecation_and_retirement(registry):
    setup(registry, ("v1", "v2", "v3"))
    registry.set_alias("clf", "production", "v2")
    registry.deprecate("clf", "v1", retire_after=dt.date(2020, 1, 1))
    registry.deprecate("clf", "v3", retire_after=dt.date(2999, 1, 1))
    warnings = deprecation_warnings(registry, "clf", baseline="v1")
    assert len(warnings) == 1 and "baseline clf@v1 is deprecated, retire after 2020-01-01 (that date has passed)" \
        in warnings[0]
    assert deprecation_warnings(registry, "clf", baseline="v2") == []
    a = advice(registry)
    assert a["clf@v1"].advice == "retire" and "2020-01-01 has passed" in a["clf@v1"].reasons[0]
    assert a["clf@v3"].advice == "investigate"  # no runs, deprecated until 2999: not yet retired
    assert any("deprecated, retire after 2999-01-01" in n for n in a["clf@v3"].notes)


def test_trend_flags_a_silent_change(registry):
    setup(registry, ("v1",))
    rng = np.random.default_rng(0)
    quality = np.r_[rng.normal(0.90, 0.005, 8), rng.normal(0.84, 0.005, 8)]
    ids = []
    for day, q in enumerate(quality):
        ids.append(record(registry, run("v1", quality=float(q), p95=0.1,
                                         at=f"2025-02-{day + 1:02d}T00:00:00+00:00"), "v1"))
    t = trend(registry, "clf", prices={"v1": PriceConfig(per_1k_requests=1.0)})
    assert [p.run_id for p in t.points] == ids
    breaks = {b.measure: b for b in t.breaks}
    assert set(breaks) == {"quality", "s/acc"}
    assert breaks["quality"].run_id == ids[8] and breaks["quality"].after < breaks["quality"].before
    assert all(p.values["cost_per_1k"] == 1.0 for p in t.points)


def test_trend_without_runs_and_config_change(registry):
    setup(registry, ("v1",))
    assert "no recorded runs" in trend(registry, "clf").notes[0]
    record(registry, run("v1", quality=0.9, at="2025-03-01T00:00:00+00:00"), "v1")
    record(registry, run("v1", quality=0.9, config_digest="cfg2", at="2025-03-02T00:00:00+00:00"), "v1")
    notes = " ".join(trend(registry, "clf").notes)
    assert "configuration changed" in notes and "change points need at least 4" in notes
