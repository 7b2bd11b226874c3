"""The statistics tables of a synthetic report as layout-neutral models.

Each table is built twice from the same values: as a ``Grid`` of the official form (cells with row and
column spans, for HTML, DOCX, PDF and the one-cell-per-line text) and as ``FlatRow``s (one label plus
its printed cells, for markdown, layout text and run-together text). Labels come from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import catalog

from .gen_style import Style
from .gen_values import Number, t3_result_rows

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# the blocks of table 二 (第二十条 items); structural text, not field labels
T2_BLOCKS: dict[str, tuple[str, ...]] = {
    "第二十条第（一）项": ("规章", "行政规范性文件"),
    "第二十条第（五）项": ("行政许可", "其他对外管理服务事项"),
    "第二十条第（六）项": ("行政处罚", "行政强制"),
    "第二十条第（八）项": ("行政事业性收费",),
    "第二十条第（九）项": ("政府集中采购",),
}
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass
class GC:
    """One cell of the official form."""

    text: str
    rs: int = 1
    cs: int = 1
    key: str | None = None
    head: bool = False


@dataclass
class Grid:
    ncols: int
    rows: list[list[GC]] = field(default_factory=list)

    def placed(self) -> list[tuple[int, int, GC]]:
        """Every cell with the (row, column) of its top-left corner."""
        taken: set[tuple[int, int]] = set()
        out = []
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                out.append((r, c, cell))
                for dr in range(cell.rs):
                    for dc in range(cell.cs):
                        taken.add((r + dr, c + dc))
                c += cell.cs
        return out

    def split(self, at: int) -> tuple[Grid, Grid]:
        """Cut the form before row ``at`` as a page break does: spans are clipped, the rest left empty."""
        top: list[tuple[int, int, GC]] = []
        bottom: list[tuple[int, int, GC]] = []
        for r, c, cell in self.placed():
            if r < at:
                top.append((r, c, GC(cell.text, min(cell.rs, at - r), cell.cs, cell.key, cell.head)))
                if r + cell.rs > at:  # the part below the cut: an empty cell of the remaining height
                    bottom.append((0, c, GC("", r + cell.rs - at, cell.cs, None, cell.head)))
            else:
                bottom.append((r - at, c, cell))
        return self._from_placed(top, at), self._from_placed(bottom, len(self.rows) - at)

    def _from_placed(self, cells: list[tuple[int, int, GC]], n: int) -> Grid:
        g = Grid(self.ncols, [[] for _ in range(n)])
        for r, _c, cell in sorted(cells, key=lambda t: (t[0], t[1])):
            g.rows[r].append(cell)
        return g


@dataclass
class FlatRow:
    label: str
    cells: list[str]
    kind: str = "data"  # data | head | label
    keys: list[str | None] = field(default_factory=list)


@dataclass
class TableModel:
    id: str
    title: str
    captions: list[str]
    grid: Grid
    flat: list[FlatRow]
    group_label: str | None = None  # t3's vertical "三、本年度办理结果"
    group_span: tuple[int, int] = (0, 0)  # flat row range the group label covers


class Formatter:
    """How one layout prints values and labels of one report."""

    def __init__(self, values: dict[str, Number | None], style: Style, layout: str) -> None:
        self.values, self.style, self.layout = values, style, layout
        self.text_layout = layout in ("md", "layout", "cells", "runtogether", "pagetext")

    def digits(self, s: str) -> str:
        return s.translate(FULLWIDTH) if self.style.fullwidth_digits and self.text_layout else s

    def number(self, v: Number, *, decimal: bool = False) -> str:
        if isinstance(v, float) or decimal:
            f = float(v)
            if self.style.fee_two_decimals:
                s = f"{f:.2f}"
            elif f == int(f):
                s = str(int(f))
            else:
                s = f"{f:.2f}".rstrip("0").rstrip(".")
        elif self.style.thousands_sep and not self.text_layout and abs(v) >= 1000:
            s = f"{v:,}"
        else:
            s = str(v)
        return self.digits(s)

    def value(self, key: str, *, multi: bool = True) -> str:
        v = self.values.get(key)
        if v is None:
            if self.style.blank_dash:
                return "—"
            if multi and self.layout in ("layout", "runtogether", "pagetext"):
                return "—"  # a run of spaces or nothing would lose the column
            return ""
        return self.number(v, decimal=catalog.BY_KEY[key].decimal)

    def label(self, row: catalog.RowSpec) -> str:
        if self.style.t2_2019_wording and row.table == "t2" and row.id == "行政规范性文件":
            return next(a for a in row.aliases if a == "规范性文件")
        if self.style.label_typo and row.table == "t3" and row.id == "不予公开.2":
            typo = next(a for a in row.aliases if "止公开" in a and "法规" not in a)
            return row.label.split(".", 1)[0] + "." + typo
        return row.label


def _rows(table: str, template: str) -> dict[str, catalog.RowSpec]:
    return {r.id: r for r in catalog.rows(table, template)}


def _cols(table: str, template: str) -> dict[str, catalog.ColumnSpec]:
    return {c.id: c for c in catalog.columns(table, template)}


# --------------------------------------------------------------------------- table 二
def table2(template: str, fm: Formatter) -> TableModel:
    rows, cols, layout = _rows("t2", template), _cols("t2", template), catalog.t2_layout(template)
    grid, flat = Grid(4), []
    for block, members in T2_BLOCKS.items():
        members = tuple(m for m in members if m in layout)
        if not members:
            continue
        col_ids = layout[members[0]]
        grid.rows.append([GC(block, cs=4, head=True)])
        flat.append(FlatRow(block, [], "label"))
        head = [GC("信息内容", head=True)]
        for i, c in enumerate(col_ids):
            head.append(GC(cols[c].label, cs=4 - len(col_ids) if i == len(col_ids) - 1 else 1, head=True))
        grid.rows.append(head)
        flat.append(FlatRow("信息内容", [cols[c].label for c in col_ids], "head"))
        for m in members:
            keys = [f"t2.{m}.{c}" for c in col_ids]
            cells = [GC(fm.label(rows[m]))]
            for i, k in enumerate(keys):
                cells.append(GC(fm.value(k), cs=4 - len(keys) if i == len(keys) - 1 else 1, key=k))
            grid.rows.append(cells)
            flat.append(FlatRow(fm.label(rows[m]), [fm.value(k, multi=len(keys) > 1) for k in keys], "data",
                                list(keys)))
    return TableModel("t2", catalog.TABLE_TITLES["t2"], [], grid, flat)


# --------------------------------------------------------------------------- table 三
def table3(template: str, fm: Formatter) -> TableModel:
    rows, cols = _rows("t3", template), list(catalog.columns("t3", template))
    style = fm.style
    grid = Grid(3 + len(cols))
    applicant = [c for c in cols if c.id not in ("自然人", "总计")]
    grid.rows.append([GC(T3_NOTE, rs=3, cs=3, head=True), GC("申请人情况", cs=len(cols), head=True)])
    grid.rows.append([GC(cols[0].label, rs=2, head=True), GC("法人或其他组织", cs=len(applicant), head=True),
                      GC(cols[-1].label, rs=2, head=True)])
    grid.rows.append([GC(c.label, head=True) for c in applicant])
    flat = [FlatRow("", [c.label for c in cols], "head")]

    def data(row_id: str) -> tuple[list[GC], FlatRow]:
        keys = [f"t3.{row_id}.{c.id}" for c in cols]
        lab = fm.label(rows[row_id])
        return [GC(fm.value(k), key=k) for k in keys], FlatRow(lab, [fm.value(k) for k in keys], "data", keys)

    for r in ("本年新收", "上年结转"):
        g, f = data(r)
        grid.rows.append([GC(fm.label(rows[r]), cs=3)] + g)
        flat.append(f)
    leaves = t3_result_rows(template, style.other_split)
    groups: list[tuple[str, list[str]]] = []  # (group or leaf, items)
    for leaf in leaves:
        head = leaf.split(".")[0]
        if "." in leaf:
            if groups and groups[-1][0] == head:
                groups[-1][1].append(leaf)
            else:
                groups.append((head, [leaf]))
        else:
            groups.append((leaf, []))
    groups.append(("办理结果总计", []))
    n_result_rows = sum(len(items) + (1 if not items or style.t3_subtotals else 0) for _, items in groups)
    group_label = fm.label(rows["本年度办理结果"])
    first = True
    span_start = len(flat)
    flat.append(FlatRow(group_label, [], "label"))
    for head, items in groups:
        lead: list[GC] = [GC(group_label, rs=n_result_rows)] if first else []
        if not items or style.t3_subtotals:
            g, f = data(head)
            grid.rows.append(lead + [GC(fm.label(rows[head]), cs=2)] + g)
            flat.append(f)
            lead, first = [], False
            if items:
                for it in items:
                    g, f = data(it)
                    grid.rows.append([GC(fm.label(rows[it]), cs=2)] + g)
                    flat.append(f)
            continue
        flat.append(FlatRow(fm.label(rows[head]), [], "label"))
        for i, it in enumerate(items):
            g, f = data(it)
            cells = lead + ([GC(fm.label(rows[head]), rs=len(items))] if i == 0 else [])
            grid.rows.append(cells + [GC(fm.label(rows[it]))] + g)
            flat.append(f)
            lead, first = [], False
    span = (span_start, len(flat))
    g, f = data("结转下年度")
    grid.rows.append([GC(fm.label(rows["结转下年度"]), cs=3)] + g)
    flat.append(f)
    return TableModel("t3", catalog.TABLE_TITLES["t3"], [], grid, flat, group_label, span)


# --------------------------------------------------------------------------- table 四
def _t4_label(col: catalog.ColumnSpec, fm: Formatter) -> str:
    """Table 四's column label; the two-character 总计 is printed letter-spaced in some forms ("总 计")."""
    return " ".join(col.label) if fm.style.spaced_labels and len(col.label) == 2 else col.label


