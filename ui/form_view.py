"""The report's tables drawn as the official form, every cell coloured by its review status.

The HTML carries each value cell's key as ``data-key``: a click selects that value for editing
(ui/components.py). Beside each value, last year's when the store has the agency's previous report,
and ``OCR 87%`` when it was read from a scan (ui/ocr_view.py). Rows, columns, labels and units come from ``schemas.catalog`` only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from extractor.store import FindingDecisionRow, finding_key_of
from schemas import catalog
from schemas.results import Finding, Number, Result, Value
from ui.ocr_view import LOOK_BELOW, mark_html, ocr_source

# status -> (label shown in the legend, background, text colour); earlier entries win
STATUS_STYLE: dict[str, tuple[str, str, str]] = {
    "edited": ("人工修改", "#dbeafe", "#1e3a8a"),
    "error": ("规则报错", "#fee2e2", "#991b1b"),
    "accepted": ("已认定为报告错误", "#ede9fe", "#5b21b6"),
    "conflict": ("提取结果冲突", "#ffedd5", "#9a3412"),
    "warning": ("规则提示", "#fef9c3", "#854d0e"),
    "agreed": ("两种提取一致", "#dcfce7", "#166534"),
    "plain": ("", "#ffffff", "#111827"),
    "missing": ("未提取到", "#f3f4f6", "#9ca3af"),
}
VALUE_COLUMN = "统计数"
HELD_TEXT = "待选"  # a cell the extractor held back (a doubtful OCR digit, an ambiguous split)
LABEL_COLUMN = "项目"


@dataclass
class FormRow:
    label: str
    header: bool = False
    depth: int = 0
    unit: str = ""
    keys: list[str | None] = field(default_factory=list)  # one per column; None where the form prints nothing


@dataclass
class FormTable:
    table: str
    title: str
    columns: list[str]
    rows: list[FormRow]
    show_unit: bool = False

    def value_keys(self) -> list[str]:
        return [k for r in self.rows for k in r.keys if k]


def cell_name(key: str) -> str:
    """A cell's name that says where it is: the group's label before the row's (``行政诉讼数量·其他情形数``)."""
    spec = catalog.BY_KEY.get(key)
    if spec is None:
        return key
    name = _short(spec.row.label) + (f"·{spec.column.label}" if spec.column else "")
    group = spec.row.group
    if group:
        parent = next((r for r in catalog.rows(spec.table) if r.id == group), None)
        if parent is not None and not parent.header_only:
            name = f"{_short(parent.label)}·{name}"
    return name


def _short(label: str) -> str:
    """A row label without its enumerator, 其中, or a long parenthetical note."""
    label = re.sub(r"^(其中[:：])?([（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、|\d+[.．、])?(其中[:：])?", "", label)
    return re.sub(r"[（(][^（）()]{6,}[）)]$", "", label) or label


def tables_for(template: str | None) -> list[str]:
    return ["old"] if template == "2008" else ["t2", "t3", "t4"]


def _depth(row: catalog.RowSpec, by_id: dict[str, catalog.RowSpec]) -> int:
    depth, group = 0, row.group
    while group and group in by_id and depth < 4:
        depth, group = depth + 1, by_id[group].group
    return depth


def build_form(table: str, template: str, present: set[str]) -> FormTable:
    """The printed shape of one table; optional rows appear only when the report prints them."""
    title = catalog.TABLE_TITLES[table]
    if table == "t2":
        layout = catalog.t2_layout(template)
        cols = [c for c in catalog.columns("t2", template) if any(c.id in v for v in layout.values())]
        rows = [FormRow(rid, keys=[f"t2.{rid}.{c.id}" if c.id in layout[rid] else None for c in cols])
                for rid in layout]
        return FormTable(table, title, [c.label for c in cols], rows)
    specs = catalog.rows(table, template)
    by_id = {r.id: r for r in specs}
    if table == "old":
        second = any(k.endswith(".历年累计") for k in present)
        columns = [VALUE_COLUMN] + (["历年累计"] if second else [])
        rows = []
        for r in specs:
            key = f"old.{r.id}"
            if r.optional and key not in present:
                continue
            keys = [] if r.header_only else [key] + ([key + ".历年累计"] if second else [])
            rows.append(FormRow(r.label, r.header_only, _depth(r, by_id), r.unit, keys))
        return FormTable(table, title, columns, rows, show_unit=True)
    cols = catalog.columns(table, template)
    rows = []
    for r in specs:
        keys = [f"{table}.{r.id}.{c.id}" for c in cols]
        if r.header_only:
            rows.append(FormRow(r.label, True, _depth(r, by_id)))
            continue
        if (r.optional or r.subtotal) and not any(k in present for k in keys):
            if r.subtotal:  # the group's own row is not printed: its label still heads its items
                rows.append(FormRow(r.label, True, _depth(r, by_id)))
            continue
        rows.append(FormRow(r.label, False, _depth(r, by_id), r.unit, keys))
    return FormTable(table, title, [c.label for c in cols], rows)


