"""The recorder's bounded memory of recent request ids (what /feedback reads before asking
the store)."""

from bouclier.rollout.inspection import Capture, Inspector
from bouclier.rollout.metrics import RouterMetrics
from bouclier.rollout.recorder import _RECENT_GENERATION, SignalRecorder
from bouclier.rollout.signals import Signal, open_signal_store


def test_recent_ids_are_bounded_and_the_latest_are_always_known(tmp_path):
    store = open_signal_store(str(tmp_path / "signals.sqlite"))
    recorder = SignalRecorder(store, Inspector(detectors=()), RouterMetrics(), queue_size=10**6)
    n = 3 * _RECENT_GENERATION + 7
    for i in range(n):
        recorder.submit(Capture(signal=Signal(request_id=f"r{i}", rollout_id="ro", ts=0.0,
                                              variant="canary" if i % 2 else "stable")))
        recorder.submit(Capture(signal=Signal(request_id=f"m{i}", rollout_id="ro", ts=0.0, variant="canary",
                                              kind="shadow")))
    # every one of the latest generation's worth of requests is known, with its variant
    assert all(recorder.recent_variant(f"r{i}") == ("canary" if i % 2 else "stable")
               for i in range(n - _RECENT_GENERATION, n))
    assert recorder.recent_variant("r0") is None  # long gone from memory: /feedback asks the store
    assert recorder.recent_variant(f"m{n - 1}") is None  # a mirrored call answers no client
    assert len(recorder._recent) + len(recorder._recent_old) <= 2 * _RECENT_GENERATION
    store.close()
