"""The official form (ui/form_view.py): the catalog's layout, cell states, group labels, last year's values."""

from __future__ import annotations

import re

import extractor
from schemas.results import Result
from tests.conftest import SEED_TXT, real_pdf
from ui import form_view


def test_form_cells_take_their_status_from_findings_decisions_and_edits() -> None:
    from datetime import UTC, datetime

    from extractor.store import FindingDecisionRow, finding_key_of

    result = extractor.extract(SEED_TXT)
    (form,) = form_view.forms(result)
    assert form.table == "old" and form.show_unit
    assert "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）" in [r.label for r in form.rows]
    values = {k: v.value for k, v in result.values.items()}
    states = form_view.cell_states(result, values, set(), {})
    assert states["old.主动公开数"] == "error" and states["old.诉讼.其他"] == "error" and states["old.复议"] == "plain"
    mismatch = next(f for f in result.findings if f.rule == "prose.mismatch")
    decided = {finding_key_of(mismatch): FindingDecisionRow(
        id=1, document_id=1, extraction_id=1, rule=mismatch.rule, keys=mismatch.keys,
        finding_key=finding_key_of(mismatch), decision="dismissed", reason="正文笔误", who="张三",
        created_at=datetime.now(UTC))}
    values["old.复议"] = 11
    states = form_view.cell_states(result, values, {"old.复议"}, decided)
    assert states["old.诉讼.其他"] == "plain" and states["old.复议"] == "edited"
    html = form_view.form_html(form, result, values, states, {"old.复议"}, involved=set(mismatch.keys),
                               focus="old.复议")
    assert 'data-key="old.复议"' in html and ">11<" in html and 'class="v edited focus"' in html
    assert form_view.cell_text("old.渠道.政府公报", values, result, set()) == ""  # a printed blank stays blank


def test_group_labels_stay_when_the_report_prints_no_subtotal_rows() -> None:
    result = extractor.extract(real_pdf("2023-huaian-hongze-district"))
    t3 = next(f for f in form_view.forms(result) if f.table == "t3")
    labels = [(r.label, r.header, bool(r.keys)) for r in t3.rows]
    for group in ("（三）不予公开", "（四）无法提供", "（五）不予处理"):
        assert (group, True, False) in labels, group  # the group heads its items, with no value of its own
    i = [lab for lab, _, _ in labels].index("（四）无法提供")
    assert labels[i + 1][0] == "1.本机关不掌握相关政府信息"


def test_last_years_values_sit_under_this_years_and_differences_stand_out() -> None:
    result = extractor.extract(SEED_TXT)
    (form,) = form_view.forms(result)
    values = {k: v.value for k, v in result.values.items()}
    previous = {"old.复议": 10, "old.收到申请数": 200, "old.渠道.政府公报": None}
    html = form_view.form_html(form, result, values, {}, set(), previous=previous)
    cell = re.search(r'<td [^>]*data-key="old.收到申请数"[^>]*>(.*?)</td>', html).group(1)
    assert cell == '233<span class="py diff">上年 200</span>'
    assert re.search(r'data-key="old.复议"[^>]*>10<span class="py">上年 10</span>', html)
    assert '上年 空' in html  # last year's blank is said as blank, not 0


def test_new_template_form_follows_the_catalog_layout() -> None:
    form = form_view.build_form("t3", "2021", {"t3.本年新收.总计"})
    assert form.columns == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert "1.属于国家秘密" in [r.label for r in form.rows]
    t2 = form_view.build_form("t2", "2021", set())
    licence = next(r for r in t2.rows if r.label == "行政许可")
    assert [k for k in licence.keys if k] == ["t2.行政许可.处理决定数量"]
    html = form_view.form_html(form, Result(), {}, {}, set())
    assert "法人或其他组织" in html and "申请人情况" in html
    t4 = form_view.build_form("t4", "2021", set())
    t4_html = form_view.form_html(t4, Result(), {}, {}, set())
    assert '<th colspan="5">行政复议</th><th colspan="10">行政诉讼</th>' in t4_html
    assert t4_html.count("<tr>") == 4 and t4_html.count("data-key=") == 15
    keys = re.findall(r'data-key="([^"]+)"', t4_html)
    assert keys[:2] == ["t4.复议.维持", "t4.复议.纠正"] and keys[-1] == "t4.诉讼复议后.总计"
    t2_html = form_view.form_html(t2, Result(), {}, {}, set())
    assert t2_html.count('<table class="xf" data-table="t2"') == 3
