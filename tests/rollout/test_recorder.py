"""The recorders: the bounded memory of recent request ids (what /feedback reads before
asking the store) and the thread recorder's accounting."""

from bouclier.rollout.inspection import Capture, Inspector
from bouclier.rollout.metrics import RouterMetrics
from bouclier.rollout.recorder import _RECENT_GENERATION, RecentRequests, SignalRecorder, SignalWriter
from bouclier.rollout.signals import Signal, open_signal_store


def test_recent_ids_are_bounded_and_the_latest_are_always_known():
    recent = RecentRequests()
    n = 3 * _RECENT_GENERATION + 7
    for i in range(n):
        recent.add(f"r{i}", "canary" if i % 2 else "stable")
    # every one of the latest generation's worth of requests is known, with its variant
    assert all(recent.get(f"r{i}") == ("canary" if i % 2 else "stable") for i in range(n - _RECENT_GENERATION, n))
    assert recent.get("r0") is None  # long gone from memory: /feedback asks the store
    assert len(recent) <= 2 * _RECENT_GENERATION


def test_thread_recorder_writes_everything_and_drops_beyond_its_queue(tmp_path):
    store = open_signal_store(str(tmp_path / "signals.sqlite"))
    writer = SignalWriter(store, Inspector(detectors=()), RouterMetrics().observe_here(), access_log_enabled=False)
    recorder = SignalRecorder(writer, queue_size=100)
    for i in range(150):  # not started: nothing is written, the queue fills
        recorder.submit(Capture(signal=Signal(request_id=f"r{i}", rollout_id="ro", ts=float(i), variant="stable")))
    assert (recorder.depth, recorder.dropped) == (100, 50)
    recorder.start()
    assert recorder.flush(10)
    recorder.stop()
    assert recorder.written == 100 and recorder.depth == 0
    assert store.count(rollout_id="ro") == 100
    store.close()
