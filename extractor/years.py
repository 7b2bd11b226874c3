"""Pair each agency's reports year by year and run the cross-year rules on each pair.

A reviewer holds a pile of reports, several years of several agencies; only consecutive years of
one agency can be compared. Reports the pairing cannot place (no agency or year detected, no
neighbouring year, the same agency and year twice) are listed with the reason instead of dropped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable

from extractor.rules import validate_years
from schemas.results import Finding, Result


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


def check_years(results: Iterable[Result]) -> YearsReport:
    """Group reports by agency, order them by year and check every consecutive pair."""
    by_agency: dict[str, dict[int, Result]] = {}
    unpaired: list[Unpaired] = []
    for r in results:
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
                pairs.append(YearPair(r.meta.agency or key, before, r, tuple(validate_years(r, before))))
            elif year + 1 not in years:
                unpaired.append(Unpaired(r, "没有相邻年度的报告 / no report of the year before or after"))
    return YearsReport(tuple(pairs), tuple(unpaired))
