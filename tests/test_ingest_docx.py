"""DOCX ingest: body order, merged cells (gridSpan / vMerge) as covered slots, nested tables, bad files."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml import parse_xml

from extractor._errors import CorruptFileError, UnsupportedFormatError
from extractor.document import normalize
from extractor.ingest import load
from extractor.ingest.docx import read_docx
from schemas.catalog import TABLE_TITLES, columns
from tests.ingest_expect import T3_VALUES, C, expected_t3, grid, label

NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，\n等于第三项加第四项之和）"
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _put(cell, text: str) -> None:
    """Write text into a cell; each "\\n" starts a new paragraph, as a typist's Enter does."""
    first, *rest = text.split("\n")
    cell.paragraphs[0].text = first
    for line in rest:
        cell.add_paragraph(line)


def _add_t3(d) -> docx.table.Table:
    """The 2021 table 三 with the official merges, made-up numbers as in tests/ingest_expect.py."""
    t = d.add_table(rows=28, cols=10)
    merges = [
        (0, 0, 2, 2), (0, 3, 0, 9), (1, 3, 2, 3), (1, 4, 1, 8), (1, 9, 2, 9),
        (3, 0, 3, 2), (4, 0, 4, 2), (27, 0, 27, 2), (5, 0, 26, 0),
        (5, 1, 5, 2), (6, 1, 6, 2), (26, 1, 26, 2),
        (7, 1, 14, 1), (15, 1, 17, 1), (18, 1, 22, 1), (23, 1, 25, 1),
    ]
    for r0, c0, r1, c1 in merges:
        t.cell(r0, c0).merge(t.cell(r1, c1))
    _put(t.cell(0, 0), NOTE)
    _put(t.cell(0, 3), "申请人情况")
    _put(t.cell(1, 3), "自然人")
    _put(t.cell(1, 4), "法人或其他组织")
    _put(t.cell(1, 9), "总计")
    for j, name in enumerate(["商业\n企业", "科研\n机构", "社会公益\n组织", "法律服务\n机构", "其他"]):
        _put(t.cell(2, 4 + j), name)
    # a soft line break (Shift+Enter) inside a label
    para = t.cell(3, 0).paragraphs[0]
    para.add_run("一、本年新收政府信息").add_break()
    para.add_run("公开申请数量")
    expected = expected_t3()
    for r in range(4, 28):
        for c in range(3):
            text = expected[r][c]
            if text is not None and not (r == 6 and c == 1):
                _put(t.cell(r, c), text)
    _put(t.cell(6, 1), "（二）部分公开\n（区分处理的，只计这一情形，不计其他情形）")
    for r, values in enumerate(T3_VALUES.values(), start=3):
        for j, v in enumerate(values):
            _put(t.cell(r, 3 + j), v)
    _put(t.cell(3, 3), "１２０")  # full-width digits as some typists enter them
    return t


def _add_t4(d) -> None:
    t = d.add_table(rows=4, cols=15)
    for r0, c0, r1, c1 in [(0, 0, 0, 4), (0, 5, 0, 14), (1, 5, 1, 9), (1, 10, 1, 14)] + [
        (1, j, 2, j) for j in range(5)
    ]:
        t.cell(r0, c0).merge(t.cell(r1, c1))
    _put(t.cell(0, 0), "行政复议")
    _put(t.cell(0, 5), "行政诉讼")
    leaves = [c.label for c in columns("t4")]
    for j, name in enumerate(leaves):
        _put(t.cell(1, j), name)
        _put(t.cell(2, 5 + j), name)
        _put(t.cell(2, 10 + j), name)
    _put(t.cell(1, 5), "未经复议直接起诉")
    _put(t.cell(1, 10), "复议后起诉")
    for j, v in enumerate(["1", "0", "0", "1", "2", "0", "0", "0", "0", "0", "", "0", "—", "0", "0"]):
        _put(t.cell(3, j), v)


