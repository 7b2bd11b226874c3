"""Naming a table's value columns by what its header prints, never by position alone.

Table 二 prints a header over each of its 第二十条 blocks (本年制发件数 / 本年废止件数 / 现行有效件数;
2019's 上一年项目数量 / 本年增/减 / 处理决定数量 …); the old 统计表 prints 统计数 (or 本年, 2013年度)
and, in some provinces, 历年累计 beside it, in either order. The header's words are searched in the
stream's projection between a row's label and the one before it, and their order is the order of
the values. A row whose header names no column, or other columns than the row has, is not read.
"""

from __future__ import annotations

from extractor.reader.anchors import Anchor
from extractor.reader.stream import Stream, project
from schemas import catalog

YEAR_WORDS = ("统计数", "本年度", "本年", "年度", "数量", "数值", "本期")
CUMULATIVE_WORDS = ("历年累计", "累计")
OLD_HEADER_WINDOW = 60  # CJK characters before the first row label where the header sits
_HEAD_MARKS = ("统计指标", "指标名称")


MIN_PREFIX = 4


def _column_forms(template: str) -> list[tuple[str, str]]:
    """Each column's forms and the prefixes no other column shares: a header stacked over two lines
    ("上一年项目 / 数量") prints only the start of a word in one piece."""
    forms: list[tuple[str, str]] = []
    for col in catalog.columns("t2", template):
        for text in (col.label, *col.aliases):
            p = project(text)
            if p:
                forms.append((p, col.id))
    out = set(forms)
    for p, cid in forms:
        for n in range(len(p) - 1, MIN_PREFIX - 1, -1):
            head = p[:n]
            if all(head not in q for q, other in forms if other != cid):
                out.add((head, cid))
    return sorted(out, key=lambda f: -len(f[0]))


def _words(proj: str, forms: list[tuple[str, str]], lo: int, hi: int) -> list[str]:
    """Column ids named in proj[lo:hi], in printed order (a longer form wins where two overlap)."""
    hits: list[tuple[int, int, str]] = []
    for form, cid in forms:
        i = proj.find(form, lo, hi)
        while 0 <= i and i + len(form) <= hi:
            if not any(a < i + len(form) and i < b for a, b, _ in hits):
                hits.append((i, i + len(form), cid))
            i = proj.find(form, i + 1, hi)
    last: dict[str, int] = {}  # a column's last mention: the header, not a word of the prose before it
    for a, _, cid in sorted(hits):
        last[cid] = a
    return sorted(last, key=last.__getitem__)


def t2_headers(stream: Stream, anchors: list[Anchor], template: str) -> list[list[str]]:
    """For each table-二 row, the columns its header names, in order (a block's rows share one header)."""
    forms = _column_forms(template)
    out: list[list[str]] = []
    current: list[str] = []
    lo = max(0, anchors[0].p0 - 50) if anchors else 0
    for a in anchors:
        found = _words(stream.projection, forms, lo, a.p0)
        if found:
            current = found
        out.append(current)
        lo = a.p1
    return out


def order(head: list[str], cols: tuple[str, ...]) -> list[int] | None:
    """Positions of the row's columns in the header's order; None when the header does not name them.

    A row of one value column needs no header: its label says what the number is.
    """
    if len(cols) == 1:
        return [0]
    named = [c for c in head if c in cols]
    if set(named) != set(cols):
        return None
    return [cols.index(c) for c in named]


def old_header(stream: Stream, anchors: list[Anchor]) -> tuple[str, ...] | None:
    """The old table's value columns as printed: ("year",), ("year", "cumulative") or the reverse.

    None when the header names none of them (a table with two value columns then cannot be read).
    """
    if not anchors:
        return None
    proj = stream.projection
    first = anchors[0].p0
    lo = max(0, first - OLD_HEADER_WINDOW)
    marks = [proj.rfind(m, lo, first) for m in _HEAD_MARKS]
    if max(marks) >= 0:
        lo = max(marks)
    window = proj[lo:first]
    cum = min((i for w in CUMULATIVE_WORDS if (i := window.find(w)) >= 0), default=-1)
    rest = window if cum < 0 else window[:cum] + "　" * 4 + window[cum + 4:]
    year = min((i for w in YEAR_WORDS if (i := rest.find(w)) >= 0), default=-1)
    if year < 0 and cum < 0:
        return None
    if cum < 0:
        return ("year",)
    if year < 0:
        return ("cumulative",)
    return ("year", "cumulative") if year < cum else ("cumulative", "year")


__all__ = ["old_header", "order", "t2_headers"]
