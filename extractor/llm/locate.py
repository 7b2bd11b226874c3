"""Cut a report into the small pieces a small model reads well: one printed table row per task.

A model asked for a whole table at once loses its place; asked for one row it copies numbers. Each
task names a catalog row (its official label and the columns to fill) and the row's printed text in
``Document.text``: where the table reader placed the row's cells, the line(s) holding them; for a
table the reader found nothing of, the line whose label matches the catalog row. Locating is
deterministic; reading the numbers out of the text is the model's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.document import Document, normalize
from extractor.reader.labels import best_match
from extractor.reader.numbers import parse_cell
from schemas import catalog
from schemas.results import Extraction

_VALUE_TAIL = re.compile(
    r"(?P<tail>(?:[\s|:：为]*(?:[-+]?\d[\d,]*(?:\.\d+)?|—+|-|/|／)(?:万元|人次|件|条|次|篇|人|个|元)?)+)[\s|。.;；,，]*$")
_OLD_VALUE_COLUMN = "统计数"
BLANK = "null"  # how a cell with nothing printed is shown: the way the answer spells it


@dataclass(frozen=True, slots=True)
class RowTask:
    """One printed row to read: what to fill and where it is printed."""

    table: str  # t2, t3, t4, old
    row_id: str
    label: str  # official row label
    keys: tuple[str, ...]  # catalog keys, column order
    fields: tuple[str, ...]  # response-model field names, same order
    columns: tuple[str, ...]  # official column labels, same order
    decimal: tuple[bool, ...]
    start: int  # span of the row's printed text in Document.text
    end: int
    value_start: int  # numbers count from here (after the label)
    page: int | None = None
    runtogether: bool = False  # the reader had to split digits printed without separators
    cut: bool = False  # the text is this row's value cells cut out of a longer line (no label in it)

    def values_text(self, text: str) -> str:
        """The row's value cells only (from the first value cell on), as the model reads them.

        Only the value cells: a small model otherwise copies the "1" of "计1条" or an enumerator. When
        the printed cells line up one to one with the columns, they are shown as the array the answer
        is (``[10, 1, null, 0, 11]``, a number without its separators, a blank, "—" or "/" as null), in
        the order of the "列" line: a small model asked to align them itself shifts numbers, and one
        shown "name=value" pairs but asked for an array writes 0 for the nulls.
        """
        cells = self.slots(text)
        if len(self.fields) > 1 and len(cells) == len(self.fields):
            return "[" + ", ".join(_shown(text[a:b]) for a, b in cells) + "]"
        shown = RowTask.printed(self, text, self.value_start)
        return shown or BLANK

    def slots(self, text: str) -> list[tuple[int, int]]:
        """Offsets of the row's value cells when they are table cells on one line; [] for anything else."""
        seg = text[self.value_start:self.end]
        if "\t" not in seg or "\n" in seg.strip("\n") or self.runtogether:
            return []
        out, pos = [], self.value_start
        for part in seg.split("\t"):
            out.append((pos, pos + len(part)))
            pos += len(part) + 1
        if seg.endswith("\t"):
            out.pop()  # the separator after the last cell
        return out

    def zeros(self, text: str) -> dict[str, int | float | None] | None:
        """The row's cells when nothing but zeros and blanks is printed in it (else None): no model needed.

        A printed 0 has nothing to misread, and such rows are common (about 40 % of the rows of the eval
        set); answering them here saves those calls and tokens. Which cell is blank must be certain: the
        cells line up with the columns, or every column has its own 0 (a run of zeros as long as the
        row has columns, when the digits ran together).
        """
        segment = normalize(text[self.value_start:self.end])
        if re.search(r"[1-9]", segment):
            return None
        cells = self.slots(text)
        if len(cells) == len(self.fields):
            out: list[int | float | None] = []
            for (a, b), money in zip(cells, self.decimal):
                cell = parse_cell(text[a:b])
                if cell.status == "number" and cell.value == 0:
                    out.append(0.0 if money else 0)
                elif cell.status in ("blank", "dash", "slash"):
                    out.append(None)
                else:
                    return None
            return dict(zip(self.fields, out))
        zeros = re.findall(r"0+(?:\.0+)?", segment)
        if self.runtogether:
            whole = len(zeros) == 1 and "." not in zeros[0] and len(zeros[0]) == len(self.fields)
        else:
            whole = len(zeros) == len(self.fields) and not re.search(r"[—/／-]", segment)
        return {f: 0.0 if money else 0 for f, money in zip(self.fields, self.decimal)} if whole else None

    def needs_model(self, text: str) -> bool:
        """Whether the row is worth a call: it prints a number, and not only zeros."""
        return self.has_digits(text) and self.zeros(text) is None

    def has_digits(self, text: str) -> bool:
        """Whether any number is printed in the row's value part; a row without one needs no model."""
        return bool(re.search(r"\d", text[self.value_start:self.end]))

    @property
    def plain_label(self) -> str:
        """The official label without its notes in brackets (whose digits a model would copy)."""
        return re.sub(r"[（(][^（）()]*[）)]$", "", self.label).strip() or self.label

    def printed(self, text: str, start: int | None = None) -> str:
        """The row's printed text: cells separated by " | ", a blank cell as null.

        In ``Document.text`` every table cell is followed by a tab, so a line's last tab ends its last
        cell; blank cells before the label (the slots of a merged header column) are dropped.
        """
        lines = []
        segment = text[self.start if start is None else start:self.end]
        value_part = start is not None and start > self.start
        for line in segment.split("\n"):
            if "\t" not in line:
                lines.append(line.strip())
                continue
            cells = line.split("\t")
            if cells and cells[-1] == "":
                cells.pop()
            while cells and not cells[0].strip() and not self.cut and not value_part:
                cells.pop(0)
            lines.append(" | ".join(c.strip() or BLANK for c in cells))
        return " / ".join(x for x in lines if x)


