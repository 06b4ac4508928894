"""Model artifacts that run code when loaded: static inspection of pickle-based files.

Nothing is ever unpickled. The opcodes are walked with :mod:`pickletools`; every import
the pickle would perform (``GLOBAL``, ``STACK_GLOBAL``, ``INST``) is checked against an
allowlist of imports that ML libraries need and that cannot run code by themselves.
Anything else is a finding: ``critical`` for imports known to run commands or code
(``os.system``, ``subprocess``, ``builtins.eval``...), ``high`` for any other import not
on the allowlist or one that cannot be resolved statically.

Containers: plain pickles (``.pkl``, ``.pickle``, ``.joblib``, legacy ``torch.save``),
PyTorch zip archives (``data.pkl`` inside), NumPy ``.npy`` with an object dtype and
``.npz`` archives. gzip/bz2/xz/zlib-compressed pickles (joblib) are decompressed first.
safetensors, ONNX and GGUF are recognised as data formats and not flagged.

This is one scanner and it can be bypassed (see docs/scanning.md): a clean result means
"no import outside the allowlist was found", not "safe to load".
"""

from __future__ import annotations

import ast
import bz2
import gzip
import hashlib
import io
import lzma
import pickletools
import struct
import zipfile
import zlib
from dataclasses import dataclass

from bouclier.detectors.base import Finding, Location

DETECTOR = "pickle"

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt", ".npy", ".npz", ".dat", ".model")
DATA_FORMATS = {".safetensors": "safetensors", ".onnx": "ONNX", ".gguf": "GGUF"}
MAX_MEMBER_BYTES = 512 * 1024 * 1024

