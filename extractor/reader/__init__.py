"""The deterministic table reader: the default extractor, fast, free and offline."""

from __future__ import annotations

import time

from extractor.detect import detect
from extractor.document import Document
from extractor.reader.prose import read_prose
from extractor.reader.tables import read_tables
from schemas.results import Extraction


class TableReader:
    """Reads every table value and every restated prose figure by finding the catalog's labels."""

    name = "rules"

    def extract(self, document: Document, template: str | None = None) -> Extraction:
        t0 = time.perf_counter()
        if template is None:
            template = detect(document).template
        template = template or "2021"
        prose = read_prose(document, template)
        reading = read_tables(document, template, prose)
        return Extraction(
            extractor=self.name,
            template=reading.template,  # type: ignore[arg-type]
            values=reading.values,
            prose_values=prose,
            doubts=reading.doubts,
            seconds=time.perf_counter() - t0,
        )


__all__ = ["TableReader"]
