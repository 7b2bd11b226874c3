"""The two real 2021-format PDFs in ../shared/real, read in place: every value and the right findings."""

from __future__ import annotations

import pytest

from extractor import extract
from tests.conftest import REAL, REAL_REPORTS, load_gold, real_pdf


@pytest.fixture(scope="module", params=REAL_REPORTS)
def real(request):
    slug = request.param
    return slug, extract(real_pdf(slug)), load_gold(REAL / f"{slug}.gold.json")


def test_all_186_values_equal_gold(real):
    slug, result, gold = real
    assert len(gold["values"]) == 186
    flat = result.flat()
    assert {k: flat.get(k, "MISSING") for k in gold["values"]} == gold["values"]


def test_metadata(real):
    slug, result, gold = real
    assert result.meta.agency == gold["meta"]["agency"]
    assert result.meta.year == gold["meta"]["year"] and result.meta.template == "2021"
    assert result.document.pages == 5


def test_values_point_at_their_page(real):
    slug, result, gold = real
    ev = result.values["t4.复议.维持"].evidence[0]
    assert ev.page == 4 and ev.bbox is not None
    assert result.values["t2.规章.本年制发"].evidence[0].page == 2


def test_findings(real):
    slug, result, gold = real
    report = result.report_findings()
    if slug.startswith("2023"):
        assert [(f.rule, f.detail["variant"], f.actual, f.expected) for f in report] == [
            ("t4.group_total", "行政复议", 0, 11), ("t4.group_total", "行政诉讼·复议后起诉", 0, 5)]
    else:
        assert [(f.rule, f.severity, f.actual, f.expected) for f in report] == [("prose.scope", "warning", 17, 95)]
    assert [f for f in result.findings if f.severity == "error" and f.category == "extraction"] == []
