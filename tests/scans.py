"""Scans made at test time: a PDF rasterized and rebuilt as an image-only PDF, pages as PNG, a table as a picture.

Nothing here is committed as a file: every scan is built from the real reports in ../shared or from
the seed when a test runs.
"""

from __future__ import annotations

import io

from tests import requirements


def page_images(pdf: bytes, dpi: int, *, rotate: float = 0.0, jpeg: bool = False, pages: list[int] | None = None):
    """The pages as PIL images at ``dpi``; ``rotate`` degrees counter-clockwise and JPEG (quality 75) if asked."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    out = []
    try:
        for i in range(len(doc)):
            if pages is not None and i + 1 not in pages:
                continue
            page = doc[i]
            img = page.render(scale=dpi / 72).to_pil().convert("RGB")
            page.close()
            if rotate:
                img = img.rotate(rotate, resample=Image.BICUBIC, fillcolor=(255, 255, 255))
            if jpeg:
                buf = io.BytesIO()
                img.save(buf, format="JPEG", quality=75)
                img = Image.open(io.BytesIO(buf.getvalue()))
            out.append(img)
    finally:
        doc.close()
    return out


def image_only_pdf(pdf: bytes, dpi: int, *, rotate: float = 0.0, jpeg: bool = False) -> bytes:
    """The PDF rasterized and rebuilt with one image per page and no text layer, as a scanner makes it."""
    images = page_images(pdf, dpi, rotate=rotate, jpeg=jpeg)
    return images_to_pdf(images, dpi)


def images_to_pdf(images, dpi: int) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def blank_page_pdf(dpi: int = 150) -> bytes:
    """One white A4 page with a few specks of dust, scanned."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (int(8.27 * dpi), int(11.69 * dpi)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for x, y in ((100, 200), (640, 900), (1000, 1500)):
        draw.point((x, y), fill=(120, 120, 120))
    return images_to_pdf([img], dpi)


def table_picture(doc, dpi: int = 200) -> bytes:
    """The Document's tables alone, typeset on one tall page and scanned: a table pasted as a picture (PNG).
    The page is typeset in the unembedded STSong-Light, so rendering it needs a CJK font on the machine."""
    requirements.cjk_font()
    import html

    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from extractor.document import Table as DocTable

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=10, leading=13, wordWrap="CJK")
    story = []
    rows_total = 0
    for b in doc.blocks:
        if isinstance(b, DocTable):
            rows = [[RLParagraph(html.escape(c), cell) for c in r] for r in b.texts()]
            rows_total += len(rows)
            widths = [300, 50, 80] if b.n_cols == 3 else None
            t = Table(rows, colWidths=widths)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            story.append(t)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=(520, 40 + 30 * rows_total), leftMargin=20, rightMargin=20,
                      topMargin=20, bottomMargin=20).build(story)
    (image,) = page_images(buf.getvalue(), dpi, pages=[1])
    return png(image)


def needs_ocr():
    """Skip a test when the [ocr] extra is missing, naming what installs it."""
    requirements.ocr()
