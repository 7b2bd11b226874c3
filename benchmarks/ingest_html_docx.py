"""Time ``read_html`` and ``read_docx``: ``python benchmarks/ingest_html_docx.py [FILE.html|FILE.docx ...]``.

Default inputs: the committed HTML fixtures and the table-三 report DOCX the tests build, plus a large
synthetic page (3000 paragraphs and a 2000-row table inside a layout table) to show the cost per cell.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.ingest.docx import read_docx
from extractor.ingest.html import read_html


def _inputs(paths: list[Path]) -> list[tuple[str, bytes]]:
    if paths:
        return [(p.name, p.read_bytes()) for p in paths]
    from tests.test_ingest_docx import _report_docx

    rows = "".join(f"<tr><td>行{i}</td>" + "".join(f"<td>{j}</td>" for j in range(8)) + "</tr>" for i in range(2000))
    big = ("<html><body><table><tr><td>" + "<p>段落文字内容。</p>" * 3000
           + f"<table>{rows}</table></td></tr></table></body></html>").encode()
    out = [(p.name, p.read_bytes()) for p in sorted((ROOT / "tests/fixtures/html").glob("*.html"))]
    return out + [("report.docx (built by the tests)", _report_docx()), ("synthetic-large.html", big)]


def main(paths: list[Path], repeat: int = 5) -> None:
    for name, data in _inputs(paths):
        read = read_docx if data[:4] == b"PK\x03\x04" else read_html
        doc = read(data, name)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            read(data, name)
            times.append((time.perf_counter() - t0) * 1000)
        cells = sum(1 for _ in doc.iter_cells())
        print(f"{name}: {len(data) / 1024:.0f} KiB, {len(doc.tables())} tables ({cells} cells), "
              f"{len(doc.paragraphs())} paragraphs: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
