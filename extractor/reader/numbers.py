"""Reading the number printed in a cell: blank, "—", "/" and 0 stay distinct."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from extractor.document import normalize

_DASHES = {"-", "--", "—", "——", "－", "–", "―", "-—", "ー", "一一"}
_SLASHES = {"/", "\\", "／"}
_SPACES = re.compile(r"\s+")
_NUM_RE = re.compile(r"^([+-]?)\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万元|元|件|条|次|篇|人次|人|个|%)?$")


@dataclass(frozen=True, slots=True)
class CellNumber:
    status: str  # number | blank | dash | slash | text
    value: int | float | None
    raw: str
    unit: str | None = None


@functools.lru_cache(maxsize=8192)
def parse_cell(raw: str | None) -> CellNumber:
    """Classify and read one cell's text (cached: a report prints the same few hundred cell texts,
    and the reading is immutable).

    >>> parse_cell("1,234").value
    1234
    >>> parse_cell("").status, parse_cell("—").status, parse_cell("/").status
    ('blank', 'dash', 'slash')
    """
    text = normalize(raw or "").strip()
    squashed = _SPACES.sub("", text)
    if not squashed:
        return CellNumber("blank", None, text)
    if squashed in _DASHES or set(squashed) <= set("-—－–―"):
        return CellNumber("dash", None, text)
    if squashed in _SLASHES:
        return CellNumber("slash", None, text)
    m = _NUM_RE.match(squashed)
    if not m:
        return CellNumber("text", None, text)
    sign, whole, frac, unit = m.groups()
    digits = whole.replace(",", "")
    if frac is not None:
        value: int | float = float(f"{digits}.{frac}")
    else:
        value = int(digits)
    if sign == "-":
        value = -value
    return CellNumber("number", value, text, unit)


def is_numberish(raw: str | None) -> bool:
    """True for a cell that holds a value slot: a number, a blank, a dash or a slash."""
    return parse_cell(raw).status != "text"


def is_number(raw: str | None) -> bool:
    return parse_cell(raw).status == "number"
