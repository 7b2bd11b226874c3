"""Cross-year rules: one agency's report against its report of the year before, as data.

They are soft (warnings): a reorganised agency or restated figures break them legitimately, so a
person decides. A blank operand means "not reported", never 0, so a rule with one is not checked.
Sources: research/templates.md section C (T3-6, T4-4, T2-3, T2o-3), C.6 item 4 (copied tables and text),
and the old table's optional 历年累计 column (last year's cumulative plus this year's).
"""

from __future__ import annotations

from collections.abc import Iterable

from extractor.rules.checks import at_least, equal
from extractor.rules.identities import old_flow_rows
from extractor.rules.registry import PREVIOUS, Context, Rule, add, check
from extractor.sketch import COPIED, similarity
from schemas import catalog
from schemas.results import Finding

NEW = frozenset({"2019", "2021"})
Y2019 = frozenset({"2019"})
Y2021 = frozenset({"2021"})
ALL = frozenset({"2008", "2019", "2021"})

_TABLE_NAMES = {"t1": "表一", "t2": "表二", "t3": "表三", "t4": "表四", "old": "统计表"}


def _prev(key: str) -> str:
    return PREVIOUS + key.lstrip("-")


def _applies(rule: Rule, ctx: Context) -> bool:
    previous = ctx.previous
    return previous is not None and previous.template in rule.param("previous", frozenset())


def _all_numbers(rule: Rule, ctx: Context) -> bool:
    return all(ctx.status(k) == "number" for k in rule.keys)


def _own(rule: Rule, found: Iterable[Finding]) -> list[Finding]:
    """The rule's own findings (the shared sum check also reports blank totals, a one-year matter)."""
    return [f for f in found if f.rule == rule.id]


@check("years_equal")
def years_equal(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """An identity linking this year's figures to last year's report."""
    if not (_applies(rule, ctx) and _all_numbers(rule, ctx)):
        return []
    return _own(rule, equal(rule, ctx))


@check("years_at_least")
def years_at_least(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """This year's figure cannot be below what last year's report left pending."""
    if not (_applies(rule, ctx) and _all_numbers(rule, ctx)):
        return []
    return _own(rule, at_least(rule, ctx))


@check("years_same_tables")
def years_same_tables(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """A table whose every figure repeats last year's, with enough non-zero figures to mean it."""
    if not _applies(rule, ctx):
        return []
    assert ctx.previous is not None
    least = int(rule.param("min_nonzero"))
    tables: dict[str, list[str]] = {}
    for key, v in ctx.values.items():
        if v.status == "number" and key in catalog.BY_KEY:
            tables.setdefault(key.split(".", 1)[0], []).append(key)
    out = []
    for table, keys in sorted(tables.items()):
        before = [ctx.previous.values.get(k) for k in keys]
        if any(b is None or b.status != "number" or b.value != ctx.values[k].value for k, b in zip(keys, before)):
            continue
        nonzero = sum(1 for k in keys if ctx.values[k].value)
        if nonzero < least:
            continue
        name = _TABLE_NAMES.get(table, table)
        out.append(Finding(
            rule=rule.id, kind="cross_year", category="report", severity=rule.severity,  # type: ignore[arg-type]
            message=f"{rule.title}：{name}的 {len(keys)} 个数字（{nonzero} 个非零）与上一年度报告完全相同，"
                    "可能照搬了上年的表格",
            keys=keys, detail={"table": table, "numbers": len(keys), "nonzero": nonzero},
        ))
    return out


@check("years_same_text")
def years_same_text(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """A narrative nearly identical to last year's (figures and dates aside): a copied report."""
    if not _applies(rule, ctx):
        return []
    assert ctx.previous is not None
    score = similarity(ctx.sketch, ctx.previous.sketch)
    least = float(rule.param("min_similarity"))
    if score is None or score < least:
        return []
    return [Finding(
        rule=rule.id, kind="cross_year", category="report", severity=rule.severity,  # type: ignore[arg-type]
        message=f"{rule.title}：正文与上一年度报告约 {score:.0%} 相同（不计数字），可能照搬了上年的报告",
        detail={"similarity": round(score, 3)},
    )]


def _carry_over() -> list[Rule]:
    return [
        Rule("years.t3_carry_over", NEW, "cross_year", "years_equal",
             "表三“上年结转”应等于上一年度报告的“结转下年度继续办理”", severity="warning",
             lhs=(f"t3.上年结转.{col.id}",), rhs=(_prev(f"t3.结转下年度.{col.id}"),), variant=col.id,
             params=(("previous", NEW),), source="T3-6")
        for col in catalog.columns("t3")
    ]


def _pending_cases() -> list[Rule]:
    return [
        Rule("years.t4_pending", NEW, "cross_year", "years_at_least",
             "表四本年总计不应少于上一年度报告的“尚未审结”（上年未审结的案件今年或审结、或仍未审结）",
             severity="warning", lhs=(f"t4.{row.id}.总计",), rhs=(_prev(f"t4.{row.id}.尚未审结"),),
             variant=row.label, params=(("previous", NEW),), source="T4-4")
        for row in catalog.rows("t4")
    ]


def _stock() -> list[Rule]:
    out = []
    for row in ("规章", "行政规范性文件"):
        out.append(Rule("years.t2_stock", Y2021, "cross_year", "years_equal",
                        "表二现行有效件数应等于上一年度的现行有效件数加本年制发减本年废止", severity="warning",
                        lhs=(f"t2.{row}.现行有效",),
                        rhs=(_prev(f"t2.{row}.现行有效"), f"t2.{row}.本年制发", f"-t2.{row}.本年废止"),
                        variant=row, params=(("previous", Y2021),), source="T2-3"))
    for row in ("行政许可", "其他对外管理服务事项", "行政处罚", "行政强制", "行政事业性收费"):
        out.append(Rule("years.t2_items", Y2019, "cross_year", "years_equal",
                        "表二上一年项目数量应等于上一年度报告的上一年项目数量加本年增/减", severity="warning",
                        lhs=(f"t2.{row}.上年项目数",),
                        rhs=(_prev(f"t2.{row}.上年项目数"), _prev(f"t2.{row}.本年增减")),
                        variant=row, params=(("previous", Y2019),), source="T2o-3"))
    return out


def _cumulative() -> list[Rule]:
    old = frozenset({"2008"})
    return [Rule("years.old_cumulative", old, "cross_year", "years_equal",
                 "历年累计数应等于上一年度报告的历年累计数加本年数", severity="warning",
                 lhs=(f"old.{row.id}.历年累计",), rhs=(_prev(f"old.{row.id}.历年累计"), f"old.{row.id}"),
                 variant=row.label, params=(("previous", old),), source="历年累计列")
            for row in old_flow_rows()]


def _copied() -> list[Rule]:
    return [Rule("years.same_table", frozenset({t}), "cross_year", "years_same_tables", "表格数字与上年相同",
                 severity="warning", params=(("previous", frozenset({t})), ("min_nonzero", 8)), source="C.6-4")
            for t in sorted(ALL)]


def _copied_text() -> list[Rule]:
    return [Rule("years.same_text", ALL, "cross_year", "years_same_text", "正文与上年雷同", severity="warning",
                 params=(("previous", ALL), ("min_similarity", COPIED)), source="C.6-4")]


def register() -> None:
    add(*_carry_over(), *_pending_cases(), *_stock(), *_cumulative(), *_copied(), *_copied_text())
