"""``xxgk ui``: start the review app, or manage its reviewer accounts.

    xxgk ui --add-user 张三 [--admin]   # asks for the password (twice); the first account is an administrator
    xxgk ui --server.port 8599         # anything else goes to `streamlit run`

The app listens on 127.0.0.1 unless ``--server.address`` says otherwise, and Streamlit's own upload
limit is set to the app's (``$XXGK_UI_MAX_MB``), so no larger body is ever accepted.
On the first start with no users file and a terminal, it asks for a first administrator.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

SERVER = Path(__file__).with_name("asgi.py")
DEFAULTS = ("--browser.gatherUsageStats", "false", "--theme.base", "light", "--theme.primaryColor", "#b91c1c",
            "--client.toolbarMode", "minimal", "--server.fileWatcherType", "none")


def _without(args: list[str], flag: str) -> list[str]:
    """``args`` without ``flag`` (as ``--flag value`` or ``--flag=value``)."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a == flag:
            skip = True
        elif not a.startswith(flag + "="):
            out.append(a)
    return out


def streamlit_command(streamlit_args: tuple[str, ...] | list[str]) -> list[str]:
    """The `streamlit run` command line: our defaults, loopback unless told, the app's upload limit.

    Streamlit's upload limit is always the app's: a larger one given on the command line is dropped.
    """
    from ui.jobs import max_upload_mb  # lazy: start-up

    args = _without(list(streamlit_args), "--server.maxUploadSize")
    extra = ["--server.maxUploadSize", str(max_upload_mb())]
    if not any(a == "--server.address" or a.startswith("--server.address=") for a in args):
        extra += ["--server.address", "127.0.0.1"]
    return [sys.executable, "-m", "streamlit", "run", str(SERVER), *DEFAULTS, *extra, *args]


@click.command("ui", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--add-user", "add_user_name", metavar="NAME", help="创建或重设审核员账号后退出 / add or reset a reviewer")
@click.option("--admin", is_flag=True, help="与 --add-user 同用：管理员 / with --add-user: an administrator")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码 / read the password from stdin")
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def ui(add_user_name: str | None, admin: bool, password_stdin: bool, streamlit_args: tuple[str, ...]) -> None:
    """启动审核界面 / start the Streamlit review UI (extra arguments go to `streamlit run`)."""
    from ui.auth import add_user, load_users, users_file  # lazy: start-up

    if add_user_name:
        password = _read_password(password_stdin)
        first = not load_users()
        user = add_user(add_user_name, password, role="admin" if admin or first else "reviewer")
        note = "（第一个账号自动设为管理员 / the first account is an administrator）" if first and not admin else ""
        click.echo(f"已保存账号 {user.name}（{user.role}）到 {users_file()}{note}")
        return
    if not load_users():
        if not sys.stdin.isatty():
            raise click.ClickException(f"尚无审核员账号：先运行 `xxgk ui --add-user 用户名` / no users yet in {users_file()}")
        click.echo("尚无审核员账号，先创建一个管理员 / no users yet: create the first administrator")
        name = click.prompt("用户名 / user name")
        add_user(name, _read_password(False), role="admin")
    cmd = streamlit_command(streamlit_args)
    click.echo(_where(cmd), err=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SERVER.parent.parent),
                                                                     os.environ.get("PYTHONPATH")]))}
    raise SystemExit(subprocess.call(cmd, env=env))


def _where(cmd: list[str]) -> str:
    """One line saying who can reach the app and how large an upload may be."""
    from ui.jobs import max_upload_mb  # lazy: start-up

    address = "127.0.0.1"
    for i, a in enumerate(cmd):
        if a == "--server.address" and i + 1 < len(cmd):
            address = cmd[i + 1]
        elif a.startswith("--server.address="):
            address = a.split("=", 1)[1]
    if address in ("127.0.0.1", "localhost", "::1"):
        where = f"只在本机 {address} 上提供（--server.address 0.0.0.0 对外提供）"
    else:
        where = f"在 {address} 上对外提供，请确认防火墙与 HTTPS 设置"
    return f"审核界面{where}；上传单个文件不超过 {max_upload_mb()} MB（XXGK_UI_MAX_MB）"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
