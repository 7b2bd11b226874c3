"""PDF reading against the text-extraction floor: ``read_pdf`` and ``extract()`` in-process beside
``pdftotext -layout`` (poppler), interleaved in one run so that both see the same machine.

    python benchmarks/ingest_pdf.py [--rounds 15] [--json] [PDF ...]   # default: the shared real reports

pdftotext runs as the command a user would run (its process start included, its output to /dev/null);
its CPU time is the child's. Printed per file: median wall and CPU milliseconds of each, and the
ratios to pdftotext, and the best CPU time of each (the least disturbed by other processes); the load
average before and after is printed, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.api import extract
from extractor.ingest.pdf import read_pdf

DEFAULT = sorted(Path("/work/shared/real").glob("*.pdf"))


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(fn: Callable[[], object], child: bool = False) -> tuple[float, float]:
    """(wall ms, CPU ms) of one call; CPU of the children for a subprocess."""
    cpu0 = _child_cpu() if child else time.process_time()
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    cpu = (_child_cpu() if child else time.process_time()) - cpu0
    return wall * 1000, cpu * 1000


def measure(path: Path, rounds: int) -> dict:
    data = path.read_bytes()
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise SystemExit("pdftotext is not installed (apt-get install poppler-utils)")
    runs: dict[str, list[tuple[float, float]]] = {"pdftotext -layout": [], "read_pdf": [], "extract()": []}
    calls: dict[str, tuple[Callable[[], object], bool]] = {
        "pdftotext -layout": (lambda: subprocess.run([pdftotext, "-layout", str(path), "/dev/null"], check=True), True),
        "read_pdf": (lambda: read_pdf(data, path.name), False),
        "extract()": (lambda: extract(data, name=path.name), False),
    }
    for fn, _ in calls.values():
        fn()  # warm-up: imports, font caches, the reader's label caches
    for _ in range(rounds):
        for name, (fn, child) in calls.items():
            runs[name].append(_timed(fn, child))
    doc = read_pdf(data, path.name)
    out = {"file": path.name, "pages": doc.pages, "rounds": rounds, "median_ms": {}, "cpu_ms": {}, "best_cpu_ms": {}}
    for name, values in runs.items():
        out["median_ms"][name] = round(statistics.median(w for w, _ in values), 1)
        out["cpu_ms"][name] = round(statistics.median(c for _, c in values), 1)
        out["best_cpu_ms"][name] = round(min(c for _, c in values), 1)
    base_wall, base_cpu = out["median_ms"]["pdftotext -layout"], out["cpu_ms"]["pdftotext -layout"]
    out["ratio_wall"] = {k: round(v / base_wall, 2) for k, v in out["median_ms"].items()}
    out["ratio_cpu"] = {k: round(v / base_cpu, 2) for k, v in out["cpu_ms"].items()}
    best = out["best_cpu_ms"]["pdftotext -layout"]
    out["ratio_best_cpu"] = {k: round(v / best, 2) for k, v in out["best_cpu_ms"].items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    load_before = os.getloadavg()
    results = [measure(p, args.rounds) for p in (args.pdfs or DEFAULT)]
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps({"load_before": load_before, "load_after": load_after, "files": results}, indent=1))
        return
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; {os.cpu_count()} cores\n")
    print("| file | pages | step | wall ms (median) | × pdftotext | CPU ms (median) | × pdftotext | "
          "CPU ms (best) | × pdftotext |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        for name in r["median_ms"]:
            print(f"| {r['file']} | {r['pages']} | {name} | {r['median_ms'][name]} | {r['ratio_wall'][name]} | "
                  f"{r['cpu_ms'][name]} | {r['ratio_cpu'][name]} | {r['best_cpu_ms'][name]} | "
                  f"{r['ratio_best_cpu'][name]} |")


if __name__ == "__main__":
    main()
