"""Cells from ruling lines: the fast finder gives exactly the cells of pdfplumber's table finder."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from extractor import settings
from extractor.ingest.pdf import read_pdf
from extractor.ingest.ruling import find_tables

FIXTURE_PDFS = Path(__file__).resolve().parent / "fixtures" / "pdf"
REAL = Path("/work/shared/real")


def _edge(x0: float, top: float, x1: float, bottom: float) -> dict[str, Any]:
    if top == bottom:
        return {"x0": x0, "x1": x1, "top": top, "bottom": top, "width": x1 - x0, "height": 0.0,
                "object_type": "line", "orientation": "h"}
    return {"x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0.0, "height": bottom - top,
            "object_type": "line", "orientation": "v"}


def _pdfplumber(edges: list[dict[str, Any]]) -> list[tuple[list, tuple, list]]:
    from pdfplumber.table import TableFinder

    class Page:
        bbox = (0.0, 0.0, 1000.0, 1000.0)

    settings = {"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
                "explicit_vertical_lines": [e for e in edges if e["orientation"] == "v"],
                "explicit_horizontal_lines": [e for e in edges if e["orientation"] == "h"]}
    tables = TableFinder(Page(), settings).tables  # type: ignore[arg-type]
    return [(sorted(t.cells), t.bbox, [r.cells for r in t.rows]) for t in tables]


def _ours(edges: list[dict[str, Any]]) -> list[tuple[list, tuple, list]]:
    return [(sorted(t.cells), t.bbox, t.rows) for t in find_tables(edges)]


def _ruled_page(rng: random.Random) -> list[dict[str, Any]]:
    """Tables as office software draws them: rules jittered by a point or two, drawn in pieces, some
    missing, some doubled, spanning cells, stray short strokes and an unclosed page-split frame."""
    edges: list[dict[str, Any]] = []
    top = rng.uniform(20, 80)

    def jitter() -> float:
        return rng.choice((0.0, 0.0, 0.25, -0.4, 1.3, 2.6, -2.9))

    for _ in range(rng.randint(1, 3)):
        cols = sorted(rng.sample(range(40, 560, 20), rng.randint(3, 9)))
        rows = [top + 22 * i for i in range(rng.randint(2, 9))]
        for i, y in enumerate(rows):
            if 0 < i < len(rows) - 1 and rng.random() < 0.1:
                continue  # a missing rule: cells span two rows
            pieces = sorted(rng.sample(cols, rng.randint(1, min(3, len(cols)))))
            xs = [cols[0], *[p for p in pieces if cols[0] < p < cols[-1]], cols[-1]]
            for a, b in itertools.pairwise(xs):  # drawn in pieces, with small gaps or overlaps
                yj = y + jitter()
                edges.append(_edge(a + jitter(), yj, b + jitter(), yj))
        for j, x in enumerate(cols):
            for a, b in itertools.pairwise(rows):
                if 0 < j < len(cols) - 1 and rng.random() < 0.15:
                    continue  # a cell spanning columns
                xj = x + jitter()
                edges.append(_edge(xj, a + jitter(), xj, b + jitter()))
                if rng.random() < 0.05:
                    edges.append(_edge(xj, a, xj, b))  # drawn twice (fake bold border)
        for _ in range(rng.randint(0, 4)):  # stray strokes: underlines, ticks
            x, y = rng.uniform(20, 560), rng.uniform(top, rows[-1])
            edges.append(_edge(x, y, x + rng.uniform(1, 40), y) if rng.random() < 0.5 else _edge(x, y, x, y + 2.5))
        top = rows[-1] + rng.uniform(2, 120)
    rng.shuffle(edges)
    return edges


def test_random_ruled_pages_give_pdfplumbers_cells() -> None:
    different, cells = [], 0
    for seed in range(200):
        edges = _ruled_page(random.Random(seed))
        expected = _pdfplumber(edges)
        if _ours(edges) != expected:
            different.append(seed)
        cells += sum(len(t[0]) for t in expected)
    assert different == []
    assert cells > 5000  # the pages do have tables: not a comparison of empty lists


def test_a_plain_grid_gives_its_cells_rows_and_box() -> None:
    edges = [_edge(10, y, 70, y) for y in (10, 30, 50)] + [_edge(x, 10, x, 50) for x in (10, 40, 70)]
    (table,) = find_tables(edges)
    assert sorted(table.cells) == [(10, 10, 40, 30), (10, 30, 40, 50), (40, 10, 70, 30), (40, 30, 70, 50)]
    assert table.bbox == (10, 10, 70, 50)
    assert table.rows == [[(10, 10, 40, 30), (40, 10, 70, 30)], [(10, 30, 40, 50), (40, 30, 70, 50)]]


def test_a_spanning_cell_leaves_none_in_the_slots_it_covers() -> None:
    # the middle vertical rule stops at the second row: the first row is one cell across both columns
    edges = [_edge(10, y, 70, y) for y in (10, 30, 50)] + [_edge(10, 10, 10, 50), _edge(70, 10, 70, 50),
                                                          _edge(40, 30, 40, 50)]
    (table,) = find_tables(edges)
    assert table.rows == [[(10, 10, 70, 30), None], [(10, 30, 40, 50), (40, 30, 70, 50)]]


def test_rules_within_three_points_snap_and_short_strokes_are_ignored() -> None:
    edges = [_edge(10, 10, 70, 10), _edge(10, 31.5, 70, 31.5), _edge(10, 29, 70, 29),  # one rule at 30.25
             _edge(10, 10, 10, 30), _edge(70, 10, 70, 30), _edge(30, 12, 30, 14)]  # a 2-point tick
    assert find_tables(edges) == []  # one cell is no table
    (table,) = find_tables([*edges, _edge(40, 10, 40, 30)])
    assert sorted(table.cells) == [(10, 10, 40, 30.25), (40, 10, 70, 30.25)]


def _pdfs() -> list[Path]:
    return sorted(FIXTURE_PDFS.glob("*.pdf")) + sorted(REAL.glob("*.pdf"))


@pytest.mark.parametrize("path", _pdfs(), ids=lambda p: p.name)
def test_read_pdf_is_the_same_with_pdfplumbers_finder(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    fast = read_pdf(data, path.name)
    monkeypatch.setenv("XXGK_PDF_TABLES", "pdfplumber")
    settings.use(None)  # read again, as a process started with the variable
    slow = read_pdf(data, path.name)
    assert fast.text == slow.text and fast.tables()
    assert [(b.kind, b.span) for b in fast.blocks] == [(b.kind, b.span) for b in slow.blocks]
    assert ([[(c.text, c.span, c.rowspan, c.colspan, c.merged_from) for c in r] for t in fast.tables() for r in t.rows]
            == [[(c.text, c.span, c.rowspan, c.colspan, c.merged_from) for c in r] for t in slow.tables() for r in t.rows])
