"""Re-render a Document (the seed) as HTML, DOCX and PDF, so each ingester is tested on the same report."""

from __future__ import annotations

import html
import io

from extractor.document import Document, Paragraph


def to_html(doc: Document, encoding: str = "utf-8") -> bytes:
    parts = [f'<html><head><meta charset="{encoding}"><title>年度报告</title></head><body>']
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            parts.append(f"<p>{html.escape(b.text)}</p>")
        else:
            parts.append('<table border="1">')
            for row in b.texts():
                parts.append("<tr>" + "".join(f"<td>{html.escape(c) or '&nbsp;'}</td>" for c in row) + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts).encode(encoding)


def to_docx(doc: Document) -> bytes:
    from docx import Document as Docx

    d = Docx()
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            d.add_paragraph(b.text)
        else:
            rows = b.texts()
            t = d.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for i, row in enumerate(rows):
                for j, text in enumerate(row):
                    t.cell(i, j).text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def to_pdf(doc: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=15, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=12)
    story = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            story.append(RLParagraph(html.escape(b.text), body))
        else:
            rows = [[RLParagraph(html.escape(c), cell) for c in r] for r in b.texts()]
            t = Table(rows, colWidths=[300, 50, 80], repeatRows=1)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            story.append(t)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()
