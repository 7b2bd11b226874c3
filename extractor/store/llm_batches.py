"""OpenAI Batch API bookkeeping: each submitted batch, its file ids and the hash of every request in it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from extractor.store import models as m
from extractor.store.base import StoreBase
from extractor.store.models import utcnow
from extractor.store.types import LlmBatchRow

LLM_BATCH_CLOSED: frozenset[str] = frozenset({"processed", "failed", "expired", "cancelled"})
_UNSET: Any = object()


class LlmBatchesMixin(StoreBase):
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
            row = self._get(s, m.LlmBatch, id, "LLM batch", lock=True)
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
            row = self._get(s, m.LlmBatch, id, "LLM batch")
            return LlmBatchRow.model_validate(row)

    def find_llm_batch(self, batch_id: str) -> LlmBatchRow | None:
        with self._ro() as s:
            row = s.scalar(select(m.LlmBatch).where(m.LlmBatch.batch_id == batch_id))
            return LlmBatchRow.model_validate(row) if row else None

    def llm_batches(self, job_id: str) -> list[LlmBatchRow]:
        """Every batch of a job, open or closed, oldest first (a restarted run resumes these, never resubmits)."""
        q = select(m.LlmBatch).where(m.LlmBatch.job_id == job_id).order_by(m.LlmBatch.id)
        with self._ro() as s:
            return [LlmBatchRow.model_validate(r) for r in s.scalars(q)]

    def open_llm_batches(self, job_id: str | None = None) -> list[LlmBatchRow]:
        """Batches still to poll or to apply: any status but processed / failed / expired / cancelled."""
        q = select(m.LlmBatch).where(m.LlmBatch.status.not_in(LLM_BATCH_CLOSED)).order_by(m.LlmBatch.id)
        if job_id is not None:
            q = q.where(m.LlmBatch.job_id == job_id)
        with self._ro() as s:
            return [LlmBatchRow.model_validate(r) for r in s.scalars(q)]
