"""The review queue as data: filters, a stable order, pages, open findings, the next pending report.

Kept free of Streamlit. The order is explicit and total (the chosen column, then the report's
number), so 第一份, 上一份 and 下一份 mean the same thing on every page. Counts of findings are of
the *open* ones: a finding accepted or dismissed no longer counts. Filters and paging run in SQL;
only the open counts of the rows shown (and of candidates when filtering on them) are worked out
from the stored findings and decisions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import and_, func, or_, select

from extractor.store import Store, finding_key
from extractor.store import models as m
from schemas.labels import COLUMN_LABELS

ORDERS: dict[str, str] = {**{c: COLUMN_LABELS[c] for c in ("uploaded_at", "document_id", "agency", "year")},
                          "n_error": "错误数（提取时）", "reviewed_at": "最近审核"}
ErrorFilter = Literal["any", "open", "none"]
ERROR_FILTERS: dict[str, str] = {"any": "不限", "open": "有未处理的错误", "none": "没有未处理的错误"}


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows and in which order (the order is always completed by the report number)."""

    states: tuple[str, ...] = ("pending",)
    agency: str | None = None
    year: int | None = None
    template: str | None = None
    extractor: str | None = None
    errors: ErrorFilter = "any"
    search: str = ""
    order: str = "uploaded_at"
    descending: bool = False

    def describe(self) -> str:
        """The order in words, shown above the table."""
        way = "从新到旧" if self.order in ("uploaded_at", "reviewed_at") and self.descending else (
            "从旧到新" if self.order in ("uploaded_at", "reviewed_at") else ("降序" if self.descending else "升序"))
        return f"按{ORDERS.get(self.order, self.order)}{way}，相同时按编号"


@dataclass(frozen=True)
class QueueRow:
    document_id: int
    name: str
    agency: str | None
    year: int | None
    template: str | None
    extractor: str
    state: str
    reviewer: str | None
    uploaded_at: datetime
    reviewed_at: datetime
    n_error: int
    n_warning: int
    n_info: int
    open_error: int = 0
    open_warning: int = 0
    n_edits: int = 0


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    ids: list[int] = field(default_factory=list)  # every id of the filter, in order


def _latest():
    E = m.ExtractionVersion
    return select(E.document_id, func.max(E.version).label("v")).group_by(E.document_id).subquery()


def _base(f: QueueFilter, *cols):
    E, D, R = m.ExtractionVersion, m.Document, m.Review
    latest = _latest()
    q = (select(*cols).select_from(D).join(latest, latest.c.document_id == D.id)
         .join(E, and_(E.document_id == D.id, E.version == latest.c.v)).join(R, R.document_id == D.id))
    if f.states:
        q = q.where(R.state.in_(list(f.states)))
    if f.agency:
        q = q.where(E.agency == f.agency)
    if f.year is not None:
        q = q.where(E.year == f.year)
    if f.template:
        q = q.where(E.template == f.template)
    if f.extractor:
        q = q.where(E.extractor == f.extractor)
    if f.search:
        like = f"%{f.search}%"
        q = q.where(or_(D.name.ilike(like), E.agency.ilike(like)))
    if f.errors == "open":
        q = q.where(E.n_error > 0)  # a necessary condition; the decisions are looked at after
    return q


def _ordered(q, f: QueueFilter):
    E, D, R = m.ExtractionVersion, m.Document, m.Review
    col = {"uploaded_at": D.uploaded_at, "document_id": D.id, "agency": E.agency, "year": E.year,
           "n_error": E.n_error, "reviewed_at": R.updated_at}.get(f.order, D.uploaded_at)
    if f.descending:
        return q.order_by(col.desc(), D.id.desc())
    return q.order_by(col.asc(), D.id.asc())


