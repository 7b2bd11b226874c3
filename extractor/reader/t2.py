"""Table 二 (主动公开政府信息情况): each row's columns named by what the table's header prints."""

from __future__ import annotations

from extractor.reader import columns
from extractor.reader.anchors import Anchor
from extractor.reader.reading import RowSink, label_evidence
from schemas import catalog


def read_rows(sink: RowSink, anchors: list[Anchor]) -> None:
    """Every row of table 二 whose header names its columns; a row whose header does not is a doubt, unread."""
    layout = catalog.t2_layout(sink.template)
    heads = columns.t2_headers(sink.stream, anchors, sink.template)
    for (a, toks), head in zip(sink.region(anchors), heads):
        cols = layout.get(a.spec.id)
        if not cols:
            continue
        keys = tuple(f"t2.{a.spec.id}.{c}" for c in cols)
        order = columns.order(head, cols)
        if order is None:
            sink.reading.doubt("extract.columns_unnamed",
                               f"表二“{a.spec.label}”一行的表头没有写明各列（应为 "
                               f"{'、'.join(catalog.BY_KEY[k].column.label for k in keys)}），不读取该行",  # type: ignore[union-attr]
                               list(keys), label_evidence(sink.stream, a), header=head)
            continue
        sink.add_row(a, tuple(keys[i] for i in order), toks)


__all__ = ["read_rows"]
