"""Throughput and memory of ``xxgk batch``: N generated reports through the table reader on W workers.

    python benchmarks/batch_bench.py                     # 1,000 reports, 2 workers, a SQLite file
    python benchmarks/batch_bench.py --n 200 --layouts html,md --workers 1 --json
    python benchmarks/batch_bench.py --db "$XXGK_TEST_POSTGRES_URL"   # PostgreSQL: a database made for the run

The reports come from ``evals.generator.generate_dataset`` (templates 2008/2019/2021 round-robin,
errors injected at the generator's default rate). Default layouts: html, docx, pdf, md, layout, cells;
``runtogether`` (digits printed without separators) is left out by default because the reader spends
seconds per report splitting its digits, which would measure that one layout rather than the batch
(add it with ``--layouts``). Generating the files is not timed.

Measured: wall time of the whole command (start-up, storing the files, extraction, exports) and of
the extraction phase alone (the figure the command prints), reports per second for both, beside two
comparators run right after it on the same files and workers: a plain ``multiprocessing.Pool`` calling
``extract()``, and the same Pool with its workers set up as the batch's are (the extractor imported, then
frozen out of the garbage collector's sight), so that what the batch adds is seen apart from what its
workers' set-up saves; and peak
memory: the largest sum of resident memory over the command's process tree (parent, forkserver and
workers), sampled every SAMPLE_EVERY (0.25 s) from /proc, and the largest single process; and the CPU seconds spent during
the extraction phase by the parent, by the forkserver and workers and, when the database is a PostgreSQL
server on this machine, by the server's processes (it shares the cores), beside the Pools' workers' CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres import fresh_database

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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int, reaped: bool = False) -> float:
    """A process's user + system CPU seconds (with ``reaped``: its waited-for children's too), 0 when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / CLOCK_TICKS


def _server_cpu() -> float:
    """CPU seconds of a PostgreSQL server on this machine (its processes, and the backends it has reaped)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry), reaped=True)
            except OSError:
                continue
    return total


def _extract_one(path: str) -> bool:
    """The comparator's whole job per file: read, extract, check (nothing stored)."""
    from extractor import extract
    from extractor._errors import XxgkError

    try:
        extract(path)
    except XxgkError:
        return False
    return True


def _frozen_worker() -> None:
    """The second comparator's worker set-up, the batch's own: the extractor imported, then frozen out of the
    garbage collector's sight (``gc.freeze``), so that a full collection walks one file's garbage only."""
    import gc

    import extractor.api  # noqa: F401 - imported before the freeze

    gc.freeze()


def plain_pool(src: Path, workers: int, frozen: bool = False) -> dict:
    """The comparator: a multiprocessing Pool calling ``extract()`` on the same files, timed from its start
    (``frozen``: its workers set up as the batch's are, see :func:`_frozen_worker`)."""
    import multiprocessing as mp

    files = sorted(str(p) for p in src.iterdir() if p.suffix != ".json" and not p.name.endswith(".jsonl"))
    t0 = time.perf_counter()
    with mp.get_context("forkserver").Pool(workers, initializer=_frozen_worker if frozen else None) as pool:
        _note_forkserver()
        done = sum(pool.imap_unordered(_extract_one, files, chunksize=1))
        wall = time.perf_counter() - t0
        me = os.getpid()  # the Pool's workers (fresh for each Pool) before they are stopped
        worker_cpu = sum(_cpu_seconds(p) for p in _tree(me) if p != me and p not in _FORKSERVERS)
    key = "frozen_pool" if frozen else "pool"
    return {f"{key}_done": done, f"{key}_seconds": round(wall, 1), f"{key}_reports_per_second": round(done / wall, 2),
            f"{key}_cpu_seconds": round(worker_cpu, 2)}


_FORKSERVERS: set[int] = set()  # this process's forkserver: not one of a Pool's workers


def _note_forkserver() -> None:
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)  # private: only to leave it out of the sums
    if pid:
        _FORKSERVERS.add(pid)


@contextmanager
def database(server: str | None, work: Path) -> Iterator[str]:
    """The run's empty database: a SQLite file in ``work``, or a PostgreSQL database made on ``server`` (a URL
    whose role may create databases, as .ci/postgres.sh sets up) and dropped after."""
    if not server:
        for old in work.glob("bench.sqlite*"):  # a kept --work folder: start empty again
            old.unlink()
        yield str(work / "bench.sqlite")
        return
    with fresh_database(server, prefix="xxgk_bench") as url:
        yield url


