"""Reading a report published as a web page.

Government sites wrap the whole article in layout tables and put the statistics tables inside them,
so only an innermost table (one that holds no other table) is read as a data table; an outer layout
table is walked like any other block container and gives its text as paragraphs. Spans are resolved
into a rectangular grid (see :mod:`extractor.ingest.grid`), so a covered slot is never taken for a
printed blank, while a cell holding only ``&nbsp;`` is one ("").
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from extractor._errors import EmptyInputError
from extractor.document import Document, DocumentBuilder, normalize
from extractor.ingest.budgets import check_html, check_text, strip_controls
from extractor.ingest.cjk import clean, join_lines
from extractor.ingest.encoding import decode
from extractor.ingest.grid import SpanGrid

# Elements whose text is never report text.
SKIP = frozenset({
    "head", "script", "style", "noscript", "template", "nav", "select", "option", "button", "textarea",
    "iframe", "frame", "frameset", "object", "embed", "svg", "math", "map", "audio", "video", "canvas",
})
# Elements that start and end a paragraph (everything else is inline and joins its neighbours).
BLOCK = frozenset({
    "html", "body", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "section", "article", "header", "footer", "main", "aside", "blockquote", "address", "figure",
    "figcaption", "form", "fieldset", "legend", "center", "hr", "table", "caption", "thead", "tbody",
    "tfoot", "tr", "td", "th", "colgroup", "col", "details", "summary",
})
# A cell this long made of several blocks is an article in a layout table, not a statistics cell.
PROSE_CELL_CHARS = 300
# ... unless the table also holds this many number cells: then it is a statistics table with a long note.
MIN_NUMERIC_CELLS = 3

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.DOTALL)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_LEADING_INT = re.compile(r"\s*(\d+)")
_NUMERIC = re.compile(r"^[+-]?\d[\d,.]*$")


def read_html(data: bytes, name: str = "") -> Document:
    """Paragraphs and data tables of an HTML page, in document order (size and tags within budget)."""
    check_html(data, name)
    text, removed = strip_controls(decode(data, name))
    check_text(text, name)
    builder = DocumentBuilder(source_name=name, source_type="html", layout="html")
    builder.removed_controls = removed
    add_html(builder, text, name)
    return builder.build()


def add_html(builder: DocumentBuilder, text: str, name: str = "") -> None:
    """Append the blocks of an HTML text to a builder (a web page, or an HTML chunk inside a .docx)."""
    _Walker(builder).walk(_parse(text, name))


def _parse(text: str, name: str) -> lxml.html.HtmlElement:
    text = strip_controls(_XML_DECL.sub("", text, count=1))[0]  # lxml refuses controls, and str declaring an encoding
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as e:
        raise EmptyInputError(name or str(e)) from e


def _tag(el) -> str | None:
    """Lower-case local tag name; None for comments and processing instructions."""
    tag = el.tag
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1].lower()


def _hidden(el) -> bool:
    return el.get("hidden") is not None or bool(_HIDDEN.search(el.get("style") or ""))


def _skipped(el) -> bool:
    tag = _tag(el)
    return tag is None or tag in SKIP or _hidden(el)


def _int_attr(el, attr: str, default: int = 1) -> int:
    m = _LEADING_INT.match(el.get(attr) or "")
    return int(m.group(1)) if m else default


class _Walker:
    """Depth-first walk that gathers inline text until a block boundary ends the paragraph."""

    def __init__(self, builder: DocumentBuilder) -> None:
        self.b = builder
        self.buf: list[str] = []

    def flush(self) -> None:
        text = clean("".join(self.buf))
        self.buf.clear()
        if text:
            self.b.add_paragraph(text)

    def walk(self, el) -> None:
        tag = _tag(el)
        if _skipped(el):
            pass
        elif tag == "br":
            self.flush()
        elif tag == "table" and _is_data_table(el):
            self.flush()
            self.table(el)
        elif tag == "pre":
            self.flush()
            for line in el.text_content().splitlines():
                self.buf.append(line)
                self.flush()
        else:
            block = tag in BLOCK
            if block:
                self.flush()
            if el.text:
                self.buf.append(el.text)
            for child in el:
                self.walk(child)
            if block:
                self.flush()
        if el.tail:
            self.buf.append(el.tail)

    def table(self, table) -> None:
        for cap in table.iterchildren("caption"):
            self.b.add_paragraph(_cell_text(cap))
        _grid(table).add_to(self.b)


def _is_data_table(table) -> bool:
    """Innermost, more than one cell, and no cell that is really an article."""
    if any(True for _ in table.iterdescendants("table")):
        return False
    cells = [c for c in table.iter("td", "th") if not _skipped(c)]
    if len(cells) < 2:
        return False
    if not any(_prose_cell(c) for c in cells):
        return True
    # a long note row under a statistics table does not make it a layout table
    return sum(1 for c in cells if _NUMERIC.match(normalize(clean(c.text_content())))) >= MIN_NUMERIC_CELLS


def _prose_cell(cell) -> bool:
    blocks = sum(1 for b in cell.iterdescendants("p", "div", "h1", "h2", "h3", "h4", "li") if b.text_content().strip())
    return blocks >= 2 and len(clean(cell.text_content())) > PROSE_CELL_CHARS


def _grid(table) -> SpanGrid:
    """Place cells the way a browser does: each cell goes to the first slot no span above has taken."""
    trs = sorted((tr for tr in table.iter("tr") if not _hidden(tr)), key=_section_order)
    n = len(trs)
    grid = SpanGrid()
    for r, tr in enumerate(trs):
        c = 0
        for td in tr.iterchildren("td", "th"):
            if _hidden(td):
                continue
            while grid.taken(r, c):
                c += 1
            rs = _int_attr(td, "rowspan")
            rs = n - r if rs == 0 else min(max(rs, 1), n - r)  # rowspan=0: to the end of the table
            cs = min(max(_int_attr(td, "colspan"), 1), 1000)
            grid.place(r, c, _cell_text(td), rs, cs)
            c += cs
    return grid


def _section_order(tr) -> int:
    """thead rows first and tfoot rows last, wherever the source puts them (HTML 4 put tfoot first)."""
    parent = tr.getparent()
    return {"thead": 0, "tfoot": 2}.get((_tag(parent) or "") if parent is not None else "", 1)


_LINE = "\n"  # line-break marker; source newlines are turned into spaces before it is used


def _cell_text(cell) -> str:
    """A cell's lines (split by <br> and block elements) joined into one line."""
    parts: list[str] = []

    def text(s: str | None) -> None:
        if s:
            parts.append(s.replace("\r", " ").replace("\n", " "))

    def collect(el) -> None:
        tag = _tag(el)
        if not _skipped(el):
            if tag == "br":
                parts.append(_LINE)
            else:
                block = tag in BLOCK
                if block:
                    parts.append(_LINE)
                text(el.text)
                for child in el:
                    collect(child)
                if block:
                    parts.append(_LINE)
        text(el.tail)

    text(cell.text)
    for child in cell:
        collect(child)
    return join_lines("".join(parts).split(_LINE))
