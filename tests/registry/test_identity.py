"""``actor()``: BOUCLIER_ACTOR, else git user.name, else the OS user (no database involved)."""

from __future__ import annotations

import getpass
import subprocess

from bouclier.registry import actor


def test_actor_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a git repository
    gitconfig = tmp_path / "gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("BOUCLIER_ACTOR", "ci-bot")
    assert actor() == "ci-bot"
    monkeypatch.delenv("BOUCLIER_ACTOR")
    gitconfig.write_text("")
    assert actor() == getpass.getuser()
    subprocess.run(["git", "config", "--global", "user.name", "Ada Lovelace"], check=True)
    assert actor() == "Ada Lovelace"
