"""PDF with a text layer → :class:`~extractor.document.Document` (paragraphs and ruled tables).

Why it is not just ``page.extract_tables()``: office exports (WPS, Word) often paint an invisible
white rectangle behind every prose line, so pdfplumber's table finder sees the prose as one-column
tables, and tables split over pages lose their top or bottom border, so pdfplumber drops the
cells there. This reader therefore

* finds tables only on the *visible* ruling (white or unpainted shapes are ignored),
* closes each table's frame from the extent of its own visible rules, so the open edge of a
  page-split fragment still yields its cells,
* rejects any "table" in which no row has two filled cells (that is prose in a box),
* builds cell and line text from the characters itself: no spaces between CJK characters
  (justified or wrapped labels come out whole), digits never split or glued across cells,
* merges prose lines into paragraphs from the page geometry (indents, short last lines) and
  interleaves paragraphs and tables top to bottom per page, joining a paragraph cut by a page break
  (a full last line without a sentence end, an unindented first line on the next page),
* drops slanted watermark glyphs and page-number lines.

Characters and vector paths come from pdfium (pypdfium2: about 5× faster than pdfminer and it
maps more font encodings) by its own C calls, a few per character and one walk over the page's
objects for the rules; ``ruling.find_tables`` turns the visible rules into cells (pdfplumber's
lattice method, reproduced exactly with sorted sweeps and indexes instead of all-pairs scans;
pdfplumber's finder stays as the fallback, ``XXGK_PDF_TABLES=pdfplumber``), and characters go to
cells by a sweep over each row sorted by x.
Every block and cell carries its page (1-based) and its bbox in PDF points (x0, top, x1, bottom),
top-left origin as displayed (/Rotate applied).
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from extractor._errors import (
    CorruptFileError,
    EmptyInputError,
    EncryptedFileError,
    ImageOnlyError,
)
from extractor.document import Document, DocumentBuilder, Table
from extractor.ingest.ruling import RuledTable, find_tables
from extractor.settings import limits, settings

BBox = tuple[float, float, float, float]

_TOL = 3.0  # points: how far a rule may sit from a table edge and still belong to it
_PAGE_NO_RE = re.compile(r"^(?:[-—–－\s]*\d{1,4}[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_SENTENCE_END = set("。！？；：!?;:")
_HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.、．](?!\d))")
# PDFium is not thread-safe, not even across documents: every pdfium call in the process must hold
# this lock (threaded servers and batch workers share it; processes do not need it).
PDFIUM_LOCK = threading.RLock()
_ERR_PASSWORD, _ERR_SECURITY = 4, 5  # pdfium's FPDF_ERR_PASSWORD, FPDF_ERR_SECURITY
_MAX_FORM_DEPTH = 15  # nested form XObjects descended into (pypdfium2's get_objects default)


# --------------------------------------------------------------------------- public entry point
def read_pdf(data: bytes, name: str = "") -> Document:
    """Read a PDF's text layer into paragraphs and table grids, in reading order."""
    if not data or not data.strip():
        raise EmptyInputError(name)
    import pypdfium2 as pdfium

    detail = f"{name}: " if name else ""
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) in (_ERR_PASSWORD, _ERR_SECURITY):
                raise EncryptedFileError(detail + str(exc)) from exc
            raise CorruptFileError(detail + str(exc)) from exc
        try:
            limits().check("pdf_pages", len(pdf), name)
            pages = [_read_page(pdf, i) for i in range(len(pdf))]
        except pdfium.PdfiumError as exc:
            raise CorruptFileError(detail + str(exc)) from exc
        finally:
            pdf.close()
    if not pages:
        raise CorruptFileError(detail + "no pages")
    _check_text_layer(pages, name)
    builder = DocumentBuilder(source_name=name, source_type="pdf", layout="pdf")
    builder.pages = len(pages)
    _emit(builder, pages)
    return builder.build()


# --------------------------------------------------------------------------- per page
@dataclass(slots=True)
class _Line:
    """One printed line: characters on one baseline, in x order."""

    chars: list[dict[str, Any]]
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    text: str = ""
    font: str = ""  # the line's main CJK font, subset prefix removed


@dataclass(slots=True)
class _TableGrid:
    grid: list[list[str | None]]
    bboxes: list[list[BBox | None]]
    bbox: BBox
    origins: list[list[tuple[int, int] | None]]  # the real cell covering each None slot
    spans: list[list[tuple[int, int]]]  # (rowspan, colspan) of each real cell


@dataclass(slots=True)
class _Page:
    number: int
    height: float
    items: list[tuple[float, _Line | _TableGrid]]  # (top, block) in no particular order yet
    n_chars: int
    n_unmapped: int  # glyphs without a Unicode value (U+FFFD, private use, control codes)
    n_images: int


