"""The review UI: sign-in, upload, queue, review (findings, edits, confirm), data — with Streamlit's AppTest.

The walk drives the real app script (ui/app.py) against a real SQLite store in a temporary folder and
then reads the store back: the confirmed values and every audit row must carry the reviewer's name.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the UI tests need the [ui] extra: pip install 'xxgk[ui]'")

from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from extractor._errors import ConfigError
from extractor.store import Store, open_store
from schemas.results import Result
from tests.conftest import REAL, ROOT, SEED_TXT
from ui import auth, form_view, source_view, uploads
from ui.views import data as data_view
from ui.views.review import fid

APP = str(ROOT / "ui" / "app.py")
SEED_RULES = {"old.channels_upper", "old.responses_sum", "prose.mismatch"}
REVIEWER = "张三"
PASSWORD = "审核-secret-1"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XXGK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XXGK_USERS_FILE", str(tmp_path / "users.json"))
    monkeypatch.delenv("XXGK_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture()
def store(env: Path) -> Store:
    s = open_store()
    yield s
    s.close()


def _signed_in(env: Path) -> AppTest:
    auth.add_user(REVIEWER, PASSWORD)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="login_name").input(REVIEWER)
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    assert not at.exception
    return at


def _messages(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


# -- accounts -----------------------------------------------------------------------------------
def test_passwords_are_stored_as_salted_scrypt_hashes(env: Path) -> None:
    auth.add_user("李四", "correct horse")
    raw = (env / "users.json").read_text(encoding="utf-8")
    assert "correct horse" not in raw
    entry = json.loads(raw)["users"]["李四"]
    assert entry["hash"].startswith("scrypt$16384$8$1$")
    assert stat.S_IMODE(os.stat(env / "users.json").st_mode) == 0o600
    assert auth.authenticate("李四", "correct horse").name == "李四"
    assert auth.authenticate("李四", "wrong horse") is None
    assert auth.authenticate("王五", "correct horse") is None
    # the same password twice gives two different hashes (salted)
    assert auth.hash_password("x" * 8) != auth.hash_password("x" * 8)


def test_add_user_rejects_short_passwords_and_resets_an_existing_one(env: Path) -> None:
    with pytest.raises(Exception, match="6"):
        auth.add_user("李四", "123")
    auth.add_user("李四", "first-pass")
    auth.add_user("李四", "second-pass", role="admin")
    assert auth.authenticate("李四", "first-pass") is None
    assert auth.authenticate("李四", "second-pass").role == "admin"


def test_cli_add_user_reads_the_password_from_stdin(env: Path) -> None:
    from extractor.cli import main

    got = CliRunner().invoke(main, ["ui", "--add-user", "王五", "--admin", "--password-stdin"], input="pw-from-ci\n")
    assert got.exit_code == 0, got.output
    assert "王五" in got.output
    assert auth.authenticate("王五", "pw-from-ci").role == "admin"


def test_cli_ui_without_users_and_without_a_terminal_says_how_to_add_one(env: Path) -> None:
    from extractor.cli import main

    got = CliRunner().invoke(main, ["ui"])
    assert got.exit_code != 0
    assert "--add-user" in got.output


def test_cli_ui_passes_streamlit_args_through_with_fake_subprocess(env: Path, monkeypatch) -> None:
    import ui.launch
    from extractor.cli import main

    auth.add_user(REVIEWER, PASSWORD)
    seen: list[list[str]] = []
    monkeypatch.setattr(ui.launch.subprocess, "call", lambda cmd, env=None: seen.append(cmd) or 0)
    got = CliRunner().invoke(main, ["ui", "--server.port", "8599", "--server.address", "127.0.0.1"])
    assert got.exit_code == 0, got.output
    cmd = seen[0]
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("ui/app.py")
    assert cmd[-4:] == ["--server.port", "8599", "--server.address", "127.0.0.1"]


# -- uploads --------------------------------------------------------------------------------------
def test_ingest_puts_the_seed_in_the_queue_once(store: Store) -> None:
    data = SEED_TXT.read_bytes()
    first = uploads.ingest(store, SEED_TXT.name, data, who=REVIEWER)
    assert first.ok and first.n_findings == 3 and not first.skipped
    again = uploads.ingest(store, "copy.txt", data, who=REVIEWER)
    assert again.ok and again.skipped and again.doc_id == first.doc_id
    rows = store.list_reports()
    assert [(r.document_id, r.state, r.year, r.template, r.n_error) for r in rows] == [(first.doc_id, "pending", 2017,
                                                                                        "2008", 3)]
    assert store.get_document(first.doc_id).uploaded_by == REVIEWER


def test_ingest_explains_unreadable_oversized_and_wrong_type_files(store: Store, monkeypatch) -> None:
    bad_pdf = uploads.ingest(store, "坏文件.pdf", b"%PDF-1.4 not really", who=REVIEWER)
    assert not bad_pdf.ok and "损坏" in bad_pdf.message
    not_report = uploads.ingest(store, "菜谱.txt", "红烧肉做法：五花肉切块，焯水。".encode(), who=REVIEWER)
    assert not not_report.ok and "不是政府信息公开工作年度报告" in not_report.message
    xlsx = uploads.ingest(store, "表.xlsx", b"PK\x03\x04", who=REVIEWER)
    assert not xlsx.ok and "不支持" in xlsx.message
    monkeypatch.setenv("XXGK_UI_MAX_MB", "0.001")
    big = uploads.ingest(store, SEED_TXT.name, SEED_TXT.read_bytes(), who=REVIEWER)
    assert not big.ok and "文件过大" in big.message
    assert store.list_reports() == [] and store.list_documents() == []


def test_zip_members_are_expanded_with_gbk_names_and_unsupported_ones_skipped() -> None:
    buf = io.BytesIO()
    gbk = "报告/年报.txt".encode("gbk")
    placeholder = b"a" * (len(gbk) - 4) + b".txt"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(placeholder.decode(), SEED_TXT.read_bytes())
        zf.writestr("说明.xlsx", b"x")
        zf.writestr("__MACOSX/._x", b"x")
    # a zip made on Chinese Windows: GBK bytes in the name, no UTF-8 flag
    items = uploads.expand("上传.zip", buf.getvalue().replace(placeholder, gbk))
    files = [i for i in items if isinstance(i, tuple)]
    skipped = [i for i in items if isinstance(i, uploads.Outcome)]
    assert [n for n, _ in files] == ["上传.zip › 报告/年报.txt"]
    assert files[0][1] == SEED_TXT.read_bytes()
    assert [(o.name, o.skipped) for o in skipped] == [("上传.zip › 说明.xlsx", True)]
    broken = uploads.expand("坏.zip", b"PK not a zip")
    assert isinstance(broken[0], uploads.Outcome) and "损坏" in broken[0].message


# -- the official form ----------------------------------------------------------------------------
def test_form_cells_take_their_status_from_findings_decisions_and_edits(store: Store) -> None:
    out = uploads.ingest(store, SEED_TXT.name, SEED_TXT.read_bytes(), who=REVIEWER)
    result = store.latest_extraction(out.doc_id).result
    (form,) = form_view.forms(result)
    assert form.table == "old" and form.show_unit
    labels = [r.label for r in form.rows]
    assert "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）" in labels
    values = store.current_values(out.doc_id)
    states = form_view.cell_states(result, values, set(), {})
    assert states["old.主动公开数"] == "error" and states["old.诉讼.其他"] == "error"
    assert states["old.复议"] == "plain"

    mismatch = next(f for f in result.findings if f.rule == "prose.mismatch")
    store.decide_finding(out.doc_id, mismatch.rule, mismatch.keys, "dismissed", who=REVIEWER, reason="正文笔误")
    store.record_edit(out.doc_id, "old.复议", 11, who=REVIEWER, reason="核对原件")
    values = store.current_values(out.doc_id)
    states = form_view.cell_states(result, values, {"old.复议"}, store.finding_decisions(out.doc_id))
    assert states["old.诉讼.其他"] == "plain" and states["old.复议"] == "edited"
    html = form_view.form_html(form, result, values, states, {"old.复议"}, involved=set(mismatch.keys),
                               focus="old.复议")
    assert 'data-key="old.复议"' in html and ">11<" in html
    assert 'class="v edited focus"' in html
    # a printed blank stays blank, not 0
    assert form_view.cell_text("old.渠道.政府公报", values, result, set()) == ""


def test_editor_frame_round_trips_and_reports_only_changed_cells(store: Store) -> None:
    out = uploads.ingest(store, SEED_TXT.name, SEED_TXT.read_bytes(), who=REVIEWER)
    result = store.latest_extraction(out.doc_id).result
    values = store.current_values(out.doc_id)
    (form,) = form_view.forms(result)
    frame = form_view.editor_frame(form, values)
    assert form_view.changed_cells(form, frame, values) == []
    keys = form_view.editor_keys(form)
    row = next(i for i, k in enumerate(keys) if k[0] == "old.收费")
    blank = next(i for i, k in enumerate(keys) if k[0] == "old.渠道.政府公报")
    fee = next(i for i, k in enumerate(keys) if k[0] == "old.主动公开数")
    frame.loc[row, form_view.VALUE_COLUMN] = 1.5
    frame.loc[blank, form_view.VALUE_COLUMN] = 0
    frame.loc[fee, form_view.VALUE_COLUMN] = None
    got = dict(form_view.changed_cells(form, frame, values))
    assert got == {"old.收费": 1.5, "old.渠道.政府公报": 0, "old.主动公开数": None}
    assert isinstance(got["old.渠道.政府公报"], int)


def test_new_template_form_follows_the_catalog_layout() -> None:
    form = form_view.build_form("t3", "2021", {"t3.本年新收.总计"})
    assert form.columns == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    ids = [r.label for r in form.rows]
    assert "（三）不予公开" not in ids  # an optional subtotal the report does not print
    assert "1.属于国家秘密" in ids
    t2 = form_view.build_form("t2", "2021", set())
    licence = next(r for r in t2.rows if r.label == "行政许可")
    assert [k for k in licence.keys if k] == ["t2.行政许可.处理决定数量"]
    html = form_view.form_html(form, Result(), {}, {}, set())
    assert "法人或其他组织" in html and "申请人情况" in html
    # table 四 as printed: one row of 15 cells under 行政复议 (5) and 行政诉讼 (10)
    t4 = form_view.build_form("t4", "2021", set())
    t4_html = form_view.form_html(t4, Result(), {}, {}, set())
    assert '<th colspan="5">行政复议</th><th colspan="10">行政诉讼</th>' in t4_html
    assert '<th colspan="5">未经复议直接起诉</th><th colspan="5">复议后起诉</th>' in t4_html
    assert t4_html.count("<tr>") == 4 and t4_html.count("data-key=") == 15
    keys = re.findall(r'data-key="([^"]+)"', t4_html)
    assert keys[:2] == ["t4.复议.维持", "t4.复议.纠正"] and keys[-1] == "t4.诉讼复议后.总计"
    # table 二 (2021) as its sub-tables: 制发/废止/现行有效, 处理决定数量, 收费金额
    t2_html = form_view.form_html(t2, Result(), {}, {}, set())
    assert t2_html.count('<table class="xf" data-table="t2"') == 3
    assert t2_html.count("<th>本年处理决定数量</th>") == 1


# -- the source ------------------------------------------------------------------------------------
def test_outline_draws_the_cell_box_on_the_rendered_pdf_page() -> None:
    path = REAL / "2023-huaian-hongze-district.pdf"
    if not path.exists():
        pytest.skip(f"the real report is not here ({path}); ../shared/real is read in place")
    from schemas.results import Evidence

    data = path.read_bytes()
    assert source_view.page_count(data) == 5
    png = source_view.render_page(data, 2, 2.0)
    ev = Evidence(page=2, bbox=(338.6, 573.43, 422.4, 608.29), text="5")
    img = source_view.outline(png, [source_view.Mark(ev, True)], 2.0)
    x0, top, x1, _ = (v * 2 for v in ev.bbox)
    edge = img.getpixel((int((x0 + x1) / 2), int(top - 6)))  # on the outline, above the cell
    assert edge[0] > 180 and edge[1] < 90 and edge[2] < 90
    outside = img.getpixel((5, 5))
    assert outside == (255, 255, 255)
    box = source_view.crop_box([source_view.Mark(ev, True)], (74.0, 80.0, 520.0, 780.0))
    cropped = source_view.outline(png, [source_view.Mark(ev, True)], 2.0, crop=box)
    assert cropped.width == ((520 + 12) * 2) - ((74 - 12) * 2)
    assert cropped.height < img.height / 2


def test_text_excerpt_shows_one_window_per_place_focus_first_and_escapes_the_text() -> None:
    from schemas.results import Evidence

    table = "<b>表</b>" + "。" * 10 + "其他情形数 件 3" + "丙" * 400
    prose = "正文：行政诉讼20件，其他情形1件。" + "丁" * 50
    text = table + prose
    cell = text.index("3" + "丙")
    said = text.index("1件")
    marks = [source_view.Mark(Evidence(start=said, end=said + 1), False),
             source_view.Mark(Evidence(start=cell, end=cell + 1), True)]
    html = source_view.text_excerpt_html(text, marks, before=20, after=30)
    windows = html.split('<div class="xsrc">')[1:]
    assert len(windows) == 2
    assert '<mark class="f">3</mark>' in windows[0] and '<mark class="o">1</mark>' in windows[1]
    assert "&lt;b&gt;" not in html  # outside both windows
    assert "<b>" not in html
    near = source_view.text_excerpt_html(text, marks[1:], before=40, after=5)
    assert "&lt;/b&gt;" in near  # markup in the report's text is shown as text, never interpreted


# -- the app, page by page --------------------------------------------------------------------------
def test_sign_in_refuses_a_wrong_password(env: Path) -> None:
    auth.add_user(REVIEWER, PASSWORD)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="login_name").input(REVIEWER)
    at.text_input(key="login_password").input("not-the-password")
    at.button(key="login_submit").click().run()
    assert "用户名或密码错误" in _messages(at, "error")
    assert "user" not in at.session_state


def test_without_users_the_app_says_how_to_create_one(env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert any("--add-user" in w for w in _messages(at, "warning"))


def test_review_walk_upload_findings_edit_dismiss_confirm_then_data(env: Path) -> None:
    at = _signed_in(env)
    assert at.radio(key="nav_page").value == "审核队列"

    # 上传
    at.radio(key="nav_page").set_value("上传").run()
    at.file_uploader(key="upload_files").set_value((SEED_TXT.name, SEED_TXT.read_bytes(), "text/plain"))
    at.run()
    at.selectbox(key="upload_extractor").set_value("rules")
    at.button(key="upload_start").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["结果"].tolist() == ["✅ 成功"] and table["问题数"].tolist() == [3]

    # 审核队列
    at.radio(key="nav_page").set_value("审核队列").run()
    queue = at.dataframe[0].value
    assert queue[["状态", "机关", "年度", "错误"]].values.tolist() == [["待审核", "57365线路检测中心", 2017, 3]]
    at.button(key="queue_open").click().run()
    assert at.radio(key="nav_page").value == "审核"

    # 审核: the three findings
    store = open_store()
    doc_id = store.list_reports()[0].document_id
    result = store.latest_extraction(doc_id).result
    assert {f.rule for f in result.findings} == SEED_RULES
    labels = [e.label for e in at.expander]
    for rule in SEED_RULES:
        assert any(rule in lab for lab in labels), (rule, labels)
    assert len(at.radio(key="review_finding").options) == 4  # （不选） + three findings

    # choosing a finding moves the focus to its first cell and marks its cells in the form
    mismatch_i = next(i for i, f in enumerate(result.findings) if f.rule == "prose.mismatch")
    at.radio(key="review_finding").set_value(mismatch_i).run()
    assert at.selectbox(key="review_focus").value == "old.诉讼.其他"
    form_html = "".join(h.proto.body for h in at.get("html"))
    assert 'class="v error inf focus"' in form_html and 'data-key="old.诉讼.其他"' in form_html
    assert '<mark class="f"' in form_html  # the text source with the cell's span marked

    # edit one value in place (the data editor's edit state, as the browser would send it)
    (form,) = form_view.forms(result)
    row = next(i for i, k in enumerate(form_view.editor_keys(form)) if k[0] == "old.主动公开数")
    at.session_state["editor_old"] = {"edited_rows": {row: {form_view.VALUE_COLUMN: 42642}}, "added_rows": [],
                                      "deleted_rows": []}
    at.text_input(key="edit_reason").input("表格印刷错误，按各渠道之和更正")
    at.button(key="edit_save").click().run()
    assert not at.exception
    assert any("已保存 1 处修改" in m for m in _messages(at, "success"))
    # the rules run again on the edited values: the channels sum now holds
    assert "按修改后的数值重新校验，此问题已不存在" in _messages(at, "success")
    assert any("【修改后已消除】" in o for o in at.radio(key="review_finding").options)

    # dismiss one finding with a reason; a dismissal without a reason is refused
    mismatch = result.findings[mismatch_i]
    at.button(key=f"find_dismiss_{fid(mismatch)}").click().run()
    assert "驳回问题需要填写理由" in _messages(at, "error")
    at.text_input(key=f"find_reason_{fid(mismatch)}").input("正文笔误，以表格为准")
    at.button(key=f"find_dismiss_{fid(mismatch)}").click().run()
    responses = next(f for f in result.findings if f.rule == "old.responses_sum")
    at.button(key=f"find_accept_{fid(responses)}").click().run()

    # confirm
    at.button(key="review_confirm").click().run()
    assert not at.exception
    assert any("已确认" in m for m in _messages(at, "success"))

    # the store: confirmed values with the edit, audit rows with the reviewer's name
    review = store.get_review(doc_id)
    assert review.state == "confirmed" and review.reviewer == REVIEWER
    assert review.confirmed_values["old.主动公开数"] == 42642
    assert review.confirmed_values["old.诉讼.其他"] == 3
    (edit,) = store.edits(doc_id)
    assert (edit.key, edit.old_value, edit.new_value, edit.who) == ("old.主动公开数", 42658, 42642, REVIEWER)
    assert edit.reason == "表格印刷错误，按各渠道之和更正"
    decisions = store.finding_decisions(doc_id)
    assert {(d.rule, d.decision, d.who, d.reason) for d in decisions.values()} == {
        ("prose.mismatch", "dismissed", REVIEWER, "正文笔误，以表格为准"),
        ("old.responses_sum", "accepted", REVIEWER, ""),
    }
    assert [(e.new_state, e.who) for e in store.review_events(doc_id)] == [("confirmed", REVIEWER)]
    (confirmed,) = store.confirmed_values()
    assert confirmed["reviewer"] == REVIEWER and confirmed["old.主动公开数"] == 42642

    # 数据
    at.radio(key="nav_page").set_value("数据").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert shown["机关"].tolist() == ["57365线路检测中心"] and shown["old.主动公开数"].tolist() == [42642]
    assert [b.label for b in at.get("download_button")] == ["下载 CSV", "下载 Excel"]

    # back in the queue the report shows as confirmed, by the reviewer
    at.radio(key="nav_page").set_value("审核队列").run()
    assert at.dataframe[0].value[["状态", "审核人"]].values.tolist() == [["已确认", REVIEWER]]
    store.close()


def test_review_keyboard_buttons_step_through_the_queue(env: Path) -> None:
    at = _signed_in(env)
    s = open_store()
    gen = ROOT / "tests" / "fixtures" / "text"
    second = next(p for p in sorted(gen.glob("*.txt")))
    a = uploads.ingest(s, SEED_TXT.name, SEED_TXT.read_bytes(), who=REVIEWER)
    b = uploads.ingest(s, second.name, second.read_bytes(), who=REVIEWER)
    assert a.ok and b.ok, (a, b)
    at.radio(key="nav_page").set_value("审核队列").run()
    order = at.session_state["queue_order"]
    assert sorted(order) == sorted([a.doc_id, b.doc_id])
    at.button(key="queue_open").click().run()
    assert at.session_state["review_doc_id"] == order[0]
    at.button(key="review_next").click().run()
    assert at.session_state["review_doc_id"] == order[1]
    at.button(key="review_next").click().run()
    assert at.session_state["review_doc_id"] == order[1] and "已经是最后一份" in _messages(at, "info")
    at.button(key="review_prev").click().run()
    assert at.session_state["review_doc_id"] == order[0]
    at.text_input(key="review_return_note").input("扫描件不清晰，请重新上传")
    at.button(key="review_return").click().run()
    review = s.get_review(order[0])
    assert (review.state, review.reviewer, review.note) == ("returned", REVIEWER, "扫描件不清晰，请重新上传")
    s.close()


# -- data helpers ----------------------------------------------------------------------------------
def test_data_exports_and_chart_tables_from_confirmed_values(store: Store) -> None:
    out = uploads.ingest(store, SEED_TXT.name, SEED_TXT.read_bytes(), who=REVIEWER)
    assert data_view.confirmed_frame(store).empty
    store.set_review_state(out.doc_id, "confirmed", who=REVIEWER)
    frame = data_view.confirmed_frame(store)
    assert frame.loc[0, "old.收到申请数"] == 233
    outcomes = data_view.outcomes_by_agency(frame)
    row = outcomes.iloc[0]
    # 同意公开 122 (已主动公开 blank), 不同意公开 3, 非本机关 5 + 信息不存在 90, 更改补充 4 + 其他途径 9
    assert (row["机关"], row["予以公开"], row["不予公开"], row["无法提供"], row["其他"]) == (
        "57365线路检测中心", 122, 3, 95, 13)
    years = data_view.received_by_year(frame)
    assert years.values.tolist() == [["2017", 233.0]]
    rules = data_view.findings_by_rule(store)
    assert set(rules["规则"]) == SEED_RULES and rules["问题数"].sum() == 3
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data_view.excel_bytes(frame)))
    assert wb.sheetnames == ["已确认数据", "字段说明"]
    legend = {r[0]: r[1] for r in wb["字段说明"].iter_rows(min_row=2, values_only=True)}
    assert legend["old.收到申请数"] == "（一）收到申请数"


def test_pdf_review_shows_the_outlined_page_and_the_narrative_elsewhere(env: Path) -> None:
    path = REAL / "2024-huaian-hongze-district.pdf"
    if not path.exists():
        pytest.skip(f"the real report is not here ({path}); ../shared/real is read in place")
    at = _signed_in(env)
    s = open_store()
    out = uploads.ingest(s, path.name, path.read_bytes(), who=REVIEWER)
    assert out.ok, out
    at.radio(key="nav_page").set_value("审核队列").run()
    at.button(key="queue_open").click().run()
    result = s.latest_extraction(out.doc_id).result
    scope = next(i for i, f in enumerate(result.findings) if f.rule == "prose.scope")
    at.radio(key="review_finding").set_value(scope).run()
    assert not at.exception
    assert at.selectbox(key="review_focus").value == "t3.本年新收.总计"
    assert at.radio(key="review_table").value == "t3"
    (image,) = at.get("image")
    assert image.captions[0].startswith("第 3 页　红框：本年新收政府信息公开申请数量·总计")
    page_html = "".join(h.proto.body for h in at.get("html"))
    marked = re.findall(r'<mark class="o">([^<]*)</mark>', page_html)
    assert any("17件" in m for m in marked), marked  # the narrative's figure, on page 1, shown under the image
    assert 'class="v warning inf focus"' in page_html
    s.close()


def test_recheck_reports_findings_settled_and_raised_by_edits(store: Store) -> None:
    from ui.recheck import recheck

    out = uploads.ingest(store, SEED_TXT.name, SEED_TXT.read_bytes(), who=REVIEWER)
    result = store.latest_extraction(out.doc_id).result
    text = SEED_TXT.read_text(encoding="utf-8")
    assert recheck(result, store.current_values(out.doc_id), text) == (set(), [])
    store.record_edit(out.doc_id, "old.回应解读总数", 340, who=REVIEWER)  # 4 + 1 + 6 + blank + 329
    store.record_edit(out.doc_id, "old.复议", 12, who=REVIEWER)  # breaks 复议 = 维持 10 + 纠错 + 其他
    gone, new = recheck(result, store.current_values(out.doc_id), text)
    assert [g.split("|")[0] for g in gone] == ["old.responses_sum"]
    # the sum 复议 = 维持 + 纠错 + 其他 breaks, and the narrative (行政复议10件) no longer agrees with the table
    assert sorted(f.rule for f in new) == ["old.review_sum", "prose.mismatch"]
    assert all("old.复议" in f.keys for f in new)


def test_a_blank_cell_is_marked_where_it_is_printed() -> None:
    from schemas.results import Evidence

    text = "规章\t\t\t\n行政规范性文件\t34\t34\t146"
    at = text.index("\t") + 1
    html = source_view.text_excerpt_html(text, [source_view.Mark(Evidence(start=at, end=at), True)])
    assert '<mark class="f"><span class="gap">（空白）</span></mark>' in html
    nowhere = source_view.text_excerpt_html(text, [source_view.Mark(Evidence(), True)])
    assert "没有可定位的原文位置" in nowhere


def test_a_cell_the_extractor_missed_shows_its_table_instead(env: Path) -> None:
    import extractor

    at = _signed_in(env)
    s = open_store()
    result = extractor.extract(SEED_TXT)
    del result.values["old.复议"]  # as an extractor that missed one cell would leave it
    result.prose_values.pop("old.复议", None)
    doc = s.add_document(SEED_TXT.read_bytes(), SEED_TXT.name, who=REVIEWER)
    s.save_extraction(doc.id, result, created_by=REVIEWER)
    at.radio(key="nav_page").set_value("审核").run()
    assert "行政复议数量" in at.selectbox(key="review_focus").options
    at.selectbox(key="review_focus").set_value("old.复议").run()
    assert any("未提取到数值" in m for m in _messages(at, "info"))
    page_html = "".join(h.proto.body for h in at.get("html"))
    assert '<mark class="o">' in page_html and '<mark class="f">' not in page_html
    assert 'class="v missing focus" style="background:#f3f4f6;color:#9ca3af" data-key="old.复议"' in page_html
    s.close()


def test_review_shows_the_report_against_last_years_report_in_the_store(env: Path) -> None:
    paths = [REAL / f"{y}-huaian-hongze-district.pdf" for y in (2023, 2024)]
    if not all(p.exists() for p in paths):
        pytest.skip("the real reports are not here; ../shared/real is read in place")
    at = _signed_in(env)
    s = open_store()
    earlier, later = (uploads.ingest(s, p.name, p.read_bytes(), who=REVIEWER) for p in paths)
    assert earlier.ok and later.ok
    # a reviewer corrects last year's report: its carried-over count no longer matches this year's
    s.record_edit(earlier.doc_id, "t3.结转下年度.自然人", 4, reason="核对原件", who=REVIEWER)
    at.session_state["review_doc_id"] = later.doc_id
    at.radio(key="nav_page").set_value("审核").run()
    assert not at.exception
    (years,) = [e for e in at.expander if e.label.startswith("跨年度核对")]
    assert years.label == "跨年度核对（1）"
    warnings = [w.value for w in years.warning]
    assert len(warnings) == 1 and "上年结转" in warnings[0] and "= 4" in warnings[0]
    # the reviewer settles it like any finding: dismissed, with the reason kept
    (reason,) = [t for t in years.text_input if t.key.startswith("find_reason_")]
    reason.input("上年数据已更正，本年按原件填报").run()
    (dismiss,) = [b for b in years.button if b.key.startswith("find_dismiss_")]
    dismiss.click().run()
    assert not at.exception
    (decision,) = s.finding_decisions(later.doc_id).values()
    assert (decision.rule, decision.decision, decision.who) == ("years.t3_carry_over", "dismissed", REVIEWER)
    assert decision.reason == "上年数据已更正，本年按原件填报"
    (years,) = [e for e in at.expander if e.label.startswith("跨年度核对")]
    assert "【已驳回】" in years.warning[0].value
    # the data page lists it with every other cross-year finding of the store
    at.radio(key="nav_page").set_value("数据").run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "规则" in d.value.columns]
    assert table[["机关", "上一年度", "年度", "规则", "实为", "应为"]].values.tolist() == [
        ["淮安市洪泽区人民政府", "2023", "2024", "years.t3_carry_over", "0", "4"]]
    assert data_view.similar_frame(s).empty  # one agency's two years are not a copy between agencies
    s.close()


def test_last_administrator_cannot_be_removed(env: Path) -> None:
    auth.add_user("管理员", PASSWORD, role="admin")
    auth.add_user(REVIEWER, PASSWORD)
    auth.remove_user(REVIEWER)
    assert list(auth.load_users()) == ["管理员"]
    with pytest.raises(ConfigError, match="最后一个管理员"):
        auth.remove_user("管理员")
    with pytest.raises(ConfigError, match="没有这个账号"):
        auth.remove_user("nobody")


def test_administrators_manage_accounts_in_the_app_and_reviewers_do_not_see_it(env: Path) -> None:
    auth.add_user("管理员", PASSWORD, role="admin")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="login_name").input("管理员")
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    at.radio(key="nav_page").set_value("账号").run()
    assert not at.exception
    at.text_input(key="acct_name").input("李四")
    at.text_input(key="acct_display").input("李四（区政务公开办）")
    at.text_input(key="acct_password").input("short")
    at.text_input(key="acct_password2").input("short")
    at.button(key="acct_save").click().run()
    assert any("至少 6 个字符" in m for m in _messages(at, "error")) and "李四" not in auth.load_users()
    at.text_input(key="acct_name").input("李四")
    at.text_input(key="acct_password").input("李四-secret-1")
    at.text_input(key="acct_password2").input("李四-secret-1")
    at.button(key="acct_save").click().run()
    assert any("已创建账号 李四" in m for m in _messages(at, "success"))
    li = auth.load_users()["李四"]
    assert (li.role, li.display) == ("reviewer", "李四（区政务公开办）")
    assert auth.authenticate("李四", "李四-secret-1") is not None
    at.selectbox(key="acct_remove_name").set_value("管理员")
    at.button(key="acct_remove").click().run()
    assert any("不能删除自己的账号" in m for m in _messages(at, "error"))

    reviewer = AppTest.from_file(APP, default_timeout=120)
    reviewer.run()
    reviewer.text_input(key="login_name").input("李四")
    reviewer.text_input(key="login_password").input("李四-secret-1")
    reviewer.button(key="login_submit").click().run()
    assert "账号" not in reviewer.radio(key="nav_page").options
