"""Plain-text renderings: markdown, ``pdftotext -layout``-like text, one cell per line, run-together cells."""

from __future__ import annotations

import random
import unicodedata

from .gen_prose import Block
from .gen_tables import FlatRow, Formatter, TableModel


def width(s: str) -> int:
    """Display width as a terminal or pdftotext lays it out: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def pad(s: str, w: int, right: bool = False) -> str:
    gap = " " * max(0, w - width(s))
    return gap + s if right else s + gap


def spaced(label: str, rng: random.Random) -> str:
    """A label typeset one character per line, as pdftotext prints it: "三 、本 年 度办 理 结果"."""
    out = []
    for i, ch in enumerate(label):
        out.append(ch)
        if i < len(label) - 1 and rng.random() < 0.6:
            out.append(" ")
    return "".join(out)


def wrap_label(label: str, rng: random.Random, limit: int = 16) -> list[str]:
    """Break a long label into lines the way a narrow table column does (at a bracket when one is near)."""
    parts, rest = [], label
    while len(rest) > limit:
        cut = rest.find("（", 2)
        if not 4 <= cut <= limit:
            cut = rng.randint(max(4, limit - 5), limit)
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts + [rest]


def wrap_prose(text: str, cols: int = 76, indent: str = "    ") -> list[str]:
    lines, cur, w = [], indent, width(indent)
    for ch in text:
        cw = width(ch)
        if w + cw > cols:
            lines.append(cur)
            cur, w = "", 0
        cur += ch
        w += cw
    if cur.strip():
        lines.append(cur)
    return lines


def _prose(fm: Formatter, b: Block) -> str:
    return fm.digits(b.text)


# --------------------------------------------------------------------------- markdown
def markdown(blocks: list[Block], tables: dict[str, TableModel], fm: Formatter) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "title":
            out += [f"# {_prose(fm, b)}", ""]
        elif b.kind == "heading":
            out += [f"## {b.text}" if b.text[0] in "一二三四五六七八九" else f"**{b.text}**", ""]
        elif b.kind in ("para", "sign"):
            out += [_prose(fm, b), ""]
        elif b.kind == "table":
            out += _md_table(tables[b.text]) + [""]
    return "\n".join(out).rstrip() + "\n"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _md_table(t: TableModel) -> list[str]:
    out = [t.title, ""] if t.id == "old" else []
    out += list(t.captions) + ([""] if t.captions else [])
    n = max(len(r.cells) for r in t.flat) + 1
    started = False
    for r in t.flat:
        if t.id == "t2" and r.kind == "label":  # each 第二十条 block is its own small table
            out += ([""] if started else []) + [r.label, ""]
            started = False
            continue
        cells = [r.label] + r.cells + [""] * (n - 1 - len(r.cells))
        if t.id == "t2":
            cells = [r.label] + r.cells
        out.append(_md_row(cells))
        if not started:
            out.append(_md_row(["---"] * len(cells)))
            started = True
    return out


# --------------------------------------------------------------------------- pdftotext -layout
def layout(blocks: list[Block], tables: dict[str, TableModel], fm: Formatter, rng: random.Random) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "title":
            t = _prose(fm, b)
            out += ["", pad("", max(0, (80 - width(t)) // 2)) + t, ""]
        elif b.kind == "heading":
            out.append("    " + b.text)
        elif b.kind == "para":
            out += wrap_prose(_prose(fm, b))
        elif b.kind == "sign":
            out.append(pad("", 56) + _prose(fm, b))
        elif b.kind == "table":
            out += [""] + _layout_table(tables[b.text], fm, rng) + [""]
    if fm.style.page_breaks:
        out = _paginate(out, rng.randint(44, 56), fm)
    return "\n".join(line.rstrip(" ") for line in out) + "\n"


def _paginate(lines: list[str], per_page: int, fm: Formatter) -> list[str]:
    """Pages as pdftotext prints them: a page-number line, then a form feed, wherever the page ends."""
    out: list[str] = []
    for i in range(0, len(lines), per_page):
        page = i // per_page + 1
        out += lines[i:i + per_page] + ["", pad("", 36) + fm.digits(f"- {page} -") + "\f"]
    return out


def _col(text: str, colw: int) -> str:
    """A right-aligned column that never runs into its left neighbour (full-width digits are wide)."""
    return pad(text, colw, right=True) if width(text) < colw else " " + text


def _indent(label: str, table: str) -> int:
    """Where pdftotext puts a table-三 label: the form's three label columns become indentation."""
    if table != "t3" or label[:1] in "一二三四":
        return 0
    return 4 if label.startswith("（") else 10


