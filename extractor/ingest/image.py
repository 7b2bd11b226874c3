"""Page images → the same Document a PDF's text layer gives: scans, picture uploads, pictures in DOCX/HTML.

Each image is read by :func:`extractor.ingest.scan.read_page`; its tables become table blocks (cells
with their page and box) and its other lines paragraphs, in reading order, so the table reader and the
rules see no difference. Every OCR'd stretch of text is recorded as an :class:`~extractor.document.OcrMark`
(confidence, the engine's readings, and the image and pixel box to crop it from).

OCR is the slow step, so a page image is read once: results are cached by the image's hash
(``$XXGK_OCR_CACHE``, default ``~/.cache/xxgk/ocr``; ``off`` disables it), the pages of a long file go to
the worker pool when the process may start one, and each page reports its progress
(:data:`progress`).
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import os
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from extractor._errors import CorruptFileError, EmptyInputError, TooLargeError
from extractor.document import Document, DocumentBuilder, OcrMark, Paragraph, Table, normalize
from extractor.ingest import ocr
from extractor.ingest.lexicon import snap
from extractor.ingest.scan import ScanCell, ScanLine, ScanPage, ScanTable, is_numberish, read_page
from extractor.ocr_progress import ProgressFn, progress
from extractor.pool import Outcome, ProcessPool, Task
from extractor.settings import settings

CACHE_VERSION = "xxgk-ocr-6"  # bump when the layout or the engine's output changes


# words of the statistics tables of every template: a document with none of them in a table lacks its tables
_TABLE_WORDS = re.compile(r"本年新收|上年结转|予以公开|行政复议|主动公开|申请数|不予公开|收到申请|统计指标")
_PAGE_NO_RE = re.compile(r"^[-—–－·\s]*\d{1,4}[-—–－·\s]*$|^第\s*\d+\s*页")


@dataclass(slots=True)
class PageImage:
    """One image to read: greyscale pixels and where it came from."""

    gray: Any  # numpy uint8 array
    source: str  # "page 3", "word/media/image1.png", "img 2", "image"
    page: int | None = None  # the document page its blocks belong to
    points_per_px: float = 1.0  # to express boxes in PDF points (72 / dpi)
    origin: tuple[float, float] = (0.0, 0.0)  # where the image's top-left corner sits on its page, in points
    sha: str = ""  # of the pixels: the cache key and the crop reference

    def __post_init__(self) -> None:
        if not self.sha:
            h = hashlib.sha256(str(self.gray.shape).encode())
            h.update(self.gray.tobytes())
            self.sha = h.hexdigest()


# --------------------------------------------------------------------------------------- uploads
def sniff_image(data: bytes) -> str | None:
    """png, jpeg or tiff from the magic bytes; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def decode_image(data: bytes, name: str = "") -> list[Any]:
    """The frames of an image file as greyscale arrays (every page of a TIFF), EXIF rotation applied."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # checked below, with a clear error instead of a warning
    try:
        img = Image.open(io.BytesIO(data))
        frames = []
        for i in range(getattr(img, "n_frames", 1)):
            img.seek(i)
            max_pixels = settings().ocr.max_image_pixels  # a decompression bomb stops here
            if img.width * img.height > max_pixels:
                raise TooLargeError(f"{name}: {img.width}×{img.height} px > {max_pixels} px (XXGK_MAX_IMAGE_PIXELS)")
            frame = ImageOps.exif_transpose(img) if i == 0 else img
            if frame.mode in ("RGBA", "LA", "P"):
                frame = frame.convert("RGBA")
                white = Image.new("RGBA", frame.size, (255, 255, 255, 255))
                frame = Image.alpha_composite(white, frame)
            frames.append(np.asarray(frame.convert("L")))
    except TooLargeError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as e:
        raise CorruptFileError(f"{name}: {e}".strip(": ")) from e
    return frames


def image_dpi(data: bytes) -> float | None:
    from PIL import Image

    try:
        dpi = Image.open(io.BytesIO(data)).info.get("dpi")
    except Exception:  # noqa: BLE001 - the pixels were already read; a missing dpi is not an error
        return None
    try:
        return float(dpi[0]) if dpi and float(dpi[0]) > 1 else None
    except (TypeError, ValueError):
        return None


def read_image(data: bytes, name: str = "") -> Document:
    """A PNG, JPEG or TIFF upload (a photo or scan of the report): every frame is a page."""
    ocr.require(name)
    dpi = image_dpi(data) or 72.0
    frames = decode_image(data, name)
    images = [PageImage(g, "image" if len(frames) == 1 else f"image {i + 1}", i + 1, 72.0 / dpi)
              for i, g in enumerate(frames)]
    builder = DocumentBuilder(source_name=name, source_type="image", layout="ocr")
    builder.pages = len(images)
    add_images(builder, images, name)
    return builder.build()


# --------------------------------------------------------------------------------------- into a Document
def add_images(builder: DocumentBuilder, images: list[PageImage], name: str = "", *, blank_ok: bool = False) -> int:
    """OCR the images and append their blocks; the number of images with text.

    A scan in which no image holds any text is an error (a blank page scanned), unless ``blank_ok``
    (pictures inside a document that has its own text).
    """
    check_ocr_pages(len(images), name)
    pages = read_images(images)
    with_text = 0
    for img, page in zip(images, pages):
        if page.tables or page.lines:
            with_text += 1
        add_scan(builder, page, img)
    if not with_text and not blank_ok:
        raise EmptyInputError(name, zh="扫描件中没有可识别的文字（空白页？）",
                              en="no text found in the scanned pages (blank pages?)")
    return with_text


def add_scan(builder: DocumentBuilder, page: ScanPage, img: PageImage) -> None:
    """One read page image as table and paragraph blocks in reading order, each with its OCR marks."""
    items: list[tuple[float, ScanTable | list[ScanLine]]] = [(t.box[1], t) for t in page.tables]
    items.extend((p[0].box[1], p) for p in _paragraphs(page))
    sha = img.sha
    for _, item in sorted(items, key=lambda it: it[0]):
        if isinstance(item, ScanTable):
            _add_table(builder, item, img, sha)
        else:
            _add_paragraph(builder, item, img, sha)


def _pt(img: PageImage, b: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    k, (ox, oy) = img.points_per_px, img.origin
    return (round(ox + b[0] * k, 2), round(oy + b[1] * k, 2), round(ox + b[2] * k, 2), round(oy + b[3] * k, 2))


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _cell_text(cell: ScanCell) -> str:
    lines = sorted(cell.lines, key=lambda ln: (ln.box[1], ln.box[0]))
    out = ""
    for ln in lines:
        out += _joiner(out, ln.text) + ln.text
    return out


def _joiner(before: str, after: str) -> str:
    """Nothing between CJK (a wrapped label), one space between Latin words or numbers."""
    if not before or not after:
        return ""
    a, b = before[-1], after[0]
    if ord(a) > 0x2E7F or ord(b) > 0x2E7F or a in "“”（）" or b in "“”（）":
        return ""
    return " "


def _readings(lines: list[ScanLine], text: str) -> tuple[tuple[str, float], ...]:
    """A one-line cell's readings, best first; other cells keep only the printed text."""
    if len(lines) != 1:
        return ()
    r = lines[0].reading
    p = 1.0
    for c in r.char_probs:
        p *= c
    return ((text, p), *r.alternatives)


