"""Optional: names and postal addresses with Presidio, when a spaCy model is installed.

Install the extra (``pip install 'bouclier[pii-ner]'``) and a spaCy pipeline of your
choice (e.g. a wheel of ``en_core_web_sm`` from your own mirror); nothing is ever
downloaded at run time. Without them :func:`ner_unavailable_reason` says what is
missing and :func:`detect_names` is never called by :func:`~bouclier.detectors.pii.detect_pii`.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from bouclier.detectors.base import Finding, Location, line_and_column

ENTITIES = ("PERSON", "LOCATION")
_lock = threading.Lock()
_engines: dict[str, Any] = {}


def ner_unavailable_reason(language: str = "en") -> str | None:
    """None when Presidio and a spaCy model for ``language`` are installed, else why not."""
    import importlib.util

    if importlib.util.find_spec("presidio_analyzer") is None or importlib.util.find_spec("spacy") is None:
        return "presidio-analyzer is not installed (pip install 'bouclier[pii-ner]')"
    if not _spacy_models(language):
        return f"no spaCy model for '{language}' is installed (install one, e.g. {language}_core_web_sm)"
    return None


def _spacy_models(language: str) -> list[str]:
    """Installed spaCy pipelines for ``language``, found from package metadata without
    importing spaCy (a slow import)."""
    from importlib import metadata

    found = []
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").replace("-", "_")
        if name.startswith(f"{language}_") and any(r.startswith("spacy") for r in (dist.requires or [])):
            found.append(name)
    return sorted(found)


def _engine(language: str) -> Any:
    with _lock:
        if language not in _engines:
            os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # tldextract must not fetch
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider

            model = _spacy_models(language)[0]
            provider = NlpEngineProvider(nlp_configuration={
                "nlp_engine_name": "spacy", "models": [{"lang_code": language, "model_name": model}]})
            _engines[language] = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=[language])
        return _engines[language]


def detect_names(text: str, *, language: str = "en", min_score: float = 0.6) -> list[Finding]:
    """PERSON and LOCATION entities found by Presidio's spaCy recognizer."""
    reason = ner_unavailable_reason(language)
    if reason is not None:
        raise RuntimeError(reason)
    results = _engine(language).analyze(text=text, language=language, entities=list(ENTITIES))
    out = []
    for r in sorted(results, key=lambda r: r.start):
        if r.score < min_score:
            continue
        line, col = line_and_column(text, r.start)
        out.append(Finding.of_value(
            detector="pii", rule_id=f"pii.{r.entity_type.lower()}", severity="medium",
            message=f"{r.entity_type.lower()} (Presidio, score {r.score:.2f})", value=text[r.start:r.end],
            location=Location(line=line, column=col), entity=r.entity_type))
    return out
