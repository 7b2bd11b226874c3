"""The OCR engine: digits read with their runners-up, short lines packed into strips, nothing fetched."""

from __future__ import annotations

import numpy as np
import pytest

from extractor.ingest import ocr
from tests import requirements, scans


def test_beam_search_gives_the_runner_up_digit():
    charset = ["<blank>", "0", "8", "1"]
    probs = np.array([
        [0.98, 0.01, 0.005, 0.005],
        [0.05, 0.60, 0.34, 0.01],  # a 0 that could be an 8
        [0.97, 0.01, 0.01, 0.01],
        [0.02, 0.01, 0.01, 0.96],  # a sure 1
        [0.99, 0.003, 0.003, 0.004],
    ])
    ranked = ocr._beam(probs, charset)
    assert [t for t, _ in ranked[:2]] == ["01", "81"]
    assert ranked[0][1] == pytest.approx(0.98 * 0.60 * 0.97 * 0.96 * 0.99, rel=0.05)
    assert ranked[1][1] == pytest.approx(0.98 * 0.34 * 0.97 * 0.96 * 0.99, rel=0.05)


def test_beam_search_keeps_a_doubled_digit_apart_from_a_long_one():
    charset = ["<blank>", "0"]
    # 0, then a step that may be a gap (two zeros) or not (one long zero)
    probs = np.array([[0.01, 0.99], [0.45, 0.55], [0.01, 0.99], [0.99, 0.01]])
    ranked = dict(ocr._beam(probs, charset))
    assert set(ranked) >= {"0", "00"} and ranked["0"] > ranked["00"] > 0.3


def test_short_lines_are_packed_into_few_strips():
    strips = ocr._pack([40] * 100 + [1500])
    assert len(strips) <= 6
    placed = sorted(i for _, items in strips for i, _ in items)
    assert placed == list(range(101))
    for width, items in strips:
        assert width <= ocr._STRIP and width % 8 == 0
        xs = [x for _, x in items]
        assert xs == sorted(xs)


@pytest.mark.ocr
def test_engine_reads_printed_numbers_and_labels():
    scans.needs_ocr()
    requirements.cjk_font()  # the page is rendered in the unembedded STSong-Light
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(300, 60))
    c.setFont("STSong-Light", 14)
    c.drawString(10, 35, "行政处罚")
    c.drawString(10, 10, "7730.28")
    c.save()
    (page,) = scans.page_images(buf.getvalue(), 200)
    gray = np.asarray(page.convert("L"))
    eng = ocr.engine()
    boxes = sorted(eng.detect(gray), key=lambda b: b[1])
    assert len(boxes) == 2
    lines = [gray[max(0, b[1] - 3):b[3] + 3, max(0, b[0] - 6):b[2] + 6] for b in boxes]
    label, number = eng.recognize(lines, alternatives=[False, True])
    assert label.text == "行政处罚" and label.confidence > 0.9
    assert number.text == "7730.28" and number.confidence > 0.8
    assert all(t != "7730.28" for t, _ in number.alternatives)