def _report_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("某某区人民政府办公室2022年政府信息公开工作年度报告")
    d.add_paragraph("　　一、总体情况")
    d.add_paragraph("　　2022年共收到政府信息公开申请132件。")
    d.add_paragraph(TABLE_TITLES["t3"])
    _add_t3(d)
    d.add_paragraph(TABLE_TITLES["t4"])
    _add_t4(d)
    frame = d.add_table(rows=1, cols=1)  # a one-cell frame around a note: text, not a data table
    _put(frame.cell(0, 0), "注：本报告数据统计期限为2022年1月1日至2022年12月31日。")
    outer = d.add_table(rows=2, cols=2)
    _put(outer.cell(0, 0), "项目")
    _put(outer.cell(0, 1), "说明")
    _put(outer.cell(1, 0), "附表")
    inner = outer.cell(1, 1).add_table(rows=2, cols=2)
    for (r, c), v in {(0, 0): "内表甲", (0, 1): "内表乙", (1, 0): "3", (1, 1): "4"}.items():
        _put(inner.cell(r, c), v)
    d.add_paragraph("五、存在的主要问题及改进情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def report() -> bytes:
    return _report_docx()


def test_body_order_paragraphs_and_tables_interleaved(report):
    doc = read_docx(report, "report.docx")
    assert doc.source_type == "docx" and doc.layout == "docx" and doc.source_name == "report.docx"
    kinds = [(b.kind, b.text if b.kind == "paragraph" else b.rows[0][0].text) for b in doc.blocks]
    assert kinds == [
        ("paragraph", "某某区人民政府办公室2022年政府信息公开工作年度报告"),
        ("paragraph", "一、总体情况"),
        ("paragraph", "2022年共收到政府信息公开申请132件。"),
        ("paragraph", normalize(TABLE_TITLES["t3"])),
        ("table", normalize(NOTE.replace("\n", ""))),
        ("paragraph", normalize(TABLE_TITLES["t4"])),
        ("table", "行政复议"),
        ("paragraph", "注:本报告数据统计期限为2022年1月1日至2022年12月31日。"),
        ("table", "项目"),
        ("table", "内表甲"),
        ("paragraph", "五、存在的主要问题及改进情况"),
    ]


def test_t3_merged_cells_become_covered_slots(report):
    t3 = read_docx(report).tables()[0]
    assert len(t3.rows) == 28 and t3.n_cols == 10
    assert grid(t3) == expected_t3()
    assert t3.rows[3][0].text == label("本年新收")  # soft line break joined without a space
    assert t3.rows[3][3].text == "120"
    assert t3.rows[11][9].text == "" and not t3.rows[11][9].covered  # a printed blank


def test_t3_spans_and_owners(report):
    rows_ = read_docx(report).tables()[0].rows
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for r in rows_ for c in r if not c.covered}
    assert spans[(0, 0)] == (3, 3)
    assert spans[(0, 3)] == (1, 7)
    assert spans[(1, 3)] == (2, 1)
    assert spans[(1, 4)] == (1, 5)
    assert spans[(1, 9)] == (2, 1)
    assert spans[(5, 0)] == (22, 1)
    assert spans[(7, 1)] == (8, 1)
    assert spans[(23, 1)] == (3, 1)
    assert spans[(26, 1)] == (1, 2)
    assert rows_[2][9].merged_from == (1, 9)
    assert rows_[2][2].merged_from == (0, 0)
    assert rows_[26][0].merged_from == (5, 0)
    assert rows_[14][1].merged_from == (7, 1)


def test_covered_slots_match_python_docx_repeated_cells(report):
    """python-docx repeats one merged cell in every slot; those repeats are exactly our covered slots."""
    source = docx.Document(io.BytesIO(report)).tables[0]
    ours = read_docx(report).tables()[0]
    seen: set[int] = set()
    keep = []
    for r, row in enumerate(source.rows):
        for c, cell in enumerate(row.cells):
            repeat = id(cell._tc) in seen
            seen.add(id(cell._tc))
            keep.append(cell)  # keep the proxies alive so id() stays unique
            assert ours.rows[r][c].covered == repeat, (r, c)


def test_t4_three_level_header(report):
    t4 = read_docx(report).tables()[1]
    leaves = [c.label for c in columns("t4")]
    assert grid(t4) == [
        ["行政复议", C, C, C, C, "行政诉讼", C, C, C, C, C, C, C, C, C],
        [*leaves, "未经复议直接起诉", C, C, C, C, "复议后起诉", C, C, C, C],
        [C, C, C, C, C, *leaves, *leaves],
        ["1", "0", "0", "1", "2", "0", "0", "0", "0", "0", "", "0", "—", "0", "0"],
    ]


def test_nested_table_follows_its_outer_table(report):
    outer, inner = read_docx(report).tables()[2:]
    assert outer.texts() == [["项目", "说明"], ["附表", ""]]
    assert inner.texts() == [["内表甲", "内表乙"], ["3", "4"]]


def test_spans_point_into_document_text(report):
    doc = read_docx(report)
    for p in doc.paragraphs():
        assert doc.text[p.span.start:p.span.end] == p.text
    for cell in doc.iter_cells():
        if not cell.covered:
            assert doc.text[cell.span.start:cell.span.end] == cell.text


