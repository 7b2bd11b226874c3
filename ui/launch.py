"""``xxgk ui``: start the review app, or manage its reviewer accounts.

    xxgk ui --add-user 张三            # asks for the password (twice); --admin for an administrator
    xxgk ui --server.port 8599         # anything else goes to `streamlit run`

On the first start with no users file and a terminal, it asks for a first administrator.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

APP = Path(__file__).with_name("app.py")
DEFAULTS = ("--browser.gatherUsageStats", "false", "--server.maxUploadSize", "500", "--theme.base", "light",
            "--theme.primaryColor", "#b91c1c", "--client.toolbarMode", "minimal")


@click.command("ui", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--add-user", "add_user_name", metavar="NAME", help="创建或重设审核员账号后退出 / add or reset a reviewer")
@click.option("--admin", is_flag=True, help="与 --add-user 同用：管理员 / with --add-user: an administrator")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码 / read the password from stdin")
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def ui(add_user_name: str | None, admin: bool, password_stdin: bool, streamlit_args: tuple[str, ...]) -> None:
    """启动审核界面 / start the Streamlit review UI (extra arguments go to `streamlit run`)."""
    from ui.auth import add_user, load_users, users_file

    if add_user_name:
        password = _read_password(password_stdin)
        user = add_user(add_user_name, password, role="admin" if admin else "reviewer")
        click.echo(f"已保存账号 {user.name}（{user.role}）到 {users_file()}")
        return
    if not load_users():
        if not sys.stdin.isatty():
            raise click.ClickException(f"尚无审核员账号：先运行 `xxgk ui --add-user 用户名` / no users yet in {users_file()}")
        click.echo("尚无审核员账号，先创建一个管理员 / no users yet: create the first administrator")
        name = click.prompt("用户名 / user name")
        add_user(name, _read_password(False), role="admin")
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), *DEFAULTS, *streamlit_args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(APP.parent.parent),
                                                                     os.environ.get("PYTHONPATH")]))}
    raise SystemExit(subprocess.call(cmd, env=env))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
