"""Cells the extractor held back, on the review page: the readings offered, picked as edits, the finding settled.

The run-together fixture (a 2021 report whose 行政规范性文件 row prints 693665 with no separators) has
two splits that satisfy the identities; the doubtful OCR digit is tests/test_ui_ocr_view.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import requirements

requirements.package("streamlit", "ui", module_level=True)

import extractor
from extractor.store import Store, open_store
from schemas.results import Finding
from tests.conftest import ROOT
from tests.test_ui import _signed_in
from ui import picks
from ui.findings import finding_id, views

RUN_TOGETHER = ROOT / "tests" / "fixtures" / "text" / "2022-2021format-runtogether.txt"
MADE, REPEALED = "t2.行政规范性文件.本年制发", "t2.行政规范性文件.本年废止"


@pytest.fixture(scope="module")
def split_result():
    return extractor.extract(RUN_TOGETHER)


def _split(result) -> Finding:
    (f,) = [f for f in result.findings if f.rule == "extract.ambiguous_split"]
    return f


def test_a_split_offers_each_candidate_for_the_undecided_cells_only(split_result):
    f = _split(split_result)
    assert picks.held_keys(f) == [MADE, REPEALED]  # 现行有效 665 is settled by the prose
    assert [c.values for c in picks.choices(f)] == [((MADE, 6), (REPEALED, 93)), ((MADE, 69), (REPEALED, 3))]
    assert [c.label for c in picks.choices(f)] == ["本年制发件数 6　本年废止件数 93", "本年制发件数 69　本年废止件数 3"]


def test_a_doubtful_digit_offers_its_readings_with_their_probabilities():
    f = Finding(rule="extract.ocr_doubtful", kind="extraction", category="extraction", severity="warning",
                message="…", keys=["t4.复议.纠正"],
                detail={"readings": [{"text": "1", "probability": 0.41, "value": 1},
                                     {"text": "7", "probability": 0.35, "value": 7}]})
    assert [(c.label, c.values) for c in picks.choices(f)] == [("“1”（41%）", (("t4.复议.纠正", 1),)),
                                                            ("“7”（35%）", (("t4.复议.纠正", 7),))]
    assert not picks.settled_by_pick(f, set()) and picks.settled_by_pick(f, {"t4.复议.纠正"})


def test_a_models_number_printed_nowhere_in_its_row_is_offered_as_its_one_reading():
    f = Finding(rule="extract.ungrounded", kind="extraction", category="extraction", severity="warning",
                message="…", keys=["t2.行政许可.处理决定数量"], actual=987654, detail={"reading": 987654})
    assert picks.held_keys(f) == ["t2.行政许可.处理决定数量"]
    assert [(c.label, c.values) for c in picks.choices(f)] == [
        ("模型读数 987654（原文该行中找不到）", (("t2.行政许可.处理决定数量", 987654),))]
    assert not picks.settled_by_pick(f, set()) and picks.settled_by_pick(f, {"t2.行政许可.处理决定数量"})


def test_a_split_is_settled_only_when_every_held_cell_has_a_persons_value(split_result):
    f = _split(split_result)
    values = split_result.flat()
    settled = {v.finding.rule: v.settled_by_edit for v in views(split_result, values, {}, edited_keys={MADE})}
    assert settled["extract.ambiguous_split"] is False
    settled = {v.finding.rule: v.settled_by_edit
               for v in views(split_result, values, {}, edited_keys={MADE, REPEALED})}
    assert settled["extract.ambiguous_split"] is True
    assert picks.choices(Finding(rule="t2.sum", kind="sum", message="")) == []
    assert f.category == "extraction"


@pytest.fixture()
def store(ui_env: Path) -> Store:
    s = open_store()
    yield s
    s.close()


def test_picking_a_split_saves_each_cell_as_the_reviewers_edit_and_settles_the_finding(
        store: Store, split_result) -> None:
    doc = store.add_document(RUN_TOGETHER.read_bytes(), RUN_TOGETHER.name, who="张三")
    store.save_extraction(doc.id, split_result, created_by="张三")
    fid = finding_id(_split(split_result))
    at = _signed_in(page="review", report=str(doc.id), finding=fid)
    assert at.session_state["place"].key == MADE
    assert [b.label for b in at.button if (b.key or "").startswith("pick_reading_")] == [
        "本年制发件数 6　本年废止件数 93", "本年制发件数 69　本年废止件数 3"]
    at.button(key="pick_reading_1").click().run()
    assert not at.exception
    edits = [(e.key, e.old_value, e.new_value, e.who, e.reason) for e in store.edits(doc.id)]
    reason = "对照原文，选定数字的拆分：本年制发件数 69　本年废止件数 3"
    assert edits == [(MADE, None, 69, "张三", reason), (REPEALED, None, 3, "张三", reason)]
    (label,) = [b.label for b in at.button if b.key == f"finding_{fid}"]
    assert "【修改后已消除】" in label
    assert any("已保存：" in s and "→ 69" in s and "→ 3" in s for s in [m.value for m in at.success])


def test_a_pick_on_a_confirmed_report_asks_before_reopening_it(store: Store, split_result) -> None:
    doc = store.add_document(RUN_TOGETHER.read_bytes(), RUN_TOGETHER.name, who="张三")
    store.save_extraction(doc.id, split_result, created_by="张三")
    store.set_review_state(doc.id, "confirmed", who="李四")
    at = _signed_in(page="review", report=str(doc.id), finding=finding_id(_split(split_result)))
    at.button(key="pick_reading_0").click().run()
    assert store.edits(doc.id) == [] and store.get_review(doc.id).state == "confirmed"
    assert any("本年制发件数 空 → 6；" in m.value for m in at.markdown)
    at.button(key="reopen_ok").click().run()
    assert not at.exception
    assert [e.new_value for e in store.edits(doc.id)] == [6, 93] and store.get_review(doc.id).state == "pending"


def test_typing_the_held_cells_instead_settles_the_finding_too(store: Store, split_result) -> None:
    doc = store.add_document(RUN_TOGETHER.read_bytes(), RUN_TOGETHER.name, who="张三")
    store.save_extraction(doc.id, split_result, created_by="张三")
    fid = finding_id(_split(split_result))
    at = _signed_in(page="review", report=str(doc.id), finding=fid)
    submit = "FormSubmitter:edit_form-保存并到下一个（Enter）"
    at.text_input(key=f"edit_value_{doc.id}_{MADE}").input("69")
    at.button(key=submit).click().run()
    assert at.session_state["place"].key == REPEALED  # Enter went on through the finding's cells
    (label,) = [b.label for b in at.button if b.key == f"finding_{fid}"]
    assert "【修改后已消除】" not in label  # one held cell still has no value
    at.text_input(key=f"edit_value_{doc.id}_{REPEALED}").input("3")
    at.button(key=submit).click().run()
    assert not at.exception
    (label,) = [b.label for b in at.button if b.key == f"finding_{fid}"]
    assert "【修改后已消除】" in label
    assert [(e.key, e.new_value) for e in store.edits(doc.id)] == [(MADE, 69), (REPEALED, 3)]


def test_picking_the_reading_a_cell_already_holds_answers_the_finding_without_an_edit(store: Store) -> None:
    """A doubtful cell whose first reading is the blank it already holds (a doubt written into the stored
    result by hand: a scan's dash read with low confidence): the pick changes no value, so it is kept as
    the finding's answer — dismissed, with the reading as the reason and the reviewer's name."""
    from tests.conftest import SEED_TXT

    key = "old.渠道.政府公报"
    result = extractor.extract(SEED_TXT)
    doubt = Finding(rule="extract.ocr_doubtful", kind="extraction", category="extraction", severity="warning",
                    message=f"{key} 的扫描数字可能识别有误", keys=[key],
                    detail={"readings": [{"text": "—", "probability": 0.5, "value": None},
                                         {"text": "7", "probability": 0.3, "value": 7}]})
    result = result.model_copy(update={"findings": [*result.findings, doubt]})
    doc = store.add_document(SEED_TXT.read_bytes(), SEED_TXT.name, who="张三")
    store.save_extraction(doc.id, result, created_by="张三")
    at = _signed_in(page="review", report=str(doc.id), finding=finding_id(doubt))
    at.button(key="pick_reading_0").click().run()
    assert not at.exception
    assert store.edits(doc.id) == []
    (decision,) = store.finding_decisions(doc.id).values()
    assert (decision.rule, decision.decision, decision.who, decision.reason) == (
        "extract.ocr_doubtful", "dismissed", "张三", "对照原图，采用扫描识读“—”")
