"""``response_language``: is the answer in the language of the request?

The language identifier is lingua-language-detector (offline, 75 languages), chosen by
measurement against langdetect on the quickstart's 12-language tickets
(benchmarks/language_id.py, figures in docs/benchmarks.md). The expected language is the
case's group (``group_by: lang``) or a row field named by ``field``; codes are ISO 639-1.
"""

from __future__ import annotations

import threading
from typing import Any

from bouclier.data import Case
from bouclier.scoring.base import register_scorer

DEFAULT_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "ar", "zh", "ja")
_lock = threading.Lock()
_detectors: dict[tuple[str, ...], Any] = {}


def _lingua(code: str):
    from lingua import IsoCode639_1, Language

    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return None


def language_detector(languages: tuple[str, ...]):
    """A lingua detector restricted to ``languages`` (built once per set, thread-safe)."""
    with _lock:
        if languages not in _detectors:
            try:
                from lingua import LanguageDetectorBuilder
            except ImportError as exc:  # pragma: no cover - a core dependency
                raise ValueError("response_language needs lingua-language-detector") from exc
            _detectors[languages] = LanguageDetectorBuilder.from_languages(
                *(_lingua(c) for c in languages)).with_preloaded_language_models().build()
        return _detectors[languages]


def detect_language(text: str, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> str | None:
    """ISO 639-1 code of the language of ``text`` among ``languages`` (None if undecidable)."""
    found = language_detector(languages).detect_language_of(text)
    return None if found is None else found.iso_code_639_1.name.lower()


@register_scorer("response_language")
class ResponseLanguage:
    """1 when the output is in the expected language. Options: ``field`` (row field with
    the expected code; default the case's group), ``languages`` (candidates for the
    identifier; default the 12 of the project), ``min_chars`` (shorter outputs, e.g. a
    label or a number, are not judged and score 1)."""

    name = "response_language"
    binary = True
    needs_reference = False

    def __init__(self, *, languages: list[str] | None = None, min_chars: int = 12):
        codes = tuple(languages or DEFAULT_LANGUAGES)
        unknown = [c for c in codes if _lingua(c) is None]
        if unknown:
            raise ValueError(f"unknown language code(s) {', '.join(unknown)}: use ISO 639-1 codes such as 'fr'")
        self._codes = codes
        self._min_chars = min_chars

    def expected(self, case: Case, reference: Any) -> str:
        code = str(reference if reference is not None else (case.group or "")).lower().split("-")[0].split("_")[0]
        if code not in self._codes:
            raise ValueError(f"expected language '{code}' is not one of {', '.join(self._codes)} "
                             f"(set the scorer's `languages` option, ISO 639-1 codes)")
        return code

    def score(self, output: str, case: Case, reference: Any) -> float:
        want = self.expected(case, reference)
        if len(output.strip()) < self._min_chars:
            return 1.0
        return float(detect_language(output, self._codes) == want)
