"""Throughput (MiB/s) of ``bouclier scan`` vs detect-secrets on a >= 50 MiB tree, same run.

    PYTHONPATH=src python benchmarks/scan_throughput.py [--mib 50] [--ds-mib 2]

The tree is built from real code: the Python sources of the running interpreter's
site-packages and standard library, copied into files of ~32 KiB, with labelled
secrets from the benchmark corpus planted in 1 file out of 50. detect-secrets is about
three orders of magnitude slower, so it is timed on the first ``--ds-mib`` MiB of the tree
only (files in the same order) and its MiB/s is computed on that subset.

The run also prints what bouclier found on the real code (no secret planted there):
that is the noise check of its rules on a large tree of real code.
"""

from __future__ import annotations

import argparse
import random
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from secret_corpus import POSITIVES  # noqa: E402

from bouclier.scan import scan_paths  # noqa: E402

MiB = 1024 * 1024


def source_files() -> list[Path]:
    roots = {Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["stdlib"])}
    files: list[Path] = []
    for root in sorted(roots):
        files += sorted(p for p in root.rglob("*.py") if p.is_file())
    return files


def build_tree(dest: Path, *, mib: int, seed: int) -> tuple[list[Path], set[str]]:
    rng = random.Random(seed)
    gens = list(POSITIVES.values())
    written: list[Path] = []
    planted: set[str] = set()
    total = 0
    buf: list[str] = []
    size = 0
    n = 0
    for src in source_files():
        try:
            text = src.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        buf.append(text)
        size += len(text)
        if size < 32 * 1024:
            continue
        body = "".join(buf)
        if n % 50 == 0:
            body += "\n" + rng.choice(gens)(rng)
        path = dest / f"d{n // 200:03d}" / f"m{n:05d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        if n % 50 == 0:
            planted.add(str(path))
        written.append(path)
        total += len(body.encode())
        n += 1
        buf, size = [], 0
        if total >= mib * MiB:
            break
    return written, planted


def time_detect_secrets(files: list[Path], limit_bytes: int) -> tuple[float, int, int]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    chosen, nbytes = [], 0
    for p in files:
        if nbytes >= limit_bytes:
            break
        chosen.append(p)
        nbytes += p.stat().st_size
    coll = SecretsCollection()
    t = time.perf_counter()
    with default_settings():
        for p in chosen:
            coll.scan_file(str(p))
    return time.perf_counter() - t, nbytes, len(list(coll))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mib", type=int, default=50)
    ap.add_argument("--ds-mib", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        files, planted = build_tree(root, mib=args.mib, seed=args.seed)
        total = sum(p.stat().st_size for p in files)
        print(f"tree: {len(files)} files, {total / MiB:.1f} MiB of real Python sources, {len(planted)} planted secrets")
        scan_paths([root / files[0].relative_to(root)])  # engine initialised outside the timing
        t = time.perf_counter()
        report = scan_paths([root])
        bt = time.perf_counter() - t
        b_rate = report.bytes_scanned / MiB / bt
        print(f"bouclier:       {report.bytes_scanned / MiB:.1f} MiB in {bt:.2f} s = {b_rate:.1f} MiB/s "
              f"({len(report.findings)} findings, {len(report.skipped)} skipped)")
        found_planted = {f.location.path for f in report.findings if f.location and f.location.path in planted}
        noise = [f for f in report.findings if f.location and f.location.path not in planted]
        print(f"  planted files flagged: {len(found_planted)}/{len(planted)}; "
              f"findings in unplanted real code: {len(noise)} {dict(Counter(f.rule_id for f in noise).most_common(8))}")
        dt, dbytes, dn = time_detect_secrets(files, int(args.ds_mib * MiB))
        d_rate = dbytes / MiB / dt
        print(f"detect-secrets: {dbytes / MiB:.1f} MiB (subset) in {dt:.2f} s = {d_rate:.2f} MiB/s ({dn} findings)")
        print(f"ratio: {b_rate / d_rate:.0f}x")


if __name__ == "__main__":
    main()
