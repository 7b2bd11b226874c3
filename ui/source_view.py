"""The source beside the form: the PDF page with the chosen cell outlined, or the text with it marked.

pypdfium2 renders the page (under ``PDFIUM_LOCK``: PDFium is not thread-safe and Streamlit serves
sessions from several threads); Pillow draws the outlines. Evidence bboxes are PDF points with the
origin at the top-left, as the PDF ingester records them.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from extractor.ingest.pdf import PDFIUM_LOCK
from schemas.results import Evidence

FOCUS_RGB = (220, 38, 38)
OTHER_RGB = (234, 88, 12)


@dataclass(frozen=True)
class Mark:
    evidence: Evidence
    focus: bool = False


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


def page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            return len(pdf)
        finally:
            pdf.close()


def outline(png: bytes, marks: list[Mark], scale: float = 2.0, *,
            crop: tuple[float, float, float, float] | None = None) -> Image.Image:
    """Draw each mark's bbox (the focus thicker, with a translucent fill); then crop to ``crop`` (PDF points)."""
    img = Image.open(io.BytesIO(png)).convert("RGBA")
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    boxes = []
    for m in sorted(marks, key=lambda m: m.focus):
        if m.evidence.bbox is None:
            continue
        x0, top, x1, bottom = (v * scale for v in m.evidence.bbox)
        pad = 3 * scale
        box = (x0 - pad, top - pad, x1 + pad, bottom + pad)
        boxes.append(box)
        rgb = FOCUS_RGB if m.focus else OTHER_RGB
        draw.rectangle(box, fill=(*rgb, 48 if m.focus else 28), outline=(*rgb, 255),
                       width=int(3 * scale) if m.focus else int(1.5 * scale))
    img = Image.alpha_composite(img, layer).convert("RGB")
    if crop is not None:
        x0, y0, x1, y1 = (round(v * scale) for v in crop)
        img = img.crop((max(0, x0), max(0, y0), min(img.width, x1), min(img.height, y1)))
    return img


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
    ".xsrc mark.o{background:#fed7aa;color:#7c2d12}.xsrc .gap{color:#9ca3af}</style>"
)


def text_excerpt_html(text: str, marks: list[Mark], *, before: int = 160, after: int = 320, windows: int = 4) -> str:
    """The document text around each mark (the focus first), every marked span highlighted.

    One short window per place rather than one long one: a table cell and the sentence of the
    narrative that restates it are often pages apart, and both must be visible without scrolling.
    """
    # a blank cell has an empty span: still a place (start == end == 0 means no place at all)
    spans = sorted({(m.evidence.start, m.evidence.end, m.focus) for m in marks
                    if m.evidence.end > m.evidence.start or m.evidence.start > 0})
    if not spans:
        return _TEXT_CSS + '<div class="xsrc">（此数值没有可定位的原文位置）</div>'
    ranges: list[list[int]] = []
    for start, end, _ in spans:
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
        for start, end, is_focus in spans:
            if start < pos or start >= hi:
                continue
            parts.append(html.escape(text[pos:start]))
            shown = html.escape(text[start:min(end, hi)]) if end > start else '<span class="gap">（空白）</span>'
            parts.append(f'<mark class="{"f" if is_focus else "o"}">{shown}</mark>')
            pos = min(end, hi)
        parts.append(html.escape(text[pos:hi]))
        head = '<span class="gap">…</span>' if lo > 0 else ""
        tail = '<span class="gap">…</span>' if hi < len(text) else ""
        out.append(f'<div class="xsrc">{head}{"".join(parts)}{tail}</div>')
    return "".join(out)
