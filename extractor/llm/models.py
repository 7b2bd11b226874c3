"""Response models generated from the field catalog, one per kind of row.

A row's model has one field per printed column, in column order (a schema-constrained server then
makes the model write the columns left to right, as printed), typed ``int | None`` (``float | None``
for money) with the official column label as description. Its validator checks, through instructor's
validation context, that every number is printed in the row (``grounding.RowGrounder``); an
ungrounded number is a validation error, which instructor turns into one re-ask.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from extractor.llm.grounding import RowGrounder, strip_reasoning
from extractor.llm.locate import RowTask

_TABLE_NAMES = {"t2": "Table2Row", "t3": "Table3Row", "t4": "Table4Row", "old": "StatRow"}


class RowAnswer(BaseModel):
    """Base of every generated row model: parses past reasoning blocks, rejects ungrounded numbers."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any):  # type: ignore[override]
        text = json_data.decode("utf-8", "replace") if isinstance(json_data, (bytes, bytearray)) else json_data
        return super().model_validate_json(strip_reasoning(text), **kwargs)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> RowAnswer:
        ctx = info.context or {}
        grounder: RowGrounder | None = ctx.get("grounder")
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
        return {name: getattr(self, name) for name in type(self).model_fields}


def _description(column: str, decimal: bool) -> str:
    unit = "（万元，可有小数）" if decimal else ""
    return f"“{column}”列印刷的数字{unit}；空白、—、/ 填 null"


@lru_cache(maxsize=256)
def _build(table: str, fields: tuple[str, ...], columns: tuple[str, ...], decimal: tuple[bool, ...]) -> type[RowAnswer]:
    defs: dict[str, Any] = {}
    for name, column, dec in zip(fields, columns, decimal):
        kind = Optional[float] if dec else Optional[int]
        defs[name] = (kind, Field(..., description=_description(column, dec)))
    digest = hashlib.sha1(json.dumps([fields, columns, decimal], ensure_ascii=False).encode()).hexdigest()[:6]
    model = create_model(f"{_TABLE_NAMES.get(table, 'Row')}_{digest}", __base__=RowAnswer, **defs)
    model.__doc__ = "表格中一行的数值，按列的印刷顺序"
    return model


def row_model(task: RowTask) -> type[RowAnswer]:
    """The response model for a row task (cached per column set)."""
    return _build(task.table, task.fields, task.columns, task.decimal)


def max_tokens_for(model: type[BaseModel]) -> int:
    """Enough tokens for the schema's answer: the keys, a number or null each, and the braces."""
    n = len(model.model_fields)
    key_chars = sum(len(name) for name in model.model_fields)
    return 24 + 14 * n + 2 * key_chars


__all__ = ["RowAnswer", "max_tokens_for", "row_model"]
