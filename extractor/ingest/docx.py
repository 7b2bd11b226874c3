"""Reading a report saved as a Word .docx file.

The body is walked in order, so paragraphs and tables stay interleaved as printed. Merged cells are
resolved from the XML itself (gridSpan, vMerge, legacy hMerge, gridBefore) rather than from
python-docx's ``row.cells``, which repeats a merged cell in every slot it covers and fails on some
malformed tables; the resulting grid marks each covered slot and gives the real cell its spans.
A table nested in a cell is read after its outer table; a one-cell table is a frame around text and
is read as the blocks it holds.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from extractor._errors import CorruptFileError, UnsupportedFormatError
from extractor.document import Document, DocumentBuilder
from extractor.ingest.budgets import check_docx_parts
from extractor.ingest.cjk import clean, join_lines
from extractor.ingest.docx_numbering import Numbering, prefix
from extractor.ingest.encoding import decode
from extractor.ingest.grid import SpanGrid
from extractor.ingest.html import add_html

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

# content types of a WordprocessingML main part (document, template, macro-enabled variants)
_WORD_MAIN = ("wordprocessingml.document.main", "wordprocessingml.template.main", "ms-word.document.macroenabled",
              "ms-word.template.macroenabled")
# run content skipped: tracked deletions, deleted/moved-away text, properties, field instructions
_SKIP_RUN = frozenset({W + "del", W + "moveFrom", W + "pPr", W + "rPr", W + "instrText", W + "delText",
                       W + "footnoteReference", W + "endnoteReference", MC_FALLBACK})


def read_docx(data: bytes, name: str = "") -> Document:
    """Paragraphs and tables of a .docx body, in document order."""
    body, numbering, part = _open(data, name)
    builder = DocumentBuilder(source_name=name, source_type="docx", layout="docx")
    _Walker(builder, numbering, part).container(body)
    return builder.build()


def _open(data: bytes, name: str) -> tuple[object, Numbering, object]:
    """The <w:body> element and the list numbering; a broken zip is corrupt, a zip without a Word
    document is unsupported."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_docx_parts(zf, name)  # every part inflated and counted before a parser sees one
            names = set(zf.namelist())
            types = zf.read("[Content_Types].xml").decode("utf-8", "replace").lower() \
                if "[Content_Types].xml" in names else ""
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError, RuntimeError) as e:
        raise CorruptFileError(name or str(e)) from e
    if not any(t in types for t in _WORD_MAIN):
        raise UnsupportedFormatError(name, zh="压缩包中没有 Word 文档（不是 .docx 文件）",
                                     en="the archive holds no Word document (not a .docx file)")
    import docx  # python-docx

    try:
        document = docx.Document(io.BytesIO(data))
        return document.element.body, Numbering.of(document), document.part
    except ValueError:
        # python-docx refuses macro-enabled documents and templates; their body XML is the same
        return _body_from_part(data, name)
    except Exception as e:
        raise CorruptFileError(f"{name}: {type(e).__name__}: {e}".strip(": ")) from e


def _body_from_part(data: bytes, name: str) -> tuple[object, Numbering, None]:
    from docx.oxml import parse_xml

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = parse_xml(zf.read("word/document.xml"))
            parts = {n: parse_xml(zf.read(f"word/{n}.xml")) for n in ("numbering", "styles")
                     if f"word/{n}.xml" in zf.namelist()}
    except Exception as e:
        raise CorruptFileError(f"{name}: {type(e).__name__}: {e}".strip(": ")) from e
    body = root.find(W + "body")
    if body is None:
        raise CorruptFileError(name or "word/document.xml has no body")
    return body, Numbering(parts.get("numbering"), parts.get("styles")), None


def _children(el) -> Iterator:
    """Child elements, looking through content controls (w:sdt) and custom XML wrappers."""
    for child in el.iterchildren():
        tag = child.tag
        if tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None:
                yield from _children(content)
        elif tag == W + "customXml":
            yield from _children(child)
        elif isinstance(tag, str):
            yield child


def _attr(el, path: str, default: str | None = None) -> str | None:
    """The w:val of a property element (``tcPr/gridSpan`` …); '' when the element has no w:val."""
    found = el.find(path)
    if found is None:
        return default
    return found.get(W + "val", "")


def _int(value: str | None, default: int) -> int:
    try:
        return max(int(value), 0) if value not in (None, "") else default
    except ValueError:
        return default


