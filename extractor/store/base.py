"""What every part of the store shares: the errors, the sessions, and the current values of a report.

Every writing method runs in its own transaction that takes the write lock first (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: ``SELECT … FOR UPDATE`` on the document's review row, or ``SKIP LOCKED`` for
job items), so that the API, the batch workers and the UI can write at once without losing an edit
or claiming an item twice.

Current values of a report = the values of its latest extraction, overlaid with every human edit
in order (edits survive a re-extraction). A confirmed report whose current values change — by an
edit or by a new extraction that disagrees — goes back to pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from extractor._errors import XxgkError
from extractor.store import models as m
from extractor.store.engine import writer
from extractor.store.models import utcnow
from schemas.results import Finding, Number

T = TypeVar("T")


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


def number(value: Any, what: str) -> Number | None:
    """A value a person typed: a number or None (blank), never a bool or a string."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StoreError(f"{what} must be a number or None (blank), not {value!r}")
    return value


class StoreBase:
    """A handle on one database: its engine, a reading and a writing session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(writer(engine), expire_on_commit=False)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def shared_url(self) -> str | None:
        """The URL another process opens this same database with (password included: it goes to this
        process's own workers, never to a log); None for an in-memory SQLite, which no other process sees."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return None
        return url.render_as_string(hide_password=False)

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
    def _get(s: Session, model: type[T], key: object, what: str, *, lock: bool = False) -> T:
        """The row with this primary key, or NotFoundError naming ``what`` (``lock``: FOR UPDATE)."""
        row = s.get(model, key, with_for_update=lock)
        if row is None:
            raise NotFoundError(f"no {what} {key}")
        return row

    @staticmethod
    def _lock_review(s: Session, doc_id: int) -> m.Review:
        review = s.scalar(select(m.Review).where(m.Review.document_id == doc_id).with_for_update())
        if review is None:
            raise NotFoundError(f"no document {doc_id}")
        return review

    # -- current values: shared by extractions (a new version may unconfirm) and review ----------
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
