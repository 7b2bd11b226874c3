"""Joining text pieces the way Chinese is read: no space between two CJK characters.

HTML source and Word cells break lines anywhere; a browser or Word shows the break as a space, but in
Chinese that space is an artefact of the layout, not of the text ("本年新收政府信息\n公开申请数量"
is one label). Between two Latin words or two numbers a space stays, so "12" and "34" on two lines
never become 1234.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Ideographs, CJK punctuation, kana, full-width forms, and the curly quotes / dashes Chinese text uses.
_CJK = (
    "\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
    "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3200-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003ffff"
)
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_WS = re.compile(r"\s+")  # \s covers &nbsp; (U+00A0) and the ideographic space U+3000


def is_cjk(ch: str) -> bool:
    return bool(ch) and re.fullmatch(rf"[{_CJK}]", ch) is not None


def clean(text: str) -> str:
    """Collapse whitespace runs to one space, then drop the spaces that sit between two CJK characters."""
    return _CJK_GAP.sub("", _WS.sub(" ", text).strip())


def join_lines(lines: Iterable[str]) -> str:
    """Join the lines of one cell or paragraph into one line of text."""
    return clean(" ".join(lines))
