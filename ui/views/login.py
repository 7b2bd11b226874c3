"""Sign-in: the reviewer's account name becomes the name on every change they make."""

from __future__ import annotations

import streamlit as st

from ui.auth import authenticate, load_users, users_file


def render() -> None:
    st.title("政府信息公开年报审核")
    users = load_users()
    if not users:
        st.warning(f"尚未创建审核员账号。请在服务器上运行 `xxgk ui --add-user 用户名` 创建（账号文件：{users_file()}）。")
        return
    _, mid, _ = st.columns([1, 1.2, 1])
    with mid, st.form("login_form"):
        st.subheader("审核员登录")
        name = st.text_input("用户名", key="login_name")
        password = st.text_input("密码", type="password", key="login_password")
        submitted = st.form_submit_button("登录", type="primary", key="login_submit", width="stretch")
    if submitted:
        user = authenticate(name, password)
        if user is None:
            mid.error("用户名或密码错误")
            return
        st.session_state["user"] = user
        st.rerun()