def _shown(raw: str) -> str:
    """One value cell as the answer spells it; text that is not a number is shown as printed."""
    cell = parse_cell(raw)
    if cell.status == "number":
        return str(cell.value)
    return BLANK if cell.status in ("blank", "dash", "slash") else raw.strip()


def _line_bounds(text: str, offset: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, offset) + 1
    b = text.find("\n", offset)
    return a, len(text) if b < 0 else b


def _row_layout(table: str, template: str) -> list[tuple[str, str, list[tuple[str, str, bool]]]]:
    """(row id, row label, [(key, column label, decimal)]) for every value row of a table."""
    out: list[tuple[str, str, list[tuple[str, str, bool]]]] = []
    by_row: dict[str, list[tuple[str, str, bool]]] = {}
    labels: dict[str, str] = {}
    for f in catalog.fields_for(template, include_second_column=True):
        if f.table != table or f.prose_only:
            continue
        col = f.column.label if f.column is not None else _OLD_VALUE_COLUMN
        by_row.setdefault(f.row.id, []).append((f.key, col, f.decimal))
        labels[f.row.id] = f.row.label
    layout = catalog.t2_layout(template) if table == "t2" else {}
    for rid, cols in by_row.items():
        if rid in layout:  # table 二 prints its columns in the template's order, not the catalog's
            order = {f"t2.{rid}.{c}": i for i, c in enumerate(layout[rid])}
            cols = sorted(cols, key=lambda c: order.get(c[0], len(order)))
        out.append((rid, labels[rid], cols))
    return out


def _field_name(key: str, table: str) -> str:
    if table == "old":
        return "历年累计" if key.endswith(".历年累计") else _OLD_VALUE_COLUMN
    return key.rsplit(".", 1)[1]


def tables_of(template: str) -> tuple[str, ...]:
    return ("old",) if template == "2008" else ("t2", "t3", "t4")