def _units(t: TableModel) -> list[tuple[FlatRow | None, list[FlatRow]]]:
    """Flat rows grouped as (group label row, its item rows); other rows stand alone as (None, [row])."""
    out: list[tuple[FlatRow | None, list[FlatRow]]] = []
    rows = t.flat
    i = 0
    while i < len(rows):
        r = rows[i]
        if t.id == "t3" and r.kind == "label" and r.label.startswith("（"):
            j = i + 1
            while j < len(rows) and rows[j].kind == "data" and rows[j].label[:1].isdigit():
                j += 1
            out.append((r, rows[i + 1:j]))
            i = j
        else:
            out.append((None, [r]))
            i += 1
    return out


def _layout_table(t: TableModel, fm: Formatter, rng: random.Random) -> list[str]:
    style = fm.style
    colw = 6 if t.id == "t4" and style.t4_flat else (8 if t.id != "t2" else 12)
    wrap = style.wrapped_labels
    limit = 14 if wrap else 99
    labels = [" " * _indent(r.label, t.id) + r.label for r in t.flat if r.kind == "data"]
    lw = min(max((width(x) for x in labels), default=10), limit * 2 + 10, 64) + 2
    out: list[str] = [pad("", 8) + t.title] if t.id == "old" else []
    out += [pad("", 12) + c for c in t.captions]

    def row_lines(r: FlatRow, prefix: str = "") -> list[str]:
        ind = " " * _indent(r.label, t.id)
        values = "  " + "".join(_col(v, colw) for v in r.cells)
        parts = wrap_label(r.label, rng, limit) if wrap else [r.label]
        first = (" " * _indent(prefix, t.id) + prefix if prefix else ind) + parts[0]
        parts = [first] + [ind + p for p in parts[1:]]
        if len(parts) == 1:
            return [pad(parts[0], lw - 2) + values]
        where = rng.choice(("first", "last", "own"))  # numbers beside the first or last line, or below
        if where == "own":
            return parts + [pad("", lw - 2) + values]
        at = 0 if where == "first" else len(parts) - 1
        return [pad(p, lw - 2) + values if k == at else p for k, p in enumerate(parts)]

    body: list[str] = []
    spans: list[int] = []  # body index of each flat row, for the floating spaced group label
    for group, items in _units(t):
        if group is None:
            r = items[0]
            spans.append(len(body))
            if r.kind == "label":
                if not (r.label == t.group_label and style.spaced_labels):
                    body.append(" " * _indent(r.label, t.id) + r.label)
            elif r.kind == "head":
                body += _layout_head(r, lw, colw, wrap)
            else:
                body += row_lines(r)
            continue
        mode = rng.choice(("before", "middle", "inline")) if style.floating_groups else "before"
        glabel = " " * _indent(group.label, t.id) + group.label
        if mode == "before":
            body.append(glabel)
        for k, it in enumerate(items):
            if mode == "middle" and k == len(items) // 2:
                body.append(glabel)
            spans.append(len(body))
            body += row_lines(it, prefix=group.label.strip() + "   " if mode == "inline" and k == 0 else "")
    if t.group_label and style.spaced_labels and spans:
        lo = min(len(spans) - 1, max(2, t.group_span[0] + 2))
        hi = max(lo, min(len(spans) - 1, t.group_span[1] - 3))
        body.insert(spans[rng.randint(lo, hi)], pad("", 1) + spaced(t.group_label, rng))
    return out + body


