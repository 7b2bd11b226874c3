"""The document as a token stream: text, numbers, blank cells, page furniture, and the CJK projection."""

from __future__ import annotations

from extractor.document import DocumentBuilder
from extractor.ingest.text import parse_text
from extractor.reader.stream import build_stream, project


def test_page_text_on_one_line_gives_label_text_and_run_together_digits():
    doc = parse_text("二、主动公开政府信息情况 规章 000行政规范性文件693665第二十条第（五）项 行政许可2293\n")
    s = build_stream(doc)
    kinds = [(t.kind, t.text) for t in s.tokens if t.kind == "number"]
    assert kinds == [("number", "000"), ("number", "693665"), ("number", "2293")]
    assert "行政规范性文件第二十条第五项" in s.projection  # the digits are not in the projection


def test_a_unit_cell_between_a_label_and_its_wrapped_end_is_not_label_text():
    # pdftotext -layout: the unit column sits on the first line of a wrapped label
    doc = parse_text("统计指标                    单位  统计数\n"
                     "（一）回应公众关注          次      71\n"
                     "热点或重大舆情数\n")
    assert "回应公众关注热点或重大舆情数" in build_stream(doc).projection


def test_page_numbers_inside_a_table_are_chrome_never_values():
    doc = parse_text("1.政府公报公开政府信息数          条\n\n                - 1 -\n2.政府网站公开政府信息数   条   125\n")
    s = build_stream(doc)
    assert [t.text for t in s.tokens if t.kind == "chrome"] == ["-", "1", "-"]
    assert [t.text for t in s.tokens if t.kind == "number"][-1] == "125"


def test_grid_blank_cells_are_tokens_and_a_spread_number_is_one_value():
    b = DocumentBuilder("t", "pdf")
    b.add_table([["（六）其他处理", "", "", "1 1"]])
    s = build_stream(b.build())
    assert [(t.kind, t.text) for t in s.tokens] == [("text", "(六)其他处理"), ("blank", ""), ("blank", ""),
                                                     ("number", "11")]


def test_project_keeps_only_the_cjk_characters():
    assert project("（二）部分公开（区分处理的，只计这一情形）") == "二部分公开区分处理的只计这一情形"
