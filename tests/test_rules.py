"""Every rule of the registry fires on a value set that breaks it and stays quiet on one that keeps it."""

from __future__ import annotations

from datetime import date

import pytest

from extractor.rules import RULES, validate
from extractor.rules.registry import Rule
from schemas.results import Evidence, ReportMeta, Value

ARITH = [r for r in RULES if r.check in ("equal", "at_most", "at_least", "each_at_most")]


def _v(key: str, value, status: str = "number") -> Value:
    return Value(key=key, value=value, status=status, raw="" if value is None else str(value))


def _values(numbers: dict[str, float]) -> dict[str, Value]:
    return {k: _v(k, n) for k, n in numbers.items()}


def _consistent(rule: Rule) -> dict[str, float]:
    """The smallest value set that satisfies the rule: parts of 2 (minus terms 1), totals their sum."""
    nums: dict[str, float] = {}
    rhs_total = 0
    for term in rule.rhs:
        key = term.lstrip("?-")
        value = 1 if term.lstrip("?").startswith("-") else 2
        nums[key] = value
        rhs_total += -value if term.lstrip("?").startswith("-") else value
    if "provincial" in rule.table_forms:
        nums["old.申诉"] = 0  # a row only a province's shorter table prints: the table's form
    if rule.check == "each_at_most":
        nums[rule.lhs[0]] = 10
        return nums
    nums[rule.lhs[0].lstrip("?-")] = rhs_total
    for term in rule.lhs[1:]:
        nums[term.lstrip("?-")] = 0
    return nums


def _broken(rule: Rule) -> dict[str, float]:
    nums = _consistent(rule)
    lhs = rule.lhs[0]
    if rule.check == "equal":
        nums[lhs] += 1
    elif rule.check == "at_most":
        nums[lhs] += 1000
    elif rule.check == "at_least":
        nums[lhs] -= 1
    elif rule.check == "each_at_most":
        nums[rule.rhs[0].lstrip("?-")] = 11
    return nums


def _findings_of(rule: Rule, numbers: dict[str, float]):
    template = min(rule.templates)
    found = validate(_values(numbers), template=template)
    return [f for f in found if f.rule == rule.id and rule.lhs[0].lstrip("?-") in f.keys
            and f.detail.get("variant", rule.variant) == rule.variant]


@pytest.mark.parametrize("rule", ARITH, ids=lambda r: f"{r.id}[{r.variant}]{'/'.join(sorted(r.templates))}")
def test_rule_quiet_when_identity_holds(rule):
    assert _findings_of(rule, _consistent(rule)) == []


@pytest.mark.parametrize("rule", ARITH, ids=lambda r: f"{r.id}[{r.variant}]{'/'.join(sorted(r.templates))}")
def test_rule_fires_when_identity_breaks(rule):
    found = _findings_of(rule, _broken(rule))
    assert len(found) == 1
    assert found[0].category == "report" and found[0].message


def test_soft_direction_is_a_warning_other_direction_an_error():
    base = {"old.申请.当面": 2, "old.申请.传真": 0, "old.申请.网络": 1, "old.申请.信函": 0}
    more = validate(_values({**base, "old.收到申请数": 5}), template="2008")
    less = validate(_values({**base, "old.收到申请数": 2}), template="2008")
    assert [f.severity for f in more if f.rule == "old.applications_sum"] == ["warning"]
    assert [f.severity for f in less if f.rule == "old.applications_sum"] == ["error"]


def test_optional_channel_counts_when_printed():
    base = {"old.申请.当面": 2, "old.申请.传真": 0, "old.申请.网络": 1, "old.申请.信函": 0, "old.收到申请数": 5}
    assert [f for f in validate(_values({**base, "old.申请.电子邮件": 2}), template="2008")
            if f.rule == "old.applications_sum"] == []


def test_blank_total_is_shown_not_filled():
    vals = _values({f"t4.复议.{c}": n for c, n in (("维持", 2), ("纠正", 1), ("其他", 0), ("尚未审结", 0))})
    vals["t4.复议.总计"] = _v("t4.复议.总计", None, "blank")
    found = [f for f in validate(vals, template="2021") if f.keys and f.keys[0] == "t4.复议.总计"]
    assert [f.rule for f in found] == ["value.blank_total"]
    assert found[0].severity == "warning" and found[0].expected == 3
    assert vals["t4.复议.总计"].value is None  # never overwritten


def test_blank_parts_count_as_zero_and_are_named():
    vals = _values({"old.复议": 10, "old.复议.维持": 10})
    vals["old.复议.纠错"] = _v("old.复议.纠错", None, "blank")
    vals["old.复议.其他"] = _v("old.复议.其他", None, "dash")
    assert [f for f in validate(vals, template="2008") if f.rule == "old.review_sum"] == []
    vals["old.复议"] = _v("old.复议", 11)
    f = next(f for f in validate(vals, template="2008") if f.rule == "old.review_sum")
    assert "空白" in f.message and set(f.detail["blank_keys"]) == {"old.复议.纠错", "old.复议.其他"}


def test_ambiguous_value_is_not_checked():
    vals = _values({"old.复议.维持": 10, "old.复议.纠错": 0, "old.复议.其他": 0})
    vals["old.复议"] = Value(key="old.复议", value=None, status="text", raw="1 0", candidates=[[10], [1]])
    assert [f for f in validate(vals, template="2008") if f.rule == "old.review_sum"] == []


def test_range_negative_and_fractional_counts():
    vals = _values({"t3.本年新收.自然人": -1, "t2.行政许可.处理决定数量": 2.5, "t2.行政事业性收费.收费金额": 12.5})
    rules = sorted(f.rule for f in validate(vals, template="2021") if f.kind == "range")
    assert rules == ["value.negative", "value.not_integer"]
    signed = _values({"t2.行政许可.本年增减": -8})
    assert [f for f in validate(signed, template="2019") if f.kind == "range"] == []


