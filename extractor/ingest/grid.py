"""Resolving row and column spans into the rectangular grid ``DocumentBuilder.add_table`` takes.

HTML (rowspan/colspan) and DOCX (gridSpan/vMerge) describe merged cells differently; both are placed
here, which knows for every covered slot exactly which real cell covers it. The builder's own guess
(the cell to the left, else above) is right for pdfplumber but wrong where a row-spanning cell sits
to the right of a real cell (table 三's 总计 header), so the owners are written back after adding.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.document import DocumentBuilder, Table
from extractor.settings import limits


@dataclass(slots=True)
class _Real:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


BLANK_ROW_CELLS = 3  # an empty row of at least this many cells is a blank row of data, not a spacer


class SpanGrid:
    """Cells placed by (row, col) with their spans; every slot knows its owner."""

    def __init__(self) -> None:
        self._real: dict[tuple[int, int], _Real] = {}
        self._owner: dict[tuple[int, int], tuple[int, int]] = {}
        self.n_rows = 0
        self._budget = limits()

    def taken(self, row: int, col: int) -> bool:
        return (row, col) in self._owner

    def owner_at(self, row: int, col: int) -> tuple[int, int] | None:
        return self._owner.get((row, col))

    @property
    def n_real(self) -> int:
        return len(self._real)

    def place(self, row: int, col: int, text: str, rowspan: int = 1, colspan: int = 1) -> None:
        """A real cell; slots it would cover that another cell already owns stay with that cell."""
        cell = _Real(text, row, col, max(1, rowspan), max(1, colspan))
        self._budget.check("table_cells", len(self._owner) + cell.rowspan * cell.colspan)  # before the slots exist
        self._real[(row, col)] = cell
        for r in range(row, row + cell.rowspan):
            for c in range(col, col + cell.colspan):
                self._owner.setdefault((r, c), (row, col))
        self.n_rows = max(self.n_rows, row + cell.rowspan)

    def extend_down(self, owner: tuple[int, int], row: int, col: int, colspan: int = 1) -> None:
        """A continuation slot (DOCX vMerge="continue"): the owner's rowspan grows to reach ``row``."""
        cell = self._real[owner]
        cell.rowspan = max(cell.rowspan, row - cell.row + 1)
        for c in range(col, col + max(1, colspan)):
            self._owner.setdefault((row, c), owner)
        self.n_rows = max(self.n_rows, row + 1)

    def extend_right(self, owner: tuple[int, int], row: int, col: int) -> None:
        """A continuation slot of a horizontal merge (legacy DOCX hMerge)."""
        cell = self._real[owner]
        cell.colspan = max(cell.colspan, col - cell.col + 1)
        self._owner.setdefault((row, col), owner)

    def lists(self) -> tuple[list[list[str | None]], list[list[tuple[int, int]]], dict[tuple[int, int], tuple[int, int]]]:
        """(texts with None for covered slots, (rowspan, colspan) per slot, covered slot → owner).

        Rows that hold neither a covered slot nor a non-blank cell (spacer rows) are dropped, unless
        they are a row of several empty cells: a row printed blank (table 四 left empty) is data.
        """
        width = max((c + 1 for (_, c) in self._owner), default=0)
        keep: list[int] = []
        for r in range(self.n_rows):
            own = [o for c in range(width) if (o := self._owner.get((r, c))) is not None]
            if len({o for o in own if o[0] == r}) >= BLANK_ROW_CELLS or any(
                    o[0] != r or self._real[o].text.strip() or self._real[o].rowspan > 1 for o in own):
                keep.append(r)
        new_row = {r: i for i, r in enumerate(keep)}
        grid: list[list[str | None]] = []
        spans: list[list[tuple[int, int]]] = []
        owners: dict[tuple[int, int], tuple[int, int]] = {}
        for r in keep:
            g_row: list[str | None] = []
            s_row: list[tuple[int, int]] = []
            for c in range(width):
                o = self._owner.get((r, c))
                if o is None:
                    g_row.append("")  # no cell at all in the source: shown as a blank
                    s_row.append((1, 1))
                elif o == (r, c):
                    cell = self._real[o]
                    rs = min(cell.rowspan, self.n_rows - r)
                    g_row.append(cell.text)
                    s_row.append((rs, cell.colspan))
                else:
                    g_row.append(None)
                    s_row.append((1, 1))
                    owners[(new_row[r], c)] = (new_row[o[0]], o[1])
            grid.append(g_row)
            spans.append(s_row)
        return grid, spans, owners

    def add_to(self, builder: DocumentBuilder, page: int | None = None) -> Table | None:
        """Add the grid as a table and point every covered slot at the cell that really covers it."""
        grid, spans, owners = self.lists()
        table = builder.add_table(grid, page=page, spans=spans)
        if table is None:
            return None
        for (r, c), (orow, ocol) in owners.items():
            slot, src = table.rows[r][c], table.rows[orow][ocol]
            slot.merged_from = (orow, ocol)
            slot.span = src.span
        return table
