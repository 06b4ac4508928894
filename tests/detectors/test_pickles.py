"""Malicious-shaped pickles are built here with pickle.dumps and never loaded."""

import collections
import io
import os
import pickle
import subprocess
import zipfile

import numpy as np
import pytest

from bouclier.detectors.pickles import inspect_pickle, scan_artifact


class RunsShell:
    def __reduce__(self):
        return (os.system, ("echo harmless",))


class RunsEval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


class RunsSubprocess:
    def __reduce__(self):
        return (subprocess.check_output, (["true"],))


class Unknown:
    pass


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("payload,what", [(RunsShell(), ".system"), (RunsEval(), ".eval"),
                                          (RunsSubprocess(), ".check_output")])
def test_code_execution_is_critical_at_every_protocol(payload, what, protocol):
    findings = scan_artifact(pickle.dumps({"weights": [1.0], "x": payload}, protocol=protocol), path="m.pkl")
    assert [f.severity for f in findings] == ["critical"]
    assert what in findings[0].message


def test_safe_ml_content_passes():
    obj = {"w": np.arange(6.0).reshape(2, 3), "meta": collections.OrderedDict(a=1), "s": {1, 2}}
    for protocol in (2, 4, 5):
        assert scan_artifact(pickle.dumps(obj, protocol=protocol), path="model.pkl") == []


def test_unknown_import_is_high():
    findings = scan_artifact(pickle.dumps(Unknown(), protocol=4), path="m.pickle")
    assert [f.severity for f in findings] == ["high"]
    assert "Unknown" in findings[0].message


def _torch_like_zip(payload) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(payload, protocol=2))
        z.writestr("archive/data/0", b"\x00" * 64)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def test_pytorch_zip_is_inspected():
    assert scan_artifact(_torch_like_zip({"a": 1}), path="model.pt") == []
    findings = scan_artifact(_torch_like_zip(RunsShell()), path="pytorch_model.bin")
    assert findings and findings[0].severity == "critical" and "archive/data.pkl" in findings[0].message


def test_npy_and_npz():
    plain = io.BytesIO()
    np.save(plain, np.arange(4))
    assert scan_artifact(plain.getvalue(), path="a.npy") == []
    objects = io.BytesIO()
    np.save(objects, np.array([RunsShell()], dtype=object), allow_pickle=True)
    assert scan_artifact(objects.getvalue(), path="a.npy")[0].severity == "critical"
    npz = io.BytesIO()
    np.savez(npz, ok=np.arange(3), bad=np.array([RunsEval()], dtype=object))
    assert [f.severity for f in scan_artifact(npz.getvalue(), path="a.npz")] == ["critical"]


def test_compressed_joblib_style():
    import gzip

    data = gzip.compress(pickle.dumps(RunsShell(), protocol=4))
    assert scan_artifact(data, path="model.joblib")[0].severity == "critical"


@pytest.mark.parametrize("name", ["w.safetensors", "m.onnx", "m.gguf"])
def test_data_formats_are_recognised(name):
    assert scan_artifact(b"\x00\x01 not a pickle", path=name) == []


@pytest.mark.parametrize("cut", [1, 5, 20, -3])
def test_truncated_pickle_is_reported_not_raised(cut):
    data = pickle.dumps({"a": list(range(50)), "b": "text"}, protocol=4)[:cut]
    findings = scan_artifact(data, path="t.pkl")
    assert [f.rule_id for f in findings] == ["pickle.unreadable"]


def test_corrupted_inputs_never_raise():
    for data in (b"", b"\x80", b"\x80\x05\xff\xff", b"garbage", b"PK\x03\x04broken zip"):
        result = scan_artifact(data, path="x.pkl")
        assert isinstance(result, list)
    assert scan_artifact(b"PK\x03\x04broken zip", path="x.pt") is not None


def test_stack_global_through_memo_is_resolved():
    report = inspect_pickle(pickle.dumps([RunsShell(), RunsShell()], protocol=4))
    assert report.error is None and report.unresolved == 0
    assert {m for m, _ in report.imports} == {os.system.__module__}


def test_text_files_are_not_artifacts():
    assert scan_artifact(b"hello", path="README.md") is None
