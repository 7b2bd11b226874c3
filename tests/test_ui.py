"""The review app page by page, with Streamlit's AppTest against a real SQLite store in a temporary folder.

AppTest runs the real script (ui/app.py) but no browser: what only a browser shows (the clicks on the
form and the page, the keys, the reload, the cookie) is tests/test_ui_browser.py's. Here the store is
read back after each step: every value, decision and state change must carry the reviewer's name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import requirements

requirements.package("streamlit", "ui", module_level=True)

from streamlit.testing.v1 import AppTest

import extractor
from extractor.store import Store, open_store
from tests.conftest import ROOT, SEED_TXT, real_pdf
from ui import auth, jobs
from ui.findings import finding_id

APP = str(ROOT / "ui" / "app.py")
SEED_RULES = {"old.channels_upper", "old.responses_sum", "prose.mismatch"}
REVIEWER = "张三"
PASSWORD = "审核-secret-1"


@pytest.fixture()
def store(ui_env: Path) -> Store:
    s = open_store()
    yield s
    s.close()


def _app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def _sign_in(at: AppTest, name: str = REVIEWER, password: str = PASSWORD) -> AppTest:
    at.run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    return at


def _signed_in(role: str = "reviewer", **query: str) -> AppTest:
    if REVIEWER not in auth.load_users():
        auth.add_user(REVIEWER, PASSWORD, role=role)
    at = _sign_in(_app(**query))
    assert not at.exception and "login_name" not in [t.key for t in at.text_input]
    return at


def _upload(store: Store, *paths: Path) -> list[int]:
    job = jobs.submit(store, [(p.name, p.read_bytes()) for p in paths], who=REVIEWER)
    assert jobs.wait(store, job.id).status == "done"
    by_name = {it.file_name: it.document_id for it in store.job_items(job.id)}
    return [by_name[p.name] for p in paths]


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def _finding_buttons(at: AppTest) -> list:
    return [b for b in at.button if (b.key or "").startswith("finding_") and b.key != "finding_accept"]


# -- signing in -------------------------------------------------------------------------------------------
def test_sign_in_refuses_a_wrong_password_then_throttles(ui_env: Path) -> None:
    auth.add_user(REVIEWER, PASSWORD)
    at = _app()
    for i in range(3):
        _sign_in(at, password=f"wrong-{i}")
    errors = _texts(at, "error")
    assert errors and errors[0].startswith("用户名或密码错误")
    assert "秒后再试" in errors[0]  # the third failure already costs a wait
    _sign_in(at)  # the right password, too soon: not even checked
    assert "尝试次数过多" in _texts(at, "error")[0]
    assert "login_name" in [t.key for t in at.text_input]


def test_without_users_the_app_says_how_to_create_one_and_shows_no_path(ui_env: Path) -> None:
    at = _app()
    at.run()
    (warning,) = _texts(at, "warning")
    assert "--add-user" in warning and str(ui_env) not in warning


def test_a_reset_or_demotion_elsewhere_ends_the_session_at_the_next_click(ui_env: Path) -> None:
    auth.add_user("管理员", PASSWORD, role="admin")
    auth.add_user(REVIEWER, PASSWORD, role="admin")
    at = _sign_in(_app())
    assert "账号" in at.radio(key="nav").options
    auth.add_user(REVIEWER, PASSWORD, role="reviewer")  # demoted by another administrator
    at.run()
    assert "login_name" in [t.key for t in at.text_input]
    assert any("登录已结束" in w for w in _texts(at, "warning"))


def test_signing_out_ends_the_session(ui_env: Path) -> None:
    at = _signed_in()
    token = at.session_state["session_token"]
    at.button(key="logout").click().run()
    assert "login_name" in [t.key for t in at.text_input] and "已退出登录。" in _texts(at, "success")
    from ui import sessions

    assert sessions.verify(token) is None  # the same token from another tab or a copied cookie: refused


# -- uploading --------------------------------------------------------------------------------------------
def test_upload_page_makes_a_job_and_shows_each_files_outcome(ui_env: Path, store: Store) -> None:
    at = _signed_in(page="upload")
    at.file_uploader(key="upload_files_0").set_value(
        [(SEED_TXT.name, SEED_TXT.read_bytes(), "text/plain"), ("空.txt", b"", "text/plain")])
    at.run()
    at.button(key="upload_start").click().run()
    assert not at.exception
    (job,) = store.list_jobs()
    assert job.kind == "ui" and job.created_by == REVIEWER
    jobs.wait(store, job.id)
    at.run()
    (table,) = [d.value for d in at.dataframe if "结果" in d.value.columns]
    assert table[["文件", "结果"]].values.tolist() == [[SEED_TXT.name, "✅ 已提取"], ["空.txt", "❌ 失败"]]
    assert table["说明"].tolist()[1] == "文件为空（空.txt）"
    assert "upload_files_1" in [f.key for f in at.get("file_uploader")]  # a fresh uploader, the old files let go
    at.button(key="upload_open_first").click().run()
    assert at.session_state["place"].page == "review" and at.query_params["report"] == "1"


# -- the review page ----------------------------------------------------------------------------------------
def test_choosing_deciding_and_choosing_again_never_crashes(ui_env: Path, store: Store) -> None:
    """Issue 13, item 1: select a finding, decide it, click again — the state is ids, never labels."""
    (doc,) = _upload(store, SEED_TXT)
    at = _signed_in(page="review", report=str(doc))
    buttons = _finding_buttons(at)
    assert len(buttons) == 3
    buttons[0].click().run()
    place = at.session_state["place"]
    assert len(place.finding) == 10 and place.key == "old.主动公开数"
    at.button(key="finding_accept").click().run()  # the label of the finding changes: 【已认定为报告错误】
    assert not at.exception
    assert at.session_state["place"].finding != place.finding  # on to the next open finding
    _finding_buttons(at)[0].click().run()
    assert not at.exception and at.session_state["place"].finding == place.finding
    assert _finding_buttons(at)[0].label.startswith("🔴 1. 【已认定为报告错误】统计表 主动公开政府信息数")


def test_review_walk_edit_dismiss_confirm_with_reasons_then_next(ui_env: Path, store: Store) -> None:
    first, second = _upload(store, SEED_TXT, ROOT / "tests" / "fixtures" / "text" / "2022-2021format.md")
    at = _signed_in(page="review", report=str(first))
    result = store.latest_extraction(first).result
    assert {f.rule for f in result.findings} == SEED_RULES

    # edit a value in the box beside the source: it settles one finding, the rules run again at once
    at.selectbox(key=f"pick_{first}_old.主动公开数").set_value("old.回应解读总数").run()
    assert at.session_state["place"].key == "old.回应解读总数"
    at.text_input(key=f"edit_value_{first}_old.回应解读总数").input("340")
    at.text_input(key=f"edit_reason_{first}").input("按各项之和更正")
    at.button(key="FormSubmitter:edit_form-保存并到下一个（Enter）").click().run()
    assert not at.exception
    assert "已保存：通过不同渠道和方式回应解读的情况 312 → 340" in _texts(at, "success")
    assert at.session_state["place"].key != "old.回应解读总数"  # Enter moved on to the next value
    labels = [b.label for b in _finding_buttons(at)]
    assert any("【修改后已消除】" in lab for lab in labels)
    (edit,) = store.edits(first)
    assert (edit.key, edit.old_value, edit.new_value, edit.who, edit.reason) == (
        "old.回应解读总数", 312, 340, REVIEWER, "按各项之和更正")

    # an input that is not a number is refused, and nothing is written
    at.text_input(key=f"edit_value_{first}_{at.session_state['place'].key}").input("十二")
    at.button(key="FormSubmitter:edit_form-保存并到下一个（Enter）").click().run()
    assert any("不是数字" in e for e in _texts(at, "error")) and len(store.edits(first)) == 1

    # dismiss the prose finding: refused without a reason, kept with one
    mismatch = next(f for f in result.findings if f.rule == "prose.mismatch")
    at.button(key=f"finding_{finding_id(mismatch)}").click().run()
    dismiss = f"FormSubmitter:dismiss_{finding_id(mismatch)}-驳回 (D)"
    at.button(key=dismiss).click().run()
    assert any("驳回需要填写理由" in e for e in _texts(at, "error"))
    at.text_input(key=f"reason_{first}_{finding_id(mismatch)}").input("正文笔误，以表格为准")
    at.button(key=dismiss).click().run()
    assert not at.exception

    # confirm: one error is still open, so the dialog asks for its reason first
    at.button(key="review_confirm").click().run()
    assert store.get_review(first).state == "pending"
    at.button(key="confirm_dialog_ok").click().run()
    assert any("每个错误都需要理由" in e for e in _texts(at, "error"))
    upper = next(f for f in result.findings if f.rule == "old.channels_upper")
    at.text_input(key=f"confirm_reason_{first}_{finding_id(upper)}").input("原件如此，已与报送单位核实")
    at.button(key="confirm_dialog_ok").click().run()
    assert not at.exception
    review = store.get_review(first)
    assert review.state == "confirmed" and review.reviewer == REVIEWER
    assert review.confirmed_values["old.回应解读总数"] == 340
    decisions = {d.rule: (d.decision, d.reason, d.who) for d in store.finding_decisions(first).values()}
    assert decisions == {"prose.mismatch": ("dismissed", "正文笔误，以表格为准", REVIEWER),
                         "old.channels_upper": ("accepted", "原件如此，已与报送单位核实", REVIEWER)}
    assert at.session_state["place"].report == second  # confirm-and-next opened the next pending report


def test_editing_a_confirmed_report_says_so_before_reopening_it(ui_env: Path, store: Store) -> None:
    (doc,) = _upload(store, SEED_TXT)
    store.set_review_state(doc, "confirmed", who="李四")
    at = _signed_in(page="review", report=str(doc), key="old.复议")
    at.text_input(key=f"edit_value_{doc}_old.复议").input("11")
    at.button(key="FormSubmitter:edit_form-保存并到下一个（Enter）").click().run()
    assert store.get_review(doc).state == "confirmed" and store.edits(doc) == []
    assert [b.key for b in at.button if (b.key or "").startswith("reopen_")] == ["reopen_ok", "reopen_cancel"]
    at.button(key="reopen_ok").click().run()
    assert not at.exception
    assert store.get_review(doc).state == "pending" and [e.new_value for e in store.edits(doc)] == [11]


def test_a_return_note_belongs_to_its_report(ui_env: Path, store: Store) -> None:
    first, second = _upload(store, SEED_TXT, ROOT / "tests" / "fixtures" / "text" / "2022-2021format.md")
    at = _signed_in(page="review", report=str(first))
    at.text_input(key=f"return_note_{first}").input("扫描件不清晰，请重新上传")
    at.button(key="review_return").click().run()
    review = store.get_review(first)
    assert (review.state, review.reviewer, review.note) == ("returned", REVIEWER, "扫描件不清晰，请重新上传")
    assert at.session_state["place"].report == second
    assert at.text_input(key=f"return_note_{second}").value == ""


def test_a_report_another_reviewer_holds_is_read_only_until_taken_over(ui_env: Path, store: Store) -> None:
    from ui.claims import CLAIMS

    (doc,) = _upload(store, SEED_TXT)
    CLAIMS.claim(doc, "李四")
    try:
        at = _signed_in(page="review", report=str(doc))
        assert any("李四 正在审核这份报告" in w for w in _texts(at, "warning"))
        assert at.button(key="review_confirm").disabled
        at.button(key="review_take_over").click().run()
        assert not at.button(key="review_confirm").disabled and CLAIMS.holder(doc).who == REVIEWER
    finally:
        CLAIMS.release_all(REVIEWER)
        CLAIMS.release_all("李四")


def test_pdf_review_shows_last_years_values_and_the_narrative(ui_env: Path, store: Store) -> None:
    _, later = _upload(store, real_pdf("2023-huaian-hongze-district"), real_pdf("2024-huaian-hongze-district"))
    at = _signed_in(page="review", report=str(later))
    assert not at.exception
    scope = next(f for f in store.latest_extraction(later).result.findings if f.rule == "prose.scope")
    at.button(key=f"finding_{finding_id(scope)}").click().run()
    assert at.session_state["place"].key == "t3.本年新收.总计" and at.session_state["place"].table == "t3"
    captions = _texts(at, "caption")
    assert any(c.startswith("原文第 3 页　红框：本年新收政府信息公开申请数量·总计（原文“95”）") for c in captions)
    assert any("上年 21" in m for m in _texts(at, "markdown"))  # the edit box says last year's figure
    page_html = "".join(h.proto.body for h in at.get("html"))
    assert "17件" in page_html  # the narrative's figure, on page 1, shown under the page


def test_a_cell_the_extractor_missed_shows_its_table_instead(ui_env: Path, store: Store) -> None:
    result = extractor.extract(SEED_TXT)
    del result.values["old.复议"]  # as an extractor that missed one cell would leave it
    result.prose_values.pop("old.复议", None)
    doc = store.add_document(SEED_TXT.read_bytes(), SEED_TXT.name, who=REVIEWER)
    store.save_extraction(doc.id, result, created_by=REVIEWER)
    at = _signed_in(page="review", report=str(doc.id), key="old.复议")
    assert any("此项未提取到" in c for c in _texts(at, "caption"))
    assert any("未提取到" in m for m in _texts(at, "markdown"))


def test_a_cross_year_finding_is_settled_in_the_list_like_the_others(ui_env: Path, store: Store) -> None:
    earlier, later = _upload(store, real_pdf("2023-huaian-hongze-district"), real_pdf("2024-huaian-hongze-district"))
    store.record_edit(earlier, "t3.结转下年度.自然人", 4, reason="核对原件", who=REVIEWER)
    at = _signed_in(page="review", report=str(later))
    (carry,) = [b for b in _finding_buttons(at) if "【跨年度】" in b.label]
    carry.click().run()
    fid = at.session_state["place"].finding
    at.text_input(key=f"reason_{later}_{fid}").input("上年数据已更正，本年按原件填报")
    at.button(key=f"FormSubmitter:dismiss_{fid}-驳回 (D)").click().run()
    assert not at.exception
    (decision,) = store.finding_decisions(later).values()
    assert (decision.rule, decision.decision, decision.who) == ("years.t3_carry_over", "dismissed", REVIEWER)


# -- the queue ------------------------------------------------------------------------------------------------
def test_queue_order_open_first_next_pending_and_bulk_confirm(ui_env: Path, store: Store) -> None:
    seed, md = _upload(store, SEED_TXT, ROOT / "tests" / "fixtures" / "text" / "2022-2021format.md")
    data = SEED_TXT.read_bytes() + b"\n"
    clean = extractor.extract(data, name="clean.txt").model_copy(update={"findings": []})
    doc = store.add_document(data, "clean.txt", who=REVIEWER)
    store.save_extraction(doc.id, clean, created_by=REVIEWER)
    at = _signed_in(page="queue")
    table = at.dataframe[0].value
    assert table["编号"].tolist() == [seed, md, doc.id]  # oldest upload first, as the caption says
    assert table["未处理错误"].tolist()[0] == 3
    assert any("按上传时间从旧到新，相同时按编号" in c for c in _texts(at, "caption"))
    at.button(key="queue_open_first").click().run()
    assert at.session_state["place"].report == seed
    at.button(key="review_next_pending").click().run()
    assert at.session_state["place"].report == md

    at.radio(key="nav").set_value("queue").run()
    at.button(key="queue_bulk_open").click().run()
    assert store.latest_extraction(md).n_error == store.latest_extraction(md).n_warning == 0
    (listed,) = [d.value for d in at.dataframe if list(d.value.columns) == ["编号", "机关", "年度", "文件"]]
    assert listed["编号"].tolist() == [md, doc.id]  # the reports with no finding at all, shown before anything
    assert store.get_review(md).state == "pending"
    at.button(key="bulk_ok").click().run()
    assert [store.get_review(d).state for d in (seed, md, doc.id)] == ["pending", "confirmed", "confirmed"]
    assert at.dataframe[0].value["编号"].tolist() == [seed]

    at.multiselect(key="queue_states").set_value(["pending", "confirmed"]).run()
    at.selectbox(key="queue_errors").set_value("none").run()
    assert at.dataframe[0].value["编号"].tolist() == [md, doc.id]


# -- data and accounts ----------------------------------------------------------------------------------------
def test_data_page_shows_confirmed_values_charts_and_downloads(ui_env: Path, store: Store) -> None:
    (doc,) = _upload(store, SEED_TXT)
    at = _signed_in(page="data")
    assert any("还没有已确认的报告" in i for i in _texts(at, "info"))
    store.record_edit(doc, "old.主动公开数", 42642, who=REVIEWER, reason="按各渠道之和更正")
    store.set_review_state(doc, "confirmed", who=REVIEWER)
    at.run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert shown["机关"].tolist() == ["57365线路检测中心"] and shown["审核人"].tolist() == [REVIEWER]
    at.selectbox(key="data_table_choice").set_value("old").run()
    shown = at.dataframe[0].value
    assert shown["主动公开政府信息数"].tolist() == [42642]
    assert [b.label for b in at.get("download_button")] == ["下载 CSV（全部筛选结果）", "下载 Excel（全部筛选结果）"]
    assert len(at.get("vega_lite_chart")) == 3
    at.button(key="data_cross_run").click().run()
    assert not at.exception and any("跨年度核对：0 个问题" in m for m in _texts(at, "markdown"))


def test_data_downloads_neutralise_formulas_and_keep_the_legend(store: Store) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from ui.views import data as data_view

    (doc,) = _upload(store, SEED_TXT)
    store.set_review_state(doc, "confirmed", who="=HYPERLINK(\"http://x\")")
    text = data_view.confirmed_download(store, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    (header, line) = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["文件", "SHA-256", "机关"] and line[header.index("确认时间")].endswith("+08:00")
    wb = load_workbook(io.BytesIO(data_view.confirmed_download(store, "xlsx")))
    assert wb.sheetnames == ["数值", "字段说明"]  # the confirmed data has no findings sheet
    sheet = wb["数值"]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("审核人")].startswith("'=") and row[header.index("（一）收到申请数")] == 233
    legend = {r[0]: r[1] for r in wb["字段说明"].iter_rows(min_row=2, values_only=True)}
    assert legend["old.收到申请数"] == "（一）收到申请数"


def test_administrators_manage_accounts_and_reviewers_do_not_see_the_page(ui_env: Path) -> None:
    auth.add_user("管理员", PASSWORD, role="admin")
    at = _sign_in(_app(), "管理员")
    at.radio(key="nav").set_value("accounts").run()
    assert not at.exception
    at.text_input(key="acct_name").input("李四")
    at.text_input(key="acct_display").input("李四（区政务公开办）")
    at.text_input(key="acct_password").input("short")
    at.text_input(key="acct_password2").input("short")
    at.button(key="acct_save").click().run()
    assert any("至少 6 个字符" in m for m in _texts(at, "error")) and "李四" not in auth.load_users()
    at.text_input(key="acct_name").input("李四")
    at.text_input(key="acct_password").input("李四-secret-1")
    at.text_input(key="acct_password2").input("李四-secret-1")
    at.button(key="acct_save").click().run()
    assert any("已创建账号 李四" in m for m in _texts(at, "success"))
    li = auth.load_users()["李四"]
    assert (li.role, li.display) == ("reviewer", "李四（区政务公开办）")
    at.selectbox(key="acct_remove_name").set_value("管理员")
    at.button(key="acct_remove").click().run()
    assert any("不能删除自己的账号" in m for m in _texts(at, "error"))

    reviewer = _sign_in(_app(), "李四", "李四-secret-1")
    assert "账号" not in reviewer.radio(key="nav").options
    at.selectbox(key="acct_remove_name").set_value("李四")
    at.button(key="acct_remove").click().run()  # removed while signed in: the next click signs it out
    reviewer.run()
    assert "login_name" in [t.key for t in reviewer.text_input]


def test_a_url_changed_by_the_reviewer_moves_the_place(ui_env: Path, store: Store) -> None:
    first, second = _upload(store, SEED_TXT, ROOT / "tests" / "fixtures" / "text" / "2022-2021format.md")
    at = _signed_in(page="review", report=str(first))
    assert at.session_state["place"].report == first
    at.query_params["report"] = str(second)  # the browser's back button, or a link pasted in
    at.run()
    assert at.session_state["place"].report == second and not at.exception
    at.run()  # and the page's own writes are not mistaken for the reviewer's
    assert at.session_state["place"].report == second
