"""Hostile inputs, made at test time: zip bombs, lying archives, huge pages, devices, links out of a folder.

Each maker writes into a folder and returns the path to hand to xxgk. ``tests/test_hostile_*.py``
and ``benchmarks/hostile.py`` share them, so the benchmark runs the very cases the tests assert on.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from tests.conftest import SEED_TXT

MB = 1024 * 1024


def seed_bytes() -> bytes:
    return SEED_TXT.read_bytes()


def seed_docx() -> bytes:
    from extractor.ingest.text import read_text
    from tests.seed_formats import to_docx

    return to_docx(read_text(seed_bytes(), "seed.txt"))


def seed_with_nul(folder: Path) -> Path:
    """The seed with one NUL byte right after one of its `|` lines (it used to read 0 values)."""
    data = seed_bytes()
    i = data.index(b"\n|\n", len(data) // 3) + 2
    path = folder / "seed-nul.txt"
    path.write_bytes(data[:i] + b"\x00" + data[i:])
    return path


def links_out(folder: Path) -> None:
    """Links out of ``folder`` (the process environment, /etc/passwd, /etc) and a FIFO, as a batch finds them."""
    link_to(folder, "/proc/self/environ", "environ.txt")
    link_to(folder, "/etc/passwd", "passwd.txt")
    link_to(folder, "/etc", "etc")
    fifo(folder)


def fifo(folder: Path) -> Path:
    path = folder / "report.txt"
    os.mkfifo(path)
    return path


def link_to(folder: Path, target: str, name: str = "report.txt") -> Path:
    path = folder / name
    path.symlink_to(target)
    return path


def _stream_member(zf: zipfile.ZipFile, name: str, head: bytes, filler: bytes, size: int, tail: bytes) -> None:
    with zf.open(zipfile.ZipInfo(name), "w", force_zip64=True) as fh:
        fh.write(head)
        chunk = filler * (MB // len(filler))
        left = size
        while left > 0:
            fh.write(chunk[:left])
            left -= len(chunk)
        fh.write(tail)


def docx_bomb(folder: Path, part_mb: int = 80) -> Path:
    """A valid .docx whose word/document.xml inflates to ``part_mb`` MB of whitespace (about 80 KB packed)."""
    src = zipfile.ZipFile(io.BytesIO(seed_docx()))
    path = folder / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head, tail = data.split(b"<w:body>", 1)
                zi = zipfile.ZipInfo(info.filename)
                zi.compress_type = zipfile.ZIP_DEFLATED
                with out.open(zi, "w", force_zip64=True) as fh:
                    fh.write(head + b"<w:body><!--")
                    chunk = b" " * MB
                    for _ in range(part_mb):
                        fh.write(chunk)
                    fh.write(b"-->" + tail)
            else:
                out.writestr(info, data, zipfile.ZIP_DEFLATED)
    return path


def docx_many_parts(folder: Path, parts: int = 5, part_mb: int = 55) -> Path:
    """A .docx carrying ``parts`` media parts of ``part_mb`` MB each (all parts together over the budget)."""
    src = zipfile.ZipFile(io.BytesIO(seed_docx()))
    path = folder / "fat.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info), zipfile.ZIP_DEFLATED)
        for k in range(parts):
            zi = zipfile.ZipInfo(f"word/media/image{k}.png")
            zi.compress_type = zipfile.ZIP_DEFLATED
            with out.open(zi, "w", force_zip64=True) as fh:
                for _ in range(part_mb):
                    fh.write(bytes(MB))
    return path


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def nested_zip(folder: Path, depth: int = 4, fanout: int = 8, leaf_mb: int = 10) -> Path:
    """An archive of ``fanout`` archives of ``fanout`` archives …, ``depth`` levels, each leaf a text file
    of ``leaf_mb`` MB of one repeated line: a few KB that unpack to fanout**depth × leaf_mb MB."""
    level = _zip_bytes([("report.txt", b"line\n" * (leaf_mb * MB // 5))])
    for _ in range(depth - 1):
        level = _zip_bytes([(f"part{i}.zip", level) for i in range(fanout)])
    path = folder / "nested.zip"
    path.write_bytes(level)
    return path


def lying_zip(folder: Path, real_mb: int = 300, declared: int = 1000) -> Path:
    """A zip whose one member declares ``declared`` bytes but inflates to ``real_mb`` MB (headers rewritten)."""
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = bytearray()
    chunk = b"<p>lie</p>\n" * (MB // 11)
    crc = 0
    for _ in range(real_mb):
        packed += body.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    packed += body.flush()
    name = b"report.html"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(packed), declared, len(name), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(packed), declared,
                          len(name), 0, 0, 0, 0, 0, 0)
    cd_offset = len(local) + len(name) + len(packed)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), cd_offset, 0)
    path = folder / "lying.zip"
    path.write_bytes(local + name + bytes(packed) + central + name + end)
    return path


def many_members_zip(folder: Path, members: int = 5000) -> Path:
    path = folder / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"r{i:05d}.txt", f"报告 {i}\n")
    return path


def directory_bomb_zip(folder: Path, members: int = 1_000_000, prefix: str = "") -> Path:
    """A zip listing ``members`` empty members (about 88 bytes each): ``zipfile`` alone spends seconds and
    1 KB of memory per entry just listing them. Written record by record, far faster than zipfile.
    ``prefix="."`` makes every member a hidden file, which the walk skips without counting."""
    local, central = bytearray(), bytearray()
    for i in range(members):
        name = b"%s%d" % (prefix.encode(), i)
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0,
                               0, len(local)) + name
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entries = min(members, 0xFFFF)  # the classic record counts at most 65,535: zipfile reads the directory's size
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(central), len(local), 0)
    path = folder / "directory-bomb.zip"
    path.write_bytes(bytes(local + central + end))
    return path


def _repeat(path: Path, head: str, unit: str, mb: int, tail: str) -> Path:
    """``head``, then ``unit`` over and over up to ``mb`` MB, then ``tail``: a big file written in pieces."""
    block = unit * max(1, MB // len(unit.encode()))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        for _ in range(mb):
            fh.write(block)
        fh.write(tail)
    return path


def html_prose(folder: Path, mb: int = 50) -> Path:
    """A web page of ``mb`` MB of Chinese prose paragraphs."""
    para = "<p>" + "本机关认真贯彻落实政府信息公开条例，" * 20 + "</p>\n"
    return _repeat(folder / "prose.html", "<html><head><meta charset='utf-8'></head><body>", para, mb, "</body></html>")


def html_table(folder: Path, mb: int = 50) -> Path:
    """A web page of ``mb`` MB that is one big table."""
    row = "<tr>" + "".join(f"<td>{i}</td>" for i in range(10)) + "</tr>\n"
    return _repeat(folder / "table.html", "<html><body><table>", row, mb, "</table></body></html>")


def html_many_elements(folder: Path, elements: int = 400_000) -> Path:
    """A small page (a few MB) with more tags than any report: ``<b></b>`` over and over."""
    path = folder / "tags.html"
    path.write_text("<html><body><p>" + "<b>年</b>" * elements + "</p></body></html>", encoding="utf-8")
    return path


def html_span_bomb(folder: Path, rows: int = 2000, colspan: int = 1000) -> Path:
    """A 60 KB table whose every cell spans 1,000 columns: two million slots."""
    body = "".join(f'<tr><td colspan="{colspan}">{i}</td><td>1</td></tr>' for i in range(rows))
    path = folder / "spans.html"
    path.write_text(f"<html><body><table>{body}</table></body></html>", encoding="utf-8")
    return path


def text_flood(folder: Path, mb: int = 60) -> Path:
    """A plain-text file of ``mb`` MB (every line a report-like row)."""
    line = "（一）收到申请数    12    13    14\n".encode()
    path = folder / "flood.txt"
    with path.open("wb") as fh:
        fh.write(line * (mb * MB // len(line)))
    return path


def pdf_pages(folder: Path, pages: int = 600) -> Path:
    """A PDF of ``pages`` blank pages."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    path = folder / f"pages-{pages}.pdf"
    pdf.save(str(path))
    pdf.close()
    return path


MAKERS: dict[str, Callable[..., Path]] = {
    "seed_with_nul": seed_with_nul, "fifo": fifo, "docx_bomb": docx_bomb, "docx_many_parts": docx_many_parts,
    "nested_zip": nested_zip, "lying_zip": lying_zip, "many_members_zip": many_members_zip,
    "directory_bomb_zip": directory_bomb_zip,
    "html_prose": html_prose, "html_table": html_table, "html_many_elements": html_many_elements,
    "html_span_bomb": html_span_bomb, "text_flood": text_flood, "pdf_pages": pdf_pages,
}