def _add_table(builder: DocumentBuilder, t: ScanTable, img: PageImage, sha: str) -> None:
    grid: list[list[str | None]] = [[None] * t.n_cols for _ in range(t.n_rows)]
    spans: list[list[tuple[int, int]]] = [[(1, 1)] * t.n_cols for _ in range(t.n_rows)]
    bboxes: list[list[Any]] = [[None] * t.n_cols for _ in range(t.n_rows)]
    for c in t.cells:
        text = _cell_text(c)
        grid[c.row][c.col] = text if is_numberish(text) else snap(text)
        spans[c.row][c.col] = (c.rowspan, c.colspan)
        bboxes[c.row][c.col] = _pt(img, c.box)
    table = builder.add_table(grid, page=img.page, bboxes=bboxes, spans=spans)
    if table is None:
        return
    table.span = replace(table.span, bbox=_pt(img, t.box))
    for c in t.cells:
        if not c.lines:
            continue
        cell = table.rows[c.row][c.col]
        box = _union([ln.box for ln in c.lines])
        builder.ocr.append(OcrMark(
            start=cell.span.start, end=cell.span.end, confidence=round(min(ln.reading.confidence for ln in c.lines), 4),
            source=img.source, image=sha, box=box, page=img.page,
            readings=_readings(c.lines, cell.text) if is_numberish(cell.text) else ()))


