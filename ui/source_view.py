"""The source beside the form: the PDF page (or scan) with every value's box, or the text with the values marked.

pypdfium2 renders the page (under ``PDFIUM_LOCK``: PDFium is not thread-safe and Streamlit serves
sessions from several threads). The boxes are drawn by the browser over the page image, one per
value printed there, each carrying its key: the chosen value in red, the chosen finding's other
values in orange, and a click on any box selects that value (ui/components.py). Evidence bboxes are
PDF points with the origin at the top-left, as the PDF ingester records them; an image upload's are
points too (its pixels at its dpi), so its frames are drawn the same way. A value read by OCR also
gets the crop of the scan it was read from, enlarged, beside the number (``crop_html``).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

from PIL import Image

from extractor.ingest.pdf import PDFIUM_LOCK
from schemas.results import Evidence


@dataclass(frozen=True)
class Mark:
    evidence: Evidence
    focus: bool = False
    key: str | None = None  # the value the marked text is (clickable), if any


@dataclass(frozen=True)
class Box:
    """A value's box on the page: ``kind`` is focus (the chosen value), involved (its finding's) or value."""

    key: str
    bbox: tuple[float, float, float, float]
    kind: str = "value"
    label: str = ""


_PAGE_CSS = """<style>
.xpage{position:relative;display:block;width:100%;line-height:0;border:1px solid #d1d5db;border-radius:4px;
 overflow:hidden;background:#fff}
.xpage img{width:100%;height:auto;display:block}
.xpage .b{position:absolute;box-sizing:border-box;cursor:pointer;border:1px solid transparent}
.xpage .b:hover{border:2px solid #2563eb;background:rgba(37,99,235,.08)}
.xpage .b.involved{border:2px dashed #ea580c;background:rgba(234,88,12,.10)}
.xpage .b.focus{border:3px solid #dc2626;background:rgba(220,38,38,.16)}
</style>"""


def page_html(png: bytes, crop: tuple[float, float, float, float] | None, boxes: list[Box], scale: float = 2.0) -> str:
    """The page (cropped to ``crop``, PDF points) as an image with a clickable box per value.

    The image travels inside the HTML as a data URL (JPEG: a page of text is a few tens of KB).
    """
    img = Image.open(io.BytesIO(png)).convert("RGB")
    if crop is None:
        crop = (0.0, 0.0, img.width / scale, img.height / scale)
    x0, y0, x1, y1 = crop
    px = (max(0, round(x0 * scale)), max(0, round(y0 * scale)), min(img.width, round(x1 * scale)),
          min(img.height, round(y1 * scale)))
    img = img.crop(px)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=88)
    src = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
    w, h = (px[2] - px[0]) / scale, (px[3] - px[1]) / scale
    left, top = px[0] / scale, px[1] / scale
    pad = 2.0
    parts = [_PAGE_CSS, f'<div class="xpage" data-width="{img.width}"><img src="{src}" alt="原文页面">']
    for b in sorted(boxes, key=lambda b: ("value", "involved", "focus").index(b.kind)):
        bx0, by0, bx1, by1 = b.bbox
        if bx1 < left or bx0 > left + w or by1 < top or by0 > top + h:
            continue
        style = (f"left:{(bx0 - pad - left) / w * 100:.3f}%;top:{(by0 - pad - top) / h * 100:.3f}%;"
                 f"width:{(bx1 - bx0 + 2 * pad) / w * 100:.3f}%;height:{(by1 - by0 + 2 * pad) / h * 100:.3f}%")
        parts.append(f'<div class="b {b.kind}" data-key="{html.escape(b.key)}" title="{html.escape(b.label)}"'
                     f' style="{style}"></div>')
    parts.append("</div>")
    return "".join(parts)


def render_page(data: bytes, page: int, scale: float = 2.0) -> bytes:
    """One page (1-based) as PNG bytes."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            p = pdf[page - 1]
            try:
                img = p.render(scale=scale).to_pil()
            finally:
                p.close()
        finally:
            pdf.close()
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def render_image(data: bytes, name: str, page: int) -> tuple[bytes, float]:
    """One frame (1-based) of an image upload as PNG bytes, and its pixels per point (the scale of its bboxes)."""
    from extractor.ingest.image import decode_image, image_dpi

    frames = decode_image(data, name)
    gray = frames[min(max(page, 1), len(frames)) - 1]
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, format="PNG")
    return buf.getvalue(), (image_dpi(data) or 72.0) / 72.0


_CROP_CSS = """<style>
.xcrop{display:flex;align-items:center;gap:10px;margin:2px 0 6px 0}
.xcrop img{height:64px;width:auto;image-rendering:auto;border:1px solid #0f766e;border-radius:3px;background:#fff}
.xcrop .t{font-size:13px;color:#374151;line-height:1.45}
.xcrop .t b.low{color:#c2410c}
</style>"""


def crop_html(png: bytes, lines: list[str], *, low: bool = False) -> str:
    """The crop of a scan a value was read from, enlarged to a readable height, with its lines beside it
    (the first in bold, orange when ``low``)."""
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    cls = ' class="low"' if low else ""
    text = "<br>".join([f"<b{cls}>{html.escape(lines[0])}</b>", *map(html.escape, lines[1:])] if lines else [])
    return (f'{_CROP_CSS}<div class="xcrop"><img class="ocr-crop" src="{src}" alt="扫描原图">'
            f'<div class="t">{text}</div></div>')


def page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            return len(pdf)
        finally:
            pdf.close()


def crop_box(marks: list[Mark], content: tuple[float, float, float, float] | None, *,
             context: float = 170.0, margin: float = 12.0) -> tuple[float, float, float, float] | None:
    """The part of the page worth showing: the page's text width, ``context`` points above and below the marks.

    Cropping keeps the outlined cell large enough to read beside the form without scrolling the page.
    """
    boxes = [m.evidence.bbox for m in marks if m.evidence.bbox]
    if not boxes:
        return None
    focus = next((m.evidence.bbox for m in marks if m.focus and m.evidence.bbox), boxes[0])
    top = min(focus[1], min(b[1] for b in boxes)) - context
    bottom = max(focus[3], max(b[3] for b in boxes)) + context
    if bottom - top > 3 * context + 200:  # marks far apart: centre on the focus
        top, bottom = focus[1] - context, focus[3] + context
    left = min(b[0] for b in boxes) if content is None else min(content[0], *(b[0] for b in boxes))
    right = max(b[2] for b in boxes) if content is None else max(content[2], *(b[2] for b in boxes))
    return (left - margin, max(0.0, top), right + margin, bottom)


def content_box(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float] | None:
    """The union of a page's block boxes: where its text is."""
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


_TEXT_CSS = (
    "<style>.xsrc{white-space:pre-wrap;font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;"
    "font-size:14px;line-height:1.6;border:1px solid #d1d5db;border-radius:6px;padding:8px 12px;margin:0 0 8px 0;"
    "max-height:420px;overflow-y:auto;background:#fcfcfd;color:#111827}"
    ".xsrc mark.f{background:#fecaca;outline:2px solid #dc2626;font-weight:700;color:#7f1d1d}"
    ".xsrc mark.o{background:#fed7aa;color:#7c2d12}.xsrc .gap{color:#9ca3af}"
    ".xsrc mark[data-key]{cursor:pointer}</style>"
)


def text_excerpt_html(text: str, marks: list[Mark], *, before: int = 160, after: int = 320, windows: int = 4) -> str:
    """The document text around each mark (the focus first), every marked span highlighted.

    One short window per place rather than one long one: a table cell and the sentence of the
    narrative that restates it are often pages apart, and both must be visible without scrolling.
    """
    # a blank cell has an empty span: still a place (start == end == 0 means no place at all)
    spans = sorted({(m.evidence.start, m.evidence.end, m.focus, m.key or "") for m in marks
                    if m.evidence.end > m.evidence.start or m.evidence.start > 0})
    if not spans:
        return _TEXT_CSS + '<div class="xsrc">（此数值没有可定位的原文位置）</div>'
    ranges: list[list[int]] = []
    for start, end, _, _ in spans:
        lo, hi = max(0, start - before), min(len(text), end + after)
        if ranges and lo <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], hi)
        else:
            ranges.append([lo, hi])
    focus = next((s for s in spans if s[2]), spans[0])
    ranges.sort(key=lambda r: not (r[0] <= focus[0] < r[1]))  # the focus window first
    out = [_TEXT_CSS]
    for lo, hi in ranges[:windows]:
        parts, pos = [], lo
        for start, end, is_focus, key in spans:
            if start < pos or start >= hi:
                continue
            parts.append(html.escape(text[pos:start]))
            shown = html.escape(text[start:min(end, hi)]) if end > start else '<span class="gap">（空白）</span>'
            data = f' data-key="{html.escape(key)}"' if key else ""
            parts.append(f'<mark class="{"f" if is_focus else "o"}"{data}>{shown}</mark>')
            pos = min(end, hi)
        parts.append(html.escape(text[pos:hi]))
        head = '<span class="gap">…</span>' if lo > 0 else ""
        tail = '<span class="gap">…</span>' if hi < len(text) else ""
        out.append(f'<div class="xsrc">{head}{"".join(parts)}{tail}</div>')
    return "".join(out)
