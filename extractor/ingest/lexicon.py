"""OCR'd labels snapped to the catalog's: one misread character in a long label is the engine's, not the report's.

"政府信息公开工作专內机构数" is "专门" read as "专內"; a label of at least six characters that differs from
exactly one catalog label (or alias) in exactly one character, at the same length, takes that label. A
report's own wording (a longer or shorter label, a typo of several characters) is left as printed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from extractor.document import normalize
from schemas import catalog

_ENUM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.、．])\s*")
MIN_CHARS = 6


def _core(text: str) -> str:
    return re.sub(r"\s+", "", normalize(_ENUM.sub("", text, count=1)))


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    out: set[str] = set()
    for table in ("t2", "t3", "t4", "old"):
        for r in catalog.rows(table):
            out.update(_core(t) for t in (r.label, *r.aliases))
        for c in catalog.columns(table):
            out.update(_core(t) for t in (c.label, *c.aliases))
    return frozenset(v for v in out if len(v) >= MIN_CHARS)


def snap(text: str) -> str:
    """The catalog's label when ``text`` is one OCR'd character away from exactly one of them."""
    m = _ENUM.match(text)
    prefix = m.group(0) if m else ""
    body = _core(text)
    vocab = _vocabulary()
    if len(body) < MIN_CHARS or body in vocab:
        return text
    near = {v for v in vocab if len(v) == len(body) and sum(a != b for a, b in zip(v, body)) == 1}
    return prefix + near.pop() if len(near) == 1 else text
