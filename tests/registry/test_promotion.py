"""The promotion policy: gate evidence, overrides, approvals, stages, release notes."""

from __future__ import annotations

import datetime as dt

import pytest
from registry_backends import count, result

from bouclier.errors import DataError, UsageError
from bouclier.registry import PromotionRefused, RegistryError, UnknownVersion


def _written(reg) -> tuple[int, ...]:
    return tuple(count(reg, t) for t in ("audit_event", "promotion", "override", "alias_history",
                                         "approval", "gate_run"))


@pytest.fixture
def live(registry):
    """clf@v1 in production, clf@v2 registered."""
    registry.register_model_version("clf", "v1")
    first = registry.promote("clf", "v1")
    assert first.gate_run is None and "first production version" in first.evidence
    registry.register_model_version("clf", "v2")
    return registry


def test_refused_without_gate_run_and_nothing_written(live):
    before = _written(live)
    with pytest.raises(PromotionRefused) as e:
        live.promote("clf", "v2", config_digest="cfg1")
    msg = str(e.value)
    assert "no recorded gate run of clf@v2 against production clf@v1" in msg
    assert "bouclier check --baseline production --record" in msg and "--override --reason" in msg
    assert e.value.exit_code == 1
    assert _written(live) == before
    assert live.resolve("clf", "production").label == "v1"


def test_refused_on_fail_inconclusive_or_other_config(live):
    live.record_gate_run(result=result("r-fail", "FAIL"), baseline=("clf", "production"), candidate=("clf", "v2"))
    with pytest.raises(PromotionRefused, match=r"is FAIL \(run r-fail\)"):
        live.promote("clf", "v2", config_digest="cfg1")
    live.record_gate_run(result=result("r-pass-old", "PASS", config_digest="cfg0"),
                         baseline=("clf", "v1"), candidate=("clf", "v2"))
    with pytest.raises(PromotionRefused, match=r"only on config cfg0 .* not on the current config cfg-new"):
        live.promote("clf", "v2", config_digest="cfg-new")
    with pytest.raises(PromotionRefused, match="no config digest given"):
        live.promote("clf", "v2")
    live.record_gate_run(result=result("r-inc", "INCONCLUSIVE"), baseline=("clf", "v1"), candidate=("clf", "v2"))
    with pytest.raises(PromotionRefused, match="is INCONCLUSIVE"):
        live.promote("clf", "v2", config_digest="cfg1")


def test_pass_against_production_on_current_config_promotes(live):
    # a PASS against another version is not evidence against production
    live.register_model_version("clf", "v0")
    live.record_gate_run(result=result("r-other"), baseline=("clf", "v0"), candidate=("clf", "v2"))
    with pytest.raises(PromotionRefused):
        live.promote("clf", "v2", config_digest="cfg1")
    live.record_gate_run(result=result("r1"), baseline=("clf", "production"), candidate=("clf", "v2"),
                         dataset_digests={"cases.jsonl": "ab" * 32})
    p = live.promote("clf", "v2", config_digest="cfg1", actor="dana")
    assert p.gate_run.run_id == "r1" and p.gate_run.baseline == "clf@v1" and p.replaced == "clf@v1"
    assert p.actor == "dana" and p.override_reason is None
    assert live.resolve("clf", "production").label == "v2"
    assert live.get_version("clf", "v1").stage == "deprecated"
    assert live.get_version("clf", "v2").stage == "production"
    hist = live.alias_history("clf", "production")
    assert [(h.old_target, h.new_target) for h in hist] == [(None, "v1"), ("v1", "v2")]
    with pytest.raises(RegistryError, match="already the production version"):
        live.promote("clf", "v2", config_digest="cfg1")


def test_override_needs_reason_and_records_actor(live):
    before = _written(live)
    for reason in (None, "", "   "):
        with pytest.raises(UsageError, match="--override needs --reason"):
            live.promote("clf", "v2", override=True, reason=reason)
    assert _written(live) == before
    p = live.promote("clf", "v2", override=True, reason="hotfix for incident 42", actor="erin",
                     config_digest="cfg1")
    assert p.override_reason == "hotfix for incident 42" and p.actor == "erin"
    assert "no recorded gate run" in p.override_refused_because
    assert "OVERRIDE by erin" in p.evidence
    with live.engine.connect() as conn:
        kinds = [k for (k,) in conn.exec_driver_sql("SELECT kind FROM audit_event ORDER BY seq DESC LIMIT 3")]
    assert kinds == ["alias.set", "version.promoted", "override.recorded"]


def test_required_approvals_counts_distinct_approvers(live):
    live.record_gate_run(result=result("r1"), baseline=("clf", "v1"), candidate=("clf", "v2"))
    with pytest.raises(PromotionRefused, match=r"requires 2 distinct approver\(s\), it has 0"):
        live.promote("clf", "v2", config_digest="cfg1", required_approvals=2)
    assert live.approve("clf", "v2", actor="alice") == ["alice"]
    with pytest.raises(RegistryError, match="alice has already approved"):
        live.approve("clf", "v2", actor="alice")
    with pytest.raises(PromotionRefused, match=r"it has 1 \(alice\)"):
        live.promote("clf", "v2", config_digest="cfg1", required_approvals=2)
    # an override does not replace approvals
    with pytest.raises(PromotionRefused, match="approver"):
        live.promote("clf", "v2", override=True, reason="urgent", required_approvals=2)
    live.approve("clf", "v2", actor="bob", comment="looks good")
    p = live.promote("clf", "v2", config_digest="cfg1", required_approvals=2)
    assert p.approvers == ["alice", "bob"]


