"""Read-only questions the pages ask the database: how the store has changed, and the 数据 page's figures.

The data page must stay under a second per visit and per filter change with 10,000 reports in the
store. Summing a few values out of every confirmed report's JSON each time costs seconds (the
database parses each report's values and reads past each stored result to reach its findings), so
the figures the page aggregates are kept per report in a :class:`Summaries` table in memory: one
small row per confirmed report (agency, year, template, applications received, outcomes, the rules
of its findings not dismissed), read once when the server starts and then only for reports whose
review or decisions changed — the database says which from its indexes alone (:func:`confirmed_versions`).
Sums, counts and filters then run over those rows; the table's rows are read a page at a time by id.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, select

from extractor.store import Store, finding_key
from extractor.store import models as m
from schemas import catalog


def store_version(store: Store) -> tuple[int, ...]:
    """Largest ids of every table the pages read: equal tuples, nothing shown has changed."""
    ids = (m.Document.id, m.ExtractionVersion.id, m.Edit.id, m.FindingDecision.id, m.ReviewEvent.id)
    with store.engine.connect() as conn:
        row = conn.execute(select(*[select(func.max(c)).scalar_subquery() for c in ids])).one()
    return tuple(int(x or 0) for x in row)


# -- what is summed ---------------------------------------------------------------------------------------
RECEIVED = {"new": "t3.本年新收.总计", "2008": "old.收到申请数"}
# 依申请 outcomes: (label, keys for the 2019/2021 templates, keys for the 2008 table)
OUTCOMES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("予以公开", ("t3.予以公开.总计",), ("old.答复.已主动公开", "old.答复.同意公开")),
    ("部分公开", ("t3.部分公开.总计",), ("old.答复.部分公开",)),
    ("不予公开", ("t3.不予公开.总计",), ("old.答复.不同意公开",)),
    ("无法提供", ("t3.无法提供.总计",), ("old.答复.非本机关", "old.答复.信息不存在")),
    ("其他", ("t3.不予处理.总计", "t3.其他处理.总计"), ("old.答复.更改补充", "old.答复.其他途径", "old.答复.其他类型")),
)
Number = float | None


def _sum(values: Iterable[Number]) -> Number:
    """The sum of some values, None only when every one is blank (blank is not 0)."""
    got = [v for v in values if v is not None]
    return float(sum(got)) if got else None


def _group_total(values: dict[str, Any], key: str) -> Number:
    """A table 三 group total, from its items when the report prints no subtotal row."""
    if values.get(key) is not None:
        return float(values[key])
    table, group, col = key.split(".", 2)
    items = [f"t3.{r.id}.{col}" for r in catalog.rows("t3") if r.group == group]
    return _sum(values.get(k) for k in items) if table == "t3" else None


@dataclass(frozen=True)
class ReportSummary:
    """What the data page sums of one confirmed report."""

    document_id: int
    agency: str | None
    year: int | None
    template: str | None
    received: Number
    outcomes: tuple[Number, ...]  # in OUTCOMES order
    rules: tuple[str, ...]  # the rule of each finding not dismissed


def summarize(document_id: int, agency: str | None, year: int | None, template: str | None,
              values: dict[str, Any], findings: list[dict[str, Any]], dismissed: set[str]) -> ReportSummary:
    old = template == "2008"
    received = values.get(RECEIVED["2008" if old else "new"])
    outcomes = tuple(_sum(values.get(k) for k in old_keys) if old else _sum(_group_total(values, k) for k in new_keys)
                     for _, new_keys, old_keys in OUTCOMES)
    rules = tuple(f.get("rule", "") for f in findings
                  if finding_key(f.get("rule", ""), f.get("keys", [])) not in dismissed)
    return ReportSummary(document_id, agency, year, template, None if received is None else float(received), outcomes,
                         rules)


def confirmed_versions(store: Store) -> dict[int, tuple[int, int]]:
    """Each confirmed report with (its last review event, its last decision): read from indexes only."""
    R, RE, FD = m.Review, m.ReviewEvent, m.FindingDecision
    with store.engine.connect() as conn:
        confirmed = [d for (d,) in conn.execute(select(R.document_id).where(R.state == "confirmed"))]
        events = dict(conn.execute(select(RE.document_id, func.max(RE.id)).group_by(RE.document_id)).all())
        decisions = dict(conn.execute(select(FD.document_id, func.max(FD.id)).group_by(FD.document_id)).all())
    return {d: (events.get(d, 0), decisions.get(d, 0)) for d in confirmed}


def read_summaries(store: Store, doc_ids: Sequence[int], chunk: int = 500) -> dict[int, ReportSummary]:
    """Summaries of some confirmed reports, from their confirmed values, extraction and decisions."""
    E, R, FD = m.ExtractionVersion, m.Review, m.FindingDecision
    out: dict[int, ReportSummary] = {}
    for i in range(0, len(doc_ids), chunk):
        part = list(doc_ids[i:i + chunk])
        q = (select(R.document_id, E.agency, E.year, E.template, cast(R.confirmed_values, Text),
                    cast(E.findings, Text))
             .join(E, E.id == R.confirmed_extraction_id).where(R.document_id.in_(part), R.state == "confirmed"))
        latest = (select(FD.document_id, FD.finding_key, FD.decision, FD.id).where(FD.document_id.in_(part))
                  .order_by(FD.id))
        with store.engine.connect() as conn:
            last: dict[tuple[int, str], str] = {}
            for doc, key, decision, _ in conn.execute(latest):
                last[(doc, key)] = decision
            rows = conn.execute(q).all()
        dismissed: dict[int, set[str]] = {}
        for (doc, key), decision in last.items():
            if decision == "dismissed":
                dismissed.setdefault(doc, set()).add(key)
        for doc, agency, year, template, values, findings in rows:
            out[doc] = summarize(doc, agency, year, template, json.loads(values or "{}") or {},
                                 json.loads(findings or "[]") or [], dismissed.get(doc, set()))
    return out


class Summaries:
    """The summaries of every confirmed report, kept current: only what changed is read again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, tuple[tuple[int, int], ReportSummary]] = {}

    def current(self, store: Store) -> list[ReportSummary]:
        with self._lock:  # one reader at a time: a second visit waits for the first, then finds it done
            versions = confirmed_versions(store)
            stale = [d for d, v in versions.items() if d not in self._rows or self._rows[d][0] != v]
            for d in [d for d in self._rows if d not in versions]:
                del self._rows[d]
            if stale:
                fresh = read_summaries(store, stale)
                for d in stale:
                    if d in fresh:
                        self._rows[d] = (versions[d], fresh[d])
            return [s for _, s in self._rows.values()]


