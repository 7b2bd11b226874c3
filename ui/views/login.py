"""Sign-in: the reviewer's account name becomes the name on every change they make.

Attempts are throttled per user name and per address (ui/throttle.py); the answer to a wrong
password and to an unknown name is the same, and costs the same time. A successful sign-in hands the
browser a one-time code that the server exchanges for the session cookie, so a reload stays signed in.
"""

from __future__ import annotations

import math

import streamlit as st

from ui import components, sessions, state
from ui.auth import authenticate, load_users
from ui.throttle import SIGN_IN

COOKIE_CODE_KEY = "cookie_code"


def _address() -> str | None:
    try:
        return st.context.ip_address
    except (AttributeError, RuntimeError):
        return None


def _attempt() -> None:
    ss = st.session_state
    name, password = ss.get("login_name", "").strip(), ss.get("login_password", "")
    ss["login_password"] = ""
    address = _address()
    wait = SIGN_IN.wait(name, address)
    if wait > 0:
        ss["login_error"] = f"尝试次数过多，请 {math.ceil(wait)} 秒后再试"
        return
    user = authenticate(name, password) if name and password else None
    if user is None:
        wait = SIGN_IN.failed(name, address)
        ss["login_error"] = "用户名或密码错误" + (f"；请 {math.ceil(wait)} 秒后再试" if wait > 0 else "")
        return
    SIGN_IN.succeeded(name, address)
    token = state.sign_in(user)
    ss[COOKIE_CODE_KEY] = sessions.cookie_code(token)
    ss.pop("login_error", None)


def render() -> None:
    st.title("政府信息公开年报审核")
    if st.session_state.pop("signed_out", False):
        components.call_route("/xxgk/signout", nonce="signout", key="signout_route")
        st.success("已退出登录。")
    if st.session_state.pop(state.ENDED_KEY, False):
        st.warning("登录已结束（已过期、已退出，或账号已被修改），请重新登录。")
    if not load_users():
        st.warning("尚未创建审核员账号。请在服务器上运行 `xxgk ui --add-user 用户名`（第一个账号为管理员）。")
        return
    _, mid, _ = st.columns([1, 1.2, 1])
    with mid, st.form("login_form"):
        st.subheader("审核员登录")
        st.text_input("用户名", key="login_name")
        st.text_input("密码", type="password", key="login_password")
        st.form_submit_button("登录", type="primary", key="login_submit", width="stretch", on_click=_attempt)
    error = st.session_state.pop("login_error", None)
    if error:
        mid.error(error)


def hand_over_cookie() -> None:
    """After sign-in: the browser exchanges the code for the session cookie (ui/asgi.py), once per code."""
    code = st.session_state.get(COOKIE_CODE_KEY)
    if code:
        components.call_route("/xxgk/session", {"code": code}, nonce=code, key="session_route")
