"""Input budgets enforced where the bytes are read: files, archive members, Word parts, web pages, text.

Every reader calls in here before it hands bytes to a parser, so that no parser ever sees more than
its budget (``extractor.settings.Limits``): a path must be a regular file outside /proc and /sys and
is read no further than its budget (a file growing while read, or ``/dev/zero``, cannot push past
it); an archive member is inflated in chunks and counted, so a size the archive declares is never
trusted; a web page is measured and its tags counted before lxml builds a tree. Over a budget is a
:class:`~extractor._errors.TooLargeError` naming the budget and its setting.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from extractor._errors import NotARegularFileError
from extractor.settings import Limits, limits

CHUNK = 1024 * 1024
# pseudo file systems whose "regular" files are the kernel's (process environment, memory maps …)
PSEUDO_ROOTS = ("/proc", "/sys")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls but tab, newline, CR; DEL
_TAG_OPEN = re.compile(rb"<[A-Za-z]")


# ------------------------------------------------------------------------------------------ files
def _pseudo_devices() -> set[int]:
    devices = set()
    for root in PSEUDO_ROOTS:
        try:
            devices.add(os.stat(root).st_dev)
        except OSError:
            continue
    return devices


def check_regular(path: str | os.PathLike[str], name: str = "") -> None:
    """Refuse what is not a regular file of a real file system: devices, FIFOs, sockets, /proc, /sys."""
    real = os.path.realpath(path)
    if any(real == root or real.startswith(root + "/") for root in PSEUDO_ROOTS):
        raise NotARegularFileError(name or str(path))


def read_regular(path: str | os.PathLike[str], name: str = "", budget: Limits | None = None,
                 field: str = "file_bytes") -> bytes:
    """The bytes of a regular file, refused past ``budget.<field>`` (read no further than that).

    The file is opened without blocking (a FIFO would wait for a writer forever) and checked on the
    open descriptor, so a path swapped for a device after the check is still refused.
    """
    budget = budget or limits()
    label = name or Path(path).name
    check_regular(path, label)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_dev in _pseudo_devices():
            raise NotARegularFileError(label)
        cap = getattr(budget, field)
        budget.check(field, st.st_size, label)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(cap + 1)
        budget.check(field, len(data), label)  # grew while being read
        return data
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------------ zip members
_END = struct.Struct("<4s4H2LH")  # end of central directory: signature … entries, directory bytes, offset
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


def zip_directory(fh: BinaryIO) -> tuple[int, int]:
    """(entries, bytes) of a zip's central directory as its end record states them — the very bytes
    ``zipfile.ZipFile`` reads and turns into one ZipInfo per entry before a caller sees any. A few
    hundred MB of empty members listed there cost it a minute and GBs, so callers weigh this first.
    The end record is found where zipfile looks (the file's end, else the last 64 KiB), a zip64 record
    just before it taking precedence. (0, 0) when there is none: zipfile then refuses the file itself.
    """
    size = fh.seek(0, io.SEEK_END)
    start = max(0, size - _END.size - 0xFFFF)
    fh.seek(start)
    tail = fh.read()
    at = len(tail) - _END.size
    if not (at >= 0 and tail[at:at + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0"):
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        return 0, 0
    entries, directory = _END.unpack_from(tail, at)[4:6]
    end = start + at
    if end >= _END64_LOCATOR.size + _END64.size:
        fh.seek(end - _END64_LOCATOR.size - _END64.size)
        block = fh.read(_END64.size + _END64_LOCATOR.size)
        if block[_END64.size:_END64.size + 4] == b"PK\x06\x07" and block[:4] == b"PK\x06\x06":
            entries, directory = _END64.unpack_from(block)[7:9]
    fh.seek(0)
    return entries, directory


class _OverCap(Exception):
    pass


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
    """A member's bytes in chunks; _OverCap as soon as they pass ``cap`` (a declared size is never
    trusted: a bomb declares a small one)."""
    n = 0
    with zf.open(info) as fh:
        while chunk := fh.read(min(CHUNK, cap + 1 - n)):
            n += len(chunk)
            if n > cap:
                raise _OverCap
            yield chunk


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """A member inflated and counted, or None when it is larger than ``cap`` bytes."""
    try:
        return b"".join(_inflate(zf, info, cap))
    except _OverCap:
        return None


def check_docx_parts(zf: zipfile.ZipFile, name: str = "", budget: Limits | None = None) -> None:
    """Inflate every part of a .docx once, counting: each XML part within ``docx_part_bytes``, all
    parts within ``docx_bytes``. python-docx then reads parts whose real sizes are known."""
    budget = budget or limits()
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        xml = info.filename.lower().endswith((".xml", ".rels", ".htm", ".html"))
        part_cap = budget.docx_part_bytes if xml else budget.docx_bytes
        left = budget.docx_bytes - total
        try:
            total += sum(len(c) for c in _inflate(zf, info, min(part_cap, left)))
        except _OverCap:
            if part_cap <= left:
                raise budget.exceeded("docx_part_bytes", None, f"{name}!{info.filename}") from None
            raise budget.exceeded("docx_bytes", None, name) from None


# ------------------------------------------------------------------------------------------ web pages, text
def check_html(data: bytes, name: str = "", budget: Limits | None = None) -> None:
    """A web page's size and tag count, before any parser builds a tree of it."""
    budget = budget or limits()
    budget.check("html_bytes", len(data), name)
    for tags, _ in enumerate(_TAG_OPEN.finditer(data), 1):
        if tags > budget.html_elements:
            raise budget.exceeded("html_elements", tags, name)


def check_text(text: str, name: str = "", budget: Limits | None = None) -> None:
    """Decoded text within ``text_chars``."""
    (budget or limits()).check("text_chars", len(text), name)


def strip_controls(text: str) -> tuple[str, int]:
    """The text without NUL and the other C0 control characters (tab, newline and CR kept), and how many
    were removed: a stray NUL must not cut a line, a cell or a report."""
    cleaned, n = _CONTROL.subn("", text)
    return cleaned, n


__all__ = ["check_docx_parts", "check_html", "check_regular", "check_text", "read_member", "read_regular",
           "strip_controls", "zip_directory"]
