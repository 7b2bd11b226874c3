"""The store's one API: typed methods over short transactions.

Every writing method runs in its own transaction that takes the write lock first (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: ``SELECT … FOR UPDATE`` on the document's review row, or ``SKIP LOCKED`` for
job items), so that the API, the batch workers and the UI can write at once without losing an edit
or claiming an item twice.

Current values of a report = the values of its latest extraction, overlaid with every human edit
in order (edits survive a re-extraction). A confirmed report whose current values change — by an
edit or by a new extraction that disagrees — goes back to pending.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, Select, Text, and_, cast, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, defer, sessionmaker

from extractor._errors import XxgkError
from extractor.store import models as m
from extractor.store.engine import writer
from extractor.store.models import utcnow
from extractor.store.types import (
    ITEM_STATUSES,
    REVIEW_STATES,
    Decision,
    DocumentRow,
    EditRow,
    ExtractionRow,
    FindingDecisionRow,
    ItemStatus,
    JobCounts,
    JobItemRow,
    JobRow,
    JobStatus,
    LlmBatchRow,
    NewJobItem,
    ReportRow,
    ReviewEventRow,
    ReviewRow,
    ReviewState,
)
from schemas.catalog import BY_KEY
from schemas.results import Finding, Number, Result

JOB_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed", "cancelled")
LLM_BATCH_CLOSED: frozenset[str] = frozenset({"processed", "failed", "expired", "cancelled"})
CONFIRMED_META_COLUMNS: tuple[str, ...] = (
    "document_id", "sha256", "name", "agency", "year", "template", "extractor", "extraction_id", "reviewer",
    "confirmed_at",
)
_UNSET: Any = object()


class StoreError(XxgkError):
    """A request the store refuses (unknown key, no extraction yet, a finding that does not exist …)."""


class NotFoundError(StoreError):
    """No row with that id."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or read (down, refused, not a database): one line, no traceback."""


def finding_key(rule: str, keys: Iterable[str]) -> str:
    """What identifies a finding across extraction versions: its rule and the keys it involves."""
    return f"{rule}|{','.join(sorted(keys))}"


def finding_key_of(finding: Finding) -> str:
    return finding_key(finding.rule, finding.keys)


def _number(value: Any, what: str) -> Number | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StoreError(f"{what} must be a number or None (blank), not {value!r}")
    return value