def _paragraph_lines(p, boxes: list) -> list[str]:
    """A paragraph's text split at line breaks; text boxes it anchors are appended to ``boxes``."""
    parts: list[str] = []

    def walk(el) -> None:
        for ch in el.iterchildren():
            tag = ch.tag
            if not isinstance(tag, str) or tag in _SKIP_RUN:
                continue
            if tag == W + "t":
                parts.append(ch.text or "")
            elif tag in (W + "tab", W + "ptab"):
                parts.append(" ")
            elif tag in (W + "br", W + "cr"):
                parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag == W + "txbxContent":
                boxes.append(ch)
            else:
                walk(ch)

    walk(p)
    return "".join(parts).split("\n")


class _Walker:
    def __init__(self, builder: DocumentBuilder, numbering: Numbering, part=None) -> None:
        self.b = builder
        self.numbering = numbering
        self.part = part  # the python-docx document part, to resolve w:altChunk relationships

    def lines(self, p, boxes: list) -> list[str]:
        """A paragraph's lines, its list number (if any) in front of the first."""
        lines = _paragraph_lines(p, boxes)
        lines[0] = prefix(self.numbering.label(p), lines[0].strip())
        return lines

    def container(self, el) -> None:
        """Body, a text box, or the single cell of a frame table: paragraphs and tables in order."""
        for child in _children(el):
            if child.tag == W + "p":
                self.paragraph(child)
            elif child.tag == W + "tbl":
                self.table(child)
            elif child.tag == W + "altChunk":
                self.alt_chunk(child)

    def alt_chunk(self, el) -> None:
        """Content a converter embedded as a whole HTML or text file ("download as Word" on some sites)."""
        try:
            chunk = self.part.related_parts[el.get(R_ID)]
        except (AttributeError, KeyError):
            return
        kind = chunk.content_type.lower()
        if "html" in kind:
            add_html(self.b, decode(chunk.blob))
        elif kind.startswith("text/plain"):
            for line in decode(chunk.blob).splitlines():
                self.b.add_paragraph(clean(line))

    def paragraph(self, p) -> None:
        boxes: list = []
        for line in self.lines(p, boxes):
            self.b.add_paragraph(clean(line))
        for box in boxes:
            self.container(box)

    def table(self, tbl) -> None:
        trs = [tr for tr in _children(tbl) if tr.tag == W + "tr"]
        tcs = [[tc for tc in _children(tr) if tc.tag == W + "tc"] for tr in trs]
        if sum(len(r) for r in tcs) == 1:
            self.container(tcs[0][0] if tcs[0] else next(tc for r in tcs for tc in r))
            return
        grid = SpanGrid()
        nested: list = []
        for r, (tr, cells) in enumerate(zip(trs, tcs)):
            c = _int(_attr(tr, f"{W}trPr/{W}gridBefore"), 0)
            for tc in cells:
                span = max(_int(_attr(tc, f"{W}tcPr/{W}gridSpan"), 1), 1)
                vmerge = _attr(tc, f"{W}tcPr/{W}vMerge")  # None, "restart", or "" / "continue"
                hmerge = _attr(tc, f"{W}tcPr/{W}hMerge")
                above = grid.owner_at(r - 1, c) if r > 0 else None
                left = grid.owner_at(r, c - 1) if c > 0 else None
                if vmerge in ("", "continue") and above is not None:
                    grid.extend_down(above, r, c, span)
                elif hmerge in ("", "continue") and left is not None:
                    for j in range(c, c + span):
                        grid.extend_right(left, r, j)
                else:
                    grid.place(r, c, self.cell_text(tc, nested), 1, span)
                c += span
            grid.n_rows = max(grid.n_rows, r + 1)
        grid.add_to(self.b)
        for inner in nested:
            self.table(inner)

    def cell_text(self, tc, nested: list) -> str:
        """The cell's paragraphs joined into one line; nested tables are kept for after the table."""
        lines: list[str] = []
        for child in _children(tc):
            if child.tag == W + "p":
                boxes: list = []
                lines.extend(self.lines(child, boxes))
                for box in boxes:
                    lines.extend(line for p in box.iter(W + "p") for line in self.lines(p, []))
            elif child.tag == W + "tbl":
                nested.append(child)
        return join_lines(lines)