def _paragraphs(page: ScanPage) -> list[list[ScanLine]]:
    """The free text lines merged into visual lines, then into paragraphs (indent, short line, gap)."""
    rows: list[list[ScanLine]] = []
    for ln in sorted(page.lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        if rows:
            last = rows[-1]
            top, bottom = min(x.box[1] for x in last), max(x.box[3] for x in last)
            overlap = min(bottom, ln.box[3]) - max(top, ln.box[1])
            if overlap > 0.5 * min(bottom - top, ln.box[3] - ln.box[1]):
                last.append(ln)
                continue
        rows.append([ln])
    visual: list[ScanLine] = []
    for row in rows:
        row.sort(key=lambda x: x.box[0])
        text = ""
        for x in row:
            text += _joiner(text, x.text) + x.text
        box = _union([x.box for x in row])
        probs = tuple(c for x in row for c in x.reading.char_probs)
        visual.append(ScanLine(box, ocr.Reading(text, probs)))
    h = page.height
    visual = [v for v in visual if not (_PAGE_NO_RE.match(v.text.strip()) and (v.box[1] > 0.85 * h or v.box[3] < 0.15 * h))]
    if not visual:
        return []
    heights = sorted(v.box[3] - v.box[1] for v in visual)
    unit = heights[len(heights) // 2]
    wide = [v for v in visual if v.box[2] - v.box[0] > 8 * unit] or visual
    left = sorted(v.box[0] for v in wide)[len(wide) // 4]
    right = sorted(v.box[2] for v in wide)[(3 * len(wide)) // 4]
    paras: list[list[ScanLine]] = []
    for v in visual:
        if paras:
            prev = paras[-1][-1]
            vh = v.box[3] - v.box[1]
            joined = (
                prev.box[2] >= right - 1.5 * unit  # the line before runs to the margin
                and v.box[0] <= left + 0.8 * unit  # this one is not indented
                and v.box[1] - prev.box[3] <= 1.2 * unit  # no gap between them
                and abs(vh - (prev.box[3] - prev.box[1])) <= 0.35 * max(vh, 1)
                and not _HEADING_RE.match(v.text)
            )
            if joined:
                paras[-1].append(v)
                continue
        paras.append([v])
    return paras


_HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])")


def _add_paragraph(builder: DocumentBuilder, lines: list[ScanLine], img: PageImage, sha: str) -> None:
    text = ""
    offsets: list[tuple[int, int, ScanLine]] = []
    for ln in lines:
        text += _joiner(text, ln.text)
        a = len(text)
        text += ln.text
        offsets.append((a, len(text), ln))
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    para = builder.add_paragraph(stripped, page=img.page, bbox=_pt(img, _union([ln.box for ln in lines])))
    if para is None:
        return
    base = para.span.start
    for a, e, ln in offsets:
        s = base + len(normalize(text[lead:max(lead, a)]))
        f = base + len(normalize(text[lead:max(lead, e)]))
        if f > s:
            builder.ocr.append(OcrMark(start=s, end=f, confidence=round(ln.reading.confidence, 4), source=img.source,
                                       image=sha, box=ln.box, page=img.page))


def has_statistics_table(doc: Document) -> bool:
    """Does any table hold the labels of a statistics table?"""
    return any(_TABLE_WORDS.search(c.text) for t in doc.tables() for r in t.rows for c in r)


def copy_block(builder: DocumentBuilder, block: Paragraph | Table) -> None:
    """A block of another Document appended as it is (its marks are not carried: only text documents are copied)."""
    if isinstance(block, Paragraph):
        builder.add_paragraph(block.text, page=block.span.page, bbox=block.span.bbox)
        return
    grid = [[None if c.covered else c.text for c in r] for r in block.rows]
    spans = [[(c.rowspan, c.colspan) for c in r] for r in block.rows]
    bboxes = [[c.span.bbox for c in r] for r in block.rows]
    pages = [r[0].span.page if r else block.span.page for r in block.rows]
    table = builder.add_table(grid, page=block.span.page, pages=pages, bboxes=bboxes, spans=spans)  # type: ignore[arg-type]
    if table is not None and block.span.bbox:
        table.span = replace(table.span, bbox=block.span.bbox)


def append_scans(doc: Document, read: list[tuple[PageImage, ScanPage]]) -> Document:
    """The document's blocks, then the blocks of the read pictures."""
    builder = DocumentBuilder(source_name=doc.source_name, source_type=doc.source_type, layout=doc.layout)
    builder.pages = doc.pages
    for b in doc.blocks:
        copy_block(builder, b)
    for img, page in read:
        add_scan(builder, page, img)
    return builder.build()


# --------------------------------------------------------------------------------------- reading, cached
def read_images(images: list[PageImage]) -> list[ScanPage]:
    """Every image read (from the cache where it was read before), pages in the pool when worthwhile."""
    shas = [img.sha for img in images]
    out: list[ScanPage | None] = [_cache_get(sha) for sha in shas]
    report = progress.get()
    todo = [i for i, p in enumerate(out) if p is None]
    done = len(images) - len(todo)
    if report:
        for _ in range(done):
            report(done, len(images), 0.0, True)
    if len(todo) > 1 and _may_pool():
        pages = _read_in_pool([images[i] for i in todo], report, done, len(images))
        for i, page in zip(todo, pages):
            out[i] = page
            _cache_put(shas[i], page)
    else:
        eng = ocr.engine() if todo else None
        for n, i in enumerate(todo):
            t0 = time.perf_counter()
            page = read_page(images[i].gray, eng)  # type: ignore[arg-type]
            out[i] = page
            _cache_put(shas[i], page)
            if report:
                report(done + n + 1, len(images), time.perf_counter() - t0, False)
    return [p for p in out if p is not None]


def check_ocr_pages(pages: int, name: str) -> None:
    """Refuse a file with more pages to OCR than ``XXGK_OCR_MAX_PAGES``: a page takes seconds."""
    most = settings().ocr.max_pages
    if pages > most:
        raise TooLargeError(f"{name}: {pages} pages to OCR > {most} (XXGK_OCR_MAX_PAGES)")


def _cache_path(sha: str) -> Path | None:
    d = settings().ocr.cache_dir()
    if d is None:
        return None
    key = hashlib.sha256(f"{CACHE_VERSION}:{sha}".encode()).hexdigest()
    return d / key[:2] / f"{key}.json"


def _cache_get(sha: str) -> ScanPage | None:
    path = _cache_path(sha)
    if path is None or not path.exists():
        return None
    try:
        return page_from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged entry is read again


def _cache_put(sha: str, page: ScanPage) -> None:
    path = _cache_path(sha)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(page), ensure_ascii=False), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: no cache, same results


def page_from_json(d: dict[str, Any]) -> ScanPage:
    def line(x: dict[str, Any]) -> ScanLine:
        r = x["reading"]
        return ScanLine(tuple(x["box"]), ocr.Reading(r["text"], tuple(r["char_probs"]),  # type: ignore[arg-type]
                                                     tuple(tuple(a) for a in r["alternatives"]),  # type: ignore[misc]
                                                     tuple(tuple(s) for s in r["char_spans"])))  # type: ignore[misc]

    tables = [ScanTable(tuple(t["box"]), t["n_rows"], t["n_cols"],  # type: ignore[arg-type]
                        [ScanCell(c["row"], c["col"], c["rowspan"], c["colspan"], tuple(c["box"]),  # type: ignore[arg-type]
                                  [line(x) for x in c["lines"]]) for c in t["cells"]]) for t in d["tables"]]
    return ScanPage(d["width"], d["height"], d["angle"], tables, [line(x) for x in d["lines"]], d["ink"])


# --------------------------------------------------------------------------------------- the pool
def _may_pool() -> bool:
    """A pool only where it helps and may run: not inside a pool's worker (no grandchildren), not when told 1."""
    if settings().ocr.workers == 1 or (os.cpu_count() or 1) < 2:
        return False
    return not mp.current_process().daemon


def _ocr_task(task: Any) -> Any:
    """Run in a pool worker: one page image (PNG bytes) read, the ScanPage as JSON."""
    import cv2
    import numpy as np

    t0 = time.perf_counter()
    try:
        gray = cv2.imdecode(np.frombuffer(task.data, np.uint8), cv2.IMREAD_GRAYSCALE)
        page = read_page(gray, ocr.engine())
        return Outcome(task.id, True, result_json=json.dumps(asdict(page), ensure_ascii=False),
                       seconds=time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which reads the page itself
        return Outcome(task.id, False, error=f"{type(e).__name__}: {e}", kind="internal",
                       seconds=time.perf_counter() - t0)


def _read_in_pool(images: list[PageImage], report: ProgressFn | None, done: int, total: int) -> list[ScanPage]:
    import cv2

    ocr_settings = settings().ocr
    # each worker reads its pages on one ONNX thread (unless told otherwise): the workers share the cores
    one_thread = replace(settings(), ocr=replace(ocr_settings, threads=ocr_settings.threads or 1))
    tasks = [Task(i, img.source, cv2.imencode(".png", img.gray)[1].tobytes(), settings=one_thread)
             for i, img in enumerate(images)]
    out: list[ScanPage | None] = [None] * len(images)
    size = min(len(images), os.cpu_count() or 2, ocr_settings.workers or 2)
    pending = list(tasks)
    with ProcessPool(size, fn=_ocr_task) as pool:
        while pending or pool.busy:
            while pending and pool.idle:
                pool.submit(pending.pop(0))
            for outcome, _ in pool.poll():
                if outcome.ok:
                    out[outcome.task_id] = page_from_json(json.loads(outcome.result_json))
                done += 1
                if report:
                    report(done, total, outcome.seconds, False)
    for i, page in enumerate(out):
        if page is None:  # a worker failed: read it here, so an error surfaces as itself
            out[i] = read_page(images[i].gray, ocr.engine())
    return [p for p in out if p is not None]