def _docx_with_body_xml(xml: str) -> bytes:
    d = docx.Document()
    body = d.element.body
    for el in parse_xml(f"<w:root {W_NS}>{xml}</w:root>"):
        body.insert(len(body) - 1, el)  # before sectPr
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_grid_before_hmerge_content_controls_and_tracked_changes():
    xml = """
    <w:sdt><w:sdtContent><w:p><w:r><w:t>控件里的段落</w:t></w:r></w:p></w:sdtContent></w:sdt>
    <w:p><w:r><w:t>保留</w:t></w:r><w:del><w:r><w:delText>删除的字</w:delText></w:r></w:del>
         <w:ins><w:r><w:t>插入的字</w:t></w:r></w:ins></w:p>
    <w:tbl>
      <w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc>
            <w:tc><w:tcPr><w:hMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc>
            <w:tc><w:tcPr><w:hMerge/></w:tcPr><w:p/></w:tc></w:tr>
      <w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>
            <w:sdt><w:sdtContent><w:tc><w:p><w:r><w:t>丙</w:t></w:r></w:p></w:tc></w:sdtContent></w:sdt>
            <w:tc><w:p><w:r><w:t>1</w:t></w:r><w:r><w:br/><w:t>2</w:t></w:r></w:p></w:tc></w:tr>
    </w:tbl>
    """
    doc = read_docx(_docx_with_body_xml(xml))
    assert [p.text for p in doc.paragraphs()] == ["控件里的段落", "保留插入的字"]
    [t] = doc.tables()
    assert grid(t) == [["甲", "乙", C], ["", "丙", "1 2"]]
    assert t.rows[0][1].colspan == 2 and t.rows[0][2].merged_from == (0, 1)


def test_vmerge_continue_in_first_row_is_a_real_cell():
    xml = """
    <w:tbl>
      <w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p><w:r><w:t>孤</w:t></w:r></w:p></w:tc>
            <w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc></w:tr>
      <w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p><w:r><w:t>被遮住的字</w:t></w:r></w:p></w:tc>
            <w:tc><w:p><w:r><w:t>3</w:t></w:r></w:p></w:tc></w:tr>
    </w:tbl>
    """
    [t] = read_docx(_docx_with_body_xml(xml)).tables()
    assert grid(t) == [["孤", "2"], [C, "3"]]
    assert t.rows[0][0].rowspan == 2


def test_paragraph_line_breaks_and_text_boxes():
    xml = """
    <w:p><w:r><w:t xml:space="preserve">第一行 </w:t><w:br/><w:t>第二行</w:t></w:r></w:p>
    <w:p><w:r><w:t>正文</w:t></w:r><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox>
      <w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>
    """
    doc = read_docx(_docx_with_body_xml(xml))
    assert [p.text for p in doc.paragraphs()] == ["第一行", "第二行", "正文", "文本框"]


