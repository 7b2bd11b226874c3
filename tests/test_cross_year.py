"""Cross-year rules: one agency's report against its report of the year before."""

from __future__ import annotations

import pytest

from evals.generator import generate
from extractor.rules import PREVIOUS, RULES, validate, validate_years
from schemas.results import Number, ReportMeta, Result, Value
from tests.conftest import real_pdf

T3_COLS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")


def _result(numbers: dict[str, Number | None], template: str, year: int) -> Result:
    values = {k: Value(key=k, value=n, status="number" if n is not None else "blank", raw="" if n is None else str(n))
              for k, n in numbers.items()}
    return Result(meta=ReportMeta(agency="某市某区人民政府", year=year, template=template), values=values)  # type: ignore[arg-type]


def _next_year(before: dict[str, Number | None], template: str, seed: int) -> dict[str, Number | None]:
    """Another generated report whose carried-over figures agree with ``before``."""
    after = dict(generate(seed, template).values)
    for col in T3_COLS:
        after[f"t3.上年结转.{col}"] = before[f"t3.结转下年度.{col}"]
    if template == "2021":
        for row in ("规章", "行政规范性文件"):
            made, repealed = after[f"t2.{row}.本年制发"] or 0, after[f"t2.{row}.本年废止"] or 0
            after[f"t2.{row}.现行有效"] = (before.get(f"t2.{row}.现行有效") or 0) + made - repealed
    else:
        for row in ("行政许可", "其他对外管理服务事项", "行政处罚", "行政强制", "行政事业性收费"):
            after[f"t2.{row}.上年项目数"] = (before.get(f"t2.{row}.上年项目数") or 0) + (before.get(f"t2.{row}.本年增减") or 0)
    for row in ("复议", "诉讼未经复议", "诉讼复议后"):
        after[f"t4.{row}.总计"] = max(after[f"t4.{row}.总计"] or 0, before[f"t4.{row}.尚未审结"] or 0)
    return after


def _consistent_years(seed: int, template: str, next_template: str | None = None) -> tuple[dict, dict]:
    """Two years that agree, without blanks (so every rule is checkable): generated ``seed`` and ``seed + 1``."""
    before = {k: 0 if v is None else v for k, v in generate(seed, template).values.items()}
    after = {k: 0 if v is None else v for k, v in _next_year(before, next_template or template, seed + 1).items()}
    return before, after


@pytest.fixture(params=["2019", "2021"])
def pair(request: pytest.FixtureRequest) -> tuple[dict, dict, str]:
    return (*_consistent_years(11, request.param), request.param)


def _rules(findings) -> list[tuple[str, str]]:
    return sorted((f.rule, (f.detail or {}).get("variant") or (f.detail or {}).get("table", "")) for f in findings)


def test_consistent_years_raise_nothing(pair: tuple[dict, dict, str]) -> None:
    before, after, template = pair
    assert validate_years(_result(after, template, 2022), _result(before, template, 2021)) == []


def test_carry_over_mismatch_is_a_warning_naming_both_reports(pair: tuple[dict, dict, str]) -> None:
    before, after, template = pair
    after["t3.上年结转.自然人"] = (after["t3.上年结转.自然人"] or 0) + 2
    found = validate_years(_result(after, template, 2022), _result(before, template, 2021))
    assert _rules(found) == [("years.t3_carry_over", "自然人")]
    f = found[0]
    assert f.severity == "warning" and f.kind == "cross_year"
    assert f.keys == ["t3.上年结转.自然人", PREVIOUS + "t3.结转下年度.自然人"]
    assert (f.actual, f.expected) == (after["t3.上年结转.自然人"], before["t3.结转下年度.自然人"])
    assert "〔上年报告〕结转下年度继续办理" in f.message


def test_blank_in_last_years_report_is_not_taken_as_zero(pair: tuple[dict, dict, str]) -> None:
    before, after, template = pair
    before["t3.结转下年度.自然人"] = None
    after["t3.上年结转.自然人"] = 5
    assert validate_years(_result(after, template, 2022), _result(before, template, 2021)) == []


def test_pending_cases_last_year_bound_this_years_total(pair: tuple[dict, dict, str]) -> None:
    before, after, template = pair
    before["t4.复议.尚未审结"] = 7
    after["t4.复议.总计"] = 3
    found = validate_years(_result(after, template, 2022), _result(before, template, 2021))
    assert _rules(found) == [("years.t4_pending", "行政复议")]
    assert (found[0].actual, found[0].expected) == (3, 7)


def test_stock_of_regulations_follows_last_years_stock() -> None:
    before, after = _consistent_years(21, "2021")
    after["t2.行政规范性文件.现行有效"] += 2
    found = validate_years(_result(after, "2021", 2024), _result(before, "2021", 2023))
    assert _rules(found) == [("years.t2_stock", "行政规范性文件")]
    assert found[0].actual - found[0].expected == 2
    assert "−行政规范性文件·本年废止件数" in found[0].message  # the repealed count is subtracted, and shown so


def test_item_counts_of_the_2019_format_carry_forward() -> None:
    before, after = _consistent_years(31, "2019")
    after["t2.行政处罚.上年项目数"] += 1
    found = validate_years(_result(after, "2019", 2020), _result(before, "2019", 2019))
    assert _rules(found) == [("years.t2_items", "行政处罚")]


