"""The OCR progress callback: a command sets it, the page reader (``extractor.ingest.image``) calls it.

Its own module so that setting it costs a command nothing: the page reader and the OCR engine load
only when a scan is read.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

ProgressFn = Callable[[int, int, float, bool], None]  # (page done, pages, seconds, from cache)
progress: contextvars.ContextVar[ProgressFn | None] = contextvars.ContextVar("xxgk_ocr_progress", default=None)

__all__ = ["ProgressFn", "progress"]
