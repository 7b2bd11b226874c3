"""What every table's reader shares: the reading it fills, the rows it found, and where values were printed.

The table modules (``t2``, ``t3``, ``t4``, ``old``) find their rows and hand them to a
:class:`RowSink` (the whole document's :class:`~extractor.reader.tables.TableReading`), which reads
the values and settles run-together digits over every table at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from extractor.reader.anchors import Anchor
from extractor.reader.solve import Row
from extractor.reader.stream import Stream, Token
from schemas.catalog import RowSpec
from schemas.results import Evidence, Finding, Value


@dataclass
class Reading:
    """What the readers found: values by key, and doubts about the reading."""

    template: str
    values: dict[str, Value] = field(default_factory=dict)
    doubts: list[Finding] = field(default_factory=list)

    def doubt(self, rule: str, message: str, keys: list[str] | None = None, evidence: Evidence | None = None,
              severity: str = "warning", **detail) -> None:
        ev = {k: [evidence] for k in (keys or [])} if evidence is not None else {}
        self.doubts.append(Finding(rule=rule, kind="extraction", category="extraction",
                                   severity=severity, message=message, keys=keys or [],  # type: ignore[arg-type]
                                   evidence=ev, detail=detail))


@dataclass
class PrintedRow:
    """A row the reader found: its label, its keys, the tokens its values were printed in."""

    spec: RowSpec | None
    keys: tuple[str, ...]
    tokens: list[Token]
    anchor: Anchor | None
    kind: str = "table"  # evidence kind: table | flattened
    one_to_one: bool = False
    unit: str | None = None
    row: Row | None = None
    prose: bool = False  # the label and figures of a sentence: shown to the model, not read as cells


class RowSink(Protocol):
    """What a table's reader is given: the document's tokens and a place to put the rows it finds."""

    stream: Stream
    template: str
    reading: Reading

    def region(self, anchors: list[Anchor]) -> list[tuple[Anchor, list[Token]]]:
        """Each label with the tokens printed after it, up to the next label."""
        ...

    def add_row(self, anchor: Anchor | None, keys: tuple[str, ...], toks: list[Token], kind: str = "table") -> None:
        """A row found: its label (None for table 四's flat cells), its keys in printed order, its tokens."""
        ...


def token_evidence(stream: Stream, tokens: list[Token], kind: str) -> Evidence:
    """Where a value was printed: the token (or tokens of a split) with its cell's page and box."""
    first, last = tokens[0], tokens[-1]
    cell = first.cell if first.cell is not None and all(t.cell is first.cell for t in tokens) else None
    page = cell.span.page if cell is not None else stream.document.page_of(first.start)
    bbox = cell.span.bbox if cell is not None and (first.whole_cell or kind == "split") else None
    text = stream.document.text[first.start:last.end] if len(tokens) > 1 else (first.text or "")
    return Evidence(kind=kind, page=page, start=first.start, end=max(last.end, first.start), text=text,  # type: ignore[arg-type]
                    row=cell.row if cell is not None else None, col=cell.col if cell is not None else None,
                    bbox=bbox)


def label_evidence(stream: Stream, anchor: Anchor) -> Evidence:
    """Where a row's label was printed (the evidence of a row read blank or not read)."""
    tok = stream.tokens[anchor.first_token]
    cell = tok.cell
    return Evidence(kind="table", page=cell.span.page if cell is not None else stream.document.page_of(anchor.start),
                    start=anchor.start, end=anchor.end, text=stream.document.text[anchor.start:anchor.end],
                    row=cell.row if cell is not None else None, col=cell.col if cell is not None else None,
                    bbox=cell.span.bbox if cell is not None else None)


def one_to_one(tokens: list[Token], n: int) -> list[Token]:
    """A row's tokens without the blanks around them while there are more than ``n``."""
    toks = list(tokens)
    while len(toks) > n and toks[0].kind == "blank":
        toks.pop(0)
    while len(toks) > n and toks[-1].kind == "blank":
        toks.pop()
    return toks


__all__ = ["PrintedRow", "Reading", "RowSink", "label_evidence", "one_to_one", "token_evidence"]
