"""What the store hands out: plain frozen pydantic rows, never live ORM objects.

They can cross threads, be cached by Streamlit and be returned by FastAPI as they are.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.results import Finding, Number, Result, Usage

ReviewState = Literal["pending", "confirmed", "returned"]
REVIEW_STATES: tuple[ReviewState, ...] = ("pending", "confirmed", "returned")
REVIEW_LABELS: dict[str, str] = {"pending": "待审核", "confirmed": "已确认", "returned": "已退回"}

Decision = Literal["accepted", "dismissed"]
DECISION_LABELS: dict[str, str] = {"accepted": "报告自身错误", "dismissed": "已驳回"}

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
ItemStatus = Literal["queued", "running", "done", "failed", "skipped"]
ITEM_STATUSES: tuple[ItemStatus, ...] = ("queued", "running", "done", "failed", "skipped")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class DocumentRow(_Row):
    id: int
    sha256: str
    name: str
    type: str
    size: int
    uploaded_at: datetime
    uploaded_by: str = ""
    created: bool = False  # True when this call stored the file; False when the hash was already there


class ExtractionHead(_Row):
    """Who made an extraction and when, without its result or values (:meth:`Store.latest_heads`)."""

    id: int
    document_id: int
    version: int
    extractor: str
    created_at: datetime
    created_by: str


class ExtractionRow(_Row):
    id: int
    document_id: int
    version: int  # 1, 2, … per document
    extractor: str
    model: str | None
    template: str | None
    agency: str | None
    year: int | None
    values: dict[str, Number | None]
    usage: Usage
    n_error: int
    n_warning: int
    n_info: int
    seconds: float
    created_at: datetime
    created_by: str
    result_json: str = Field(repr=False)  # the stored Result as JSON text: write it out as is (results.jsonl)

    @cached_property
    def result(self) -> Result:
        """The full Result, parsed on first use (listing many versions does not pay for it)."""
        return Result.model_validate_json(self.result_json)


class ReviewRow(_Row):
    document_id: int
    state: ReviewState
    reviewer: str | None
    note: str
    updated_at: datetime
    confirmed_extraction_id: int | None
    confirmed_values: dict[str, Number | None] | None
    confirmed_at: datetime | None

    @property
    def label(self) -> str:
        return REVIEW_LABELS[self.state]


class ReviewEventRow(_Row):
    id: int
    document_id: int
    old_state: ReviewState
    new_state: ReviewState
    note: str
    who: str
    created_at: datetime


class EditRow(_Row):
    id: int
    document_id: int
    extraction_id: int
    key: str
    old_value: Number | None
    new_value: Number | None
    reason: str
    who: str
    created_at: datetime


class FindingDecisionRow(_Row):
    id: int
    document_id: int
    extraction_id: int
    rule: str
    keys: list[str]
    finding_key: str
    decision: Decision
    reason: str
    who: str
    created_at: datetime


class ConfirmedRow(_Row):
    """A confirmed report as the confirmed data gives it: the report, the extraction confirmed, who confirmed
    it and when, and the values as confirmed (a person's edits included)."""

    document_id: int
    sha256: str
    name: str
    agency: str | None
    year: int | None
    template: str | None
    extractor: str
    extraction_id: int
    reviewer: str | None
    confirmed_at: datetime | None
    values: dict[str, Number | None]


class ReportRow(_Row):
    """One line of the review queue: a document with its latest extraction and review state."""

    document_id: int
    sha256: str
    name: str
    type: str
    size: int
    uploaded_at: datetime
    extraction_id: int
    version: int
    extractor: str
    model: str | None
    template: str | None
    agency: str | None
    year: int | None
    n_error: int
    n_warning: int
    n_info: int
    extracted_at: datetime
    state: ReviewState
    reviewer: str | None
    reviewed_at: datetime
    n_edits: int

    @property
    def state_label(self) -> str:
        return REVIEW_LABELS[self.state]


class JobCounts(_Row):
    total: int = 0
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.skipped


class JobRow(_Row):
    id: str
    kind: str
    status: JobStatus
    options: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    counts: JobCounts = Field(default_factory=JobCounts)


class NewJobItem(BaseModel):
    """A file to add to a job. An item may start as ``failed`` (unreadable zip member) or ``skipped``."""

    file_name: str
    document_sha: str | None = None
    document_id: int | None = None
    status: ItemStatus = "queued"
    error: str | None = None
    extraction_id: int | None = None


class JobItemRow(_Row):
    id: int
    job_id: str
    document_id: int | None
    document_sha: str | None
    file_name: str
    status: ItemStatus
    error: str | None
    extraction_id: int | None
    attempts: int
    worker: str | None
    created_at: datetime
    updated_at: datetime


class LlmBatchRow(_Row):
    id: int
    batch_id: str | None
    job_id: str | None
    input_file_id: str | None
    output_file_id: str | None
    error_file_id: str | None
    status: str
    requests: dict[str, str]  # custom_id -> request hash
    meta: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredResult:
    """A Result made ready for the store where it was extracted: its JSON text, the JSON columns kept beside
    it (values, findings, usage) as text too, and the plain columns, so that whoever saves it (a batch's
    parent, many in one transaction) neither parses nor serialises anything again."""

    text: str
    sha256: str
    columns: dict[str, Any]
    json_columns: dict[str, str]

    @classmethod
    def of(cls, result: Result) -> StoredResult:
        severities = [f.severity for f in result.findings]
        return cls(result.model_dump_json(), result.document.sha256.lower(), {
            "extractor": result.extractor, "model": result.model, "template": result.meta.template,
            "agency": result.meta.agency, "year": result.meta.year, "n_error": severities.count("error"),
            "n_warning": severities.count("warning"), "n_info": severities.count("info"), "seconds": result.seconds,
        }, {
            "values": json.dumps({k: v.value for k, v in result.values.items()}, ensure_ascii=False,
                                 separators=(",", ":")),
            "findings": _FINDINGS.dump_json(result.findings).decode(),
            "usage": result.usage.model_dump_json(),
        })


_FINDINGS = TypeAdapter(list[Finding])


@dataclass(frozen=True, slots=True)
class StoredColumns:
    """A document's latest extraction as the exports write it (:meth:`Store.latest_columns`): the stored
    columns (values, findings and the metadata are kept beside the result) and the result's text as stored,
    unparsed. ``valid``: the stored result is JSON (a row damaged by hand is not); the exports tell this row
    from others by that field."""

    id: int
    document_id: int
    sha256: str
    extractor: str
    agency: str | None
    year: Any
    template: str | None
    values: Any
    findings: Any
    ocr_pages: Any
    result_json: str
    valid: bool


@dataclass(frozen=True)
class SketchArrays:
    """Stored narrative sketches laid end to end (see :meth:`Store.sketch_arrays`): document ``i``'s sketch is
    ``flat[sum(lengths[:i]) : sum(lengths[:i + 1])]``, ascending."""

    document_ids: list[int]
    agencies: list[str | None]
    flat: array  # int64 ('q')
    lengths: array  # int64 ('q')


@dataclass(frozen=True)
class JobAnswer:
    """What a batch worker made of a job item, for :meth:`Store.save_job_results`."""

    item_id: int
    result: StoredResult
    created_by: str


@dataclass(frozen=True)
class SavedAnswer:
    """What became of one :class:`JobAnswer`: its extraction id; or None with ``error`` None when the item
    is no longer the worker's (requeued and claimed by another, whose answer counts) or gone; or why it
    cannot be stored."""

    item_id: int
    extraction_id: int | None = None
    error: str | None = None
