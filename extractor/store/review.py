"""Review: edits with their audit trail, decisions on findings, review states, the queue and confirmed exports."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import Label, Select, and_, func, or_, select

from extractor.store import models as m
from extractor.store.base import StoreBase, StoreError, finding_key, number
from extractor.store.models import utcnow
from extractor.store.types import (
    REVIEW_STATES,
    ConfirmedRow,
    Decision,
    EditRow,
    FindingDecisionRow,
    ReportRow,
    ReviewEventRow,
    ReviewRow,
    ReviewState,
)
from schemas.catalog import BY_KEY
from schemas.results import Number

Ts = TypeVarTuple("Ts")


class ReviewMixin(StoreBase):
    # -- edits ------------------------------------------------------------------------------------
    def record_edit(self, doc_id: int, key: str, new_value: Number | None, *, reason: str = "",
                    who: str) -> EditRow | None:
        """Change one value; writes an audit row with the old value. None (nothing written) if unchanged."""
        if key not in BY_KEY:
            raise StoreError(f"unknown key {key!r} (see schemas.catalog)")
        if not who:
            raise StoreError("an edit needs the reviewer's name")
        new_value = number(new_value, key)
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


    def get_review(self, doc_id: int) -> ReviewRow:
        with self._ro() as s:
            review = self._get(s, m.Review, doc_id, "document")
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
                     limit: int | None = None, offset: int = 0,
                     document_ids: Collection[int] | None = None) -> list[ReportRow]:
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
        labelled: list[Label[Any]] = [c.label(k) for k, c in cols.items()]
        q = (select(*labelled)
             .join(latest, latest.c.document_id == D.id)
             .join(E, and_(E.document_id == D.id, E.version == latest.c.v))
             .join(R, R.document_id == D.id)
             .outerjoin(n_edits, n_edits.c.document_id == D.id))
        if state is not None:
            q = q.where(R.state.in_([state] if isinstance(state, str) else list(state)))
        q = _of_reports(q, agency=agency, year=year, template=template)
        if extractor is not None:
            q = q.where(E.extractor == extractor)
        if document_ids is not None:
            q = q.where(D.id.in_(list(document_ids)))
        if search:
            like = f"%{search}%"
            q = q.where(or_(D.name.ilike(like), E.agency.ilike(like)))
        key = cols[order_by]
        q = q.order_by(key.desc() if descending else key.asc(), D.id.desc() if descending else D.id.asc())
        q = q.offset(offset).limit(limit)
        with self._ro() as s:
            return [ReportRow.model_validate(dict(r._mapping)) for r in s.execute(q)]

    def confirmed_values(self, *, agency: str | None = None, year: int | None = None,
                         template: str | None = None) -> list[ConfirmedRow]:
        """Every confirmed report (of an agency, year, template), by agency and year: the confirmed data."""
        E, D, R = m.ExtractionVersion, m.Document, m.Review
        q = (select(D.id, D.sha256, D.name, E.agency, E.year, E.template, E.extractor, E.id.label("extraction_id"),
                    R.reviewer, R.confirmed_at, R.confirmed_values)
             .join(R, R.document_id == D.id).join(E, E.id == R.confirmed_extraction_id)
             .where(R.state == "confirmed"))
        q = _of_reports(q, agency=agency, year=year, template=template)
        with self._ro() as s:
            return [ConfirmedRow(document_id=r.id, sha256=r.sha256, name=r.name, agency=r.agency, year=r.year,
                                 template=r.template, extractor=r.extractor, extraction_id=r.extraction_id,
                                 reviewer=r.reviewer, confirmed_at=r.confirmed_at, values=r.confirmed_values or {})
                    for r in s.execute(q.order_by(E.agency, E.year, D.id))]


def _of_reports(q: Select[*Ts], *, agency: str | None, year: int | None,
                template: str | None) -> Select[*Ts]:
    """``q`` narrowed to the reports (latest or confirmed extraction) of an agency, year and template."""
    E = m.ExtractionVersion
    for column, wanted in ((E.agency, agency), (E.year, year), (E.template, template)):
        if wanted is not None:
            q = q.where(column == wanted)
    return q