def forms(result: Result) -> list[FormTable]:
    template = result.meta.template or "2021"
    present = set(result.values)
    return [build_form(t, template, present) for t in tables_for(template)]


def is_open(f: Finding, decisions: dict[str, FindingDecisionRow]) -> bool:
    d = decisions.get(finding_key_of(f))
    return d is None


def cell_states(result: Result, values: dict[str, Number | None], edited: set[str],
                decisions: dict[str, FindingDecisionRow]) -> dict[str, str]:
    """One status per key, the most urgent first (see STATUS_STYLE order)."""
    flags: dict[str, set[str]] = {}
    for f in result.findings:
        d = decisions.get(finding_key_of(f))
        state = "accepted" if d and d.decision == "accepted" else None if d else f.severity
        if state in (None, "info"):
            continue
        for k in f.keys:
            flags.setdefault(k, set()).add(state)
    out: dict[str, str] = {}
    for key in set(values) | set(result.values) | set(flags):
        v = result.values.get(key)
        found = set(flags.get(key, ()))
        if key in edited:
            found.add("edited")
        if v is not None and v.agreement in ("conflict", "agreed"):
            found.add(v.agreement)
        if v is None and key not in values:
            found.add("missing")
        out[key] = next((s for s in STATUS_STYLE if s in found), "plain")
    return out


def cell_text(key: str | None, values: dict[str, Number | None], result: Result, edited: set[str]) -> str:
    """What the form shows: the current number, or the printed blank / — / / for an untouched empty cell."""
    if key is None:
        return ""
    if key in values and values[key] is not None:
        return number_text(values[key])
    if key in edited:
        return "（空）"
    v: Value | None = result.values.get(key)
    if v is None:
        return ""
    if v.value is None and v.candidates and v.status == "text":  # held back until a person picks a reading
        return HELD_TEXT
    return {"dash": "—", "slash": "/"}.get(v.status, v.raw or "")


_CSS = """
<style>
.xf{border-collapse:collapse;width:100%;font-size:14px;margin:0 0 14px 0;
 font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif}
.xf caption{caption-side:top;text-align:left;font-weight:700;font-size:15px;padding:4px 0 6px 0;color:#111827}
.xf th,.xf td{border:1px solid #9ca3af;padding:4px 8px;line-height:1.35}
.xf thead th{background:#f1f5f9;font-weight:600;text-align:center;color:#1f2937}
.xf td.l{text-align:left;color:#111827;background:#fff;min-width:13em}
.xf td.u{text-align:center;color:#4b5563;white-space:nowrap;background:#fff}
.xf td.v{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;min-width:3.2em}
.xf thead th{font-size:13px;padding:3px 4px}
.xf.t4 th{font-size:12px;padding:2px 2px;line-height:1.25;min-width:2.2em;white-space:nowrap}
.xf.t4 td.v{min-width:0;padding:4px 3px;text-align:center}
.xf td.na{background:repeating-linear-gradient(135deg,#f9fafb,#f9fafb 6px,#eef0f3 6px,#eef0f3 8px)}
.xf tr.h td{font-weight:700;background:#f8fafc}
.xf td.inf{outline:2px dashed #b91c1c;outline-offset:-3px}
.xf td.focus{outline:3px solid #dc2626;outline-offset:-3px;font-weight:700}
.xf td.edited{font-weight:700}
.xf td.v{cursor:pointer}
.xf td.v:hover{box-shadow:inset 0 0 0 2px #2563eb}
.xf td.v .py{display:block;font-size:11px;line-height:1.1;color:#6b7280;font-weight:400}
.xf td.v .py.diff{color:#b45309}
.xf.t4 td.v .py{white-space:normal;font-size:10.5px}
.xf td.v .ocr,.xlegend .ocr{display:block;font-size:10px;line-height:1.1;color:#0f766e;font-weight:400;
 letter-spacing:-.2px}
.xf td.v .ocr.low,.xlegend .ocr.low{color:#c2410c;font-weight:700}
.xlegend .ocr{display:inline}
.xlegend span{display:inline-block;padding:1px 8px;margin:0 6px 4px 0;border:1px solid #d1d5db;border-radius:3px;
 font-size:12.5px}
</style>
"""


