"""Plain-text layouts: one cell per line (the seed), markdown, layout text, run-together cells."""

from __future__ import annotations

from extractor.ingest import load
from extractor.ingest.text import parse_text
from tests.conftest import FIXTURES, SEED_TXT


def test_seed_cells_layout_becomes_one_three_column_table():
    doc = load(SEED_TXT)
    assert doc.layout == "cells"
    (table,) = doc.tables()
    texts = table.texts()
    assert texts[0] == ["统计指标", "单位", "统计数"]
    assert texts[2] == ["(一) 主动公开政府信息数 (不同渠道和方式公开相同信息计1条)", "条", "42658"]
    assert texts[-1] == ["(三)接受培训人员数", "人次", "435"]
    assert len(texts) == 67
    assert doc.paragraphs()[0].text.startswith("本年度报告是根据")


def test_full_width_text_is_normalized_once():
    doc = parse_text("统计指标\n|\n单位\n|\n统计数\n|\n" + "（一）收到申请数\n|\n件\n|\n２３３\n|\n" * 5)
    cell = doc.tables()[0].rows[1][2]
    assert cell.text == "233"
    assert doc.raw_text[doc.raw_span(cell.span)[0]] == "２"


def test_markdown_tables():
    doc = load(FIXTURES / "text" / "2022-2021format.md")
    assert doc.layout == "markdown"
    tables = doc.tables()
    assert tables[0].texts()[2] == ["行政规范性文件", "69", "3", "665"]
    assert any(r[:3] == ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"] or
               r[:3] == ["三、本年度办理结果", "(三)不予公开", "1.属于国家秘密"] for t in tables for r in t.texts())


def test_layout_text_splits_columns_and_keeps_wrapped_labels():
    text = ("三、收到和处理政府信息公开申请情况\n"
            "一、本年新收政府信息公开申请数量        95    0   0   0   0   0   95\n"
            "（二）部分公开（区分处理的，只计这一情 形，不\n"
            "                                 9    0   0   0   0   0   9\n"
            "计其他情形）\n"
            "1.属于国家秘密                   0    0   0   0   0   0   0\n")
    doc = parse_text(text)
    (table,) = doc.tables()
    rows = table.texts()
    assert rows[0] == ["一、本年新收政府信息公开申请数量", "95", "0", "0", "0", "0", "0", "95"]
    assert rows[1][0].startswith("(二)部分公开")
    assert rows[2][:7] == ["9", "0", "0", "0", "0", "0", "9"]
    assert doc.paragraphs()[0].text == "三、收到和处理政府信息公开申请情况"


def test_run_together_layout_is_recognised():
    doc = load(FIXTURES / "text" / "2022-2021format-runtogether.txt")
    assert doc.layout == "runtogether"
    assert any(r == ["行政规范性文件693665"] for t in doc.tables() for r in t.texts())


def test_gbk_text_decodes():
    data = "政府信息公开工作年度报告\n共受理信息公开申请233件。\n".encode("gbk")
    doc = load(data, "r.txt")
    assert "受理信息公开申请233件" in doc.text
