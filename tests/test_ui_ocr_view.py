"""Scans on the review page: every OCR'd value marked with its confidence, its crop of the scan beside it,
and a doubtful digit settled by picking one of the engine's readings.

The scans are made here, at test time: page 5 of the seed report (its statistics table) typeset as a
PDF and rendered at 150 dpi, uploaded as a PNG through the upload page as a reviewer would, and rebuilt
as an image-only PDF. Nothing is committed. OCR runs for real ([ocr] extra); the doubtful digit is made by lowering one OCR mark's
confidence in the Document read from that scan — the engine reads the clean render too well to doubt
anything on its own — and the extraction is then checked as ``xxgk extract`` checks it.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

from tests import requirements

requirements.package("streamlit", "ui", module_level=True)

from streamlit.testing.v1 import AppTest

from extractor.api import check_document, read_document
from extractor.ingest import load
from extractor.reader import TableReader
from extractor.store import Store, open_store
from schemas.results import Evidence, Finding, OcrSource, Result, Value
from tests import scans, seed_formats
from tests.conftest import ROOT, SEED_TXT
from ui import auth, form_view, jobs, ocr_view
from ui.findings import finding_id

APP = str(ROOT / "ui" / "app.py")
REVIEWER = "张三"
PASSWORD = "审核-secret-1"
DOUBTED = "old.申请.网络"  # printed "2"; 当面 179 + 传真 26 + 网络 2 + 信函 26 = 收到申请数 233


# -- the mark, without a scan -----------------------------------------------------------------------------
def _ocr_value(confidence: float, readings: list[tuple[str, float]]) -> Value:
    src = OcrSource(confidence=confidence, source="page 1", image="sha", box=(10, 10, 30, 26), readings=readings)
    return Value(key="old.收到申请数", value=233, raw="233", evidence=[Evidence(text="233", ocr=src)])


def test_mark_says_ocr_and_the_confidence_rounded_down_and_orange_when_worth_a_look():
    sure = ocr_view.ocr_source(_ocr_value(0.9999, [("233", 0.9999), ("23", 0.0)]))
    assert ocr_view.mark_text(sure) == "OCR 99%"  # 0.9999 is not yet 100%
    assert 'class="ocr"' in ocr_view.mark_html(sure)
    assert "其他读法" not in ocr_view.mark_title(sure)  # a runner-up with no real probability is noise
    unsure = ocr_view.ocr_source(_ocr_value(0.72, [("233", 0.72), ("283", 0.25)]))
    assert 'class="ocr low"' in ocr_view.mark_html(unsure)
    assert ocr_view.mark_title(unsure) == "扫描识别（page 1），置信度 72%；其他读法 “283”25%"
    assert ocr_view.ocr_source(Value(key="old.收到申请数", value=1, evidence=[Evidence()])) is None


def test_form_marks_ocr_values_but_not_once_a_person_edited_them():
    result = Result(values={"old.收到申请数": _ocr_value(0.72, [("233", 0.72)])})
    result.meta.template = "2008"
    (form,) = form_view.forms(result)
    values = {"old.收到申请数": 233}
    states = form_view.cell_states(result, values, set(), {})
    cell = re.search(r'<td[^>]*data-key="old.收到申请数"[^>]*>.*?</td>', form_view.form_html(form, result, values, states,
                                                                                          set())).group(0)
    assert "ocr-read" in cell and ">OCR 72%</span>" in cell
    edited = form_view.form_html(form, result, values, states, {"old.收到申请数"})
    assert "OCR 72%" not in edited
    assert "扫描识别及置信度" in form_view.legend_html(ocr=True) and "OCR" not in form_view.legend_html()


# -- the review page on a real scan -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_page():
    """Page 5 of the seed (the statistics table) scanned at 150 dpi."""
    scans.needs_ocr()
    requirements.cjk_font()  # the seed is typeset in the unembedded STSong-Light, then rendered
    (page,) = scans.page_images(seed_formats.to_pdf(load(SEED_TXT)), 150, pages=[5])
    return page


@pytest.fixture(scope="module")
def seed_scan(seed_page) -> bytes:
    """The scanned page as a PNG."""
    return scans.png(seed_page)


@pytest.fixture()
def store(ui_env: Path, tmp_path_factory, monkeypatch) -> Store:
    scans.needs_ocr()
    monkeypatch.setenv("XXGK_OCR_CACHE", str(tmp_path_factory.getbasetemp() / "ocr-cache"))
    monkeypatch.setenv("XXGK_OCR_WORKERS", "1")
    s = open_store()
    yield s
    s.close()


def doubtful_scan(page) -> tuple[bytes, Result, Finding]:
    """The page as an image-only PDF, read by OCR, with its 网络申请数 "2" made doubtful ("2" 41 %, "7" 35 %):
    (the scan, its checked Result, the ``extract.ocr_doubtful`` finding)."""
    scan = scans.images_to_pdf([page], 150)  # an image-only PDF, as a scanner makes it
    document, info = read_document(scan, "seed-p5-scan.pdf")
    cell = next(c for t in document.tables() for r in t.rows for c in r if c.text == "2")
    (mark,) = [m for m in document.ocr if m.start == cell.span.start]
    document.ocr[document.ocr.index(mark)] = replace(mark, confidence=0.41, readings=(("2", 0.41), ("7", 0.35)))
    result = check_document(document, TableReader().extract(document, "2008"), info)
    (doubt,) = [f for f in result.findings if f.rule == "extract.ocr_doubtful"]
    return scan, result, doubt


def _signed_in(**query: str) -> AppTest:
    auth.add_user(REVIEWER, PASSWORD)
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.text_input(key="login_name").input(REVIEWER)
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    assert not at.exception
    return at


def _html(at: AppTest) -> str:
    return "".join(h.proto.body for h in at.get("html"))


def _component_html(at: AppTest, key: str) -> str:
    """The HTML handed to ui.components.clickable under ``key`` (what the browser draws)."""
    import json

    for el in at.get("bidi_component"):
        if el.proto.id.endswith("-" + key):
            data = json.loads(el.proto.json)
            return (data.get("data") or data)["html"]
    raise AssertionError(f"no component {key}")


def _crops(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'class="ocr-crop" src="data:image/png;base64,([^"]+)"', page)]


@pytest.mark.ocr
def test_scan_uploaded_through_the_ui_shows_marks_the_page_and_the_crop(store: Store, seed_scan: bytes) -> None:
    from PIL import Image

    at = _signed_in(page="upload")
    at.file_uploader(key="upload_files_0").set_value([("seed-p5.png", seed_scan, "image/png")])
    at.run()
    at.button(key="upload_start").click().run()
    (job,) = store.list_jobs()
    jobs.wait(store, job.id)
    at.run()
    (table,) = [d.value for d in at.dataframe if "结果" in d.value.columns]
    assert table[["文件", "结果"]].values.tolist() == [["seed-p5.png", "✅ 已提取"]]
    at.button(key="upload_open_first").click().run()
    doc = at.session_state["place"].report
    result = store.latest_extraction(doc).result
    assert result.document.type == "image" and result.document.ocr_pages == 1
    read = ocr_view.ocr_sources(result)
    assert set(read) == {k for k, v in result.values.items() if v.raw} and len(read) > 20  # blanks read nothing
    assert result.values["old.收到申请数"].value == 233

    at.query_params["key"] = "old.收到申请数"
    at.run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert f"扫描件：{len(read)} 个数值由 OCR 识别" in captions
    assert "扫描件第 1 页　红框：收到申请数（原文“233”）" in captions
    # the form marks every OCR'd value with its confidence, and says what the mark means
    form = _component_html(at, "review_form")
    cell = re.search(r'<td[^>]*data-key="old.收到申请数"[^>]*>.*?</td>', form).group(0)
    assert f">{ocr_view.mark_text(read['old.收到申请数'])}</span>" in cell and "OCR 9" in cell
    assert form.count('class="ocr') >= len(read) and "扫描识别及置信度" in form
    # the scan is drawn like a PDF page, the chosen value's box in red
    page = _component_html(at, "review_page")
    assert 'data-key="old.收到申请数"' in page and "b focus" in page
    # and the crop of the scan the value was read from sits beside the edit box
    (crop,) = _crops(_html(at))
    x0, y0, x1, y1 = read["old.收到申请数"].box
    assert Image.open(io.BytesIO(crop)).size == (x1 - x0 + 24, y1 - y0 + 24)
    assert "扫描识别 · 置信度 99%" in _html(at)
    assert "识读结果" not in _html(at)  # runners-up with no real probability are not offered as readings
    # the value list says which values were read by OCR
    (picker,) = [s for s in at.selectbox if (s.key or "").startswith(f"pick_{doc}_")]
    assert picker.format_func("old.收到申请数").startswith("收到申请数（OCR ")


@pytest.mark.ocr
def test_doubtful_digit_shows_both_readings_and_the_crop_and_is_settled_by_picking_one(store: Store, seed_page) -> None:
    scan, result, doubt = doubtful_scan(seed_page)
    assert result.values[DOUBTED].value is None  # held back: a wrong value is worse than a missing one
    row = store.add_document(scan, "seed-p5-scan.pdf", who=REVIEWER)
    store.save_extraction(row.id, result, created_by=REVIEWER)

    at = _signed_in(page="review", report=str(row.id), finding=finding_id(doubt))
    assert not at.exception
    assert at.session_state["place"].key == DOUBTED
    assert "1 个待选定读法" in " ".join(c.value for c in at.caption)
    assert ">待选<" in _component_html(at, "review_form")  # no number shown until a person picks one
    assert any(c.value.startswith(f"扫描件第 1 页　红框：{form_view.cell_name(DOUBTED)}（原文“2”）") for c in at.caption)
    assert f'b focus" data-key="{DOUBTED}"' in _component_html(at, "review_page")  # the rendered scan, boxed
    # both readings to pick from, and the crop — beside the finding and beside the edit box
    assert [b.label for b in at.button if (b.key or "").startswith("pick_reading_")] == ["“2”（41%）", "“7”（35%）"]
    crops = _crops(_html(at))
    assert len(crops) == 2 and crops[0] == crops[1]
    assert "识读结果：“2” 41%、“7” 35%" in _html(at) and "待人工选定" in _html(at)
    assert "finding_accept" not in [b.key for b in at.button]  # not the report's error: a reading to pick
    assert any(b.label.endswith(f"扫描数字待确认：统计表 {form_view.cell_name(DOUBTED)}") for b in at.button)
    assert any(c.value.startswith(f"{form_view.cell_name(DOUBTED)} 的扫描数字可能识别有误") for c in at.caption)

    at.button(key="pick_reading_0").click().run()
    assert not at.exception
    (edit,) = store.edits(row.id)
    assert (edit.key, edit.old_value, edit.new_value, edit.who) == (DOUBTED, None, 2, REVIEWER)
    assert edit.reason == "对照原图，采用扫描识读“2”" and edit.created_at is not None
    assert store.current_values(row.id)[DOUBTED] == 2
    labels = [b.label for b in at.button if (b.key or "").startswith("finding_")]
    assert any("【修改后已消除】" in lab and "扫描" in lab for lab in labels), labels
    assert "1 个待选定读法" not in " ".join(c.value for c in at.caption)
    at.query_params["finding"] = finding_id(doubt)
    at.run()
    assert any(f"已人工选定：{form_view.cell_name(DOUBTED)} = 2（{REVIEWER}" in s.value for s in at.success)
