"""账号 (administrators only): the reviewers' accounts, added, reset and removed without a shell.

A reset password, a changed role or a removal ends every session of that account at its next request.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from extractor._errors import ConfigError
from extractor.store import Store
from ui import sessions, state
from ui.auth import ROLES, add_user, load_users, remove_user, users_file
from ui.views.common import flash, local_time, show_flash
from ui.views.login import COOKIE_CODE_KEY

ROLE_LABELS = {"admin": "管理员", "reviewer": "审核员"}


def _save() -> None:
    ss = st.session_state
    name, password = ss.get("acct_name", "").strip(), ss.get("acct_password", "")
    if password != ss.get("acct_password2", ""):
        flash("error", "两次输入的密码不一致")
        return
    me = state.current_user()
    try:
        existed = name in load_users()
        user = add_user(name, password, display=ss.get("acct_display", "").strip(),
                        role=ss.get("acct_role", "reviewer"))
    except ConfigError as exc:
        flash("error", str(exc))
        return
    if me is not None and me.name == user.name:  # one's own reset ends one's sessions: start a new one here
        ss[COOKIE_CODE_KEY] = sessions.cookie_code(state.sign_in(user))
    flash("success", f"已{'重设' if existed else '创建'}账号 {name}")
    for key in ("acct_name", "acct_display", "acct_password", "acct_password2"):
        ss[key] = ""


def _remove() -> None:
    name = st.session_state.get("acct_remove_name")
    if not name:
        return
    me = state.current_user()
    if me is not None and me.name == name:
        flash("error", "不能删除自己的账号")
        return
    try:
        remove_user(name)
    except ConfigError as exc:
        flash("error", str(exc))
        return
    flash("success", f"已删除账号 {name}")


def _when(iso: str) -> str:
    try:
        return local_time(datetime.fromisoformat(iso))
    except ValueError:
        return iso


def render(store: Store) -> None:
    st.header("账号")
    show_flash()
    users = load_users()
    st.caption(f"账号文件：{users_file()}（密码以加盐 scrypt 散列保存）。重设密码、改变角色或删除账号，"
               "该账号已登录的会话会立即失效。")
    st.dataframe(pd.DataFrame([{"用户名": u.name, "显示名": u.display, "角色": ROLE_LABELS.get(u.role, u.role),
                                "创建时间": _when(u.created_at)} for u in users.values()]),
                 hide_index=True, width="stretch")
    st.subheader("新建或重设账号")
    c1, c2, c3 = st.columns(3)
    c1.text_input("用户名", key="acct_name")
    c2.text_input("显示名（可选）", key="acct_display")
    c3.selectbox("角色", ROLES, key="acct_role", format_func=ROLE_LABELS.__getitem__, index=ROLES.index("reviewer"))
    p1, p2 = st.columns(2)
    p1.text_input("密码（至少 6 个字符）", type="password", key="acct_password")
    p2.text_input("再次输入密码", type="password", key="acct_password2")
    st.button("保存账号", key="acct_save", type="primary", on_click=_save)
    st.subheader("删除账号")
    r1, r2 = st.columns([2, 1])
    victim = r1.selectbox("账号", list(users), key="acct_remove_name", label_visibility="collapsed")
    r2.button("删除", key="acct_remove", on_click=_remove, disabled=victim is None)
