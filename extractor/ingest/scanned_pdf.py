"""PDFs that are scans, in whole or in part: the pages without a usable text layer, and the pictures
of tables on pages that have one, read by OCR into the Document the text layer gives.

* the whole file has no text layer (or one without Unicode mapping): every page is rendered and read;
* some pages have no text (or no Chinese text) but an image: those pages are read and their blocks
  take their place between the other pages' blocks;
* every page has text but no statistics table was found while a page holds a large picture: the
  pictures are read and their blocks are put where they sit on their page.

Without the ``[ocr]`` extra a scan still fails with one line that says how to install it, and a PDF
with text is read exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from extractor._errors import ImageOnlyError
from extractor.document import Document, DocumentBuilder, Paragraph, Table
from extractor.ingest import ocr
from extractor.ingest.image import (
    PageImage,
    add_images,
    add_scan,
    check_ocr_pages,
    copy_block,
    has_statistics_table,
    read_images,
)
from extractor.ingest.pdf import PDFIUM_LOCK, read_pdf

DEFAULT_DPI = 200  # pages whose images say nothing of their resolution
MIN_DPI, MAX_DPI = 150, 300  # a scan is rendered at its own resolution within these bounds
PICTURE_SHARE = 0.08  # a picture covering this share of its page may be a table
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(slots=True)
class _PageInfo:
    width: float  # points, as displayed
    height: float
    images: list[tuple[float, float, float, float]] = field(default_factory=list)  # boxes in points, top-left origin
    dpi: float | None = None  # the largest image's resolution on the page


def read_pdf_with_ocr(data: bytes, name: str = "") -> Document:
    """A PDF's text layer, with OCR wherever the text layer is missing (see the module docstring)."""
    try:
        doc = read_pdf(data, name)
    except ImageOnlyError:
        ocr.require(name)
        info = _page_info(data)
        if not any(pi.images for pi in info):
            raise  # blank pages: no picture to read, so no OCR budget spent on them
        return _read_all(data, name, info)
    if not ocr.available():
        return doc
    textless = _pages_without_text(doc)
    wants_tables = not has_statistics_table(doc)
    if not textless and not wants_tables:
        return doc
    info = _page_info(data)
    scan_pages = [p for p in textless if info[p - 1].images]
    pictures: list[tuple[int, tuple[float, float, float, float]]] = []
    if wants_tables:
        for n, pi in enumerate(info, start=1):
            if n in scan_pages:
                continue
            pictures.extend((n, b) for b in pi.images
                            if (b[2] - b[0]) * (b[3] - b[1]) >= PICTURE_SHARE * pi.width * pi.height)
    if not scan_pages and not pictures:
        return doc
    images = [_render(data, n, info[n - 1], None) for n in scan_pages]
    images += [_render(data, n, info[n - 1], box) for n, box in pictures]
    pages = read_images(images)
    return _merge(doc, list(zip(images, pages)), set(scan_pages))


def _pages_without_text(doc: Document) -> list[int]:
    """Pages with no block, or whose blocks hold no Chinese character (a text layer of garbage)."""
    texts: dict[int, str] = dict.fromkeys(range(1, (doc.pages or 0) + 1), "")
    for b in doc.blocks:
        if b.span.page is not None:
            texts[b.span.page] = texts.get(b.span.page, "") + doc.text[b.span.start:b.span.end]
    return [n for n, t in sorted(texts.items()) if not _CJK.search(t)]


def _read_all(data: bytes, name: str, info: list[_PageInfo]) -> Document:
    check_ocr_pages(len(info), name)
    images = [_render(data, n, pi, None) for n, pi in enumerate(info, start=1)]
    builder = DocumentBuilder(source_name=name, source_type="pdf", layout="ocr")
    builder.pages = len(images)
    add_images(builder, images, name)
    return builder.build()


def _page_info(data: bytes) -> list[_PageInfo]:
    """Each page's size and the boxes and resolution of its images."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as fz

    out: list[_PageInfo] = []
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            for i in range(len(pdf)):
                page = pdf[i]
                try:
                    w, h = page.get_size()
                    info = _PageInfo(w, h)
                    best = 0.0
                    for obj in page.get_objects(filter=(fz.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
                        left, bottom, right, top = obj.get_bounds()
                        box = (max(0.0, left), max(0.0, h - top), min(w, right), min(h, h - bottom))
                        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
                            continue
                        info.images.append(box)
                        try:
                            px_w, _ = obj.get_px_size()
                        except Exception:  # noqa: BLE001, S112 - an image pdfium cannot size: resolution unknown
                            continue
                        area = (box[2] - box[0]) * (box[3] - box[1])
                        if area > best and px_w:
                            best, info.dpi = area, px_w / ((box[2] - box[0]) / 72.0)
                    out.append(info)
                finally:
                    page.close()
        finally:
            pdf.close()
    return out


def _render(data: bytes, number: int, info: _PageInfo, box: tuple[float, float, float, float] | None) -> PageImage:
    """Page ``number`` (1-based) in grey at its scan's resolution, or only the picture at ``box``."""
    import numpy as np
    import pypdfium2 as pdfium

    dpi = min(MAX_DPI, max(MIN_DPI, info.dpi or DEFAULT_DPI))
    scale = dpi / 72.0
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[number - 1]
            try:
                crop = (0, 0, 0, 0) if box is None else (box[0], info.height - box[3], info.width - box[2], box[1])
                bitmap = page.render(scale=scale, grayscale=True, crop=crop)
                arr = np.array(bitmap.to_numpy(), copy=True)
            finally:
                page.close()
        finally:
            pdf.close()
    gray = arr[:, :, 0] if arr.ndim == 3 else arr
    origin = (0.0, 0.0) if box is None else (box[0], box[1])
    return PageImage(gray, f"page {number}", number, 1.0 / scale, origin)


def _merge(doc: Document, read: list[tuple[PageImage, Any]], replaced: set[int]) -> Document:
    """The text layer's blocks and the OCR'd ones, page by page, top to bottom."""
    builder = DocumentBuilder(source_name=doc.source_name, source_type=doc.source_type, layout=doc.layout)
    builder.pages = doc.pages
    by_page: dict[int, list[tuple[float, Any]]] = {}
    for b in doc.blocks:
        page = b.span.page or 1
        if page in replaced:
            continue
        top = b.span.bbox[1] if b.span.bbox else 0.0
        by_page.setdefault(page, []).append((top, b))
    for image, scan in read:
        top = image.origin[1]
        by_page.setdefault(image.page or 1, []).append((top + 0.01, (image, scan)))
    for page in sorted(by_page):
        for _, item in sorted(by_page[page], key=lambda it: it[0]):
            if isinstance(item, (Paragraph, Table)):
                copy_block(builder, item)
            else:
                add_scan(builder, item[1], item[0])
    return builder.build()
