"""One document model for every input format.

Every ingest module builds a :class:`Document` through :class:`DocumentBuilder`: ordered blocks
(paragraphs and tables as cell grids), each block and cell carrying a :class:`Span` into
``Document.text``, the normalized text of the whole document. ``Document.raw_offsets`` maps every
normalized character back to its position in the text the ingester read, so evidence can be shown
in the source as printed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from extractor.settings import limits

_EXTRA_MAP = str.maketrans(
    {
        "〔": "[",
        "〕": "]",
        "【": "[",
        "】": "]",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "\u00a0": " ",
        "\u3000": " ",
        "\u200b": "",
        "\ufeff": "",
        "\r": "",
    }
)


def normalize_char(ch: str) -> str:
    """NFKC plus the few mappings NFKC leaves alone (〔〕, curly quotes, zero-width spaces)."""
    return unicodedata.normalize("NFKC", ch).translate(_EXTRA_MAP)


def normalize(text: str) -> str:
    """Normalize a whole string the way the document text is normalized."""
    if text.isascii():
        return text.replace("\r", "")
    return unicodedata.normalize("NFKC", text).translate(_EXTRA_MAP)


class _CharMap(dict[int, str]):
    """Each code point → its normalized text (:func:`normalize_char`; a carriage return → nothing), filled the
    first time it is met: ``str.translate``'s table, so a whole string is mapped in C."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        norm = "" if ch == "\r" else normalize_char(ch)
        if len(norm) != 1:
            _IRREGULAR.add(ch)
        self[code] = norm
        return norm


_IRREGULAR: set[str] = set()  # characters met so far whose normalized text is not one character
_CHARS = _CharMap()


def normalize_with_offsets(raw: str) -> tuple[str, Sequence[int]]:
    """Normalize ``raw`` character by character and return, for each output character, the index of its raw
    character. Almost every character becomes one character (full-width forms become half-width ones):
    the string is then mapped in one ``translate`` and the offsets are the identity."""
    mapped = raw.translate(_CHARS)
    if _IRREGULAR.isdisjoint(raw):
        return mapped, range(len(raw))
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(raw):
        norm = _CHARS[ord(ch)]
        out.append(norm)
        offsets.extend([i] * len(norm))
    return "".join(out), offsets


