"""A found row's values written into the reading: cell by cell, from a settled split, or left to a person.

Runs after the splits are settled over the whole table (``solve.py``); a key already written (the
same cell printed twice) keeps its first value.
"""

from __future__ import annotations

from extractor.reader.numbers import parse_cell
from extractor.reader.reading import PrintedRow, Reading, label_evidence, one_to_one, token_evidence
from extractor.reader.solve import Candidate
from extractor.reader.stream import Stream
from schemas import catalog
from schemas.results import Evidence, Finding, Value

Number = int | float


def write_row(stream: Stream, p: PrintedRow, reading: Reading) -> None:
    """The values of one printed row (nothing for a sentence's figures or a row that could not be read)."""
    if p.prose:
        return
    if p.row is None:  # printed with nothing in its cells: blank
        _write_blank(stream, p, reading.values)
        return
    cands = p.row.candidates
    if not p.tokens:
        return  # the row could not be read: its doubt says why
    if p.one_to_one and len(cands) == 1:
        _write_cells(stream, p, reading.values)
    elif len(cands) == 1:
        _write_split(p, cands[0], token_evidence(stream, p.tokens, "split"), reading.values)
    else:
        _write_undecided(p, cands, token_evidence(stream, p.tokens, "split"), reading)


def _write_blank(stream: Stream, p: PrintedRow, values: dict[str, Value]) -> None:
    if p.anchor is None or not p.keys:
        return
    ev = label_evidence(stream, p.anchor)
    for key in p.keys:
        if key not in values:
            values[key] = Value(key=key, value=None, raw="", status="blank",
                                unit=catalog.BY_KEY[key].unit, evidence=[ev])


def _write_cells(stream: Stream, p: PrintedRow, values: dict[str, Value]) -> None:
    """One token a cell: each value as printed, with its own cell's evidence."""
    for key, tok in zip(p.keys, one_to_one(p.tokens, len(p.keys))):
        if key in values:
            continue
        cell = parse_cell(tok.text)
        unit = _row_unit(p, key) or cell.unit or catalog.BY_KEY[key].unit
        values[key] = Value(key=key, value=cell.value if cell.status == "number" else None, raw=tok.text,
                            status=cell.status if tok.kind != "blank" else "blank",  # type: ignore[arg-type]
                            unit=unit, evidence=[token_evidence(stream, [tok], p.kind)])


def _write_split(p: PrintedRow, cand: Candidate, ev: Evidence, values: dict[str, Value]) -> None:
    """Digits run together that the table's identities split one way only."""
    for key, num in zip(p.keys, cand):
        if key not in values:
            unit = _row_unit(p, key) or catalog.BY_KEY[key].unit
            values[key] = Value(key=key, value=num, raw="—" if num is None else _fmt(num),
                                status="dash" if num is None else "number", unit=unit, evidence=[ev])


def _write_undecided(p: PrintedRow, cands: list[Candidate], ev: Evidence, reading: Reading) -> None:
    """Digits run together that several splits (or none) fit: what all agree on is read, the rest asked."""
    values = reading.values
    digits = " ".join(t.text for t in p.tokens)
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
    reading.doubts.append(Finding(
        rule="extract.ambiguous_split", kind="extraction", category="extraction", severity="warning",
        message=message, keys=list(p.keys), actual=digits, evidence={k: [ev] for k in p.keys},
        detail={"candidates": [list(c) for c in cands[:50]], "count": len(cands), "undecided": undecided},
    ))


def _row_unit(p: PrintedRow, key: str) -> str | None:
    """The unit printed after a row's values belongs to its last cell."""
    return p.unit if key == p.keys[-1] and p.unit else None


def _fmt(x: Number) -> str:
    return str(x)


__all__ = ["write_row"]
