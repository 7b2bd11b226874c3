"""Shared handles and session helpers: the store, the signed-in reviewer, cached documents.

The store is one per process (``st.cache_resource``); parsed documents and rendered pages are cached
by SHA-256 so that moving between values of a report does not read the file again.
"""

from __future__ import annotations

import streamlit as st

from extractor.document import Document
from extractor.store import Store, open_store
from ui.auth import User

PAGES: tuple[str, ...] = ("上传", "审核队列", "审核", "数据")
NAV_KEY = "nav_page"
DOC_KEY = "review_doc_id"
ORDER_KEY = "queue_order"


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url or None)


def get_store() -> Store:
    """The store named by ``XXGK_DATABASE_URL`` / ``XXGK_DATA_DIR`` (see extractor.store.config)."""
    from extractor.store.config import resolve_url

    return _store(resolve_url().render_as_string(hide_password=False))


@st.cache_resource(show_spinner=False, max_entries=16)
def _document(sha256: str, name: str, _data: bytes) -> Document:
    from extractor.api import read_document

    return read_document(_data, name)[0]


def get_document(store: Store, doc_id: int) -> Document:
    row = store.get_document(doc_id)
    return _document(row.sha256, row.name, store.document_bytes(doc_id))


def current_user() -> User | None:
    return st.session_state.get("user")


def reviewer() -> str:
    """The name written on every change: the signed-in account's name."""
    user = current_user()
    if user is None:
        raise RuntimeError("not signed in")
    return user.name


def open_report(doc_id: int) -> None:
    """Jump to the review page for a report (used as a widget callback, before the page is drawn)."""
    st.session_state[DOC_KEY] = doc_id
    st.session_state[NAV_KEY] = "审核"