class Store:
    """A handle on one database. Thread-safe; open one per process with :func:`open_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(writer(engine), expire_on_commit=False)

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def _ro(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.backend == "postgresql" else sqlite.insert)(table)

    @staticmethod
    def _lock_review(s: Session, doc_id: int) -> m.Review:
        review = s.scalar(select(m.Review).where(m.Review.document_id == doc_id).with_for_update())
        if review is None:
            raise NotFoundError(f"no document {doc_id}")
        return review

    # -- documents --------------------------------------------------------------------------------
    def add_document(self, data: bytes, name: str, type: str | None = None, *, who: str = "") -> DocumentRow:
        """Store a file once per SHA-256; a second copy (any name) returns the first with ``created=False``."""
        sha = hashlib.sha256(data).hexdigest()
        kind = (type or Path(name).suffix.lstrip(".") or "bin").lower()
        with self._tx() as s:
            doc_id = s.scalar(select(m.Document.id).where(m.Document.sha256 == sha))
            created = False
            if doc_id is None:
                now = utcnow()
                stmt = self._insert(m.Document).values(
                    sha256=sha, name=name, type=kind, size=len(data), uploaded_at=now, uploaded_by=who
                ).on_conflict_do_nothing(index_elements=["sha256"]).returning(m.Document.id)
                doc_id = s.scalar(stmt)
                if doc_id is None:  # another writer stored the same bytes a moment ago
                    doc_id = s.scalar(select(m.Document.id).where(m.Document.sha256 == sha))
                else:
                    created = True
                    s.execute(insert(m.DocumentFile).values(document_id=doc_id, data=data))
                    s.execute(insert(m.Review).values(document_id=doc_id, state="pending", note="", updated_at=now))
            doc = s.get_one(m.Document, doc_id)
            return DocumentRow.model_validate(doc).model_copy(update={"created": created})

    def get_document(self, doc_id: int) -> DocumentRow:
        with self._ro() as s:
            doc = s.get(m.Document, doc_id)
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            return DocumentRow.model_validate(doc)

    def find_document(self, sha256: str) -> DocumentRow | None:
        return self.find_documents([sha256]).get(sha256.lower())

    def find_documents(self, sha256s: Collection[str]) -> dict[str, DocumentRow]:
        """The stored documents among these SHA-256s, by SHA-256, in one query (a batch over files
        stored before asks once per chunk, not once per file)."""
        wanted = sorted({h.lower() for h in sha256s})
        if not wanted:
            return {}
        with self._ro() as s:
            docs = s.scalars(select(m.Document).where(m.Document.sha256.in_(wanted)))
            return {d.sha256: DocumentRow.model_validate(d) for d in docs}

    def document_bytes(self, doc_id: int) -> bytes:
        with self._ro() as s:
            data = s.scalar(select(m.DocumentFile.data).where(m.DocumentFile.document_id == doc_id))
            if data is None:
                raise NotFoundError(f"no document {doc_id}")
            return bytes(data)

    def list_documents(self, *, limit: int | None = None, offset: int = 0) -> list[DocumentRow]:
        with self._ro() as s:
            q = select(m.Document).order_by(m.Document.id).offset(offset).limit(limit)
            return [DocumentRow.model_validate(d) for d in s.scalars(q)]

    # -- extractions ------------------------------------------------------------------------------
    def save_extraction(self, doc_id: int, result: Result, *, created_by: str = "") -> int:
        """Store ``result`` as the document's next version (never updates one); returns its id."""
        with self._tx() as s:
            review = self._lock_review(s, doc_id)
            doc = s.get_one(m.Document, doc_id)
            info = result.document
            if info.sha256 and info.sha256.lower() != doc.sha256:
                raise StoreError(f"result is for {info.sha256[:12]}…, document {doc_id} is {doc.sha256[:12]}…")
            info = info.model_copy(update={"sha256": doc.sha256, "name": info.name or doc.name,
                                           "type": info.type or doc.type, "size": info.size or doc.size})
            result = result.model_copy(update={"document": info})
            payload = result.model_dump(mode="json")
            last = s.scalar(select(func.max(m.ExtractionVersion.version)).where(
                m.ExtractionVersion.document_id == doc_id)) or 0
            severities = [f.severity for f in result.findings]
            row = m.ExtractionVersion(
                document_id=doc_id, version=last + 1, extractor=result.extractor, model=result.model,
                template=result.meta.template, agency=result.meta.agency, year=result.meta.year,
                result=payload, values={k: v["value"] for k, v in payload["values"].items()},
                findings=payload["findings"], usage=payload["usage"], n_error=severities.count("error"),
                n_warning=severities.count("warning"), n_info=severities.count("info"), seconds=result.seconds,
                created_at=utcnow(), created_by=created_by,
            )
            s.add(row)
            s.flush()
            self._unconfirm_if_changed(s, review, created_by or "system",
                                       "新的提取结果改变了数值 / a new extraction changed values")
            return row.id

    @staticmethod
    def _extraction_query() -> Select[Any]:
        E = m.ExtractionVersion
        return select(E, cast(E.result, Text).label("result_json")).options(defer(E.result), defer(E.findings))

    def get_extraction(self, extraction_id: int) -> ExtractionRow:
        with self._ro() as s:
            got = s.execute(self._extraction_query().where(m.ExtractionVersion.id == extraction_id)).first()
            if got is None:
                raise NotFoundError(f"no extraction {extraction_id}")
            return _extraction_row(*got)

    def latest_extraction(self, doc_id: int) -> ExtractionRow | None:
        E = m.ExtractionVersion
        with self._ro() as s:
            got = s.execute(self._extraction_query().where(E.document_id == doc_id)
                            .order_by(E.version.desc()).limit(1)).first()
            return _extraction_row(*got) if got else None

    def latest_extractions(self, doc_ids: Sequence[int] | None = None) -> dict[int, ExtractionRow]:
        """The latest version of many documents (all when ``doc_ids`` is None) in one query: for exports."""
        E = m.ExtractionVersion
        latest = select(E.document_id, func.max(E.version).label("v")).group_by(E.document_id)
        if doc_ids is not None:
            latest = latest.where(E.document_id.in_(list(doc_ids)))
        sub = latest.subquery()
        q = (self._extraction_query().join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
             .order_by(E.document_id))
        with self._ro() as s:
            return {r.document_id: _extraction_row(r, rj) for r, rj in s.execute(q)}

    def extractions(self, doc_id: int) -> list[ExtractionRow]:
        """Every version of a document, oldest first."""
        E = m.ExtractionVersion
        with self._ro() as s:
            rows = s.execute(self._extraction_query().where(E.document_id == doc_id).order_by(E.version))
            return [_extraction_row(r, rj) for r, rj in rows]

    # -- current values and edits -----------------------------------------------------------------
    @staticmethod
    def _current(s: Session, doc_id: int) -> tuple[int | None, dict[str, Any]]:
        latest = s.execute(select(m.ExtractionVersion.id, m.ExtractionVersion.values)
                           .where(m.ExtractionVersion.document_id == doc_id)
                           .order_by(m.ExtractionVersion.version.desc()).limit(1)).first()
        if latest is None:
            return None, {}
        values = dict(latest.values)
        for key, new in s.execute(select(m.Edit.key, m.Edit.new_value).where(m.Edit.document_id == doc_id)
                                  .order_by(m.Edit.id)):
            values[key] = new
        return latest.id, values

    def current_values(self, doc_id: int) -> dict[str, Number | None]:
        """The latest extraction's values with every edit applied: what a reviewer sees and confirms."""
        with self._ro() as s:
            return self._current(s, doc_id)[1]

    def current_values_many(self, doc_ids: Sequence[int] | None = None) -> dict[int, dict[str, Number | None]]:
        """``current_values`` of many documents (all when None) in two queries: for checks over a whole store."""
        E = m.ExtractionVersion
        latest = select(E.document_id, func.max(E.version).label("v")).group_by(E.document_id)
        edits = select(m.Edit.document_id, m.Edit.key, m.Edit.new_value).order_by(m.Edit.id)
        if doc_ids is not None:
            latest = latest.where(E.document_id.in_(list(doc_ids)))
            edits = edits.where(m.Edit.document_id.in_(list(doc_ids)))
        sub = latest.subquery()
        q = select(E.document_id, E.values).join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
        with self._ro() as s:
            out = {doc_id: dict(values) for doc_id, values in s.execute(q)}
            for doc_id, key, new in s.execute(edits):
                if doc_id in out:
                    out[doc_id][key] = new
        return out

    def text_sketches(self, doc_ids: Sequence[int] | None = None) -> dict[int, list[int]]:
        """The narrative sketch of each document's latest extraction (all when None), read by the database
        from the stored result: no result is loaded or parsed here (a batch compares thousands)."""
        E = m.ExtractionVersion
        latest = select(E.document_id, func.max(E.version).label("v")).group_by(E.document_id)
        if doc_ids is not None:
            latest = latest.where(E.document_id.in_(list(doc_ids)))
        sub = latest.subquery()
        q = (select(E.document_id, E.result[("document", "text_sketch")])
             .join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v)))
        if self.backend == "sqlite":  # a damaged row (not JSON) is left out, not an error for every other
            q = q.where(func.json_valid(cast(E.result, Text)))
        with self._ro() as s:
            return {doc_id: sketch for doc_id, sketch in s.execute(q) if isinstance(sketch, list)}

    def record_edit(self, doc_id: int, key: str, new_value: Number | None, *, reason: str = "",
                    who: str) -> EditRow | None:
        """Change one value; writes an audit row with the old value. None (nothing written) if unchanged."""
        if key not in BY_KEY:
            raise StoreError(f"unknown key {key!r} (see schemas.catalog)")
        if not who:
            raise StoreError("an edit needs the reviewer's name")
        new_value = _number(new_value, key)
        with self._tx() as s:
            review = self._lock_review(s, doc_id)
            extraction_id, values = self._current(s, doc_id)
            if extraction_id is None:
                raise StoreError(f"document {doc_id} has no extraction to edit")
            old = values.get(key)
            if old == new_value and (old is None) == (new_value is None):
                return None
            edit = m.Edit(document_id=doc_id, extraction_id=extraction_id, key=key, old_value=old,
                          new_value=new_value, reason=reason, who=who, created_at=utcnow())
            s.add(edit)
            s.flush()
            self._unconfirm_if_changed(s, review, who, f"修改了 {key} / edited {key}")
            return EditRow.model_validate(edit)

    def edits(self, doc_id: int) -> list[EditRow]:
        """The audit trail of a document's values, oldest first."""
        with self._ro() as s:
            rows = s.scalars(select(m.Edit).where(m.Edit.document_id == doc_id).order_by(m.Edit.id))
            return [EditRow.model_validate(r) for r in rows]

    # -- findings ---------------------------------------------------------------------------------
    def decide_finding(self, doc_id: int, rule: str, keys: Sequence[str], decision: Decision, *, who: str,
                       reason: str = "", live: bool = False) -> FindingDecisionRow:
        """Settle a finding of the latest extraction: ``accepted`` (the report's own error) or ``dismissed``.

        ``live``: a finding computed at review time rather than stored with the extraction (the cross-year
        checks, which depend on other reports), so there is no stored finding to look up.
        """
        if decision not in ("accepted", "dismissed"):
            raise StoreError(f"decision must be 'accepted' or 'dismissed', not {decision!r}")
        if decision == "dismissed" and not reason.strip():
            raise StoreError("dismissing a finding needs a reason")
        if not who:
            raise StoreError("a decision needs the reviewer's name")
        fkey = finding_key(rule, keys)
        with self._tx() as s:
            self._lock_review(s, doc_id)
            latest = s.execute(select(m.ExtractionVersion.id, m.ExtractionVersion.findings)
                               .where(m.ExtractionVersion.document_id == doc_id)
                               .order_by(m.ExtractionVersion.version.desc()).limit(1)).first()
            if latest is None:
                raise StoreError(f"document {doc_id} has no extraction")
            if not live and not any(finding_key(f["rule"], f.get("keys", [])) == fkey for f in latest.findings):
                raise StoreError(f"the latest extraction of document {doc_id} has no finding {fkey}")
            row = m.FindingDecision(document_id=doc_id, extraction_id=latest.id, rule=rule, keys=sorted(keys),
                                    finding_key=fkey, decision=decision, reason=reason, who=who,
                                    created_at=utcnow())
            s.add(row)
            s.flush()
            return FindingDecisionRow.model_validate(row)

    def finding_decisions(self, doc_id: int) -> dict[str, FindingDecisionRow]:
        """The latest decision per finding, by :func:`finding_key`."""
        return {d.finding_key: d for d in self.finding_decision_history(doc_id)}

    def finding_decision_history(self, doc_id: int) -> list[FindingDecisionRow]:
        with self._ro() as s:
            rows = s.scalars(select(m.FindingDecision).where(m.FindingDecision.document_id == doc_id)
                             .order_by(m.FindingDecision.id))
            return [FindingDecisionRow.model_validate(r) for r in rows]

    # -- review -----------------------------------------------------------------------------------
    def set_review_state(self, doc_id: int, state: ReviewState, *, who: str, note: str = "") -> ReviewRow:
        """Move a report to pending / confirmed / returned; confirming snapshots its current values."""
        if state not in REVIEW_STATES:
            raise StoreError(f"review state must be one of {REVIEW_STATES}, not {state!r}")
        if not who:
            raise StoreError("a review needs the reviewer's name")
        with self._tx() as s:
            review = self._lock_review(s, doc_id)
            now = utcnow()
            if state == "confirmed":
                extraction_id, values = self._current(s, doc_id)
                if extraction_id is None:
                    raise StoreError(f"document {doc_id} has no extraction to confirm")
                review.confirmed_extraction_id, review.confirmed_values, review.confirmed_at = \
                    extraction_id, values, now
            else:
                review.confirmed_extraction_id = review.confirmed_values = review.confirmed_at = None
            s.add(m.ReviewEvent(document_id=doc_id, old_state=review.state, new_state=state, note=note, who=who,
                                created_at=now))
            review.state, review.reviewer, review.note, review.updated_at = state, who, note, now
            s.flush()
            return ReviewRow.model_validate(review)

    def _unconfirm_if_changed(self, s: Session, review: m.Review, who: str, note: str) -> None:
        if review.state != "confirmed":
            return
        if self._current(s, review.document_id)[1] == review.confirmed_values:
            return
        now = utcnow()
        s.add(m.ReviewEvent(document_id=review.document_id, old_state="confirmed", new_state="pending", note=note,
                            who=who, created_at=now))
        review.state, review.note, review.updated_at = "pending", note, now
        review.confirmed_extraction_id = review.confirmed_values = review.confirmed_at = None

    def get_review(self, doc_id: int) -> ReviewRow:
        with self._ro() as s:
            review = s.get(m.Review, doc_id)
            if review is None:
                raise NotFoundError(f"no document {doc_id}")
            return ReviewRow.model_validate(review)

    def review_events(self, doc_id: int) -> list[ReviewEventRow]:
        with self._ro() as s:
            rows = s.scalars(select(m.ReviewEvent).where(m.ReviewEvent.document_id == doc_id)
                             .order_by(m.ReviewEvent.id))
            return [ReviewEventRow.model_validate(r) for r in rows]

    # -- queue and exports ------------------------------------------------------------------------
    def list_reports(self, *, state: ReviewState | Sequence[ReviewState] | None = None, agency: str | None = None,
                     year: int | None = None, template: str | None = None, extractor: str | None = None,
                     search: str | None = None, order_by: str = "uploaded_at", descending: bool = True,
                     limit: int | None = None, offset: int = 0) -> list[ReportRow]:
        """The review queue: every extracted document with its latest version and review state.

        ``agency`` matches exactly; ``search`` is a substring of the file name or the agency.
        ``order_by`` is any ReportRow field that is a column (uploaded_at, agency, year, n_error, state …).
        """
        E, D, R = m.ExtractionVersion, m.Document, m.Review
        latest = select(E.document_id, func.max(E.version).label("v")).group_by(E.document_id).subquery()
        n_edits = select(m.Edit.document_id, func.count().label("n")).group_by(m.Edit.document_id).subquery()
        cols = {
            "document_id": D.id, "sha256": D.sha256, "name": D.name, "type": D.type, "size": D.size,
            "uploaded_at": D.uploaded_at, "extraction_id": E.id, "version": E.version, "extractor": E.extractor,
            "model": E.model, "template": E.template, "agency": E.agency, "year": E.year, "n_error": E.n_error,
            "n_warning": E.n_warning, "n_info": E.n_info, "extracted_at": E.created_at, "state": R.state,
            "reviewer": R.reviewer, "reviewed_at": R.updated_at,
            "n_edits": func.coalesce(n_edits.c.n, 0),
        }
        if order_by not in cols:
            raise StoreError(f"cannot order by {order_by!r}; one of {sorted(cols)}")
        q = (select(*[c.label(k) for k, c in cols.items()])
             .join(latest, latest.c.document_id == D.id)
             .join(E, and_(E.document_id == D.id, E.version == latest.c.v))
             .join(R, R.document_id == D.id)
             .outerjoin(n_edits, n_edits.c.document_id == D.id))
        if state is not None:
            q = q.where(R.state.in_([state] if isinstance(state, str) else list(state)))
        if agency is not None:
            q = q.where(E.agency == agency)
        if year is not None:
            q = q.where(E.year == year)
        if template is not None:
            q = q.where(E.template == template)
        if extractor is not None:
            q = q.where(E.extractor == extractor)
        if search:
            like = f"%{search}%"
            q = q.where(or_(D.name.ilike(like), E.agency.ilike(like)))
        key = cols[order_by]
        q = q.order_by(key.desc() if descending else key.asc(), D.id.desc() if descending else D.id.asc())
        q = q.offset(offset).limit(limit)
        with self._ro() as s:
            return [ReportRow.model_validate(dict(r._mapping)) for r in s.execute(q)]

    def confirmed_values(self, *, agency: str | None = None, year: int | None = None,
                         template: str | None = None) -> list[dict[str, Any]]:
        """One flat dict per confirmed report: the CONFIRMED_META_COLUMNS, then ``{key: value}`` as confirmed."""
        E, D, R = m.ExtractionVersion, m.Document, m.Review
        q = (select(D.id, D.sha256, D.name, E.agency, E.year, E.template, E.extractor, E.id.label("extraction_id"),
                    R.reviewer, R.confirmed_at, R.confirmed_values)
             .join(R, R.document_id == D.id).join(E, E.id == R.confirmed_extraction_id)
             .where(R.state == "confirmed"))
        if agency is not None:
            q = q.where(E.agency == agency)
        if year is not None:
            q = q.where(E.year == year)
        if template is not None:
            q = q.where(E.template == template)
        out: list[dict[str, Any]] = []
        with self._ro() as s:
            for r in s.execute(q.order_by(E.agency, E.year, D.id)):
                row = dict(zip(CONFIRMED_META_COLUMNS, (r.id, r.sha256, r.name, r.agency, r.year, r.template,
                                                        r.extractor, r.extraction_id, r.reviewer, r.confirmed_at)))
                row.update(r.confirmed_values or {})
                out.append(row)
        return out

    # -- jobs -------------------------------------------------------------------------------------
    def create_job(self, options: Mapping[str, Any] | None = None, items: Iterable[NewJobItem | str] = (), *,
                   kind: str = "batch", created_by: str = "", job_id: str | None = None) -> JobRow:
        """A new job (status queued) with its items; ``items`` may be file names or :class:`NewJobItem`."""
        now = utcnow()
        jid = job_id or uuid.uuid4().hex
        with self._tx() as s:
            s.add(m.Job(id=jid, kind=kind, status="queued", options=dict(options or {}), created_by=created_by,
                        created_at=now, updated_at=now))
            s.flush()
            self._add_items(s, jid, items)
        return self.get_job(jid)

    def add_job_items(self, job_id: str, items: Iterable[NewJobItem | str]) -> list[JobItemRow]:
        with self._tx() as s:
            if s.get(m.Job, job_id) is None:
                raise NotFoundError(f"no job {job_id}")
            return [JobItemRow.model_validate(r) for r in self._add_items(s, job_id, items)]

    @staticmethod
    def _add_items(s: Session, job_id: str, items: Iterable[NewJobItem | str]) -> list[m.JobItem]:
        rows = []
        now = utcnow()
        for item in items:
            it = NewJobItem(file_name=item) if isinstance(item, str) else item
            rows.append(m.JobItem(job_id=job_id, file_name=it.file_name, document_sha=it.document_sha,
                                  document_id=it.document_id, status=it.status, error=it.error,
                                  extraction_id=it.extraction_id, attempts=0, created_at=now, updated_at=now))
        s.add_all(rows)
        s.flush()
        return rows

    def get_job(self, job_id: str) -> JobRow:
        with self._ro() as s:
            job = s.get(m.Job, job_id)
            if job is None:
                raise NotFoundError(f"no job {job_id}")
            return JobRow.model_validate(job).model_copy(update={"counts": self._counts(s, job_id)})

    def list_jobs(self, *, status: JobStatus | Sequence[JobStatus] | None = None,
                  limit: int | None = 100) -> list[JobRow]:
        """Newest first, with their counts."""
        q = select(m.Job).order_by(m.Job.created_at.desc(), m.Job.id).limit(limit)
        if status is not None:
            q = q.where(m.Job.status.in_([status] if isinstance(status, str) else list(status)))
        with self._ro() as s:
            return [JobRow.model_validate(j).model_copy(update={"counts": self._counts(s, j.id)})
                    for j in s.scalars(q)]

    def unfinished_jobs(self) -> list[JobRow]:
        """Jobs a restarted process should pick up (queued or running)."""
        return self.list_jobs(status=("queued", "running"), limit=None)

    @staticmethod
    def _counts(s: Session, job_id: str) -> JobCounts:
        got = dict(s.execute(select(m.JobItem.status, func.count()).where(m.JobItem.job_id == job_id)
                             .group_by(m.JobItem.status)).all())
        return JobCounts(total=sum(got.values()), **{k: got.get(k, 0) for k in ITEM_STATUSES})

    def job_counts(self, job_id: str) -> JobCounts:
        with self._ro() as s:
            return self._counts(s, job_id)

    def set_job_status(self, job_id: str, status: JobStatus) -> JobRow:
        if status not in JOB_STATUSES:
            raise StoreError(f"job status must be one of {JOB_STATUSES}, not {status!r}")
        with self._tx() as s:
            job = s.get(m.Job, job_id, with_for_update=True)
            if job is None:
                raise NotFoundError(f"no job {job_id}")
            now = utcnow()
            job.status, job.updated_at = status, now
            job.finished_at = now if status in ("done", "failed", "cancelled") else None
        return self.get_job(job_id)

    def finish_job_if_complete(self, job_id: str) -> JobRow:
        """Mark a queued/running job done once no item is queued or running; returns the job either way."""
        with self._tx() as s:
            job = s.get(m.Job, job_id, with_for_update=True)
            if job is None:
                raise NotFoundError(f"no job {job_id}")
            counts = self._counts(s, job_id)
            if job.status in ("queued", "running") and counts.queued == counts.running == 0:
                now = utcnow()
                job.status, job.updated_at, job.finished_at = "done", now, now
        return self.get_job(job_id)

    def job_items(self, job_id: str, *, status: ItemStatus | Sequence[ItemStatus] | None = None) -> list[JobItemRow]:
        q = select(m.JobItem).where(m.JobItem.job_id == job_id).order_by(m.JobItem.id)
        if status is not None:
            q = q.where(m.JobItem.status.in_([status] if isinstance(status, str) else list(status)))
        with self._ro() as s:
            return [JobItemRow.model_validate(r) for r in s.scalars(q)]

    def get_job_item(self, item_id: int) -> JobItemRow:
        with self._ro() as s:
            row = s.get(m.JobItem, item_id)
            if row is None:
                raise NotFoundError(f"no job item {item_id}")
            return JobItemRow.model_validate(row)

    def claim_next_item(self, job_id: str | None = None, *, worker: str = "") -> JobItemRow | None:
        """Atomically take the oldest queued item (of ``job_id``, or of any queued/running job) for ``worker``.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED`` (workers never wait for each other); SQLite: the
        ``BEGIN IMMEDIATE`` transaction makes the select-then-update one step. The item becomes
        running with one more attempt; its job becomes running. None when nothing is queued.
        """
        J, I = m.Job, m.JobItem
        running = aliased(I)
        q = select(I.id, I.job_id).join(J, J.id == I.job_id).where(I.status == "queued")
        q = q.where(I.job_id == job_id) if job_id is not None else q.where(J.status.in_(("queued", "running")))
        # the claim is per document: an item whose document another item (of any job) is running waits
        q = q.where(~exists().where(running.document_id == I.document_id, running.status == "running"))
        q = q.order_by(I.id).limit(1).with_for_update(skip_locked=True, of=I)
        for _attempt in range(5):
            try:
                with self._tx() as s:
                    got = s.execute(q).first()
                    if got is None:
                        return None
                    now = utcnow()
                    s.execute(update(I).where(I.id == got.id)
                              .values(status="running", attempts=I.attempts + 1, worker=worker, updated_at=now))
                    s.execute(update(J).where(J.id == got.job_id, J.status == "queued")
                              .values(status="running", updated_at=now))
                    return JobItemRow.model_validate(s.get_one(I, got.id, populate_existing=True))
            except IntegrityError:  # PostgreSQL: another worker claimed the same document a moment ago
                continue
        return None

    def _settle(self, item_id: int, worker: str | None, **values: Any) -> JobItemRow:
        I = m.JobItem
        with self._tx() as s:
            item = s.get(I, item_id, with_for_update=True)
            if item is None:
                raise NotFoundError(f"no job item {item_id}")
            if item.status != "running":
                raise StoreError(f"job item {item_id} is {item.status}, not running")
            if worker is not None and item.worker != worker:
                raise StoreError(f"job item {item_id} is now claimed by {item.worker!r}, not {worker!r}")
            for k, v in values.items():
                setattr(item, k, v)
            item.updated_at = utcnow()
            s.flush()
            return JobItemRow.model_validate(item)

    def finish_item(self, item_id: int, *, extraction_id: int | None = None, document_id: int | None = None,
                    document_sha: str | None = None, skipped: bool = False, note: str | None = None,
                    worker: str | None = None) -> JobItemRow:
        """A running item is done (or ``skipped``: already extracted, a duplicate …; ``note`` says why).

        With ``worker``, refuses when the item was requeued and claimed by another worker meanwhile.
        """
        values: dict[str, Any] = {"status": "skipped" if skipped else "done", "error": note}
        for k, v in (("extraction_id", extraction_id), ("document_id", document_id), ("document_sha", document_sha)):
            if v is not None:
                values[k] = v
        return self._settle(item_id, worker, **values)

    def fail_item(self, item_id: int, error: str, *, retry: bool = False, document_id: int | None = None,
                  document_sha: str | None = None, worker: str | None = None) -> JobItemRow:
        """A running item failed with ``error``; ``retry`` puts it back in the queue instead."""
        values: dict[str, Any] = {"status": "queued" if retry else "failed", "error": error}
        if document_id is not None:
            values["document_id"] = document_id
        if document_sha is not None:
            values["document_sha"] = document_sha
        return self._settle(item_id, worker, **values)

    def requeue_running(self, job_id: str | None = None, *, older_than: timedelta | None = None,
                        workers: Collection[str] | None = None) -> int:
        """Put items left running by a dead worker back in the queue; returns how many.

        ``older_than``: only items whose heartbeat is that old; ``workers``: only items of those
        workers (processes known to be dead). With neither, every running item (of ``job_id``).
        """
        I = m.JobItem
        q = update(I).where(I.status == "running")
        if job_id is not None:
            q = q.where(I.job_id == job_id)
        if older_than is not None:
            q = q.where(I.updated_at < utcnow() - older_than)
        if workers is not None:
            q = q.where(I.worker.in_(list(workers)))
        with self._tx() as s:
            return s.execute(q.values(status="queued", worker=None, updated_at=utcnow())).rowcount or 0

    def running_workers(self, job_id: str | None = None) -> set[str]:
        """The workers holding running items (of ``job_id``), to check which of them are still alive."""
        q = select(m.JobItem.worker).where(m.JobItem.status == "running", m.JobItem.worker.is_not(None)).distinct()
        if job_id is not None:
            q = q.where(m.JobItem.job_id == job_id)
        with self._ro() as s:
            return {w for w in s.scalars(q) if w}

    def touch_item(self, item_id: int) -> None:
        """Heartbeat: a long-running worker says it is still alive (see ``requeue_running``)."""
        with self._tx() as s:
            s.execute(update(m.JobItem).where(m.JobItem.id == item_id, m.JobItem.status == "running")
                      .values(updated_at=utcnow()))

    # -- OpenAI Batch API -------------------------------------------------------------------------
    def create_llm_batch(self, requests: Mapping[str, str], *, job_id: str | None = None,
                         batch_id: str | None = None, input_file_id: str | None = None, status: str = "created",
                         meta: Mapping[str, Any] | None = None) -> LlmBatchRow:
        """Record a batch before (or right after) submitting it; ``requests`` maps custom_id -> request hash."""
        now = utcnow()
        with self._tx() as s:
            row = m.LlmBatch(batch_id=batch_id, job_id=job_id, input_file_id=input_file_id, status=status,
                             requests=dict(requests), meta=dict(meta or {}), created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return LlmBatchRow.model_validate(row)

    def update_llm_batch(self, id: int, *, batch_id: str | None = _UNSET, status: str | None = _UNSET,
                         input_file_id: str | None = _UNSET, output_file_id: str | None = _UNSET,
                         error_file_id: str | None = _UNSET, meta: Mapping[str, Any] | None = _UNSET) -> LlmBatchRow:
        """Change the given fields only (``meta`` is merged into the stored one)."""
        with self._tx() as s:
            row = s.get(m.LlmBatch, id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no LLM batch {id}")
            for k, v in (("batch_id", batch_id), ("status", status), ("input_file_id", input_file_id),
                         ("output_file_id", output_file_id), ("error_file_id", error_file_id)):
                if v is not _UNSET:
                    setattr(row, k, v)
            if meta is not _UNSET and meta:
                row.meta = {**row.meta, **meta}
            row.updated_at = utcnow()
            s.flush()
            return LlmBatchRow.model_validate(row)

    def get_llm_batch(self, id: int) -> LlmBatchRow:
        with self._ro() as s:
            row = s.get(m.LlmBatch, id)
            if row is None:
                raise NotFoundError(f"no LLM batch {id}")
            return LlmBatchRow.model_validate(row)

    def find_llm_batch(self, batch_id: str) -> LlmBatchRow | None:
        with self._ro() as s:
            row = s.scalar(select(m.LlmBatch).where(m.LlmBatch.batch_id == batch_id))
            return LlmBatchRow.model_validate(row) if row else None

    def open_llm_batches(self, job_id: str | None = None) -> list[LlmBatchRow]:
        """Batches still to poll or to apply: any status but processed / failed / expired / cancelled."""
        q = select(m.LlmBatch).where(m.LlmBatch.status.not_in(LLM_BATCH_CLOSED)).order_by(m.LlmBatch.id)
        if job_id is not None:
            q = q.where(m.LlmBatch.job_id == job_id)
        with self._ro() as s:
            return [LlmBatchRow.model_validate(r) for r in s.scalars(q)]


def _extraction_row(row: m.ExtractionVersion, result_json: str) -> ExtractionRow:
    return ExtractionRow(
        id=row.id, document_id=row.document_id, version=row.version, extractor=row.extractor, model=row.model,
        template=row.template, agency=row.agency, year=row.year, values=row.values, usage=row.usage,
        n_error=row.n_error, n_warning=row.n_warning, n_info=row.n_info, seconds=row.seconds,
        created_at=row.created_at, created_by=row.created_by, result_json=result_json,
    )
