"""The app, run by ui/app.py on every rerun: sign-in, the sidebar, the page.

Sign-in first — the session is checked again on every run. Then a sidebar menu of the pages (账号 for
administrators only). Where the reviewer is lives in one typed value (ui/place.py) mirrored in the URL,
so a reload or a shared link opens the same page, report and value.
"""

from __future__ import annotations

import threading

import streamlit as st

from ui import jobs, state
from ui import place as P
from ui.views import accounts, data, login, queue, review, upload

CSS = """<style>
html, body, [class*="css"], .stMarkdown, .stDataFrame, button, input, textarea {
  font-family: "Source Sans 3", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.block-container { padding: 2.2rem 1.6rem 1rem 1.6rem; max-width: 100%; }
section[data-testid="stSidebar"] { width: 200px !important; min-width: 200px !important; }
[data-testid="stColumn"]:has(> div > .st-key-review_source), [data-testid="stColumn"]:has(.st-key-review_source) {
  position: sticky; top: 3.6rem; align-self: flex-start; max-height: calc(100vh - 4.2rem); overflow-y: auto; }
[data-testid="InputInstructions"] { display: none; }  /* "Press Enter to …": our own labels say it in Chinese */
.st-key-findings button > div { justify-content: flex-start; width: 100%; }
.st-key-findings button [data-testid="stMarkdownContainer"] p { text-align: left; }
</style>"""

PAGES = {"upload": upload.render, "queue": queue.render, "review": review.render, "data": data.render}
ADMIN_PAGES = {"accounts": accounts.render}  # shown to administrators only


@st.cache_resource(show_spinner=False)
def _on_start(url: str) -> bool:
    """Once per server and store: take up upload jobs a stopped server left unfinished, and read the
    confirmed reports' summaries for the 数据 page in the background (a few seconds at 10,000 reports)."""
    store = state.get_store()
    jobs.start_worker(store)
    threading.Thread(target=state.summary_cache().current, args=(store,), name="xxgk-ui-summaries",
                     daemon=True).start()
    return True


def _nav_changed() -> None:
    P.go(page=st.session_state["nav"])


def run() -> None:
    st.set_page_config(page_title="政府信息公开年报审核", page_icon="📑", layout="wide")
    st.html(CSS)
    user = state.current_user()
    if user is None:
        login.render()
        return
    store = state.get_store()
    _on_start(state.store_url())
    pages = {**PAGES, **(ADMIN_PAGES if user.role == "admin" else {})}
    place = P.current()
    if place.page not in pages:
        place = P.go(page="queue")
    with st.sidebar:
        st.markdown(f"### 📑 年报审核\n审核员：**{user.shown}**")
        st.session_state["nav"] = place.page
        st.radio("页面", list(pages), key="nav", format_func=P.PAGE_LABELS.__getitem__,
                 label_visibility="collapsed", on_change=_nav_changed)
        st.divider()
        st.button("退出登录", key="logout", on_click=state.sign_out)
        login.hand_over_cookie()
    pages[P.current().page](store)
    P.sync_url()
