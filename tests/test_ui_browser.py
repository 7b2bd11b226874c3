"""A reviewer's whole day in a real browser: Debian's Chromium driven by Playwright, the app started as
``xxgk ui`` starts it (``streamlit run ui/asgi.py`` on loopback), a real SQLite store in a temporary folder.

Sign in; upload the two real 洪泽区 PDFs and the seed (read from ../shared and examples/ at test time,
never copied into the repo); open the 2023 report; select each finding; accept one; dismiss one with a
reason; edit a value from the official form; reload — still signed in, on the same report and value; use
the keys; confirm-and-next; export from the 数据 page and read the export back. After every step the page
must show no Streamlit exception box and the browser console no error. Screenshots of each step go to
``.artifacts/ui-browser/`` (CI keeps them) and the review page's to ``docs/screenshots/review.png``.

The crash of issue 13, item 1 (select a finding, decide it, then click again: ``TypeError: '>=' not
supported between instances of 'str' and 'int'`` in ``_focus_from_finding``) is caught in step 5, at
``assert _select(page, 0, watch) == first`` — the click on the first finding after accepting it: inside
``_select``, :func:`_no_errors`'s first assertion, ``boxes.count() == 0`` on ``[data-testid='stException']``,
fails with the TypeError's text. Checked by putting the old code back temporarily (the finding radio whose
labels carry the decision, its value read back as an index and compared with ``>=``): the test then failed
there with "Streamlit exception on the page: TypeError: '>=' not supported between instances of 'str' and
'int' … in _old_focus_from_finding", and passes again without it.

A second, shorter walk reviews a scan: the OCR marks, the crop beside the value, a doubtful digit's
readings and the one picked (tests/test_ui_ocr_view.py makes the scan).

Needs Chromium (/usr/bin/chromium, or $XXGK_CHROMIUM) and the playwright package: `.ci/browser.sh` installs
both; without them the test is skipped with that reason.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from pathlib import Path

import pytest

from schemas import catalog
from tests import requirements
from tests.conftest import REAL, ROOT, SEED_TXT
from tests.ui_app import running_app

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "docs" / "screenshots" / "review.png"
SHOTS = ROOT / ".artifacts" / "ui-browser"
REPORTS = [REAL / "2023-huaian-hongze-district.pdf", REAL / "2024-huaian-hongze-district.pdf", SEED_TXT]
REVIEWER, PASSWORD = "李审核", "browser-pw-1"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def app(tmp_path: Path):
    """The app as `xxgk ui` runs it, with one administrator; yields (url, data folder)."""
    requirements.playwright()
    requirements.chromium()
    for report in REPORTS:
        requirements.shared(report)
    from ui import auth

    auth.add_user(REVIEWER, PASSWORD, role="admin", path=tmp_path / "users.json")
    env = {"XXGK_DATA_DIR": str(tmp_path / "data"), "XXGK_USERS_FILE": str(tmp_path / "users.json"),
           "XXGK_DATABASE_URL": "", "XXGK_UI_SECRET": "", "XXGK_UI_MAX_MB": ""}
    with running_app(tmp_path, env) as port:
        yield f"http://127.0.0.1:{port}", tmp_path / "data"


# -- helpers -------------------------------------------------------------------------------------------------
class Watch:
    """Console errors and uncaught page errors, collected for the whole walk."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))


def _idle(page) -> None:
    """Wait until the script run the last action started has finished (and stays finished a moment)."""
    for _ in range(2):
        page.wait_for_timeout(200)
        page.wait_for_function("() => { const a = document.querySelector('.stApp');"
                               " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }")


def _no_errors(page, watch: Watch) -> None:
    """No Streamlit exception box on the page (its text is the failure's message) and no console error."""
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, "Streamlit exception on the page: " + " | ".join(boxes.all_inner_texts())
    assert watch.errors == [], watch.errors


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query).items()}


def _store(data: Path):
    from extractor.store import open_store

    return open_store(f"sqlite:///{data / 'xxgk.sqlite'}")


def _findings(page):
    return page.locator(".st-key-findings button[kind]").filter(has_text="表四")


def _select(page, i: int, watch: Watch) -> str:
    """Click the i-th finding of the list; returns its id, as the URL now says it.

    Waits for the button to show itself chosen — or for Streamlit's exception box, which fails at once.
    """
    from playwright.sync_api import expect

    _findings(page).nth(i).click()
    page.wait_for_function(
        "i => document.querySelector(\"[data-testid='stException']\") || "
        "(document.querySelectorAll(\".st-key-findings button[kind]\")[i] || {}).getAttribute?.('kind') === 'primary'",
        arg=i)
    _idle(page)
    _no_errors(page, watch)
    expect(_findings(page).nth(i)).to_have_attribute("kind", "primary")
    return _query(page)["finding"]


