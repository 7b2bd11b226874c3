"""Statistics tables pasted as pictures into a Word file or a web page, read by OCR.

Only when the document's own text has no statistics table: a report whose tables are text is read as
before and its logos and photos cost nothing. The pictures' blocks are appended after the document's
own blocks, in the order the pictures appear.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from extractor._errors import InputError
from extractor.document import Document
from extractor.ingest import ocr
from extractor.ingest.encoding import decode
from extractor.ingest.image import PageImage, append_scans, decode_image, read_images, sniff_image
from extractor.ingest.scanned_pdf import has_statistics_table

MAX_PICTURES = 20  # a page of 300 photos is not a report's table
MIN_SIDE = 120  # pixels: icons, bullets and spacer GIFs are smaller
MAX_PICTURE_BYTES = 30 * 1024 * 1024

Picture = tuple[str, bytes]  # (where it came from, the file's bytes)


def with_pictures(doc: Document, pictures: Callable[[], list[Picture]]) -> Document:
    """The document, plus its pictures read by OCR when its text lacks the statistics tables."""
    if has_statistics_table(doc) or not ocr.available():
        return doc
    images: list[PageImage] = []
    for source, data in pictures()[:MAX_PICTURES]:
        if sniff_image(data) is None:
            continue
        try:
            frames = decode_image(data, source)
        except InputError:
            continue  # a broken picture is skipped; the text is still read
        for i, gray in enumerate(frames):
            if min(gray.shape[:2]) >= MIN_SIDE:
                images.append(PageImage(gray, source if i == 0 else f"{source} {i + 1}"))
    if not images:
        return doc
    return append_scans(doc, list(zip(images, read_images(images))))


def docx_pictures(data: bytes) -> list[Picture]:
    """The images under word/media, in the order the document refers to them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.startswith("word/media/")]
            body = zf.read("word/document.xml").decode("utf-8", "replace") if "word/document.xml" in zf.namelist() else ""
            rels = zf.read("word/_rels/document.xml.rels").decode("utf-8", "replace") \
                if "word/_rels/document.xml.rels" in zf.namelist() else ""
            targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="media/([^"]+)"', rels))
            order = [targets[r] for r in re.findall(r'r:embed="([^"]+)"', body) if r in targets]
            ranked = sorted(names, key=lambda n: order.index(n[len("word/media/"):])
                            if n[len("word/media/"):] in order else len(order))
            return [(n, zf.read(n)) for n in ranked if zf.getinfo(n).file_size <= MAX_PICTURE_BYTES]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return []


_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
_DATA_URI = re.compile(r"^data:image/[\w.+-]+;base64,(.*)$", re.IGNORECASE | re.DOTALL)


def html_pictures(data: bytes, base: Path | None = None) -> list[Picture]:
    """The page's <img> pictures: data URIs, and files beside the page (never outside its folder)."""
    text = decode(data)
    out: list[Picture] = []
    for n, m in enumerate(_IMG_SRC.finditer(text), start=1):
        src = (m.group(1) or m.group(2) or m.group(3) or "").strip()
        uri = _DATA_URI.match(src)
        if uri:
            try:
                out.append((f"img {n}", base64.b64decode(re.sub(r"\s+", "", uri.group(1)), validate=False)))
            except ValueError:
                continue
        elif base is not None and src and not re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
            path = _beside(base, unquote(src.split("?", 1)[0].split("#", 1)[0]))
            if path is not None:
                out.append((f"img {n} ({path.name})", path.read_bytes()))
    return out


def _beside(base: Path, src: str) -> Path | None:
    """A picture file the page names, if it is a regular file inside the page's folder."""
    try:
        root = base.resolve()
        path = (root / src.lstrip("/")).resolve()
        if not path.is_relative_to(root) or not path.is_file() or path.stat().st_size > MAX_PICTURE_BYTES:
            return None
        return path
    except (OSError, ValueError):
        return None
