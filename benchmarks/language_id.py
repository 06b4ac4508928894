"""Language identification on short customer messages: lingua (high and low accuracy
modes) vs langdetect, on the quickstart's 600 tickets in 12 languages (and on 2-3 word
prefixes of them). Accuracy and time per call, side by side in one run.

    python benchmarks/language_id.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "data" / "tickets.jsonl"
LANGS = ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "ar", "zh", "ja")


def lingua_detector(low: bool):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(
        *(Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGS))
    builder = builder.with_low_accuracy_mode() if low else builder.with_preloaded_language_models()
    det = builder.build()

    def detect(text: str) -> str | None:
        lang = det.detect_language_of(text)
        return None if lang is None else lang.iso_code_639_1.name.lower()

    return detect


def langdetect_detector():
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str | None:
        try:
            code = detect(text)
        except LangDetectException:
            return None
        return "zh" if code.startswith("zh") else code

    return run


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    short = []
    for r in rows:
        words = r["text"].split()
        text = " ".join(words[:3]) if len(words) > 3 else r["text"][:8]
        short.append({**r, "text": text})
    detectors = {"lingua (preloaded)": lingua_detector(False), "lingua (low accuracy)": lingua_detector(True),
                 "langdetect": langdetect_detector()}
    print(f"{'detector':24} {'sentences':>10} {'short':>8} {'ms/call':>8}")
    for name, det in detectors.items():
        det(rows[0]["text"])  # warm up (loads models)
        started = time.perf_counter()
        full = sum(det(r["text"]) == r["lang"] for r in rows) / len(rows)
        elapsed = time.perf_counter() - started
        part = sum(det(r["text"]) == r["lang"] for r in short) / len(short)
        print(f"{name:24} {full:10.3f} {part:8.3f} {elapsed / len(rows) * 1000:8.3f}")
    print(f"({len(rows)} tickets; 'short' = first 3 words, or 8 characters for zh/ja)")


if __name__ == "__main__":
    main()
