"""Finding a table's row labels in the stream, whatever the layout.

Every catalog row has label forms (its official label and aliases, with and without enumerator and
notes) searched in the stream's CJK projection, so a label wrapped over lines, broken by stray
spaces or cell borders, or run into its neighbours' digits is found all the same. A short form
("规章", "其他", "总计") counts only where the print shows it is a row label: an enumerator before it
("3.其他", "（七）总计"), its whole cell, or value tokens right after it.

Of the occurrences, the longer form wins where two overlap ("不同意公开答复数" over "同意公开答复数");
the occurrences of one table are then cut into clusters where the text between two labels grows
long (prose between tables), the densest cluster is the table, and for tables printed in a fixed
order the best chain in that order is kept (so a column header "总计" or a label quoted in the
prose never becomes a row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from extractor.reader.labels import best_match
from extractor.reader.stream import Stream, project
from extractor.text import canonical, core
from schemas.catalog import RowSpec

SHORT = 4  # forms shorter than this need evidence that they are a row label
MAX_GAP = 200  # CJK characters of other text between two labels of one table
_ENUM_BEFORE = re.compile(
    r"(?:其中[:：]?)?(?:(?P<ascii>\d+)\s*[.、．]|[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．])\s*$")
_CN_ENUM = re.compile(r"^([(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．])")


@dataclass(frozen=True, slots=True)
class Form:
    text: str  # projected (CJK only)
    with_enum: bool  # carries the label's Chinese enumerator ("七总计")


@dataclass(frozen=True, slots=True)
class Anchor:
    """A row label found in the stream."""

    spec: RowSpec
    order: int  # the row's place in the table as the template prints it
    p0: int  # projection span of the matched form
    p1: int
    start: int  # Document.text offset of its first character
    end: int  # ... and after its last
    first_token: int
    score: float
    enum: int | None = None  # the printed Arabic enumerator ("3." → 3), when there is one


@cache
def forms(spec: RowSpec) -> tuple[Form, ...]:
    """Every searchable form of a row label, longest first."""
    out: dict[str, bool] = {}
    for text in (spec.label, *spec.aliases):
        enum = _CN_ENUM.match(text)
        for variant in (canonical(text), core(text)):
            p = project(variant)
            if p:
                out.setdefault(p, False)
            if enum:
                q = project(enum.group(1)) + p
                out[q] = True
    return tuple(sorted((Form(t, e) for t, e in out.items()), key=lambda f: -len(f.text)))


def _enum_before(stream: Stream, start: int) -> tuple[bool, int | None]:
    """Whether an enumerator is printed right before a label, and its number when it is Arabic."""
    before = stream.document.text[max(0, start - 10):start]
    m = _ENUM_BEFORE.search(before)
    if not m:
        return False, None
    digits = m.group("ascii")
    return True, int(digits) if digits and len(digits) <= 2 else None


def _is_label_here(stream: Stream, p0: int, p1: int, has_enum: bool) -> bool:
    """A short form is a row label only with an enumerator, as its whole cell, or just before values."""
    if has_enum:
        return True
    i0, i1 = stream.proj_token[p0], stream.proj_token[p1 - 1]
    tok = stream.tokens[i1]
    if i0 == i1 and tok.whole_cell:
        return True
    last = stream.proj_offset[p1 - 1] + 1
    if stream.document.text[last:tok.end].strip(" \t:：·"):
        return False  # more text follows in the same token: part of a longer phrase
    for t in stream.tokens[i1 + 1:i1 + 4]:
        if t.is_value:
            return True
        if t.kind == "text" and t.text not in ("条", "件", "个", "项", ":", "："):
            return False
    return False


def find(stream: Stream, specs: list[RowSpec], lo: int = 0, hi: int | None = None) -> list[Anchor]:
    """Every plausible occurrence of the specs' labels in projection[lo:hi], overlaps resolved."""
    proj = stream.projection
    hi = len(proj) if hi is None else hi
    found: list[Anchor] = []
    for order, spec in enumerate(specs):
        if spec.header_only and not spec.label:
            continue
        for form in forms(spec):
            n = len(form.text)
            i = proj.find(form.text, lo, hi)
            while i >= 0 and i + n <= hi:
                start = stream.proj_offset[i]
                has_enum, enum = _enum_before(stream, start)
                has_enum = has_enum or form.with_enum
                if n >= SHORT or _is_label_here(stream, i, i + n, has_enum):
                    score = n + (1.5 if has_enum else 0.0) + (0.5 if form.with_enum else 0.0)
                    found.append(Anchor(spec, order, i, i + n, start, stream.proj_offset[i + n - 1] + 1,
                                        stream.proj_token[i], score, enum))
                i = proj.find(form.text, i + 1, hi)
    return _resolve_overlaps(found)


