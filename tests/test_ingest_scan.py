"""Page layout of a scan: ruling lines into a cell grid with merged cells, a page scanned askew turned back."""

from __future__ import annotations

import numpy as np
import pytest

from tests import scans


@pytest.fixture(autouse=True)
def _needs_ocr():
    scans.needs_ocr()


def _grid_image(angle: float = 0.0):
    """A 4×3 ruled table whose first column's rows 1–2 are one merged cell, and a dash that is no rule."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (1000, 800), 255)
    d = ImageDraw.Draw(img)
    xs, ys = [100, 500, 700, 900], [100, 180, 260, 340, 420]
    for y in ys:
        d.line((xs[0], y, xs[-1], y), fill=0, width=2)
    for x in xs:
        d.line((x, ys[0], x, ys[-1]), fill=0, width=2)
    d.rectangle((101, 259, 499, 263), fill=255)  # no rule between rows 1 and 2 of column 0
    d.line((300, 600, 360, 600), fill=0, width=3)  # an underline-like dash outside the table
    if angle:
        img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    return np.asarray(img)


def test_grid_with_a_merged_cell():
    from extractor.ingest import scan

    gray = _grid_image()
    bw = scan._binarize(gray)
    hmask, vmask = scan._rules(bw, 20.0)
    (region,) = scan._table_regions(hmask, vmask, 20.0)
    table = scan._grid(hmask, vmask, region, 20.0)
    assert (table.n_rows, table.n_cols) == (4, 3)
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in table.cells}
    assert spans[(1, 0)] == (2, 1) and (2, 0) not in spans and len(table.cells) == 11
    x0, y0, x1, y1 = next(c.box for c in table.cells if (c.row, c.col) == (1, 0))
    assert abs(x0 - 100) <= 3 and abs(y0 - 180) <= 3 and abs(x1 - 500) <= 3 and abs(y1 - 340) <= 3


def test_a_page_scanned_askew_is_turned_back():
    from extractor.ingest import scan

    angle = scan._skew_angle(scan._binarize(_grid_image(1.0)))
    assert abs(abs(angle) - 1.0) <= 0.15


def test_blank_page_has_no_text():
    from extractor.ingest import ocr, scan

    page = scan.read_page(np.full((800, 600), 255, np.uint8), ocr.engine())
    assert page.tables == [] and page.lines == [] and page.ink < 0.001