def table4(template: str, fm: Formatter) -> TableModel:
    rows, cols = catalog.rows("t4", template), catalog.columns("t4", template)
    lit = rows[1].label.split("·")[0]
    if fm.style.t4_flat:
        grid = Grid(15)
        grid.rows.append([GC(rows[0].label, cs=5, head=True), GC(lit, cs=10, head=True)])
        grid.rows.append([GC(_t4_label(c, fm), rs=2, head=True) for c in cols]
                         + [GC(r.aliases[0], cs=5, head=True) for r in rows[1:]])
        grid.rows.append([GC(_t4_label(c, fm), head=True) for _ in rows[1:] for c in cols])
        keys = [f"t4.{r.id}.{c.id}" for r in rows for c in cols]
        grid.rows.append([GC(fm.value(k), key=k) for k in keys])
        n = len(cols)
        flat = [FlatRow("", [rows[0].label] + [""] * (n - 1) + [lit] + [""] * (2 * n - 1), "head"),
                FlatRow("", [_t4_label(c, fm) for c in cols] + [x for r in rows[1:] for x in [r.aliases[0]] + [""] * (n - 1)],
                        "head"),
                FlatRow("", [""] * n + [_t4_label(c, fm) for _ in rows[1:] for c in cols], "head"),
                FlatRow("", [fm.value(k) for k in keys], "data", list(keys))]
        return TableModel("t4", catalog.TABLE_TITLES["t4"], [], grid, flat)
    grid = Grid(2 + len(cols))
    grid.rows.append([GC("", cs=2, head=True)] + [GC(_t4_label(c, fm), head=True) for c in cols])
    flat = [FlatRow("", [_t4_label(c, fm) for c in cols], "head")]
    for i, r in enumerate(rows):
        keys = [f"t4.{r.id}.{c.id}" for c in cols]
        vals = [GC(fm.value(k), key=k) for k in keys]
        if i == 0:
            grid.rows.append([GC(r.label, cs=2)] + vals)
        elif i == 1:
            grid.rows.append([GC(lit, rs=len(rows) - 1), GC(r.aliases[0])] + vals)
        else:
            grid.rows.append([GC(r.aliases[0])] + vals)
        flat.append(FlatRow(r.label, [fm.value(k) for k in keys], "data", keys))
    return TableModel("t4", catalog.TABLE_TITLES["t4"], [], grid, flat)


