"""Value columns named by what the header prints, never by position alone."""

from __future__ import annotations

from extractor import extract

OLD_ROWS = ("主动公开信息数 条 {a} 其中：1.网站公开 条 {b} 2.政府公报公开 条 {c} 行政复议数 条 0 0 行政诉讼数 条 0 0 "
            "行政申诉数 条 0 0")


def _write(tmp_path, header: str, a: str, b: str, c: str) -> dict:
    path = tmp_path / "old.txt"
    path.write_text("平潭县人民政府2013年政府信息公开工作年度报告 本报告所列数据的统计期限自2013年1月1日起至2013年12月31日。"
                    f" 附件1：平潭县人民政府2013年政府信息公开情况统计表 {header} " + OLD_ROWS.format(a=a, b=b, c=c) + "\n",
                    encoding="utf-8")
    return extract(path)


def test_an_old_table_printing_its_cumulative_column_first_is_read_by_its_header(tmp_path):
    r = _write(tmp_path, "指标名称 计量单位 历年累计 2013年度", "1516 425", "1509 418", "7 7")
    flat = r.flat()
    assert flat["old.主动公开数"] == 425 and flat["old.主动公开数.历年累计"] == 1516
    assert flat["old.渠道.政府网站"] == 418 and flat["old.渠道.政府网站.历年累计"] == 1509
    assert r.meta.table_form == "provincial"
    assert [f for f in r.findings if f.severity == "error"] == []


def test_an_old_table_whose_header_names_no_column_gives_a_finding_and_no_values(tmp_path):
    r = _write(tmp_path, "指标名称 计量单位 甲 乙", "1516 425", "1509 418", "7 7")
    assert not any(k.startswith("old.主动公开数") for k in r.flat())
    doubts = [f for f in r.findings if f.rule == "extract.columns_unnamed"]
    assert doubts and doubts[0].keys == ["old.主动公开数"] and doubts[0].category == "extraction"


def test_table_two_columns_follow_the_printed_header_order(tmp_path):
    path = tmp_path / "t2.md"
    path.write_text("2022年度政府信息公开工作年度报告\n\n二、主动公开政府信息情况\n\n"
                    "| 信息内容 | 现行有效件数 | 本年制发件数 | 本年废止件数 |\n|---|---|---|---|\n"
                    "| 规章 | 2 | 0 | 0 |\n| 行政规范性文件 | 665 | 69 | 3 |\n", encoding="utf-8")
    flat = extract(path, template="2021").flat()
    assert (flat["t2.行政规范性文件.本年制发"], flat["t2.行政规范性文件.本年废止"],
            flat["t2.行政规范性文件.现行有效"]) == (69, 3, 665)


def test_a_table_two_block_without_a_header_naming_its_columns_is_not_read(tmp_path):
    path = tmp_path / "t2.md"
    path.write_text("2022年度政府信息公开工作年度报告\n\n二、主动公开政府信息情况\n\n"
                    "| 信息内容 | 甲 | 乙 | 丙 |\n|---|---|---|---|\n| 行政规范性文件 | 665 | 69 | 3 |\n",
                    encoding="utf-8")
    r = extract(path, template="2021")
    assert not any(k.startswith("t2.行政规范性文件") for k in r.flat())
    assert any(f.rule == "extract.columns_unnamed" for f in r.findings)