def open_counts(store: Store, doc_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(open errors, open warnings) of each report's latest extraction: findings nobody has decided."""
    if not doc_ids:
        return {}
    E, FD = m.ExtractionVersion, m.FindingDecision
    latest = _latest()
    q = (select(E.document_id, E.findings).join(latest, and_(E.document_id == latest.c.document_id,
                                                            E.version == latest.c.v))
         .where(E.document_id.in_(list(doc_ids))))
    decided = (select(FD.document_id, FD.finding_key).where(FD.document_id.in_(list(doc_ids))).distinct())
    with store.engine.connect() as conn:
        findings = {doc: (json.loads(fs) if isinstance(fs, str) else fs) for doc, fs in conn.execute(q)}
        settled: dict[int, set[str]] = {}
        for doc, key in conn.execute(decided):
            settled.setdefault(doc, set()).add(key)
    out: dict[int, tuple[int, int]] = {}
    for doc, fs in findings.items():
        mine = settled.get(doc, set())
        errors = warnings = 0
        for f in fs or []:
            if finding_key(f.get("rule", ""), f.get("keys", [])) in mine:
                continue
            errors += f.get("severity") == "error"
            warnings += f.get("severity") == "warning"
        out[doc] = (errors, warnings)
    return out


def ids(store: Store, f: QueueFilter) -> list[int]:
    """Every report of the filter, in its order."""
    D = m.Document
    with store.engine.connect() as conn:
        got = [r[0] for r in conn.execute(_ordered(_base(f, D.id), f))]
    if f.errors == "open":  # ``got`` holds only reports with errors: keep those with one still open
        counts = open_counts(store, got)
        return [i for i in got if counts.get(i, (0, 0))[0] > 0]
    if f.errors == "none":
        with_open = set(ids(store, replace(f, errors="open")))
        return [i for i in got if i not in with_open]
    return got


def page(store: Store, f: QueueFilter, *, offset: int = 0, limit: int = 50) -> QueuePage:
    """One page of the queue, with the open counts of its rows, and every id of the filter in order."""
    order = ids(store, f)
    shown = order[offset:offset + limit]
    rows = rows_for(store, shown)
    return QueuePage(rows=rows, total=len(order), ids=order)


def rows_for(store: Store, doc_ids: Sequence[int]) -> list[QueueRow]:
    """The queue rows of ``doc_ids``, in that order."""
    if not doc_ids:
        return []
    E, D, R = m.ExtractionVersion, m.Document, m.Review
    n_edits = (select(m.Edit.document_id, func.count().label("n")).where(m.Edit.document_id.in_(list(doc_ids)))
               .group_by(m.Edit.document_id).subquery())
    q = (_base(QueueFilter(states=()), D.id, D.name, E.agency, E.year, E.template, E.extractor, R.state, R.reviewer,
               D.uploaded_at, R.updated_at, E.n_error, E.n_warning, E.n_info, func.coalesce(n_edits.c.n, 0))
         .outerjoin(n_edits, n_edits.c.document_id == D.id).where(D.id.in_(list(doc_ids))))
    counts = open_counts(store, doc_ids)
    with store.engine.connect() as conn:
        got = {r[0]: r for r in conn.execute(q)}
    out = []
    for doc in doc_ids:
        r = got.get(doc)
        if r is None:
            continue
        uploaded, reviewed = (_aware(r[8]), _aware(r[9]))
        oe, ow = counts.get(doc, (r[10], r[11]))
        out.append(QueueRow(document_id=r[0], name=r[1], agency=r[2], year=r[3], template=r[4], extractor=r[5],
                            state=r[6], reviewer=r[7], uploaded_at=uploaded, reviewed_at=reviewed, n_error=r[10],
                            n_warning=r[11], n_info=r[12], open_error=oe, open_warning=ow, n_edits=r[13]))
    return out


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def facets(store: Store) -> dict[str, list]:
    """The values the filters offer: agencies, years, templates and extractors present in the store."""
    E = m.ExtractionVersion
    latest = _latest()
    base = select(E).join(latest, and_(E.document_id == latest.c.document_id, E.version == latest.c.v)).subquery()
    with store.engine.connect() as conn:
        agencies = [a for (a,) in conn.execute(select(base.c.agency).distinct().order_by(base.c.agency)) if a]
        years = [y for (y,) in conn.execute(select(base.c.year).distinct().order_by(base.c.year.desc())) if y]
        templates = [t for (t,) in conn.execute(select(base.c.template).distinct().order_by(base.c.template)) if t]
        extractors = [x for (x,) in conn.execute(select(base.c.extractor).distinct().order_by(base.c.extractor)) if x]
    return {"agency": agencies, "year": years, "template": templates, "extractor": extractors}


def next_after(order: Sequence[int], current: int | None, *, skip: set[int] = frozenset()) -> int | None:
    """The first report after ``current`` in ``order`` (wrapping round) not in ``skip``; None when none is left."""
    if not order:
        return None
    start = order.index(current) + 1 if current in order else 0
    for i in range(len(order)):
        doc = order[(start + i) % len(order)]
        if doc != current and doc not in skip:
            return doc
    return None
