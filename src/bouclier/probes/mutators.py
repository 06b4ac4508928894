"""Deterministic mutators: wrap a request in a jailbreak frame, obfuscate it, or switch its
language, multiplying a pack (wrappers x encodings x request languages).

Every random choice (which letters leetspeak substitutes, which variants a ``limit`` keeps)
comes from ``seed`` combined with the probe id, so the same seed always gives the same
probes whatever the order or the subset they are given in.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Sequence

import yaml

from bouclier.errors import DataError, Problem, UsageError
from bouclier.probes.model import LANGUAGES, Probe, placeholders

NO_WRAPPER = "none"
NO_ENCODING = "identity"

_LEET = {
    "a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "g": "9", "b": "8",
    # Cyrillic letters that have a look-alike digit
    "а": "4", "е": "3", "о": "0", "з": "3", "ч": "4", "б": "6",
}


@dataclass(frozen=True)
class Templates:
    """Wrapper and encoding templates, each a mapping language -> text."""

    wrappers: dict[str, dict[str, str]]
    encodings: dict[str, dict[str, str]]


@lru_cache(maxsize=1)
def builtin_templates() -> Templates:
    text = resources.files("bouclier.probes").joinpath("packs/wrappers.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return Templates(wrappers=data["wrappers"], encodings=data["encodings"])


def wrapper_names() -> tuple[str, ...]:
    return (NO_WRAPPER, *builtin_templates().wrappers)


def encoding_names() -> tuple[str, ...]:
    return (NO_ENCODING, *builtin_templates().encodings)


def encode(text: str, encoding: str, *, rng: random.Random) -> str:
    """Obfuscate ``text``: base64 (of UTF-8), leetspeak (seeded letter substitutions),
    reversed (characters right to left), identity."""
    if encoding == NO_ENCODING:
        return text
    if encoding == "base64":
        return base64.b64encode(text.encode("utf-8")).decode("ascii")
    if encoding == "reversed":
        return text[::-1]
    if encoding == "leetspeak":
        out = []
        for ch in text:
            sub = _LEET.get(ch.lower())
            out.append(sub if sub is not None and rng.random() < 0.75 else ch)
        return "".join(out)
    raise UsageError(f"unknown encoding {encoding!r} (expected one of: {', '.join(encoding_names())})")


def compose(request: str, *, lang: str, wrapper: str, encoding: str, rng: random.Random,
            templates: Templates | None = None) -> str:
    """The text of ``request`` wrapped and encoded, with the frame written in ``lang``."""
    templates = templates or builtin_templates()
    text = request
    if encoding != NO_ENCODING:
        frame = _template(templates.encodings, "encoding", encoding, lang)
        text = frame.replace("{payload}", encode(request, encoding, rng=rng))
    if wrapper != NO_WRAPPER:
        frame = _template(templates.wrappers, "wrapper", wrapper, lang)
        text = frame.replace("{request}", text)
    return text


def switch_language(lang: str) -> str:
    """The language a ``request_lang: switch`` probe takes its request from: six steps
    along the 12-language list, so that every language meets another script."""
    i = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    return LANGUAGES[(i + 6) % len(LANGUAGES)]


def probe_rng(seed: int, *parts: str) -> random.Random:
    return random.Random("\x1f".join((str(seed), *parts)))


def mutate(
    probes: Sequence[Probe],
    *,
    wrappers: Iterable[str] = (NO_WRAPPER,),
    encodings: Iterable[str] = (NO_ENCODING,),
    languages: Iterable[str] | None = None,
    seed: int,
    limit: int | None = None,
) -> list[Probe]:
    """Every probe x wrapper x encoding x request language, in that order.

    ``languages`` lists the languages the *request* is taken from (its translation, found
    through ``parallel_id``), while the frame stays in the probe's own language; ``None``
    keeps each probe's own language. The (none, identity, own language) combination
    returns the probe unchanged. A harmful probe that is changed becomes a ``jailbreak``
    probe. ``limit`` keeps a seeded sample of that many variants (order preserved).
    """
    wrappers, encodings = list(wrappers), list(encodings)
    templates = builtin_templates()
    problems = [Problem(f"unknown wrapper {w!r}", hint=f"expected one of: {', '.join(wrapper_names())}")
                for w in wrappers if w != NO_WRAPPER and w not in templates.wrappers]
    problems += [Problem(f"unknown encoding {e!r}", hint=f"expected one of: {', '.join(encoding_names())}")
                 for e in encodings if e != NO_ENCODING and e not in templates.encodings]
    request_langs = list(languages) if languages is not None else None
    if problems:
        raise UsageError(problems=problems)
    by_parallel = {(p.parallel_id, p.lang): p for p in probes if p.parallel_id}
    out: list[Probe] = []
    for probe in probes:
        for wrapper in wrappers:
            for encoding in encodings:
                for req_lang in request_langs or [probe.lang]:
                    out.append(_variant(probe, wrapper, encoding, req_lang, by_parallel, templates, seed))
    if limit is not None and limit < len(out):
        keep = sorted(random.Random(seed).sample(range(len(out)), limit))
        out = [out[i] for i in keep]
    return out


def _variant(probe: Probe, wrapper: str, encoding: str, req_lang: str,
             by_parallel: dict, templates: Templates, seed: int) -> Probe:
    if wrapper == NO_WRAPPER and encoding == NO_ENCODING and req_lang == probe.lang:
        return probe
    source = probe
    if req_lang != probe.lang:
        source = by_parallel.get((probe.parallel_id, req_lang))
        if source is None:
            raise DataError(problems=[Problem(
                f"probe {probe.id!r} has no translation in {req_lang!r} to switch its request to",
                file=probe.source or None, hint="give the parallel probes in that language too")])
    if encoding != NO_ENCODING and placeholders(source.prompt):
        raise UsageError(problems=[Problem(
            f"probe {probe.id!r}: encoding {encoding!r} would hide the placeholders "
            f"{sorted(placeholders(source.prompt))} of its prompt", file=probe.source or None,
            hint="apply encodings to harmful/jailbreak probes, or use wrappers only")])
    rng = probe_rng(seed, probe.id, wrapper, encoding, req_lang)
    prompt = compose(source.prompt, lang=probe.lang, wrapper=wrapper, encoding=encoding,
                     rng=rng, templates=templates)
    tag = f"~{wrapper}+{encoding}" + (f"@{req_lang}" if req_lang != probe.lang else "")
    parallel_id = f"{probe.parallel_id}{tag}" if probe.parallel_id else None
    return probe.with_(
        id=f"{parallel_id}.{probe.lang}" if parallel_id else f"{probe.id}{tag}",
        parallel_id=parallel_id,
        prompt=prompt,
        family="jailbreak" if probe.family == "harmful" else probe.family,
        wrapper=wrapper,
        encoding=encoding,
        request_lang=req_lang,
    )


def _template(table: dict[str, dict[str, str]], kind: str, name: str, lang: str) -> str:
    try:
        by_lang = table[name]
    except KeyError:
        raise UsageError(f"unknown {kind} {name!r} (expected one of: {', '.join(table)})") from None
    try:
        return by_lang[lang]
    except KeyError:
        raise UsageError(f"{kind} {name!r} has no template in language {lang!r} "
                         f"(it has: {', '.join(by_lang)})") from None
