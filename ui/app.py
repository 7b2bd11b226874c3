"""The review app's entry point (``xxgk ui`` runs ``streamlit run ui/app.py``).

Sign-in first; then a sidebar menu of the four pages (and 账号 for administrators). Pages are plain functions so that a report
can be opened from any page by setting the menu's session value in a callback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

try:
    import ui  # noqa: F401
except ImportError:  # started as a bare script without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui import state
from ui.views import accounts, data, login, queue, review, upload

st.set_page_config(page_title="政府信息公开年报审核", page_icon="📑", layout="wide")
st.html("""<style>
html, body, [class*="css"], .stMarkdown, .stDataFrame, button, input, textarea {
  font-family: "Source Sans 3", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.block-container { padding-top: 2.2rem; padding-bottom: 1rem; max-width: 100%; }
</style>""")

PAGES = {"上传": upload.render, "审核队列": queue.render, "审核": review.render, "数据": data.render}
ADMIN_PAGES = {"账号": accounts.render}  # shown to administrators only


def main() -> None:
    user = state.current_user()
    if user is None:
        login.render()
        return
    store = state.get_store()
    pages = {**PAGES, **(ADMIN_PAGES if user.role == "admin" else {})}
    with st.sidebar:
        st.markdown(f"### 📑 年报审核\n审核员：**{user.shown}**")
        if state.NAV_KEY not in st.session_state:
            st.session_state[state.NAV_KEY] = "审核队列"
        if st.session_state[state.NAV_KEY] not in pages:
            st.session_state[state.NAV_KEY] = "审核队列"
        st.radio("页面", list(pages), key=state.NAV_KEY, label_visibility="collapsed")
        st.divider()
        st.caption("快捷键（审核页）：Alt+← 上一份，Alt+→ 下一份，Ctrl+Enter 确认")
        if st.button("退出登录", key="logout"):
            for k in list(st.session_state):
                del st.session_state[k]
            st.rerun()
    pages[st.session_state[state.NAV_KEY]](store)


main()
