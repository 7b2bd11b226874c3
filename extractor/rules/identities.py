"""The arithmetic rules of every template, as data (research/templates.md section C)."""

from __future__ import annotations

from extractor.rules.registry import Rule, add
from extractor.text import core
from schemas import catalog

NEW = frozenset({"2019", "2021"})
Y2019 = frozenset({"2019"})
Y2021 = frozenset({"2021"})
OLD = frozenset({"2008"})
ALL = frozenset({"2008", "2019", "2021"})

T3_COLS = [c.id for c in catalog.columns("t3")]
T3_PARTS = T3_COLS[:-1]


def _t3_results(template: str, col: str, other_split: bool) -> tuple[str, ...]:
    items = ["予以公开", "部分公开"]
    for group in ("不予公开", "无法提供", "不予处理"):
        items += catalog.t3_item_rows(template, group)
    items += ["其他处理.1", "其他处理.2", "其他处理.3"] if other_split else ["其他处理"]
    return tuple(f"t3.{r}.{col}" for r in items)


def _t3_rules() -> list[Rule]:
    out: list[Rule] = []
    for col in T3_COLS:
        out.append(Rule("t3.balance", NEW, "sum", "equal",
                        "表三勾稽关系（第一项加第二项之和应等于第三项加第四项之和）",
                        lhs=(f"t3.本年新收.{col}", f"t3.上年结转.{col}"),
                        rhs=(f"t3.办理结果总计.{col}", f"t3.结转下年度.{col}"), variant=col, source="T3-1"))
        for template in ("2019", "2021"):
            out.append(Rule("t3.results_total", frozenset({template}), "sum", "equal",
                            "表三（七）总计应等于（一）至（六）各项之和",
                            lhs=(f"t3.办理结果总计.{col}",), rhs=_t3_results(template, col, False),
                            variant=col, source="T3-2"))
        out.append(Rule("t3.results_total", Y2021, "sum", "equal", "表三（七）总计应等于（一）至（六）各项之和",
                        lhs=(f"t3.办理结果总计.{col}",), rhs=_t3_results("2021", col, True),
                        variant=col, source="T3-2"))
        for group in ("不予公开", "无法提供", "不予处理"):
            out.append(Rule("t3.group_subtotal", NEW, "sum", "equal", f"表三“{group}”小计应等于其各项之和",
                            lhs=(f"t3.{group}.{col}",),
                            rhs=tuple(f"t3.{r}.{col}" for r in catalog.t3_item_rows("2021", group)),
                            variant=col, source="T3-3"))
        out.append(Rule("t3.group_subtotal", Y2021, "sum", "equal", "表三“其他处理”小计应等于其各项之和",
                        lhs=(f"t3.其他处理.{col}",),
                        rhs=tuple(f"t3.其他处理.{i}.{col}" for i in (1, 2, 3)), variant=col, source="T3-3"))
    for row in catalog.rows("t3"):
        if row.header_only:
            continue
        out.append(Rule("t3.row_total", row.templates, "sum", "equal", "表三每行“总计”应等于各类申请人之和",
                        lhs=(f"t3.{row.id}.总计",), rhs=tuple(f"t3.{row.id}.{c}" for c in T3_PARTS),
                        variant=_short(row.label), source="T3-4"))
    return out


def _short(label: str) -> str:
    return core(label)


def _t4_rules() -> list[Rule]:
    cols = [c.id for c in catalog.columns("t4")]
    return [
        Rule("t4.group_total", NEW, "sum", "equal", "表四“总计”应等于结果维持、结果纠正、其他结果、尚未审结之和",
             lhs=(f"t4.{r.id}.总计",), rhs=tuple(f"t4.{r.id}.{c}" for c in cols[:-1]), variant=r.label,
             source="T4-1")
        for r in catalog.rows("t4")
    ]


def _t2_rules() -> list[Rule]:
    out = []
    for row in ("规章", "行政规范性文件"):
        out.append(Rule("t2.stock", Y2021, "inequality", "at_least", "表二现行有效件数不应小于本年制发减本年废止",
                        lhs=(f"t2.{row}.现行有效",), rhs=(f"t2.{row}.本年制发", f"-t2.{row}.本年废止"),
                        variant=row, source="T2-2"))
        out.append(Rule("t2.stock", Y2019, "inequality", "at_least", "表二对外公开总数量不应小于本年新公开数量",
                        lhs=(f"t2.{row}.对外公开总数",), rhs=(f"t2.{row}.本年新公开",), variant=row, source="T2o-1"))
    return out


_CH = ("old.渠道.政府公报", "old.渠道.政府网站", "old.渠道.政务微博", "old.渠道.政务微信", "old.渠道.其他")
_RESP = ("old.新闻发布会", "old.在线访谈", "old.政策解读稿件", "old.微博微信回应", "old.其他方式回应")


