"""Values read by OCR on the review page: the mark that says so.

A scan's numbers are only as good as the engine's eyes, so every value whose evidence was read by
OCR is marked ``OCR`` with its recognition confidence, the uncertain ones in orange (below
``LOOK_BELOW``) so the reviewer knows where to look first; the crop of the scan is shown beside the
chosen one (ui/views/review.py). Kept free of Streamlit.
"""

from __future__ import annotations

import html

from extractor.ocr_review import MIN_ALTERNATIVE
from schemas.results import OcrSource, Result, Value

LOOK_BELOW = 0.9  # a reading less sure than this is worth a look even when the extractor kept it


def ocr_source(v: Value | None) -> OcrSource | None:
    """How the value was read, when OCR read it."""
    if v is None:
        return None
    return next((e.ocr for e in v.evidence if e.ocr is not None), None)


def ocr_sources(result: Result) -> dict[str, OcrSource]:
    """Every OCR'd table value's source, by key."""
    return {k: src for k, v in result.values.items() if (src := ocr_source(v)) is not None}


def percent(p: float) -> str:
    """A probability in whole percent, rounded down: 0.9999 is not yet 100%."""
    return f"{int(p * 100 + 1e-9)}%"


def mark_text(src: OcrSource) -> str:
    """``OCR 87%``: the mark beside a value read from a scan."""
    return f"OCR {percent(src.confidence)}"


def mark_title(src: OcrSource) -> str:
    """The mark's tooltip: which image, how sure, and the engine's other readings worth a thought."""
    others = [f"“{t}”{percent(p)}" for t, p in src.readings[1:] if t and p >= MIN_ALTERNATIVE]
    also = f"；其他读法 {'、'.join(others)}" if others else ""
    return f"扫描识别（{src.source}），置信度 {percent(src.confidence)}{also}"


def mark_html(src: OcrSource) -> str:
    """The mark as a small label inside a form cell; orange when worth a look."""
    low = " low" if src.confidence < LOOK_BELOW else ""
    return f'<span class="ocr{low}" title="{html.escape(mark_title(src))}">{html.escape(mark_text(src))}</span>'