def test_canary_then_production(live):
    live.promote("clf", "v2", to="canary")
    assert live.resolve("clf", "canary").label == "v2" and live.get_version("clf", "v2").stage == "canary"
    with pytest.raises(UsageError, match="--to 'staging'"):
        live.promote("clf", "v2", to="staging")
    live.record_gate_run(result=result("r1"), baseline=("clf", "production"), candidate=("clf", "canary"))
    live.promote("clf", "v2", config_digest="cfg1")
    assert live.show("clf").production.label == "v2"


def test_unknown_version_is_refused(live):
    before = _written(live)
    with pytest.raises(UnknownVersion, match="no version or alias named 'v9'"):
        live.promote("clf", "v9", override=True, reason="x")
    with pytest.raises(UnknownVersion):
        live.approve("clf", "v9")
    with pytest.raises(UnknownVersion):
        live.deprecate("clf", "v9")
    with pytest.raises(UnknownVersion):
        live.retire("clf", "v9")
    assert _written(live) == before


def test_deprecate_and_retire(live):
    when = dt.date(2030, 1, 31)
    with pytest.raises(RegistryError, match="is the production version"):
        live.deprecate("clf", "v1")
    live.deprecate("clf", "v2", retire_after=when)
    v2 = live.get_version("clf", "v2")
    assert v2.stage == "deprecated" and v2.retire_after == when
    live.set_alias("clf", "shadow", "v2")
    live.retire("clf", "v2")
    assert live.get_version("clf", "v2").stage == "retired"
    assert "shadow" not in [a.name for a in live.aliases("clf")]
    assert live.alias_history("clf", "shadow")[-1].new_target is None
    with pytest.raises(RegistryError, match="retired and cannot be promoted"):
        live.promote("clf", "v2", override=True, reason="x")
    with pytest.raises(RegistryError, match="retired; an alias cannot point"):
        live.set_alias("clf", "shadow", "v2")
    with pytest.raises(RegistryError, match="already retired"):
        live.retire("clf", "v2")
    with pytest.raises(RegistryError, match="production version"):
        live.retire("clf", "v1")


def test_gate_run_bad_input(live):
    before = _written(live)
    with pytest.raises(DataError, match="missing key"):
        live.record_gate_run(result={"verdict": "PASS"}, baseline=None, candidate=("clf", "v2"))
    with pytest.raises(DataError, match="verdict: expected one of PASS, FAIL, INCONCLUSIVE, found 'OK'"):
        live.record_gate_run(result=result("r", "OK"), baseline=None, candidate=("clf", "v2"))
    with pytest.raises(DataError, match="expected the JSON object"):
        live.record_gate_run(result=["PASS"], baseline=None, candidate=("clf", "v2"))
    with pytest.raises(UnknownVersion):
        live.record_gate_run(result=result("r"), baseline=("clf", "v1"), candidate=("clf", "v9"))
    assert _written(live) == before
    assert live.record_gate_run(result=result("r"), baseline=None, candidate=("clf", "v2")) == "r"
    with pytest.raises(RegistryError, match="'r' is already recorded"):
        live.record_gate_run(result=result("r"), baseline=None, candidate=("clf", "v2"))
    runs = live.gate_runs("clf", "v2")
    assert [(r.run_id, r.baseline, r.candidate) for r in runs] == [("r", None, "clf@v2")]
    assert runs[0].result["criteria"][0]["name"] == "quality/accuracy"


def test_show_and_release_note(live):
    live.record_gate_run(result=result("r1"), baseline=("clf", "v1"), candidate=("clf", "v2"))
    live.approve("clf", "v2", actor="alice")
    live.promote("clf", "v2", config_digest="cfg1")
    live.register_model_version("clf", "v3")
    live.record_gate_run(result=result("r2", "FAIL"), baseline=("clf", "v2"), candidate=("clf", "v3"))
    live.register_model_version("clf", "v4")
    o = live.show("clf")
    assert o.production.label == "v2" and o.evidence.gate_run.run_id == "r1"
    assert o.production_since == o.evidence.at
    assert [(c.version.label, c.last_run.verdict if c.last_run else None) for c in o.candidates] == [
        ("v4", None), ("v3", "FAIL")]
    assert [v.label for v in o.deprecated] == ["v1"]
    note = live.release_note("clf", "v2")
    assert note.startswith("# clf v2\n")
    for text in ("**production**", "replacing clf@v1", "gate PASS (run r1 vs clf@v1",
                 "alice for production", "quality/accuracy: PASS"):
        assert text in note, text
