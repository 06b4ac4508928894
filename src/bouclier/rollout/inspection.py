"""Read an answer after it was sent: its text, token usage, cost and detector flags.

Runs where the recorder writes signals (its worker process or thread), never on the
request path. OpenAI-compatible answers are understood as JSON
(``choices[].message.content``, ``choices[].text``, ``output_text``, ``usage``) or as
server-sent events (``choices[].delta.content`` pieces and a final ``usage`` chunk). Other paths are proxied without being parsed.

Detectors are the ones of the release gate: secrets, PII (only entities that the request
did not already contain, as in the gate's ``pii_leak`` scorer), planted canary tokens and
refusals. Findings are counted, never stored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from typing import Any, Iterable

from bouclier.rollout.signals import Signal


@dataclass
class Capture:
    """What the proxy kept of one exchange, handed to the recorder."""

    signal: Signal
    openai: bool = False
    inspect: bool = False
    request_body: bytes = b""
    body: bytes = b""  # the answer as received (possibly truncated to max_inspect_bytes)
    truncated: bool = False
    content_type: str = ""
    content_encoding: str = ""
    price_prompt_per_1k: float = 0.0
    price_completion_per_1k: float = 0.0


@dataclass
class Parsed:
    text: str | None
    usage: dict[str, Any] | None
    valid: bool


def _decode(body: bytes, encoding: str) -> bytes | None:
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        return None
    return body if encoding in ("", "identity") else None


def _text_of_choice(choice: Any, key: str) -> str:
    if not isinstance(choice, dict):
        return ""
    part = choice.get(key)
    if isinstance(part, dict):
        content = part.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):  # content parts
            return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
        return ""
    text = choice.get("text")
    return text if isinstance(text, str) else ""


def parse_json_answer(raw: bytes) -> Parsed:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Parsed(None, None, False)
    if not isinstance(doc, dict):
        return Parsed(None, None, False)
    usage = doc.get("usage") if isinstance(doc.get("usage"), dict) else None
    choices = doc.get("choices")
    if isinstance(choices, list) and choices:
        return Parsed("".join(_text_of_choice(c, "message") for c in choices), usage, True)
    if isinstance(doc.get("output_text"), str):
        return Parsed(doc["output_text"], usage, True)
    if isinstance(doc.get("error"), (dict, str)):
        return Parsed(None, usage, True)
    return Parsed(None, usage, False)


def parse_sse_answer(raw: bytes) -> Parsed:
    pieces: list[str] = []
    usage = None
    valid = False
    for line in raw.split(b"\n"):
        line = line.strip()
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if data == b"[DONE]":
            valid = True
            continue
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return Parsed("".join(pieces), usage, False)
        if not isinstance(doc, dict):
            continue
        valid = True
        if isinstance(doc.get("usage"), dict):
            usage = doc["usage"]
        for c in doc.get("choices") or []:
            pieces.append(_text_of_choice(c, "delta"))
    return Parsed("".join(pieces), usage, valid)


def request_text(raw: bytes) -> str:
    """The user-visible text of an OpenAI-style request (messages, prompt, input)."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(doc, dict):
        return ""
    parts: list[str] = []
    for m in doc.get("messages") or []:
        if isinstance(m, dict):
            parts.append(_text_of_choice({"message": m}, "message"))
    for key in ("prompt", "input"):
        v = doc.get(key)
        if isinstance(v, str):
            parts.append(v)
        elif isinstance(v, list):
            parts.extend(x for x in v if isinstance(x, str))
    return "\n".join(parts)


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else None


def detector_flags(items: list[tuple[str, str]], detectors: frozenset[str] | tuple[str, ...],
                   canary_tokens: list[str]) -> list[dict[str, Any]]:
    """Counts of findings per detector for each (answer, prompt) pair."""
    detectors = frozenset(detectors)
    out = []
    for text, prompt in items:
        flags: dict[str, Any] = {}
        if "secret" in detectors:
            from bouclier.detectors import detect_secrets

            flags["secret"] = len(detect_secrets(text))
        if "pii" in detectors:
            from bouclier.detectors import detect_pii

            found = detect_pii(text)
            given = {f.fingerprint for f in detect_pii(prompt)} if found and prompt else set()
            flags["pii"] = sum(1 for f in found if f.fingerprint not in given)
        if "canary" in detectors:
            from bouclier.detectors import detect_canaries

            flags["canary_token"] = len(detect_canaries(text, canary_tokens)) if canary_tokens else 0
        if "refusal" in detectors:
            from bouclier.detectors.refusal import detect_refusal

            flags["refusal"] = detect_refusal(text).refused
        out.append(flags)
    return out


class Inspector:
    """Fills the content fields of captured signals, a batch at a time. It runs where the
    signals are written (the recorder's worker process by default): the refusal patterns
    alone take about a millisecond of CPU per answer."""

    def __init__(self, *, detectors: Iterable[str], canary_tokens: Iterable[str] = ()):
        self.detectors = frozenset(detectors)
        self.canary_tokens = [t for t in canary_tokens if t]

    def warm_up(self) -> None:
        """Load the detectors' engines now, not on the first answer."""
        self._flags([("warm up text", "")])

    def _flags(self, items: list[tuple[str, str]]) -> list[dict[str, Any]]:
        if not items or not self.detectors:
            return [{} for _ in items]
        return detector_flags(items, self.detectors, self.canary_tokens)

    def complete_batch(self, caps: list[Capture]) -> list[Signal]:
        todo: list[tuple[Signal, str, str]] = []
        for cap in caps:
            text = self.parse(cap)
            if text is not None and cap.inspect and self.detectors:
                prompt = request_text(cap.request_body) if "pii" in self.detectors else ""
                todo.append((cap.signal, text, prompt))
        if todo:
            for (signal, _, _), flags in zip(todo, self._flags([(t, p) for _, t, p in todo])):
                signal.inspected = True
                for name, value in flags.items():
                    setattr(signal, name, value)
        return [cap.signal for cap in caps]

    def parse(self, cap: Capture) -> str | None:
        """Fill status-derived, usage and cost fields; return the answer's text (or None)."""
        s = cap.signal
        if not cap.openai or not cap.body:
            return None
        body = _decode(cap.body, cap.content_encoding.lower())
        if body is None:
            return None
        if s.streamed or "text/event-stream" in cap.content_type:
            parsed = parse_sse_answer(body)
        else:
            parsed = parse_json_answer(body)
        if not parsed.valid and 200 <= s.status < 300 and not cap.truncated and s.outcome == "ok":
            s.outcome = "invalid_response"
            s.error = "the answer is not a valid OpenAI-compatible JSON or event stream"
        if parsed.usage:
            s.prompt_tokens = _int(parsed.usage.get("prompt_tokens", parsed.usage.get("input_tokens")))
            s.completion_tokens = _int(parsed.usage.get("completion_tokens", parsed.usage.get("output_tokens")))
            cost = parsed.usage.get("cost")
            if isinstance(cost, (int, float)) and not isinstance(cost, bool):
                s.cost = float(cost)
            elif s.prompt_tokens is not None or s.completion_tokens is not None:
                s.cost = ((s.prompt_tokens or 0) * cap.price_prompt_per_1k
                          + (s.completion_tokens or 0) * cap.price_completion_per_1k) / 1000
        if parsed.text is not None:
            s.output_chars = len(parsed.text)
            s.output_sha256 = hashlib.sha256(parsed.text.encode("utf-8", "surrogatepass")).hexdigest()
        return parsed.text
