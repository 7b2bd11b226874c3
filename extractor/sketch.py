"""A compact sketch of a report's narrative, to tell a report copied from last year's or another agency's.

Evaluators found reports repeating up to 90 % of the previous year's text, and reports copied across
agencies. Comparing whole texts needs both documents at hand; a bottom-k sketch of the narrative's
character 4-grams (the k smallest 63-bit hashes, over letters only, so that changed figures and dates,
spacing, punctuation and markup do not hide a copy) is kept with each result instead, and two sketches
estimate the texts' Jaccard similarity. What every report of a template writes alike proves no copy,
so the templates' standard wording (``schemas/template_text.py``: headings, table labels, opening
formulas) is left out, and so is the agency's own name, which a copier replaces. Two real consecutive
reports of one agency score about 0.3 then; one report read from two formats, 0.95 to 1.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractor.document import Document

SIZE = 256  # hashes kept per report: about ±3 % error on the similarity
GRAM = 4
MIN_SHINGLES = 200  # a shorter narrative says too little to call it copied
COPIED = 0.85  # a narrative this alike is a copy: two real reports written independently share about 0.43

_NOISE = re.compile(r"[\W\d_]+")  # all but letters: figures, spacing, punctuation and markup differ by format


def _grams(text: str, omit: str = "") -> set[str]:
    """The text's character 4-grams over its letters, line by line (paragraph by paragraph); no 4-gram
    spans an occurrence of ``omit``."""
    omit = _NOISE.sub("", omit)
    out: set[str] = set()
    for line in text.split("\n"):
        chars = _NOISE.sub("", line)
        for piece in chars.split(omit) if len(omit) >= 2 else (chars,):
            out.update(piece[i:i + GRAM] for i in range(len(piece) - GRAM + 1))
    return out


@cache
def standard_grams() -> frozenset[str]:
    """The 4-grams of the templates' standard wording (schemas/template_text.py), which every report
    shares and no copy is proven by; ``…`` separates the pieces of a formula. (Imported here: the
    catalog is not needed by the commands that only read COPIED.)"""
    from schemas.template_text import standard_texts  # lazy: start-up

    return frozenset(g for text in standard_texts() for piece in text.split("…") for g in _grams(piece))


def sketch_text(text: str, agency: str | None = None) -> list[int]:
    """The bottom-k sketch of a text's character 4-grams, the templates' standard wording and the
    agency's name left out, ascending; empty when what is left is too short to judge."""
    grams = _grams(text, agency or "") - standard_grams()
    if len(grams) < MIN_SHINGLES:
        return []
    # 63 bits: every hash fits a signed 64-bit integer, so databases' JSON functions read it exactly
    hashes = (int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "big") >> 1 for g in grams)
    return sorted(hashes)[:SIZE]


def sketch(document: Document, agency: str | None = None) -> list[int]:
    """The sketch of the report's narrative: its paragraphs, not the tables' cells; ``agency``: the
    report's detected agency, whose name is left out."""
    return sketch_text("\n".join(p.text for p in document.paragraphs()), agency)


def similarity(a: list[int], b: list[int]) -> float | None:
    """The estimated Jaccard similarity of the two texts' 4-grams; None when either sketch is empty."""
    if not a or not b:
        return None
    k = min(len(a), len(b))
    union = sorted(set(a) | set(b))[:k]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / len(union)
