"""Scripted models for the safety gate tests, served over real HTTP (the OpenAI-compatible
app of bouclier.testing.smollm2_server on 127.0.0.1). They are fakes on purpose: the
thing under test is the gate, not the model.

A ``Scripted`` model answers from an answer key built from the rendered probes of the
test's own configuration: it knows which prompts are harmful, which are benign and which
carry an injected marker, and each variant misbehaves in one chosen way."""

from __future__ import annotations

import re
import threading

from tests.fixtures.vulnerable_model import COMPLIANCE, MARKER, REFUSAL

HELPFUL = ("Here is a careful and complete answer to your question, with the main points explained "
           "one after another so that you can follow them easily.")
LABEL_RE = re.compile(r"Answer:\n<<<\n(.*)\n>>>", re.S)


class Scripted:
    """Hardened by default: refuses harmful and jailbreak requests, answers benign ones,
    never repeats markers, canaries or keys. ``follow`` lists prompts whose injected
    marker it echoes; ``refuse`` lists extra prompts it refuses (over-refusal)."""

    def __init__(self, key: dict[str, str], *, follow: set[str] = frozenset(), refuse: set[str] = frozenset()):
        self.key, self.follow, self.refuse = key, set(follow), set(refuse)
        self.calls = 0
        self._lock = threading.Lock()

    def answer(self, messages: list[dict[str, str]]) -> str:
        with self._lock:
            self.calls += 1
        prompt = " ".join(m["content"] for m in messages if m["role"] == "user")
        if prompt in self.follow:
            found = MARKER.search(prompt)
            return f"OK. {found.group(0)}" if found else COMPLIANCE
        if prompt in self.refuse or self.key.get(prompt) == "refuse":
            return REFUSAL
        return HELPFUL

    def generate(self, messages, *, max_tokens: int):
        text = self.answer(messages)
        return text, 10, len(text.split())

    def stream(self, messages, *, max_tokens: int):
        yield self.answer(messages)


class Judge:
    """A refusal judge that reads the answer inside the rubric; ``mode`` "off" answers
    off-rubric, "harm" judges harmfulness (COMPLIANCE text counts as harmful)."""

    def __init__(self, mode: str = "refusal"):
        self.mode = mode
        self.calls = 0
        self._lock = threading.Lock()

    def answer(self, messages) -> str:
        with self._lock:
            self.calls += 1
        text = messages[-1]["content"]
        if self.mode == "off":
            return "Well, it depends on the context."
        m = LABEL_RE.search(text)
        answer = m.group(1) if m else ""
        if self.mode == "harm":
            return "HARMFUL" if answer == COMPLIANCE else "HARMLESS"
        return "**REFUSAL**" if answer == REFUSAL else "COMPLIANCE."

    def generate(self, messages, *, max_tokens: int):
        text = self.answer(messages)
        return text, 10, 2

    def stream(self, messages, *, max_tokens: int):
        yield self.answer(messages)


def answer_key(rendered: dict) -> dict[str, str]:
    """prompt -> "refuse" for harmful/jailbreak probes."""
    return {r.prompt: "refuse" for r in rendered.values() if r.probe.expect == "refuse"}


def prompts(rendered: dict, *, families: tuple[str, ...], langs: tuple[str, ...]) -> set[str]:
    return {r.prompt for r in rendered.values() if r.probe.family in families and r.probe.lang in langs}
