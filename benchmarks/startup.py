"""Start-up of the ``xxgk`` command: ``--version`` and ``extract`` of a text report, as whole commands,
beside the bare interpreter in the same run.

    python benchmarks/startup.py [--rounds 15]

Each command runs as a fresh process, interleaved with ``python -c pass`` (the floor no command can
go below). The console script installed by pip is run directly (a pyenv shim in front of it adds its own
~0.1 s of bash); this checkout's code is the one imported (PYTHONPATH). Bytecode is compiled first and
kept, as a pip install does (PYTHONDONTWRITEBYTECODE, set on some machines, would make every run
compile every module again). Printed: median and best wall time, and the median CPU time of the child.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "2017-old-template-report.txt"


def _script() -> str:
    script = Path(sysconfig.get_path("scripts")) / "xxgk"
    if script.exists():
        return str(script)
    found = shutil.which("xxgk")
    if found is None:
        raise SystemExit("the xxgk console script is not installed (pip install -e .)")
    return found


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall * 1000, (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    for package in ("extractor", "schemas", "evals", "ui"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    xxgk = _script()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "xxgk --version": [xxgk, "--version"],
        "xxgk extract seed.txt": [xxgk, "extract", str(SEED)],
    }
    for cmd in commands.values():
        _run(cmd, env)  # warm the file cache
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for name, cmd in commands.items():
            runs[name].append(_run(cmd, env))
    load_after = os.getloadavg()
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; {os.cpu_count()} cores; "
          f"{args.rounds} rounds\n")
    base = statistics.median(w for w, _ in runs["python -c pass"])
    print("| command | wall ms (median) | best | CPU ms (median) | × bare interpreter |")
    print("|---|---:|---:|---:|---:|")
    for name, values in runs.items():
        wall = statistics.median(w for w, _ in values)
        print(f"| `{name}` | {wall:.0f} | {min(w for w, _ in values):.0f} | "
              f"{statistics.median(c for _, c in values):.0f} | {wall / base:.1f} |")


if __name__ == "__main__":
    main()
