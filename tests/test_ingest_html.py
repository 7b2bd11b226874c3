"""HTML ingest: encodings, layout tables, spans resolved into a grid with covered slots marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor._errors import DecodingError, EmptyInputError
from extractor.document import Table, normalize
from extractor.ingest import load
from extractor.ingest.encoding import decode
from extractor.ingest.html import read_html
from schemas.catalog import TABLE_TITLES, columns
from tests.ingest_expect import C
from tests.ingest_expect import expected_t3 as _expected_t3
from tests.ingest_expect import grid as _grid

HTML = Path(__file__).parent / "fixtures" / "html"


def _t3(variant: str) -> Table:
    doc = read_html((HTML / f"t3_2021.{variant}.html").read_bytes(), f"t3_2021.{variant}.html")
    assert doc.source_type == "html" and doc.layout == "html"
    assert len(doc.tables()) == 1
    return doc.tables()[0]


def test_t3_2021_grid_has_official_spans_and_labels():
    table = _t3("utf8")
    assert len(table.rows) == 28 and table.n_cols == 10
    assert _grid(table) == _expected_t3()


def test_t3_2021_spanning_cells_carry_their_spans():
    rows_ = _t3("utf8").rows
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for r in rows_ for c in r if not c.covered}
    assert spans[(0, 0)] == (3, 3)  # 勾稽关系 note
    assert spans[(0, 3)] == (1, 7)  # 申请人情况
    assert spans[(1, 3)] == (2, 1)  # 自然人
    assert spans[(1, 4)] == (1, 5)  # 法人或其他组织
    assert spans[(1, 9)] == (2, 1)  # 总计
    assert spans[(5, 0)] == (22, 1)  # 三、本年度办理结果 over every result row
    assert spans[(7, 1)] == (8, 1)  # （三）不予公开
    assert spans[(15, 1)] == (3, 1)  # （四）无法提供
    assert spans[(18, 1)] == (5, 1)  # （五）不予处理
    assert spans[(23, 1)] == (3, 1)  # （六）其他处理
    assert spans[(26, 1)] == (1, 2)  # （七）总计
    assert sum(rs * cs - 1 for rs, cs in spans.values()) == sum(c.covered for r in rows_ for c in r) == 65


def test_t3_2021_covered_slots_point_at_the_real_spanning_cell():
    rows_ = _t3("utf8").rows
    # 总计 spans two header rows and sits right of 其他: the slot under it belongs to 总计, not 其他
    assert rows_[2][9].merged_from == (1, 9)
    assert rows_[2][9].span == rows_[1][9].span
    assert rows_[2][3].merged_from == (1, 3)
    assert rows_[2][2].merged_from == (0, 0)
    assert rows_[0][9].merged_from == (0, 3)
    assert rows_[26][0].merged_from == (5, 0)
    assert rows_[14][1].merged_from == (7, 1)
    assert rows_[27][2].merged_from == (27, 0)


def test_t3_nbsp_cell_is_a_printed_blank_and_full_width_digits_are_read():
    rows_ = _t3("utf8").rows
    blank = rows_[11][9]  # 5.属于三类内部事务信息 / 总计 printed as &nbsp;
    assert blank.text == "" and not blank.covered
    assert rows_[14][9].text == "" and not rows_[14][9].covered  # two &nbsp;
    assert rows_[3][3].text == "120"  # printed as full-width １２０
    assert rows_[26][9].text == "120"


@pytest.mark.parametrize("variant", ["gbk", "gb18030", "gbk-nometa"])
def test_t3_same_grid_in_chinese_encodings(variant):
    raw = (HTML / f"t3_2021.{variant}.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is in a Chinese codepage
    if variant == "gbk-nometa":
        assert b"charset" not in raw.lower()
    table = _t3(variant)
    reference = _t3("utf8")
    assert _grid(table) == _grid(reference) == _expected_t3()
    assert [[(c.rowspan, c.colspan, c.merged_from) for c in r] for r in table.rows] == [
        [(c.rowspan, c.colspan, c.merged_from) for c in r] for r in reference.rows
    ]


def test_gb18030_page_keeps_a_character_gbk_cannot_encode():
    doc = read_html((HTML / "t3_2021.gb18030.html").read_bytes())
    assert doc.paragraphs()[-1].text == "联系人:\U00020bb7先生,电话:0517-88888888"
    with pytest.raises(UnicodeEncodeError):
        "\U00020bb7".encode("gbk")


def test_t4_three_level_header_and_fifteen_values():
    doc = read_html((HTML / "t4.html").read_bytes(), "t4.html")
    [table] = doc.tables()
    leaves = [c.label for c in columns("t4")]
    assert leaves == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert _grid(table) == [
        ["行政复议", C, C, C, C, "行政诉讼", C, C, C, C, C, C, C, C, C],
        [*leaves, "未经复议直接起诉", C, C, C, C, "复议后起诉", C, C, C, C],
        [C, C, C, C, C, *leaves, *leaves],
        ["2", "1", "0", "1", "4", "1", "0", "0", "2", "3", "", "0", "—", "0", "0"],
    ]
    assert [(c.rowspan, c.colspan) for c in table.rows[1][:6]] == [(2, 1)] * 5 + [(1, 5)]
    assert table.rows[2][4].merged_from == (1, 4)
    assert [p.text for p in doc.paragraphs()] == ["四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况"]


def test_government_page_layout_tables_give_paragraphs_and_data_tables_keep_their_place():
    doc = read_html((HTML / "gov_page.html").read_bytes(), "gov_page.html")
    kinds = [(b.kind, b.text if b.kind == "paragraph" else b.rows[0][0].text) for b in doc.blocks]
    assert kinds == [
        ("paragraph", "当前位置:首页 > 政府信息公开 > 年度报告"),
        ("table", "索引号:"),
        ("paragraph", "某某县市场监督管理局2023年政府信息公开工作年度报告"),
        ("paragraph", "本报告依据《中华人民共和国政府信息公开条例》编制。"),
        ("paragraph", "一、总体情况"),
        ("paragraph", "2023年,本局共主动公开政府信息123条,受理政府信息公开申请7件。"),
        ("paragraph", "(一)主动公开"),
        ("paragraph", "全年通过门户网站发布信息。"),
        ("paragraph", normalize(TABLE_TITLES["t2"])),
        ("table", "第二十条第(一)项"),
        ("paragraph", normalize(TABLE_TITLES["t3"])),
        ("paragraph", "(表格略)"),
        ("paragraph", normalize(TABLE_TITLES["t4"])),
        ("table", "行政复议"),
        ("paragraph", "五、存在的主要问题及改进情况"),
        ("paragraph", "一是公开内容不够全面;"),
        ("paragraph", "二是解读形式较为单一。"),
        ("paragraph", "六、其他需要报告的事项"),
        ("paragraph", "本年度未收取信息处理费。"),
        ("paragraph", "[打印本页][关闭窗口]"),
        ("paragraph", "版权所有:某某县人民政府"),
    ]
    for noise in ("脚本里的文字", "siteId", "font-size", "隐藏的统计代码", "请开启脚本", "首页 政务公开"):
        assert noise not in doc.text
    t2 = doc.tables()[1]
    assert _grid(t2)[3] == ["行政规范性文件", "2", "1", "15"]
    assert _grid(t2)[6] == ["行政许可", "1,024", C, C]
    assert _grid(t2)[13] == ["行政事业性收费", "3.5", C, C]
    assert t2.rows[12][1].text == "本年收费金额(单位:万元)" and t2.rows[12][1].colspan == 3
    assert _grid(doc.tables()[2])[3] == ["1", "0", "0", "0", "1"] + ["0"] * 10


def test_block_spans_point_into_document_text_in_order():
    doc = read_html((HTML / "gov_page.html").read_bytes())
    starts = [b.span.start for b in doc.blocks]
    assert starts == sorted(starts)
    for p in doc.paragraphs():
        assert doc.text[p.span.start:p.span.end] == p.text
    for cell in doc.iter_cells():
        if not cell.covered:
            assert doc.text[cell.span.start:cell.span.end] == cell.text


def test_innermost_table_holding_an_article_is_layout_not_data():
    doc = read_html((HTML / "prose_layout.html").read_bytes())
    assert doc.tables() == []
    texts = [p.text for p in doc.paragraphs()]
    assert texts[:3] == ["机构概况", "年度报告", "某某街道办事处2019年政府信息公开工作年度报告"]
    assert texts[4].startswith("一、总体情况。2019年,本街道办事处")
    assert len(texts) == 6


def test_cell_lines_join_without_space_between_cjk_but_keep_it_between_numbers():
    page = (
        "<table><tr><td>本年新收<br>政府信息\n  公开申请数量</td><td>12<br/>34</td>"
        "<td><p>1.属于</p><p>国家秘密</p></td><td>\u3000&nbsp;</td></tr></table>"
    ).encode()
    [table] = read_html(page).tables()
    assert table.texts() == [["本年新收政府信息公开申请数量", "12 34", "1.属于国家秘密", ""]]


def test_paragraphs_split_at_br_and_blocks_and_skip_comments():
    page = "<body><div>甲段<p>乙段</p>丙段<!-- 注释 -->续<br>丁段</div><h3>标题 三</h3><li>列表项</li></body>"
    doc = read_html(page.encode("utf-8"))
    assert [p.text for p in doc.paragraphs()] == ["甲段", "乙段", "丙段续", "丁段", "标题三", "列表项"]


def test_malformed_spans_still_give_a_rectangular_grid():
    page = (
        "<table><tr><td rowspan='9'>甲</td><td colspan='2x'>乙</td></tr>"
        "<tr><td rowspan='0'>丙</td><td>丁</td></tr><tr><td>戊</td></tr></table>"
    ).encode()
    [table] = read_html(page).tables()
    assert _grid(table) == [["甲", "乙", C], [C, "丙", "丁"], [C, C, "戊"]]  # colspan "2x" reads as 2
    assert (table.rows[0][0].rowspan, table.rows[1][1].rowspan, table.rows[0][1].colspan) == (3, 2, 2)


def test_caption_becomes_a_paragraph_before_its_table():
    page = "<table><caption>表一</caption><tr><td>a</td><td>b</td></tr></table>".encode()
    doc = read_html(page)
    assert [b.kind for b in doc.blocks] == ["paragraph", "table"]
    assert doc.blocks[0].text == "表一"


def test_undecodable_bytes_raise_decoding_error():
    junk = bytes(range(256)) * 8
    with pytest.raises(DecodingError):
        read_html(junk, "junk.html")
    with pytest.raises(DecodingError):
        load(junk, "junk.html")


def test_comment_only_page_is_empty():
    with pytest.raises(EmptyInputError):
        read_html(b"<!-- nothing -->", "empty.html")


def test_decode_prefers_valid_utf8_over_a_stale_gb2312_meta():
    page = '<meta charset="gb2312"><p>政府信息公开</p>'.encode()
    assert "政府信息公开" in decode(page)
    assert [p.text for p in read_html(page).paragraphs()] == ["政府信息公开"]


def test_decode_tolerates_one_stray_byte_in_a_long_gbk_page():
    body = ("政府信息公开工作年度报告" * 200).encode("gbk")
    text = decode(body[:1000] + b"\xff" + body[1000:])
    assert text.count("\ufffd") == 1 and text.count("政府信息公开") == 200


def test_xml_declared_xhtml_is_read():
    page = '<?xml version="1.0" encoding="gbk"?><html><body><p>年度报告</p></body></html>'.encode("gbk")
    assert [p.text for p in read_html(page).paragraphs()] == ["年度报告"]


@pytest.mark.parametrize("name", ["report.html", "report.htm", ""])
def test_load_routes_html_bytes(name):
    data = (HTML / "t3_2021.gbk.html").read_bytes()
    doc = load(data, name)
    assert doc.source_type == "html"
    assert _grid(doc.tables()[0]) == _expected_t3()


def test_load_routes_an_html_path(tmp_path):
    path = tmp_path / "年报.htm"
    path.write_bytes((HTML / "t4.html").read_bytes())
    doc = load(path)
    assert doc.source_name == "年报.htm" and doc.source_type == "html"
    assert len(doc.tables()) == 1


def test_word_exported_html_markup_and_spacer_row():
    page = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><body lang=ZH-CN><div class=WordSection1>
    <p class=MsoNormal><span style='font-family:仿宋'>一、总体情况<span lang=EN-US><o:p></o:p></span></span></p>
    <p class=MsoNormal><span lang=EN-US>2023</span><span>年，本机关</span><st1:chsdate Year="2023">全年</st1:chsdate>受理
    <span lang=EN-US style='mso-spacerun:yes'>&nbsp;</span>申请</p>
    <table class=MsoNormalTable border=1>
     <tr><td width=100><p class=MsoNormal><span>项目<o:p></o:p></span></p></td>
         <td width=100><p class=MsoNormal><span lang=EN-US>1<o:p></o:p></span></p></td></tr>
     <![if !supportMisalignedColumns]>
     <tr height=0><td width=100 style='border:none'></td><td width=100 style='border:none'></td></tr>
     <![endif]>
    </table></div></body></html>""".encode()
    doc = read_html(page)
    assert [p.text for p in doc.paragraphs()] == ["一、总体情况", "2023年,本机关全年受理申请"]
    assert doc.tables()[0].texts() == [["项目", "1"]]  # the empty spacer row Word adds is dropped


