"""Documents (one per SHA-256), their immutable extraction versions, and their current values."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Collection, Sequence
from pathlib import Path

from sqlalchemy import (
    JSON,
    Dialect,
    Select,
    Subquery,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, defer

from extractor.store import models as m
from extractor.store.base import NotFoundError, StoreBase, StoreError
from extractor.store.models import utcnow
from extractor.store.types import (
    DocumentRow,
    ExtractionHead,
    ExtractionRow,
    JobAnswer,
    SavedAnswer,
    SketchArrays,
    StoredColumns,
    StoredResult,
)
from schemas.results import Number, Result, Usage


class DocumentsMixin(StoreBase):
    # -- documents --------------------------------------------------------------------------------
    def add_document(self, data: bytes, name: str, type: str | None = None, *, who: str = "") -> DocumentRow:
        """Store a file once per SHA-256; a second copy (any name) returns the first with ``created=False``."""
        sha = hashlib.sha256(data).hexdigest()
        kind = (type or _kind(name)).lower()
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

    def add_documents(self, files: Sequence[tuple[bytes, str]], *, who: str = "") -> list[DocumentRow]:
        """Many files stored in one transaction, each once per SHA-256: :meth:`add_document`'s answer for each,
        in order (a batch stores its inputs a chunk at a time). Should another writer store one of the same
        files meanwhile, the chunk is stored one file at a time instead."""
        shas = [hashlib.sha256(data).hexdigest() for data, _ in files]
        D = m.Document
        try:
            with self._tx() as s:
                have = dict(s.execute(select(D.sha256, D.id).where(D.sha256.in_(set(shas)))).all())
                new: dict[str, tuple[bytes, str]] = {}
                for (data, name), sha in zip(files, shas, strict=True):
                    if sha not in have:
                        new.setdefault(sha, (data, name))
                created: set[str] = set()
                if new:
                    now = utcnow()
                    table: Table = D.__table__  # type: ignore[assignment]  # the mapped class's Table
                    got = s.execute(insert(table).returning(table.c.id, table.c.sha256, sort_by_parameter_order=True), [
                        {"sha256": sha, "name": name, "type": _kind(name), "size": len(data), "uploaded_at": now,
                         "uploaded_by": who} for sha, (data, name) in new.items()]).all()
                    ids = {sha: doc_id for doc_id, sha in got}
                    s.execute(insert(m.DocumentFile), [{"document_id": ids[sha], "data": data}
                                                       for sha, (data, _name) in new.items()])
                    s.execute(insert(m.Review), [{"document_id": ids[sha], "state": "pending", "note": "",
                                                  "updated_at": now} for sha in new])
                    have |= ids
                    created = set(ids)
                rows = {d.sha256: DocumentRow.model_validate(d) for d in s.scalars(select(D).where(D.id.in_(have.values())))}
        except IntegrityError:  # another writer stored one of them a moment ago
            return [self.add_document(data, name, who=who) for data, name in files]
        out = []
        for sha in shas:
            first = sha in created
            created.discard(sha)
            out.append(rows[sha].model_copy(update={"created": first}))
        return out

    def get_document(self, doc_id: int) -> DocumentRow:
        with self._ro() as s:
            doc = self._get(s, m.Document, doc_id, "document")
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
        """The stored file (a connection, no session)."""
        reader = self.file_reader()
        try:
            return reader.read(doc_id)
        finally:
            reader.close()

    def small_files(self, doc_ids: Sequence[int], max_bytes: int) -> dict[int, bytes]:
        """The stored files of these documents that are at most ``max_bytes`` long, in one query: a batch's
        parent hands them to its workers with the task, so that a worker never waits on the database for them."""
        F = m.DocumentFile
        q = select(F.document_id, F.data).where(F.document_id.in_(list(doc_ids)), func.length(F.data) <= max_bytes)
        with self.engine.connect() as c:
            return {doc_id: bytes(data) for doc_id, data in c.execute(q)}

    def file_reader(self) -> FileReader:
        """A reader of stored files one after another on one connection (a batch's worker reads one per file)."""
        return FileReader(self.engine)

    def list_documents(self, *, limit: int | None = None, offset: int = 0) -> list[DocumentRow]:
        with self._ro() as s:
            q = select(m.Document).order_by(m.Document.id).offset(offset).limit(limit)
            return [DocumentRow.model_validate(d) for d in s.scalars(q)]

    # -- extractions ------------------------------------------------------------------------------
    def save_extraction(self, doc_id: int, result: Result, *, created_by: str = "") -> int:
        """Store ``result`` as the document's next version (never updates one); returns its id."""
        with self._tx() as s:
            doc = self._get(s, m.Document, doc_id, "document")
            stored = StoredResult.of(_filled(result, doc))
            if stored.sha256 != doc.sha256:
                raise StoreError(_other_file(stored.sha256, doc_id, doc.sha256))
            return self._insert_extractions(s, [(doc_id, stored, created_by)])[0]

    def save_job_result(self, item_id: int, worker: str, result_json: str, *, name: str, created_by: str) -> int | None:
        """One answer as a Result's JSON text (what a worker returns when it cannot prepare it for the store):
        :meth:`save_job_results` of one, its ``name`` the item's. NotFoundError for an item that is gone;
        StoreError for an answer that cannot be stored."""
        try:
            result = Result.model_validate_json(result_json)
        except ValueError as err:
            raise StoreError(f"not a result: {str(err)[:200]}") from None
        with self._ro() as s:
            item = s.get(m.JobItem, item_id)
            if item is None:
                raise NotFoundError(f"no job item {item_id}")
            if item.document_id is not None:
                result = _filled(result, s.get_one(m.Document, item.document_id), name)
        (saved,) = self.save_job_results(worker, [JobAnswer(item_id, StoredResult.of(result), created_by)])
        if saved.error:
            raise StoreError(saved.error)
        return saved.extraction_id

    def save_job_results(self, worker: str, answers: Sequence[JobAnswer]) -> list[SavedAnswer]:
        """Batch workers' answers saved, each as its document's next version with its job item finished, all in
        one transaction (a batch's parent saves what its workers prepared every fraction of a second). An
        item no longer ``worker``'s — requeued and claimed by another meanwhile, or settled — is left alone
        (that answer counts); an answer for another file is refused alone. In the order of ``answers``."""
        Item = m.JobItem
        ids = [a.item_id for a in answers]
        out = {i: SavedAnswer(i) for i in ids}
        with self._tx() as s:
            items = {r.id: r for r in s.execute(select(Item.id, Item.status, Item.worker, Item.document_id)
                                                .where(Item.id.in_(ids)).order_by(Item.id).with_for_update())}
            mine = [a for a in answers if (r := items.get(a.item_id)) is not None and r.status == "running"
                    and r.worker == worker and r.document_id is not None]
            shas = dict(s.execute(select(m.Document.id, m.Document.sha256).where(
                m.Document.id.in_({items[a.item_id].document_id for a in mine}))).all())
            good = []
            for a in mine:
                doc_id = items[a.item_id].document_id
                if a.result.sha256 and a.result.sha256 != shas[doc_id]:
                    out[a.item_id] = SavedAnswer(a.item_id, error=_other_file(a.result.sha256, doc_id, shas[doc_id]))
                else:
                    good.append(a)
            saved = self._insert_extractions(s, [(items[a.item_id].document_id, a.result, a.created_by) for a in good])
            now = utcnow()
            if good:  # one statement for all (not one per item): each is a round of the server's work
                s.execute(update(Item).where(Item.id.in_([a.item_id for a in good]))
                          .values(status="done", error=None, updated_at=now, extraction_id=case(
                              {a.item_id: e for a, e in zip(good, saved, strict=True)}, value=Item.id))
                          .execution_options(synchronize_session=False))
            for a, e in zip(good, saved, strict=True):
                out[a.item_id] = SavedAnswer(a.item_id, e)
        return [out[i] for i in ids]

    def _insert_extractions(self, s: Session, entries: Sequence[tuple[int, StoredResult, str]]) -> list[int]:
        """The next version of each (document, result, created_by), the results' text stored as it is; their ids.
        A confirmed review whose values a new version changes goes back to pending."""
        if not entries:
            return []
        R, E = m.Review, m.ExtractionVersion
        docs = sorted({d for d, _, _ in entries})
        states = dict(s.execute(select(R.document_id, R.state).where(R.document_id.in_(docs))
                                .order_by(R.document_id).with_for_update()).all())
        if missing := [d for d in docs if d not in states]:
            raise NotFoundError(f"no document {missing[0]}")
        last = dict(s.execute(select(E.document_id, func.max(E.version)).where(E.document_id.in_(docs))
                              .group_by(E.document_id)).all())
        now, rows = utcnow(), []
        for doc_id, stored, created_by in entries:
            last[doc_id] = (last.get(doc_id) or 0) + 1
            rows.append({**stored.columns, **{f"{k}_text": v for k, v in stored.json_columns.items()},
                         "document_id": doc_id, "version": last[doc_id], "result_text": stored.text,
                         "created_at": now, "created_by": created_by})
        table: Table = E.__table__  # type: ignore[assignment]  # the mapped class's Table
        texts = {column: bindparam(f"{column}_text", type_=_JsonText()) for column in _JSON_COLUMNS}
        stmt = insert(table).values(**texts).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(s.execute(stmt, rows).scalars())
        for doc_id, _stored, created_by in entries:
            if states[doc_id] == "confirmed":
                self._unconfirm_if_changed(s, s.get_one(R, doc_id), created_by or "system",
                                           "新的提取结果改变了数值 / a new extraction changed values")
        return ids

    @staticmethod
    def _extraction_query() -> Select[m.ExtractionVersion, str]:
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
        sub = _latest_versions(doc_ids)
        q = (self._extraction_query().join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
             .order_by(E.document_id))
        with self._ro() as s:
            return {r.document_id: _extraction_row(r, rj) for r, rj in s.execute(q)}

    def latest_columns(self, doc_ids: Sequence[int], *, text: bool = True) -> dict[int, StoredColumns]:
        """What the exports write of each document's latest extraction, read from its own columns: the result
        itself is not parsed (it was a third of an export's time), only handed over as text (``text``: for
        results.jsonl) with the file's hash and its OCR page count, which the database reads from it."""
        E, D = m.ExtractionVersion, m.Document
        sub = _latest_versions(doc_ids)
        valid = func.json_valid(cast(E.result, Text)) if self.backend == "sqlite" else literal(True)
        ocr_pages = case((valid, E.result[("document", "ocr_pages")]), else_=None)
        body = cast(E.result, Text) if text else literal("")
        q = (select(E.id, E.document_id, D.sha256, E.extractor, E.agency, E.year, E.template, E.values, E.findings,
                    ocr_pages, body, valid)
             .join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
             .join(D, D.id == E.document_id))
        with self._ro() as s:
            return {doc_id: StoredColumns(id_, doc_id, sha, extractor, agency, year, template, values, findings,
                                          pages, body_text, bool(ok))
                    for id_, doc_id, sha, extractor, agency, year, template, values, findings, pages, body_text, ok
                    in s.execute(q)}

    def latest_values(self, doc_ids: Sequence[int]) -> dict[int, tuple[str | None, dict[str, Number | None]]]:
        """The template and values of each document's latest extraction, without its result: the columns an
        export of many reports needs before its first row."""
        E = m.ExtractionVersion
        sub = _latest_versions(doc_ids)
        q = select(E.document_id, E.template, E.values).join(
            sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
        with self._ro() as s:
            return {doc_id: (template, dict(values or {})) for doc_id, template, values in s.execute(q)}

    def latest_heads(self, doc_ids: Sequence[int]) -> dict[int, ExtractionHead]:
        """Who made each document's latest extraction, and when, without its result or values: what a batch
        asks of every file it stores or claims (a rerun over extracted files reads no result)."""
        E = m.ExtractionVersion
        sub = _latest_versions(doc_ids)
        q = select(E.id, E.document_id, E.version, E.extractor, E.created_at, E.created_by).join(
            sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
        with self._ro() as s:
            return {r.document_id: ExtractionHead.model_validate(r) for r in s.execute(q)}

    def extractions(self, doc_id: int) -> list[ExtractionRow]:
        """Every version of a document, oldest first."""
        E = m.ExtractionVersion
        with self._ro() as s:
            rows = s.execute(self._extraction_query().where(E.document_id == doc_id).order_by(E.version))
            return [_extraction_row(r, rj) for r, rj in rows]

    # -- current values ---------------------------------------------------------------------------
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
        sub = _latest_versions(doc_ids)
        q = (select(E.document_id, E.result[("document", "text_sketch")])
             .join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v)))
        if self.backend == "sqlite":  # a damaged row (not JSON) is left out, not an error for every other
            q = q.where(func.json_valid(cast(E.result, Text)))
        with self._ro() as s:
            return {doc_id: sketch for doc_id, sketch in s.execute(q) if isinstance(sketch, list)}

    def sketch_arrays(self) -> SketchArrays:
        """Every document's narrative sketch (of its latest extraction) with its agency, laid end to end in
        integer arrays as the database hands the rows over: a search for copies over a whole store holds 8
        bytes a value, not a Python list per report (a gigabyte at 100,000). Newest upload first, as the
        review queue; documents without a sketch are left out."""
        E, D = m.ExtractionVersion, m.Document
        sub = _latest_versions(None)
        q = (select(E.document_id, E.agency, E.result[("document", "text_sketch")])
             .join(sub, and_(E.document_id == sub.c.document_id, E.version == sub.c.v))
             .join(D, D.id == E.document_id).order_by(D.uploaded_at.desc(), D.id.desc()))
        if self.backend == "sqlite":  # a damaged row (not JSON) is left out, not an error for every other
            q = q.where(func.json_valid(cast(E.result, Text)))
        out = SketchArrays([], [], array("q"), array("q"))
        with self._ro() as s:
            for doc_id, agency, sketch in s.execute(q.execution_options(yield_per=SKETCHES_READ)):
                if not isinstance(sketch, list) or not sketch:
                    continue
                try:
                    values = array("q", sorted(sketch))
                except (TypeError, OverflowError):  # a damaged sketch: left out, as one that is not JSON
                    continue
                out.document_ids.append(doc_id)
                out.agencies.append(agency)
                out.flat.extend(values)
                out.lengths.append(len(values))
        return out


SKETCHES_READ = 2000  # rows the database hands over at a time for sketch_arrays
_JSON_COLUMNS = ("result", "values", "findings", "usage")  # stored as the JSON text a StoredResult brings
_FILE_DATA = select(m.DocumentFile.data).where(m.DocumentFile.document_id == bindparam("doc_id"))


class FileReader:
    """Stored files read on one connection held open in autocommit: no pool checkout, liveness ping or
    transaction per file (on PostgreSQL those were three round trips and 0.25 ms of the server's CPU a file).
    A connection the database dropped is opened again once. For one thread; :meth:`close` when done."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def read(self, doc_id: int) -> bytes:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                data = self._conn.execute(_FILE_DATA, {"doc_id": doc_id}).scalar()
                break
            except DBAPIError as err:
                self.close()
                if attempt == 2 or not err.connection_invalidated:
                    raise
        if data is None:
            raise NotFoundError(f"no document {doc_id}")
        return bytes(data)

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


def _kind(name: str) -> str:
    """A stored file's type: its name's suffix (``bin`` without one)."""
    return (Path(name).suffix.lstrip(".") or "bin").lower()


class _JsonText(TypeDecorator[str]):
    """A JSON column's value given as the JSON text itself (a StoredResult's): sent as it is, not encoded again."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _filled(result: Result, doc: m.Document, name: str = "") -> Result:
    """The result with the stored file's facts where it has none (``name``: the name to keep)."""
    info = result.document
    return result.model_copy(update={"document": info.model_copy(update={
        "sha256": info.sha256 or doc.sha256, "name": name or info.name or doc.name, "type": info.type or doc.type,
        "size": info.size or doc.size})})


def _other_file(sha: str, doc_id: int, doc_sha: str) -> str:
    return f"result is for {sha[:12]}…, document {doc_id} is {doc_sha[:12]}…"


def _latest_versions(doc_ids: Sequence[int] | None) -> Subquery:
    """(document_id, v): the latest version of each of ``doc_ids`` (of every document when None) that has one."""
    E = m.ExtractionVersion
    latest = select(E.document_id, func.max(E.version).label("v")).group_by(E.document_id)
    if doc_ids is not None:
        latest = latest.where(E.document_id.in_(list(doc_ids)))
    return latest.subquery()


def _extraction_row(row: m.ExtractionVersion, result_json: str) -> ExtractionRow:
    return ExtractionRow(
        id=row.id, document_id=row.document_id, version=row.version, extractor=row.extractor, model=row.model,
        template=row.template, agency=row.agency, year=row.year, values=row.values,
        usage=Usage.model_validate(row.usage),
        n_error=row.n_error, n_warning=row.n_warning, n_info=row.n_info, seconds=row.seconds,
        created_at=row.created_at, created_by=row.created_by, result_json=result_json,
    )