def test_fee_in_yuan_is_flagged_as_implausible():
    assert [f.rule for f in validate(_values({"t2.行政事业性收费.收费金额": 316441}), template="2021")
            if f.kind == "range"] == ["t2.fee_plausible"]
    assert [f for f in validate(_values({"t2.行政事业性收费.收费金额": 7730.28}), template="2021")
            if f.kind == "range"] == []


def _prose(key: str, value: int, sentence: str) -> dict[str, Value]:
    return {key: Value(key=key, value=value, evidence=[Evidence(kind="prose", text=sentence)])}


def test_prose_against_table():
    table = _values({"old.诉讼.其他": 3})
    same = validate(table, _prose("old.诉讼.其他", 3, "其他情形3件。"), template="2008")
    assert [f for f in same if f.kind == "prose"] == []
    differ = validate(table, _prose("old.诉讼.其他", 1, "其他情形1件。"), template="2008")
    assert [(f.rule, f.severity, f.actual, f.expected) for f in differ if f.kind == "prose"] == [
        ("prose.mismatch", "error", 1, 3)]


def test_prose_with_another_scope_is_a_warning_that_says_so():
    table = _values({"t3.本年新收.总计": 95, "t3.上年结转.总计": 0})
    found = validate(table, _prose("t3.本年新收.总计", 17, "区政府办代表区政府受理政府信息公开申请17件"),
                     template="2021")
    assert [(f.rule, f.severity) for f in found] == [("prose.scope", "warning")]
    assert "口径" in found[0].message


def test_prose_counting_carry_over_is_consistent():
    table = _values({"t3.本年新收.总计": 859, "t3.上年结转.总计": 18})
    assert validate(table, _prose("t3.本年新收.总计", 877, "共受理申请877件"), template="2021") == []


def test_prose_zero_against_blank_table_cell_is_consistent():
    table = {"old.答复.部分公开": _v("old.答复.部分公开", None, "blank")}
    assert validate(table, _prose("old.答复.部分公开", 0, "“同意部分公开”的0件"), template="2008") == []


def test_prose_group_total_against_its_parts():
    table = _values({"t3.予以公开.总计": 12, "t3.部分公开.总计": 4})
    ok = validate(table, _prose("t3.予以公开+部分公开.总计", 16, "予以公开及部分公开16件"), template="2021")
    bad = validate(table, _prose("t3.予以公开+部分公开.总计", 15, "予以公开及部分公开15件"), template="2021")
    assert ok == [] and [f.rule for f in bad] == ["prose.mismatch"]


# ----------------------------------------------------------------------------- metadata
def _meta(**kw) -> ReportMeta:
    base = {"year": 2022, "title_year": 2022, "template": "2021", "template_evidence": ["本年制发件数"],
                "period_start": date(2022, 1, 1), "period_end": date(2022, 12, 31),
                "sections": ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                          "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"],
                "fee_statement": "本机关未收取信息处理费。", "published": date(2023, 1, 20)}
    base.update(kw)
    return ReportMeta(**base)


def _meta_rules(meta: ReportMeta, text: str = "") -> list[str]:
    return [f.rule for f in validate({}, meta=meta, text=text) if f.kind == "metadata"]


def test_metadata_quiet_on_a_proper_report():
    assert _meta_rules(_meta()) == []


def test_metadata_year_mismatch():
    assert _meta_rules(_meta(title_year=2023)) == ["meta.year"]
    assert _meta_rules(_meta(), text="政府信息公开情况统计表(2021年度)") == ["meta.year"]


def test_metadata_wrong_template_for_year():
    assert _meta_rules(_meta(template="2019", template_evidence=["本年新制作数量"])) == ["meta.template_year"]
    assert _meta_rules(_meta(year=2018, title_year=2018, period_start=date(2018, 1, 1), period_end=date(2018, 12, 31),
                             published=date(2019, 3, 1))) == ["meta.template_year"]


def test_metadata_missing_sections_and_fee_statement():
    meta = _meta(sections=["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"],
                 fee_statement=None)
    assert sorted(_meta_rules(meta)) == ["meta.fee_statement", "meta.sections"]
    f = next(f for f in validate({}, meta=meta) if f.rule == "meta.sections")
    assert f.detail["missing"] == ["四", "五", "六"]


def test_metadata_publication_dates():
    assert _meta_rules(_meta(published=date(2022, 12, 1))) == ["meta.published"]
    late = validate({}, meta=_meta(published=date(2023, 5, 1)))
    assert [(f.rule, f.severity) for f in late] == [("meta.published", "warning")]


def test_prose_figure_no_split_of_the_table_gives_is_a_mismatch():
    """The table's digits ran together and stay open (69/3/665 or 6/93/665 …); the narrative's 70 is none of
    the readings of the cell, so the narrative and the table disagree whatever the split."""
    open_cell = Value(key="t2.行政规范性文件.本年制发", value=None, status="text", raw="693665",
                      candidates=[[69, 3, 665], [6, 93, 665]], choices=[6, 69])
    prose = {"t2.行政规范性文件.本年制发": _v("t2.行政规范性文件.本年制发", 70)}
    found = [f for f in validate({open_cell.key: open_cell}, prose, template="2021") if f.rule == "prose.mismatch"]
    assert len(found) == 1 and found[0].detail["choices"] == [6, 69]
    prose_ok = {"t2.行政规范性文件.本年制发": _v("t2.行政规范性文件.本年制发", 69)}
    assert [f for f in validate({open_cell.key: open_cell}, prose_ok, template="2021") if f.rule == "prose.mismatch"] == []
