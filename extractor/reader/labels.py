"""Matching printed row labels to catalog rows.

Printed labels differ from the official wording in many small ways: full/half-width brackets,
stray spaces from wrapped lines, enumerators ("（三）", "3.", "一、", "其中："), explanatory notes
in parentheses, local annotations and typos ("其他法律行政止公开"). Labels are compared in a
canonical form (normalized, no whitespace, no enumerator, no quotes), exact first, then by prefix,
then by similarity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from extractor.document import squash
from extractor.text import core
from schemas.catalog import RowSpec


@dataclass(frozen=True, slots=True)
class Match:
    row: RowSpec
    score: float
    how: str  # exact | prefix | fuzzy


def _forms(row: RowSpec) -> tuple[str, ...]:
    return tuple(dict.fromkeys(core(x) for x in (row.label, *row.aliases) if core(x)))


def score_label(label: str, row: RowSpec) -> Match | None:
    """How well a printed label names a catalog row; None when it does not."""
    return _score(core(label), row)


@lru_cache(maxsize=65536)
def _score(text: str, row: RowSpec) -> Match | None:
    if not text:
        return None
    best: Match | None = None
    for form in _forms(row):
        if text == form:
            return Match(row, 1.0, "exact")
        m: Match | None = None
        shorter, longer = sorted((text, form), key=len)
        # a printed label cut short names its row; a short catalog form inside a longer printed label
        # names it only when it covers most of it ("政府网站" is not "政府网站工作人员数")
        if len(shorter) >= 4 and longer.startswith(shorter) and (shorter == text or len(form) >= 0.6 * len(text)):
            m = Match(row, 0.8 + 0.15 * len(shorter) / len(longer), "prefix")
        elif len(text) >= 4 and len(form) >= 4:
            sm = SequenceMatcher(None, text, form, autojunk=False)
            r = sm.ratio() if sm.real_quick_ratio() >= 0.72 and sm.quick_ratio() >= 0.72 else 0.0
            if r >= 0.72:
                m = Match(row, r * 0.9, "fuzzy")
        if m and (best is None or m.score > best.score):
            best = m
    return best


def best_match(label: str, rows: Iterable[RowSpec], *, minimum: float = 0.6) -> Match | None:
    """The best-matching row, preferring the higher score and then the earlier row."""
    best: Match | None = None
    for row in rows:
        m = score_label(label, row)
        if m and m.score >= minimum and (best is None or m.score > best.score + 1e-9):
            best = m
    return best


def contains_any(text: str, words: Iterable[str]) -> bool:
    s = squash(text)
    return any(squash(w) in s for w in words)
