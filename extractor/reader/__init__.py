"""The deterministic table reader: the default extractor, fast, free and offline."""

from __future__ import annotations

import time

from extractor.document import Document
from extractor.reader.prose import read_prose
from extractor.reader.rows import document_rows
from extractor.reader.tables import Reading, read_old, read_t2, read_t2_blank_lines, read_t3, read_t4
from schemas.results import Extraction


class TableReader:
    """Reads every table value and every restated prose figure by matching labels to the catalog."""

    name = "rules"

    def extract(self, document: Document, template: str | None = None) -> Extraction:
        t0 = time.perf_counter()
        if template is None:
            from extractor.detect import detect

            template = detect(document).template
        reading = Reading(template or "2021")
        prose = read_prose(document, reading.template)
        rows = document_rows(document)
        if reading.template == "2008":
            read_old(rows, reading)
        else:
            read_t2(rows, reading, prose)
            read_t2_blank_lines(document.paragraphs(), reading)
            read_t3(rows, reading)
            read_t4(rows, reading)
        return Extraction(
            extractor=self.name,
            template=reading.template,  # type: ignore[arg-type]
            values=reading.values,
            prose_values=prose,
            doubts=reading.doubts,
            seconds=time.perf_counter() - t0,
        )


__all__ = ["TableReader"]
