"""The crop of the image an OCR'd value was read from, cut again from the file as it was uploaded.

A value's evidence names its image (``OcrSource.source``) and box; the review page shows this crop
beside the value, and a doubtful digit's finding points at it. Nothing but the stored file is needed.
"""

from __future__ import annotations

import io
import re

from extractor.ingest import sniff
from extractor.ingest.image import decode_image
from extractor.ingest.pdf import PDFIUM_LOCK
from extractor.ingest.pictures import docx_pictures, html_pictures
from schemas.results import Evidence

CROP_DPI = 200  # a PDF page is rendered at this resolution for its crop
MARGIN = 12  # pixels of context around the box


def ocr_crop(data: bytes, name: str, evidence: Evidence) -> bytes | None:
    """PNG bytes of where ``evidence`` was read by OCR; None when it was not, or the image is gone."""
    src = evidence.ocr
    if src is None:
        return None
    import numpy as np

    kind = sniff(data, name)
    if kind == "pdf":
        if evidence.page is None or evidence.bbox is None:
            return None
        gray, box = _pdf_page(data, evidence.page), tuple(round(v * CROP_DPI / 72) for v in evidence.bbox)
    else:
        if src.box is None:
            return None
        if kind == "image":
            frames = decode_image(data, name)
            m = re.fullmatch(r"image(?: (\d+))?", src.source)
            index = int(m.group(1)) - 1 if m and m.group(1) else 0
            gray = frames[index] if 0 <= index < len(frames) else None
        else:
            pictures = docx_pictures(data) if kind == "docx" else html_pictures(data)
            base, _, frame = src.source.partition(" ") if kind == "docx" else (src.source, "", "")
            blob = next((b for s, b in pictures if s == base or s.startswith(base + " (")), None)
            frames = decode_image(blob, base) if blob else []
            index = int(frame) - 1 if frame.isdigit() else 0
            gray = frames[index] if 0 <= index < len(frames) else None
        box = src.box
    if gray is None:
        return None
    h, w = gray.shape[:2]
    x0, y0, x1, y1 = (max(0, box[0] - MARGIN), max(0, box[1] - MARGIN), min(w, box[2] + MARGIN), min(h, box[3] + MARGIN))
    if x1 <= x0 or y1 <= y0:
        return None
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(gray[y0:y1, x0:x1])).save(out, format="PNG")
    return out.getvalue()


def _pdf_page(data: bytes, page: int):
    import numpy as np
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            p = pdf[page - 1]
            try:
                arr = np.array(p.render(scale=CROP_DPI / 72, grayscale=True).to_numpy(), copy=True)
            finally:
                p.close()
        finally:
            pdf.close()
    return arr[:, :, 0] if arr.ndim == 3 else arr
