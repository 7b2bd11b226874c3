"""Speed of the synthetic report generator: reports per second drawn, and files per second per layout.

usage: python benchmarks/generator_speed.py [--n N]
Draws N reports per template (seeds 0..N-1), then renders each in every layout; prints milliseconds
per report and per file, and the mean file size, so the cost of a 200-case eval set is known.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals import generator as gen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    a = ap.parse_args()
    print(f"{'template':8} {'step':12} {'ms/file':>8} {'KiB/file':>9}")
    for template in ("2008", "2019", "2021"):
        t0 = time.perf_counter()
        reports = [gen.generate(s, template, inject="random" if s % 3 == 0 else None) for s in range(a.n)]
        print(f"{template:8} {'generate':12} {1000 * (time.perf_counter() - t0) / a.n:8.1f} {'':>9}")
        for layout in gen.LAYOUTS:
            t0 = time.perf_counter()
            size = sum(len(gen.render(r, layout)) for r in reports)
            ms = 1000 * (time.perf_counter() - t0) / a.n
            print(f"{template:8} {layout:12} {ms:8.1f} {size / a.n / 1024:9.1f}")


if __name__ == "__main__":
    main()
