"""Time ``read_pdf`` per file: ``python benchmarks/ingest_pdf.py [PDF ...]`` (default: the shared real reports)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from extractor.ingest.pdf import read_pdf

DEFAULT = sorted(Path("/work/shared/real").glob("*.pdf"))


def main(paths: list[Path], repeat: int = 5) -> None:
    for path in paths:
        data = path.read_bytes()
        doc = read_pdf(data, path.name)  # warm-up (imports, font caches)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            read_pdf(data, path.name)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{path.name}: {doc.pages} pages, {len(doc.tables())} tables, {len(doc.paragraphs())} paragraphs: "
              f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms "
              f"({statistics.median(times) / (doc.pages or 1):.0f} ms/page)")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT)