class _Geom:
    """PDF user space → top-left page coordinates as displayed (mediabox origin, /Rotate applied)."""

    def __init__(self, page: Any) -> None:
        self.left, self.bottom, self.right, self.top = page.get_mediabox()
        self.rotation = page.get_rotation() % 360
        w, h = self.right - self.left, self.top - self.bottom
        self.width, self.height = (h, w) if self.rotation in (90, 270) else (w, h)

    def point(self, x: float, y: float) -> tuple[float, float]:
        if self.rotation == 90:
            return y - self.bottom, x - self.left
        if self.rotation == 180:
            return self.right - x, y - self.bottom
        if self.rotation == 270:
            return self.top - y, self.right - x
        return x - self.left, self.top - y

    def box(self, left: float, bottom: float, right: float, top: float) -> BBox:
        (ax, ay), (bx, by) = self.point(left, bottom), self.point(right, top)
        return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def _read_page(pdf: Any, index: int) -> _Page:
    page = pdf[index]
    try:
        geom = _Geom(page)
        textpage = page.get_textpage()
        try:
            chars = _drop_watermark(_page_chars(textpage, geom))
        finally:
            textpage.close()
        edges, n_images = _page_graphics(page, geom)
    finally:
        page.close()
    n_unmapped = sum(1 for c in chars if _unmapped(c["text"]))
    items: list[tuple[float, _Line | _TableGrid]] = []
    free = chars
    if chars:
        for t in _find_tables(edges, geom):
            grid, inside, rest = _fill_table(t, free)
            if grid is None:
                continue  # not a data table: its characters stay prose
            free = rest
            items.append((grid.bbox[1], grid))
            # characters inside the table frame that no cell claims (rare): keep them as text
            items.extend((ln.top, ln) for ln in _lines(inside, cell=False))
    items.extend((ln.top, ln) for ln in _lines(free, cell=False))
    return _Page(index + 1, geom.height, items, len(chars), n_unmapped, n_images)


def _page_chars(textpage: Any, geom: _Geom) -> list[dict[str, Any]]:
    """The printed characters with loose boxes, font size, font name and text matrix, each glyph once.

    One pass of direct pdfium calls per character (code, text object, loose box, and the object's
    matrix, size and font when the object is new: office exports often set every character as its
    own object); font names are read once per font. A character without a text object is one pdfium
    generated (a space or line break).
    """
    import ctypes

    from pypdfium2 import PdfiumError

    calls = _calls()
    get_box, get_matrix, get_size, get_object, get_font = (calls.loose_box, calls.char_matrix, calls.font_size,
                                                           calls.text_object, calls.font)
    raw = textpage.raw
    page = ctypes.cast(raw, ctypes.c_void_p).value
    rect = (ctypes.c_float * 4)()  # FS_RECTF: left, top, right, bottom
    rect_at = ctypes.addressof(rect)
    matrix = (ctypes.c_float * 6)()  # FS_MATRIX: a, b, c, d, e, f
    matrix_at = ctypes.addressof(matrix)
    objects: dict[int, tuple[float, str, tuple[float, float, float, float]]] = {}  # object → size, font, matrix
    fonts: dict[int, str] = {}
    ox, oy = ctypes.c_double(), ctypes.c_double()
    left, top_edge, upright = geom.left, geom.top, geom.rotation == 0
    out: list[dict[str, Any]] = []
    append = out.append
    seen: set[tuple[str, int, int]] = set()
    space = False
    n = calls.count_chars(page)
    codes = _page_codes(raw, n)
    i = 0
    while i < n:
        code = codes[i]
        j = i + 1
        if 0xD800 <= code <= 0xDBFF and j < n:  # a surrogate pair: one character outside the BMP
            low = codes[j]
            if 0xDC00 <= low <= 0xDFFF:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                j += 1
        ch = chr(code) if 0 < code < 0x110000 and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        obj = get_object(page, i) if not ch.isspace() else None
        if not obj:
            space = True  # loose boxes overlap, so a printed or implied space is kept as a flag
            i = j
            continue
        known = objects.get(obj)
        if known is None:
            get_matrix(page, i, matrix_at)
            a, b, c, d = matrix[0], matrix[1], matrix[2], matrix[3]
            scale = abs(a * d - b * c) ** 0.5  # Tf size × text/CTM scale
            font_handle = get_font(obj) or 0
            font = fonts.get(font_handle)
            if font is None:
                font = fonts[font_handle] = _font_name(font_handle)
            known = objects[obj] = (get_size(page, i) * (scale or 1.0), font, (a, b, c, d))
        size, font, mat = known
        if not get_box(page, i, rect_at):
            raise PdfiumError("Failed to get charbox.")
        r_left, r_top, r_right, r_bottom = rect
        if upright:  # _Geom.box inlined for the common case
            lo_x, hi_x = (r_left, r_right) if r_left <= r_right else (r_right, r_left)
            lo_y, hi_y = (r_bottom, r_top) if r_bottom <= r_top else (r_top, r_bottom)
            x0, top, x1, bottom = lo_x - left, top_edge - hi_y, hi_x - left, top_edge - lo_y
        else:
            x0, top, x1, bottom = geom.box(r_left, r_bottom, r_right, r_top)
        limit = 1.6 * size + 1
        if x1 - x0 > limit or bottom - top > limit:
            x0, top, x1, bottom = _tight_box(textpage, i, geom, size, mat, ox, oy)
        key = (ch, round(x0), round(top))
        if key not in seen:  # fake bold paints the same glyph twice, a hair apart: keep one
            seen.add(key)
            append({"text": ch, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "size": size or bottom - top,
                    "fontname": font, "matrix": mat, "space_before": space})
        space = False
        i = j
    return out


