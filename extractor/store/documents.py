"""Documents (one per SHA-256), their immutable extraction versions, and their current values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, Text, and_, cast, func, insert, select
from sqlalchemy.orm import Session, defer

from extractor.store import models as m
from extractor.store.base import NotFoundError, StoreBase, StoreError
from extractor.store.models import utcnow
from extractor.store.types import DocumentRow, ExtractionRow
from schemas.results import Number, Result, Usage


class DocumentsMixin(StoreBase):
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
            return self._insert_extraction(s, doc_id, result.model_dump(mode="json"), created_by)

    def save_job_result(self, item_id: int, worker: str, result: str | Mapping[str, Any], *, name: str,
                        created_by: str) -> int | None:
        """A batch worker's answer (a Result as JSON text or JSON data, as the worker made it) saved as its
        document's next version and its job item finished, in one transaction: the extraction id, or None when
        the item is no longer this worker's (requeued and claimed by another meanwhile: that answer counts).
        One transaction and no pydantic round trip: a batch does this for every file."""
        payload = dict(json.loads(result) if isinstance(result, str) else result)
        payload["document"] = {**(payload.get("document") or {}), "name": name}
        with self._tx() as s:
            item = s.get(m.JobItem, item_id, with_for_update=True)
            if item is None:
                raise NotFoundError(f"no job item {item_id}")
            if item.status != "running" or item.worker != worker or item.document_id is None:
                return None
            extraction_id = self._insert_extraction(s, item.document_id, payload, created_by)
            item.status, item.error, item.extraction_id, item.updated_at = "done", None, extraction_id, utcnow()
            return extraction_id

    def _insert_extraction(self, s: Session, doc_id: int, payload: dict[str, Any], created_by: str) -> int:
        """The next version of the document from ``payload`` (a Result as JSON data), its file facts the store's."""
        review = self._lock_review(s, doc_id)
        doc = s.get_one(m.Document, doc_id)
        info = dict(payload.get("document") or {})
        sha = str(info.get("sha256") or "").lower()
        if sha and sha != doc.sha256:
            raise StoreError(f"result is for {sha[:12]}…, document {doc_id} is {doc.sha256[:12]}…")
        info.update(sha256=doc.sha256, name=info.get("name") or doc.name, type=info.get("type") or doc.type,
                    size=info.get("size") or doc.size)
        payload = {**payload, "document": info}
        meta = payload.get("meta") or {}
        last = s.scalar(select(func.max(m.ExtractionVersion.version)).where(
            m.ExtractionVersion.document_id == doc_id)) or 0
        severities = [f.get("severity") for f in payload.get("findings") or []]
        row = m.ExtractionVersion(
            document_id=doc_id, version=last + 1, extractor=payload.get("extractor"), model=payload.get("model"),
            template=meta.get("template"), agency=meta.get("agency"), year=meta.get("year"),
            result=payload, values={k: v["value"] for k, v in (payload.get("values") or {}).items()},
            findings=payload.get("findings") or [], usage=payload.get("usage"), n_error=severities.count("error"),
            n_warning=severities.count("warning"), n_info=severities.count("info"), seconds=payload.get("seconds"),
            created_at=utcnow(), created_by=created_by,
        )
        s.add(row)
        s.flush()
        self._unconfirm_if_changed(s, review, created_by or "system",
                                   "新的提取结果改变了数值 / a new extraction changed values")
        return row.id

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


def _extraction_row(row: m.ExtractionVersion, result_json: str) -> ExtractionRow:
    return ExtractionRow(
        id=row.id, document_id=row.document_id, version=row.version, extractor=row.extractor, model=row.model,
        template=row.template, agency=row.agency, year=row.year, values=row.values,
        usage=Usage.model_validate(row.usage),
        n_error=row.n_error, n_warning=row.n_warning, n_info=row.n_info, seconds=row.seconds,
        created_at=row.created_at, created_by=row.created_by, result_json=result_json,
    )
