"""Compare many candidates on recorded runs with known answers."""

import pytest

from bouclier.config.lifecycle import PriceConfig
from bouclier.errors import UsageError
from bouclier.gate.result import RunResult
from bouclier.lifecycle.compare import compare_results

from .runs import run

PRICES = {"base": PriceConfig(per_1k_requests=1.0), "cheap": PriceConfig(per_1k_requests=0.3),
          "cheaper_bad": PriceConfig(per_1k_requests=0.1), "dominated": PriceConfig(per_1k_requests=0.5),
          "pricey": PriceConfig(per_1k_requests=2.0)}


def by_name(c):
    return {o.name: o for o in c.options}


def test_cheaper_non_inferior_candidate_is_recommended_and_dominated_one_never():
    runs = [run("cheap", quality=0.91, p95=0.08),
            run("dominated", quality=0.90, p95=0.09),  # dearer, worse and slower than cheap
            run("cheaper_bad", quality=0.70, p95=0.05, verdict="FAIL", failed=("ar non-inferior",)),
            run("pricey", quality=0.95, p95=0.2)]
    c = compare_results(runs, prices=PRICES)
    assert c.recommended == "cheap"
    opts = by_name(c)
    assert opts["dominated"].on_front is False and "cheap" in opts["dominated"].dominated_by
    assert opts["cheap"].on_front and opts["pricey"].on_front and opts["cheaper_bad"].on_front
    assert any("cheaper_bad: not non-inferior" in r and "ar non-inferior" in r for r in c.reasons)
    assert any("70% less" in r for r in c.reasons)


def test_dominated_candidate_not_recommended_even_when_it_alone_is_cheaper_than_baseline():
    # 'dominated' is cheaper than the baseline but dominated by 'cheap' (same basis): never chosen
    c = compare_results([run("dominated", quality=0.90, p95=0.09), run("cheap", quality=0.92, p95=0.05)],
                        prices=PRICES)
    assert c.recommended == "cheap"


def test_keep_baseline_when_no_candidate_is_cheaper():
    c = compare_results([run("pricey", quality=0.95)], prices=PRICES)
    assert c.recommended is None
    assert any("keep base" in r and "pricey" in r for r in c.reasons)


def test_missing_price_is_unknown_never_zero_and_excluded():
    c = compare_results([run("cheap", quality=0.91), run("unpriced", quality=0.93)], prices=PRICES)
    o = by_name(c)["unpriced"]
    assert o.measures.cost.per_1k_requests is None and str(o.measures.cost) == "unknown"
    assert o.on_front is None and o.unknown == ["cost"]
    assert c.recommended == "cheap"
    assert any("unpriced" in r and "cost unknown" in r and "excluded from the cost ranking" in r for r in c.reasons)


def test_token_prices_need_token_counts():
    prices = {"base": PriceConfig(per_1k_requests=1.0), "tok": PriceConfig(input_per_1k_tokens=0.01)}
    c = compare_results([run("tok", quality=0.9, tokens=None)], prices=prices)
    assert "no token counts" in by_name(c)["tok"].measures.cost.note
    c = compare_results([run("tok", quality=0.9, tokens=20.0)], prices=prices)
    assert by_name(c)["tok"].measures.cost.per_1k_requests == pytest.approx(0.2)
    assert c.recommended == "tok"


def test_runs_on_different_digests_are_refused_saying_what_differs():
    a = run("cheap", quality=0.9)
    b = run("pricey", quality=0.9, config_digest="cfg2", dataset_digest="data2")
    with pytest.raises(UsageError) as exc:
        compare_results([a, b], prices=PRICES)
    text = str(exc.value) + " ".join(str(p) for p in exc.value.problems)
    assert "config digest cfg2 vs cfg1" in text and "suite 's' dataset digest data2 vs data1" in text
    c = run("other", quality=0.9, fingerprint="fp-changed")
    with pytest.raises(UsageError, match="baseline"):
        compare_results([a, c], prices=PRICES)


def test_nothing_to_compare():
    with pytest.raises(UsageError):
        compare_results([], prices=PRICES)


def test_recorded_runs_are_valid_result_json():
    for r in (run("a", quality=0.9), run("b", quality=0.9, p95=None), run("c", quality=0.9, usd_per_1k=1.0, tokens=3.0)):
        RunResult.model_validate(r)


def test_latency_and_cost_come_from_the_performance_suite():
    prices = {"base": PriceConfig(per_1k_requests=1.0), "tok": PriceConfig(input_per_1k_tokens=0.01)}
    # the correctness run saw 0.001 s; the performance suite (first load level) measured 0.3 s
    c = compare_results([run("tok", quality=0.9, p95=0.3, run_p95=0.001, tokens=20.0)], prices=prices)
    m = by_name(c)["tok"].measures
    assert m.latency_p95_s == pytest.approx(0.3) and m.latency_p50_s == pytest.approx(0.15)
    assert "performance suite 'speed', concurrency 1" in m.latency_note
    # the token price applies to the performance suite's 20 tokens per request, not the run's 1000
    assert m.cost.per_1k_requests == pytest.approx(0.2)
    # a price table on the models: the suite's own cost wins over lifecycle.prices
    c = compare_results([run("tok", quality=0.9, tokens=20.0, usd_per_1k=0.05, baseline_usd_per_1k=0.7)],
                        prices=prices)
    assert by_name(c)["tok"].measures.cost.per_1k_requests == 0.05
    assert by_name(c)["base"].measures.cost.per_1k_requests == 0.7


def test_without_a_performance_suite_latency_and_token_cost_are_unknown():
    prices = {"base": PriceConfig(per_1k_requests=1.0), "tok": PriceConfig(input_per_1k_tokens=0.01),
              "flat": PriceConfig(per_1k_requests=0.5)}
    c = compare_results([run("tok", quality=0.9, p95=None, run_p95=0.01),
                         run("flat", quality=0.9, p95=None, run_p95=0.01)], prices=prices)
    o = by_name(c)
    assert o["tok"].measures.latency_p95_s is None and o["tok"].measures.latency_note == "no performance suite in the run"
    assert o["tok"].measures.cost.per_1k_requests is None
    assert "no performance suite counted tokens per request" in o["tok"].measures.cost.note
    assert o["flat"].measures.cost.per_1k_requests == 0.5  # a flat price needs no measurement
    assert o["flat"].on_front is None and o["flat"].unknown == ["p95 latency"]
    assert c.recommended == "flat"
