"""Pictures read by OCR: a PNG/TIFF upload, the statistics table pasted as a picture into a DOCX or a web page.

The pictures are made here from the seed report and the real reports; nothing is committed.
"""

from __future__ import annotations

import base64
import io
import socket

import pytest

from extractor import extract, ocr_progress
from extractor._errors import CorruptFileError
from extractor.api import check_document
from extractor.ingest import load
from extractor.ingest.crops import ocr_crop
from extractor.reader import TableReader
from tests import scans
from tests.conftest import REAL, SEED_TXT, load_gold, real_pdf


@pytest.fixture(autouse=True)
def _ocr_env(tmp_path_factory, monkeypatch):
    scans.needs_ocr()
    monkeypatch.setenv("XXGK_OCR_CACHE", str(tmp_path_factory.getbasetemp() / "ocr-cache"))
    monkeypatch.setenv("XXGK_OCR_WORKERS", "1")


@pytest.fixture(scope="module")
def seed_doc():
    return load(SEED_TXT)


@pytest.fixture(scope="module")
def seed_table_png(seed_doc):
    scans.needs_ocr()
    return scans.table_picture(seed_doc)


def _seed_text_only(seed_doc):
    """The seed's paragraphs without its table, as a reporter pastes the table in as a picture."""
    from extractor.document import Paragraph

    return [b.text for b in seed_doc.blocks if isinstance(b, Paragraph)]


@pytest.mark.ocr
def test_png_of_table_four(tmp_path):
    """Page 4 of the real 2023 report as a PNG: table 四's fifteen cells, each with its OCR mark."""
    pdf = real_pdf("2023-huaian-hongze-district")
    (page,) = scans.page_images(pdf.read_bytes(), 200, pages=[4])
    doc = load(scans.png(page), "page4.png")
    assert doc.source_type == "image" and doc.pages == 1
    values = TableReader().extract(doc, "2021").values
    gold = load_gold(REAL / "2023-huaian-hongze-district.gold.json")["values"]
    t4 = {k: g for k, g in gold.items() if k.startswith("t4.")}
    assert {k: values[k].value for k in t4} == t4
    cell = next(c for t in doc.tables() for r in t.rows for c in r if c.text == "10")
    (mark,) = [m for m in doc.ocr if m.start == cell.span.start]
    assert mark.source == "image" and mark.readings[0][0] == "10" and mark.confidence > 0.6
    x0, y0, x1, y1 = mark.box
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    # the review page's crop, cut again from the upload
    from PIL import Image

    checked = check_document(doc, TableReader().extract(doc, "2021"))
    ev = checked.values["t4.复议.维持"].evidence[0]
    crop = Image.open(io.BytesIO(ocr_crop(scans.png(page), "page4.png", ev)))
    assert crop.size == (x1 - x0 + 24, y1 - y0 + 24)


@pytest.mark.ocr
def test_docx_with_the_table_as_a_picture(seed_doc, seed_table_png, seed_gold):
    from docx import Document as Docx
    from docx.shared import Cm

    d = Docx()
    for text in _seed_text_only(seed_doc):
        d.add_paragraph(text)
    d.add_picture(io.BytesIO(seed_table_png), width=Cm(15))
    buf = io.BytesIO()
    d.save(buf)
    result = extract(buf.getvalue(), name="seed-picture.docx")
    assert {k: result.flat().get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]
    v = result.values["old.收到申请数"]
    assert v.evidence[0].ocr is not None and v.evidence[0].ocr.source.startswith("word/media/")


@pytest.mark.ocr
def test_html_with_the_table_as_a_data_uri_and_as_a_file_beside(tmp_path, seed_doc, seed_table_png, seed_gold):
    paragraphs = "".join(f"<p>{t}</p>" for t in _seed_text_only(seed_doc))
    inline = base64.b64encode(seed_table_png).decode()
    page = f'<html><head><meta charset="utf-8"></head><body>{paragraphs}<img src="data:image/png;base64,{inline}"></body></html>'
    result = extract(page.encode("utf-8"), name="seed.html")
    assert {k: result.flat().get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]
    assert result.values["old.收到申请数"].evidence[0].ocr.source == "img 1"

    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "table.png").write_bytes(seed_table_png)
    html = tmp_path / "seed.html"
    html.write_text(f'<html><head><meta charset="utf-8"></head><body>{paragraphs}<img src="pics/table.png">'
                    '<img src="../outside.png"></body></html>', encoding="utf-8")
    result = extract(html)
    assert {k: result.flat().get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]
    # bytes without a path: the file beside cannot be found, so the table is missing, not invented
    result = extract(html.read_bytes(), name="seed.html")
    assert "old.收到申请数" not in result.flat() or result.flat()["old.收到申请数"] is None


@pytest.mark.ocr
def test_multipage_tiff_reads_every_frame(seed_doc, seed_table_png):
    from PIL import Image

    first = Image.open(io.BytesIO(seed_table_png)).convert("L")
    blank = Image.new("L", (800, 600), 255)
    buf = io.BytesIO()
    blank.save(buf, format="TIFF", save_all=True, append_images=[first])
    doc = load(buf.getvalue(), "scan.tif")
    assert doc.pages == 2 and {m.page for m in doc.ocr} == {2} and {m.source for m in doc.ocr} == {"image 2"}
    values = TableReader().extract(doc, "2008").values
    assert values["old.收到申请数"].value == 233


def test_a_broken_picture_is_a_clear_error():
    with pytest.raises(CorruptFileError):
        load(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png")


@pytest.mark.ocr
def test_ocr_reads_offline_and_from_the_cache(monkeypatch, tmp_path, seed_table_png):
    """No socket is opened while reading (the models are in the wheel); a second read comes from the cache."""
    monkeypatch.setenv("XXGK_OCR_CACHE", str(tmp_path / "cache"))
    def refuse(*args, **kwargs):
        raise AssertionError("network access during OCR")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    seen: list[tuple[int, int, bool]] = []
    token = ocr_progress.progress.set(lambda done, total, secs, cached: seen.append((done, total, cached)))
    try:
        first = load(seed_table_png, "t.png")
        second = load(seed_table_png, "t.png")
    finally:
        ocr_progress.progress.reset(token)
    assert first.text == second.text and first.ocr == second.ocr
    assert seen == [(1, 1, False), (1, 1, True)]


@pytest.mark.slow
@pytest.mark.ocr
def test_pages_in_the_worker_pool_read_as_in_one_process(monkeypatch, tmp_path):
    pdf = real_pdf("2024-huaian-hongze-district")
    scan = scans.image_only_pdf(pdf.read_bytes(), 150)
    monkeypatch.setenv("XXGK_OCR_CACHE", "off")
    alone = load(scan, "scan.pdf")
    monkeypatch.setenv("XXGK_OCR_WORKERS", "2")
    pages: list[int] = []
    token = ocr_progress.progress.set(lambda done, total, secs, cached: pages.append(done))
    try:
        pooled = load(scan, "scan.pdf")
    finally:
        ocr_progress.progress.reset(token)
    assert pooled.text == alone.text
    assert [(m.start, m.end, m.box) for m in pooled.ocr] == [(m.start, m.end, m.box) for m in alone.ocr]
    assert sorted(pages) == [1, 2, 3, 4, 5]