SAFE_GLOBALS: dict[str, frozenset[str] | None] = {
    # module -> allowed names (None: every name of the module)
    "collections": frozenset({"OrderedDict", "defaultdict", "Counter", "deque"}),
    "builtins": frozenset({"set", "frozenset", "dict", "list", "tuple", "int", "float", "complex",
                           "bool", "str", "bytes", "bytearray", "slice", "range", "object"}),
    "__builtin__": frozenset({"set", "frozenset", "dict", "list", "tuple", "int", "float", "complex",
                              "bool", "str", "slice", "object"}),
    "_codecs": frozenset({"encode"}),  # bytes in protocols 0-2
    "copy_reg": frozenset({"_reconstructor"}),
    "copyreg": frozenset({"_reconstructor"}),
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "decimal": frozenset({"Decimal"}),
    "fractions": frozenset({"Fraction"}),
    "uuid": frozenset({"UUID"}),
    "numpy": frozenset({"dtype", "ndarray", "float64", "float32", "int64", "int32", "bool_"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "numpy.random": frozenset({"__RandomState_ctor"}),
    "numpy.random._pickle": frozenset({"__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor"}),
    "numpy.random.mtrand": frozenset({"RandomState"}),
    "torch._utils": frozenset({"_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter",
                               "_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage",
                               "_rebuild_parameter_with_state", "_rebuild_device_tensor_from_numpy"}),
    "torch": frozenset({"FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage",
                        "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
                        "Size", "float32", "float16", "bfloat16", "float64", "int64", "int32",
                        "int8", "uint8", "bool", "device", "dtype"}),
    "torch.storage": frozenset({"_load_from_bytes"}),
    "torch.nn.parameter": frozenset({"Parameter"}),
    "joblib.numpy_pickle": frozenset({"NumpyArrayWrapper"}),
    "sklearn.utils._bunch": frozenset({"Bunch"}),
}
SAFE_MODULE_PREFIXES = ("sklearn.", "scipy.sparse.", "pandas.core.", "xgboost.", "lightgbm.", "catboost.")
"""Estimator and container classes; their reconstruction does not execute arbitrary
code, but the modules also hold helpers, so names starting with ``_`` stay flagged."""

DANGEROUS: dict[str, frozenset[str] | None] = {
    "os": None, "posix": None, "nt": None, "subprocess": None, "sys": None, "socket": None,
    "shutil": None, "pty": None, "runpy": None, "importlib": None, "ctypes": None, "code": None,
    "commands": None, "webbrowser": None, "marshal": None, "pickle": None, "_pickle": None,
    "dill": None, "cloudpickle": None, "requests": None, "urllib": None, "urllib.request": None,
    "http.client": None, "httplib": None, "multiprocessing": None, "asyncio": None, "pip": None,
    "types": frozenset({"CodeType", "FunctionType"}),
    "builtins": frozenset({"eval", "exec", "compile", "open", "__import__", "getattr", "setattr",
                           "delattr", "globals", "locals", "vars", "input", "breakpoint", "apply"}),
    "__builtin__": frozenset({"eval", "exec", "compile", "open", "__import__", "getattr", "execfile",
                              "file", "apply"}),
    "operator": frozenset({"attrgetter", "methodcaller", "itemgetter"}),
    "functools": frozenset({"partial", "reduce"}),
    "torch": frozenset({"load"}),
    "numpy": frozenset({"load", "fromfile"}),
}


def _classify(module: str, name: str) -> str | None:
    """None when allowed, else the severity."""
    top = module.split(".")[0]
    for mod in (module, top):
        if mod in DANGEROUS:
            names = DANGEROUS[mod]
            if names is None or name in names:
                return "critical"
    allowed = SAFE_GLOBALS.get(module)
    if allowed is not None and name in allowed:
        return None
    if module.startswith(SAFE_MODULE_PREFIXES) and not name.startswith("_") and name[:1].isupper():
        return None
    return "high"


@dataclass(frozen=True)
class PickleReport:
    """What one pickle stream imports, and whether it could be read to the end."""

    imports: tuple[tuple[str, str], ...]
    unresolved: int
    error: str | None
    end: int


def inspect_pickle(data: bytes, *, start: int = 0) -> PickleReport:
    """The imports of the pickle starting at ``start`` of ``data``; never loads it."""
    imports: list[tuple[str, str]] = []
    strings: list[str | None] = []  # a shadow of the stack's string items
    memo: dict[int, str | None] = {}
    unresolved = 0
    stream = io.BytesIO(data)
    stream.seek(start)
    end = start
    try:
        for op, arg, pos in pickletools.genops(stream):
            name = op.name
            end = stream.tell()
            if name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8", "STRING",
                        "BINSTRING", "SHORT_BINSTRING"):
                strings.append(str(arg))
            elif name in ("MEMOIZE",):
                memo[len(memo)] = strings[-1] if strings else None
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = strings[-1] if strings else None
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                strings.append(memo.get(int(arg)))
            elif name in ("GLOBAL", "INST"):
                module, _, attr = str(arg).partition(" ")
                imports.append((module, attr))
                strings.append(None)
            elif name == "STACK_GLOBAL":
                if len(strings) >= 2 and strings[-1] is not None and strings[-2] is not None:
                    imports.append((strings[-2], strings[-1]))  # type: ignore[arg-type]
                else:
                    unresolved += 1
                strings.append(None)
            elif name == "STOP":
                return PickleReport(tuple(imports), unresolved, None, end)
            else:
                strings.append(None)
            if len(strings) > 64:
                del strings[:32]
    except Exception as exc:  # pickletools raises ValueError and friends on bad input
        return PickleReport(tuple(imports), unresolved, f"{type(exc).__name__}: {exc}", end)
    return PickleReport(tuple(imports), unresolved, "truncated: no STOP opcode", end)


def _decompress(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    if data[:2] in (b"x\x01", b"x\x5e", b"x\x9c", b"x\xda"):
        return zlib.decompress(data)
    if data[:2] == b"ZF":  # joblib < 0.10 zlib container: "ZF" + length
        return zlib.decompress(data[2 + 16 :] if data[2:3] == b"0" else data[18:])
    return data


def _findings_of_stream(data: bytes, where: str, path: str | None, *, many: bool = False) -> list[Finding]:
    findings: list[Finding] = []
    pos = 0
    count = 0
    while True:
        report = inspect_pickle(data, start=pos)
        for module, name in dict.fromkeys(report.imports):
            severity = _classify(module, name)
            if severity is not None:
                findings.append(_finding(
                    f"pickle.{'dangerous' if severity == 'critical' else 'unknown'}-import",
                    severity,
                    f"{where}imports {module}.{name}"
                    + (" which can run commands or code when loaded" if severity == "critical"
                       else ", which is not on the allowlist of safe ML imports"),
                    f"{module}.{name}",
                    path,
                ))
        if report.unresolved:
            findings.append(_finding(
                "pickle.unresolved-import", "high",
                f"{where}{report.unresolved} import(s) whose module or name is computed at load time",
                f"unresolved:{report.unresolved}:{hashlib.sha256(data).hexdigest()}", path,
            ))
        if report.error is not None:
            if count == 0 or not many:
                findings.append(_finding(
                    "pickle.unreadable", "medium",
                    f"{where}pickle cannot be parsed past byte {report.end} ({report.error}); "
                    "the rest was not inspected",
                    f"unreadable:{hashlib.sha256(data).hexdigest()}", path,
                ))
            break
        count += 1
        pos = report.end
        if not many or pos >= len(data) or data[pos : pos + 1] != b"\x80":
            break
    return findings


def _finding(rule_id: str, severity: str, message: str, value: str, path: str | None) -> Finding:
    f = Finding.of_value(
        detector=DETECTOR, rule_id=rule_id, severity=severity,  # type: ignore[arg-type]
        message=message, value=value, location=Location(path=path) if path else None,
        entity="ARTIFACT",
    )
    # an import name is not a secret: show it in full
    return Finding(f.detector, f.rule_id, f.severity, f.message, value if ":" not in value else f.redacted,
                   f.fingerprint, f.location, f.entity)


def _npy(data: bytes, where: str, path: str | None) -> list[Finding]:
    if data[:6] != b"\x93NUMPY":
        return [_finding("pickle.unreadable", "medium", f"{where}not a valid .npy file (bad magic)",
                         f"npy:{hashlib.sha256(data).hexdigest()}", path)]
    try:
        major = data[6]
        if major == 1:
            (hlen,) = struct.unpack("<H", data[8:10])
            hstart = 10
        else:
            (hlen,) = struct.unpack("<I", data[8:12])
            hstart = 12
        header = ast.literal_eval(data[hstart : hstart + hlen].decode("latin1"))
        descr = header["descr"]
    except Exception as exc:
        return [_finding("pickle.unreadable", "medium", f"{where}unreadable .npy header ({type(exc).__name__})",
                         f"npy:{hashlib.sha256(data).hexdigest()}", path)]
    if "O" not in str(descr):
        return []
    return _findings_of_stream(data[hstart + hlen :], f"{where}object array: ", path)


def scan_artifact(data: bytes, *, path: str = "") -> list[Finding] | None:
    """Findings for a model artifact's bytes, or ``None`` when ``path``/``data`` is not a
    pickle-based artifact. Data formats (safetensors, ONNX, GGUF) give ``[]``."""
    lower = path.lower()
    for suffix in DATA_FORMATS:
        if lower.endswith(suffix):
            return []
    if data[:4] == b"GGUF":
        return []
    loc = path or None
    if zipfile.is_zipfile(io.BytesIO(data)):
        if not lower.endswith(PICKLE_SUFFIXES) and not lower.endswith((".zip", ".tar", ".keras")):
            return None
        return _zip(data, loc)
    if lower.endswith(".npy") or data[:6] == b"\x93NUMPY":
        return _npy(data, "", loc)
    if not lower.endswith(PICKLE_SUFFIXES):
        return None
    try:
        raw = _decompress(data)
    except Exception as exc:
        return [_finding("pickle.unreadable", "medium", f"compressed artifact cannot be decompressed ({type(exc).__name__})",
                         f"decompress:{hashlib.sha256(data).hexdigest()}", loc)]
    if not raw[:1] == b"\x80" and lower.endswith((".bin", ".dat", ".model")):
        return None  # a .bin/.dat/.model that is not a pickle: some other binary format
    return _findings_of_stream(raw, "", loc, many=True)


def _zip(data: bytes, path: str | None) -> list[Finding]:
    findings: list[Finding] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                name = info.filename
                is_pickle = name.endswith((".pkl", ".pickle")) or name.rsplit("/", 1)[-1] == "data.pkl"
                is_npy = name.endswith(".npy")
                if not (is_pickle or is_npy):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    findings.append(_finding("pickle.unreadable", "medium",
                                             f"{name}: member larger than {MAX_MEMBER_BYTES} bytes, not inspected",
                                             f"big:{name}:{info.CRC}", path))
                    continue
                member = zf.read(info)
                if is_npy:
                    findings.extend(_npy(member, f"{name}: ", path))
                else:
                    findings.extend(_findings_of_stream(member, f"{name}: ", path))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        findings.append(_finding("pickle.unreadable", "medium", f"corrupted zip archive ({type(exc).__name__}: {exc})",
                                 f"zip:{hashlib.sha256(data).hexdigest()}", path))
    return findings
