"""Opening one store from many processes at once, on a machine kept busy: the concurrent-open test, N times.

    python benchmarks/concurrent_open.py [--rounds 20] [--load 4]

Each round runs ``tests/test_store.py::test_opening_concurrently_migrates_once`` (8 fresh processes
released together onto an empty database: each opens it, migrating it if nobody has yet, and stores a
document) on SQLite and, when ``XXGK_TEST_POSTGRES_URL`` is set, on PostgreSQL — while ``--load``
busy-loop processes (default: twice the cores) keep every core at 100 %, as `stress --cpu` does.
Prints one line per round and the tally; exits 1 if any round failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/test_store.py::test_opening_concurrently_migrates_once"


def _spin() -> None:
    while True:
        pass


def one_round() -> tuple[bool, float, str]:
    """Run the test once (both backends); passed, seconds, pytest's summary line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", TEST],
                         check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    summary = lines[-1] if lines else run.stderr.strip()[-200:]
    if run.returncode != 0:
        summary += "\n" + run.stdout[-3000:]
    return run.returncode == 0, seconds, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--load", type=int, default=2 * (os.cpu_count() or 1), help="busy-loop processes")
    args = ap.parse_args()
    backends = "SQLite + PostgreSQL" if os.environ.get("XXGK_TEST_POSTGRES_URL") else "SQLite only"
    print(f"{args.rounds} rounds, 8 opening processes, {backends}, {args.load} busy-loop processes "
          f"on {os.cpu_count()} cores (load average before: {os.getloadavg()[0]:.1f})", flush=True)
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.load)]
    for p in spinners:
        p.start()
    passed = 0
    try:
        for n in range(1, args.rounds + 1):
            ok, seconds, summary = one_round()
            passed += ok
            print(f"round {n:2}: {'ok  ' if ok else 'FAIL'} {seconds:5.1f} s  load {os.getloadavg()[0]:4.1f}  "
                  f"{summary}", flush=True)
    finally:
        for p in spinners:
            p.kill()
    print(f"{passed}/{args.rounds} rounds passed")
    return 0 if passed == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