def test_2019_format_followed_by_2021_format_checks_what_both_have() -> None:
    before, after = _consistent_years(41, "2019", "2021")
    after["t2.规章.现行有效"] = 999  # no 现行有效 in the 2019 format: nothing to compare with
    after["t3.上年结转.总计"] = (after["t3.上年结转.总计"] or 0) + 1
    found = validate_years(_result(after, "2021", 2021), _result(before, "2019", 2020))
    assert _rules(found) == [("years.t3_carry_over", "总计")]


@pytest.mark.parametrize("template", ["2008", "2019", "2021"])
def test_a_table_copied_from_last_year_is_flagged(template: str) -> None:
    def nonzero(numbers: dict[str, Number | None]) -> dict[str, int]:
        out: dict[str, int] = {}
        for k, v in numbers.items():
            out[k.split(".")[0]] = out.get(k.split(".")[0], 0) + bool(v)
        return out

    # a report with some applications (many generated ones, like many real ones, have none)
    numbers = next(v for s in range(51, 90) if max(nonzero(v := generate(s, template).values).values()) >= 8)
    found = validate_years(_result(numbers, template, 2016 if template == "2008" else 2022),
                           _result(numbers, template, 2015 if template == "2008" else 2021))
    copied = {f.detail["table"] for f in found if f.rule == "years.same_table"}
    assert copied == {t for t, n in nonzero(numbers).items() if n >= 8}
    assert all(f.severity == "warning" for f in found)


def test_identical_tables_of_mostly_zeros_are_not_copies() -> None:
    numbers: dict[str, Number | None] = {f"t4.复议.{c}": 0 for c in ("维持", "纠正", "其他", "尚未审结", "总计")}
    numbers["t4.复议.维持"] = numbers["t4.复议.总计"] = 1
    found = validate_years(_result(numbers, "2021", 2022), _result(numbers, "2021", 2021))
    assert [f for f in found if f.rule == "years.same_table"] == []


def test_one_report_alone_never_gets_a_cross_year_finding() -> None:
    numbers = generate(61, "2021").values
    values = _result(numbers, "2021", 2022).values
    assert not [f for f in validate(values, template="2021") if f.kind == "cross_year"]
    assert {r.id for r in RULES if r.kind == "cross_year"} == {
        "years.t3_carry_over", "years.t4_pending", "years.t2_stock", "years.t2_items", "years.old_cumulative",
        "years.same_table", "years.same_text"}


def test_real_reports_of_two_years_agree_and_reversed_they_do_not() -> None:
    from extractor.api import extract

    y2023 = extract(real_pdf("2023-huaian-hongze-district"))
    y2024 = extract(real_pdf("2024-huaian-hongze-district"))
    assert validate_years(y2024, y2023) == []  # 上年结转 0 = 0; 现行有效 8 = 5 + 3 − 0
    reversed_ = validate_years(y2023, y2024)
    assert _rules(reversed_) == [("years.t2_stock", "行政规范性文件")]
    assert (reversed_[0].actual, reversed_[0].expected) == (5, 3)  # 5 ≠ 8 + 0 − 5


def test_a_narrative_copied_from_last_year_is_flagged_and_a_rewritten_one_is_not() -> None:
    import random

    from extractor.sketch import sketch_text
    from schemas.results import DocumentInfo

    rng = random.Random(7)
    words = "政府信息公开工作年度报告主动依申请复议诉讼办理结果制度平台建设解读回应会议培训监督考核"
    last = "".join(rng.choice(words) for _ in range(3000))
    rewritten = last[:1000] + "".join(rng.choice(words) for _ in range(2000))

    def report(text: str, year: int) -> Result:
        return Result(meta=ReportMeta(agency="某局", year=year, template="2021"),
                      document=DocumentInfo(text_sketch=sketch_text(text)))

    (copied,) = validate_years(report(last, 2022), report(last, 2021))
    assert copied.rule == "years.same_text" and copied.detail["similarity"] == 1.0
    assert "约 100% 相同" in copied.message
    assert validate_years(report(rewritten, 2022), report(last, 2021)) == []
    assert validate_years(report(last, 2022), report("太短", 2021)) == []  # no sketch: nothing to compare


def test_old_tables_historical_totals_add_up_year_by_year() -> None:
    from extractor.api import extract
    from tests.old_two_columns import two_column_html

    def read(year: int, cumulative, changed=None) -> Result:
        html, _ = two_column_html(4, year, cumulative, changed)
        return extract(html, name=f"{year}.html")

    before = read(2016, lambda v: v * 3 + 11)
    after = read(2017, lambda v: v * 4 + 11)  # the same yearly figures again: last year's total plus them
    assert [f for f in validate_years(after, before) if f.rule == "years.old_cumulative"] == []
    received = before.values["old.收到申请数"].value
    off = read(2017, lambda v: v * 4 + 11, {"（一）收到申请数": received * 4 + 12})
    (found,) = [f for f in validate_years(off, before) if f.rule == "years.old_cumulative"]
    assert found.keys == ["old.收到申请数.历年累计", PREVIOUS + "old.收到申请数.历年累计", "old.收到申请数"]
    assert (found.actual, found.expected) == (received * 4 + 12, received * 4 + 11)
    below = read(2016, lambda v: v * 3 + 11, {"（一）收到申请数": received - 1})
    assert [(f.rule, f.severity) for f in below.findings if f.rule == "old.cumulative"] == [("old.cumulative", "error")]
