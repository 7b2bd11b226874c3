"""The document as one stream of tokens, the form the table reader reads every layout in.

A report reaches the reader as a PDF grid, a web page's table, a markdown table, ``pdftotext
-layout`` columns, one cell per line, or the text of a web page with the whole report on one line
and the cells run together. What all of them keep is the order of the characters: a row's label,
then its numbers, then the next row's label. So the reader does not depend on lines or grids: it
cuts ``Document.text`` into tokens (text, numbers, "—", "/", and the blank cells a grid prints),
finds the labels in the stream's *projection* (its CJK characters only, so a label broken by a
line end, a stray space, a cell border or even by its own numbers is still one label) and reads the
value tokens between one label and the next. Where the format gives cells, every token keeps its
cell: a blank cell is a token of its own, and the cell's page and box become the evidence.

Page furniture inside a table (``- 3 -``, ``第 3 页``) is marked as chrome and never read as a value.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal

from extractor.document import Cell, Document, Table

TokenKind = Literal["text", "number", "dash", "slash", "blank", "chrome"]
VALUE_KINDS = frozenset({"number", "dash", "slash", "blank"})

UNITS = ("万元", "人次", "件", "条", "次", "篇", "人", "个", "元", "项")
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)*"  # several points: money cells run together
_TOKEN = re.compile(
    rf"(?P<number>{_NUMBER})"
    r"|(?P<dash>[—–―－]+|-{1,2}(?![\d]))"
    r"|(?P<ws>\s+)"
    r"|(?P<text>[^\s\d—–―－-]+|.)"
)
_SLASH = re.compile(r"^[/／\\]$")
_CHROME = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,/，]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3}|\f+)\s*$"
)
_SPACED_NUMBER = re.compile(r"\s*\d[\d ]*(?:\.[\d ]*\d)?\s*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff〇]")


@dataclass(frozen=True, slots=True)
class Token:
    """One piece of the stream: a run of text, a number, a blank marker, or a blank cell."""

    kind: TokenKind
    text: str
    start: int  # offsets into Document.text
    end: int
    line: int  # the printed line or grid row it sits on
    cell: Cell | None = None  # the table cell it is, or is part of
    whole_cell: bool = False  # the token is its cell's whole text
    sep_before: bool = True  # whitespace or a cell border before it (else it ran into its neighbour)
    sep_after: bool = True

    @property
    def is_value(self) -> bool:
        return self.kind in VALUE_KINDS


@dataclass(slots=True)
class Stream:
    """The tokens of a document and their CJK projection, where labels are searched."""

    document: Document
    tokens: list[Token]
    projection: str  # the CJK characters of the text tokens, in order
    proj_token: list[int]  # for each projection character, its token's index
    proj_offset: list[int]  # ... and its offset in Document.text
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._starts = [t.start for t in self.tokens]

    def token_at(self, offset: int) -> int:
        """Index of the token that starts at or before ``offset``."""
        return max(0, bisect_right(self._starts, offset) - 1)

    def proj_index(self, offset: int) -> int:
        """The first projection position at or after a document offset."""
        return bisect_right(self.proj_offset, offset - 1)

    def text_between(self, a: int, b: int) -> str:
        return self.document.text[a:b]


def is_unit(text: str) -> bool:
    return text in UNITS


def _pieces(text: str, base: int, line: int, cell: Cell | None, out: list[Token]) -> None:
    """Tokens of one paragraph or cell text that starts at ``base`` in Document.text."""
    chrome = bool(_CHROME.match(text)) and cell is None
    found: list[list] = []  # kind, text, start, end, whitespace before, whitespace after
    prev_ws = True
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            prev_ws = True
            if found:
                found[-1][5] = True
            continue
        s = m.group(0)
        if kind == "text" and _SLASH.match(s):
            kind = "slash"
        if chrome:
            kind = "chrome"
        found.append([kind, s, base + m.start(), base + m.end(), prev_ws, False])
        prev_ws = False
    if not found:
        return
    found[-1][5] = True
    whole = len(found) == 1 and cell is not None
    if cell is not None and found[-1][0] == "text" and _is_slash_cell(text):
        found[-1][0] = "slash"
    for kind, s, start, end, before, after in found:
        out.append(Token(kind, s, start, end, line, cell, whole, before, after))


def _is_slash_cell(text: str) -> bool:
    return bool(_SLASH.match(text.strip()))


def _table_tokens(table: Table, line_base: int, out: list[Token]) -> int:
    for ri, row in enumerate(table.rows):
        line = line_base + ri
        printed = " ".join(c.text for c in row if not c.covered and c.text.strip())
        if _CHROME.match(printed):  # a page number that text layout put among the table's lines
            for cell in row:
                if not cell.covered and cell.text.strip():
                    out.append(Token("chrome", cell.text, cell.span.start, cell.span.end, line, cell, True))
            continue
        for cell in row:
            if cell.covered:
                continue
            if not cell.text.strip():
                out.append(Token("blank", "", cell.span.start, cell.span.end, line, cell, True))
                continue
            if _SPACED_NUMBER.fullmatch(cell.text) and " " in cell.text.strip():
                # one cell holds one value: "1 1" is 11 with its digits spread by the layout
                out.append(Token("number", re.sub(r"\s+", "", cell.text), cell.span.start, cell.span.end, line, cell,
                                 True))
                continue
            _pieces(cell.text, cell.span.start, line, cell, out)
    return line_base + len(table.rows)


def build_stream(doc: Document) -> Stream:
    """Cut the document into tokens, block by block, and project its text tokens onto CJK characters."""
    tokens: list[Token] = []
    line = 0
    for block in doc.blocks:
        if isinstance(block, Table):
            line = _table_tokens(block, line, tokens)
        else:
            _pieces(block.text, block.span.start, line, None, tokens)
            line += 1
    chars: list[str] = []
    proj_token: list[int] = []
    proj_offset: list[int] = []
    for i, t in enumerate(tokens):
        if t.kind != "text" or (t.text in UNITS and t.sep_before and t.sep_after):
            continue  # a unit column's cell is not label text, even where it splits a wrapped label
        for j, ch in enumerate(t.text):
            if _CJK.match(ch):
                chars.append(ch)
                proj_token.append(i)
                proj_offset.append(t.start + j)
    return Stream(doc, tokens, "".join(chars), proj_token, proj_offset)


def project(label: str) -> str:
    """A label's CJK characters: the form it is searched in."""
    return "".join(_CJK.findall(label))


__all__ = ["UNITS", "VALUE_KINDS", "Stream", "Token", "build_stream", "is_unit", "project"]
