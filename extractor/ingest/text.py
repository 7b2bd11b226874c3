"""Plain-text reports: the seed's one-cell-per-line layout, markdown tables, ``pdftotext -layout``
output, text whose table cells run together, and the text of a web page (the report on one line).

The layouts differ only in how a table row is written, so each is turned into Table blocks
whose rows are cell lists; prose lines become paragraphs. Offsets are kept by building the
document from the raw lines in order.
"""

from __future__ import annotations

import re

from extractor.document import Document, DocumentBuilder, normalize, squash
from extractor.ingest.budgets import check_text, strip_controls
from extractor.ingest.encoding import decode

PAGE_TEXT_LINE = 1500  # characters: a line this long holds a whole report, as a page's text keeps it
_SEP_LINE = re.compile(r"^\s*[|｜]\s*$")
_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_COLS = re.compile(r"\s{2,}|\t+")
_NUM = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_TOKEN = re.compile(rf"^(?:{_NUM}|[—\-/－]+)$")
_TRAILING_NUMS = re.compile(rf"^(?P<label>.*?[^\d\s,.+\-])?\s*(?P<nums>(?:(?:{_NUM}|[—/－]+)\s*)+)$")
_RUN_TOGETHER = re.compile(r"^(?P<label>\S*?[\u4e00-\u9fff）)”\"》:])(?P<digits>[\d.\-—]*[\d—])$")


def read_text(data: bytes, name: str = "") -> Document:
    """Decode and parse a plain-text report; control characters (a stray NUL) are removed and counted."""
    text, removed = strip_controls(decode(data, name))
    check_text(text, name)
    doc = parse_text(text, name)
    doc.removed_controls = removed
    return doc


def parse_text(text: str, name: str = "") -> Document:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    seps = sum(1 for ln in lines if _SEP_LINE.match(ln))
    md_rows = sum(1 for ln in lines if _MD_ROW.match(ln))
    if seps >= 12 and seps >= md_rows:
        return _parse_cells(lines, name)
    if md_rows >= 3 and any(_MD_RULE.match(ln) for ln in lines):
        return _parse_markdown(lines, name)
    return _parse_lines(lines, name)


# ----------------------------------------------------------------------------- one cell per line
def _parse_cells(lines: list[str], name: str) -> Document:
    """The seed layout: every cell's lines followed by a line holding only "|"."""
    b = DocumentBuilder(name, "txt", layout="cells")
    first = next(i for i, ln in enumerate(lines) if _SEP_LINE.match(ln))
    start = first - 1
    while start > 0 and not lines[start].strip():
        start -= 1
    for ln in lines[:start]:
        b.add_paragraph(ln)
    cells: list[str] = []
    cur: list[str] = []
    end = len(lines)
    for i in range(start, len(lines)):
        ln = lines[i]
        if _SEP_LINE.match(ln):
            cells.append(" ".join(x.strip() for x in cur if x.strip()))
            cur = []
            end = i + 1
        else:
            cur.append(ln)
    if cells and squash(cells[0]).startswith("统计指标"):
        width = _header_width(cells)  # the old 统计表: a fixed grid of label | unit | value
        grid = [cells[i : i + width] for i in range(0, len(cells), width)]
    else:
        grid = _rows_by_label(cells)  # merged cells make row widths vary: cut rows at labels
    b.add_table(grid)
    for ln in lines[end:]:
        b.add_paragraph(ln)
    return b.build()


_UNITS = {"件", "条", "次", "篇", "人", "人次", "个", "万元", "元", "项"}


def _rows_by_label(cells: list[str]) -> list[list[str]]:
    """A cell stream cut into rows: a row starts at each label (a unit cell stays with its label)."""
    rows: list[list[str]] = []
    for c in cells:
        n = normalize(c).strip()
        is_value = not n or _NUM_TOKEN.match(n.replace(" ", "")) is not None
        if is_value or (n in _UNITS and rows):
            if not rows:
                rows.append([])
            rows[-1].append(c)
        else:
            rows.append([c])
    return rows


def _header_width(cells: list[str]) -> int:
    """Columns in a one-cell-per-line table: the header runs until the first numbered row label."""
    for i, c in enumerate(cells[:8]):
        if re.match(r"^\s*([一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十]+[)）]|\d+[.、])", normalize(c)):
            return max(i, 2)
    return 3