def locate(document: Document, template: str, reading: Extraction | None) -> tuple[list[RowTask], list[str]]:
    """Row tasks for every table of the template, and the tables found by label search only."""
    text = document.text
    tasks: list[RowTask] = []
    searched: list[str] = []
    found_by_reader = reading.values if reading is not None else {}
    for table in tables_of(template):
        layout = _row_layout(table, template)
        table_tasks: list[RowTask] = []
        for rid, label, cols in layout:
            present = [(k, c, d) for k, c, d in cols if k in found_by_reader and found_by_reader[k].evidence]
            if not present:
                continue
            evs = [found_by_reader[k].evidence[0] for k, _, _ in present]
            first = min(e.start for e in evs)
            last = max(e.end for e in evs)
            a, _ = _line_bounds(text, first)
            _, b = _line_bounds(text, max(last - 1, first))
            cut = _shared_line(found_by_reader, present, a, b)
            if cut:  # the line holds other rows' cells too (a flattened table 四): only this row's cells
                a, b = first, min(last + 1, b) if text[last:last + 1] == "\t" else last
            # a blank whose evidence is its label cell (no value cell printed) counts from the label's end
            value_start = min(e.end if found_by_reader[k].status == "blank" and e.text.strip() else e.start
                              for (k, _, _), e in zip(present, evs))
            table_tasks.append(RowTask(
                table=table, row_id=rid, label=label,
                keys=tuple(k for k, _, _ in present), fields=tuple(_field_name(k, table) for k, _, _ in present),
                columns=tuple(c for _, c, _ in present), decimal=tuple(d for _, _, d in present),
                start=a, end=b, value_start=value_start, page=evs[0].page,
                runtogether=any(e.kind == "split" for e in evs), cut=cut))
        if not table_tasks:
            table_tasks = _search(document, table, template, layout)
            if table_tasks:
                searched.append(table)
        tasks.extend(table_tasks)
    return tasks, searched


def _shared_line(values: dict, present: list, a: int, b: int) -> bool:
    mine = {k for k, _, _ in present}
    for k, v in values.items():
        if k in mine or not v.evidence:
            continue
        e = v.evidence[0]
        if a <= e.start < b and e.end > e.start:
            return True
    return False


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _search(document: Document, table: str, template: str, layout: list) -> list[RowTask]:
    """Rows found by their labels alone, for a table the reader could not read."""
    text = document.text
    specs = [r for r in catalog.rows(table, template) if not r.header_only]
    by_id = {rid: (label, [c for c in cols if not c[0].endswith(".历年累计")]) for rid, label, cols in layout}
    lines = _lines(text)
    tasks: list[RowTask] = []
    taken: set[str] = set()
    for i, (a, b) in enumerate(lines):
        line = text[a:b]
        if not re.search(r"[\u4e00-\u9fff]", line):
            continue
        m_tail = _VALUE_TAIL.search(line)
        label_text = line[:m_tail.start()] if m_tail else line
        if not label_text.strip() or len(label_text) > 80:
            continue
        m = best_match(label_text, specs, minimum=0.85)
        if m is None or m.row.id in taken or m.row.id not in by_id:
            continue
        end, value_start = b, a + len(label_text)
        if not m_tail and i + 1 < len(lines):
            na, nb = lines[i + 1]
            if _VALUE_TAIL.fullmatch(text[na:nb] or " "):
                end, value_start = nb, na
            else:
                continue
        label, cols = by_id[m.row.id]
        taken.add(m.row.id)
        tasks.append(RowTask(
            table=table, row_id=m.row.id, label=label, keys=tuple(k for k, _, _ in cols),
            fields=tuple(_field_name(k, table) for k, _, _ in cols), columns=tuple(c for _, c, _ in cols),
            decimal=tuple(d for _, _, d in cols), start=a, end=end, value_start=value_start,
            page=document.page_of(a)))
    return tasks


__all__ = ["RowTask", "locate", "tables_of"]
