"""Peak memory of an in-process (``python``) model, with :mod:`tracemalloc`.

The model is built afresh and answers a few requests while tracemalloc traces every
allocation; the peak of traced memory above what was allocated before is the model's
footprint: its weights and the working memory of answering. It is measured in a phase of
its own, after the latency blocks, because tracing slows every allocation down (it would
distort the latencies).

Why tracemalloc rather than the process RSS: baseline and candidate live in the same
process as bouclier itself, and the peak RSS (``ru_maxrss``) is process-wide and never
goes down, so the second model measured would inherit the first one's peak and both would
include bouclier, the dataset and the allocator's fragmentation. tracemalloc attributes
bytes to the code that allocated them, can be reset between the two models, and is
deterministic for deterministic code. numpy arrays are traced (numpy reports its buffers
to tracemalloc). Limits: memory allocated by native libraries through their own allocators
(onnxruntime arenas, torch's CPU allocator, mmap'ed weights) is invisible, and a model
that caches its weights at module level (already loaded by the latency phase) is
undercounted. See docs/performance.md.
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import Awaitable, Callable, Sequence

from bouclier.adapters.base import Model, ModelCallError, Request

METHOD = "tracemalloc peak of building the model and answering {n} requests"


async def peak_memory_bytes(build: Callable[[], Model], requests: Sequence[Request]) -> int:
    """Peak traced bytes of ``build()`` then answering ``requests`` one by one."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    gc.collect()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    model = build()
    try:
        for request in requests:
            try:
                await model.complete(request)
            except ModelCallError:
                pass  # a failure is judged by the latency phase; memory still counts
        _, peak = tracemalloc.get_traced_memory()
    finally:
        await model.aclose()
        if not was_tracing:
            tracemalloc.stop()
    return max(peak - before, 0)


PeakMemory = Callable[[Callable[[], Model], Sequence[Request]], Awaitable[int]]

__all__ = ["METHOD", "peak_memory_bytes"]
