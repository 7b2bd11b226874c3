"""Grounding: every number a model returns must be printed in the source, in its row.

A model that reads a row may still invent, sum or shift a number. Each returned number is looked up
among the numeric tokens of the row's printed text (after its label, so the "1" of "计1条" or the "3."
of an enumerator never grounds anything), columns claimed left to right so that repeated numbers get
the cell in their own position. A number that is not there is not grounded: the response model's
validator rejects it through instructor's validation context (one re-ask), and if the re-ask does not
fix it the cell is marked ``grounded=False`` and held back for a person (no value, the number offered as
the reading to pick, an extraction finding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from schemas.results import Evidence

_TOKEN = re.compile(r"(?<![\d.])[-+−]?\d[\d,，]*(?:\.\d+)?(?![\d])")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)


def strip_reasoning(text: str) -> str:
    """The answer without a reasoning model's ``<think>…</think>`` block or a Markdown code fence."""
    text = _THINK.sub("", text or "")
    if "<think>" in text.lower():  # an unclosed think block (cut by max_tokens): keep what follows the last tag
        text = text[text.lower().rfind("</think>") + 8:] if "</think>" in text.lower() else ""
    m = _FENCE.match(text)
    return (m.group(1) if m else text).strip()


def _as_decimal(token: str) -> Decimal | None:
    try:
        return Decimal(token.replace(",", "").replace("，", "").replace("−", "-").lstrip("+"))
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class Token:
    start: int  # offset into the document text
    end: int
    text: str
    value: Decimal


@dataclass
class RowGrounder:
    """The numeric tokens of one row's printed text and which of them the columns have claimed."""

    text: str  # the whole document text
    start: int  # where the row's values may begin (after its label)
    end: int
    page: int | None = None
    digits_only: bool = False  # a run-together row: the values must spell the printed digit run
    slots: list[tuple[int, int]] = field(default_factory=list)  # the value cells, when they line up with columns
    tokens: list[Token] = field(default_factory=list)

    def __post_init__(self) -> None:
        window = self.text[self.start:self.end]
        for m in _TOKEN.finditer(window):
            value = _as_decimal(m.group())
            if value is not None:
                self.tokens.append(Token(self.start + m.start(), self.start + m.end(), m.group(), value))

    def locate(self, values: list[int | float | None]) -> list[Evidence | None]:
        """Evidence for each value in column order; None for an ungrounded number (and for a null).

        When the row's cells line up one to one with the columns, a number must be printed in its own
        column's cell; otherwise anywhere in the row, claimed left to right.
        """
        if self.digits_only:
            return self._split_run(values)
        if self.slots and len(self.slots) == len(values):
            return [self._in_cell(v, a, b) for v, (a, b) in zip(values, self.slots)]
        out: list[Evidence | None] = []
        cursor = 0
        used: set[int] = set()
        for value in values:
            if value is None:
                out.append(None)
                continue
            want = _as_decimal(repr(value) if isinstance(value, float) else str(value))
            hit = None
            order = list(range(cursor, len(self.tokens))) + list(range(cursor))
            for i in order:
                if i not in used and want is not None and self.tokens[i].value == want:
                    hit = i
                    break
            if hit is not None:
                used.add(hit)
                cursor = hit + 1
                tok = self.tokens[hit]
                out.append(Evidence(extractor="llm", kind="llm", page=self.page, start=tok.start, end=tok.end,
                                    text=tok.text))
                continue
            out.append(None)
        return out

    def _in_cell(self, value: float | None, a: int, b: int) -> Evidence | None:
        if value is None:
            return None
        want = _as_decimal(repr(value) if isinstance(value, float) else str(value))
        for tok in self.tokens:
            if a <= tok.start and tok.end <= b and tok.value == want:
                return Evidence(extractor="llm", kind="llm", page=self.page, start=tok.start, end=tok.end,
                                text=tok.text)
        return None

    def _split_run(self, values: list[int | float | None]) -> list[Evidence | None]:
        """Run-together digits ("279210" printed for 27, 9, 210): the values, written one after the other,
        must spell a printed run exactly; each then grounds on its own digits."""
        texts = ["" if v is None else (repr(v) if isinstance(v, float) else str(v)) for v in values]
        joined = "".join(texts)
        for tok in self.tokens:
            if joined and tok.text.replace(",", "") == joined and "," not in tok.text:
                out: list[Evidence | None] = []
                pos = tok.start
                for t in texts:
                    out.append(Evidence(extractor="llm", kind="llm", page=self.page, start=pos, end=pos + len(t),
                                        text=t) if t else None)
                    pos += len(t)
                return out
        return [None] * len(values)

    def missing(self, values: dict[str, int | float | None]) -> list[str]:
        """Names of the fields whose number is not printed in the row."""
        names = list(values)
        found = self.locate([values[n] for n in names])
        return [n for n, ev, v in zip(names, found, values.values()) if v is not None and ev is None]


__all__ = ["RowGrounder", "Token", "strip_reasoning"]