def legend_html(*, ocr: bool = False) -> str:
    """The colours' meanings; with ``ocr``, what the scan marks mean too."""
    parts = [f'<span style="background:{bg};color:{fg}">{html.escape(label)}</span>'
             for s, (label, bg, fg) in STATUS_STYLE.items() if label]
    parts.append('<span style="outline:2px dashed #b91c1c;outline-offset:-3px">所选问题涉及</span>')
    parts.append('<span style="outline:3px solid #dc2626;outline-offset:-3px">当前定位</span>')
    if ocr:
        parts.append('<span><b class="ocr">OCR 99%</b> 扫描识别及置信度</span>')
        parts.append(f'<span><b class="ocr low">OCR 80%</b> 置信度低于 {LOOK_BELOW:.0%}，请对照原图</span>')
    return f'<div class="xlegend">{"".join(parts)}</div>'


def _header(form: FormTable) -> str:
    unit = "<th>单位</th>" if form.show_unit else ""
    if form.table == "t3" and form.columns[:2] == ["自然人", "商业企业"] and len(form.columns) == 7:
        mid = "".join(f"<th>{html.escape(c)}</th>" for c in form.columns[1:6])
        return (f'<thead><tr><th rowspan="3" style="width:42%">项目</th><th colspan="7">申请人情况</th></tr>'
                f'<tr><th rowspan="2">自然人</th><th colspan="5">法人或其他组织</th><th rowspan="2">总计</th></tr>'
                f"<tr>{mid}</tr></thead>")
    cols = "".join(f"<th>{html.escape(c)}</th>" for c in form.columns)
    width = {"old": ' style="width:64%"', "t2": ' style="width:30%"', "t4": ""}.get(form.table, ' style="width:46%"')
    return f"<thead><tr><th{width}>{LABEL_COLUMN}</th>{unit}{cols}</tr></thead>"


def number_text(n: Number | None) -> str:
    """A number as the form prints it: no thousands separators, so the eye can match digits with the page."""
    if n is None:
        return "空"
    return f"{n:.4f}".rstrip("0").rstrip(".") if isinstance(n, float) else str(n)


def _value_cell(key: str, result: Result, values: dict[str, Number | None], states: dict[str, str],
                edited: set[str], involved: set[str], focus: str | None,
                previous: dict[str, Number | None] | None) -> str:
    state = states.get(key, "missing" if key not in result.values else "plain")
    _, bg, fg = STATUS_STYLE[state]
    cls = ["v", state] + (["inf"] if key in involved else []) + (["focus"] if key == focus else [])
    tip = cell_name(key)
    text = html.escape(cell_text(key, values, result, edited))
    before = ""
    if previous is not None and key in previous:
        last = previous[key]
        diff = " diff" if last is not None and values.get(key) is not None and last != values.get(key) else ""
        before = f'<span class="py{diff}">上年 {html.escape(number_text(last))}</span>'
        tip += f"（上年 {number_text(last)}）"
    src = ocr_source(result.values.get(key)) if key not in edited else None
    mark = mark_html(src) if src is not None else ""
    if src is not None:
        cls.append("ocr-read")
    return (f'<td class="{" ".join(cls)}" style="background:{bg};color:{fg}" data-key="{html.escape(key)}"'
            f' title="{html.escape(tip)}">{text}{mark}{before}</td>')


