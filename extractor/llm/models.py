"""Response models generated from the field catalog, one per kind of row.

A row's answer is one array, ``{"数值": [...]}``, with exactly one item per printed column in column
order (a schema-constrained server makes the model write the cells left to right, as printed), each a
number or null. An array rather than one named key per column: the model writes about half the tokens
(a 15-column row of table 四 drops from ~116 to ~40), and generation is what a local model spends its
time on. The columns keep their names in the row model (``fields``) and in ``numbers()``; the official
labels are in the array's description. A validator checks, through instructor's validation context,
that every number is printed in the row (``grounding.RowGrounder``); an ungrounded number is a
validation error, which instructor turns into one re-ask.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from extractor.llm.chunks import SEPARATOR, ChunkGrounder, RowChunk
from extractor.llm.grounding import RowGrounder, strip_reasoning
from extractor.llm.locate import RowTask

ANSWER_KEY = "数值"  # the one key of every answer
_TABLE_NAMES = {"t2": "Table2Row", "t3": "Table3Row", "t4": "Table4Row", "old": "StatRow"}


class RowAnswer(BaseModel):
    """Base of every generated row model: parses past reasoning blocks, rejects ungrounded numbers."""

    model_config = ConfigDict(extra="ignore")
    fields: ClassVar[tuple[str, ...]] = ()  # the columns' names, in printed order
    decimal: ClassVar[tuple[bool, ...]] = ()

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any):  # type: ignore[override]
        text = json_data.decode("utf-8", "replace") if isinstance(json_data, (bytes, bytearray)) else json_data
        return super().model_validate_json(strip_reasoning(text), **kwargs)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> RowAnswer:
        ctx = info.context or {}
        grounder: RowGrounder | ChunkGrounder | None = ctx.get("grounder")
        if grounder is None:
            return self
        values = self.numbers()
        missing = grounder.missing(values)
        if missing:
            shown = "、".join(f"{n}={values[n]}" for n in missing)
            raise ValueError(
                f"这些数字不是该行该列印刷的数字：{shown}。"
                "逐列照抄该行印刷的数字，不要计算或推测；null、“—”、“/”填 null。"
                f" / Not printed in this row and column: {shown}. Copy each column's printed number.")
        return self

    def numbers(self) -> dict[str, int | float | None]:
        """The cells by column name; a whole number in a money column stays a number, a count an int."""
        cells = getattr(self, ANSWER_KEY)
        out: dict[str, int | float | None] = {}
        for name, dec, v in zip(self.fields, self.decimal, cells):
            if v is not None and not dec and float(v).is_integer():
                v = int(v)
            out[name] = v
        return out


def answer_json(numbers: dict[str, int | float | None]) -> str:
    """An answer as the model writes it (for a re-ask that quotes the previous answer)."""
    return json.dumps({ANSWER_KEY: list(numbers.values())}, ensure_ascii=False, separators=(",", ":"))


def _description(columns: tuple[str, ...], decimal: tuple[bool, ...]) -> str:
    unit = "（金额单位万元，可有小数）" if any(decimal) else ""
    return f"按列的顺序，每列一个印刷的数字{unit}：{' | '.join(columns)}；空白、—、/ 填 null"


@lru_cache(maxsize=256)
def _build(table: str, fields: tuple[str, ...], columns: tuple[str, ...], decimal: tuple[bool, ...]) -> type[RowAnswer]:
    n = len(fields)
    item = (float | None) if any(decimal) else (int | None)
    defs: dict[str, Any] = {ANSWER_KEY: (list[item], Field(..., min_length=n, max_length=n,  # type: ignore[valid-type]
                                                             description=_description(columns, decimal)))}
    digest = hashlib.sha1(json.dumps([fields, columns, decimal], ensure_ascii=False).encode()).hexdigest()[:6]
    model = create_model(f"{_TABLE_NAMES.get(table, 'Row')}_{digest}", __base__=RowAnswer, **defs)
    model.fields = fields
    model.decimal = decimal
    model.__doc__ = "表格中一行的数值，按列的印刷顺序"
    return model


def row_model(task: RowTask) -> type[RowAnswer]:
    """The response model for a row task (cached per column set)."""
    return _build(task.table, task.fields, task.columns, task.decimal)


class ChunkAnswer(RowAnswer):
    """Several one-column rows' numbers, one per row; ``fields`` are ``"<row>.<column>"``."""


def chunk_model(chunk: RowChunk) -> type[RowAnswer]:
    """The response model for a chunk of one-column rows (cached per table, column and number of rows)."""
    first = chunk.tasks[0]
    return _build_chunk(first.table, first.fields[0], first.columns[0], first.decimal[0], len(chunk.tasks))


@lru_cache(maxsize=256)
def _build_chunk(table: str, field: str, column: str, decimal: bool, rows: int) -> type[RowAnswer]:
    item = float | None if decimal else int | None
    defs: dict[str, Any] = {ANSWER_KEY: (list[item], Field(  # type: ignore[valid-type]
        ..., min_length=rows, max_length=rows,
        description=f"{rows} 行，每行一个印刷的数字{'（金额单位万元，可有小数）' if decimal else ''}：{column}；"
                    "空白、—、/ 填 null"))}
    digest = hashlib.sha1(json.dumps([field, column, decimal, rows], ensure_ascii=False).encode()).hexdigest()[:6]
    model = create_model(f"{_TABLE_NAMES.get(table, 'Row')}s_{digest}", __base__=ChunkAnswer, **defs)
    model.fields = tuple(f"{i}{SEPARATOR}{field}" for i in range(rows))
    model.decimal = (decimal,) * rows
    model.__doc__ = "表格中几行的数值，每行一个，按行的顺序"
    return model


def max_tokens_for(model: type[RowAnswer]) -> int:
    """Enough tokens for the answer: the key and the brackets, a number or null and a comma per column
    (per row, in a chunk)."""
    return 24 + 8 * len(model.fields)


__all__ = ["ANSWER_KEY", "ChunkAnswer", "RowAnswer", "answer_json", "chunk_model", "max_tokens_for", "row_model"]