def _layout_head(r: FlatRow, lw: int, colw: int, wrap: bool) -> list[str]:
    cells = list(r.cells)
    if not wrap:
        return [pad(r.label, lw) + "".join(_col(c, colw) for c in cells)]
    chunk = max(1, (colw - 2) // 2)
    stacks = [[c[i:i + chunk] for i in range(0, len(c), chunk)] or [""] for c in cells]
    depth = max(len(s) for s in stacks)
    lines = []
    for d in range(depth):
        lab = r.label if d == 0 else ""
        lines.append(pad(lab, lw) + "".join(pad(s[d] if d < len(s) else "", colw, right=True) for s in stacks))
    return lines


# --------------------------------------------------------------------------- one cell per line
def cells(blocks: list[Block], tables: dict[str, TableModel], fm: Formatter, rng: random.Random) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "table":
            out += _cells_table(tables[b.text], fm, rng)
        else:
            out.append(_prose(fm, b))
    return "\n".join(out) + "\n"


def _cells_table(t: TableModel, fm: Formatter, rng: random.Random) -> list[str]:
    out = [t.title] + t.captions if t.id == "old" else []
    for _r, _c, cell in t.grid.placed():
        text = fm.digits(cell.text) if cell.key else cell.text
        if cell.key is None and text:
            if text == t.group_label and fm.style.spaced_labels:
                text = spaced(text, rng)
            elif fm.style.wrapped_labels and not cell.head:
                text = "\n".join(wrap_label(text, rng))
        if text:
            out.append(text)
        out.append("|")
    return out


# --------------------------------------------------------------------------- run-together cells
def runtogether(blocks: list[Block], tables: dict[str, TableModel], fm: Formatter, rng: random.Random) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "table":
            out += _run_table(tables[b.text], fm, rng)
        else:
            out.append(_prose(fm, b))
    return "\n".join(out) + "\n"


def _run_table(t: TableModel, fm: Formatter, rng: random.Random) -> list[str]:
    out = [t.title] + t.captions if t.id == "old" else []
    group_at = -1
    if t.group_label and fm.style.spaced_labels:
        lo, hi = t.group_span
        group_at = rng.randint(lo + 2, max(lo + 2, hi - 2))
    for i, r in enumerate(t.flat):
        if i == group_at:
            out.append(spaced(t.group_label or "", rng))
        if r.kind == "label" and r.label == t.group_label and fm.style.spaced_labels:
            continue
        out.append(r.label + "".join(r.cells))
    return out


# --------------------------------------------------------------------------- the text of the agency's web page
# Imitates ../shared/real/2021-pingtan-zone.txt (and the 2019/2014/2012/2011 pingtan pages): a site archiver's
# header lines, then the page's breadcrumb and share buttons and the whole report on one line, every table's
# cells run together (or one space apart), and the page's download links after it.
def pagetext(blocks: list[Block], tables: dict[str, TableModel], fm: Formatter, rng: random.Random, *,
             agency: str, year: int) -> str:
    title = next(_prose(fm, b) for b in blocks if b.kind == "title")
    month, day = rng.randint(1, 3), rng.randint(1, 28)
    published = f"{year + 1}-{month:02d}-{day:02d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}"
    head = [f"标题: {title}", f"发布时间: {published}", "文号: ", "发布机构: ", "栏目: 政府信息公开年报",
            (f"原文链接: http://www.example.gov.cn/zwgk/xxgknb/{year + 1}{month:02d}/t{year + 1}{month:02d}{day:02d}_"
             f"{rng.randint(10000, 99999)}.htm"), "页面链接与图片详见 links.tsv(同目录)", "=" * 20 + " 正文 " + "=" * 20]
    sep = " " if fm.style.page_cells_spaced else ""
    parts = [(f"当前位置： 首页政务公开政府信息公开政府信息公开年报 {title} 来源：{agency} 时间：{published} "
              "微信 微博 QQ空间 全真版 文字版 文件下载 相关链接： -->")]
    for b in blocks:
        if b.kind == "title":
            continue
        if b.kind == "table":
            parts.append(_page_table(tables[b.text], fm, sep))
        else:
            parts.append(_prose(fm, b))
    line = " ".join(parts) + " 附件下载"
    return "\n".join(head) + "\n" + line + "\n"


def _page_table(t: TableModel, fm: Formatter, sep: str) -> str:
    out = [t.title] + t.captions if t.id == "old" else []
    for r in t.flat:
        if r.kind == "head":
            out.append(r.label + "".join(r.cells))  # the header's words run together, as a page's text keeps them
        elif r.kind == "label":
            out.append(r.label)
        else:
            cells = [fm.digits(c) if c else "" for c in r.cells]
            out.append(r.label + sep.join(cells) if cells else r.label)
    return "".join(x for x in out if x)
