"""``xxgk ui`` (ui/launch.py): loopback by default, Streamlit's upload limit equal to the app's, accounts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from extractor.cli import main
from ui import auth
from ui.launch import streamlit_command


def _opt(cmd: list[str], flag: str) -> list[str]:
    return [cmd[i + 1] for i, a in enumerate(cmd) if a == flag]


def test_the_app_listens_on_loopback_unless_told_and_uploads_are_capped_at_the_apps_limit(monkeypatch) -> None:
    monkeypatch.setenv("XXGK_UI_MAX_MB", "20")
    cmd = streamlit_command(["--server.port", "8599", "--server.maxUploadSize", "500"])
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("ui/asgi.py")
    assert _opt(cmd, "--server.address") == ["127.0.0.1"]
    assert _opt(cmd, "--server.maxUploadSize") == ["20"]  # a larger limit given by hand is dropped
    assert _opt(cmd, "--server.port") == ["8599"]
    open_cmd = streamlit_command(["--server.address", "0.0.0.0", "--server.maxUploadSize=400"])
    assert _opt(open_cmd, "--server.address") == ["0.0.0.0"]
    assert _opt(open_cmd, "--server.maxUploadSize") == ["20"] and "--server.maxUploadSize=400" not in open_cmd


def test_cli_ui_starts_streamlit_with_those_arguments_with_fake_subprocess(ui_env: Path, monkeypatch) -> None:
    import ui.launch

    auth.add_user("张三", "secret-pass")
    seen: list[list[str]] = []
    monkeypatch.setattr(ui.launch.subprocess, "call", lambda cmd, env=None: seen.append(cmd) or 0)
    got = CliRunner().invoke(main, ["ui", "--server.port", "8599"])
    assert got.exit_code == 0, got.output
    assert _opt(seen[0], "--server.address") == ["127.0.0.1"] and _opt(seen[0], "--server.port") == ["8599"]
    assert "只在本机 127.0.0.1" in got.output and "50 MB" in got.output


def test_the_first_account_added_is_an_administrator_later_ones_reviewers(ui_env: Path) -> None:
    first = CliRunner().invoke(main, ["ui", "--add-user", "张三", "--password-stdin"], input="pw-from-ci\n")
    assert first.exit_code == 0, first.output
    assert "第一个账号自动设为管理员" in first.output
    second = CliRunner().invoke(main, ["ui", "--add-user", "李四", "--password-stdin"], input="pw-from-ci\n")
    assert second.exit_code == 0, second.output
    roles = {u.name: u.role for u in auth.load_users().values()}
    assert roles == {"张三": "admin", "李四": "reviewer"}


def test_cli_ui_without_users_and_without_a_terminal_says_how_to_add_one(ui_env: Path) -> None:
    got = CliRunner().invoke(main, ["ui"])
    assert got.exit_code != 0
    assert "--add-user" in got.output