# -- questions over the summaries ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DataFilter:
    year: int | None = None
    agency: str | None = None
    template: str | None = None

    def admits(self, s: ReportSummary) -> bool:
        return ((self.year is None or s.year == self.year) and (not self.agency or s.agency == self.agency)
                and (not self.template or s.template == self.template))


def chosen(rows: Iterable[ReportSummary], f: DataFilter) -> list[ReportSummary]:
    """The reports of the filter, ordered by agency, year and number (the table's order)."""
    return sorted((s for s in rows if f.admits(s)), key=lambda s: (s.agency or "", s.year or 0, s.document_id))


def facets(rows: Iterable[ReportSummary]) -> dict[str, list]:
    """Years (newest first), agencies and templates among the confirmed reports, for the filters."""
    rows = list(rows)
    return {"year": sorted({s.year for s in rows if s.year is not None}, reverse=True),
            "agency": sorted({s.agency for s in rows if s.agency}),
            "template": sorted({s.template for s in rows if s.template})}


def received_by_year(rows: Iterable[ReportSummary], f: DataFilter) -> list[tuple[int, float, int]]:
    """(year, applications received, reports) for the filter's agency and template, every year."""
    by_year: dict[int, list[float]] = {}
    counts: Counter[int] = Counter()
    for s in rows:
        if s.year is None or not DataFilter(agency=f.agency, template=f.template).admits(s):
            continue
        counts[s.year] += 1
        by_year.setdefault(s.year, []).append(s.received or 0.0)
    return [(y, float(sum(by_year[y])), counts[y]) for y in sorted(counts)]


def outcomes_by_agency(rows: Iterable[ReportSummary], f: DataFilter, *, limit: int = 15) -> list[dict[str, Any]]:
    """依申请 outcomes per agency (the busiest ``limit`` agencies by applications handled)."""
    totals: dict[str, list[float]] = {}
    for s in rows:
        if s.agency and f.admits(s):
            acc = totals.setdefault(s.agency, [0.0] * len(OUTCOMES))
            for i, v in enumerate(s.outcomes):
                acc[i] += v or 0.0
    busiest = sorted(totals.items(), key=lambda kv: (-sum(kv[1]), kv[0]))[:limit]
    return [{"机关": agency, **{o[0]: v for o, v in zip(OUTCOMES, acc)}} for agency, acc in busiest]


def findings_by_rule(rows: Iterable[ReportSummary], f: DataFilter) -> list[tuple[str, int]]:
    """(rule, findings) over the filter's reports, findings whose last decision is 驳回 left out."""
    counts: Counter[str] = Counter(r for s in rows if f.admits(s) for r in s.rules)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


META = ("document_id", "name", "agency", "year", "template", "reviewer", "confirmed_at")


def confirmed_rows(store: Store, doc_ids: Sequence[int], keys: Sequence[str]) -> list[dict[str, Any]]:
    """One page of the table: those reports' meta columns and ``keys``, in the order of ``doc_ids``."""
    E, D, R = m.ExtractionVersion, m.Document, m.Review
    q = (select(D.id, D.name, E.agency, E.year, E.template, R.reviewer, R.confirmed_at, cast(R.confirmed_values, Text))
         .join(R, R.document_id == D.id).join(E, E.id == R.confirmed_extraction_id)
         .where(D.id.in_(list(doc_ids)), R.state == "confirmed"))
    with store.engine.connect() as conn:
        got = {r[0]: r for r in conn.execute(q)}
    out = []
    for doc in doc_ids:
        if doc in got:
            r = got[doc]
            values = json.loads(r[-1] or "{}") or {}
            out.append({**dict(zip(META, r[:-1])), **{k: values.get(k) for k in keys}})
    return out


__all__ = ["META", "OUTCOMES", "DataFilter", "ReportSummary", "Summaries", "chosen", "confirmed_rows",
           "confirmed_versions", "facets", "findings_by_rule", "outcomes_by_agency", "read_summaries",
           "received_by_year", "store_version", "summarize"]
