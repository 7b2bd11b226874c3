"""The table reader: every table found by its labels in the document's stream, whatever the layout.

For each table of the template, rows are found by their catalog labels (``anchors.py``), the values
of a row are the value tokens between its label and the next row's label (``values.py``), columns
are named by what the table's header prints (``columns.py``), and digits that ran together are
split by the whole table's identities (``solve.py``). Values keep their printed text and the
tokens they were read from as evidence; doubts about the reading are extraction findings, never
guessed away: a wrong value is worse than a missing one.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from extractor.document import Document
from extractor.reader import anchors as anchoring
from extractor.reader import columns
from extractor.reader.anchors import Anchor
from extractor.reader.numbers import parse_cell
from extractor.reader.solve import ABSENT, Row, constraints_for, solve
from extractor.reader.stream import Stream, Token, build_stream, project
from extractor.reader.values import enumerators, in_sentence, readings, region, unit_after
from schemas import catalog
from schemas.catalog import RowSpec
from schemas.results import Evidence, Finding, Value

Number = int | float
T3_COLS = tuple(c.id for c in catalog.columns("t3"))
T4_KEYS = tuple(f"t4.{r.id}.{c.id}" for r in catalog.rows("t4") for c in catalog.columns("t4"))
_T4_WORDS = ("行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉",
             "复议后起诉")
_T4_CHARS = frozenset("".join(_T4_WORDS) + "计")
_T4_CAPTION = project("行政复议、行政诉讼情况")
_T4_HEADS = ("结果维持", "结果维", "尚未审结", "未经复议直接起诉", "复议后起诉")
_PROSE_CHARS = 6  # other characters in a piece of text after table 四's header: the next section
_T4_HEAD_WORDS = ("结果维", "结果纠", "其他结", "尚未审", "总计", "未经复议", "复议后起诉")


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


# ----------------------------------------------------------------------------- evidence
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
    tok = stream.tokens[anchor.first_token]
    cell = tok.cell
    return Evidence(kind="table", page=cell.span.page if cell is not None else stream.document.page_of(anchor.start),
                    start=anchor.start, end=anchor.end, text=stream.document.text[anchor.start:anchor.end],
                    row=cell.row if cell is not None else None, col=cell.col if cell is not None else None,
                    bbox=cell.span.bbox if cell is not None else None)


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
            found = {"old": self._old_anchors()}
            self.table_form = catalog.old_table_form(a.spec.id for a in found["old"] if not a.spec.header_only)
        else:
            found = {t: self._ordered_anchors(t) for t in ("t2", "t3")}
        t4_start = self._t4_start(found) if self.template != "2008" else None
        for anchors in found.values():
            self.stops += [a.start for a in anchors]
        if t4_start is not None:
            self.stops.append(self.stream.tokens[t4_start].start)
        self.stops.sort()
        for table, anchors in found.items():
            if not anchors:
                self.reading.doubt("extract.table_missing", f"没有找到{_table_name(table)}", severity="error",
                                   table=table)
                continue
            getattr(self, f"_rows_{table}")(anchors)
        if self.template != "2008":
            if t4_start is None:
                self.reading.doubt("extract.table_missing", "没有找到表四（行政复议、行政诉讼情况）", severity="error",
                                   table="t4")
            else:
                self._rows_t4(t4_start)
        self._settle()
        self._check_complete()
        return self.reading

    # -- finding rows ----------------------------------------------------------------
    def _ordered_anchors(self, table: str) -> list[Anchor]:
        specs = list(catalog.rows(table, self.template))
        found = anchoring.find(self.stream, specs)
        chained = anchoring.chain(anchoring.best_cluster(found, self.stream))
        return anchoring.fill_gaps(self.stream, chained, specs)

    def _old_anchors(self) -> list[Anchor]:
        specs = list(catalog.rows("old"))
        found = anchoring.find(self.stream, specs)
        found = _by_section(found)
        return anchoring.one_per_row(anchoring.best_cluster(found, self.stream))

    def _stop_after(self, offset: int) -> int:
        """Where the next label (or table) after ``offset`` starts: a row's values end before it."""
        i = bisect_right(self.stops, offset)
        return self.stops[i] if i < len(self.stops) else len(self.stream.document.text)

    def _region(self, anchors: list[Anchor]) -> list[tuple[Anchor, list[Token]]]:
        cuts = enumerators(self.stream, anchors)
        return [(a, region(self.stream, a, self._stop_after(a.start), cuts)) for a in anchors]

    # -- table 二 ----------------------------------------------------------------
    def _rows_t2(self, anchors: list[Anchor]) -> None:
        layout = catalog.t2_layout(self.template)
        heads = columns.t2_headers(self.stream, anchors, self.template)
        for (a, toks), head in zip(self._region(anchors), heads):
            cols = layout.get(a.spec.id)
            if not cols:
                continue
            keys = tuple(f"t2.{a.spec.id}.{c}" for c in cols)
            order = columns.order(head, cols)
            if order is None:
                self.reading.doubt("extract.columns_unnamed",
                                   f"表二“{a.spec.label}”一行的表头没有写明各列（应为 "
                                   f"{'、'.join(catalog.BY_KEY[k].column.label for k in keys)}），不读取该行",  # type: ignore[union-attr]
                                   list(keys), label_evidence(self.stream, a), header=head)
                continue
            self._add_row(a, tuple(keys[i] for i in order), toks)

    # -- table 三 ----------------------------------------------------------------
    def _rows_t3(self, anchors: list[Anchor]) -> None:
        items = {r.group for r in catalog.rows("t3", self.template) if r.group}
        pairs = self._region(anchors)
        for n, (a, toks) in enumerate(pairs):
            if a.spec.header_only:
                continue
            nxt = pairs[n + 1][0].spec if n + 1 < len(pairs) else None
            if a.spec.id in items and nxt is not None and nxt.group == a.spec.id \
                    and all(t.kind == "blank" for t in toks):
                continue  # a group label printed above (or beside) its items, its cells empty: not a row
            self._add_row(a, tuple(f"t3.{a.spec.id}.{c}" for c in T3_COLS), toks)

    # -- table 四 ----------------------------------------------------------------
    def _t4_start(self, found: dict[str, list[Anchor]]) -> int | None:
        """Where table 四 begins: its caption, else the first of its header words after table 三."""
        after = max((a.p1 for anchors in found.values() for a in anchors), default=0)
        proj = self.stream.projection
        at = proj.find(_T4_CAPTION, after)
        if at < 0:
            hits = [i for w in _T4_HEADS if (i := proj.find(w, after)) >= 0]
            if not hits:
                return None
            at = min(hits)
        return self.stream.proj_token[at]

    def _rows_t4(self, start: int) -> None:
        """The fifteen cells in the official order: one flattened row, or three labelled rows of five.

        Values count only after the table's own header words, and end where other text begins.
        """
        toks = self.stream.tokens
        out: list[Token] = []
        header = False
        for i in range(start, len(toks)):
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
            if any(w in letters for w in _T4_HEAD_WORDS) or set(letters) <= _T4_CHARS:
                header = True  # the header's words (the caption, "…行政复议、行政诉讼情况", is not the header)
            elif header and len(set(letters) - _T4_CHARS) >= _PROSE_CHARS:
                break  # the next section's text: the table's cells, if any, came before it
            if out and not set(letters) <= _T4_CHARS:
                break
        if not out:
            self.reading.doubt("extract.table_missing", "没有找到表四（行政复议、行政诉讼情况）的数值", severity="error",
                               table="t4")
            return
        self._add_row(None, T4_KEYS, out, kind="flattened")

    # -- the old 统计表 ----------------------------------------------------------------
    def _rows_old(self, anchors: list[Anchor]) -> None:
        head = columns.old_header(self.stream, anchors)
        pairs = self._region(anchors)
        for a, toks in pairs:
            if a.spec.header_only:
                continue
            key = f"old.{a.spec.id}"
            values = [t for t in toks if t.kind != "blank" or t.cell is not None]
            if head is None:
                if len(values) > 1 and not all(t.kind == "blank" for t in values[1:]):
                    self.reading.doubt(
                        "extract.columns_unnamed",
                        f"统计表“{a.spec.label}”一行印有 {len(values)} 列数值，但表头没有写明哪一列是本年数、"
                        "哪一列是累计数，不读取", [key], label_evidence(self.stream, a))
                    continue
                keys: tuple[str, ...] = (key,)
            else:
                keys = tuple(key if c == "year" else f"{key}.历年累计" for c in head)
            self._add_row(a, keys, toks)

    # -- values ----------------------------------------------------------------
    def _add_row(self, anchor: Anchor | None, keys: tuple[str, ...], toks: list[Token], kind: str = "table") -> None:
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
        local = [c for c in {c for k in keys for c in self._by_key().get(k, ())} if c.keys <= mine]

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
            self._write(p)

    def _write(self, p: PrintedRow) -> None:
        values = self.reading.values
        stream = self.stream
        if p.prose:
            return
        if p.row is None:  # printed with nothing in its cells: blank
            if p.anchor is None or not p.keys:
                return
            ev = label_evidence(stream, p.anchor)
            for key in p.keys:
                if key not in values:
                    values[key] = Value(key=key, value=None, raw="", status="blank",
                                        unit=catalog.BY_KEY[key].unit, evidence=[ev])
            return
        cands = p.row.candidates
        if not p.tokens:
            return  # the row could not be read: its doubt says why
        if p.one_to_one and len(cands) == 1:
            for key, tok in zip(p.keys, _one_to_one(p.tokens, len(p.keys))):
                if key in values:
                    continue
                cell = parse_cell(tok.text)
                unit = (p.unit if key == p.keys[-1] and p.unit else None) or cell.unit or catalog.BY_KEY[key].unit
                values[key] = Value(key=key, value=cell.value if cell.status == "number" else None, raw=tok.text,
                                    status=cell.status if tok.kind != "blank" else "blank",  # type: ignore[arg-type]
                                    unit=unit, evidence=[token_evidence(stream, [tok], p.kind)])
            return
        digits = " ".join(t.text for t in p.tokens)
        ev = token_evidence(stream, p.tokens, "split")
        if len(cands) == 1:
            for key, num in zip(p.keys, cands[0]):
                if key not in values:
                    unit = (p.unit if key == p.keys[-1] and p.unit else None) or catalog.BY_KEY[key].unit
                    values[key] = Value(key=key, value=num, raw="—" if num is None else _fmt(num),
                                        status="dash" if num is None else "number", unit=unit, evidence=[ev])
            return
        label = p.spec.label if p.spec is not None else "行政复议、行政诉讼"
        undecided = []
        for i, key in enumerate(p.keys):
            if key in values:
                continue
            options = {c[i] for c in cands}
            only = next(iter(options)) if len(options) == 1 else None
            if len(options) != 1:
                undecided.append(key)
            values[key] = Value(
                key=key, value=only, raw=digits if len(options) != 1 else ("—" if only is None else _fmt(only)),
                status=("number" if only is not None else "dash") if len(options) == 1 else "text",
                unit=catalog.BY_KEY[key].unit, evidence=[ev], candidates=[list(c) for c in cands[:50]],
                choices=sorted(options, key=lambda x: (x is None, x or 0)) if len(options) > 1 else [])
        message = (f"“{label}”一行的数字连在一起（{digits}），有 {len(cands)} 种拆分都符合表内勾稽关系，需要人工确认"
                   if cands else f"“{label}”一行的数字连在一起（{digits}），没有一种拆分符合表内勾稽关系，需要人工确认")
        self.reading.doubts.append(Finding(
            rule="extract.ambiguous_split", kind="extraction", category="extraction", severity="warning",
            message=message, keys=list(p.keys), actual=digits, evidence={k: [ev] for k in p.keys},
            detail={"candidates": [list(c) for c in cands[:50]], "count": len(cands), "undecided": undecided},
        ))

    def spans(self) -> list[RowSpan]:
        """The printed rows as spans of Document.text (table 四 printed flat: five cells per row)."""
        out: list[RowSpan] = []
        doc = self.stream.document
        for p in self.rows:
            if p.spec is None:  # table 四: fifteen cells, five per catalog row
                toks = p.tokens
                flat = p.one_to_one and len(_one_to_one(toks, 15)) == 15
                cells = _one_to_one(toks, 15) if flat else toks
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


def _one_to_one(tokens: list[Token], n: int) -> list[Token]:
    toks = list(tokens)
    while len(toks) > n and toks[0].kind == "blank":
        toks.pop(0)
    while len(toks) > n and toks[-1].kind == "blank":
        toks.pop()
    return toks


def _fmt(x: Number) -> str:
    return str(x)


def _table_name(table: str) -> str:
    return {"t2": "表二（主动公开政府信息情况）", "t3": "表三（收到和处理政府信息公开申请情况）",
            "old": "政府信息公开情况统计表"}[table]


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


__all__ = ["T3_COLS", "T4_KEYS", "Reading", "RowSpan", "read_tables", "row_spans", "token_evidence"]