def form_html(form: FormTable, result: Result, values: dict[str, Number | None], states: dict[str, str],
              edited: set[str], *, involved: set[str] = frozenset(), focus: str | None = None,
              with_css: bool = True, previous: dict[str, Number | None] | None = None) -> str:
    """The official form as HTML; each value cell carries its key as ``data-key``.

    Table 四 is drawn as printed (one row, 行政复议 and the two kinds of 行政诉讼 side by side), table
    二 as its small sub-tables (one per set of columns), the others as row × column grids. ``previous``
    (last year's values of the same agency) adds 上年 under each number it has.
    """
    def cell(key: str) -> str:
        return _value_cell(key, result, values, states, edited, set(involved), focus, previous)

    css = _CSS if with_css else ""
    if form.table == "t4" and len(form.rows) == 3 and all(len(r.keys) == len(form.columns) for r in form.rows):
        return css + _t4_html(form, cell)
    if form.table == "t2":
        return css + _t2_html(form, cell)
    out = [css, f'<table class="xf" data-table="{form.table}">',
           f"<caption>{html.escape(form.title)}</caption>", _header(form), "<tbody>"]
    ncols = len(form.columns) + (1 if form.show_unit else 0)
    for row in form.rows:
        pad = f"padding-left:{8 + 14 * row.depth}px"
        label = f'<td class="l" style="{pad}">{html.escape(row.label)}</td>'
        if row.header and not row.keys:
            out.append(f'<tr class="h">{label}<td colspan="{ncols}" class="u"></td></tr>')
            continue
        cells = [label]
        if form.show_unit:
            cells.append(f'<td class="u">{html.escape(row.unit)}</td>')
        cells.extend('<td class="v na"></td>' if key is None else cell(key) for key in row.keys)
        out.append(f"<tr>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _t4_html(form: FormTable, cell) -> str:
    """行政复议 | 行政诉讼 (未经复议直接起诉 | 复议后起诉), each with its result columns, in one row."""
    n = len(form.columns)
    parts = [r.label.split("·", 1) for r in form.rows]
    groups: list[tuple[str, list[int]]] = []
    for i, p in enumerate(parts):
        if groups and groups[-1][0] == p[0]:
            groups[-1][1].append(i)
        else:
            groups.append((p[0], [i]))
    top = "".join(f'<th colspan="{n * len(ix)}">{html.escape(g)}</th>' for g, ix in groups)
    def lab(c: str) -> str:  # printed in two lines of two characters, as on the form
        return html.escape(c[:2]) + "<br>" + html.escape(c[2:]) if len(c) == 4 else html.escape(c)

    second, third = [], []
    for i, p in enumerate(parts):
        if len(p) == 1:
            second.extend(f'<th rowspan="2">{lab(c)}</th>' for c in form.columns)
        else:
            second.append(f'<th colspan="{n}">{html.escape(p[1])}</th>')
            third.extend(f"<th>{lab(c)}</th>" for c in form.columns)
    values = "".join(cell(k) for r in form.rows for k in r.keys if k)
    return (f'<table class="xf t4" data-table="t4"><caption>{html.escape(form.title)}</caption>'
            f"<thead><tr>{top}</tr><tr>{''.join(second)}</tr><tr>{''.join(third)}</tr></thead>"
            f"<tbody><tr>{values}</tr></tbody></table>")


def _t2_html(form: FormTable, cell) -> str:
    """One small table per run of rows that print the same columns, as the template prints them."""
    blocks: list[tuple[tuple[int, ...], list[FormRow]]] = []
    for row in form.rows:
        cols = tuple(i for i, k in enumerate(row.keys) if k)
        if blocks and blocks[-1][0] == cols:
            blocks[-1][1].append(row)
        else:
            blocks.append((cols, [row]))
    out = []
    for n, (cols, rows) in enumerate(blocks):
        caption = f"<caption>{html.escape(form.title)}</caption>" if n == 0 else ""
        head = "".join(f"<th>{html.escape(form.columns[i])}</th>" for i in cols)
        body = "".join(f'<tr><td class="l">{html.escape(r.label)}</td>{"".join(cell(r.keys[i]) for i in cols)}</tr>'
                       for r in rows)
        style = ' style="margin-bottom:6px"' if n < len(blocks) - 1 else ""
        out.append(f'<table class="xf" data-table="t2"{style}>{caption}<thead><tr><th style="width:34%">信息内容</th>'
                   f"{head}</tr></thead><tbody>{body}</tbody></table>")
    return "".join(out)