def _counts(engine) -> tuple[int, int] | None:
    """(items, items still queued or running) of the batch (None before the job exists): the extraction phase
    starts when the first item is taken, and ends when none is pending."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            total, pending = conn.execute(text(
                "SELECT count(*), sum(CASE WHEN status IN ('queued', 'running') THEN 1 ELSE 0 END) FROM job_items")).one()
    except SQLAlchemyError:
        return None  # the tables are not made yet
    return (int(total), int(pending or 0)) if total else None


SAMPLE_EVERY = 0.25  # seconds between samples of the batch's processes: each costs ~2.5 ms of CPU on the cores
# the batch shares (the /proc walk, the count of pending items), which the Pool comparators do not pay; at 0.1 s
# with the server's CPU read every time the sampler took 5 % of a core (about 0.35 s of a 13 s extraction phase)


def _roles(parent: int, cpu: dict[int, float], server_local: bool) -> tuple[float, float, float]:
    """(parent, forkserver and workers, local PostgreSQL server) CPU seconds now; the server's read only at the
    phase's two ends (a walk over every process)."""
    return (cpu.get(parent, 0.0), sum(c for p, c in cpu.items() if p != parent),
            _server_cpu() if server_local else 0.0)


def batch_once(src: Path, workers: int, work: Path, db: str) -> dict:
    """One ``xxgk batch`` command over ``src`` on an empty database, its process tree sampled every SAMPLE_EVERY s."""
    from sqlalchemy import create_engine

    cmd = [sys.executable, "-m", "extractor.cli", "batch", str(src), "--db", db,
           "--out", str(work / "out"), "--workers", str(workers)]
    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    server_local = "://" in db and _server_cpu() > 0  # a PostgreSQL server on this machine: its CPU is counted
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    peak_sum = peak_one = peak_parent = peak_worker = parent_extracting = 0
    extracting = True
    cpu: dict[int, float] = {}  # the last CPU seconds seen of every process of the tree (a worker replaced keeps its)
    began: tuple[float, float, float] | None = None  # (parent, workers, server) CPU when the first item was taken
    ended: tuple[float, float, float] | None = None  # … when none was pending any more
    while proc.poll() is None:
        pids = _tree(proc.pid)
        sizes = {p: _rss_kib(p) for p in pids}
        cpu.update({p: c for p in pids if (c := _cpu_seconds(p))})
        peak_sum = max(peak_sum, sum(sizes.values()))
        peak_one = max(peak_one, max(sizes.values(), default=0))
        peak_parent = max(peak_parent, sizes.get(proc.pid, 0))
        peak_worker = max(peak_worker, max((v for p, v in sizes.items() if p != proc.pid), default=0))
        if extracting:  # asked after every sample: the exports' first imports must not count as extracting
            counts = _counts(engine)
            if counts and began is None and counts[1] < counts[0]:
                began = _roles(proc.pid, cpu, server_local)
            extracting = counts is None or counts[1] != 0
            if extracting:
                parent_extracting = max(parent_extracting, sizes.get(proc.pid, 0))
            else:
                ended = _roles(proc.pid, cpu, server_local)
        time.sleep(SAMPLE_EVERY)
    _out, err = proc.communicate()
    wall = time.perf_counter() - t0
    engine.dispose()
    m = re.search(r"job \w+ \((\d+(?:\.\d+)?) s\)", err)
    extraction = float(m.group(1)) if m else wall
    counts = {k: int(v) for k, v in re.findall(r"(完成|失败|重复) / \w+\s+(\d+)", err)}
    done = counts.get("完成", 0)
    return {
        "exit_code": proc.returncode, "done": done, "failed": counts.get("失败", 0),
        "duplicates": counts.get("重复", 0), "wall_seconds": round(wall, 1), "extraction_seconds": round(extraction, 1),
        "reports_per_second_wall": round(done / wall, 2) if wall else 0.0,
        "reports_per_second_extraction": round(done / extraction, 2) if extraction else 0.0,
        "peak_rss_total_mib": round(peak_sum / 1024, 1), "peak_rss_one_process_mib": round(peak_one / 1024, 1),
        "peak_rss_parent_mib": round(peak_parent / 1024, 1),
        "peak_rss_parent_extracting_mib": round(parent_extracting / 1024, 1),
        "peak_rss_worker_mib": round(peak_worker / 1024, 1), "load_average_before": round(load_before, 2),
        # CPU seconds spent while extracting, by the parent, by the forkserver and workers, by a local server
        "cpu_extracting": None if began is None or ended is None else {
            role: round(b - a, 2) for role, a, b in zip(("parent", "workers", "server"), began, ended, strict=True)
            if role != "server" or server_local},
        "load_average_after": round(os.getloadavg()[0], 2),
        "stderr_tail": err.strip().splitlines()[-3:] if proc.returncode not in (0, 1) else [],
    }


