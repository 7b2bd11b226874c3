"""Jobs and their items: a queue that workers in many processes claim from, settle, and resume after a crash."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from extractor.store import models as m
from extractor.store.base import NotFoundError, StoreBase, StoreError
from extractor.store.models import utcnow
from extractor.store.types import (
    ITEM_STATUSES,
    ItemStatus,
    JobCounts,
    JobItemRow,
    JobRow,
    JobStatus,
    NewJobItem,
)

JOB_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed", "cancelled")


class JobsMixin(StoreBase):
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
            job = self._get(s, m.Job, job_id, "job")
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
            job = self._get(s, m.Job, job_id, "job", lock=True)
            now = utcnow()
            job.status, job.updated_at = status, now
            job.finished_at = now if status in ("done", "failed", "cancelled") else None
        return self.get_job(job_id)

    def finish_job_if_complete(self, job_id: str) -> JobRow:
        """Mark a queued/running job done once no item is queued or running; returns the job either way."""
        with self._tx() as s:
            job = self._get(s, m.Job, job_id, "job", lock=True)
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
            row = self._get(s, m.JobItem, item_id, "job item")
            return JobItemRow.model_validate(row)

    def claim_next_item(self, job_id: str | None = None, *, worker: str = "") -> JobItemRow | None:
        """Atomically take the oldest queued item (of ``job_id``, or of any queued/running job) for ``worker``.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED`` (workers never wait for each other); SQLite: the
        ``BEGIN IMMEDIATE`` transaction makes the select-then-update one step. The item becomes
        running with one more attempt; its job becomes running. None when nothing is queued.
        """
        got = self.claim_next_items(job_id, 1, worker=worker)
        return got[0] if got else None

    def claim_next_items(self, job_id: str | None = None, n: int = 1, *, worker: str = "") -> list[JobItemRow]:
        """Up to ``n`` of the oldest queued items at once, as :meth:`claim_next_item` takes one (a batch fills
        all its idle workers in one transaction); never two items of one document."""
        J, Item = m.Job, m.JobItem
        running = aliased(Item)
        q = select(Item.id, Item.job_id, Item.document_id).join(J, J.id == Item.job_id).where(Item.status == "queued")
        q = q.where(Item.job_id == job_id) if job_id is not None else q.where(J.status.in_(("queued", "running")))
        # the claim is per document: an item whose document another item (of any job) is running waits
        q = q.where(~exists().where(running.document_id == Item.document_id, running.status == "running"))
        q = q.order_by(Item.id).limit(2 * n).with_for_update(skip_locked=True, of=Item)
        for _attempt in range(5):
            try:
                with self._tx() as s:
                    picked, documents = [], set()
                    for row in s.execute(q):
                        if row.document_id is None or row.document_id not in documents:
                            picked.append(row)
                            documents.add(row.document_id)
                        if len(picked) == n:
                            break
                    if not picked:
                        return []
                    now = utcnow()
                    # the claimed rows as the update leaves them, returned by it (no ORM objects, no second select)
                    items: Table = Item.__table__  # type: ignore[assignment]  # the mapped class's Table
                    rows = s.execute(update(items).where(items.c.id.in_([r.id for r in picked]))
                                     .values(status="running", attempts=items.c.attempts + 1, worker=worker,
                                             updated_at=now).returning(*items.c))
                    claimed = sorted((JobItemRow.model_validate(r) for r in rows), key=lambda r: r.id)
                    s.execute(update(J).where(J.id.in_({r.job_id for r in picked}), J.status == "queued")
                              .values(status="running", updated_at=now))
                    return claimed
            except IntegrityError:  # PostgreSQL: another worker claimed the same document a moment ago
                continue
        return []

    def _settle(self, item_id: int, worker: str | None, **values: Any) -> JobItemRow:
        Item = m.JobItem
        with self._tx() as s:
            item = s.get(Item, item_id, with_for_update=True)
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
        Item = m.JobItem
        q = update(Item).where(Item.status == "running")
        if job_id is not None:
            q = q.where(Item.job_id == job_id)
        if older_than is not None:
            q = q.where(Item.updated_at < utcnow() - older_than)
        if workers is not None:
            q = q.where(Item.worker.in_(list(workers)))
        with self._tx() as s:
            done = s.execute(q.values(status="queued", worker=None, updated_at=utcnow()))
            return cast(CursorResult[Any], done).rowcount or 0

    def running_workers(self, job_id: str | None = None) -> set[str]:
        """The workers holding running items (of ``job_id``), to check which of them are still alive."""
        q = select(m.JobItem.worker).where(m.JobItem.status == "running", m.JobItem.worker.is_not(None)).distinct()
        if job_id is not None:
            q = q.where(m.JobItem.job_id == job_id)
        with self._ro() as s:
            return {w for w in s.scalars(q) if w}

    def touch_items(self, item_ids: Collection[int]) -> None:
        """Heartbeat: a long-running worker says it is still alive on these items, in one transaction (see
        ``requeue_running``)."""
        if not item_ids:
            return
        with self._tx() as s:
            s.execute(update(m.JobItem).where(m.JobItem.id.in_(list(item_ids)), m.JobItem.status == "running")
                      .values(updated_at=utcnow()))
