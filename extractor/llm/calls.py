"""The model calls one report needs, as the synchronous extractor and the Batch API both send them.

``plan`` picks the rows worth a call (a number printed, not only zeros) and groups the easy ones
(``chunks``); ``request`` gives each call its messages, response model and grounding. One place, so that
an answer the Batch API fetched is found in the cache by the extraction that follows.
"""

from __future__ import annotations

from extractor.document import Document
from extractor.llm.chunks import CHUNK_ROWS, ChunkGrounder, RowChunk, chunk
from extractor.llm.grounding import RowGrounder
from extractor.llm.locate import RowTask
from extractor.llm.models import RowAnswer, chunk_model, row_model
from extractor.llm.prompts import chunk_prompt, row_prompt

Call = RowTask | RowChunk


def grounder_for(document: Document, task: RowTask) -> RowGrounder:
    """The grounding of one row task: its value part, and its cells when they line up with the columns."""
    return RowGrounder(document.text, task.value_start, task.end, task.page, task.runtogether,
                       slots=task.slots(document.text))


def plan(document: Document, tasks: list[RowTask], size: int = CHUNK_ROWS) -> list[Call]:
    """The first round of calls: rows printing a number other than 0, easy ones up to ``size`` a call."""
    return chunk([t for t in tasks if t.needs_model(document.text)], document.text, size)


def request(document: Document, call: Call) -> tuple[list[dict[str, str]], type[RowAnswer], RowGrounder | ChunkGrounder]:
    """The messages, response model and grounding of one call."""
    if isinstance(call, RowChunk):
        return (chunk_prompt(call, document.text), chunk_model(call),
                ChunkGrounder([grounder_for(document, t) for t in call.tasks]))
    return row_prompt(call, document.text), row_model(call), grounder_for(document, call)


__all__ = ["Call", "grounder_for", "plan", "request"]
