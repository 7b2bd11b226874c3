"""Table 四 (行政复议、行政诉讼情况): fifteen cells in the official order, found by walking the tokens
after the table's header words (one flattened row, or three labelled rows of five)."""

from __future__ import annotations

from extractor.reader.anchors import Anchor
from extractor.reader.reading import RowSink
from extractor.reader.stream import Stream, Token, project
from schemas import catalog
from schemas.labels import TABLE_TITLES

T4_KEYS = tuple(f"t4.{r.id}.{c.id}" for r in catalog.rows("t4") for c in catalog.columns("t4"))
_WORDS = ("行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉",
          "复议后起诉")
_CHARS = frozenset("".join(_WORDS) + "计")
_CAPTION = project("行政复议、行政诉讼情况")
_HEADS = ("结果维持", "结果维", "尚未审结", "未经复议直接起诉", "复议后起诉")
_PROSE_CHARS = 6  # other characters in a piece of text after table 四's header: the next section
_HEAD_WORDS = ("结果维", "结果纠", "其他结", "尚未审", "总计", "未经复议", "复议后起诉")


def start(stream: Stream, found: dict[str, list[Anchor]]) -> int | None:
    """The token where table 四 begins: its caption, else the first of its header words after the other tables."""
    after = max((a.p1 for anchors in found.values() for a in anchors), default=0)
    proj = stream.projection
    at = proj.find(_CAPTION, after)
    if at < 0:
        hits = [i for w in _HEADS if (i := proj.find(w, after)) >= 0]
        if not hits:
            return None
        at = min(hits)
    return stream.proj_token[at]


def cells(stream: Stream, first: int) -> list[Token]:
    """The value tokens of table 四 from token ``first`` on.

    Values count only after the table's own header words, and end where other text begins.
    """
    toks = stream.tokens
    out: list[Token] = []
    header = False
    for i in range(first, len(toks)):
        t = toks[i]
        if t.kind == "chrome":
            continue
        if t.is_value:
            if header:
                out.append(t)
            continue
        letters = project(t.text)
        if not letters:
            continue
        if any(w in letters for w in _HEAD_WORDS) or set(letters) <= _CHARS:
            header = True  # the header's words (the caption, "…行政复议、行政诉讼情况", is not the header)
        elif header and len(set(letters) - _CHARS) >= _PROSE_CHARS:
            break  # the next section's text: the table's cells, if any, came before it
        if out and not set(letters) <= _CHARS:
            break
    return out


def read_rows(sink: RowSink, first: int) -> None:
    """Table 四's cells as one flattened row of fifteen keys; none found is an error-level doubt."""
    out = cells(sink.stream, first)
    if not out:
        sink.reading.doubt("extract.table_missing", f"没有找到{TABLE_TITLES['t4']}的数值", severity="error", table="t4")
        return
    sink.add_row(None, T4_KEYS, out, kind="flattened")


__all__ = ["T4_KEYS", "cells", "read_rows", "start"]
