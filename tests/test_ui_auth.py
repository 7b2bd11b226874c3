"""Reviewer accounts (ui/auth.py): salted scrypt hashes, owner-only files, the last administrator, stamps."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from extractor._errors import ConfigError
from ui import auth


def test_passwords_are_stored_as_salted_scrypt_hashes(ui_env: Path) -> None:
    auth.add_user("李四", "correct horse")
    raw = (ui_env / "users.json").read_text(encoding="utf-8")
    assert "correct horse" not in raw
    entry = json.loads(raw)["users"]["李四"]
    assert entry["hash"].startswith("scrypt$16384$8$1$")
    assert stat.S_IMODE(os.stat(ui_env / "users.json").st_mode) == 0o600
    assert auth.authenticate("李四", "correct horse").name == "李四"
    assert auth.authenticate("李四", "wrong horse") is None
    assert auth.authenticate("王五", "correct horse") is None
    assert auth.hash_password("x" * 8) != auth.hash_password("x" * 8)  # salted


def test_the_users_file_is_never_readable_by_others_not_even_while_written(ui_env: Path, monkeypatch) -> None:
    seen: list[int] = []
    real_replace = Path.replace

    def watch(self: Path, target):  # the moment before the temporary file takes the users file's place
        seen.append(stat.S_IMODE(os.stat(self).st_mode))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", watch)
    old = os.umask(0o022)  # the usual umask: a plain write would make the file 0644
    try:
        auth.add_user("李四", "correct horse")
    finally:
        os.umask(old)
    assert seen == [0o600]


def test_an_unknown_name_costs_one_scrypt_like_a_wrong_password(ui_env: Path, monkeypatch) -> None:
    auth.add_user("李四", "correct horse")
    auth.authenticate("nobody", "x")  # the dummy hash is made once, before any measured attempt
    calls: list[int] = []
    real = hashlib.scrypt
    monkeypatch.setattr(auth.hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    auth.authenticate("李四", "wrong horse")
    wrong = len(calls)
    calls.clear()
    auth.authenticate("王五", "wrong horse")
    assert wrong == len(calls) == 1


def test_add_user_rejects_short_passwords_and_resets_an_existing_one(ui_env: Path) -> None:
    with pytest.raises(ConfigError, match="6"):
        auth.add_user("李四", "123")
    auth.add_user("李四", "first-pass")
    first = auth.load_users()["李四"]
    auth.add_user("李四", "second-pass", role="admin")
    assert auth.authenticate("李四", "first-pass") is None
    again = auth.authenticate("李四", "second-pass")
    assert again.role == "admin" and again.created_at == first.created_at
    assert auth.stamp(again) != auth.stamp(first)


def test_the_stamp_changes_with_password_role_and_sign_out_only(ui_env: Path) -> None:
    auth.add_user("管理员", "admin-pass-1", role="admin")
    auth.add_user("李四", "first-pass")
    before = auth.stamp(auth.load_users()["李四"])
    auth.add_user("王五", "other-pass")  # another account changing does not touch this one
    assert auth.stamp(auth.load_users()["李四"]) == before
    auth.end_sessions("李四")
    assert auth.stamp(auth.load_users()["李四"]) != before


def test_last_administrator_cannot_be_removed_or_demoted(ui_env: Path) -> None:
    auth.add_user("管理员", "admin-pass-1", role="admin")
    auth.add_user("李四", "reviewer-pass")
    auth.remove_user("李四")
    assert list(auth.load_users()) == ["管理员"]
    with pytest.raises(ConfigError, match="最后一个管理员"):
        auth.remove_user("管理员")
    with pytest.raises(ConfigError, match="最后一个管理员"):
        auth.add_user("管理员", "admin-pass-2", role="reviewer")
    with pytest.raises(ConfigError, match="没有这个账号"):
        auth.remove_user("nobody")


def test_the_users_file_is_read_again_when_another_process_changes_it(ui_env: Path) -> None:
    auth.add_user("李四", "first-pass")
    assert set(auth.load_users()) == {"李四"}
    body = json.loads((ui_env / "users.json").read_text(encoding="utf-8"))
    del body["users"]["李四"]
    (ui_env / "users.json").write_text(json.dumps(body), encoding="utf-8")  # as `xxgk ui --add-user` elsewhere
    assert auth.load_users() == {}
