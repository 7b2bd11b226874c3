"""Signed, expiring sessions (ui/sessions.py): what a token proves, and everything that ends it."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from extractor import settings
from ui import auth, sessions


def _user(name: str = "李四", role: str = "reviewer") -> auth.User:
    return auth.add_user(name, "secret-pass", role=role)


def test_a_token_names_its_account_until_it_expires(ui_env: Path, monkeypatch) -> None:
    user = _user()
    token = sessions.issue(user)
    assert sessions.verify(token).name == "李四"
    monkeypatch.setenv("XXGK_UI_SESSION_HOURS", "1")
    settings.use(None)  # as a server started again with the new setting
    short = sessions.issue(user, now=time.time() - 3601)
    assert sessions.verify(short) is None
    assert sessions.verify(sessions.issue(user, now=time.time() - 3500)) is not None


def test_a_forged_or_tampered_token_is_refused(ui_env: Path) -> None:
    user = _user()
    body, sig = sessions.issue(user).split(".")
    assert sessions.verify(f"{body}.{sig[:-2]}AA") is None
    other = sessions._b64(sessions._unb64(body).replace("李四".encode(), "王五".encode()))
    assert sessions.verify(f"{other}.{sig}") is None
    assert sessions.verify("") is None and sessions.verify("x.y.z") is None and sessions.verify(None) is None


def test_reset_demotion_deletion_and_sign_out_end_a_session_at_once(ui_env: Path) -> None:
    auth.add_user("管理员", "admin-pass-1", role="admin")
    user = _user(role="admin")
    token = sessions.issue(user)
    auth.add_user("李四", "secret-pass", role="reviewer")  # demoted (same password)
    assert sessions.verify(token) is None
    token = sessions.issue(auth.load_users()["李四"])
    auth.add_user("李四", "new-secret-pass")  # password reset
    assert sessions.verify(token) is None
    token = sessions.issue(auth.load_users()["李四"])
    auth.end_sessions("李四")  # 退出登录 on any device
    assert sessions.verify(token) is None
    token = sessions.issue(auth.load_users()["李四"])
    auth.remove_user("李四")
    assert sessions.verify(token) is None


def test_the_signing_key_is_made_once_owner_only_or_taken_from_the_environment(ui_env: Path, monkeypatch) -> None:
    user = _user()
    token = sessions.issue(user)
    key_file = ui_env / "ui-session.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    monkeypatch.setenv("XXGK_UI_SECRET", "another key")
    settings.use(None)
    assert sessions.verify(token) is None  # signed with the file's key
    assert sessions.verify(sessions.issue(user)) is not None


def test_a_cookie_code_is_good_once_and_only_for_a_valid_token(ui_env: Path) -> None:
    token = sessions.issue(_user())
    code = sessions.cookie_code(token)
    assert sessions.redeem(code) == token
    assert sessions.redeem(code) is None
    assert sessions.redeem("made-up") is None
    stale = sessions.cookie_code(token)
    auth.end_sessions("李四")
    assert sessions.redeem(stale) is None


def test_uploads_are_allowed_only_to_signed_in_sessions_with_a_valid_token(ui_env: Path) -> None:
    token = sessions.issue(_user())
    assert not sessions.upload_allowed("session-a")
    sessions.register("session-a", token)
    assert sessions.upload_allowed("session-a") and not sessions.upload_allowed("session-b")
    auth.end_sessions("李四")
    assert not sessions.upload_allowed("session-a")