def _old_rules() -> list[Rule]:
    r = Rule
    return [
        r("old.channels_upper", OLD, "inequality", "at_most",
          "主动公开政府信息数（不同渠道公开相同信息计1条）不应超过各渠道公开数之和",
          lhs=("old.主动公开数",), rhs=_CH, source="O-1"),
        r("old.channels_lower", OLD, "inequality", "each_at_most", "单一渠道公开数不应超过主动公开政府信息数",
          severity="warning", lhs=("old.主动公开数",), rhs=_CH, source="O-1"),
        r("old.normative_le_total", OLD, "inequality", "at_most", "主动公开规范性文件数不应超过主动公开政府信息数",
          lhs=("old.主动公开规范性文件数",), rhs=("old.主动公开数",), source="O-2"),
        r("old.normative_le_issued", OLD, "inequality", "at_most", "主动公开规范性文件数通常不超过制发规范性文件总数",
          severity="warning", lhs=("old.主动公开规范性文件数",), rhs=("old.制发规范性文件总数",), source="O-3"),
        r("old.hotspots_le_responses", OLD, "inequality", "at_most", "回应热点舆情数通常不超过各方式回应次数之和",
          severity="warning", lhs=("old.回应热点舆情数",), rhs=_RESP, source="O-4"),
        r("old.responses_sum", OLD, "sum", "equal", "“通过不同渠道和方式回应解读的情况”应等于其下 1–5 项之和（“其中”行不计入）",
          lhs=("old.回应解读总数",), rhs=_RESP, source="O-4"),
        r("old.leader_press", OLD, "inequality", "at_most", "主要负责同志参加新闻发布会次数不应超过新闻发布会总次数",
          lhs=("old.新闻发布会.主要负责同志",), rhs=("old.新闻发布会",), source="O-5"),
        r("old.leader_interview", OLD, "inequality", "at_most", "主要负责同志参加在线访谈次数不应超过在线访谈次数",
          lhs=("old.在线访谈.主要负责同志",), rhs=("old.在线访谈",), source="O-5"),
        r("old.applications_sum", OLD, "sum", "equal", "收到申请数应等于各申请方式之和",
          lhs=("old.收到申请数",),
          rhs=("old.申请.当面", "old.申请.传真", "old.申请.网络", "old.申请.信函", "?old.申请.电子邮件",
               "?old.申请.其他形式", "?old.申请.信函传真"),
          params=(("soft", "gt"),), source="O-6"),
        r("old.closed_sum", OLD, "sum", "equal", "申请办结数应等于按时办结数加延期办结数",
          lhs=("old.办结数",), rhs=("old.办结.按时", "old.办结.延期"), source="O-7"),
        r("old.replies_sum", OLD, "sum", "equal", "申请答复数应等于各类答复之和",
          lhs=("old.答复数",),
          rhs=("old.答复.已主动公开", "old.答复.同意公开", "old.答复.部分公开", "old.答复.不同意公开",
               "old.答复.非本机关", "old.答复.信息不存在", "old.答复.更改补充", "old.答复.其他途径",
               "?old.答复.其他类型"), source="O-8"),
        r("old.refusal_reasons", OLD, "sum", "equal", "不同意公开答复数应等于其下各项理由之和",
          lhs=("old.答复.不同意公开",),
          rhs=("old.不同意.国家秘密", "old.不同意.商业秘密", "old.不同意.个人隐私", "old.不同意.三安全一稳定",
               "old.不同意.非政府信息", "old.不同意.其他情形"),
          params=(("soft", "lt"),), source="O-9"),
        r("old.closed_le_received", OLD, "inequality", "at_most", "申请办结数明显多于收到申请数（表中没有上年结转行）",
          severity="warning", lhs=("old.办结数",), rhs=("old.收到申请数",),
          params=(("slack", 0.2), ("slack_abs", 5)), source="O-10"),
        r("old.review_sum", OLD, "sum", "equal", "行政复议数量应等于维持、纠错、其他情形之和",
          lhs=("old.复议",), rhs=("old.复议.维持", "old.复议.纠错", "old.复议.其他"), source="O-11"),
        r("old.litigation_sum", OLD, "sum", "equal", "行政诉讼数量应等于维持、纠错、其他情形之和",
          lhs=("old.诉讼",), rhs=("old.诉讼.维持", "old.诉讼.纠错", "old.诉讼.其他"), source="O-11"),
        r("old.staff_sum", OLD, "sum", "equal", "从事政府信息公开工作人员数应等于专职加兼职人员数",
          lhs=("old.工作人员",), rhs=("old.工作人员.专职", "old.工作人员.兼职"), source="O-12"),
        r("old.training", OLD, "inequality", "at_least", "接受培训人员数不应少于举办培训班数",
          severity="warning", lhs=("old.培训人次",), rhs=("old.培训班数",), params=(("when_positive", "old.培训班数"),),
          source="O-14"),
    ]


