"""Readable terminal summaries: a Result as the official tables with its findings; a cross-year check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from extractor.text import core
from schemas import catalog
from schemas.labels import SEVERITY_LABELS, TEMPLATE_LABELS
from schemas.results import Finding, Result, Value

if TYPE_CHECKING:
    from extractor.similar import SimilarPair
    from extractor.years import YearsReport

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def cell_text(v: Value | None) -> Text:
    """A value as printed: blank shows as "", a dash as "—"; flagged values are coloured by caller."""
    if v is None:
        return Text("·", style="dim")
    if v.status == "number" and v.value is not None:
        return Text(f"{v.value:g}" if isinstance(v.value, float) else str(v.value))
    if v.candidates:
        return Text("?", style="bold magenta")
    return Text(v.raw or "", style="dim")


def _flagged(result: Result) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in result.findings:
        for k in f.keys:
            if out.get(k) != "error":
                out[k] = f.severity
    return out


def render_summary(result: Result, console: Console) -> None:
    m = result.meta
    head = Table.grid(padding=(0, 2))
    head.add_row("文件", result.document.name or "")
    head.add_row("模板", TEMPLATE_LABELS.get(m.template or "", "?"))
    head.add_row("机关", m.agency or "?")
    head.add_row("年度", str(m.year or "?"))
    if m.period_start:
        head.add_row("统计期限", f"{m.period_start} — {m.period_end}")
    if m.published:
        head.add_row("落款日期", str(m.published))
    head.add_row("提取器", result.extractor + (f" ({result.model})" if result.model else ""))
    console.rule(f"[bold]{m.title or result.document.name}")
    console.print(head)
    flagged = _flagged(result)
    if m.template == "2008":
        _old_table(result, console, flagged)
    elif m.template in ("2019", "2021"):
        _t2(result, console, flagged)
        _grid(result, console, flagged, "t3")
        _grid(result, console, flagged, "t4")
    _findings(result, console)


def _style(key: str, flagged: dict[str, str]) -> str:
    return {"error": "bold red", "warning": "yellow"}.get(flagged.get(key, ""), "")


def _old_table(result: Result, console: Console, flagged: dict[str, str]) -> None:
    t = Table(title=catalog.TABLE_TITLES["old"], show_lines=False)
    t.add_column("统计指标")
    t.add_column("单位")
    t.add_column("统计数", justify="right")
    second = any(k.endswith(".历年累计") for k in result.values)
    if second:
        t.add_column("历年累计", justify="right")
    for row in catalog.rows("old"):
        key = f"old.{row.id}"
        if row.header_only:
            t.add_row(Text(row.label, style="bold"), "", "")
            continue
        if row.optional and key not in result.values:
            continue
        value = cell_text(result.values.get(key))
        value.stylize(_style(key, flagged))
        cells: list[Text | str] = [Text(row.label), row.unit, value]
        if second:
            cells.append(cell_text(result.values.get(key + ".历年累计")))
        t.add_row(*cells)
    console.print(t)


def _t2(result: Result, console: Console, flagged: dict[str, str]) -> None:
    t = Table(title=catalog.TABLE_TITLES["t2"])
    t.add_column("信息内容")
    t.add_column("数值")
    for row_id, cols in catalog.t2_layout(result.meta.template or "2021").items():
        parts = []
        for c in cols:
            key = f"t2.{row_id}.{c}"
            spec = catalog.BY_KEY[key]
            txt = cell_text(result.values.get(key))
            txt.stylize(_style(key, flagged))
            parts.append(Text(f"{core(spec.column.label) if spec.column else ''} ") + txt)
        t.add_row(row_id, Text("  ").join(parts))
    console.print(t)


def _grid(result: Result, console: Console, flagged: dict[str, str], table: str) -> None:
    template = result.meta.template or "2021"
    cols = catalog.columns(table, template)
    t = Table(title=catalog.TABLE_TITLES[table])
    t.add_column("")
    for c in cols:
        t.add_column(c.label, justify="right")
    for row in catalog.rows(table, template):
        keys = [f"{table}.{row.id}.{c.id}" for c in cols]
        if row.header_only:
            t.add_row(Text(row.label, style="bold"), *[""] * len(cols))
            continue
        if (row.optional or row.subtotal) and not any(k in result.values for k in keys):
            continue
        cells = []
        for k in keys:
            txt = cell_text(result.values.get(k))
            txt.stylize(_style(k, flagged))
            cells.append(txt)
        t.add_row(row.label if len(row.label) <= 24 else row.label[:23] + "…", *cells)
    console.print(t)


def _finding_table(title: str, items: list[Finding]) -> Table:
    t = Table(title=f"{title}（{len(items)}）", show_lines=True)
    t.add_column("级别")
    t.add_column("规则")
    t.add_column("说明")
    for f in items:
        t.add_row(Text(SEVERITY_LABELS.get(f.severity, f.severity), style=_SEVERITY_STYLE.get(f.severity, "")),
                  f.rule, f.message)
    return t


def _findings(result: Result, console: Console) -> None:
    for category, title in (("report", "报告自身的问题"), ("extraction", "提取存疑")):
        items = [f for f in result.findings if f.category == category]
        if items:
            console.print(_finding_table(title, items))
    if not result.findings:
        console.print("[green]未发现问题[/green]")


def render_years(report: YearsReport, console: Console) -> None:
    """Each agency's consecutive years with the cross-year findings, then the reports left unpaired."""
    for p in report.pairs:
        console.rule(f"[bold]{p.agency}  {p.previous.meta.year} → {p.current.meta.year}")
        console.print(f"{p.previous.document.name} → {p.current.document.name}", style="dim")
        if p.findings:
            console.print(_finding_table("跨年度核对", list(p.findings)))
        else:
            console.print("[green]跨年度核对未发现问题[/green]")
    if report.unpaired:
        t = Table(title=f"未能配对的报告（{len(report.unpaired)}）")
        for column in ("文件", "机关", "年度", "原因"):
            t.add_column(column)
        for u in report.unpaired:
            t.add_row(u.result.document.name, u.result.meta.agency or "?", str(u.result.meta.year or "?"), u.reason)
        console.print(t)
    if not report.pairs:
        console.print("没有可比较的相邻年度报告（同一机关、相邻两年）")


def render_similar(pairs: list[SimilarPair], n_reports: int, console: Console) -> None:
    """Pairs of alike reports of different agencies, most alike first."""
    if not pairs:
        console.print(f"[green]{n_reports} 份报告中未发现不同机关之间雷同的正文[/green]")
        return
    t = Table(title=f"正文雷同的报告（{len(pairs)} 对，共 {n_reports} 份）")
    for column in ("相同", "报告", "机关", "另一份报告", "机关"):
        t.add_column(column)
    for p in pairs:
        t.add_row(f"{p.similarity:.0%}", p.first.document.name, p.first.meta.agency or "?", p.second.document.name,
                  p.second.meta.agency or "?")
    console.print(t)
