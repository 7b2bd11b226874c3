"""Scanned PDFs read by OCR: the real reports rasterized and rebuilt as image-only PDFs, the seed scanned,
a PDF scanned in part, a blank scan. Every scan is made here, at test time, from ../shared and the seed.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from extractor import extract
from extractor._errors import EmptyInputError, ImageOnlyError
from extractor.ingest import load, ocr
from extractor.ingest.crops import ocr_crop
from tests import requirements, scans, seed_formats
from tests.conftest import REAL, REAL_REPORTS, ROOT, SEED_TXT, load_gold, real_pdf

VARIANTS = {"150dpi": {"dpi": 150}, "200dpi": {"dpi": 200}, "300dpi": {"dpi": 300},
            "rotated-1deg-jpeg": {"dpi": 200, "rotate": 1.0, "jpeg": True}}


@pytest.fixture(autouse=True)
def _ocr_env(tmp_path_factory, monkeypatch):
    scans.needs_ocr()
    monkeypatch.setenv("XXGK_OCR_CACHE", str(tmp_path_factory.getbasetemp() / "ocr-cache"))
    monkeypatch.setenv("XXGK_OCR_WORKERS", "1")  # the test processes already use both cores


def _report_findings(result) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((f.rule, tuple(f.keys)) for f in result.report_findings())


def _score(result, gold: dict) -> tuple[int, list[str]]:
    flat = result.flat()
    right = sum(1 for k, g in gold.items() if k in flat and flat[k] == g)
    wrong = [f"{k}: {flat[k]!r} ≠ {g!r}" for k, g in gold.items() if k in flat and flat[k] is not None and flat[k] != g]
    return right, wrong


@pytest.mark.slow
@pytest.mark.ocr
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("slug", REAL_REPORTS)
def test_real_report_scanned(slug, variant):
    pdf = real_pdf(slug)
    gold = load_gold(REAL / f"{slug}.gold.json")["values"]
    original = extract(pdf)
    scan = scans.image_only_pdf(pdf.read_bytes(), **VARIANTS[variant])
    result = extract(scan, name=f"{slug}-{variant}.pdf")
    right, wrong = _score(result, gold)
    assert wrong == []
    assert right >= 0.995 * len(gold), f"{right}/{len(gold)}"
    assert _report_findings(result) == _report_findings(original)
    assert result.document.ocr_pages == 5 and result.document.layout == "ocr"
    # every table value says it was read by OCR, with its confidence and the box to crop
    v = result.values["t3.本年新收.总计"]
    assert v.evidence[0].ocr is not None and v.evidence[0].ocr.source.startswith("page ")
    assert 0.0 < v.evidence[0].ocr.confidence <= 1.0 and v.evidence[0].bbox is not None
    if variant == "150dpi":  # the crop the review page shows, cut again from the scan
        from PIL import Image

        crop = Image.open(io.BytesIO(ocr_crop(scan, "scan.pdf", v.evidence[0])))
        x0, _y0, x1, _y1 = v.evidence[0].bbox
        assert abs(crop.width - ((x1 - x0) * 200 / 72 + 24)) <= 3


@pytest.mark.slow
@pytest.mark.ocr
def test_seed_scanned_reads_like_the_text(seed_gold):
    requirements.cjk_font()  # the seed is typeset in the unembedded STSong-Light, then rendered
    text_doc = load(SEED_TXT)
    scan = scans.image_only_pdf(seed_formats.to_pdf(text_doc), 200)
    result = extract(scan, name="seed-scan.pdf")
    assert {k: result.flat().get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]
    assert _report_findings(result) == _report_findings(extract(SEED_TXT))


@pytest.mark.slow
@pytest.mark.ocr
def test_pdf_scanned_in_part_keeps_its_text_pages():
    """Page 3 of the real 2024 report replaced by its scan: that page is read by OCR, the others from text."""
    import pypdfium2 as pdfium

    pdf = real_pdf("2024-huaian-hongze-district")
    data = pdf.read_bytes()
    scanned = pdfium.PdfDocument(scans.image_only_pdf(data, 200))
    mixed = pdfium.PdfDocument(data)
    mixed.del_page(2)
    mixed.import_pages(scanned, [2], index=2)
    buf = io.BytesIO()
    mixed.save(buf)
    mixed.close()
    scanned.close()
    result = extract(buf.getvalue(), name="part-scan.pdf")
    gold = load_gold(REAL / "2024-huaian-hongze-district.gold.json")["values"]
    right, wrong = _score(result, gold)
    assert wrong == [] and right == len(gold)
    assert result.document.ocr_pages == 1
    pages = {e.page for v in result.values.values() for e in v.evidence if e.ocr is not None}
    assert pages == {3}


@pytest.mark.ocr
def test_blank_scan_is_a_one_line_error(tmp_path):
    with pytest.raises(EmptyInputError) as err:
        load(scans.blank_page_pdf(), "blank.pdf")
    assert "\n" not in str(err.value) and "blank" in str(err.value)
    path = tmp_path / "blank.pdf"
    path.write_bytes(scans.blank_page_pdf())
    run = subprocess.run([sys.executable, "-m", "extractor.cli", "extract", str(path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=300, check=False)
    assert run.returncode == 1
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "空白" in lines[0], run.stderr


def test_without_the_ocr_extra_a_scan_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    with pytest.raises(ImageOnlyError) as err:
        load(scans.blank_page_pdf(), "scan.pdf")
    assert "xxgk[ocr]" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.ocr
def test_cli_extracts_an_image_only_pdf(tmp_path):
    pdf = real_pdf("2023-huaian-hongze-district")
    path = tmp_path / "scan.pdf"
    path.write_bytes(scans.image_only_pdf(pdf.read_bytes(), 150))
    run = subprocess.run([sys.executable, "-m", "extractor.cli", "extract", "--flat", str(path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
    assert run.returncode == 0, run.stderr
    flat = json.loads(run.stdout)
    flat = flat[0] if isinstance(flat, list) else flat
    assert flat["t2.行政处罚.处理决定数量"] == 4119 and flat["t2.行政事业性收费.收费金额"] == 7730.28


@pytest.mark.slow
@pytest.mark.ocr
def test_pdf_with_text_and_the_table_as_pictures(seed_gold):
    """The seed's prose as text, its table pasted as pictures (one slice per page): the pictures are read."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from extractor.document import Paragraph

    text_doc = load(SEED_TXT)
    picture = Image.open(io.BytesIO(scans.table_picture(text_doc)))
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800
    for b in text_doc.blocks:
        if isinstance(b, Paragraph):
            c.setFont("STSong-Light", 9)
            for k in range(0, len(b.text), 50):
                if y < 60:
                    c.showPage()
                    y = 800
                c.setFont("STSong-Light", 9)
                c.drawString(40, y, b.text[k:k + 50])
                y -= 13
    scale = 520 / picture.width  # points per pixel
    rows_per_page = int(760 / scale)
    for top in range(0, picture.height, rows_per_page):
        c.showPage()
        piece = picture.crop((0, top, picture.width, min(picture.height, top + rows_per_page)))
        c.drawImage(ImageReader(piece), 40, 800 - piece.height * scale, width=520, height=piece.height * scale)
    c.save()
    result = extract(buf.getvalue(), name="text-and-pictures.pdf")
    assert {k: result.flat().get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]
    assert result.document.layout == "pdf" and result.document.ocr_pages >= 2