PROVINCIAL = frozenset({"provincial"})
# the provincial tables' parts and wholes: a whole and the rows printed under it with 其中
_PROVINCIAL_PARTS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("主动公开数", ("渠道.政府网站", "渠道.政府公报"), False),  # two channels of several: each at most the whole
    ("收到申请数", ("申请.当面", "申请.传真", "申请.电子邮件", "申请.网络", "申请.信函", "申请.其他形式", "申请.信函传真"), True),
    ("答复数", ("答复.同意公开", "答复.部分公开", "答复.不同意公开", "答复.其他类型"), True),
)


def _provincial_rules() -> list[Rule]:
    """The Fujian-style tables: each 其中 row at most its whole; where the parts are every kind, their sum."""
    out = []
    for column, tail in (("本年", ""), ("历年累计", ".历年累计")):
        for whole, parts, exhaustive in _PROVINCIAL_PARTS:
            lhs = (f"old.{whole}{tail}",)
            rhs = tuple(f"?old.{p}{tail}" for p in parts)
            out.append(Rule("old.part_le_whole", OLD, "inequality", "each_at_most", "“其中”各项不应超过其总数",
                            lhs=lhs, rhs=rhs, variant=f"{_short(catalog.field(lhs[0]).row.label)}·{column}",
                            params=(("decides", True),), source="福建简表", table_forms=PROVINCIAL))
            if exhaustive:
                out.append(Rule("old.parts_sum", OLD, "sum", "equal", "总数应等于“其中”各项之和",
                                lhs=lhs, rhs=rhs, variant=f"{_short(catalog.field(lhs[0]).row.label)}·{column}",
                                source="福建简表", table_forms=PROVINCIAL))
    return out


# rows counting what happened in the year; a 历年累计 of them adds up year by year (the rest are stocks)
OLD_STOCK_ROWS = frozenset({"专门机构数", "查阅点数", "工作人员", "工作人员.专职", "工作人员.兼职"})


def old_flow_rows() -> list[catalog.RowSpec]:
    """The old table's rows whose 历年累计 column, when printed, accumulates the yearly figure."""
    return [r for r in catalog.rows("old") if not r.header_only and r.id not in OLD_STOCK_ROWS]


def _cumulative_twins() -> list[Rule]:
    """The old table's identities over its 历年累计 column: every year's figures keep them, so their sums do.

    Warnings (a cumulative column is often restated or carried from another count), but they decide a split
    of run-together digits just as the year's identities do.
    """
    out = []
    for rule in _old_rules():
        if rule.check not in ("equal", "at_most", "each_at_most") or rule.param("slack") is not None:
            continue
        twin = tuple(t.replace("old.", "old.", 1) + ".历年累计" for t in rule.lhs)
        rhs = tuple(t + ".历年累计" for t in rule.rhs)
        out.append(Rule(rule.id, OLD, rule.kind, rule.check, f"历年累计列：{rule.title}", severity="warning",
                        lhs=twin, rhs=rhs, variant="历年累计", params=(*rule.params, ("decides", True)),
                        source=rule.source, table_forms=rule.table_forms))
    return out


def _cumulative_rules() -> list[Rule]:
    return [Rule("old.cumulative", OLD, "inequality", "at_least", "历年累计数不应小于本年数",
                 lhs=(f"old.{row.id}.历年累计",), rhs=(f"old.{row.id}",), variant=_short(row.label),
                 source="历年累计列")
            for row in old_flow_rows()]


def _value_rules() -> list[Rule]:
    return [Rule("value.range", ALL, "range", "range", "取值范围", params=(("fee_max", 200000),),
                 source="T2-1/T3-5/T4-2/O-13")]


def _prose_rules() -> list[Rule]:
    derived = (
        ("t3.予以公开+部分公开.总计", ("t3.予以公开.总计", "t3.部分公开.总计")),
        ("t4.诉讼.总计", ("t4.诉讼未经复议.总计", "t4.诉讼复议后.总计")),
        ("t4.复议+诉讼.总计", ("t4.复议.总计", "t4.诉讼未经复议.总计", "t4.诉讼复议后.总计")),
    )
    alternates = (("t3.本年新收.总计", ("t3.本年新收.总计", "t3.上年结转.总计")),)
    return [Rule("prose.mismatch", ALL, "prose", "prose_equals", "正文与表格数字一致",
                 params=(("derived", derived), ("alternates", alternates)), source="O-15/T3-7/T4-3/T2-5")]


def register() -> None:
    add(*_t3_rules(), *_t4_rules(), *_t2_rules(), *_old_rules(), *_provincial_rules(), *_cumulative_twins(), *_cumulative_rules(), *_value_rules(),
        *_prose_rules())
