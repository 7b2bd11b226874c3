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
  interleaves paragraphs and tables top to bottom per page (paragraphs do not run across pages),
* drops slanted watermark glyphs and page-number lines, and reads a page whose fonts pdfminer
  cannot map to Unicode ((cid:N) glyphs) with pdfium's characters instead.

Every block and cell carries its page (1-based) and its bbox in PDF points (x0, top, x1, bottom).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from extractor._errors import (
    CorruptFileError,
    EmptyInputError,
    EncryptedFileError,
    ImageOnlyError,
    XxgkError,
)
from extractor.document import Document, DocumentBuilder, Table

BBox = tuple[float, float, float, float]

_TOL = 3.0  # points: how far a rule may sit from a table edge and still belong to it
_CID_RE = re.compile(r"^\(cid:\d+\)$")
_PAGE_NO_RE = re.compile(r"^(?:[-—–－\s]*\d{1,4}[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_SENTENCE_END = set("。！？；：!?;:")
_HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.、．](?!\d))")
_ENCRYPTION_ERRORS = ("PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning", "PDFEncryptionAlgorithm")


# --------------------------------------------------------------------------- public entry point
def read_pdf(data: bytes, name: str = "") -> Document:
    """Read a PDF's text layer into paragraphs and table grids, in reading order."""
    if not data or not data.strip():
        raise EmptyInputError(name)
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many unrelated types for a broken file
        raise _input_error(exc, name) from exc
    try:
        fallback = _PdfiumText(data)
        try:
            pages = [_read_page(page, i + 1, fallback) for i, page in enumerate(pdf.pages)]
        except XxgkError:
            raise
        except Exception as exc:
            raise _input_error(exc, name) from exc
        finally:
            fallback.close()
    finally:
        pdf.close()
    if not pages:
        raise CorruptFileError(f"{name}: no pages" if name else "no pages")
    _check_text_layer(pages, name)
    builder = DocumentBuilder(source_name=name, source_type="pdf", layout="pdf")
    builder.pages = len(pages)
    _emit(builder, pages)
    return builder.build()


def _input_error(exc: Exception, name: str) -> XxgkError:
    """Map a pdfminer/pdfplumber failure to an encrypted- or corrupt-file error."""
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        wrapped = cur.args[0] if cur.args and isinstance(cur.args[0], BaseException) else None
        cur = cur.__cause__ or cur.__context__ or wrapped  # pdfplumber wraps pdfminer's error in args
    detail = f"{name}: " if name else ""
    if any(type(e).__name__ in _ENCRYPTION_ERRORS for e in chain):
        return EncryptedFileError(detail + type(chain[-1]).__name__)
    inner = chain[-1]
    return CorruptFileError(detail + f"{type(inner).__name__}: {str(inner)[:160]}".rstrip(": "))


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
    n_cid: int
    n_images: int


def _read_page(raw_page: Any, number: int, fallback: _PdfiumText) -> _Page:
    page = raw_page.dedupe_chars(tolerance=1)  # fake bold: the same glyph painted twice
    chars = _drop_watermark([c for c in page.chars if c["text"] and not c["text"].isspace()])
    n_cid = sum(1 for c in chars if _CID_RE.match(c["text"]))
    if chars and n_cid > len(chars) / 2:  # pdfminer found no Unicode mapping: ask pdfium
        better = fallback.chars(number - 1, float(page.height))
        if better:
            chars = better
            n_cid = 0
    items: list[tuple[float, _Line | _TableGrid]] = []
    free = chars
    if chars:
        tables = _find_tables(page)
        for t in tables:
            grid, inside, rest = _fill_table(t, free)
            if grid is None:
                continue  # not a data table: its characters stay prose
            free = rest
            items.append((grid.bbox[1], grid))
            # characters inside the table frame that no cell claims (rare): keep them as text
            items.extend((ln.top, ln) for ln in _lines(inside, cell=False))
    items.extend((ln.top, ln) for ln in _lines(free, cell=False))
    result = _Page(number, float(page.height), items, len(chars), n_cid, len(page.images))
    raw_page.close()  # drop pdfplumber's per-page object cache
    return result


def _diagonal(c: dict[str, Any]) -> bool:
    """A glyph set at a slant (not 0°/90°/180°/270°): vertical cell text is kept, a stamp is not."""
    m = c.get("matrix")
    if not m:
        return False
    a, b = abs(float(m[0])), abs(float(m[1]))
    norm = max((a * a + b * b) ** 0.5, 1e-9)
    return a > 0.05 * norm and b > 0.05 * norm


