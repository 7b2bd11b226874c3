"""Time ``read_pdf`` per file: ``python benchmarks/ingest_pdf.py [PDF ...]`` (default: the shared real reports).

Prints wall and CPU time; on a shared machine the CPU figure is the steadier one.
"""

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
        times, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            read_pdf(data, path.name)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        print(f"{path.name}: {doc.pages} pages, {len(doc.tables())} tables, {len(doc.paragraphs())} paragraphs: "
              f"wall median {statistics.median(times):.0f} ms (min {min(times):.0f}), "
              f"CPU median {statistics.median(cpu):.0f} ms ({statistics.median(cpu) / (doc.pages or 1):.0f} ms/page)")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT)
