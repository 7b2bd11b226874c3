"""The public entry point: a report file in, a checked Result out."""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Protocol, runtime_checkable

from extractor import collector
from extractor._errors import ConfigError, EmptyInputError, InputError, NotAReportError, UnsupportedFormatError
from extractor.detect import detect, looks_like_report
from extractor.document import Document
from extractor.ingest import load, sniff
from extractor.ingest.budgets import read_regular
from extractor.ocr_review import review_ocr
from extractor.reader import TableReader
from extractor.rules import validate
from extractor.sketch import sketch
from schemas import catalog
from schemas.results import DocumentInfo, Extraction, Finding, ReportMeta, Result

# bytes of the shortest text looks_like_report can accept: two of its words, 8 characters at 2 bytes each (GBK)
SMALLEST_REPORT = 16


@runtime_checkable
class Extractor(Protocol):
    """What every backend offers: a Document in, an Extraction of the catalog's keys out."""

    name: str

    def extract(self, document: Document, template: str | None = None) -> Extraction: ...


def get_extractor(name: str, **options) -> Extractor:
    """The extractor registered under a name: rules (default), llm, hybrid."""
    if name in ("rules", "reader", "table"):
        return TableReader()
    if name in ("llm", "hybrid"):
        try:
            from extractor.llm.extractor import HybridExtractor, LLMExtractor  # extra [llm]
        except ImportError as e:  # the [llm] extra is not installed
            raise ConfigError(f"LLM 提取需要安装 xxgk[llm] / the LLM extractor needs `pip install xxgk[llm]` ({e})")
        return LLMExtractor(**options) if name == "llm" else HybridExtractor(**options)
    raise ConfigError(f"未知的提取器 / unknown extractor: {name} (rules, llm, hybrid)")


def read_document(source: str | os.PathLike | bytes, name: str = "") -> tuple[Document, DocumentInfo]:
    """Load a file into a Document and describe it (hash, type, size, the narrative's sketch)."""
    doc, data, name = _load(source, name)
    return doc, describe(doc, data, name, detect(doc))


def _load(source: str | os.PathLike | bytes, name: str) -> tuple[Document, bytes, str]:
    folder = None  # a web page's pictures may sit beside it
    if isinstance(source, (str, os.PathLike)):
        name = name or Path(source).name
        folder = Path(source).parent
        source = read_regular(source, name)  # read once: the bytes parsed are the bytes hashed
    data = bytes(source)
    return load(data, name, folder), data, name


def describe(document: Document, data: bytes, name: str, meta: ReportMeta) -> DocumentInfo:
    """The document's description; the sketch leaves out the detected agency's own name."""
    return DocumentInfo(name=name, sha256=hashlib.sha256(data).hexdigest(), type=document.source_type,
                        size=len(data), pages=document.pages, layout=document.layout,
                        text_sketch=sketch(document, meta.agency), ocr_pages=len({m.image for m in document.ocr}))


def check_document(document: Document, extraction: Extraction, info: DocumentInfo | None = None,
                   meta: ReportMeta | None = None) -> Result:
    """Detect metadata (unless given), validate the extraction and assemble the Result."""
    meta = meta.model_copy() if meta is not None else detect(document)
    extraction = review_ocr(document, extraction)
    if extraction.template and extraction.template != meta.template:
        meta.template = extraction.template  # type: ignore[assignment]
    meta.table_form = catalog.table_form(meta.template, extraction.values)
    report = validate(extraction.values, extraction.prose_values, meta, meta.template, document.text)
    findings: list[Finding] = [*report, *extraction.doubts, *ingest_findings(document)]
    return Result(
        document=info or DocumentInfo(name=document.source_name, type=document.source_type, pages=document.pages,
                                      layout=document.layout, text_sketch=sketch(document, meta.agency)),
        meta=meta,
        extractor=extraction.extractor,
        model=extraction.model,
        values=extraction.values,
        prose_values=extraction.prose_values,
        findings=findings,
        usage=extraction.usage,
        seconds=extraction.seconds,
    )


def ingest_findings(document: Document) -> list[Finding]:
    """Doubts the reading of the file itself raises (control characters removed from the text)."""
    if not document.removed_controls:
        return []
    n = document.removed_controls
    return [Finding(rule="ingest.control_chars", kind="extraction", category="extraction", severity="warning",
                    message=f"文件中有 {n} 个控制字符（如 NUL），已删除后再读取；请核对原件是否损坏 / "
                            f"{n} control character(s) such as NUL removed from the text before reading",
                    actual=n)]


def refused_unread(data: bytes, name: str = "") -> InputError | None:
    """Why :func:`extract` cannot make a report of ``data``, when the bytes alone settle it — empty, a
    format xxgk does not read, or a text too short to name a report (the fewest words
    ``looks_like_report`` accepts take SMALLEST_REPORT bytes) — else None. Nothing is parsed: a batch
    refuses such files in the parent, without storing them or waking a worker."""
    if not data.strip():
        return EmptyInputError(name)
    try:
        kind = sniff(data, name)
    except UnsupportedFormatError as err:
        return err
    if kind in ("txt", "html") and len(data) < SMALLEST_REPORT:
        return NotAReportError(name)
    return None


def extract(source: str | os.PathLike | bytes, *, name: str = "", extractor: str | Extractor = "rules",
            template: str | None = None) -> Result:
    """Read, extract and check one report.

    ``source`` is a path or the file's bytes; ``extractor`` a registered name or an Extractor.
    Raises an :class:`~extractor._errors.InputError` for a file that cannot be read as a report.
    """
    t0 = time.perf_counter()
    with collector.paused():  # the reading's small objects need no cycle search (extractor.collector)
        doc, data, name = _load(source, name)
        if not looks_like_report(doc):
            raise NotAReportError(name)
        meta = detect(doc)
        info = describe(doc, data, name, meta)
    backend = get_extractor(extractor) if isinstance(extractor, str) else extractor
    local = isinstance(backend, TableReader)  # a model's extraction waits on its server for seconds: not paused
    with collector.paused() if local else nullcontext():
        extraction = backend.extract(doc, template or meta.template)
        result = check_document(doc, extraction, info, meta)
    result.seconds = time.perf_counter() - t0
    return result
