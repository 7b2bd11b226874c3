"""The table reader: every table found by its labels in the document's stream, whatever the layout.

For each table of the template, rows are found by their catalog labels (``anchors.py``), the values
of a row are the value tokens between its label and the next row's label (``values.py``), columns
are named by what the table's header prints (``columns.py``), and digits that ran together are
split by the whole table's identities (``solve.py``). Each table has its own module for finding its
rows (``t2``, ``t3``, ``t4``, ``old``); this one runs them in order, reads every row's values and
settles the splits over the whole document (``write.py`` writes them). Values keep their printed
text and the tokens they were read from as evidence; doubts about the reading are extraction
findings, never guessed away: a wrong value is worse than a missing one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from extractor.document import Document
from extractor.reader import anchors as anchoring
from extractor.reader import old, t2, t3, t4
from extractor.reader.anchors import Anchor
from extractor.reader.reading import PrintedRow, Reading, RowSink, one_to_one, token_evidence
from extractor.reader.solve import ABSENT, Row, constraints_for, solve
from extractor.reader.stream import Token, build_stream
from extractor.reader.values import enumerators, in_sentence, readings, region, unit_after
from extractor.reader.write import write_row
from schemas import catalog
from schemas.labels import TABLE_TITLES
from schemas.results import Value

# the tables found by their row labels, each with the module that reads its rows (table 四 is found by its header)
ROW_READERS: dict[str, Callable[[RowSink, list[Anchor]], None]] = {
    "t2": t2.read_rows, "t3": t3.read_rows, "old": old.read_rows}


# ----------------------------------------------------------------------------- reading
class TableReading:
    """One document read table by table into a :class:`Reading`."""

    def __init__(self, document: Document, template: str, prose: dict[str, Value]) -> None:
        self.stream = build_stream(document)
        self.template = template
        self.reading = Reading(template)
        self.prose = {k: v.value for k, v in prose.items() if v.value is not None}
        self.rows: list[PrintedRow] = []
        self.stops: list[int] = []  # where every label and table part starts: a row's values end before the next
        self.table_form: str | None = None

    # -- the flow ----------------------------------------------------------------
    def read(self) -> Reading:
        if self.template == "2008":
            found = {"old": old.find_anchors(self.stream)}
            self.table_form = catalog.old_table_form(a.spec.id for a in found["old"] if not a.spec.header_only)
        else:
            found = {t: self._ordered_anchors(t) for t in ("t2", "t3")}
        t4_start = t4.start(self.stream, found) if self.template != "2008" else None
        for anchors in found.values():
            self.stops += [a.start for a in anchors]
        if t4_start is not None:
            self.stops.append(self.stream.tokens[t4_start].start)
        self.stops.sort()
        for table, anchors in found.items():
            if not anchors:
                self.reading.doubt("extract.table_missing", f"没有找到{TABLE_TITLES[table]}", severity="error",
                                   table=table)
                continue
            ROW_READERS[table](self, anchors)
        if self.template != "2008":
            if t4_start is None:
                self.reading.doubt("extract.table_missing", f"没有找到{TABLE_TITLES['t4']}", severity="error", table="t4")
            else:
                t4.read_rows(self, t4_start)
        self._settle()
        self._check_complete()
        return self.reading

    # -- finding rows ----------------------------------------------------------------
    def _ordered_anchors(self, table: str) -> list[Anchor]:
        specs = list(catalog.rows(table, self.template))
        found = anchoring.find(self.stream, specs)
        chained = anchoring.chain(anchoring.best_cluster(found, self.stream))
        return anchoring.fill_gaps(self.stream, chained, specs)

    def _stop_after(self, offset: int) -> int:
        """Where the next label (or table) after ``offset`` starts: a row's values end before it."""
        i = bisect_right(self.stops, offset)
        return self.stops[i] if i < len(self.stops) else len(self.stream.document.text)

    def region(self, anchors: list[Anchor]) -> list[tuple[Anchor, list[Token]]]:
        """Each label with the tokens printed after it, up to the next label (or table part)."""
        cuts = enumerators(self.stream, anchors)
        return [(a, region(self.stream, a, self._stop_after(a.start), cuts)) for a in anchors]

    # -- values ----------------------------------------------------------------
    def add_row(self, anchor: Anchor | None, keys: tuple[str, ...], toks: list[Token], kind: str = "table") -> None:
        """Keep a found row and the readings of its tokens each identity within the row allows."""
        spec = anchor.spec if anchor is not None else None
        keys = tuple(k for k in keys if k in catalog.BY_KEY)
        decimal = tuple(catalog.BY_KEY[k].decimal for k in keys)
        signed = tuple(catalog.BY_KEY[k].signed for k in keys)
        printed = PrintedRow(spec, keys, toks, anchor, kind, unit=unit_after(self.stream, toks),
                             prose=in_sentence(self.stream, toks))
        self.rows.append(printed)
        if not toks or printed.prose:
            return
        mine = set(keys)
        by_key = self._by_key()
        local = [c for c in dict.fromkeys(c for k in keys for c in by_key.get(k, ())) if c.keys <= mine]

        position = {k: i for i, k in enumerate(keys)}
        due: dict[int, list] = {}  # identities by the cell that completes them
        for c in local:
            due.setdefault(max(position[k] for k in c.keys), []).append(c)

        def check(prefix) -> bool:
            got = dict(zip(keys, prefix))
            return all(c.holds(lambda k: got.get(k, ABSENT)) for c in due.get(len(prefix) - 1, ()))

        cands, one, problem = readings(toks, len(keys), decimal=decimal, signed=signed, check=check)
        if problem:
            ev = token_evidence(self.stream, toks, kind)
            label = spec.label if spec else "表四"
            self.reading.doubt("extract.value_count", f"“{label}”一行{problem}，不读取该行", list(keys), ev,
                               found=len(toks), expected=len(keys))
            printed.tokens = []
            printed.row = Row(keys, [])
            return
        if not cands and not one:
            cands = readings(toks, len(keys), decimal=decimal, signed=signed)[0]
        printed.one_to_one = one
        printed.row = Row(keys, cands)

    def _by_key(self) -> dict[str, list]:
        """The identities each key takes part in."""
        if not hasattr(self, "_index"):
            self._index: dict[str, list] = {}
            for c in self._constraints():
                for k in c.keys:
                    self._index.setdefault(k, []).append(c)
        return self._index

    def _constraints(self):
        if not hasattr(self, "_cons"):
            self._cons = constraints_for(self.template, self.table_form)
        return self._cons

    def _settle(self) -> None:
        """Solve the splits over the whole table, then write every row's values."""
        rows = [p.row for p in self.rows if p.row is not None]
        solve(rows, self._constraints(), self.prose)
        for p in self.rows:
            write_row(self.stream, p, self.reading)

    def spans(self) -> list[RowSpan]:
        """The printed rows as spans of Document.text (table 四 printed flat: five cells per row)."""
        out: list[RowSpan] = []
        doc = self.stream.document
        for p in self.rows:
            if p.spec is None:  # table 四: fifteen cells, five per catalog row
                toks = p.tokens
                flat = p.one_to_one and len(one_to_one(toks, 15)) == 15
                cells = one_to_one(toks, 15) if flat else toks
                for r, row in enumerate(catalog.rows("t4")):
                    part = cells[r * 5:(r + 1) * 5] if flat else cells
                    if not part:
                        continue
                    keys = tuple(f"t4.{row.id}.{c.id}" for c in catalog.columns("t4"))
                    out.append(RowSpan("t4", row.id, keys, part[0].start, part[0].start, part[-1].end,
                                       doc.page_of(part[0].start), not flat, cut=True))
                continue
            a = p.anchor
            assert a is not None
            table = p.keys[0].split(".", 1)[0] if p.keys else a.spec.table
            if p.tokens:
                value_start, end = p.tokens[0].start, p.tokens[-1].end
            else:
                value_start = a.end
                end = max(value_start, min(self._stop_after(a.start), value_start + 400))
            out.append(RowSpan(table, a.spec.id, p.keys, a.start, value_start, end, doc.page_of(a.start),
                               bool(p.tokens) and p.row is not None and not p.one_to_one))
        return out

    def _check_complete(self) -> None:
        missing = [f.key for f in catalog.fields_for(self.template, include_optional=False)
                   if f.key not in self.reading.values]
        if self.template == "2021" and any(k.startswith("t3.其他处理.1.") for k in self.reading.values):
            missing = [k for k in missing if not k.startswith("t3.其他处理.") or k.count(".") == 3]
        if self.template == "2008":
            if not any(k.startswith("old.") for k in self.reading.values) or self.table_form == "provincial":
                return  # a provincial table prints its own selection of rows
            missing = [k for k in missing if k.startswith("old.")]
            severity, what = "info", "统计表有 {n} 行没有读到"
        else:
            missing = [k for k in missing if k.startswith("t3.") and any(
                x.startswith("t3.") for x in self.reading.values)]
            severity, what = "warning", "表三有 {n} 个单元格没有读到"
        if missing:
            self.reading.doubt("extract.missing", what.format(n=len(missing)), missing[:50], severity=severity,
                               count=len(missing))


@dataclass(frozen=True, slots=True)
class RowSpan:
    """Where a table row is printed: its label, its value stretch and its keys in printed order.

    The LLM path reads rows from these, so the model gets each row the layout-free way the reader
    found it, also where the reader could not read the values itself.
    """

    table: str
    row_id: str
    keys: tuple[str, ...]
    start: int  # the label (or, for table 四's cells, the first value)
    value_start: int
    end: int
    page: int | None
    runtogether: bool
    cut: bool = False  # the cells of one row cut out of a longer run (table 四 printed flat)


def read_tables(document: Document, template: str, prose: dict[str, Value]) -> Reading:
    """Every table value of a document on a template."""
    return TableReading(document, template, prose).read()


def row_spans(document: Document, template: str) -> list[RowSpan]:
    """Every table row the reader finds in a document, read or not, in reading order."""
    reading = TableReading(document, template, {})
    reading.read()
    return reading.spans()


__all__ = ["ROW_READERS", "RowSpan", "TableReading", "read_tables", "row_spans"]
