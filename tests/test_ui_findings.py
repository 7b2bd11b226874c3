"""Findings as the reviewer reads them (ui/findings.py): ids, titles with row names, equations, edits."""

from __future__ import annotations

import pytest

import extractor
from extractor.store import finding_key_of
from tests.conftest import SEED_TXT, real_pdf
from ui import findings


def _values(result) -> dict:
    return {k: v.value for k, v in result.values.items()}


def test_the_two_2023_table_four_findings_are_told_apart_by_their_rows() -> None:
    result = extractor.extract(real_pdf("2023-huaian-hongze-district"))
    found = findings.views(result, _values(result), {})
    assert [(v.title, v.equation) for v in found] == [
        ("表四 行政复议：总计 ≠ 结果维持＋结果纠正＋其他结果＋尚未审结", "0 ≠ 10+1+0+0 = 11"),
        ("表四 行政诉讼·复议后起诉：总计 ≠ 结果维持＋结果纠正＋其他结果＋尚未审结", "0 ≠ 5+0+0+0 = 5"),
    ]
    assert all("t4." not in v.title and "group_total" not in v.title for v in found)
    assert len({v.id for v in found}) == 2 and all(len(v.id) == 10 for v in found)


def test_the_seed_findings_show_blanks_as_blank_not_zero() -> None:
    result = extractor.extract(SEED_TXT)
    found = {v.finding.rule: v for v in findings.views(result, _values(result), {})}
    assert found["old.channels_upper"].equation == "42658 > 空+42092+202+空+348 = 42642"
    assert found["old.responses_sum"].equation == "312 ≠ 4+1+6+空+329 = 340"
    assert found["prose.mismatch"].title == "正文与表格不一致：行政诉讼数量·其他情形数"
    assert found["prose.mismatch"].equation == "正文 1，表格 3"


def test_an_edit_settles_one_finding_and_raises_another_and_the_equation_uses_the_edit() -> None:
    result = extractor.extract(SEED_TXT)
    values = _values(result)
    values["old.回应解读总数"] = 340  # 4 + 1 + 6 + blank + 329
    values["old.复议"] = 12  # breaks 复议 = 维持 10 + 纠错 + 其他
    found = findings.views(result, values, {}, text=SEED_TXT.read_text(encoding="utf-8"), edited=True)
    by_rule = {v.finding.rule: v for v in found if not v.raised_by_edit}
    settled = by_rule["old.responses_sum"]
    assert settled.settled_by_edit and not settled.open and settled.equation == "340 = 4+1+6+空+329 = 340"
    raised = sorted(v.finding.rule for v in found if v.raised_by_edit)
    assert raised == ["old.review_sum", "prose.mismatch"]
    assert [v.finding.rule for v in findings.open_errors(found)].count("old.review_sum") == 1


def test_ids_are_stable_and_decisions_close_findings() -> None:
    from datetime import UTC, datetime

    from extractor.store import FindingDecisionRow

    result = extractor.extract(SEED_TXT)
    first = findings.views(result, _values(result), {})
    again = findings.views(extractor.extract(SEED_TXT), _values(result), {})
    assert [v.id for v in first] == [v.id for v in again]
    f = first[0].finding
    decision = FindingDecisionRow(id=1, document_id=1, extraction_id=1, rule=f.rule, keys=sorted(f.keys),
                                  finding_key=finding_key_of(f), decision="dismissed", reason="笔误", who="张三",
                                  created_at=datetime.now(UTC))
    decided = findings.views(result, _values(result), {finding_key_of(f): decision})
    assert not decided[0].open and decided[0].decision.reason == "笔误"
    assert len(findings.open_errors(decided)) == len(findings.open_errors(first)) - 1


@pytest.mark.parametrize("rule", ["t4.group_total", "meta.year", "nonexistent.rule"])
def test_rule_titles_are_chinese_or_the_id_when_unknown(rule: str) -> None:
    title = findings.rule_title(rule)
    assert title == rule if rule.startswith("nonexistent") else any("\u4e00" <= c <= "\u9fff" for c in title)
