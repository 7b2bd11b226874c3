"""Cut a report into the small pieces a small model reads well: one printed table row per task.

A model asked for a whole table at once loses its place; asked for one row it copies numbers. Each
task names a catalog row (its official label and the columns to fill) and the row's printed text in
``Document.text``: the label and value stretch the table reader finds the layout-free way (by the
catalog's labels in the document's character stream), also for rows whose values it could not read
itself. Locating is deterministic; reading the numbers out of the text is the model's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.document import Document, normalize
from extractor.reader.numbers import parse_cell
from extractor.reader.tables import row_spans
from schemas import catalog

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
            return "[" + ", ".join(shown(text[a:b]) for a, b in cells) + "]"
        return RowTask.printed(self, text, self.value_start) or BLANK

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


def shown(raw: str) -> str:
    """One value cell as the answer spells it; text that is not a number is shown as printed."""
    cell = parse_cell(raw)
    if cell.status == "number":
        return str(cell.value)
    return BLANK if cell.status in ("blank", "dash", "slash") else raw.strip()


def _field_name(key: str, table: str) -> str:
    if table == "old":
        return "历年累计" if key.endswith(".历年累计") else _OLD_VALUE_COLUMN
    return key.rsplit(".", 1)[1]


def locate(document: Document, template: str) -> list[RowTask]:
    """Row tasks for every table row the reader finds, read by it or not, the layout-free way it finds them."""
    tasks: list[RowTask] = []
    for span in row_spans(document, template):
        keys = tuple(k for k in span.keys if k in catalog.BY_KEY)
        if not keys:
            continue
        spec = catalog.BY_KEY[keys[0]]
        cols = tuple((catalog.BY_KEY[k].column.label if catalog.BY_KEY[k].column is not None  # type: ignore[union-attr]
                      else _OLD_VALUE_COLUMN) for k in keys)
        tasks.append(RowTask(
            table=span.table, row_id=span.row_id, label=spec.row.label, keys=keys,
            fields=tuple(_field_name(k, span.table) for k in keys), columns=cols,
            decimal=tuple(catalog.BY_KEY[k].decimal for k in keys),
            start=span.start, end=span.end, value_start=span.value_start, page=span.page,
            runtogether=span.runtogether, cut=span.cut))
    return tasks


__all__ = ["RowTask", "locate", "shown"]
