"""Reports per second of `extract()` with the table reader, per input format, and peak memory.

usage: python benchmarks/extract_speed.py [--seconds S]
Formats: the seed as txt, html and pdf (rendered by tests/seed_formats.py) and, when ../shared is
present, the two real PDFs. Each format runs for about S seconds; peak RSS is read at the end.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor import extract
from extractor.api import read_document
from tests import seed_formats

SEED = ROOT / "examples" / "2017-old-template-report.txt"
REAL = ROOT.parent / "shared" / "real"


def inputs() -> dict[str, tuple[bytes, str]]:
    doc = read_document(SEED)[0]
    out = {
        "txt (seed)": (SEED.read_bytes(), "seed.txt"),
        "html (seed)": (seed_formats.to_html(doc), "seed.html"),
        "docx (seed)": (seed_formats.to_docx(doc), "seed.docx"),
        "pdf (seed, 3 pages)": (seed_formats.to_pdf(doc), "seed.pdf"),
    }
    for p in sorted(REAL.glob("*.pdf")):
        out[f"pdf (real, {p.stem[:4]})"] = (p.read_bytes(), p.name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    print("| input | reports/s | ms/report |")
    print("|---|---:|---:|")
    for label, (data, name) in inputs().items():
        extract(data, name=name)  # warm-up
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.seconds:
            extract(data, name=name)
            n += 1
        dt = time.perf_counter() - t0
        print(f"| {label} | {n / dt:.1f} | {1000 * dt / n:.1f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
