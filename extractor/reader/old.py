"""The old 政府信息公开情况统计表 (2008–2018): one row per label, one or two value columns (本年 / 历年累计)
as its header says."""

from __future__ import annotations

from extractor.reader import anchors as anchoring
from extractor.reader import columns
from extractor.reader.anchors import Anchor
from extractor.reader.reading import RowSink, label_evidence
from extractor.reader.stream import Stream
from schemas import catalog


def find_anchors(stream: Stream) -> list[Anchor]:
    """The table's row labels: one per row, rivals at one place settled by the numbered part they are in."""
    specs = list(catalog.rows("old"))
    found = anchoring.find(stream, specs)
    found = _by_section(found)
    return anchoring.one_per_row(anchoring.best_cluster(found, stream))


def read_rows(sink: RowSink, anchors: list[Anchor]) -> None:
    """Every row with its value columns; several columns under a header that does not name them is a doubt."""
    head = columns.old_header(sink.stream, anchors)
    for a, toks in sink.region(anchors):
        if a.spec.header_only:
            continue
        key = f"old.{a.spec.id}"
        if head is not None:
            keys = tuple(key if c == "year" else f"{key}.历年累计" for c in head)
        else:
            values = [t for t in toks if t.kind != "blank" or t.cell is not None]
            if len(values) > 1 and not all(t.kind == "blank" for t in values[1:]):
                sink.reading.doubt(
                    "extract.columns_unnamed",
                    f"统计表“{a.spec.label}”一行印有 {len(values)} 列数值，但表头没有写明哪一列是本年数、"
                    "哪一列是累计数，不读取", [key], label_evidence(sink.stream, a))
                continue
            keys = (key,)
        sink.add_row(a, keys, toks)


def _by_section(found: list[Anchor]) -> list[Anchor]:
    """Rivals at one place (the 复议 and 诉讼 parts both print "（二）被依法纠错数"): the one in the
    numbered part the table is in, then one not placed yet."""
    out: list[Anchor] = []
    section = ""
    used: set[str] = set()
    i = 0
    while i < len(found):
        j = i
        while j < len(found) and found[j].p0 == found[i].p0:
            j += 1
        rivals = found[i:j]
        pick = min(rivals, key=lambda a: (a.spec.section != section, a.spec.id in used, a.order))
        out.append(pick)
        used.add(pick.spec.id)
        section = pick.spec.section or section
        i = j
    return out


__all__ = ["find_anchors", "read_rows"]