def _drop_watermark(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop slanted glyphs (a diagonal 水印 over the table) when most of the page is upright text."""
    slanted = [c for c in chars if _diagonal(c)]
    if not slanted or len(slanted) > 0.2 * len(chars):
        return chars
    return [c for c in chars if not _diagonal(c)]


class _PdfiumText:
    """Characters from pdfium, for pages whose fonts pdfminer cannot map to Unicode.

    pdfium reads some font encodings pdfminer leaves as ``(cid:N)`` (e.g. strings inside the
    font dictionaries of an encrypted file). Opened only when a page needs it.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._doc: Any = None

    def chars(self, index: int, height: float) -> list[dict[str, Any]]:
        try:
            import pypdfium2 as pdfium
            import pypdfium2.raw as pdfium_c
        except ImportError:
            return []
        try:
            if self._doc is None:
                self._doc = pdfium.PdfDocument(self._data)
            page = self._doc[index]
            if page.get_rotation():
                return []
            top_edge = page.get_mediabox()[3]
            text = page.get_textpage()
            out: list[dict[str, Any]] = []
            space = False
            for i in range(text.count_chars()):
                ch = chr(pdfium_c.FPDFText_GetUnicode(text, i))
                if not ch.strip() or pdfium_c.FPDFText_IsGenerated(text, i):
                    space = True  # loose boxes overlap, so a printed space is kept as a flag
                    continue
                if 0xD800 <= ord(ch) <= 0xDFFF:
                    continue
                left, bottom, right, top = text.get_charbox(i, loose=True)
                out.append({"text": ch, "x0": left, "x1": right, "top": top_edge - top, "bottom": top_edge - bottom,
                            "size": pdfium_c.FPDFText_GetFontSize(text, i), "fontname": "", "space_before": space})
                space = False
            return out if abs(top_edge - height) < 1 else []
        except (pdfium.PdfiumError, ValueError, IndexError):  # best effort: pdfminer's result stands
            return []

    def close(self) -> None:
        if self._doc is not None:
            self._doc.close()


def _check_text_layer(pages: list[_Page], name: str) -> None:
    """A scan (or a text layer without Unicode mapping) cannot be read without OCR."""
    total = sum(p.n_chars for p in pages)
    cid = sum(p.n_cid for p in pages)
    images = sum(p.n_images for p in pages)
    detail = f"{name}: " if name else ""
    if total == 0 or (total < 30 * len(pages) and images):
        raise ImageOnlyError(detail + f"{total} characters on {len(pages)} pages")
    if cid > total / 2:
        raise ImageOnlyError(detail + "the fonts carry no Unicode mapping ((cid:N) glyphs)")


# --------------------------------------------------------------------------- tables
def _is_white(color: Any) -> bool:
    if color is None or isinstance(color, str):
        return False
    try:
        vals = [float(v) for v in (color if isinstance(color, (tuple, list)) else (color,))]
    except (TypeError, ValueError):
        return False  # a pattern or named colour: assume it shows
    if len(vals) == 4:  # CMYK
        return all(v <= 0.05 for v in vals)
    return bool(vals) and all(v >= 0.95 for v in vals)


def _visible(obj: dict[str, Any]) -> bool:
    """Drop shapes that paint nothing visible (white or unpainted): they are not table rules."""
    if obj.get("object_type") not in ("rect", "line", "curve"):
        return True
    if obj.get("stroke") and not _is_white(obj.get("stroking_color")):
        return True
    return bool(obj.get("fill") and not _is_white(obj.get("non_stroking_color")))


def _find_tables(page: Any) -> list[Any]:
    """Tables from visible rules, found twice: the second pass closes each table's frame."""
    vis = page.filter(_visible)
    edges = vis.edges
    if not edges:
        return []
    first = vis.find_tables()
    if not first:
        return []
    h_extra: list[dict[str, Any]] = []
    v_extra: list[dict[str, Any]] = []
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
        for y in (top, bottom):
            h_extra.append({"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0.0,
                            "object_type": "line"})
        for x in (x0, x1):
            v_extra.append({"x0": x, "x1": x, "top": top, "bottom": bottom, "width": 0.0, "height": bottom - top,
                            "object_type": "line"})
    settings = {"explicit_horizontal_lines": h_extra, "explicit_vertical_lines": v_extra}
    return sorted(vis.find_tables(settings), key=lambda t: (t.bbox[1], t.bbox[0]))


def _center_in(c: dict[str, Any], b: BBox) -> bool:
    cx = (c["x0"] + c["x1"]) / 2
    cy = (c["top"] + c["bottom"]) / 2
    return b[0] <= cx < b[2] and b[1] <= cy < b[3]


def _fill_table(
    table: Any, chars: list[dict[str, Any]]
) -> tuple[_TableGrid | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The table's text grid, the characters inside its frame no cell claims, and the rest."""
    tb = tuple(float(v) for v in table.bbox)
    inside = [c for c in chars if _center_in(c, tb)]
    rest = [c for c in chars if not _center_in(c, tb)]
    claimed: set[int] = set()
    grid: list[list[str | None]] = []
    bboxes: list[list[BBox | None]] = []
    kept: list[int] = []  # pdfplumber row index of each kept row
    for ri, row in enumerate(table.rows):
        texts: list[str | None] = []
        boxes: list[BBox | None] = []
        for cb in row.cells:
            if cb is None:
                texts.append(None)
                boxes.append(None)
                continue
            cb = tuple(float(v) for v in cb)
            mine = [c for c in inside if _center_in(c, cb)]
            claimed.update(id(c) for c in mine)
            texts.append(_cell_text(mine, cb))
            boxes.append(cb)  # type: ignore[arg-type]
        if any(t for t in texts):  # fully empty rows (a page-split artefact) are dropped
            grid.append(texts)
            bboxes.append(boxes)
            kept.append(ri)
    if not _is_data_table(grid):
        return None, [], chars
    origins, spans = _merges(table, tb, grid, bboxes, kept)
    orphans = [c for c in inside if id(c) not in claimed]
    return _TableGrid(grid, bboxes, tb, origins, spans), orphans, rest  # type: ignore[arg-type]


def _merges(
    table: Any, tb: BBox, grid: list[list[str | None]], bboxes: list[list[BBox | None]], kept: list[int]
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
    rows: list[list[dict[str, Any]]] = []
    mids: list[float] = []
    heights: list[float] = []
    for c in sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2):
        mid = (c["top"] + c["bottom"]) / 2
        h = c["bottom"] - c["top"]
        if rows and abs(mid - mids[-1]) <= 0.45 * max(h, heights[-1]):
            rows[-1].append(c)
            n = len(rows[-1])
            mids[-1] += (mid - mids[-1]) / n
            heights[-1] = max(heights[-1], h)
        else:
            rows.append([c])
            mids.append(mid)
            heights.append(h)
    out = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        sizes = sorted(float(c.get("size") or (c["bottom"] - c["top"])) for c in row)
        ln = _Line(row, min(c["x0"] for c in row), min(c["top"] for c in row), max(c["x1"] for c in row),
                   max(c["bottom"] for c in row), sizes[len(sizes) // 2])
        ln.text = _join_chars(row, cell=cell)
        fonts = Counter(str(c.get("fontname", "")).split("+")[-1] for c in row if _is_cjk(c["text"][0]))
        ln.font = fonts.most_common(1)[0][0] if fonts else ""
        out.append(ln)
    return out


def _join_chars(row: list[dict[str, Any]], *, cell: bool) -> str:
    """Characters of one line to text; spaces come from gaps, never between CJK in a cell."""
    parts: list[str] = []
    prev: dict[str, Any] | None = None
    for c in row:
        if prev is not None:
            gap = c["x0"] - prev["x1"]
            size = max(float(prev.get("size") or 0), float(c.get("size") or 0)) or (c["bottom"] - c["top"])
            a, b = prev["text"][-1], c["text"][0]
            if _is_cjk(a) and _is_cjk(b):
                space = not cell and gap > 1.5 * size  # a column gap in an unruled layout
            elif _is_cjk(a) or _is_cjk(b):
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


def _continues(prev: _Line, nxt: _Line, m: _Margins) -> bool:
    """Does ``nxt`` carry on the paragraph of ``prev`` (prev runs to the margin, nxt is not indented)?

    A full line that ends a sentence followed by a numbered heading or a line in another font
    (黑体 headings after 仿宋 body text) starts a new paragraph even without an indent.
    """
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
    gap = nxt.top - prev.bottom
    return -0.5 * size <= gap <= 1.5 * size


def _is_page_number(ln: _Line, height: float) -> bool:
    return (ln.top > height * 0.9 or ln.bottom < height * 0.1) and bool(_PAGE_NO_RE.match(ln.text.strip()))


def _emit(builder: DocumentBuilder, pages: list[_Page]) -> None:
    margins = _margins(pages)
    for page in pages:
        items = sorted(page.items, key=lambda it: (it[0], it[1].x0 if isinstance(it[1], _Line) else it[1].bbox[0]))
        para: list[_Line] = []
        for _, block in items:
            if isinstance(block, _Line):
                if _is_page_number(block, page.height):
                    continue
                if para and not _continues(para[-1], block, margins):
                    _add_paragraph(builder, para, page.number)
                    para = []
                para.append(block)
                continue
            _add_paragraph(builder, para, page.number)
            para = []
            bboxes = [[_round_box(b) if b else None for b in row] for row in block.bboxes]
            table = builder.add_table(block.grid, page=page.number, bboxes=bboxes, spans=block.spans)
            if table is not None:
                table.span = replace(table.span, bbox=_round_box(block.bbox))
                _link_covered(table, block)
        _add_paragraph(builder, para, page.number)


def _add_paragraph(builder: DocumentBuilder, lines: list[_Line], page: int) -> None:
    if not lines:
        return
    text = lines[0].text
    for ln in lines[1:]:
        text += _line_joiner(text, ln.text, True) + ln.text
    box = (min(ln.x0 for ln in lines), min(ln.top for ln in lines),
           max(ln.x1 for ln in lines), max(ln.bottom for ln in lines))
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
