"""The store: documents, immutable extraction versions, review and audit, jobs, LLM batches.

    from extractor.store import open_store
    store = open_store()                      # $XXGK_DATABASE_URL, else ~/.local/share/xxgk/xxgk.sqlite
    doc = store.add_document(data, "报告.pdf")  # once per SHA-256
    ext_id = store.save_extraction(doc.id, result, created_by="batch")
    store.record_edit(doc.id, "t3.本年新收.总计", 42, reason="表格印刷错误", who="张三")
    store.set_review_state(doc.id, "confirmed", who="张三")

SQLite (WAL, foreign keys, busy timeout) by default; PostgreSQL via ``XXGK_DATABASE_URL`` or ``url``
(``postgresql+psycopg://user:pw@host/db``). Migrations ship inside the package and run on open.
"""

from __future__ import annotations

import os

try:
    import alembic  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("the store needs the [store] extra: pip install 'xxgk[store]'") from exc

from sqlalchemy.exc import DBAPIError

from extractor.store.base import NotFoundError, StoreError, StoreUnavailableError, finding_key, finding_key_of
from extractor.store.config import data_dir, resolve_url
from extractor.store.engine import current_revision, head_revision, make_engine, one_line, retrying, upgrade
from extractor.store.jobs import JOB_STATUSES
from extractor.store.llm_batches import LLM_BATCH_CLOSED
from extractor.store.repository import Store
from extractor.store.types import (
    DECISION_LABELS,
    REVIEW_LABELS,
    REVIEW_STATES,
    ConfirmedRow,
    Decision,
    DocumentRow,
    EditRow,
    ExtractionHead,
    ExtractionRow,
    FindingDecisionRow,
    ItemStatus,
    JobAnswer,
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
    SavedAnswer,
    SketchArrays,
    StoredColumns,
    StoredResult,
)


def open_store(url: str | os.PathLike[str] | None = None, *, migrate: bool = True) -> Store:
    """Open (creating if needed) the database and bring its schema to the latest migration.

    Safe from many processes at once (batch workers, the API, the UI): migrations wait for each other,
    and "database is locked" or a server still starting is waited out. A database that cannot be
    opened — unreachable, refused, a file that is not a database — is one :class:`StoreUnavailableError`
    line (the URL shown without its password).
    """
    resolved = resolve_url(url)
    engine = make_engine(resolved)
    try:
        if migrate:
            retrying(lambda: upgrade(engine), what="open")
        else:
            retrying(lambda: engine.connect().close(), what="open")
    except DBAPIError as err:
        engine.dispose()
        raise StoreUnavailableError(f"无法打开数据库 / cannot open the database "
                                    f"{resolved.render_as_string(hide_password=True)}: {one_line(err)}") from None
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


__all__ = [
    "DECISION_LABELS",
    "JOB_STATUSES",
    "LLM_BATCH_CLOSED",
    "REVIEW_LABELS",
    "REVIEW_STATES",
    "ConfirmedRow",
    "Decision",
    "DocumentRow",
    "EditRow",
    "ExtractionHead",
    "ExtractionRow",
    "FindingDecisionRow",
    "ItemStatus",
    "JobAnswer",
    "JobCounts",
    "JobItemRow",
    "JobRow",
    "JobStatus",
    "LlmBatchRow",
    "NewJobItem",
    "NotFoundError",
    "ReportRow",
    "ReviewEventRow",
    "ReviewRow",
    "ReviewState",
    "SavedAnswer",
    "SketchArrays",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "StoredColumns",
    "StoredResult",
    "current_revision",
    "data_dir",
    "finding_key",
    "finding_key_of",
    "head_revision",
    "open_store",
    "resolve_url",
    "upgrade",
]
