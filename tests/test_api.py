"""End to end on the seed report: every table value, the prose figures, and exactly its three findings."""

from __future__ import annotations

import pytest

from extractor import NotAReportError, extract
from tests.conftest import SEED_TXT

KNOWN = {"old.channels_upper", "old.responses_sum", "prose.mismatch"}


@pytest.fixture(scope="module")
def seed_result():
    return extract(SEED_TXT)


def test_seed_all_60_values_equal_gold(seed_result, seed_gold):
    gold = seed_gold["values"]
    assert len(gold) == 60
    flat = seed_result.flat()
    wrong = {k: (flat.get(k, "MISSING"), v) for k, v in gold.items() if flat.get(k, "MISSING") != v}
    assert wrong == {}


def test_seed_blank_cells_stay_blank_not_zero(seed_result):
    v = seed_result.values["old.渠道.政府公报"]
    assert v.value is None and v.status == "blank" and v.raw == ""
    assert seed_result.values["old.新闻发布会"].value == 4


def test_seed_prose_values_equal_gold(seed_result, seed_gold):
    prose = {k: v.value for k, v in seed_result.prose_values.items()}
    for key, value in seed_gold["prose_values"].items():
        assert prose.get(key) == value, key
    table = seed_result.flat()
    for key, value in prose.items():  # extra prose figures only restate the table (or a blank as 0)
        if key not in seed_gold["prose_values"]:
            assert table.get(key) in (value, None), key


def test_seed_raises_exactly_the_three_known_inconsistencies(seed_result):
    report = seed_result.report_findings()
    assert {f.rule for f in report} == KNOWN
    assert len(report) == 3
    errors = [f for f in seed_result.findings if f.severity == "error"]
    assert {f.rule for f in errors} == KNOWN
    by_rule = {f.rule: f for f in report}
    assert (by_rule["old.channels_upper"].actual, by_rule["old.channels_upper"].expected) == (42658, 42642)
    assert (by_rule["old.responses_sum"].actual, by_rule["old.responses_sum"].expected) == (312, 340)
    prose = by_rule["prose.mismatch"]
    assert (prose.actual, prose.expected) == (1, 3)
    assert prose.keys == ["old.诉讼.其他"]


def test_seed_findings_point_at_their_cells(seed_result):
    f = next(f for f in seed_result.findings if f.rule == "old.responses_sum")
    ev = f.evidence["old.回应解读总数"][0]
    doc_text = SEED_TXT.read_text(encoding="utf-8")
    assert ev.text == "312"
    assert "312" in doc_text
    prose = next(f for f in seed_result.findings if f.rule == "prose.mismatch")
    sentence = prose.evidence["old.诉讼.其他（正文）"][0].text
    assert "其他情形1件" in sentence


def test_seed_metadata(seed_result, seed_gold):
    meta = seed_result.meta
    assert meta.agency == seed_gold["meta"]["agency"]
    assert meta.year == 2017 and meta.template == "2008"
    assert str(meta.published) == seed_gold["meta"]["published"]
    assert str(meta.period_start) == "2017-01-01" and str(meta.period_end) == "2017-12-31"


def test_evidence_offsets_map_back_to_the_raw_text(seed_result):
    from extractor.api import read_document
    from extractor.document import Span

    doc, _ = read_document(SEED_TXT)
    v = seed_result.values["old.举报投诉"]
    ev = v.evidence[0]
    assert doc.text[ev.start:ev.end] == "671"
    a, b = doc.raw_span(Span(ev.start, ev.end))
    assert doc.raw_text[a:b] == "671"


def test_not_a_report_is_refused(tmp_path):
    p = tmp_path / "menu.txt"
    p.write_text("今日菜单：米饭 2 元，面条 8 元。\n欢迎光临。\n", encoding="utf-8")
    with pytest.raises(NotAReportError) as e:
        extract(p)
    assert "不是政府信息公开工作年度报告" in str(e.value) and "not a government" in str(e.value)
