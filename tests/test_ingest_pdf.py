"""PDF ingest: the two real 洪泽区 reports cell by cell against their gold files, synthetic tables, bad input."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from extractor._errors import CorruptFileError, EmptyInputError, EncryptedFileError, ImageOnlyError
from extractor.document import Document, Paragraph, Table, squash
from extractor.ingest.pdf import read_pdf
from schemas import catalog
from tests import requirements
from tests.conftest import REAL

YEARS = ("2023", "2024")
_NUM = re.compile(r"^\d+(\.\d+)?$")


def _real(year: str) -> tuple[Document, dict]:
    pdf = requirements.shared(REAL / f"{year}-huaian-hongze-district.pdf")
    gold = json.loads((REAL / f"{year}-huaian-hongze-district.gold.json").read_text(encoding="utf-8"))
    return read_pdf(pdf.read_bytes(), pdf.name), gold


_CACHE: dict[str, tuple[Document, dict]] = {}


@pytest.fixture(params=YEARS)
def real(request) -> tuple[Document, dict]:
    if request.param not in _CACHE:
        _CACHE[request.param] = _real(request.param)
    return _CACHE[request.param]


# --------------------------------------------------------------------------- small table helpers
def _is_num(text: str) -> bool:
    return bool(_NUM.match(text))


def _t3_row(doc: Document, row_id: str):
    """The one table row whose label contains the catalog label (or an alias) and that ends in 7 numbers."""
    spec = next(r for r in catalog.rows("t3") if r.id == row_id)
    stripped = catalog.BY_KEY[f"t3.{row_id}.总计"].short_label.split("·")[0]
    needles = {squash(stripped), *(squash(a) for a in spec.aliases)}
    found = []
    for t in doc.tables():
        for row in t.rows:
            if len(row) < 8 or not all(_is_num(c.text) for c in row[-7:]):
                continue
            label = squash("".join(c.text for c in row[:-7]))
            if any(n in label for n in needles):
                found.append(row)
    assert len(found) == 1, f"{row_id}: {len(found)} matching rows"
    return found[0]


def _t2_row(doc: Document, row_id: str):
    found = [r for t in doc.tables() for r in t.rows if r and squash(r[0].text) == squash(row_id)]
    assert len(found) == 1, f"t2 {row_id}: {len(found)} rows"
    return found[0]


def _t4_row(doc: Document):
    found = [(t, r) for t in doc.tables() for r in t.rows if len(r) == 15 and all(_is_num(c.text) for c in r)]
    assert len(found) == 1
    return found[0]


# --------------------------------------------------------------------------- the real reports
def test_every_t3_gold_value_is_the_text_of_its_cell(real):
    doc, gold = real
    values = gold["values"]
    cols = [c.id for c in catalog.columns("t3")]
    row_ids = sorted({k.split(".", 1)[1].rsplit(".", 1)[0] for k in values if k.startswith("t3.")})
    assert len(row_ids) == 23  # 本年新收 … 结转下年度 as printed (no group subtotals)
    for row_id in row_ids:
        cells = _t3_row(doc, row_id)[-7:]
        expect = [str(values[f"t3.{row_id}.{c}"]) for c in cols]
        assert [c.text for c in cells] == expect, row_id


def test_every_t2_gold_value_is_the_text_of_its_cell(real):
    doc, gold = real
    values = gold["values"]
    n = 0
    for row_id, col_ids in catalog.t2_layout("2021").items():
        row = _t2_row(doc, row_id)
        nums = [c for c in row[1:] if c.text]
        assert len(nums) == len(col_ids), row_id
        for cell, col_id in zip(nums, col_ids):
            assert float(cell.text) == values[f"t2.{row_id}.{col_id}"], (row_id, col_id)
            n += 1
    assert n == len([k for k in values if k.startswith("t2.")]) == 10


def test_t4_is_one_row_of_fifteen_cells_on_page_4(real):
    doc, gold = real
    table, row = _t4_row(doc)
    keys = [f"t4.{r.id}.{c.id}" for r in catalog.rows("t4") for c in catalog.columns("t4")]
    assert [int(c.text) for c in row] == [gold["values"][k] for k in keys]
    assert table.span.page == 4 and all(c.span.page == 4 for c in row)
    if gold["meta"]["year"] == 2023:
        assert row[0].text == "10"  # the two-digit first cell stays whole


def test_split_tables_keep_their_pages(real):
    doc, _ = real
    assert doc.pages == 5 and doc.source_type == "pdf" and doc.layout == "pdf"
    assert _t2_row(doc, "行政许可")[1].span.page == 2
    assert _t2_row(doc, "行政处罚")[1].span.page == 3
    assert _t3_row(doc, "无法提供.1")[-1].span.page == 3
    assert _t3_row(doc, "无法提供.3")[-1].span.page == 4
    assert _t3_row(doc, "结转下年度")[-1].span.page == 4


def test_no_prose_comes_out_as_a_table(real):
    doc, _ = real
    assert len(doc.tables()) == 5  # t2 p.2, t2 p.3, t3 p.3, t3 p.4, t4 p.4
    for t in doc.tables():
        filled_cols = {c.col for r in t.rows for c in r if c.text}
        assert len(filled_cols) >= 2
        for c in (c for r in t.rows for c in r):
            assert not (len(c.text) > 40 and c.text.endswith("。")), c.text


def test_headings_precede_their_tables_in_reading_order(real):
    doc, _ = real
    order = [("T" if isinstance(b, Table) else "P:" + b.text) for b in doc.blocks]
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"):
        i = order.index("P:" + heading)
        assert order[i + 1] == "T", heading
    assert order.index("P:五、存在的主要问题及改进情况") > max(i for i, o in enumerate(order) if o == "T")


def test_merged_and_wrapped_labels_are_joined_without_spaces(real):
    doc, _ = real
    texts = {c.text for c in doc.iter_cells()}
    assert "三、本年度办理结果" in texts  # typeset one character per line
    assert "(二)部分公开(区分处理的,只计这一情形,不计其他情形)" in texts
    assert "4.无正当理由大量反复申请" in texts
    assert "5.要求行政机关确认或重新出具已获取信息" in texts
    assert "社会公益组织" in texts and "法律服务机构" in texts
    # the label slots below the vertical label are covered, not blank
    row = _t3_row(doc, "部分公开")
    assert row[0].covered and not row[1].covered


def test_covered_slots_point_at_the_cell_that_spans_them(real):
    doc, _ = real
    table, _ = _t4_row(doc)
    top = table.rows[0]
    assert top[0].text == "行政复议" and top[0].colspan == 5
    assert [c.merged_from for c in top[1:5]] == [(0, 0)] * 4
    # a covered slot right of another covered slot still finds its own spanning cell
    row = _t3_row(doc, "不予公开.2")
    group = row[1].merged_from
    assert group is not None and _table_text(doc, row, group) == "(三)不予公开"
    assert row[0].merged_from is not None and _table_text(doc, row, row[0].merged_from) == "三、本年度办理结果"
    assert row[1].span.bbox is not None and row[1].span.bbox[1] < row[2].span.bbox[1]  # the group cell starts above


def _table_text(doc: Document, row, origin: tuple[int, int]) -> str:
    table = next(t for t in doc.tables() if any(r is row for r in t.rows))
    return table.rows[origin[0]][origin[1]].text


def test_page_split_header_cell_is_recovered_and_empty_rows_dropped():
    doc, _ = _real("2023")
    p3 = next(t for t in doc.tables() if t.span.page == 3)
    assert p3.texts()[0] == ["信息内容", "本年处理决定数量"]  # the cell without a top border
    assert all(any(c.text for c in r) for t in doc.tables() for r in t.rows)


def test_a_table_whose_last_row_is_drawn_and_left_empty_reads_it_as_blanks(tmp_path: Path) -> None:
    """表四 printed flat with nothing to report: its value row drawn, every cell empty (as some agencies print
    it). The row is kept — the table's last, drawn whole — so its fifteen cells read as blanks; it was dropped
    with the page-split artefacts before, and the whole table went missing."""
    requirements.package("reportlab", "eval")
    from evals.generator import generate, write_case
    from extractor import extract

    report = generate(1100064, "2021")
    assert {"t4_flat", "t4_blank"} <= set(report.style.quirks("pdf"))
    src, gold = write_case(report, "pdf", tmp_path)
    t4 = read_pdf(src.read_bytes(), src.name).tables()[-1]
    assert t4.texts()[-1] == [""] * 15 and all(c.span.bbox is not None for c in t4.rows[-1])
    result = extract(src)
    keys = [k for k in json.loads(gold.read_text(encoding="utf-8"))["values"] if k.startswith("t4.")]
    assert len(keys) == 15 and all((result.values[k].status, result.values[k].value) == ("blank", None) for k in keys)
    assert not [f for f in result.findings if f.rule == "extract.table_missing"]


def test_prose_lines_merge_into_paragraphs_with_clean_spacing(real):
    doc, gold = real
    paras = doc.paragraphs()
    assert all(p.span.page and p.span.bbox for p in paras)
    assert "号,邮编:223100,电话:0517-" in doc.text  # the justified contact line, no spaces between characters
    year = gold["meta"]["year"]
    start = "(二)依申请公开情况。"
    hit = [p for p in paras if p.text.startswith(start)]
    assert len(hit) == 1 and f"{year}年" in hit[0].text and "件" in hit[0].text
    if year == 2023:
        assert "2023年全区受理政府信息公开申请21件,均在法定期限答复。" in hit[0].text
    assert not any(re.fullmatch(r"-\s*\d+\s*-", p.text) for p in paras)  # page numbers dropped


def test_every_block_and_cell_has_page_and_bbox_inside_the_page(real):
    doc, _ = real
    for b in doc.blocks:
        assert b.span.page in range(1, 6) and b.span.bbox is not None
        x0, top, x1, bottom = b.span.bbox
        assert 0 <= x0 < x1 <= 595.5 and 0 <= top < bottom <= 842.5
        assert doc.text[b.span.start:b.span.end].strip()
    for c in doc.iter_cells():
        assert c.span.page and c.span.bbox is not None
        if c.text:
            assert doc.text[c.span.start:c.span.end] == c.text


# --------------------------------------------------------------------------- synthetic PDFs
def _cid_font() -> str:
    requirements.package("reportlab", "eval")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _ruled_table_pdf(encrypt=None, watermark: str = "") -> bytes:
    """A heading and prose on invisible white boxes, then a ruled table with merged cells, then prose."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    H = A4[1]

    def text(x, top, s, size=10):
        c.setFont(font, size)
        c.drawString(x, H - top - size, s)

    # prose lines each sitting on an invisible white rectangle (the WPS trap)
    c.setFillColorRGB(1, 1, 1)
    for top in (80, 100, 120):
        c.rect(70, H - top - 16, 450, 16, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    text(72, 82, "三、收到和处理政府信息公开申请情况", 12)
    text(72, 102, "本年度共收到申请 12 件，详见下表。")
    # ruled table: columns at x 72 | 292 | 322 | 372 ; rows at top 150 | 170 | 190 | 222 | 242
    xs, ys = (72, 292, 322, 372), (150, 170, 190, 222, 242)
    c.setLineWidth(0.5)
    for y in ys:  # horizontal rules, except the one the merged 信息内容 cell spans
        if y == 170:
            c.line(xs[1], H - y, xs[3], H - y)
        else:
            c.line(xs[0], H - y, xs[3], H - y)
    for x in xs:  # vertical rules, except inside the merged 申请人情况 header
        if x == 322:
            c.line(x, H - 170, x, H - ys[-1])
        else:
            c.line(x, H - ys[0], x, H - ys[-1])
    text(74, 163, "信息内容")  # spans rows 0-1
    text(294, 153, "申请人情况", 8)  # spans columns 1-2
    text(294, 175, "自然人", 8)
    text(324, 175, "法人", 8)
    text(74, 193, "（二）部分公开（区分处理的，只计这一情")  # wrapped label
    text(74, 207, "形，不计其他情形）")
    text(296, 200, "10", 12)  # two digits in a 30-pt cell
    text(324, 200, "0")
    text(74, 227, "行政许可")
    text(296, 227, "5")
    text(324, 227, "—")
    text(72, 262, "以上数据截至 12 月 31 日。")
    if watermark:  # a grey diagonal stamp across the table
        c.saveState()
        c.translate(250, H - 240)
        c.rotate(30)
        c.setFillGray(0.8)
        c.setFont(font, 28)
        c.drawString(0, 0, watermark)
        c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()


SYNTHETIC_GRID = [
    ["信息内容", "申请人情况", ""],
    ["", "自然人", "法人"],
    ["(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "10", "0"],
    ["行政许可", "5", "—"],
]


def test_synthetic_ruled_table_with_merged_cells():
    doc = read_pdf(_ruled_table_pdf(), "synthetic.pdf")
    assert doc.pages == 1 and len(doc.tables()) == 1  # the white boxes behind prose are not tables
    (table,) = doc.tables()
    assert table.texts() == SYNTHETIC_GRID
    assert table.rows[0][2].merged_from == (0, 1)
    assert table.rows[1][0].merged_from == (0, 0)
    assert not table.rows[3][2].covered  # a printed dash is a real cell
    kinds = [("T" if isinstance(b, Table) else b.text) for b in doc.blocks]
    assert kinds == ["三、收到和处理政府信息公开申请情况", "本年度共收到申请12件,详见下表。", "T", "以上数据截至12月31日。"]
    ten = table.rows[2][1]
    assert ten.span.page == 1 and ten.span.bbox is not None
    assert abs(ten.span.bbox[0] - 292) < 1 and abs(ten.span.bbox[2] - 322) < 1


def test_justified_lines_merge_and_unindented_headings_break():
    """30 CJK characters at 12 pt fill a 360-pt measure: full lines carry on, short or new-heading lines end."""
    from reportlab.pdfgen import canvas

    font = _cid_font()
    body = "本机关坚持以公开为常态不公开为例外全面推进政务公开工作各项任务稳步落实取得成效" * 3
    lines = [
        (96, body[:28]),  # indented first line, runs to the right margin (x = 432)
        (72, body[28:58]),
        (72, body[58:87] + "。"),  # full, and ends a sentence
        (72, "二、主动公开政府信息情况"),  # not indented, but a numbered heading
        (96, body[:28]),
        (72, body[28:40] + "。"),  # short last line
        (72, body[40:70]),  # a new paragraph at the margin after a short line
    ]
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(font, 12)
    for i, (x, s) in enumerate(lines):
        c.drawString(x, 760 - 20 * i, s)
    c.showPage()
    c.save()
    paras = [p.text for p in read_pdf(buf.getvalue(), "prose.pdf").paragraphs()]
    assert paras == [
        body[:87] + "。",
        "二、主动公开政府信息情况",
        body[:40] + "。",
        body[40:70],
    ]


def test_a_paragraph_cut_by_a_page_break_is_joined_and_a_finished_one_is_not():
    """A full last line without a sentence end continues on the next page's unindented first line."""
    from reportlab.pdfgen import canvas

    font = _cid_font()
    body = "本机关坚持以公开为常态不公开为例外全面推进政务公开工作各项任务稳步落实取得成效" * 3
    pages = [
        [(96, body[:28]), (72, body[28:58])],  # runs to the margin, no sentence end: cut by the break
        [(72, body[58:70] + "。"), (96, body[:28]), (72, body[28:57] + "。")],  # full line, sentence ended
        [(72, body[57:87]), (72, "全年共收到政府信息公开申请21件。")],  # not joined to the finished one before
    ]
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n, lines in enumerate(pages):
        c.setFont(font, 12)
        for i, (x, s) in enumerate(lines):
            c.drawString(x, (700 if n == 1 else 760) - 20 * i, s)  # page 2 starts lower than page 1
        c.drawString(290, 40, "- 1 -")  # a page number between the two halves
        c.showPage()
    c.save()
    paras = read_pdf(buf.getvalue(), "pages.pdf").paragraphs()
    assert [p.text for p in paras] == [
        body[:70] + "。",
        body[:57] + "。",
        body[57:87] + "全年共收到政府信息公开申请21件。",
    ]
    assert [p.span.page for p in paras] == [1, 2, 3]  # a joined paragraph is where it starts
    top = paras[0].span.bbox
    assert top[3] < 120  # its box is its first page's two lines (to ~105 pt), not down to page 2's line (~145)


def test_diagonal_watermark_stays_out_of_cells_and_text():
    doc = read_pdf(_ruled_table_pdf(watermark="内部资料"), "stamped.pdf")
    (table,) = doc.tables()
    assert table.texts() == SYNTHETIC_GRID
    assert not any(ch in doc.text for ch in "资料")


def test_label_typeset_rotated_90_degrees_is_kept():
    """Vertical cell text set with a rotated matrix is not a watermark: it is read top to bottom (pdfium gives
    the rotated glyphs their boxes from the CJK font it stands in for the unembedded STSong-Light)."""
    requirements.cjk_font()
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    for y in (742, 542):
        c.line(72, y, 300, y)
    for x in (72, 100, 200, 300):
        c.line(x, 742, x, 542)
    c.setFont(font, 10)
    c.saveState()
    c.translate(80, 732)
    c.rotate(-90)
    c.drawString(0, -10, "三、本年度办理结果")
    c.restoreState()
    c.drawString(110, 692, "予以公开")
    c.drawString(210, 692, "12")
    c.drawString(72, 442, "正文。")
    c.showPage()
    c.save()
    (table,) = read_pdf(buf.getvalue(), "vertical.pdf").tables()
    assert table.texts() == [["三、本年度办理结果", "予以公开", "12"]]


def _small_grid(c, x0: float, top: float, height: float) -> None:
    """A 2×2 ruled table whose top-left corner is at (x0, top) measured from the top of a ``height``-pt box."""
    xs, ys = (x0, x0 + 100, x0 + 160), (top, top + 20, top + 40)
    for y in ys:
        c.line(xs[0], height - y, xs[-1], height - y)
    for x in xs:
        c.line(x, height - ys[0], x, height - ys[-1])
    c.setFont("STSong-Light", 10)
    for row, (label, value) in enumerate((("行政许可", "550"), ("行政处罚", "10"))):
        c.drawString(xs[0] + 2, height - ys[row] - 14, label)
        c.drawString(xs[1] + 2, height - ys[row] - 14, value)


def test_table_drawn_inside_a_form_xobject():
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    c.beginForm("tbl")
    _small_grid(c, 0, 0, 100)
    c.endForm()
    c.setFont(font, 12)
    c.drawString(72, 800, "二、主动公开政府信息情况")
    c.saveState()
    c.translate(72, 842 - 120 - 100)
    c.doForm("tbl")
    c.restoreState()
    c.drawString(72, 600, "三、结尾")
    c.showPage()
    c.save()
    doc = read_pdf(buf.getvalue(), "form.pdf")
    kinds = [b.texts() if isinstance(b, Table) else b.text for b in doc.blocks]
    assert kinds == ["二、主动公开政府信息情况", [["行政许可", "550"], ["行政处罚", "10"]], "三、结尾"]
    assert doc.tables()[0].span.bbox == (72.0, 120.0, 232.0, 160.0)


def test_landscape_page_made_with_rotate_reads_upright():
    """/Rotate 90 with content drawn turned: coordinates are those of the page as displayed."""
    requirements.cjk_font()  # pdfium's stand-in for the unembedded font gives the turned glyphs their boxes
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    c.setPageRotation(90)
    c.transform(0, 1, -1, 0, 595, 0)  # draw in the displayed frame: 842 wide, 595 tall
    _small_grid(c, 72, 100, 595)
    c.setFont(font, 12)
    c.drawString(72, 595 - 60, "横向页面的标题")
    c.showPage()
    c.save()
    doc = read_pdf(buf.getvalue(), "landscape.pdf")
    assert [b.texts() if isinstance(b, Table) else b.text for b in doc.blocks] == [
        "横向页面的标题", [["行政许可", "550"], ["行政处罚", "10"]]]
    assert doc.tables()[0].span.bbox == (72.0, 100.0, 232.0, 140.0)


def test_prose_in_visibly_shaded_boxes_is_not_a_table():
    """When the boxes behind prose lines do show (grey shading), the content check still says prose."""
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    lines = ["一、总体情况", "本年度共收到政府信息公开申请 21 件，均已按时答复。", "二、主动公开政府信息情况"]
    c.setStrokeColorRGB(0.5, 0.5, 0.5)
    for i, s in enumerate(lines):
        top = 100 + 20 * i
        c.setFillColorRGB(0.9, 0.9, 0.9)
        c.rect(70, 842 - top - 20, 450, 20, stroke=1, fill=1)
        c.setFillColorRGB(0, 0, 0)
        c.setFont(font, 12)
        c.drawString(72, 842 - top - 15, s)
    c.showPage()
    c.save()
    doc = read_pdf(buf.getvalue(), "shaded.pdf")
    assert doc.tables() == []
    assert [p.text for p in doc.paragraphs()] == ["一、总体情况", "本年度共收到政府信息公开申请21件,均已按时答复。",
                                                  "二、主动公开政府信息情况"]


def test_text_without_tables_gives_paragraphs_only():
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(font, 12)
    c.drawString(72, 700, "一、总体情况")
    c.drawString(72, 680, "本机关全年主动公开政府信息 35 条。")
    c.showPage()
    c.save()
    doc = read_pdf(buf.getvalue(), "prose.pdf")
    assert doc.tables() == []
    assert [p.text for p in doc.paragraphs()] == ["一、总体情况", "本机关全年主动公开政府信息35条。"]
    assert all(isinstance(b, Paragraph) for b in doc.blocks)


# --------------------------------------------------------------------------- bad input
def test_empty_bytes():
    with pytest.raises(EmptyInputError):
        read_pdf(b"", "empty.pdf")
    with pytest.raises(EmptyInputError):
        read_pdf(b"  \n ", "blank.pdf")


def test_garbage_and_truncated_pdf_are_corrupt():
    with pytest.raises(CorruptFileError) as err:
        read_pdf(b"%PDF-1.4\nthis is not a pdf at all\n", "garbage.pdf")
    assert "garbage.pdf" in str(err.value)
    data = _ruled_table_pdf()
    with pytest.raises(CorruptFileError):
        read_pdf(data[: len(data) // 3], "truncated.pdf")


def test_encrypted_pdf():
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption("user-secret", "owner-secret"))
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "annual report 2023")
    c.showPage()
    c.save()
    with pytest.raises(EncryptedFileError) as err:
        read_pdf(buf.getvalue(), "locked.pdf")
    assert "加密" in err.value.zh


def test_owner_password_only_pdf_is_read():
    """Print/copy restrictions only (empty user password): readable, tables included.

    (pdfminer leaves this file's CID font unmapped as (cid:N); pdfium maps it.)
    """
    from reportlab.lib.pdfencrypt import StandardEncryption

    data = _ruled_table_pdf(encrypt=StandardEncryption("", "owner-secret", canPrint=0, canCopy=0))
    doc = read_pdf(data, "restricted.pdf")
    (table,) = doc.tables()
    assert table.texts() == SYNTHETIC_GRID
    assert doc.paragraphs()[0].text == "三、收到和处理政府信息公开申请情况"


def test_image_only_pdf_needs_ocr():
    requirements.package("PIL", "ocr")
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(img).rectangle((20, 20, 380, 60), fill=0)  # a "scanned" black bar
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(img), 72, 500, width=400, height=200)
    c.rect(72, 300, 200, 100, stroke=1, fill=0)
    c.showPage()
    c.drawImage(ImageReader(img), 72, 500, width=400, height=200)
    c.showPage()
    c.save()
    with pytest.raises(ImageOnlyError) as err:
        read_pdf(buf.getvalue(), "scan.pdf")
    assert "OCR" in str(err.value)


def test_load_dispatches_pdf_paths_here():
    from extractor.ingest import load

    pdf = requirements.shared(REAL / "2024-huaian-hongze-district.pdf")
    doc = load(pdf)
    assert doc.source_name == pdf.name and doc.source_type == "pdf" and len(doc.tables()) == 5


def test_concurrent_reads_from_threads_agree():
    """PDFium is not thread-safe; read_pdf serialises its calls, so threads get identical documents."""
    from concurrent.futures import ThreadPoolExecutor

    data = _ruled_table_pdf()
    with ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(lambda _: read_pdf(data, "t.pdf"), range(8)))
    assert all(d.text == docs[0].text for d in docs) and docs[0].tables()[0].texts() == SYNTHETIC_GRID