def _resolve_overlaps(found: list[Anchor]) -> list[Anchor]:
    """Where occurrences overlap, the best-scoring stands; equal ones at the same place stay as rivals."""
    found.sort(key=lambda a: (-a.score, a.p0, a.order))
    kept: list[Anchor] = []
    taken: list[tuple[int, int, float]] = []
    for a in found:
        clash = [(p0, p1, s) for p0, p1, s in taken if a.p0 < p1 and p0 < a.p1]
        if clash and not all(p0 == a.p0 and p1 == a.p1 and abs(s - a.score) < 1e-9 for p0, p1, s in clash):
            continue
        if any(k.spec == a.spec and k.p0 == a.p0 for k in kept):
            continue
        kept.append(a)
        taken.append((a.p0, a.p1, a.score))
    kept.sort(key=lambda a: (a.p0, a.order))
    return kept


def clusters(anchors: list[Anchor], stream: Stream, max_gap: int = MAX_GAP) -> list[list[Anchor]]:
    """Anchors cut where more than ``max_gap`` CJK characters of other text lie between two of them."""
    out: list[list[Anchor]] = []
    for a in anchors:
        if out and a.p0 - max(b.p1 for b in out[-1]) <= max_gap:
            out[-1].append(a)
        else:
            out.append([a])
    return out


def best_cluster(anchors: list[Anchor], stream: Stream) -> list[Anchor]:
    """The cluster holding the most distinct rows: the table (prose mentions are sparse)."""
    groups = clusters(anchors, stream)
    if not groups:
        return []
    return max(groups, key=lambda g: (len({a.spec.id for a in g}), sum(a.score for a in g)))


def chain(anchors: list[Anchor]) -> list[Anchor]:
    """The best-scoring subsequence whose rows keep the template's order (a weighted longest chain).

    Among chains of equal score the one whose labels sit closest together wins, so a label quoted in
    the prose just before the table loses to the table's own.
    """
    if not anchors:
        return []
    best: list[tuple[float, int, int]] = []  # (score, -spread, previous index)
    for i, a in enumerate(anchors):
        cand = (a.score, 0, -1)
        for j in range(i):
            b = anchors[j]
            if b.order < a.order and b.p1 <= a.p0:
                s, spread, _ = best[j]
                c = (s + a.score, spread - (a.p0 - b.p1), j)
                if c[:2] > cand[:2]:
                    cand = c
        best.append(cand)
    i = max(range(len(anchors)), key=lambda k: best[k][:2])
    out = []
    while i >= 0:
        out.append(anchors[i])
        i = best[i][2]
    return out[::-1]


def fill_gaps(stream: Stream, chained: list[Anchor], specs: list[RowSpec]) -> list[Anchor]:
    """Rows missing between two found neighbours, matched by similarity: a label printed with a typo or
    in other words than the catalog knows ("其他法律行政止公开") still sits in its place in the order.

    The text between the neighbours is cut where value tokens stand; each piece of label text is
    compared with the missing rows' labels (``labels.best_match``: prefix, then similarity ≥ 0.72).
    """
    out = list(chained)
    position = {s.id: i for i, s in enumerate(specs)}
    for a, b in pairwise(chained):
        missing = [s for s in specs[a.order + 1:b.order] if not s.header_only]
        if not missing:
            continue
        for p0, p1 in _label_pieces(stream, a.p1, b.p0):
            m = best_match(stream.projection[p0:p1], missing, minimum=0.72)
            if m is None:
                continue
            start = stream.proj_offset[p0]
            out.append(Anchor(m.row, position[m.row.id], p0, p1, start, stream.proj_offset[p1 - 1] + 1,
                              stream.proj_token[p0], m.score * (p1 - p0), _enum_before(stream, start)[1]))
            missing = [s for s in missing if s != m.row]
    return sorted(out, key=lambda x: (x.p0, x.order))


def _label_pieces(stream: Stream, lo: int, hi: int) -> list[tuple[int, int]]:
    """Projection spans of [lo, hi) cut wherever value tokens stand between two characters."""
    pieces: list[tuple[int, int]] = []
    start = lo
    for p in range(lo + 1, hi + 1):
        if p == hi or any(t.is_value for t in stream.tokens[stream.proj_token[p - 1] + 1:stream.proj_token[p]]):
            if p - start >= SHORT:
                pieces.append((start, p))
            start = p
    return pieces


def one_per_row(anchors: list[Anchor]) -> list[Anchor]:
    """For tables read without a fixed order: each row once (its best occurrence, then its first)."""
    best: dict[str, Anchor] = {}
    for a in anchors:
        b = best.get(a.spec.id)
        if b is None or a.score > b.score + 1e-9:
            best[a.spec.id] = a
    return sorted(best.values(), key=lambda a: a.p0)


__all__ = ["Anchor", "Form", "best_cluster", "chain", "clusters", "fill_gaps", "find", "forms", "one_per_row"]
