"""DOCX rendering with python-docx: the official forms as Word tables with merged cells."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from .gen_prose import Block
from .gen_tables import TableModel

_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def docx(blocks: list[Block], tables: dict[str, TableModel]) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    d = Document()
    for b in blocks:
        if b.kind == "title":
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(b.text)
            run.bold, run.font.size = True, Pt(16)
        elif b.kind == "heading":
            p = d.add_paragraph()
            p.add_run(b.text).bold = True
        elif b.kind == "para":
            d.add_paragraph(b.text)
        elif b.kind == "sign":
            d.add_paragraph(b.text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif b.kind == "table":
            t = tables[b.text]
            if t.id == "old":
                d.add_paragraph(t.title).alignment = WD_ALIGN_PARAGRAPH.CENTER
            for c in t.captions:
                d.add_paragraph(c)
            table = d.add_table(rows=len(t.grid.rows), cols=t.grid.ncols)
            table.style = "Table Grid"
            placed = t.grid.placed()
            for r, c, cell in placed:
                if cell.rs > 1 or cell.cs > 1:
                    _cell(table, r, c).merge(_cell(table, r + cell.rs - 1, c + cell.cs - 1))
            for r, c, cell in placed:
                if cell.text:
                    _cell(table, r, c).text = cell.text
    cp = d.core_properties
    cp.created = cp.modified = cp.last_printed = _EPOCH.replace(tzinfo=None)
    cp.author = cp.last_modified_by = ""
    buf = io.BytesIO()
    d.save(buf)
    return _fixed_zip(buf.getvalue())


def _cell(table, r: int, c: int):
    """The cell at grid position (r, c), found in its row only: ``Table.cell`` rescans the whole table."""
    from docx.table import _Cell

    at = 0
    for tc in table._tbl.tr_lst[r].tc_lst:
        span = tc.grid_span
        if at <= c < at + span:
            return _Cell(tc, table)
        at += span
    raise IndexError((r, c))


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed timestamps so the same report gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
