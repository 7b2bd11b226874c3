"""Where the reviewer is: one typed value, kept by ids and mirrored in the URL.

No widget holds the place. A widget's value in Streamlit is tied to its display label, and a label
that changes between runs (a finding marked 已驳回 after a decision) comes back as the old label
instead of the id — the ``'>=' not supported between 'str' and 'int'`` crash of issue 13. So
callbacks move the place with :func:`go`, pages are drawn from :func:`current`, and the URL
(``?page=review&report=12&key=t4.复议.总计``) says where one is, so that a reload or a shared link opens
the same report at the same value.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

import streamlit as st
from pydantic import BaseModel, ConfigDict

from schemas import catalog

Page = Literal["upload", "queue", "review", "data", "accounts"]
PAGES: tuple[Page, ...] = get_args(Page)
PAGE_LABELS: dict[str, str] = {"upload": "上传", "queue": "审核队列", "review": "审核", "data": "数据", "accounts": "账号"}
TABLES: tuple[str, ...] = ("t2", "t3", "t4", "old", "all")
_KEY = "place"
_WRITTEN = "place_written"  # the query this session last wrote into the address bar
_FINDING_ID = re.compile(r"^[0-9a-f]{10}$")


class Place(BaseModel):
    """The page, and on the review page the report, the chosen finding, the focused value and the table."""

    model_config = ConfigDict(frozen=True)

    page: Page = "queue"
    report: int | None = None
    finding: str | None = None  # a finding id (ui.findings.finding_id), never its label
    key: str | None = None  # a catalog key
    table: str | None = None  # t2 / t3 / t4 / old, or "all"

    def query(self) -> dict[str, str]:
        """The URL's query parameters for this place (empty fields left out)."""
        out = {"page": self.page}
        if self.page == "review":
            for name in ("report", "key", "finding", "table"):
                value = getattr(self, name)
                if value is not None:
                    out[name] = str(value)
        return out

    @classmethod
    def from_query(cls, params: dict[str, str]) -> Place:
        """A place from URL parameters; anything malformed is dropped, never trusted."""
        page = params.get("page", "")
        report = params.get("report", "")
        key = params.get("key", "")
        finding = params.get("finding", "")
        table = params.get("table", "")
        return cls(page=page if page in PAGES else ("review" if report.isdigit() else "queue"),  # type: ignore[arg-type]
                   report=int(report) if report.isdigit() and len(report) < 12 else None,
                   key=key if key in catalog.BY_KEY else None,
                   finding=finding if _FINDING_ID.match(finding) else None,
                   table=table if table in TABLES else None)


def _url() -> dict[str, str]:
    return {k: st.query_params.get(k, "") for k in ("page", "report", "key", "finding", "table") if k in st.query_params}


def current() -> Place:
    """The place of this browser session: the one the URL names on its first run, or when the reviewer
    changed the URL since this session last wrote it (the browser's back button, a pasted link)."""
    place = st.session_state.get(_KEY)
    url = _url()
    if not isinstance(place, Place) or (url != st.session_state.get(_WRITTEN, url) and url != place.query()):
        place = Place.from_query(url)
        st.session_state[_KEY] = place
        st.session_state[_WRITTEN] = url
    return place


def go(**changes: object) -> Place:
    """Move the place (callbacks call this); opening another report forgets the finding, value and table."""
    place = current()
    if "report" in changes and changes["report"] != place.report:
        changes = {"finding": None, "key": None, "table": None, **changes}
    new = place.model_copy(update=changes)
    st.session_state[_KEY] = Place.model_validate(new.model_dump())  # validated: a typo fails here, loudly
    return st.session_state[_KEY]


def open_report(doc_id: int) -> None:
    """The review page for one report (a widget callback)."""
    go(page="review", report=doc_id)


def sync_url() -> None:
    """Write the place into the address bar (only when it changed, so no history entry per rerun)."""
    want = current().query()
    if _url() != want:
        st.query_params.from_dict(want)
    st.session_state[_WRITTEN] = want
