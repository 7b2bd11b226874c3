"""Splitting run-together digits by the whole table's identities, and only where the evidence decides."""

from __future__ import annotations

from extractor import extract
from extractor.reader.solve import Row, constraints_for, solve
from schemas import catalog

COLS = [c.id for c in catalog.columns("t3")]
SPACED = "21 2 0 0 3 0 26"  # the same figures, printed with spaces


def _t3_page_text(new_received: str) -> str:
    """A 2021 report as a web page's text: chrome, then the whole report on one line, 表三's cells run together."""
    rows = []
    for r in catalog.rows("t3", "2021"):
        if r.header_only or r.subtotal and r.id != "其他处理" or r.id.startswith("其他处理."):
            if r.header_only:
                rows.append(r.label)
            elif r.subtotal:
                rows.append(r.label)  # group label, printed once above its items
            continue
        digits = {"本年新收": new_received, "予以公开": SPACED, "办理结果总计": SPACED}.get(r.id, "0000000")
        rows.append(r.label + digits)
    return ("标题: 某县2022年度政府信息公开工作年度报告\n发布时间: 2023-01-20\n==== 正文 ====\n"
            "当前位置：首页 政务公开 微信 微博 "
            "某县2022年度政府信息公开工作年度报告 一、总体情况 本报告所列数据的统计期限自2022年1月1日起至2022年12月31日止。"
            "二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章 000行政规范性文件000"
            "第二十条第（五）项信息内容本年处理决定数量行政许可12第二十条第（六）项信息内容本年处理决定数量行政处罚3行政强制0"
            "第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费0 "
            "三、收到和处理政府信息公开申请情况 申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
            + "".join(rows)
            + " 四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉"
              "复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计000000000000000"
              "五、存在的主要问题及改进情况 无。六、其他需要报告的事项 本年度未收取信息处理费。 附件下载 分享到：\n")


def test_digits_only_the_column_sums_can_split_are_split_by_them(tmp_path):
    # "212003026" fits its row total two ways: 2/1/20/0/3/0/26 and 21/2/0/0/3/0/26; only the second
    # keeps every column's 本年新收 + 上年结转 = （七）总计 + 结转下年度
    path = tmp_path / "page.txt"
    path.write_text(_t3_page_text("212003026"), encoding="utf-8")
    result = extract(path)
    flat = result.flat()
    assert [flat[f"t3.本年新收.{c}"] for c in COLS] == [21, 2, 0, 0, 3, 0, 26]
    assert result.values["t3.本年新收.自然人"].evidence[0].kind == "split"
    assert [f for f in result.findings if f.rule == "extract.ambiguous_split"] == []
    assert result.report_findings() == []
    assert flat["t2.行政许可.处理决定数量"] == 12 and flat["t4.复议.总计"] == 0


def test_a_row_no_identity_decides_goes_to_a_person_with_its_candidates():
    rows = [Row(("a", "b"), [(1, 23), (12, 3)])]
    solve(rows, constraints_for("2021"))
    assert rows[0].candidates == [(1, 23), (12, 3)]


def test_a_figure_the_narrative_restates_breaks_a_tie():
    rows = [Row(("t2.行政规范性文件.本年制发", "t2.行政规范性文件.本年废止", "t2.行政规范性文件.现行有效"),
                [(6, 93, 665), (69, 3, 665), (69, 36, 65)])]
    solve(rows, constraints_for("2021"), prose={"t2.行政规范性文件.本年制发": 69, "t2.行政规范性文件.本年废止": 3})
    assert rows[0].candidates == [(69, 3, 665)] and rows[0].fixed_by == "prose"


def test_an_identity_the_report_itself_breaks_does_not_block_the_others():
    keys = tuple(f"t4.复议.{c}" for c in ("维持", "纠正", "其他", "尚未审结", "总计"))
    # the row prints 总计 9 against parts that add to 11 whatever the split: the report's own error
    rows = [Row(keys, [(1, 10, 0, 0, 9), (11, 0, 0, 0, 9)])]
    solve(rows, constraints_for("2021"))
    assert len(rows[0].candidates) == 2  # nothing decided, nothing invented