def _page_codes(raw: Any, n: int) -> Any:
    """The UTF-16 code unit of every character index, read in one call (one unit per index, as
    ``FPDFText_GetUnicode`` gives them), or one call per character if pdfium answers otherwise."""
    import ctypes

    import pypdfium2.raw as fz

    if n <= 0:
        return []
    buf = (ctypes.c_ushort * (n + 1))()
    if fz.FPDFText_GetText(raw, 0, n, buf) == n + 1 and all(
            buf[i] == fz.FPDFText_GetUnicode(raw, i) for i in (0, n // 2, n - 1)):
        return buf
    return [fz.FPDFText_GetUnicode(raw, i) for i in range(n)]


def _address(fn: Any) -> int:
    """The address of a pdfium function (never NULL for a symbol the library exports)."""
    import ctypes

    address = ctypes.cast(fn, ctypes.c_void_p).value
    if address is None:
        raise RuntimeError("pdfium function without an address")
    return address


def _box(values: Any) -> BBox:
    """Four numbers as a float box (pdfplumber and pdfium give Decimals, ints or floats)."""
    x0, top, x1, bottom = values
    return float(x0), float(top), float(x1), float(bottom)


@dataclass(frozen=True)
class _Calls:
    """pdfium functions declared with plain integer handles and addresses: no pointer object built and
    no argument type checked per call, which for a page of characters set one per object is most of
    the reading time."""

    count_chars: Any
    text_object: Any
    font: Any
    loose_box: Any
    char_matrix: Any
    font_size: Any
    page_count: Any
    page_object: Any
    form_count: Any
    form_object: Any
    object_type: Any
    object_matrix: Any
    draw_mode: Any
    stroke_color: Any
    fill_color: Any
    count_segments: Any
    segment: Any
    segment_point: Any
    segment_type: Any
    segment_closes: Any


@functools.cache
def _calls() -> _Calls:
    import ctypes

    import pypdfium2.raw as fz

    def declare(fn: Any, result: Any, *argtypes: Any) -> Any:
        return ctypes.CFUNCTYPE(result, *argtypes)(_address(fn))

    handle, index, address = ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
    return _Calls(
        count_chars=declare(fz.FPDFText_CountChars, ctypes.c_int, handle),
        text_object=declare(fz.FPDFText_GetTextObject, handle, handle, index),
        font=declare(fz.FPDFTextObj_GetFont, handle, handle),
        loose_box=declare(fz.FPDFText_GetLooseCharBox, ctypes.c_int, handle, index, address),
        char_matrix=declare(fz.FPDFText_GetMatrix, ctypes.c_int, handle, index, address),
        font_size=declare(fz.FPDFText_GetFontSize, ctypes.c_double, handle, index),
        page_count=declare(fz.FPDFPage_CountObjects, ctypes.c_int, handle),
        page_object=declare(fz.FPDFPage_GetObject, handle, handle, index),
        form_count=declare(fz.FPDFFormObj_CountObjects, ctypes.c_int, handle),
        form_object=declare(fz.FPDFFormObj_GetObject, handle, handle, ctypes.c_ulong),
        object_type=declare(fz.FPDFPageObj_GetType, ctypes.c_int, handle),
        object_matrix=declare(fz.FPDFPageObj_GetMatrix, ctypes.c_int, handle, address),
        draw_mode=declare(fz.FPDFPath_GetDrawMode, ctypes.c_int, handle, address, address),
        stroke_color=declare(fz.FPDFPageObj_GetStrokeColor, ctypes.c_int, handle, address, address, address, address),
        fill_color=declare(fz.FPDFPageObj_GetFillColor, ctypes.c_int, handle, address, address, address, address),
        count_segments=declare(fz.FPDFPath_CountSegments, ctypes.c_int, handle),
        segment=declare(fz.FPDFPath_GetPathSegment, handle, handle, index),
        segment_point=declare(fz.FPDFPathSegment_GetPoint, ctypes.c_int, handle, address, address),
        segment_type=declare(fz.FPDFPathSegment_GetType, ctypes.c_int, handle),
        segment_closes=declare(fz.FPDFPathSegment_GetClose, ctypes.c_int, handle),
    )


def _font_name(handle: int) -> str:
    """The font's PostScript name (with any subset prefix) as pdfium reads it."""
    import ctypes

    import pypdfium2.raw as fz

    if not handle:
        return ""
    font = ctypes.cast(handle, fz.FPDF_FONT)
    length = fz.FPDFFont_GetBaseFontName(font, None, 0)
    buf = ctypes.create_string_buffer(max(length, 1))
    fz.FPDFFont_GetBaseFontName(font, buf, length)
    return buf.raw[: max(0, length - 1)].decode("utf-8", "replace")


def _tight_box(textpage: Any, i: int, geom: _Geom, size: float, matrix: tuple[float, ...], ox: Any, oy: Any) -> BBox:
    """Where pdfium's loose (advance × ascent/descent) box is wrong (seen on glyphs stacked one per
    line): the inked box widened to the em height around the baseline."""
    import pypdfium2.raw as fz

    tight = geom.box(*textpage.get_charbox(i))
    if abs(matrix[1]) > 0.05 * abs(matrix[0]) or not fz.FPDFText_GetCharOrigin(textpage, i, ox, oy):
        return tight
    _, base = geom.point(ox.value, oy.value)
    return (tight[0], min(tight[1], base - 0.88 * size), tight[2], max(tight[3], base + 0.12 * size))


def _unmapped(ch: str) -> bool:
    o = ord(ch)
    return ch == "\ufffd" or 0xE000 <= o <= 0xF8FF or o < 0x20


def _diagonal(c: dict[str, Any]) -> bool:
    """A glyph set at a slant (not 0°/90°/180°/270°): vertical cell text is kept, a stamp is not."""
    m = c.get("matrix")
    return _slanted(tuple(m)) if m else False


@functools.lru_cache(maxsize=1024)
def _slanted(m: tuple[float, ...]) -> bool:
    a, b = abs(float(m[0])), abs(float(m[1]))
    norm = max((a * a + b * b) ** 0.5, 1e-9)
    return a > 0.05 * norm and b > 0.05 * norm


def _drop_watermark(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop slanted glyphs (a diagonal 水印 over the table) when most of the page is upright text."""
    slanted = [c for c in chars if _diagonal(c)]
    if not slanted or len(slanted) > 0.2 * len(chars):
        return chars
    return [c for c in chars if not _diagonal(c)]


def _check_text_layer(pages: list[_Page], name: str) -> None:
    """A scan (or a text layer without Unicode mapping) cannot be read without OCR."""
    total = sum(p.n_chars for p in pages)
    unmapped = sum(p.n_unmapped for p in pages)
    images = sum(p.n_images for p in pages)
    detail = f"{name}: " if name else ""
    if total == 0 or (total < 30 * len(pages) and images):
        raise ImageOnlyError(detail + f"{total} characters on {len(pages)} pages")
    if unmapped > total / 2:
        raise ImageOnlyError(detail + "the fonts carry no Unicode mapping")


# --------------------------------------------------------------------------- tables
def _visible_color(rgba: tuple[int, int, int, int]) -> bool:
    r, g, b, a = rgba
    return a > 0 and not (r >= 242 and g >= 242 and b >= 242)


def _page_graphics(page: Any, geom: _Geom) -> tuple[list[dict[str, Any]], int]:
    """Horizontal and vertical edges of every visibly painted path, and the number of images.

    A path that is neither stroked in a visible colour nor filled in one (the white boxes WPS puts
    behind prose lines) paints nothing and is no table rule. The page's objects are walked with
    pdfium's own calls (forms descended into, as deep as pypdfium2's ``get_objects`` goes), once.
    """
    import ctypes

    import pypdfium2.raw as fz

    calls = _calls()
    edges: list[dict[str, Any]] = []
    n_images = 0
    ints = (ctypes.c_int * 2)()  # the fill mode and the stroke flag
    ints_at = ctypes.addressof(ints)
    rgba = (ctypes.c_uint * 4)()
    at = [ctypes.addressof(rgba) + k * ctypes.sizeof(ctypes.c_uint) for k in range(4)]
    m = (ctypes.c_float * 6)()  # FS_MATRIX
    m_at = ctypes.addressof(m)
    xy = (ctypes.c_float * 2)()
    x_at, y_at = ctypes.addressof(xy), ctypes.addressof(xy) + ctypes.sizeof(ctypes.c_float)
    path_t, image_t, form_t = fz.FPDF_PAGEOBJ_PATH, fz.FPDF_PAGEOBJ_IMAGE, fz.FPDF_PAGEOBJ_FORM
    moveto, lineto = fz.FPDF_SEGMENT_MOVETO, fz.FPDF_SEGMENT_LINETO
    object_type, get_matrix, form_object = calls.object_type, calls.object_matrix, calls.form_object
    segments, segment, point, segment_type, closes = (calls.count_segments, calls.segment, calls.segment_point,
                                                      calls.segment_type, calls.segment_closes)

    def walk(handles: list[int], outer: tuple[float, ...] | None, level: int) -> None:
        nonlocal n_images
        for handle in handles:
            kind = object_type(handle)
            if kind not in (path_t, image_t, form_t):
                continue  # text objects: most of a page's objects
            if kind == image_t:
                n_images += 1
                continue
            get_matrix(handle, m_at)
            own = tuple(m)
            mat = _compose(own, outer) if outer else own
            if kind == form_t:
                if level < _MAX_FORM_DEPTH - 1:
                    walk([form_object(handle, k) for k in range(calls.form_count(handle))], mat, level + 1)
                continue
            calls.draw_mode(handle, ints_at, ints_at + ctypes.sizeof(ctypes.c_int))
            visible = False
            if ints[1] and calls.stroke_color(handle, *at):
                visible = _visible_color(tuple(rgba))
            if not visible and ints[0] and calls.fill_color(handle, *at):
                visible = _visible_color(tuple(rgba))
            if not visible:
                continue
            start = prev = None
            for k in range(segments(handle)):
                seg = segment(handle, k)
                point(seg, x_at, y_at)
                pt = geom.point(*_apply(mat, xy[0], xy[1]))
                kind_seg = segment_type(seg)
                if kind_seg == moveto:
                    start = prev = pt
                    continue
                if kind_seg == lineto and prev is not None:
                    _add_edge(edges, prev, pt)
                prev = pt
                if closes(seg) and start is not None:
                    _add_edge(edges, pt, start)
                    prev = start

    page_handle = ctypes.cast(page.raw, ctypes.c_void_p).value
    walk([calls.page_object(page_handle, k) for k in range(calls.page_count(page_handle))], None, 0)
    return edges, n_images


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _add_edge(edges: list[dict[str, Any]], p: tuple[float, float], q: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 0.5 and abs(x1 - x0) >= 1:
        top = (y0 + y1) / 2
        lo, hi = min(x0, x1), max(x0, x1)
        edges.append({"x0": lo, "x1": hi, "top": top, "bottom": top, "width": hi - lo, "height": 0.0,
                      "object_type": "line", "orientation": "h"})
    elif abs(x0 - x1) < 0.5 and abs(y1 - y0) >= 1:
        left = (x0 + x1) / 2
        lo, hi = min(y0, y1), max(y0, y1)
        edges.append({"x0": left, "x1": left, "top": lo, "bottom": hi, "width": 0.0, "height": hi - lo,
                      "object_type": "line", "orientation": "v"})


@dataclass(slots=True)
class _StubPage:
    """pdfplumber's table finder only needs the page box when every line is given explicitly."""

    bbox: BBox


def _tables_from(edges: list[dict[str, Any]], geom: _Geom) -> list[RuledTable]:
    if sum(e["orientation"] == "v" for e in edges) < 2 or sum(e["orientation"] == "h" for e in edges) < 2:
        return []
    if settings().pdf_tables != "pdfplumber":
        return find_tables(edges)
    return _pdfplumber_tables(edges, geom)


def _pdfplumber_tables(edges: list[dict[str, Any]], geom: _Geom) -> list[RuledTable]:
    """The same tables by pdfplumber's finder: the reference ``ruling.find_tables`` reproduces, kept as
    the fallback for a page the fast finder would read differently (``XXGK_PDF_TABLES=pdfplumber``)."""
    from pdfplumber.table import TableFinder

    settings = {
        "vertical_strategy": "explicit",
        "horizontal_strategy": "explicit",
        "explicit_vertical_lines": [e for e in edges if e["orientation"] == "v"],
        "explicit_horizontal_lines": [e for e in edges if e["orientation"] == "h"],
    }
    finder = TableFinder(_StubPage((0.0, 0.0, geom.width, geom.height)), settings)  # type: ignore[arg-type]
    return [RuledTable([_box(c) for c in t.cells]) for t in finder.tables]


def _find_tables(edges: list[dict[str, Any]], geom: _Geom) -> list[RuledTable]:
    """Tables from visible rules, found twice: the second pass closes each table's frame."""
    first = _tables_from(edges, geom)
    if not first:
        return []
    extra: list[dict[str, Any]] = []
    for t in first:
        x0, top, x1, bottom = t.bbox
        verts = [e for e in edges if e["orientation"] == "v" and x0 - _TOL <= e["x0"] <= x1 + _TOL
                 and e["bottom"] >= top - _TOL and e["top"] <= bottom + _TOL]
        if verts:
            top = min(top, min(e["top"] for e in verts))
            bottom = max(bottom, max(e["bottom"] for e in verts))
        hors = [e for e in edges if e["orientation"] == "h" and top - _TOL <= e["top"] <= bottom + _TOL
                and e["x1"] >= x0 - _TOL and e["x0"] <= x1 + _TOL]
        if hors:
            x0 = min(x0, min(e["x0"] for e in hors))
            x1 = max(x1, max(e["x1"] for e in hors))
        for yy in (top, bottom):
            _add_edge(extra, (x0, yy), (x1, yy))
        for xx in (x0, x1):
            _add_edge(extra, (xx, top), (xx, bottom))
    return sorted(_tables_from(edges + extra, geom), key=lambda t: (t.bbox[1], t.bbox[0]))


def _center_in(c: dict[str, Any], b: BBox) -> bool:
    cx = (c["x0"] + c["x1"]) / 2
    cy = (c["top"] + c["bottom"]) / 2
    return b[0] <= cx < b[2] and b[1] <= cy < b[3]


def _fill_table(
    table: RuledTable, chars: list[dict[str, Any]]
) -> tuple[_TableGrid | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The table's text grid, the characters inside its frame no cell claims, and the rest."""
    tb = _box(table.bbox)
    inside: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    centres: list[tuple[float, float]] = []  # of the characters inside, in their order
    for c in chars:
        cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
        if tb[0] <= cx < tb[2] and tb[1] <= cy < tb[3]:
            inside.append(c)
            centres.append((cx, cy))
        else:
            rest.append(c)
    by_mid = sorted(range(len(inside)), key=lambda k: centres[k][1])  # stable: ties keep the page order
    mids = [centres[k][1] for k in by_mid]
    claimed: set[int] = set()
    grid: list[list[str | None]] = []
    bboxes: list[list[BBox | None]] = []
    kept: list[int] = []  # index in table.rows of each kept row
    for ri, row in enumerate(table.rows):
        texts: list[str | None] = []
        boxes: list[BBox | None] = []
        real = [cb for cb in row if cb is not None]
        lo = bisect.bisect_left(mids, min((float(cb[1]) for cb in real), default=0.0))
        hi = bisect.bisect_left(mids, max((float(cb[3]) for cb in real), default=0.0))
        # the characters whose centre lies in this row's height, swept left to right by centre
        near = sorted((centres[k][0], pos, k) for pos, k in enumerate(by_mid[lo:hi], start=lo))
        near_x = [x for x, _, _ in near]
        for cb in row:
            if cb is None:
                texts.append(None)
                boxes.append(None)
                continue
            cb = _box(cb)
            a, b = bisect.bisect_left(near_x, cb[0]), bisect.bisect_left(near_x, cb[2])
            # in the row's top-to-bottom order, as an all-pairs scan of the row would give them
            mine_k = [k for _, k in sorted((pos, k) for _, pos, k in near[a:b]
                                                 if cb[1] <= centres[k][1] < cb[3])]
            claimed.update(mine_k)
            texts.append(_cell_text([inside[k] for k in mine_k], cb))
            boxes.append(cb)
        if any(t for t in texts) or _printed_empty(table, ri, row):
            grid.append(texts)
            bboxes.append(boxes)
            kept.append(ri)
    if not _is_data_table(grid):
        return None, [], chars
    origins, spans = _merges(table, tb, grid, bboxes, kept)
    orphans = [c for k, c in enumerate(inside) if k not in claimed]
    return _TableGrid(grid, bboxes, tb, origins, spans), orphans, rest  # type: ignore[arg-type]


def _printed_empty(table: RuledTable, ri: int, row: list[Any]) -> bool:
    """A table's last row drawn whole and left empty: a value row with nothing to report (a 表四 printed blank),
    kept so that its cells read as blanks. Other fully empty rows are dropped (a page-split artefact)."""
    return ri == len(table.rows) - 1 and ri > 0 and all(cb is not None for cb in row)


def _merges(
    table: RuledTable, tb: BBox, grid: list[list[str | None]], bboxes: list[list[BBox | None]], kept: list[int]
) -> tuple[list[list[tuple[int, int] | None]], list[list[tuple[int, int]]]]:
    """Which real cell covers each empty slot, found from the cell rectangles, and each cell's (rowspan, colspan).

    pdfplumber leaves a ``None`` in every slot a spanning cell covers; the cell is the one whose
    rectangle contains the slot's centre (a chain of ``None`` to the right of a vertically covered
    slot cannot be resolved by position in the grid alone).
    """
    xs = sorted({float(c[0]) for c in table.cells}) + [tb[2]]
    ys = sorted({float(c[1]) for c in table.cells}) + [tb[3]]
    real: list[tuple[BBox, int, int]] = [
        (b, ri, ci) for ri, row in enumerate(bboxes) for ci, b in enumerate(row) if b is not None
    ]
    origins: list[list[tuple[int, int] | None]] = [[None] * len(r) for r in grid]
    counts: dict[tuple[int, int], tuple[set[int], set[int]]] = {(ri, ci): ({ri}, {ci}) for _, ri, ci in real}
    for ri, row in enumerate(grid):
        orig = kept[ri]
        if orig + 1 >= len(ys):
            continue
        cy = (ys[orig] + ys[orig + 1]) / 2
        for ci, text in enumerate(row):
            if text is not None or ci + 1 >= len(xs):
                continue
            cx = (xs[ci] + xs[ci + 1]) / 2
            for b, rj, cj in real:
                if b[0] <= cx < b[2] and b[1] <= cy < b[3]:
                    origins[ri][ci] = (rj, cj)
                    counts[(rj, cj)][0].add(ri)
                    counts[(rj, cj)][1].add(ci)
                    break
    spans = [[(len(counts[(ri, ci)][0]), len(counts[(ri, ci)][1])) if (ri, ci) in counts else (1, 1)
              for ci in range(len(row))] for ri, row in enumerate(grid)]
    return origins, spans


def _is_data_table(grid: list[list[str | None]]) -> bool:
    """A real table has a row with two filled cells; boxed prose has one text column."""
    return any(sum(1 for t in row if t) >= 2 for row in grid)


def _cell_text(chars: list[dict[str, Any]], box: BBox) -> str:
    """A cell's lines joined: no space next to CJK, a wrapped number rejoined when the line was full."""
    lines = _lines(chars, cell=True)
    out = ""
    for prev, ln in zip([None, *lines], lines):
        if prev is None:
            out = ln.text
            continue
        full = prev.x1 >= box[2] - 1.2 * prev.size
        out += _line_joiner(out, ln.text, full) + ln.text
    return out


# --------------------------------------------------------------------------- text lines
@functools.cache
def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x3000 <= o <= 0x303F  # CJK punctuation
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x2E80 <= o <= 0x2FDF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
        or ch in "“”‘’…—·"
    )


def _lines(chars: list[dict[str, Any]], *, cell: bool) -> list[_Line]:
    """Group characters into lines by vertical centre, then order each line by x."""
    if not chars:
        return []
    if len(chars) == 1 and cell:  # most cells hold one figure
        c = chars[0]
        return [_Line(chars, c["x0"], c["top"], c["x1"], c["bottom"], float(c.get("size") or (c["bottom"] - c["top"])),
                      c["text"])]
    rows: list[list[dict[str, Any]]] = []
    row: list[dict[str, Any]] = []
    row_mid = row_height = 0.0
    # by vertical centre; ties keep the given order
    for mid, _, c in sorted([((c["top"] + c["bottom"]) / 2, k, c) for k, c in enumerate(chars)],
                            key=lambda t: t[0]):
        h = c["bottom"] - c["top"]
        if row and abs(mid - row_mid) <= 0.45 * max(row_height, h):
            row.append(c)
            row_mid += (mid - row_mid) / len(row)
            row_height = max(row_height, h)
        else:
            row = [c]
            rows.append(row)
            row_mid, row_height = mid, h
    out = []
    for row in rows:
        if len(row) > 1:
            row.sort(key=_X0)
        sizes = sorted([float(c.get("size") or (c["bottom"] - c["top"])) for c in row])
        ln = _Line(row, min([c["x0"] for c in row]), min([c["top"] for c in row]), max([c["x1"] for c in row]),
                   max([c["bottom"] for c in row]), sizes[len(sizes) // 2])
        ln.text = _join_chars(row, cell=cell)
        if not cell:  # the font only matters for joining prose lines into paragraphs
            fonts = Counter(str(c.get("fontname", "")).split("+")[-1] for c in row if _is_cjk(c["text"][0]))
            ln.font = fonts.most_common(1)[0][0] if fonts else ""
        out.append(ln)
    return out


def _X0(c: dict[str, Any]) -> float:
    return c["x0"]


def _join_chars(row: list[dict[str, Any]], *, cell: bool) -> str:
    """Characters of one line to text; spaces come from gaps, never between CJK in a cell."""
    parts: list[str] = [row[0]["text"]]
    prev = row[0]
    for c in row[1:]:
        gap = c["x0"] - prev["x1"]
        size = max(float(prev.get("size") or 0), float(c.get("size") or 0)) or (c["bottom"] - c["top"])
        a_cjk, b_cjk = _is_cjk(prev["text"][-1]), _is_cjk(c["text"][0])
        if a_cjk and b_cjk:
            space = not cell and gap > 1.5 * size  # a column gap in an unruled layout
        elif a_cjk or b_cjk:
            space = gap > 1.5 * size
        else:
            space = gap > 0.15 * size or bool(c.get("space_before"))
        if space:
            parts.append(" ")
        parts.append(c["text"])
        prev = c
    return "".join(parts)


def _line_joiner(before: str, after: str, full: bool) -> str:
    """What goes between two wrapped lines of one block: nothing next to CJK or inside a wrapped number."""
    if not before or not after:
        return ""
    a, b = before[-1], after[0]
    if _is_cjk(a) or _is_cjk(b):
        return ""
    if full and (a.isdigit() or a in ".,") and b.isdigit():
        return ""
    if a in "-/@_" or b in "@_":
        return ""
    return " "


# --------------------------------------------------------------------------- paragraphs and order
@dataclass(slots=True)
class _Margins:
    left: float
    right: float
    ok: bool


def _margins(pages: list[_Page]) -> _Margins:
    """The body text's left and right edges: the most common line starts and ends."""
    lines = [b for p in pages for _, b in p.items if isinstance(b, _Line)]
    if len(lines) < 3:
        return _Margins(0.0, 0.0, False)
    lefts = Counter(round(ln.x0) for ln in lines)
    rights = Counter(round(ln.x1) for ln in lines)
    left, n_left = lefts.most_common(1)[0]
    right, n_right = rights.most_common(1)[0]
    # rounding can split one edge over two neighbouring integers
    n_right += rights.get(right - 1, 0) + rights.get(right + 1, 0)
    return _Margins(float(left), float(right), n_right >= 3 and n_left >= 3 and right > left)


def _continues(prev: _Line, nxt: _Line, m: _Margins, *, next_page: bool = False) -> bool:
    """Does ``nxt`` carry on the paragraph of ``prev`` (prev runs to the margin, nxt is not indented)?

    A full line that ends a sentence followed by a numbered heading or a line in another font
    (黑体 headings after 仿宋 body text) starts a new paragraph even without an indent. With
    ``next_page``, ``prev`` ends one page and ``nxt`` starts the next: the vertical gap says nothing,
    and a finished sentence ends the paragraph.
    """
    if next_page and (prev.text[-1:] in _SENTENCE_END or _HEADING_RE.match(nxt.text)):
        return False
    if not m.ok:
        return False
    if prev.text[-1:] in _SENTENCE_END and (
        _HEADING_RE.match(nxt.text) or (prev.font and nxt.font and prev.font != nxt.font)
    ):
        return False
    size = prev.size
    if abs(nxt.size - size) > 1.0:
        return False
    if prev.x1 < m.right - 1.2 * size or prev.x1 > m.right + 1.2 * size:
        return False
    if nxt.x0 > m.left + 0.5 * size or nxt.x0 < m.left - 1.5 * size:
        return False
    if next_page:
        return True
    gap = nxt.top - prev.bottom
    return -0.5 * size <= gap <= 1.5 * size


def _is_page_number(ln: _Line, height: float) -> bool:
    return (ln.top > height * 0.9 or ln.bottom < height * 0.1) and bool(_PAGE_NO_RE.match(ln.text.strip()))


def _emit(builder: DocumentBuilder, pages: list[_Page]) -> None:
    """Paragraphs and tables in reading order; a paragraph cut by a page break is joined again."""
    margins = _margins(pages)
    para: list[_Line] = []
    para_page, on_first_page = 0, 0  # where the open paragraph starts, and how many of its lines are there

    def flush() -> None:
        nonlocal para
        _add_paragraph(builder, para, para_page, on_first_page)
        para = []

    for page in pages:
        items = sorted(page.items, key=lambda it: (it[0], it[1].x0 if isinstance(it[1], _Line) else it[1].bbox[0]))
        for _, block in items:
            if isinstance(block, _Line):
                if _is_page_number(block, page.height):
                    continue
                if para and not _continues(para[-1], block, margins, next_page=para_page != page.number
                                           and on_first_page == len(para)):
                    flush()
                if not para:
                    para_page, on_first_page = page.number, 0
                para.append(block)
                if para_page == page.number:
                    on_first_page += 1
                continue
            flush()
            bboxes = [[_round_box(b) if b else None for b in row] for row in block.bboxes]
            table = builder.add_table(block.grid, page=page.number, bboxes=bboxes, spans=block.spans)
            if table is not None:
                table.span = replace(table.span, bbox=_round_box(block.bbox))
                _link_covered(table, block)
        if para and para_page != page.number:
            flush()  # a paragraph runs over at most one page break
    flush()


def _add_paragraph(builder: DocumentBuilder, lines: list[_Line], page: int, on_first_page: int) -> None:
    """One paragraph; its page and box are where it starts (the lines before any page break)."""
    if not lines:
        return
    text = lines[0].text
    for ln in lines[1:]:
        text += _line_joiner(text, ln.text, True) + ln.text
    first = lines[:on_first_page] or lines
    box = (min(ln.x0 for ln in first), min(ln.top for ln in first),
           max(ln.x1 for ln in first), max(ln.bottom for ln in first))
    builder.add_paragraph(text, page=page, bbox=_round_box(box))


def _link_covered(table: Table, block: _TableGrid) -> None:
    """Point each covered slot at the cell whose rectangle covers it (the builder only guesses by position)."""
    for ri, row in enumerate(table.rows):
        for ci, cell in enumerate(row):
            origin = block.origins[ri][ci] if ri < len(block.origins) and ci < len(block.origins[ri]) else None
            if origin is None or not cell.covered and cell.text:
                continue
            src = table.rows[origin[0]][origin[1]]
            cell.merged_from = origin
            cell.span = src.span


def _round_box(b: BBox) -> BBox:
    return (round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2))