# -- the day -------------------------------------------------------------------------------------------------
def test_a_reviewers_whole_day_in_chromium(app, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, data = app
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=requirements.chromium(), args=CHROME_ARGS, headless=True,
            viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True)
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(120_000)  # a loaded 2-core CI machine can be slow
            watch = Watch(page)

            # 1. sign in
            page.goto(url)
            page.get_by_label("用户名").fill(REVIEWER)
            page.get_by_label("密码", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_text(f"审核员：{REVIEWER}")).to_be_visible()
            _idle(page)
            _no_errors(page, watch)
            _shot(page, "01-signed-in")

            # 2. upload the two real PDFs and the seed: one job, extracted by the workers
            page.locator("section[data-testid='stSidebar']").get_by_text("上传", exact=True).click()
            expect(page.get_by_role("heading", name="上传报告")).to_be_visible()
            expect(page.get_by_text("单个文件不超过 50 MB")).to_be_visible()
            page.locator("input[type='file']").set_input_files([str(p) for p in REPORTS])
            for path in REPORTS:  # each file is in (Streamlit labels its remove buttons with the names)
                expect(page.get_by_role("button", name=f"Remove {path.name}")).to_be_visible()
            _idle(page)
            page.get_by_role("button", name="开始提取").click()
            # the job's box is redrawn by the page once the job is done: wait for that, then read it
            expect(page.get_by_role("button", name="打开第一份进行审核")).to_be_visible(timeout=180_000)
            _idle(page)
            expect(page.get_by_text("共 3 个文件：已提取 3，跳过 0，失败 0")).to_have_count(1)
            _no_errors(page, watch)
            _shot(page, "02-uploaded")

            # 3. open the 2023 report (the first file of the job)
            page.get_by_role("button", name="打开第一份进行审核").click()
            expect(page.get_by_role("heading", name="淮安市洪泽区人民政府　2023 年度报告")).to_be_visible()
            _idle(page)
            assert _query(page)["page"] == "review"
            report = int(_query(page)["report"])
            _no_errors(page, watch)
            _shot(page, "03-report")

            # 4. select each finding: its first cell is focused in the form and boxed on the PDF page
            expect(_findings(page)).to_have_count(2)
            for i, (key, equation) in enumerate([("t4.复议.总计", "0 ≠ 10+1+0+0 = 11"),
                                                 ("t4.诉讼复议后.总计", "0 ≠ 5+0+0+0 = 5")]):
                _select(page, i, watch)
                assert _query(page)["key"] == key
                expect(page.locator(".st-key-finding_detail").get_by_text(equation)).to_be_visible()
                expect(page.locator(f".st-key-review_form td.focus[data-key='{key}']")).to_have_count(1)
                expect(page.locator(f".st-key-review_page .b.focus[data-key='{key}']")).to_be_visible()
                expect(page.locator(".st-key-review_form td.inf")).to_have_count(5)  # the finding's cells
                _no_errors(page, watch)
                _shot(page, f"04-finding-{i + 1}")
            page.evaluate("() => { for (const e of document.querySelectorAll('*')) if (e.scrollTop > 0) e.scrollTop = 0; }")
            first = _select(page, 0, watch)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))

            # 5. accept the first finding, then click it again (the crash of item 1 was here)
            page.get_by_role("button", name="认定为报告错误 (A)").click()
            expect(page.get_by_text("已认定为报告错误：表四 行政复议")).to_be_visible()
            _idle(page)
            assert _select(page, 0, watch) == first  # issue 13, item 1: the exception box appeared here
            expect(_findings(page).nth(0)).to_contain_text("【已认定为报告错误】")
            _shot(page, "05-accepted")

            # 6. dismiss the second with a reason (refused without one)
            second = _select(page, 1, watch)
            page.get_by_role("button", name="驳回 (D)").click()
            expect(page.get_by_text("驳回需要填写理由")).to_be_visible()
            _idle(page)
            page.locator(".st-key-finding_reason input").fill("复议后起诉的案件计入上年报告，本年为 0")
            page.locator(".st-key-finding_reason input").press("Enter")
            expect(_findings(page).nth(1)).to_contain_text("【已驳回】")
            _idle(page)
            _no_errors(page, watch)
            _shot(page, "06-dismissed")

            # 7. edit a value from the official form: click it, type, Enter saves and moves on
            page.locator(".st-key-review_form td[data-key='t4.复议.总计']").click()
            page.wait_for_function("() => new URLSearchParams(location.search).get('key') === 't4.复议.总计'")
            _idle(page)
            box = page.locator(".st-key-edit_value input")
            expect(box).to_be_focused()
            box.fill("11")
            box.press("Enter")
            expect(page.get_by_text("已保存：行政复议·总计 0 → 11")).to_be_visible()
            _idle(page)
            assert _query(page)["key"] != "t4.复议.总计"  # on to the next value
            expect(_findings(page).nth(0)).to_contain_text("【已认定为报告错误】")
            expect(page.locator(".st-key-review_form td[data-key='t4.复议.总计']")).to_have_text("11")
            _no_errors(page, watch)
            _shot(page, "07-edited")
            with _store(data) as store:
                (edit,) = store.edits(report)
                assert (edit.key, edit.old_value, edit.new_value, edit.who) == ("t4.复议.总计", 0, 11, REVIEWER)

            # 8. reload: still signed in, on the same report and value
            where = _query(page)
            page.reload()
            expect(page.get_by_text(f"审核员：{REVIEWER}")).to_be_visible()
            expect(page.get_by_role("heading", name="淮安市洪泽区人民政府　2023 年度报告")).to_be_visible()
            _idle(page)
            assert _query(page) == where
            expect(page.locator(".st-key-edit_box")).to_contain_text(f"修改：{_cell_name(where['key'])}")
            _no_errors(page, watch)
            _shot(page, "08-reloaded")

            # 9. the keys — after leaving the page and coming back: K / J move between findings, D and E go to
            # their boxes, nothing fires while typing
            assert where["finding"] == second
            sidebar = page.locator("section[data-testid='stSidebar']")
            sidebar.get_by_text("审核队列", exact=True).click()
            expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
            _idle(page)
            sidebar.get_by_text("审核", exact=True).click()
            expect(page.get_by_role("heading", name="淮安市洪泽区人民政府　2023 年度报告")).to_be_visible()
            _idle(page)
            assert _query(page) == where
            page.mouse.click(700, 12)
            page.keyboard.press("k")
            page.wait_for_function("f => new URLSearchParams(location.search).get('finding') === f", arg=first)
            _idle(page)
            page.keyboard.press("j")
            page.wait_for_function("f => new URLSearchParams(location.search).get('finding') === f", arg=second)
            _idle(page)
            page.keyboard.press("d")
            reason = page.locator(".st-key-finding_reason input")
            expect(reason).to_be_focused()
            page.keyboard.type("kkn")  # typed into the box: no key acts
            _idle(page)
            assert _query(page)["finding"] == second and reason.input_value().endswith("kkn")
            page.keyboard.press("Escape")
            page.keyboard.press("e")
            expect(page.locator(".st-key-edit_value input")).to_be_focused()
            page.keyboard.press("Escape")
            _no_errors(page, watch)
            _shot(page, "09-keys")

            # 10. confirm-and-next (Ctrl+Enter): the 2023 report is confirmed, the next pending one opens
            page.mouse.click(700, 12)
            page.keyboard.press("Control+Enter")
            expect(page.get_by_role("heading", name="淮安市洪泽区人民政府　2024 年度报告")).to_be_visible()
            _idle(page)
            expect(page.get_by_text("已确认（审核人：李审核）")).to_be_visible()
            expect(page.locator(".st-key-review_form .py").first).to_contain_text("上年")  # last year's values
            _no_errors(page, watch)
            _shot(page, "10-next-report")
            page.mouse.click(700, 12)
            page.keyboard.press("n")  # the next pending report: the seed
            expect(page.get_by_role("heading", name="57365线路检测中心　2017 年度报告")).to_be_visible()
            _idle(page)
            _no_errors(page, watch)
            with _store(data) as store:
                review = store.get_review(report)
                assert (review.state, review.reviewer) == ("confirmed", REVIEWER)
                assert review.confirmed_values["t4.复议.总计"] == 11

            # 11. export the confirmed values and read the file back
            page.locator("section[data-testid='stSidebar']").get_by_text("数据", exact=True).click()
            expect(page.get_by_role("heading", name="已确认数据")).to_be_visible()
            _idle(page)
            with page.expect_download() as got:
                page.get_by_role("button", name="下载 CSV（全部筛选结果）").click()
            assert got.value.suggested_filename == "xxgk-confirmed.csv"
            raw = Path(got.value.path()).read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens the Chinese right
            (header, row) = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))  # headed by the labels
            got_row = dict(zip(header, row, strict=True))
            assert (got_row["机关"], got_row["年度"], got_row["审核人"]) == ("淮安市洪泽区人民政府", "2023", REVIEWER)
            assert row[_labelled(header, "t4.复议.总计")] == "11" and row[_labelled(header, "t3.本年新收.总计")] == "21"
            _idle(page)
            with page.expect_download() as got:
                page.get_by_role("button", name="下载 Excel（全部筛选结果）").click()
            from openpyxl import load_workbook

            assert got.value.suggested_filename == "xxgk-confirmed.xlsx"
            book = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
            sheet = book["数值"]
            header = [c.value for c in sheet[1]]
            values = [c.value for c in sheet[2]]
            assert values[_labelled(header, "t4.复议.总计")] == 11
            _no_errors(page, watch)
            _shot(page, "11-data")
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 50_000


