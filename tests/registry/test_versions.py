"""Versions and aliases: registration, provenance, resolution, alias history and loops."""

from __future__ import annotations

import hashlib

import pytest
from registry_backends import count

from bouclier.errors import UsageError
from bouclier.registry import (
    AliasLoop,
    RegistryError,
    UnknownModel,
    UnknownVersion,
    artifact_digests,
)


def test_register_stores_provenance_without_secrets(registry, tmp_path):
    weights = tmp_path / "model.onnx"
    weights.write_bytes(b"\x00weights\x01")
    digests = artifact_digests([weights])
    v = registry.register_model_version(
        "clf", "v1",
        adapter_spec={"adapter": "openai", "base_url": "https://bot:hunter2@api.example/v1",
                      "api_key": "sk-live-abcdef", "api_key_env": "OPENAI_API_KEY",
                      "headers": {"Authorization": "Bearer xyz", "X-Team": "nlp"}},
        artifacts=digests, git_commit="a" * 40, metadata={"dataset": "sib-200"},
    )
    assert v.stage == "candidate" and v.created_by == "tester"
    got = registry.get_version("clf", "v1")
    assert got.artifacts == {weights.as_posix(): hashlib.sha256(b"\x00weights\x01").hexdigest()}
    spec = got.adapter_spec
    assert spec["api_key"] == "[redacted]" and spec["api_key_env"] == "OPENAI_API_KEY"
    assert spec["headers"] == {"Authorization": "[redacted]", "X-Team": "nlp"}
    assert "hunter2" not in spec["base_url"] and spec["base_url"].startswith("https://bot:***@")
    assert got.git_commit == "a" * 40 and got.metadata == {"dataset": "sib-200"}
    # nothing secret reached the audit trail either
    with registry.engine.connect() as conn:
        payloads = " ".join(r[0] for r in conn.exec_driver_sql("SELECT payload FROM audit_event"))
    assert "sk-live" not in payloads and "hunter2" not in payloads and "Bearer" not in payloads


def test_artifact_directory_and_missing_file(tmp_path):
    d = tmp_path / "ckpt"
    (d / "sub").mkdir(parents=True)
    (d / "a.bin").write_bytes(b"a")
    (d / "sub" / "b.bin").write_bytes(b"b")
    assert sorted(artifact_digests([d])) == [(d / "a.bin").as_posix(), (d / "sub" / "b.bin").as_posix()]
    with pytest.raises(UsageError) as e:
        artifact_digests([tmp_path / "nope.bin"])
    assert "nope.bin: artifact not found" in str(e.value)


def test_duplicate_and_invalid_labels_write_nothing(registry):
    registry.register_model_version("clf", "v1")
    before = count(registry, "audit_event")
    with pytest.raises(RegistryError, match="already registered"):
        registry.register_model_version("clf", "v1")
    for bad in ("", "v 1", "v@1", "-v1"):
        with pytest.raises(RegistryError, match="expected 1-200 characters"):
            registry.register_model_version("clf", bad)
    with pytest.raises(RegistryError, match="sha256"):
        registry.register_model_version("clf", "v2", artifacts={"w.bin": "not-a-digest"})
    assert count(registry, "audit_event") == before
    assert count(registry, "model_version") == 1


def test_resolve_alias_or_version_and_history(registry):
    for label in ("v1", "v2"):
        registry.register_model_version("clf", label)
    registry.set_alias("clf", "staging", "v1", reason="first")
    registry.set_alias("clf", "qa", "alias:staging")
    assert registry.resolve("clf", "qa").label == "v1"
    registry.set_alias("clf", "staging", "v2", actor="carol")
    assert registry.resolve("clf", "qa").label == "v2"
    assert registry.resolve("clf", "v1").label == "v1"
    hist = registry.alias_history("clf", "staging")
    assert [(h.old_target, h.new_target, h.actor) for h in hist] == [(None, "v1", "tester"), ("v1", "v2", "carol")]
    assert hist[0].reason == "first"


def test_alias_loop_is_refused_and_nothing_written(registry):
    registry.register_model_version("clf", "v1")
    registry.set_alias("clf", "a", "v1")
    registry.set_alias("clf", "b", "alias:a")
    registry.set_alias("clf", "c", "alias:b")
    before = (count(registry, "audit_event"), count(registry, "alias_history"))
    with pytest.raises(AliasLoop, match=r"alias loop a -> c -> b -> a"):
        registry.set_alias("clf", "a", "alias:c")
    with pytest.raises(AliasLoop, match="alias loop"):
        registry.set_alias("clf", "a", "alias:a")
    assert (count(registry, "audit_event"), count(registry, "alias_history")) == before
    assert registry.resolve("clf", "c").label == "v1"


def test_alias_loop_in_database_is_detected_on_resolve(registry):
    registry.register_model_version("clf", "v1")
    registry.set_alias("clf", "a", "v1")
    registry.set_alias("clf", "b", "alias:a")
    with registry.engine.begin() as conn:  # a loop written behind the registry's back
        conn.exec_driver_sql("UPDATE alias SET version_id = NULL, target_alias = 'b' WHERE name = 'a'")
    with pytest.raises(AliasLoop, match="alias loop"):
        registry.resolve("clf", "b")


def test_unknown_names(registry):
    with pytest.raises(UnknownModel, match="has no models yet"):
        registry.resolve("nope", "v1")
    registry.register_model_version("clf", "v1")
    with pytest.raises(UnknownVersion, match=r"no version or alias named 'v9' \(recent: v1\)"):
        registry.resolve("clf", "v9")
    with pytest.raises(UnknownVersion):
        registry.set_alias("clf", "prod", "v9")
    with pytest.raises(UnknownVersion):
        registry.set_alias("clf", "prod", "alias:ghost")
    with pytest.raises(RegistryError, match="is a version label"):
        registry.set_alias("clf", "v1", "v1")


def test_list_models(registry):
    registry.register_model_version("b-model", "1")
    registry.register_model_version("a-model", "1")
    registry.register_model_version("a-model", "2")
    registry.promote("a-model", "1")
    rows = registry.list_models()
    assert [(m.model, m.versions, m.production, m.latest) for m in rows] == [
        ("a-model", 2, "1", "2"), ("b-model", 1, None, "1")]
    assert rows[0].production_since is not None