# --------------------------------------------------------------------------- the old 统计表
_OLD_VARIANTS = {"申请.电子邮件", "申请.其他形式", "申请.信函传真", "答复.其他类型", "诉讼举报", "申诉", "申诉举报",
                 "收费减免金额"}


def table_old(year: int, fm: Formatter, values: dict[str, Number | None]) -> TableModel:
    """The old 统计表; with the 历年累计 column some provinces print beside (or before) the year's figure."""
    two = fm.style.cumulative_column
    first = two and fm.style.cumulative_first
    head = ["历年累计", "统计数"] if first else ["统计数", "历年累计"] if two else ["统计数"]
    grid, flat = Grid(2 + len(head)), []
    grid.rows.append([GC("统计指标", head=True), GC("单位", head=True)] + [GC(h, head=True) for h in head])
    flat.append(FlatRow("统计指标", ["单位", *head], "head"))
    for r in catalog.rows("old", "2008"):
        if r.id in _OLD_VARIANTS:
            continue
        key = f"old.{r.id}"
        if not r.header_only and key not in values:
            continue  # an optional row this report does not print
        if r.header_only:
            grid.rows.append([GC(r.label), GC("")] + [GC("") for _ in head])
            flat.append(FlatRow(r.label, ["", *("" for _ in head)], "label"))
            continue
        keys = [key, f"{key}.历年累计"][:len(head)]
        if first:
            keys.reverse()
        cells = [fm.value(k, multi=two) for k in keys]
        grid.rows.append([GC(r.label), GC(r.unit)] + [GC(v, key=k) for v, k in zip(cells, keys)])
        flat.append(FlatRow(r.label, [r.unit, *cells], "data", [None, *keys]))
    return TableModel("old", catalog.TABLE_TITLES["old"], [f"（{year}年度）", "填报单位（盖章）："], grid, flat)


def build_tables(template: str, year: int, values: dict[str, Number | None], fm: Formatter) -> dict[str, TableModel]:
    if template == "2008":
        return {"old": table_old(year, fm, values)}
    return {"t2": table2(template, fm), "t3": table3(template, fm), "t4": table4(template, fm)}

