"""PDF rendering with reportlab and its built-in CID font STSong-Light (no font file needed).

Tables are ruled (GRID) with SPAN for merged cells. With the ``pdf_table_split`` quirk table 三 (or the
old 统计表) is cut across a page break the way real reports are: spans clipped, the rest on the next page
without a header.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from .gen_prose import Block
from .gen_tables import Grid, TableModel

FONT = "STSong-Light"


def _register() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _table(g: Grid, tid: str, cell_style, avail: float):
    from reportlab.platypus import Paragraph, Table, TableStyle

    data = [[""] * g.ncols for _ in g.rows]
    spans = []
    for r, c, cell in g.placed():
        data[r][c] = Paragraph(escape(cell.text), cell_style) if cell.text and not cell.key else cell.text
        if cell.rs > 1 or cell.cs > 1:
            spans.append(("SPAN", (c, r), (c + cell.cs - 1, r + cell.rs - 1)))
    if tid == "t3":
        label = avail * 0.42
        widths = [label * 0.22, label * 0.30, label * 0.48] + [(avail - label) / (g.ncols - 3)] * (g.ncols - 3)
    elif tid == "old":
        widths = [avail * 0.7, avail * 0.1, avail * 0.2]
    elif tid == "t4" and g.ncols == 15:
        widths = [avail / 15] * 15
    elif tid == "t4":
        widths = [avail * 0.14, avail * 0.2] + [avail * 0.132] * 5
    else:
        widths = [avail * 0.34] + [avail * 0.22] * 3
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("FONT", (0, 0), (-1, -1), FONT, 8),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (-1, -1), "CENTER")] + spans)
    return Table(data, colWidths=widths, style=style)


def pdf(blocks: list[Block], tables: dict[str, TableModel], *, split_table: bool) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

    _register()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK", firstLineIndent=21)
    head = ParagraphStyle("head", parent=body, firstLineIndent=0, spaceBefore=6)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1, firstLineIndent=0)
    right = ParagraphStyle("right", parent=body, alignment=2)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, invariant=1, title="", author="", leftMargin=56, rightMargin=56)
    avail = A4[0] - 112
    story: list = []
    for b in blocks:
        if b.kind == "title":
            story.append(Paragraph(escape(b.text), title))
        elif b.kind == "heading":
            story.append(Paragraph(escape(b.text), head))
        elif b.kind == "para":
            story.append(Paragraph(escape(b.text), body))
        elif b.kind == "sign":
            story.append(Paragraph(escape(b.text), right))
        elif b.kind == "table":
            t = tables[b.text]
            lead = [Paragraph(escape(t.title), title)] if t.id == "old" else []
            lead += [Paragraph(escape(c), head) for c in t.captions]
            if split_table and t.id in ("t3", "old"):
                at = len(t.grid.rows) * 3 // 5
                top, bottom = t.grid.split(at)
                story += lead + [_table(top, t.id, cell, avail), PageBreak(), _table(bottom, t.id, cell, avail)]
            else:
                story.append(KeepTogether(lead + [_table(t.grid, t.id, cell, avail)]))
            story.append(Spacer(1, 8))
    doc.build(story)
    return buf.getvalue()