def run(n: int, seed: int, layouts: tuple[str, ...], workers: int, work: Path, server: str | None,
        repeat: int = 1) -> dict:
    """``repeat`` rounds of the batch command (each on an empty database) and the plain Pool, alternating;
    the figures of each one's fastest round, and every round's ratio."""
    from evals.generator import generate_dataset

    src = work / "reports"
    t0 = time.perf_counter()
    cases = generate_dataset(src, n, seed, layouts=layouts)
    generated = time.perf_counter() - t0
    batches, pools, frozen = [], [], []
    for _ in range(repeat):
        with database(server, work) as db:
            batches.append(batch_once(src, workers, work, db))
        pools.append(plain_pool(src, workers))
        frozen.append(plain_pool(src, workers, frozen=True))
    best = min(batches, key=lambda b: b["extraction_seconds"])
    pool = min(pools, key=lambda p: p["pool_seconds"])
    frozen_pool = min(frozen, key=lambda p: p["frozen_pool_seconds"])
    rounds = list(zip(batches, pools, frozen, strict=True))
    return {
        "reports": n, "layouts": list(layouts), "workers": workers, "repeat": repeat,
        "database": "postgresql" if server else "sqlite", "generate_seconds": round(generated, 1),
        "templates": sorted({c["template"] for c in cases}), "cpu_count": os.cpu_count(),
        "rounds": [{"batch_extraction_seconds": b["extraction_seconds"], "batch_wall_seconds": b["wall_seconds"],
                    "pool_seconds": p["pool_seconds"], "frozen_pool_seconds": f["frozen_pool_seconds"]}
                   for b, p, f in rounds],
        # each round's batch against the Pools run right after it (the machine's speed drifts between rounds)
        "median_ratio_extraction": round(statistics.median(
            p["pool_seconds"] / b["extraction_seconds"] for b, p, _ in rounds), 3),
        "median_ratio_wall": round(statistics.median(p["pool_seconds"] / b["wall_seconds"] for b, p, _ in rounds), 3),
        "median_ratio_extraction_frozen": round(statistics.median(
            f["frozen_pool_seconds"] / b["extraction_seconds"] for b, _, f in rounds), 3),
    } | best | pool | frozen_pool


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--layouts", default=",".join(DEFAULT_LAYOUTS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="keep the files here (default: a temp folder)")
    ap.add_argument("--db", default=None, help="a PostgreSQL server URL to run on (default: a SQLite file)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of batch and Pool, alternating (the best of each)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    layouts = tuple(x.strip() for x in args.layouts.split(",") if x.strip())
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        res = run(args.n, args.seed, layouts, args.workers, args.work, args.db, args.repeat)
    else:
        with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
            res = run(args.n, args.seed, layouts, args.workers, Path(tmp), args.db, args.repeat)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        print(f"xxgk batch: {res['done']}/{res['reports']} reports ({', '.join(layouts)}) on {res['workers']} workers, "
              f"{res['cpu_count']} cores, {res['database']}")
        print(f"  whole command   {res['wall_seconds']:7.1f} s   {res['reports_per_second_wall']:6.2f} reports/s")
        print(f"  extraction      {res['extraction_seconds']:7.1f} s   {res['reports_per_second_extraction']:6.2f} "
              "reports/s")
        print(f"  peak memory     {res['peak_rss_total_mib']:7.1f} MiB (process tree), "
              f"{res['peak_rss_one_process_mib']:.1f} MiB (largest process: parent {res['peak_rss_parent_mib']:.1f}, "
              f"{res['peak_rss_parent_extracting_mib']:.1f} while extracting; worker {res['peak_rss_worker_mib']:.1f})")
        print(f"  plain Pool      {res['pool_seconds']:7.1f} s   {res['pool_reports_per_second']:6.2f} reports/s "
              f"(extract() on the same files, same workers, nothing stored): whole command at "
              f"{res['reports_per_second_wall'] / res['pool_reports_per_second']:.2f}×, extraction at "
              f"{res['reports_per_second_extraction'] / res['pool_reports_per_second']:.2f}×")
        print(f"  frozen Pool     {res['frozen_pool_seconds']:7.1f} s   {res['frozen_pool_reports_per_second']:6.2f} "
              f"reports/s (its workers set up as the batch's: the extractor frozen out of the GC): extraction at "
              f"{res['reports_per_second_extraction'] / res['frozen_pool_reports_per_second']:.2f}×")
        if (c := res.get("cpu_extracting")) is not None:
            server = f" + local PostgreSQL server {c['server']:.2f}" if "server" in c else ""
            print(f"  CPU while extracting (s): parent {c['parent']:.2f} + workers {c['workers']:.2f}{server} = "
                  f"{sum(c.values()):.2f}; plain Pool's workers {res['pool_cpu_seconds']:.2f}, frozen Pool's "
                  f"{res['frozen_pool_cpu_seconds']:.2f} (their start-up included)")
        if res["repeat"] > 1:
            print("  rounds (batch extraction / whole / Pool / frozen Pool, s): " + ", ".join(
                f"{r['batch_extraction_seconds']} / {r['batch_wall_seconds']} / {r['pool_seconds']} / "
                f"{r['frozen_pool_seconds']}" for r in res["rounds"]))
            print(f"  median of the rounds' ratios: extraction at {res['median_ratio_extraction']:.2f}×, whole command "
                  f"at {res['median_ratio_wall']:.2f}× the Pool; extraction at "
                  f"{res['median_ratio_extraction_frozen']:.2f}× the frozen Pool")
        print(f"  failed {res['failed']}, duplicates {res['duplicates']}, exit code {res['exit_code']}; "
              f"1-min load average {res['load_average_before']} before, {res['load_average_after']} after")
    return 0 if res["exit_code"] in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
