"""Pair each agency's reports year by year and run the cross-year rules on each pair.

A reviewer holds a pile of reports, several years of several agencies; only consecutive years of
one agency can be compared. Reports the pairing cannot place (no agency or year detected, no
neighbouring year, the same agency and year twice) are listed with the reason instead of dropped.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import product
from math import prod
from typing import TYPE_CHECKING, Any

from extractor import safe_csv
from extractor.reader.solve import ABSENT, Row, constraints_for, cross_year_constraints, solve
from extractor.rules import PREVIOUS, RULES, validate_years
from schemas import catalog
from schemas.results import DocumentInfo, Finding, ReportMeta, Result, Value

if TYPE_CHECKING:
    from extractor.store import ReportRow, Store


MAX_COMBINATIONS = 20_000  # readings of a cross-year identity's open rows tried before giving up


@dataclass(frozen=True, slots=True)
class YearPair:
    """Two consecutive years of one agency and what the cross-year rules found."""

    agency: str
    previous: Result
    current: Result
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Unpaired:
    result: Result
    reason: str


@dataclass(frozen=True, slots=True)
class YearsReport:
    pairs: tuple[YearPair, ...]
    unpaired: tuple[Unpaired, ...]

    @property
    def findings(self) -> int:
        return sum(len(p.findings) for p in self.pairs)


def agency_key(name: str | None) -> str:
    """The agency name as compared across years: width-folded (NFKC), without any spaces."""
    if not name:
        return ""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(folded.split())


def settle(current: Result, previous: Result) -> Result:
    """``current`` with the run-together digits its own identities left open decided by last year's report.

    Only where exactly one reading keeps the cross-year identities (上年结转 = last year's 结转下年度,
    现行有效 = last year's + 制发 − 废止, 上一年项目数量, 历年累计 …) together with the report's own; the
    values decided so say so in their finding, for the reviewer to confirm. Anything else stays open.
    """
    open_rows = [f for f in current.findings if f.rule == "extract.ambiguous_split" and f.detail.get("candidates")]
    template = current.template
    if not open_rows or template is None or previous.template is None:
        return current
    rows: list[Row] = []
    for key, v in current.values.items():
        if v.status in ("number", "blank", "dash", "slash"):
            rows.append(Row((key,), [(v.value,)]))
    for key, v in previous.values.items():
        if v.status in ("number", "blank", "dash", "slash"):
            rows.append(Row((PREVIOUS + key,), [(v.value,)]))
    open_at = len(rows)
    rows += [Row(tuple(f.keys), [tuple(c) for c in f.detail["candidates"]]) for f in open_rows]
    rows += [Row(tuple(PREVIOUS + k for k in f.keys), [tuple(c) for c in f.detail["candidates"]])
             for f in previous.findings if f.rule == "extract.ambiguous_split" and f.detail.get("candidates")
             and any(previous.values[k].status == "text" for k in f.keys if k in previous.values)]
    form = catalog.table_form(template, current.values)
    solve(rows, [*constraints_for(template, form), *cross_year_constraints(template, previous.template)])
    values = dict(current.values)
    settled: list[Finding] = _broken_whatever_the_split(rows, open_at, template, previous)
    for f, row in zip(open_rows, rows[open_at:]):
        if len(row.candidates) != 1:
            continue
        for key, num in zip(row.keys, row.candidates[0]):
            values[key] = values[key].model_copy(update={
                "value": num, "status": "number" if num is not None else "dash",
                "raw": "—" if num is None else str(num), "candidates": []})
        settled.append(Finding(
            rule="extract.settled_by_previous", kind="extraction", category="extraction", severity="info",
            message=f"{f.message.split('，')[0]}，按上一年度报告（{previous.meta.year} 年）的数字只有一种拆分成立："
                    f"{'、'.join(str(x) for x in row.candidates[0])}，请核对",
            keys=list(row.keys), evidence=f.evidence,
            detail={"candidates": [list(row.candidates[0])], "previous": previous.document.name}))
    if not settled:
        return current
    done = {id(f) for f, row in zip(open_rows, rows[open_at:]) if len(row.candidates) == 1 and row.fixed_by}
    findings = [f for f in current.findings if id(f) not in done] + settled
    return current.model_copy(update={"values": values, "findings": findings})


def _broken_whatever_the_split(rows: list[Row], open_at: int, template: str, previous: Result) -> list[Finding]:
    """A cross-year identity that no reading of this year's open digits keeps: broken, whichever the report
    printed (the cross-year rules cannot see it, the values being undecided)."""
    out = []
    fixed = {k: r.candidates[0][0] for r in rows[:open_at] for k in r.keys}
    for c in cross_year_constraints(template, previous.template or ""):
        touched = [r for r in rows[open_at:] if set(r.keys) & set(c.keys)]
        if not touched or any(t.key not in fixed and not any(t.key in r.keys for r in touched)
                              for t in (*c.lhs, *c.rhs) if not t.optional):
            continue
        if prod(len(r.candidates) for r in touched) > MAX_COMBINATIONS:
            continue  # too many readings to be sure none keeps it
        if not any(c.holds(_getter(fixed, touched, combo)) for combo in product(*(r.candidates for r in touched))):
            out.append(Finding(
                rule=c.rule, kind="cross_year", category="report", severity="warning",
                message=f"与上一年度报告（{previous.meta.year} 年）对照：表中连在一起的数字无论怎样拆分，"
                        f"都不满足“{_rule_title(c.rule)}”",
                keys=[t.key for t in (*c.lhs, *c.rhs)], detail={"whatever_the_split": True}))
    return out


def _getter(fixed: dict, rows: list[Row], combo: tuple) -> Any:
    got = dict(fixed)
    for r, cand in zip(rows, combo):
        got.update(zip(r.keys, cand))
    return lambda k: got.get(k, ABSENT)


def _rule_title(rule_id: str) -> str:
    return next((r.title for r in RULES if r.id == rule_id), rule_id)


def check_years(results: Iterable[Result]) -> YearsReport:
    """Group reports by agency, order them by year and check every consecutive pair.

    The same file twice (same SHA-256) counts once, the first given.
    """
    by_agency: dict[str, dict[int, Result]] = {}
    unpaired: list[Unpaired] = []
    seen: set[str] = set()
    for r in results:
        if r.document.sha256:
            if r.document.sha256 in seen:  # the same file given twice (say, as a file and from the store)
                continue
            seen.add(r.document.sha256)
        key = agency_key(r.meta.agency)
        if not key:
            unpaired.append(Unpaired(r, "未识别出机关名称 / no agency detected"))
        elif r.meta.year is None:
            unpaired.append(Unpaired(r, "未识别出报告年度 / no year detected"))
        elif r.meta.year in by_agency.setdefault(key, {}):
            first = by_agency[key][r.meta.year]
            unpaired.append(Unpaired(r, f"与 {first.document.name or '另一份报告'} 同为 {r.meta.year} 年度 / "
                                        "same agency and year as another report"))
        else:
            by_agency[key][r.meta.year] = r
    pairs: list[YearPair] = []
    for key, years in sorted(by_agency.items()):
        for year, r in sorted(years.items()):
            before = years.get(year - 1)
            if before is not None:
                r = settle(r, before)
                whatever = [f for f in r.findings if f.kind == "cross_year"]
                pairs.append(YearPair(r.meta.agency or key, before, r, (*validate_years(r, before), *whatever)))
            elif year + 1 not in years:
                unpaired.append(Unpaired(r, "没有相邻年度的报告 / no report of the year before or after"))
    return YearsReport(tuple(pairs), tuple(unpaired))


def store_results(store: Store, rows: Iterable[ReportRow] | None = None, *, evidence: bool = False,
                  metadata_only: bool = False) -> list[Result]:
    """The latest result of each document in the store (all, or ``rows``) with the reviewers' edits applied.

    Without ``evidence`` only what the cross-year rules read is built (metadata, the narrative's sketch and
    the current values, a non-number being blank to them), not each stored Result: twice as fast. With
    ``metadata_only``, the file and its metadata alone (a report that pairs with none, a side of a pair of
    copies): nothing per report beyond what names it.
    """
    every = rows is None
    rows = list(store.list_reports() if rows is None else rows)
    if evidence:
        return [store.get_extraction(r.extraction_id).result.with_values(store.current_values(r.document_id))
                for r in rows]
    ids = None if every else [r.document_id for r in rows]
    current = store.current_values_many(ids) if not metadata_only else {}
    sketches = store.text_sketches(ids) if not metadata_only else {}
    out = []
    for r in rows:
        numbers = {k: Value(key=k, value=v, status="number" if v is not None else "blank", raw="" if v is None else str(v))
                   for k, v in current.get(r.document_id, {}).items()}
        out.append(Result(document=DocumentInfo(name=r.name, sha256=r.sha256, type=r.type, size=r.size,
                                                text_sketch=sketches.get(r.document_id, [])),
                          meta=ReportMeta(agency=r.agency, year=r.year, template=r.template),  # type: ignore[arg-type]
                          extractor=r.extractor, model=r.model, values=numbers))
    return out


def check_store(store: Store, doc_ids: Collection[int] | None = None) -> YearsReport:
    """The store's reports year against year: all of them, or the pairs and unpaired reports that involve
    ``doc_ids`` (a batch of this year's reports against last year's already in the store).

    Only agencies with two years or more have their values loaded: a report alone can pair with nothing.
    """
    rows = store.list_reports()
    if doc_ids is not None:
        mine = [r for r in rows if r.document_id in doc_ids]
        agencies = {agency_key(r.agency) for r in mine} - {""}
        rows = [r for r in rows if r.document_id in doc_ids or agency_key(r.agency) in agencies]
    years: dict[str, set[int]] = {}
    for r in rows:
        if agency_key(r.agency) and r.year is not None:
            years.setdefault(agency_key(r.agency), set()).add(r.year)
    several = {k for k, ys in years.items() if any(y + 1 in ys for y in ys)}
    paired = [r for r in rows if agency_key(r.agency) in several]
    alone = [r for r in rows if agency_key(r.agency) not in several]
    checked = check_years([*store_results(store, paired), *store_results(store, alone, metadata_only=True)])
    if doc_ids is None:
        return checked
    shas = {r.sha256 for r in mine}
    return YearsReport(
        tuple(p for p in checked.pairs if {p.previous.document.sha256, p.current.document.sha256} & shas),
        tuple(u for u in checked.unpaired if u.result.document.sha256 in shas))


def neighbours(store: Store, result: Result) -> YearsReport:
    """``result`` against the same agency's reports of the year before and after, as the store holds them."""
    key, year = agency_key(result.meta.agency), result.meta.year
    if not key or year is None:
        return YearsReport((), ())
    rows = [r for y in (year - 1, year + 1) for r in store.list_reports(year=y) if agency_key(r.agency) == key]
    checked = check_years([result, *store_results(store, rows, evidence=True)])
    return YearsReport(tuple(p for p in checked.pairs if p.previous is result or p.current is result), ())


def to_json(report: YearsReport) -> dict[str, Any]:
    """The cross-year check as plain data: each pair with its findings, then what could not be paired."""
    def side(r: Result) -> dict[str, Any]:
        return {"year": r.meta.year, "file": r.document.name, "sha256": r.document.sha256}

    return {
        "pairs": [{"agency": p.agency, "previous": side(p.previous), "current": side(p.current),
                   "findings": [f.model_dump(mode="json") for f in p.findings]} for p in report.pairs],
        "unpaired": [{**side(u.result), "agency": u.result.meta.agency, "reason": u.reason} for u in report.unpaired],
    }


def to_csv(report: YearsReport) -> str:
    """One row per cross-year finding, for a spreadsheet of a whole region's reports."""
    buf = io.StringIO()
    w = safe_csv.writer(buf)
    w.writerow(["agency", "previous_year", "year", "previous_file", "file", "rule", "severity", "message", "keys",
                "expected", "actual"])
    for p in report.pairs:
        for f in p.findings:
            w.writerow([p.agency, p.previous.meta.year, p.current.meta.year, p.previous.document.name,
                        p.current.document.name, f.rule, f.severity, f.message, " ".join(f.keys),
                        "" if f.expected is None else f.expected, "" if f.actual is None else f.actual])
    return buf.getvalue()
