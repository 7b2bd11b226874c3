"""Table 三 (收到和处理政府信息公开申请情况): seven columns a row, group labels above their items skipped."""

from __future__ import annotations

from extractor.reader.anchors import Anchor
from extractor.reader.reading import RowSink
from extractor.reader.stream import Token
from schemas import catalog

T3_COLS = tuple(c.id for c in catalog.columns("t3"))


def read_rows(sink: RowSink, anchors: list[Anchor]) -> None:
    """Every printed row of table 三, in printed order, each with the seven applicant columns."""
    items = {r.group for r in catalog.rows("t3", sink.template) if r.group}
    pairs = sink.region(anchors)
    for n, (a, toks) in enumerate(pairs):
        if a.spec.header_only:
            continue
        nxt = pairs[n + 1][0] if n + 1 < len(pairs) else None
        if _group_label(a, toks, nxt, items):
            continue
        sink.add_row(a, tuple(f"t3.{a.spec.id}.{c}" for c in T3_COLS), toks)


def _group_label(a: Anchor, toks: list[Token], nxt: Anchor | None, items: set[str]) -> bool:
    """A group label printed above (or beside) its items, its cells empty: not a row."""
    return (a.spec.id in items and nxt is not None and nxt.spec.group == a.spec.id
            and all(t.kind == "blank" for t in toks))


__all__ = ["T3_COLS", "read_rows"]
