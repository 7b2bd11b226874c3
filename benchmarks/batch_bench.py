"""Throughput and memory of ``xxgk batch``: N generated reports through the table reader on W workers.

    python benchmarks/batch_bench.py                     # 1,000 reports, 2 workers
    python benchmarks/batch_bench.py --n 200 --layouts html,md --workers 1 --json

The reports come from ``evals.generator.generate_dataset`` (templates 2008/2019/2021 round-robin,
errors injected at the generator's default rate). Default layouts: html, docx, pdf, md, layout, cells;
``runtogether`` (digits printed without separators) is left out by default because the reader spends
seconds per report splitting its digits, which would measure that one layout rather than the batch
(add it with ``--layouts``). Generating the files is not timed.

Measured: wall time of the whole command (start-up, storing the files, extraction, exports) and of
the extraction phase alone (the figure the command prints), reports per second for both, and peak
memory: the largest sum of resident memory over the command's process tree (parent, forkserver and
workers), sampled every 0.1 s from /proc, and the largest single process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAYOUTS = ("html", "docx", "pdf", "md", "layout", "cells")


def _tree(root: int) -> list[int]:
    """The pids of ``root`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _extract_one(path: str) -> bool:
    """The comparator's whole job per file: read, extract, check (nothing stored)."""
    from extractor import extract
    from extractor._errors import XxgkError

    try:
        extract(path)
    except XxgkError:
        return False
    return True


def plain_pool(src: Path, workers: int) -> dict:
    """The comparator: a multiprocessing Pool calling ``extract()`` on the same files, timed from its start."""
    import multiprocessing as mp

    files = sorted(str(p) for p in src.iterdir() if p.suffix != ".json" and not p.name.endswith(".jsonl"))
    t0 = time.perf_counter()
    with mp.get_context("forkserver").Pool(workers) as pool:
        done = sum(pool.imap_unordered(_extract_one, files, chunksize=1))
    wall = time.perf_counter() - t0
    return {"pool_done": done, "pool_seconds": round(wall, 1), "pool_reports_per_second": round(done / wall, 2)}


def run(n: int, seed: int, layouts: tuple[str, ...], workers: int, work: Path) -> dict:
    from evals.generator import generate_dataset

    src = work / "reports"
    t0 = time.perf_counter()
    cases = generate_dataset(src, n, seed, layouts=layouts)
    generated = time.perf_counter() - t0
    cmd = [sys.executable, "-m", "extractor.cli", "batch", str(src), "--db", str(work / "bench.sqlite"),
           "--out", str(work / "out"), "--workers", str(workers)]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    peak_sum = peak_one = peak_parent = peak_worker = 0
    while proc.poll() is None:
        pids = _tree(proc.pid)
        sizes = {p: _rss_kib(p) for p in pids}
        peak_sum = max(peak_sum, sum(sizes.values()))
        peak_one = max(peak_one, max(sizes.values(), default=0))
        peak_parent = max(peak_parent, sizes.get(proc.pid, 0))
        peak_worker = max(peak_worker, max((v for p, v in sizes.items() if p != proc.pid), default=0))
        time.sleep(0.1)
    _out, err = proc.communicate()
    wall = time.perf_counter() - t0
    m = re.search(r"job \w+ \((\d+(?:\.\d+)?) s\)", err)
    extraction = float(m.group(1)) if m else wall
    counts = {k: int(v) for k, v in re.findall(r"(完成|失败|重复) / \w+\s+(\d+)", err)}
    done = counts.get("完成", 0)
    return {
        "reports": n, "layouts": list(layouts), "workers": workers, "exit_code": proc.returncode,
        "done": done, "failed": counts.get("失败", 0), "duplicates": counts.get("重复", 0),
        "generate_seconds": round(generated, 1), "wall_seconds": round(wall, 1),
        "extraction_seconds": round(extraction, 1),
        "reports_per_second_wall": round(done / wall, 2) if wall else 0.0,
        "reports_per_second_extraction": round(done / extraction, 2) if extraction else 0.0,
        "peak_rss_total_mib": round(peak_sum / 1024, 1), "peak_rss_one_process_mib": round(peak_one / 1024, 1),
        "peak_rss_parent_mib": round(peak_parent / 1024, 1), "peak_rss_worker_mib": round(peak_worker / 1024, 1),
        "templates": sorted({c["template"] for c in cases}), "cpu_count": os.cpu_count(),
        "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2),
        "stderr_tail": err.strip().splitlines()[-3:] if proc.returncode not in (0, 1) else [],
    } | plain_pool(src, workers)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--layouts", default=",".join(DEFAULT_LAYOUTS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="keep the files here (default: a temp folder)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    layouts = tuple(x.strip() for x in args.layouts.split(",") if x.strip())
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        res = run(args.n, args.seed, layouts, args.workers, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
            res = run(args.n, args.seed, layouts, args.workers, Path(tmp))
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        print(f"xxgk batch: {res['done']}/{res['reports']} reports ({', '.join(layouts)}) on {res['workers']} workers, "
              f"{res['cpu_count']} cores")
        print(f"  whole command   {res['wall_seconds']:7.1f} s   {res['reports_per_second_wall']:6.2f} reports/s")
        print(f"  extraction      {res['extraction_seconds']:7.1f} s   {res['reports_per_second_extraction']:6.2f} "
              "reports/s")
        print(f"  peak memory     {res['peak_rss_total_mib']:7.1f} MiB (process tree), "
              f"{res['peak_rss_one_process_mib']:.1f} MiB (largest process: parent {res['peak_rss_parent_mib']:.1f}, "
              f"worker {res['peak_rss_worker_mib']:.1f})")
        print(f"  plain Pool      {res['pool_seconds']:7.1f} s   {res['pool_reports_per_second']:6.2f} reports/s "
              f"(extract() on the same files, same workers, nothing stored): whole command at "
              f"{res['reports_per_second_wall'] / res['pool_reports_per_second']:.2f}×, extraction at "
              f"{res['reports_per_second_extraction'] / res['pool_reports_per_second']:.2f}×")
        print(f"  failed {res['failed']}, duplicates {res['duplicates']}, exit code {res['exit_code']}; "
              f"1-min load average {res['load_average_before']} before, {res['load_average_after']} after")
    return 0 if res["exit_code"] in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