def _rezip(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return out.getvalue()


def test_macro_enabled_document_is_read_from_its_body_xml(report):
    docm = _rezip(report, lambda n, b: b.replace(
        b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml") if n == "[Content_Types].xml" else b)
    with pytest.raises(ValueError):
        docx.Document(io.BytesIO(docm))  # python-docx itself refuses it
    assert grid(read_docx(docm, "report.docm").tables()[0]) == expected_t3()


def test_truncated_docx_is_corrupt(report):
    with pytest.raises(CorruptFileError):
        read_docx(report[: len(report) // 2], "half.docx")
    with pytest.raises(CorruptFileError):
        load(report[: len(report) // 2], "half.docx")


def test_broken_document_xml_is_corrupt(report):
    broken = _rezip(report, lambda n, b: b[: len(b) // 2] if n == "word/document.xml" else b)
    with pytest.raises(CorruptFileError):
        read_docx(broken, "broken.docx")


def test_zip_without_a_word_document_is_unsupported():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "不是Word文件")
    with pytest.raises(UnsupportedFormatError):
        read_docx(buf.getvalue(), "notes.docx")
    with pytest.raises(UnsupportedFormatError):
        load(buf.getvalue(), "notes.docx")


@pytest.mark.parametrize("name", ["report.docx", "REPORT.DOCX", ""])
def test_load_routes_docx_bytes(report, name):
    doc = load(report, name)
    assert doc.source_type == "docx"
    assert grid(doc.tables()[0]) == expected_t3()


def test_load_routes_a_docx_path(report, tmp_path):
    path = tmp_path / "年报.docx"
    path.write_bytes(report)
    doc = load(path)
    assert doc.source_name == "年报.docx" and len(doc.tables()) == 4


NUMBERING = f"""<w:numbering {W_NS}>
<w:abstractNum w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>
<w:num w:numId="90"><w:abstractNumId w:val="90"/></w:num>
<w:num w:numId="91"><w:abstractNumId w:val="90"/>
  <w:lvlOverride w:ilvl="0"><w:startOverride w:val="10"/></w:lvlOverride></w:num>
</w:numbering>"""


def _numbered(num_id: int, ilvl: int, text: str) -> str:
    return (f'<w:p><w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>'
            f"<w:r><w:t>{text}</w:t></w:r></w:p>")


def test_list_numbers_are_written_in_front_of_their_paragraphs():
    d = docx.Document()
    numbering = d.part.numbering_part.element
    defs = parse_xml(NUMBERING)
    for i, an in enumerate(defs.findall(f"{{{docx.oxml.ns.nsmap['w']}}}abstractNum")):
        numbering.insert(i, an)
    for num in defs.findall(f"{{{docx.oxml.ns.nsmap['w']}}}num"):
        numbering.append(num)
    body = d.element.body
    xml = "".join([
        _numbered(90, 0, "总体情况"), _numbered(90, 1, "主动公开"), _numbered(90, 1, "依申请公开"),
        _numbered(90, 0, "主动公开政府信息情况"), _numbered(90, 1, "规章"), _numbered(90, 2, "属于国家秘密"),
        _numbered(90, 2, "其他法律行政法规禁止公开"), _numbered(91, 0, "第十项"),
        "<w:tbl><w:tr><w:tc>" + _numbered(90, 2, "保护第三方合法权益") + "</w:tc><w:tc><w:p><w:r><w:t>7</w:t></w:r>"
        "</w:p></w:tc></w:tr></w:tbl>",
    ])
    for el in parse_xml(f"<w:root {W_NS}>{xml}</w:root>"):
        body.insert(len(body) - 1, el)
    d.add_paragraph("普通项目", style="List Number")  # the default template's own decimal list
    d.add_paragraph("圆点项目", style="List Bullet")  # bullets are not numbers: no label
    buf = io.BytesIO()
    d.save(buf)
    doc = read_docx(buf.getvalue())
    assert [p.text for p in doc.paragraphs()] == [
        "一、总体情况", "(一)主动公开", "(二)依申请公开", "二、主动公开政府信息情况", "(一)规章",
        "1.属于国家秘密", "2.其他法律行政法规禁止公开", "十、第十项", "1.普通项目", "圆点项目",
    ]
    assert doc.tables()[0].texts() == [["3.保护第三方合法权益", "7"]]


@pytest.mark.parametrize(("n", "fmt", "text"), [
    (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (11, "chineseCounting", "十一"),
    (20, "chineseCounting", "二十"), (105, "chineseCountingThousand", "一百零五"), (110, "chineseCounting", "一百一十"),
    (1005, "chineseCounting", "一千零五"), (12, "chineseLegalSimplified", "壹拾贰"), (3, "ideographTraditional", "丙"),
    (2, "decimalEnclosedCircle", "②"), (7, "decimalFullWidth", "７"), (4, "upperRoman", "IV"), (28, "lowerLetter", "ab"),
    (3, "bullet", ""),
])
def test_word_number_formats(n, fmt, text):
    from extractor.ingest.docx_numbering import format_number

    assert format_number(n, fmt) == text


def test_html_alt_chunk_is_read_in_place():
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    d = docx.Document()
    d.add_paragraph("正文之前")
    page = ('<html><head><meta charset="gbk"></head><body><p>嵌入的网页</p>'
            '<table><tr><td colspan="2">行政复议</td></tr><tr><td>结果维持</td><td>总计</td></tr></table>'
            "</body></html>").encode("gbk")
    chunk = Part(PackURI("/word/afchunk1.htm"), "application/xhtml+xml", page, d.part.package)
    r_id = d.part.relate_to(chunk, RT.A_F_CHUNK)
    d.element.body.insert(len(d.element.body) - 1, parse_xml(
        f'<w:altChunk {W_NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        f'r:id="{r_id}"/>'))
    d.add_paragraph("正文之后")
    buf = io.BytesIO()
    d.save(buf)
    doc = read_docx(buf.getvalue())
    assert [(b.kind, b.text if b.kind == "paragraph" else grid(b)) for b in doc.blocks] == [
        ("paragraph", "正文之前"),
        ("paragraph", "嵌入的网页"),
        ("table", [["行政复议", C], ["结果维持", "总计"]]),
        ("paragraph", "正文之后"),
    ]
    assert doc.source_type == "docx"