def test_control_characters_in_a_long_page_are_dropped():
    doc = read_html(("<p>" + "正文" * 500 + "\x00\x07</p>").encode())
    assert doc.paragraphs()[0].text == "正文" * 500


def test_tfoot_rows_go_last_wherever_the_source_puts_them():
    page = ("<table><tfoot><tr><td>注</td><td>单位:件</td></tr></tfoot><tbody><tr><td>规章</td><td>1</td></tr>"
            "</tbody><thead><tr><td>信息内容</td><td>本年制发件数</td></tr></thead></table>").encode()
    assert read_html(page).tables()[0].texts() == [["信息内容", "本年制发件数"], ["规章", "1"], ["注", "单位:件"]]


def test_statistics_table_with_a_long_note_row_stays_a_data_table():
    note = "".join(f"<p>注{i}：" + "本表数据来源于本机关政府信息公开工作台账，按照国务院办公厅规定的统计口径填报。" * 5 + "</p>"
                   for i in range(2))
    page = (f"<table><tr><td>规章</td><td>1</td><td>2</td><td>３</td></tr>"
            f"<tr><td colspan='4'>{note}</td></tr></table>").encode()
    [table] = read_html(page).tables()
    assert table.texts()[0] == ["规章", "1", "2", "3"]
    assert table.rows[1][0].colspan == 4 and len(table.rows[1][0].text) > 300
