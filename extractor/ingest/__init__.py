"""Turn any report file into a :class:`~extractor.document.Document`.

``load(path_or_bytes, name=...)`` sniffs the format from the bytes (and the name as a hint) and
dispatches to the reader for PDF, DOCX, HTML or plain text. Every failure is an
:class:`~extractor._errors.InputError` with a one-line Chinese and English message.
"""

from __future__ import annotations

import os
from pathlib import Path

from extractor._errors import EmptyInputError, UnsupportedFormatError
from extractor.document import Document
from extractor.ingest.budgets import read_regular
from extractor.settings import limits


def sniff(data: bytes, name: str = "") -> str:
    """The format of a file: pdf, docx, html, image or txt."""
    head = data[:2048].lstrip()
    ext = Path(name).suffix.lower().lstrip(".")
    if head.startswith(b"%PDF") or ext == "pdf":
        return "pdf"
    if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff" or data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"  # a scan or photo of the report: PNG, JPEG, TIFF
    if data[:4] == b"PK\x03\x04":
        if ext in ("docx", "") or b"word/" in data[:65536]:
            return "docx"
        raise UnsupportedFormatError(name, zh="不支持的压缩文件（请解压后再提交，或使用批量模式）",
                                     en="an archive (unpack it first, or use batch mode)")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnsupportedFormatError(name, zh="不支持旧版 Word (.doc) 文件，请另存为 .docx",
                                     en="old binary Word (.doc) is not supported; save as .docx")
    low = head[:512].lower()
    if ext in ("html", "htm", "shtml", "xhtml") or low.startswith((b"<!doctype html", b"<html")) or b"<table" in data[:200000].lower():
        return "html"
    if ext in ("doc", "xls", "xlsx", "ppt", "pptx", "png", "jpg", "jpeg", "tif", "tiff", "gif", "ofd", "wps"):
        raise UnsupportedFormatError(name or ext)
    return "txt"


def load(source: str | os.PathLike | bytes, name: str = "", folder: Path | None = None) -> Document:
    """Read a report from a path (a regular file, within the size budget) or bytes into a Document.

    ``folder`` is where a web page's pictures may sit beside it (a path's own folder by default).
    """
    if isinstance(source, (str, os.PathLike)):
        name = name or Path(source).name
        folder = folder or Path(source).parent
        data = read_regular(source, name)
    else:
        data = bytes(source)
        limits().check("file_bytes", len(data), name)
    if not data.strip():
        raise EmptyInputError(name)
    kind = sniff(data, name)
    if kind == "pdf":
        from extractor.ingest.scanned_pdf import read_pdf_with_ocr  # lazy: start-up

        return read_pdf_with_ocr(data, name)
    if kind == "image":
        from extractor.ingest.image import read_image  # lazy: start-up

        return read_image(data, name)
    if kind == "docx":
        from extractor.ingest.docx import read_docx  # lazy: start-up
        from extractor.ingest.pictures import docx_pictures, with_pictures  # lazy: start-up

        return with_pictures(read_docx(data, name), lambda: docx_pictures(data))
    if kind == "html":
        from extractor.ingest.html import read_html  # lazy: start-up
        from extractor.ingest.pictures import html_pictures, with_pictures  # lazy: start-up

        return with_pictures(read_html(data, name), lambda: html_pictures(data, folder))
    from extractor.ingest.text import read_text  # lazy: start-up

    return read_text(data, name)
