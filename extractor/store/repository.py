"""The store's one API, :class:`Store`: documents, review, jobs and LLM batches over one database.

Each part lives in its own module (``documents``, ``review``, ``jobs``, ``llm_batches``) on the shared
sessions of ``base``; this class puts them together. Open one with :func:`extractor.store.open_store`.
"""

from __future__ import annotations

from extractor.store.documents import DocumentsMixin
from extractor.store.jobs import JobsMixin
from extractor.store.llm_batches import LlmBatchesMixin
from extractor.store.review import ReviewMixin


class Store(DocumentsMixin, ReviewMixin, JobsMixin, LlmBatchesMixin):
    """A handle on one database. Thread-safe; open one per process with :func:`open_store`."""


__all__ = ["Store"]
