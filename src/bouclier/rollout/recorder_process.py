"""Signals written by a worker process: ``python -m bouclier.rollout.recorder_process``.

The router's side (:class:`ProcessRecorder`) keeps the captures of the last
``batch_interval_s`` in a list, then packs them as tuples (pickle, about 1.5 us per capture)
and writes them to the worker's stdin from the event loop, without blocking: the request
path never waits for a parser, a detector or the database, and no thread of the router's
process competes with it for the interpreter lock.

The worker reads a spec frame (store, detectors, canary tokens, access log), answers
``ready`` once the store is open and the detectors are loaded, then for each batch runs a
:class:`~bouclier.rollout.recorder.SignalWriter` and answers ``done`` with its counts. Its
signal metrics are prometheus-client multiprocess files in a directory the router's
``/metrics`` collects. A frame is a 4-byte big-endian length and a pickle; both ends are
this module, parent and child.

If the worker dies, the captures it had not acknowledged are counted as dropped, and a new
worker is started; the router keeps serving meanwhile (its captures wait, bounded by
``queue_size``). At the end of stdin the worker writes what it was given and exits.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import operator
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field, fields
from typing import Any, BinaryIO, Callable

from bouclier.rollout.inspection import Capture
from bouclier.rollout.recorder import MAX_BATCH, BatchResult, Recorder
from bouclier.rollout.signals import Feedback, Signal

log = logging.getLogger("bouclier.router")

_LENGTH = struct.Struct(">I")
_SIGNAL_ROW = operator.attrgetter(*(f.name for f in fields(Signal)))
_CAPTURE_REST = operator.attrgetter(*(f.name for f in fields(Capture) if f.name != "signal"))
_FEEDBACK_ROW = operator.attrgetter(*(f.name for f in fields(Feedback)))
_PIPE_BYTES = 1 << 20
_START_TIMEOUT_S = 120.0


def _frame(obj: Any) -> bytes:
    payload = pickle.dumps(obj, protocol=5)
    return _LENGTH.pack(len(payload)) + payload


def _read_frame(stream: BinaryIO) -> Any:
    """The next frame, or None at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (n,) = _LENGTH.unpack(head)
    payload = stream.read(n)
    if len(payload) < n:
        return None
    return pickle.loads(payload)


@dataclass
class WriterSpec:
    """What the worker needs to write signals as the router's configuration says."""

    store: str
    base_dir: str | None
    detectors: tuple[str, ...]
    canary_tokens: list[str] = field(repr=False)  # planted secrets: sent on stdin, never on the command line
    access_log: bool


@dataclass
class _Child:
    proc: subprocess.Popen
    stdin_fd: int
    handed: int = 0  # captures + feedback written (or being written) to this worker
    acked: int = 0  # ... and acknowledged by it