_SPACE_RE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Normalized text without any whitespace: the form labels are compared in."""
    return _SPACE_RE.sub("", normalize(text))


def compact(text: str) -> str:
    """Already-normalized text (a Document's) without whitespace: squash without the NFKC pass."""
    return _SPACE_RE.sub("", text)


@dataclass(frozen=True, slots=True)
class Span:
    """Where a piece of text sits: character offsets into ``Document.text`` and its page (1-based)."""

    start: int
    end: int
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom in PDF points


@dataclass(slots=True)
class Cell:
    """One table cell. ``text`` is normalized; an empty string is a printed blank."""

    text: str
    row: int
    col: int
    span: Span
    rowspan: int = 1
    colspan: int = 1
    merged_from: tuple[int, int] | None = None  # set on slots covered by a spanning cell (not a blank)

    @property
    def covered(self) -> bool:
        return self.merged_from is not None


@dataclass(slots=True)
class Table:
    """A table as a rectangular grid; spanning cells are repeated in every slot they cover."""

    rows: list[list[Cell]]
    span: Span
    index: int = 0
    kind: Literal["table"] = "table"

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def texts(self) -> list[list[str]]:
        return [[c.text for c in r] for r in self.rows]


@dataclass(slots=True)
class Paragraph:
    text: str
    span: Span
    index: int = 0
    kind: Literal["paragraph"] = "paragraph"


Block = Paragraph | Table


@dataclass(frozen=True, slots=True)
class OcrMark:
    """A stretch of ``Document.text`` that OCR read: how sure the engine was and where to crop it from.

    ``image`` is the sha256 of the image it was read from, ``source`` says which image of the file
    that is (``page 3`` of a PDF, ``word/media/image1.png``, ``img 2`` of a web page, ``image`` for an
    upload) and ``box`` is the pixel box in it; ``readings`` are the engine's readings of a cell, best
    first, each with its probability.
    """

    start: int
    end: int
    confidence: float
    source: str
    image: str
    box: tuple[int, int, int, int]
    page: int | None = None
    readings: tuple[tuple[str, float], ...] = ()


@dataclass(slots=True)
class Document:
    """The normalized text of a report and its blocks in reading order."""

    text: str
    blocks: list[Block]
    source_name: str = ""
    source_type: str = ""  # pdf, docx, html, txt, md
    raw_text: str = ""
    raw_offsets: list[int] = field(default_factory=list)
    pages: int | None = None
    layout: str = ""  # a hint of the text layout: cells, markdown, layout, runtogether, html, docx, pdf
    removed_controls: int = 0  # NUL and other control characters dropped from the source text
    ocr: list[OcrMark] = field(default_factory=list)  # the text read by OCR, in text order

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    def iter_cells(self) -> Iterator[Cell]:
        for t in self.tables():
            for r in t.rows:
                yield from r

    def snippet(self, span: Span, context: int = 20) -> str:
        """The text around a span, for showing evidence."""
        a = max(0, span.start - context)
        b = min(len(self.text), span.end + context)
        return self.text[a:b]

    def raw_span(self, span: Span) -> tuple[int, int] | None:
        """The span's offsets in the raw text the ingester read, when the mapping is kept."""
        if not self.raw_offsets or span.start >= len(self.raw_offsets):
            return None
        end = min(span.end, len(self.raw_offsets)) - 1
        return self.raw_offsets[span.start], self.raw_offsets[max(end, span.start)] + 1

    def page_of(self, offset: int) -> int | None:
        for b in self.blocks:
            if b.span.start <= offset < b.span.end:
                return b.span.page
        return None


class DocumentBuilder:
    """Appends paragraphs and tables, normalizing their text and recording spans.

    Ingesters pass raw strings; the builder writes their normalized form into the document text
    (paragraphs separated by newlines, table cells by tabs) and keeps the raw offsets.
    """

    def __init__(self, source_name: str = "", source_type: str = "", layout: str = "") -> None:
        self._parts: list[str] = []
        self._raw_parts: list[str] = []
        self._offsets: list[int] = []
        self._len = 0
        self._raw_len = 0
        self.blocks: list[Block] = []
        self.source_name = source_name
        self.source_type = source_type
        self.layout = layout
        self.pages: int | None = None
        self.removed_controls = 0
        self._budget = limits()
        self._cells = 0
        self.ocr: list[OcrMark] = []

    def _append(self, raw: str) -> tuple[int, int]:
        norm, offs = normalize_with_offsets(raw)
        start = self._len
        self._parts.append(norm)
        if isinstance(offs, range):
            self._offsets.extend(range(self._raw_len, self._raw_len + len(offs)))
        else:
            self._offsets.extend(o + self._raw_len for o in offs)
        self._raw_parts.append(raw)
        self._len += len(norm)
        self._raw_len += len(raw)
        if self._len > self._budget.text_chars:
            raise self._budget.exceeded("text_chars", self._len, self.source_name)
        return start, self._len

    def _sep(self, s: str) -> None:
        self._parts.append(s)
        self._raw_parts.append(s)
        self._offsets.extend(range(self._raw_len, self._raw_len + len(s)))
        self._len += len(s)
        self._raw_len += len(s)

    def add_paragraph(self, raw: str, page: int | None = None, bbox=None) -> Paragraph | None:
        text = raw.strip()
        if not text:
            return None
        start, end = self._append(text)
        self._sep("\n")
        p = Paragraph(text=self._parts[-2], span=Span(start, end, page, bbox), index=len(self.blocks))
        self.blocks.append(p)
        return p

    def add_table(
        self,
        grid: Sequence[Sequence[str | None]],
        page: int | None = None,
        pages: list[int] | None = None,
        bboxes: list[list[tuple[float, float, float, float] | None]] | None = None,
        spans: list[list[tuple[int, int]]] | None = None,
    ) -> Table | None:
        """Add a table from a grid of raw cell texts.

        ``None`` marks a slot covered by a spanning cell (pdfplumber style): it becomes an empty
        cell whose ``merged_from`` names the real cell to its left or above, so a covered slot is
        never mistaken for a printed blank. ``pages`` gives a page per row (tables split over
        pages), ``spans`` the (rowspan, colspan) of each real cell when the source knows them.
        """
        slots: list[list[str | None]] = [list(r) for r in grid if r is not None]
        if not slots or not any(any((c or "").strip() for c in r) for r in slots):
            return None
        width = max(len(r) for r in slots)
        self._cells += width * len(slots)
        if self._cells > self._budget.table_cells:
            raise self._budget.exceeded("table_cells", self._cells, self.source_name)
        for r in slots:  # a short row is padded with covered slots, not with printed blanks
            r.extend([None] * (width - len(r)))
        t_start = self._len
        rows: list[list[Cell | None]] = []
        for ri, r in enumerate(slots):
            row_page = pages[ri] if pages and ri < len(pages) else page
            cells: list[Cell | None] = []
            for ci, raw in enumerate(r):
                if raw is None:
                    cells.append(None)  # filled below
                    continue
                text = " ".join(str(raw).split())  # wrapped lines inside a cell join with one space
                start, end = self._append(text)
                self._sep("\t")
                bbox = bboxes[ri][ci] if bboxes and ri < len(bboxes) and ci < len(bboxes[ri]) else None
                rs, cs = spans[ri][ci] if spans else (1, 1)
                cells.append(
                    Cell(
                        text=normalize(text),
                        row=ri,
                        col=ci,
                        span=Span(start, end, row_page, bbox),
                        rowspan=rs,
                        colspan=cs,
                    )
                )
            self._sep("\n")
            rows.append(cells)
        owners = _owners_from_spans(rows) if spans else {}
        for ri, row in enumerate(rows):
            for ci, c in enumerate(row):
                if c is not None:
                    continue
                owner = owners.get((ri, ci))
                src = rows[owner[0]][owner[1]] if owner else _covering(rows, ri, ci)
                row[ci] = Cell(
                    text="",
                    row=ri,
                    col=ci,
                    span=src.span if src else Span(t_start, t_start, page),
                    merged_from=(src.row, src.col) if src else None,
                )
        filled = [[c for c in row if c is not None] for row in rows]  # every covered slot has its cell now
        table = Table(rows=filled, span=Span(t_start, self._len, page), index=len(self.blocks))
        self.blocks.append(table)
        return table

    def build(self, raw_text: str | None = None) -> Document:
        return Document(
            text="".join(self._parts),
            blocks=self.blocks,
            source_name=self.source_name,
            source_type=self.source_type,
            raw_text=raw_text if raw_text is not None else "".join(self._raw_parts),
            raw_offsets=self._offsets,
            pages=self.pages,
            layout=self.layout,
            removed_controls=self.removed_controls,
            ocr=sorted(self.ocr, key=lambda m: m.start),
        )


def _owners_from_spans(rows: list[list[Cell | None]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Covered slots and the real cell covering each, from the spans the source declared."""
    owners: dict[tuple[int, int], tuple[int, int]] = {}
    for r in rows:
        for c in r:
            if c is None or (c.rowspan == 1 and c.colspan == 1):
                continue
            for dr in range(c.rowspan):
                for dc in range(c.colspan):
                    if dr or dc:
                        owners[(c.row + dr, c.col + dc)] = (c.row, c.col)
    return owners


def _covering(rows: list[list[Cell | None]], ri: int, ci: int) -> Cell | None:
    """The real cell a ``None`` slot belongs to when no spans are known (pdfplumber style): the owner
    of the nearest slot to the left, else of the slot above."""
    for cj in range(ci - 1, -1, -1):
        c = rows[ri][cj]
        if c is None:
            continue
        return c if c.merged_from is None else rows[c.merged_from[0]][c.merged_from[1]]
    for rj in range(ri - 1, -1, -1):
        if ci < len(rows[rj]):
            c = rows[rj][ci]
            if c is not None:
                return c if c.merged_from is None else rows[c.merged_from[0]][c.merged_from[1]]
    return None
