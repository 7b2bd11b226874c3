"""The table reader on the text of a web page: the whole report on one line of 5k to 80k characters.

usage: python benchmarks/pagetext_reader.py [--repeat N]
A generated 2021 report in the page-text layout (evals/render_text.pagetext), its narrative repeated to
make the one line longer, is read by the table reader alone (`TableReader.extract` on the ingested
Document); the real 平潭 pages of ../shared/real are read too when present. Prints CPU ms per report
(process time, which the load of a shared machine does not inflate as it does wall time) and the growth per
doubling (about 2× for a reader linear in the line's length), then peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.generator import generate, render
from extractor.ingest import load
from extractor.reader import TableReader

REAL = ROOT.parent / "shared" / "real"


def page(chars: int) -> bytes:
    """A page-text report whose one line is about ``chars`` characters long."""
    text = render(generate(3, "2021"), "pagetext").decode("utf-8")
    head, line = text.rstrip("\n").rsplit("\n", 1)
    cut = line.index("二、主动公开")
    filler = line[:cut]
    while len(filler) + len(line) - cut < chars:
        filler += line[:cut]
    return (head + "\n" + filler + line[cut:] + "\n").encode("utf-8")


def timed(data: bytes, name: str, repeat: int) -> tuple[int, float, int]:
    doc = load(data, name)
    reader = TableReader()
    best = float("inf")
    values = 0
    for _ in range(repeat):
        t0 = time.process_time()  # CPU time: a shared machine's load inflates wall time, not this
        extraction = reader.extract(doc, "2021" if "2021" in name or name.startswith("gen") else None)
        best = min(best, time.process_time() - t0)
        values = len(extraction.values)
    return len(max(doc.text.split("\n"), key=len)), best, values


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"| page text | longest line (chars) | values | CPU ms (best of {args.repeat}) | × previous |")
    print("|---|---:|---:|---:|---:|")
    last = None
    for chars in (5_000, 10_000, 20_000, 40_000, 80_000):
        n, secs, values = timed(page(chars), f"gen-{chars}.txt", args.repeat)
        ratio = f"{secs / last:.2f}" if last else ""
        print(f"| generated 2021 | {n:,} | {values} | {1000 * secs:.1f} | {ratio} |")
        last = secs
    for p in sorted(REAL.glob("20*-pingtan-zone.txt")):
        n, secs, values = timed(p.read_bytes(), p.name, args.repeat)
        print(f"| {p.name} | {n:,} | {values} | {1000 * secs:.1f} | |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