class ProcessRecorder(Recorder):
    def __init__(self, spec: WriterSpec, *, queue_size: int, batch_interval_s: float = 0.05,
                 on_shadow_cost: Callable[[float], None] | None = None):
        super().__init__(queue_size=queue_size, on_shadow_cost=on_shadow_cost)
        self.spec = spec
        self.metrics_dir = tempfile.mkdtemp(prefix="bouclier-router-metrics-")
        weakref.finalize(self, shutil.rmtree, self.metrics_dir, ignore_errors=True)
        self._interval = batch_interval_s
        self._caps: list[Capture] = []
        self._feedback: list[Feedback] = []
        self._scheduled: asyncio.Handle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._child: _Child | None = None
        self._out = bytearray()
        self._writing = False
        self._stopping = False
        self._reader: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle (any thread)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the worker and wait until it is ready (raises if it cannot start)."""
        self._loop = loop
        self._child = self._spawn()
        self._reader = threading.Thread(target=self._read, name="bouclier-signals-reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        child = self._child
        return child is not None and child.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        self._stopping = True
        child = self._child
        if child is not None:
            self._in_loop(self._close_pipe)
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("the signal worker did not finish in %g s: killed", timeout)
                child.proc.kill()
                child.proc.wait()
        if self._reader is not None:
            self._reader.join(timeout)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _kick(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._send)

    def _in_loop(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the event loop (which owns the pipe) and wait for it."""
        loop = self._loop
        try:
            in_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            in_loop = False
        if loop is None or in_loop or not loop.is_running():
            fn()
            return
        done: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                fn()
            finally:
                done.set_result(None)

        loop.call_soon_threadsafe(run)
        done.result(10)

    # ------------------------------------------------------------ event-loop side

    def submit(self, cap: Capture) -> None:
        if self._accept():
            self._caps.append(cap)
            if self._scheduled is None:
                self._schedule()

    def submit_feedback(self, fb: Feedback) -> None:
        if self._accept():
            self._feedback.append(fb)
            if self._scheduled is None:
                self._schedule()

    def _schedule(self) -> None:
        loop = self._loop or asyncio.get_running_loop()
        self._scheduled = loop.call_later(self._interval, self._send)

    def _send(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        if not self._caps and not self._feedback:
            return
        child = self._child
        if child is None:
            if not self._stopping:  # a new worker is starting: keep the captures (bounded) until then
                self._schedule()
            return
        caps, self._caps = self._caps[:MAX_BATCH], self._caps[MAX_BATCH:]
        feedback, self._feedback = self._feedback[:MAX_BATCH], self._feedback[MAX_BATCH:]
        rows = [(_SIGNAL_ROW(c.signal), *_CAPTURE_REST(c)) for c in caps]
        child.handed += len(caps) + len(feedback)
        self._out += _frame((rows, [_FEEDBACK_ROW(f) for f in feedback]))
        self._write()
        if self._caps or self._feedback:  # a backlog (a worker restarted): the rest after the requests waiting
            self._scheduled = self._loop.call_soon(self._send)

    def _write(self) -> None:
        child = self._child
        if child is None:
            return
        try:
            n = os.write(child.stdin_fd, self._out)
        except BlockingIOError:
            n = 0
        except OSError:  # the worker is gone: the reader thread counts what it did not acknowledge
            self._out.clear()
            n = 0
        del self._out[:n]
        if self._out and not self._writing:
            self._loop.add_writer(child.stdin_fd, self._write)
            self._writing = True
        elif not self._out and self._writing:
            self._loop.remove_writer(child.stdin_fd)
            self._writing = False

    def _detach(self, child: _Child) -> None:
        """The worker died: count what it had not written, forget its pipe."""
        if self._writing:
            self._loop.remove_writer(child.stdin_fd)
            self._writing = False
        self._out.clear()
        lost = child.handed - child.acked
        if lost:
            log.error("the signal worker exited (status %s) before writing %d signals: counted as dropped",
                      child.proc.returncode, lost)
            self.lost += lost
            self._done(lost, BatchResult())
        os.close(child.stdin_fd)
        self._child = None

    def _attach(self, child: _Child) -> None:
        self._child = child
        self._send()

    def _close_pipe(self) -> None:
        child = self._child
        if child is not None:
            while self._caps or self._feedback:
                self._send()
            if self._writing:
                self._loop.remove_writer(child.stdin_fd)
                self._writing = False
            if self._out:  # a worker too slow to take its last batch within the stop timeout
                os.set_blocking(child.stdin_fd, True)
                try:
                    os.write(child.stdin_fd, self._out)
                except OSError:
                    pass
                self._out.clear()
            os.close(child.stdin_fd)
            self._child = None

    # ------------------------------------------------------------ the worker and its answers

    def _spawn(self) -> _Child:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        proc = subprocess.Popen([sys.executable, "-m", "bouclier.rollout.recorder_process"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=env)
        assert proc.stdin is not None and proc.stdout is not None
        try:  # its work can wait; the request path cannot: give it the scheduler's leftovers
            os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
        except (AttributeError, OSError):
            pass
        fd = proc.stdin.fileno()
        try:
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except (ImportError, AttributeError, OSError):
            pass
        proc.stdin.write(_frame(vars(self.spec)))
        proc.stdin.flush()
        answer = _read_with_timeout(proc, _START_TIMEOUT_S)
        if answer is None or answer[0] != "ready":
            proc.kill()
            proc.wait()
            why = answer[1] if answer else f"it exited with status {proc.returncode} (see the log above)"
            from bouclier.errors import InfrastructureError

            raise InfrastructureError(f"the signal worker could not start: {why}")
        stdin_fd = os.dup(fd)
        proc.stdin.close()
        os.set_blocking(stdin_fd, False)
        return _Child(proc, stdin_fd)

    def _read(self) -> None:
        backoff = 0.5
        while True:
            child = self._child
            assert child is not None and child.proc.stdout is not None
            while (msg := _read_frame(child.proc.stdout)) is not None:
                if msg[0] == "done":
                    _, n, written, write_errors, shadow_cost = msg
                    child.acked += n
                    self._done(n, BatchResult(written, write_errors, shadow_cost))
            child.proc.wait()
            child.proc.stdout.close()
            if self._stopping:
                return
            self._in_loop(lambda: self._detach(child))
            while not self._stopping:
                time.sleep(backoff)
                try:
                    new = self._spawn()
                except Exception as exc:  # noqa: BLE001 - logged; retried with a longer wait
                    log.error("could not restart the signal worker: %s", exc)
                    backoff = min(backoff * 2, 30.0)
                    continue
                self._in_loop(lambda: self._attach(new))
                backoff = 0.5
                break
            else:
                return


def _read_with_timeout(proc: subprocess.Popen, timeout: float) -> Any:
    result: list[Any] = [None]
    reader = threading.Thread(target=lambda: result.__setitem__(0, _read_frame(proc.stdout)), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0]


# ----------------------------------------------------------------------------- the worker


class _Batches:
    """The worker's two threads. Batches are written in order by a thread at the kernel's
    ``SCHED_IDLE`` policy: it runs only on a core nothing else wants and gives way at once
    when the router, its upstreams or its clients wake up (``nice`` alone did not: the
    router's added p99 at 500 requests/s was +1.6 ms with the writer at nice 10 or 19,
    +0.5 ms at SCHED_IDLE; docs/benchmarks.md). So that a saturated machine cannot starve
    the signals, the main thread (the one reading the router's frames, at nice 10) writes
    any batch that has waited longer than ``rescue_after_s`` itself."""

    def __init__(self, writer: Any, answer: Callable[[Any], None], *, rescue_after_s: float = 1.0):
        self.writer = writer
        self.answer = answer
        self.rescue_after_s = rescue_after_s
        self.pending: collections.deque[tuple[float, list, list]] = collections.deque()
        self._lock = threading.Lock()  # one batch written at a time, in order
        self._wake = threading.Event()
        self._closed = False
        self._idle = threading.Thread(target=self._run_idle, name="bouclier-signals-idle", daemon=True)
        self._idle.start()

    def add(self, rows: list, feedback: list) -> None:
        self.pending.append((time.monotonic(), rows, feedback))
        self._wake.set()
        while self.pending and time.monotonic() - self.pending[0][0] > self.rescue_after_s:
            self._write_one()

    def close(self) -> None:
        """Write everything left (at the main thread's priority), then stop the idle thread."""
        while self._write_one():
            pass
        self._closed = True
        self._wake.set()
        self._idle.join()

    def _write_one(self) -> bool:
        with self._lock:
            if not self.pending:
                return False
            _, rows, feedback = self.pending.popleft()
            caps = [Capture(Signal(*row[0]), *row[1:]) for row in rows]
            result = self.writer.write(caps, [Feedback(*f) for f in feedback])
            self.answer(("done", len(rows) + len(feedback), result.written, result.write_errors, result.shadow_cost))
            return True

    def _run_idle(self) -> None:
        try:  # this thread only (Linux scheduling policies are per thread)
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError) as exc:
            log.warning("signal writer: SCHED_IDLE is not available (%s); writing at nice 10", exc)
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            while self._write_one():
                pass


def main() -> int:
    # Frames travel on the original stdin/stdout; anything a library prints goes to stderr.
    frames_in = os.fdopen(os.dup(0), "rb")
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the router, which then stops this worker

    def answer(obj: Any) -> None:
        frames_out.write(_frame(obj))
        frames_out.flush()

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    given = _read_frame(frames_in)
    if given is None:
        return 0
    spec = WriterSpec(**given)
    try:
        from prometheus_client import CollectorRegistry

        from bouclier.rollout.inspection import Inspector
        from bouclier.rollout.metrics import SignalMetrics
        from bouclier.rollout.recorder import SignalWriter
        from bouclier.rollout.signals import open_signal_store

        store = open_signal_store(spec.store, base_dir=spec.base_dir)
        inspector = Inspector(detectors=spec.detectors, canary_tokens=spec.canary_tokens)
        inspector.warm_up()
        writer = SignalWriter(store, inspector, SignalMetrics(CollectorRegistry()), access_log_enabled=spec.access_log)
    except Exception as exc:  # noqa: BLE001 - reported to the router, which refuses to start
        answer(("error", f"{type(exc).__name__}: {exc}"))
        return 1
    answer(("ready",))
    batches = _Batches(writer, answer)
    while (batch := _read_frame(frames_in)) is not None:
        batches.add(*batch)
    batches.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
