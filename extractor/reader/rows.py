"""Table rows as (label, value cells): the form every table reader consumes.

Whatever the source layout, a printed row is some label text followed by value slots. Covered
slots of merged cells are skipped; trailing cells that hold a number, a blank, a dash or a slash
are value slots; a cell in which a label and its digits run together is split into the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.document import Cell, Document, Table, normalize
from extractor.reader.numbers import parse_cell

_RUN_TOGETHER = re.compile(r"^(?P<label>.*?[\u4e00-\u9fff）)”\"》:])(?P<digits>[\d.\-—]*[\d—])$")
_UNIT_TAIL = re.compile(r"(万元|人次|件|条|次|篇|人|个|元)$")


@dataclass(slots=True)
class Row:
    label: str  # label text of the row, cells joined
    label_cells: list[Cell]
    values: list[Cell]  # value slots in column order
    table: Table
    index: int  # row index within the table
    digits: str | None = None  # run-together digits when the values were printed without separators
    digits_cell: Cell | None = None
    texts: list[str] = field(default_factory=list)  # every non-covered cell text, in order

    @property
    def has_numbers(self) -> bool:
        return self.digits is not None or any(parse_cell(c.text).status == "number" for c in self.values)

    @property
    def numbers_only(self) -> bool:
        return not self.label.strip() and self.has_numbers


def table_rows(table: Table) -> list[Row]:
    """Row records of one table, in order."""
    out: list[Row] = []
    for ri, cells in enumerate(table.rows):
        real = [c for c in cells if not c.covered]
        texts = [c.text for c in real]
        k = len(real)
        while k > 0 and parse_cell(real[k - 1].text).status != "text":
            k -= 1
        label_cells = [c for c in real[:k] if c.text.strip()]
        values = real[k:]
        label = " ".join(c.text for c in label_cells)
        row = Row(label, label_cells, values, table, ri, texts=texts)
        if not values and label_cells:
            last = label_cells[-1]
            m = _RUN_TOGETHER.match(re.sub(r"\s+", "", normalize(last.text)))
            if m and re.search(r"[\d—]", m.group("digits")):
                lab = m.group("label")
                row.label = " ".join([c.text for c in label_cells[:-1]] + [lab])
                row.digits = m.group("digits")
                row.digits_cell = last
        out.append(row)
    return out


def document_rows(doc: Document) -> list[Row]:
    """Row records of every table in reading order."""
    out: list[Row] = []
    for t in doc.tables():
        out.extend(table_rows(t))
    return out


def strip_unit(label: str) -> str:
    """A run-together old-table row prints its unit before the digits: drop it from the label."""
    return _UNIT_TAIL.sub("", label.strip())
