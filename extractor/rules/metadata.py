"""Report-level checks: year, template against year, sections, the 信息处理费 statement, dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from extractor.rules.registry import Context, Rule, add, check
from schemas.catalog import SECTION_WORDS, template_for_year
from schemas.labels import TEMPLATE_TITLES
from schemas.results import Finding

ALL = frozenset({"2008", "2019", "2021"})
NEW = frozenset({"2019", "2021"})


def _meta_finding(rule: Rule, message: str, severity: str | None = None, **detail) -> Finding:
    return Finding(rule=rule.id, kind="metadata", category="report", severity=(severity or rule.severity),  # type: ignore[arg-type]
                   message=message, detail=detail)


@check("meta_year")
def meta_year(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """The year in the title, the statistics period and the table heading agree."""
    m = ctx.meta
    years = {"标题": m.title_year}
    if m.period_start:
        years["统计期限起"] = m.period_start.year
    if m.period_end:
        years["统计期限止"] = m.period_end.year
    tm = re.search(r"[(（]((?:19|20)\d{2})年度?[)）]", ctx.text)
    if tm:
        years["统计表"] = int(tm.group(1))
    seen = {k: v for k, v in years.items() if v}
    if len(set(seen.values())) > 1:
        desc = "，".join(f"{k}{v}年" for k, v in seen.items())
        return [_meta_finding(rule, f"报告年度不一致：{desc}", years=seen)]
    if m.period_start and m.period_end and (m.period_start.month, m.period_start.day, m.period_end.month,
                                            m.period_end.day) != (1, 1, 12, 31):
        return [_meta_finding(rule, f"统计期限不是完整年度：{m.period_start} 至 {m.period_end}", severity="warning")]
    return []


@check("meta_template")
def meta_template(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """A report on another year's template (the "未按新格式" complaint)."""
    expected = template_for_year(ctx.meta.year)
    if expected is None or ctx.template == expected or not ctx.meta.template_evidence:
        return []
    return [_meta_finding(
        rule, f"{ctx.meta.year}年度报告应使用{TEMPLATE_TITLES[expected]}，本报告使用的是{TEMPLATE_TITLES[ctx.template]}"
              "（未按新格式）", expected=expected, actual=ctx.template)]


@check("meta_sections")
def meta_sections(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """All six sections of the national format are present."""
    have = {s[0] for s in ctx.meta.sections}
    missing = [num for num in SECTION_WORDS if num not in have]
    if not missing:
        return []
    return [_meta_finding(rule, "报告缺少以下部分：" + "、".join(f"{n}、{SECTION_WORDS[n][0]}" for n in missing),
                          missing=missing)]


@check("meta_fee")
def meta_fee(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """2021 format: section 六 states the 信息处理费 charged (a count and amount, or none)."""
    if (ctx.meta.year or 0) < 2021 or ctx.meta.fee_statement:
        return []
    return [_meta_finding(rule, "2021年格式要求在“六、其他需要报告的事项”中说明信息处理费收取情况，本报告未提及")]


@check("meta_published")
def meta_published(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """Published after the year ends and by the statutory deadline (3月31日)."""
    m = ctx.meta
    if not m.published or not m.year:
        return []
    if m.published <= date(m.year, 12, 31):
        return [_meta_finding(rule, f"落款日期 {m.published} 早于统计年度结束", severity="error")]
    deadline = date(m.year + 1, 3, 31)
    if m.published > deadline:
        return [_meta_finding(rule, f"落款日期 {m.published} 晚于法定发布期限 {deadline}")]
    return []


def register() -> None:
    add(
        Rule("meta.year", ALL, "metadata", "meta_year", "报告年度一致", source="C.6-1"),
        Rule("meta.template_year", ALL, "metadata", "meta_template", "格式与年度相符", source="C.6-2"),
        Rule("meta.sections", NEW, "metadata", "meta_sections", "六个部分齐全", severity="warning", source="C.6-3"),
        Rule("meta.fee_statement", frozenset({"2021"}), "metadata", "meta_fee", "信息处理费说明",
             severity="warning", source="A.6"),
        Rule("meta.published", ALL, "metadata", "meta_published", "发布日期", severity="warning", source="C.6-1"),
    )