# ----------------------------------------------------------------------------- markdown
def _parse_markdown(lines: list[str], name: str) -> Document:
    b = DocumentBuilder(name, "md", layout="markdown")
    grid: list[list[str]] = []
    for ln in lines + [""]:
        if _MD_ROW.match(ln):
            if _MD_RULE.match(ln):
                continue
            inner = ln.strip()[1:-1]
            grid.append([c.strip() for c in inner.split("|")])
            continue
        if grid:
            b.add_table(grid)
            grid = []
        if ln.strip():
            b.add_paragraph(re.sub(r"^#+\s*", "", ln))
    return b.build()


# ----------------------------------------------------------------------------- layout / run-together text
def _is_row_line(line: str) -> bool:
    """A line that belongs to a table: label + trailing numbers, numbers only, or run-together digits."""
    s = normalize(line).strip()
    if not s:
        return False
    if len(_COLS.split(s)) >= 2 and len(s) <= 160 and not s.endswith("。"):
        return True
    toks = s.split()
    if toks and all(_NUM_TOKEN.match(t) for t in toks):
        return True
    if re.fullmatch(r"[\d—]{10,}", s):  # a row of cells run into one string of digits and blanks
        return True
    if len(s) <= 90 and re.search(r"[\u4e00-\u9fff）)](万元|人次|件|条|次|篇|人|个|元)$", s) and "。" not in s \
            and re.match(r"^([(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.、]|其中)", s):
        return True  # a numbered old-table row whose value cell is blank: label and unit only
    m = _TRAILING_NUMS.match(s)
    if m and m.group("label") and len(m.group("label")) <= 50 and not s.endswith("。"):
        return True
    return bool(_RUN_TOGETHER.match(s.replace(" ", ""))) and len(s) <= 80


def _split_row(line: str) -> list[str]:
    """Cells of a text table row: columns split on runs of spaces, trailing numbers one per cell."""
    s = line.strip()
    parts = [p for p in _COLS.split(s) if p]
    out: list[str] = []
    for p in parts:
        toks = p.split()
        if len(toks) > 1 and all(_NUM_TOKEN.match(normalize(t)) for t in toks):
            out.extend(toks)
            continue
        m = _TRAILING_NUMS.match(normalize(p))
        if m and m.group("label") and len(toks) > 1:
            # cut the numbers off the label as printed (full-width digits are one character each)
            norm = normalize(p)
            printed = p if len(norm) == len(p) else norm
            cut = m.end("label")
            out.append(printed[:cut].strip())
            out.extend(printed[cut:].split())
            continue
        out.append(p)
    return out


def _parse_lines(lines: list[str], name: str) -> Document:
    """Layout or run-together text: runs of table-like lines become tables, the rest paragraphs."""
    row_like = [_is_row_line(ln) for ln in lines]
    runtogether = sum(1 for ln in lines if _RUN_TOGETHER.match(normalize(ln).strip()) and len(ln.strip()) <= 80)
    layout = "runtogether" if runtogether >= 5 else "layout"
    if max((len(ln) for ln in lines), default=0) >= PAGE_TEXT_LINE:
        layout = "pagetext"  # the text of a web page: the whole report (tables included) on one line
    b = DocumentBuilder(name, "txt", layout=layout)
    i = 0
    n = len(lines)
    while i < n:
        if not row_like[i]:
            b.add_paragraph(lines[i])
            i += 1
            continue
        # a table runs while row lines continue, allowing short label-only lines (wrapped or group labels)
        j = i
        last_row = i
        while j < n:
            s = lines[j].strip()
            if row_like[j]:
                last_row = j
            elif not s or len(normalize(s)) > 40 or normalize(s).endswith("。"):
                if not s:
                    k = j
                    while k < n and not lines[k].strip():
                        k += 1
                    if k < n and row_like[k]:
                        j = k
                        continue
                break
            j += 1
        grid = [_split_row(ln) for ln in lines[i : last_row + 1] if ln.strip()]
        single_row = bool(grid) and (
            (len(grid[0]) >= 2 and _NUM_TOKEN.match(normalize(grid[0][-1])))  # one labelled row
            or re.fullmatch(r"[\d—]{10,}", normalize(grid[0][0]).strip()) is not None  # cells run into one number
        )
        if len(grid) >= 2 or single_row:
            b.add_table(grid)
        else:
            for ln in lines[i : last_row + 1]:
                b.add_paragraph(ln)
        i = last_row + 1
    return b.build()
