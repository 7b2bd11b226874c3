"""Shared handles and the signed-in reviewer: the store, cached documents, the session.

The store is one per process (``st.cache_resource``); parsed documents are cached by SHA-256 so that
moving between values of a report does not read the file again. The reviewer is whoever the session's
signed token names — checked again on every run (ui/sessions.py), so an account deleted, reset or
demoted elsewhere loses its session at its next click.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from extractor.api import read_document
from extractor.document import Document
from extractor.store import Store, open_store
from extractor.store.config import resolve_url
from ui import sessions
from ui.auth import User, end_sessions
from ui.claims import CLAIMS
from ui.queries import ReportSummary, Summaries

TOKEN_KEY = "session_token"
ENDED_KEY = "session_ended"


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url or None)


def store_url() -> str:
    return resolve_url().render_as_string(hide_password=False)


def get_store() -> Store:
    """The store named by ``XXGK_DATABASE_URL`` / ``XXGK_DATA_DIR`` (see extractor.store.config)."""
    return _store(store_url())


@st.cache_resource(show_spinner=False)
def _summaries(url: str) -> Summaries:
    return Summaries()


def summary_cache() -> Summaries:
    """The store's table of confirmed reports' summaries (one per server and store)."""
    return _summaries(store_url())


def summaries(store: Store | None = None) -> list[ReportSummary]:
    """Every confirmed report's summary for the 数据 page (read once per server, then only what changed)."""
    return summary_cache().current(store or get_store())


@st.cache_resource(show_spinner=False, max_entries=16)
def _document(sha256: str, name: str, _data: bytes) -> Document:
    return read_document(_data, name)[0]


def get_document(store: Store, doc_id: int) -> Document:
    row = store.get_document(doc_id)
    return _document(row.sha256, row.name, store.document_bytes(doc_id))


def _session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def current_user() -> User | None:
    """The signed-in account, checked again now; None (and the session forgotten) when it no longer holds."""
    token = st.session_state.get(TOKEN_KEY)
    from_cookie = False
    if token is None:
        token = st.context.cookies.get(sessions.COOKIE)
        from_cookie = token is not None
    if token is None:
        return None
    user = sessions.verify(token)
    sid = _session_id()
    if user is None:
        if not from_cookie:
            st.session_state[ENDED_KEY] = True  # said once on the sign-in page
        st.session_state.pop(TOKEN_KEY, None)
        if sid:
            sessions.unregister(sid)
        return None
    st.session_state[TOKEN_KEY] = token
    if sid:
        sessions.register(sid, token)
    return user


def sign_in(user: User) -> str:
    """Start a session for ``user``; returns its token (the sign-in page hands it to the cookie route)."""
    token = sessions.issue(user)
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop(ENDED_KEY, None)
    sid = _session_id()
    if sid:
        sessions.register(sid, token)
    return token


def sign_out() -> None:
    """End every session of this account (here and on other devices) and forget this browser's state."""
    user = current_user()
    if user is not None:
        end_sessions(user.name)
        CLAIMS.release_all(user.name)
    sid = _session_id()
    if sid:
        sessions.unregister(sid)
    for k in list(st.session_state):
        del st.session_state[k]
    st.session_state["signed_out"] = True


def reviewer() -> str:
    """The name written on every change: the signed-in account's name."""
    user = current_user()
    if user is None:
        raise RuntimeError("not signed in")
    return user.name