@pytest.mark.browser
@pytest.mark.parametrize("template", ["2008", "2019", "2021"])
def test_a_report_printed_to_pdf_by_a_browser_reads_exactly(template: str, tmp_path) -> None:
    """Many published PDFs are web pages printed by a browser: subset-embedded CFF fonts, borders drawn
    as filled paths, tables broken over pages. Chromium prints a generated report; every value must come back."""
    import subprocess

    from evals.generator import generate, render
    from extractor.api import extract

    chromium = requirements.chromium()
    requirements.cjk_font()  # Chromium prints the Chinese text in a system font
    report = generate(11, template)
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    html.write_bytes(render(report, "html"))
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html.as_uri()], check=True, capture_output=True, timeout=120)
    result = extract(pdf)
    assert result.document.pages and result.document.pages >= 3  # the tables run over page breaks
    got = {k: v.value for k, v in result.values.items()}
    assert {k: got.get(k, "missing") for k in report.values} == report.values
    assert result.report_findings() == []


# --------------------------------------------------------------------------- the review page's outlines
FIXTURE_PDFS = Path(__file__).resolve().parent / "fixtures" / "pdf"
# every value's evidence (page, bbox) as read before the fast path (pdfium in bulk, own cell finder):
# the review page outlines these boxes, so a faster reader must not move one of them
VALUE_BOXES = json.loads((FIXTURE_PDFS / "value_boxes.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(VALUE_BOXES))
def test_every_value_keeps_its_box(name: str) -> None:
    from extractor.api import extract

    path = requirements.shared(REAL / name) if name.startswith("20") else FIXTURE_PDFS / name
    result = extract(path)
    got = {k: [[e.page, list(e.bbox) if e.bbox else None] for e in v.evidence] for k, v in result.values.items()}
    got.update({f"prose:{k}": [[e.page, list(e.bbox) if e.bbox else None] for e in v.evidence]
                for k, v in result.prose_values.items()})
    expected = VALUE_BOXES[name]
    assert len(expected) > 70
    moved = {k: (boxes, got.get(k)) for k, boxes in expected.items() if got.get(k) != boxes}
    assert moved == {}
