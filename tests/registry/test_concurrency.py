"""8 processes x 50 registrations and promotions at once: no lost or duplicated rows, and
the audit chain still verifies (writes are serialised: BEGIN IMMEDIATE / advisory lock)."""

from __future__ import annotations

import multiprocessing as mp

from registry_backends import count, result

from bouclier.audit import verify

PROCESSES = 8
PER_PROCESS = 50


def _worker(url: str, worker: int, n: int) -> list[str]:
    from bouclier.registry import open_registry

    labels = []
    with open_registry(url) as reg:
        for j in range(n):
            label = f"p{worker}-{j}"
            reg.register_model_version("shared", label, actor=f"w{worker}")
            labels.append(label)
            if j % 10 == 0:  # some with gate evidence (may be refused if production moved)
                reg.record_gate_run(result=result(label), baseline=("shared", "production") if j else None,
                                    candidate=("shared", label), actor=f"w{worker}")
            # production moves under every writer's feet, so promotions here are overrides
            reg.promote("shared", label, override=True, reason=f"load test {worker}",
                        config_digest="cfg1", actor=f"w{worker}")
    return labels


def test_concurrent_writers_never_lose_rows_or_fork_the_chain(registry, db_url):
    registry.close()  # each process opens its own
    ctx = mp.get_context("fork")
    with ctx.Pool(PROCESSES) as pool:
        outs = pool.starmap(_worker, [(db_url, w, PER_PROCESS) for w in range(PROCESSES)])
    labels = [label for ls in outs for label in ls]
    total = PROCESSES * PER_PROCESS
    assert len(set(labels)) == total
    versions = registry.list_versions("shared")
    assert sorted(v.label for v in versions) == sorted(labels)
    assert count(registry, "model") == 1
    assert count(registry, "promotion") == total
    gate_runs = count(registry, "gate_run")
    assert len(registry.alias_history("shared", "production")) == total
    assert sum(v.stage == "production" for v in versions) == 1
    assert sum(v.stage == "deprecated" for v in versions) == total - 1
    overrides = count(registry, "override")
    assert gate_runs == PROCESSES * len(range(0, PER_PROCESS, 10))
    assert total - gate_runs <= overrides <= total
    # 1 model.created + per version: registered, promoted, alias.set; + gate runs, overrides
    events = count(registry, "audit_event")
    assert events == 1 + 3 * total + gate_runs + overrides
    with registry.engine.connect() as conn:
        seqs = [s for (s,) in conn.exec_driver_sql("SELECT seq FROM audit_event ORDER BY seq")]
    assert seqs == list(range(1, events + 1))
    report = verify(registry)
    assert report.ok, report.broken
    assert report.events == events


def _open_and_register(url: str, worker: int) -> str:
    from bouclier.registry import open_registry

    with open_registry(url) as reg:
        return reg.register_model_version("m", f"v{worker}").label


def test_processes_creating_the_database_at_once_migrate_it_once(db_url):
    ctx = mp.get_context("fork")
    with ctx.Pool(4) as pool:
        labels = pool.starmap(_open_and_register, [(db_url, w) for w in range(4)])
    from bouclier.registry import open_registry

    with open_registry(db_url) as reg:
        assert sorted(v.label for v in reg.list_versions("m")) == sorted(labels)
        assert reg.schema().up_to_date and verify(reg).events == 5
