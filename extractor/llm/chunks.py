"""Several one-number rows in one call: what a local model spends its time on is reading the prompt.

A row of one column with one number printed (every row of the 2008–2018 统计表, table 二's 处理决定数量
and 收费金额 rows) costs a call that reads the fixed instruction, the table's title and its column again
for one number of answer (about 190 prompt tokens for 8 of answer: 67 calls and 55 s for the seed on
this machine). Up to ``CHUNK_ROWS`` such rows of one table go in one call, one line each, and the answer
is one array with a number per row, in the order given, the rows' numbers shown as that array (as a
row's cells are); grounding stays per row. Rows of several
columns keep a call of their own: the 0.5B model shown several rows of arrays at once answered fewer of
them right (183 of 186 on the 2023 report instead of 186), and their calls were re-asked until they
cost more than they saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.llm.grounding import RowGrounder
from extractor.llm.locate import RowTask, shown

CHUNK_ROWS = 8
SEPARATOR = "."  # between a row's position in the chunk and a column's name, in the flattened answer


@dataclass(frozen=True, slots=True)
class RowChunk:
    """Rows of one table with the same columns, read in one call."""

    tasks: tuple[RowTask, ...]

    @property
    def table(self) -> str:
        return self.tasks[0].table

    @property
    def columns(self) -> tuple[str, ...]:
        return self.tasks[0].columns

    @property
    def label(self) -> str:
        return f"{self.tasks[0].label} 等 {len(self.tasks)} 行"

    def values_text(self, text: str) -> str:
        """The rows' printed numbers as the array the answer is: ``[42658, 12, 0]``."""
        return "[" + ", ".join(shown(text[tok.start:tok.end]) for tok in
                               (RowGrounder(text, t.value_start, t.end).tokens[0] for t in self.tasks)) + "]"

    def split(self, data: dict[str, int | float | None]) -> list[dict[str, int | float | None]]:
        """The flattened answer (``"0.统计数"``, …) back into one answer per row."""
        rows: list[dict[str, int | float | None]] = [{} for _ in self.tasks]
        for name, value in data.items():
            i, field = name.split(SEPARATOR, 1)
            rows[int(i)][field] = value
        return rows


def easy(task: RowTask, text: str) -> bool:
    """Whether a row can share a call: one column, one number printed (digits not run together)."""
    if task.runtogether or len(task.fields) != 1:
        return False
    return len(RowGrounder(text, task.value_start, task.end).tokens) == 1


def chunk(tasks: list[RowTask], text: str, size: int = CHUNK_ROWS) -> list[RowTask | RowChunk]:
    """The calls to make: easy rows of one table and column together (in order, up to ``size`` a
    call), every other row alone; a group of one stays a row (``size=1``: one call per row)."""
    out: list[RowTask | RowChunk] = []
    groups: dict[tuple, list[RowTask]] = {}
    for task in tasks:
        if easy(task, text):
            groups.setdefault((task.table, task.fields, task.columns, task.decimal), []).append(task)
        else:
            out.append(task)
    for rows in groups.values():
        for i in range(0, len(rows), max(1, size)):
            part = rows[i:i + max(1, size)]
            out.append(part[0] if len(part) == 1 else RowChunk(tuple(part)))
    return out


class ChunkGrounder:
    """The grounding of a chunk: each row's numbers in that row's printed text."""

    def __init__(self, grounders: list[RowGrounder]) -> None:
        self.grounders = grounders

    def missing(self, values: dict[str, int | float | None]) -> list[str]:
        by_row: list[dict[str, int | float | None]] = [{} for _ in self.grounders]
        for name, value in values.items():
            i, field = name.split(SEPARATOR, 1)
            by_row[int(i)][field] = value
        return [f"{i}{SEPARATOR}{name}" for i, (g, row) in enumerate(zip(self.grounders, by_row))
                for name in g.missing(row)]


__all__ = ["CHUNK_ROWS", "ChunkGrounder", "RowChunk", "chunk", "easy"]
