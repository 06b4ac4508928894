"""Audit chain benchmark on SQLite: append rate and ``audit verify`` time.

    PYTHONPATH=src python benchmarks/audit_chain.py [--events 1000000] [--single 2000] [--batch 10000]

* single appends: each event in its own write transaction (BEGIN IMMEDIATE, commit,
  WAL), as the registry writes them: the rate a real workload sees;
* batch appends: ``append_many`` with ``--batch`` events per transaction, used only to
  build the 1,000,000-event chain in reasonable time (the hashing and linking are the same);
* verify: the full ``bouclier.audit.verify`` walk of the chain.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--single", type=int, default=2_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--key", default=None, help="HMAC key (default: plain SHA-256)")
    args = ap.parse_args()

    from bouclier.audit import verify
    from bouclier.audit.chain import append, append_many
    from bouclier.registry import open_registry

    with tempfile.TemporaryDirectory() as tmp:
        reg = open_registry(f"sqlite:///{Path(tmp) / 'bench.db'}")
        payload = {"version": "v1", "to": "production", "gate_run": "run-0001", "approvers": ["alice"]}

        t0 = time.perf_counter()
        for _ in range(args.single):
            with reg.writing() as s:
                append(s, kind="bench.single", actor="bench", model="clf", payload=payload, key=args.key)
        single_s = time.perf_counter() - t0

        remaining = args.events - args.single
        t0 = time.perf_counter()
        while remaining > 0:
            n = min(args.batch, remaining)
            with reg.writing() as s:
                append_many(s, [("bench.batch", "bench", "clf", payload)] * n, key=args.key)
            remaining -= n
        batch_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = verify(reg, key=args.key)
        verify_s = time.perf_counter() - t0
        assert report.ok and report.events == args.events, report
        size = os.path.getsize(Path(tmp) / "bench.db") + sum(
            os.path.getsize(p) for p in Path(tmp).glob("bench.db-*"))
        reg.close()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{'HMAC-SHA256' if args.key else 'SHA-256'}")
    print(f"single appends: {args.single} events in {single_s:.2f} s = "
          f"{args.single / single_s:,.0f} events/s ({1000 * single_s / args.single:.2f} ms/event)")
    n_batch = args.events - args.single
    print(f"batch appends ({args.batch}/transaction): {n_batch} events in {batch_s:.1f} s = "
          f"{n_batch / batch_s:,.0f} events/s")
    print(f"verify: {report.events} events in {verify_s:.1f} s = {report.events / verify_s:,.0f} events/s")
    print(f"database size: {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
