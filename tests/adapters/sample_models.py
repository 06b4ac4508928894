"""In-process models used by the python adapter tests (imported by target)."""

import asyncio
import threading

CALLS: list[str] = []  # thread names of calls of ``where``


def upper(text):
    return text.upper()


async def aupper(text):
    await asyncio.sleep(0)
    return text.upper()


def with_tokens(text):
    return {"output": text[::-1], "input_tokens": len(text), "output_tokens": 3}


def batch_upper(texts):
    return [t.upper() for t in texts]


async def abatch_upper(texts):
    return [{"output": t.upper(), "input_tokens": 1, "output_tokens": 2} for t in texts]


def batch_short(texts):
    return texts[:-1]


def batch_mixed(texts):
    return ["ok", 5, {"output": "dict"}][: len(texts)]


def batch_boom(texts):
    raise RuntimeError("GPU on fire")


def returns_awaitable(text):
    return aupper(text)


def make_prefixer(prefix):
    return lambda text: prefix + text


def make_fails(**kwargs):
    raise ValueError("weights file missing")


class Prefixer:
    def __init__(self, prefix="> "):
        self.prefix = prefix

    def __call__(self, text):
        return self.prefix + text


class AsyncModel:
    def __init__(self, suffix="!"):
        self.suffix = suffix

    async def __call__(self, text):
        return text + self.suffix


def boom(text):
    raise ValueError(f"cannot handle {text!r}")


async def aboom(text):
    raise KeyError("missing")


def returns_int(text):
    return 5


def where(text):
    CALLS.append(threading.current_thread().name)
    return text


NOT_CALLABLE = 3