def _labelled(header: list[str], key: str) -> int:
    """The column of ``key`` in a download headed by the official labels (a label two cells share says its key)."""
    label = catalog.BY_KEY[key].label
    return header.index(label) if label in header else header.index(f"{label} ({key})")


def _cell_name(key: str) -> str:
    from ui.form_view import cell_name

    return cell_name(key)


@pytest.fixture()
def ocr_cache(tmp_path_factory, monkeypatch) -> None:
    """One OCR cache for this process and the app it starts (asked for before ``app``), in the test's folder."""
    monkeypatch.setenv("XXGK_OCR_CACHE", str(tmp_path_factory.getbasetemp() / "ocr-cache"))
    monkeypatch.setenv("XXGK_OCR_WORKERS", "1")


def test_a_scan_reviewed_in_chromium(ocr_cache, app, tmp_path: Path) -> None:
    """A scanned page (the seed's table, an image-only PDF made here) with one doubtful digit: the OCR marks in
    the form, the crop beside the value, both readings shown, one picked with a click and saved as an edit."""
    from playwright.sync_api import expect, sync_playwright

    from extractor.ingest import load
    from tests import scans, seed_formats
    from tests.test_ui_ocr_view import DOUBTED, doubtful_scan
    from ui.findings import finding_id

    requirements.ocr()
    requirements.cjk_font()  # the seed is typeset in the unembedded STSong-Light, then rendered
    (seed_page,) = scans.page_images(seed_formats.to_pdf(load(SEED_TXT)), 150, pages=[5])
    scan, result, doubt = doubtful_scan(seed_page)
    url, data = app
    with _store(data) as store:
        report = store.add_document(scan, "seed-p5-scan.pdf", who=REVIEWER).id
        store.save_extraction(report, result, created_by=REVIEWER)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=requirements.chromium(), args=CHROME_ARGS, headless=True,
            viewport={"width": 1440, "height": 900}, locale="zh-CN")
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(120_000)
            watch = Watch(page)
            page.goto(f"{url}/?page=review&report={report}&finding={finding_id(doubt)}")  # a link to the finding
            page.get_by_label("用户名").fill(REVIEWER)
            page.get_by_label("密码", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_text(f"审核员：{REVIEWER}")).to_be_visible()

            # the doubtful digit: 待选 in the form, its box on the rendered scan, the crop and both readings
            expect(page.locator(".st-key-finding_detail")).to_contain_text("识读结果：“2” 41%、“7” 35%",
                                                                           timeout=120_000)
            _idle(page)
            expect(page.locator(f".st-key-review_form td[data-key='{DOUBTED}']")).to_contain_text("待选")
            expect(page.locator(f".st-key-review_page .b.focus[data-key='{DOUBTED}']")).to_be_visible()
            crops = page.locator("img.ocr-crop")
            expect(crops).to_have_count(2)  # beside the finding and beside the edit box
            assert crops.first.evaluate("img => img.complete && img.naturalWidth > 20")
            marks = page.locator(".st-key-review_form td[data-key='old.收到申请数'] .ocr")
            expect(marks).to_have_text("OCR 99%")
            _no_errors(page, watch)
            _shot(page, "scan-01-doubtful")

            page.get_by_role("button", name="“2”（41%）").click()
            expect(page.get_by_text(f"已保存：{_cell_name(DOUBTED)} 空 → 2")).to_be_visible()
            _idle(page)
            expect(page.locator(".st-key-findings")).to_contain_text("【修改后已消除】扫描数字待确认")
            expect(page.locator(f".st-key-review_form td[data-key='{DOUBTED}']")).to_contain_text("2")
            _no_errors(page, watch)
            _shot(page, "scan-02-picked")
            with _store(data) as store:
                (edit,) = store.edits(report)
                assert (edit.key, edit.new_value, edit.who) == (DOUBTED, 2, REVIEWER)
        finally:
            browser.close()
