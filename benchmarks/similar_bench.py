"""Cross-agency copy search: its time and memory as the store grows, beside all pairs, and its accuracy.

    python benchmarks/similar_bench.py                       # scale 1k/10k/100k + accuracy on 1,000 reports
    python benchmarks/similar_bench.py --sizes 1000,10000 --no-accuracy

**Scale.** Synthetic sketches shaped like real ones: each report's 4-grams are about a third customary
wording (drawn by popularity from 5,000 phrases' 4-grams, some in most reports, most in few) and two
thirds its own; 1 % of the reports are copied by another agency, 0–15 of 256 values changed. Each size
runs in a fresh process (its peak memory is its own): generating the sketches is not timed, the search
(``similar.find_alike_flat``) is. The comparator is the search over all pairs with the same decision
(frozenset intersection as a bound, then the estimate), in the same run: in full at the smallest size,
where both must find the same pairs, and above it all pairs of a random 2,000 of the sketches, timed
and scaled by the number of pairs (each pair costs the same).

**Accuracy.** 1,000 generated reports of different agencies (``evals.generator``, templates round-robin,
read from markdown), twice: as the generator writes them (the narrative is all customary sentences from
small pools: two reports can have the same narrative) and with paragraphs on the year's own work (as real
reports have), each with 100 copies: another agency's name put in, the file printed in another layout.
Counted: pairs of different agencies flagged (false copies) and copies found (recall), by the search
and by the sketch before this issue (all 4-grams, the standard wording and the agency's name included).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

from extractor.similar import THRESHOLD, find_alike, find_alike_flat
from extractor.sketch import SIZE, similarity

COPY_SHARE = 0.01


# --------------------------------------------------------------------------- scale
def synthetic(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """n sketches end to end (flat int64, lengths) and the (original, copy) index pairs."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 2**63 - 1, size=5000, dtype=np.int64)
    popularity = 1.0 / np.arange(1, pool.size + 1) ** 0.8
    popularity /= popularity.sum()
    n_copies = int(n * COPY_SHARE)
    n_orig = n - n_copies
    flat = np.empty(n * SIZE, dtype=np.int64)
    for start in range(0, n_orig, 1000):
        rows = min(1000, n_orig - start)
        customary = rng.choice(pool, size=(rows, 400), p=popularity)  # a phrase may be drawn twice: once kept
        own = rng.integers(0, 2**63 - 1, size=(rows, 800), dtype=np.int64)
        for r in range(rows):
            i = start + r
            flat[i * SIZE:(i + 1) * SIZE] = np.unique(np.concatenate([customary[r], own[r]]))[:SIZE]
    originals = rng.choice(n_orig, size=n_copies, replace=False)
    pairs = []
    for k, i in enumerate(originals):
        j = n_orig + k
        values = flat[i * SIZE:(i + 1) * SIZE].copy()
        changed = int(rng.integers(0, 16))  # still at least 0.88 alike: a copy by the threshold
        values[rng.choice(SIZE, size=changed, replace=False)] = rng.integers(0, 2**63 - 1, size=changed)
        values = np.unique(values)
        extra = rng.integers(0, 2**63 - 1, size=SIZE - values.size, dtype=np.int64)
        flat[j * SIZE:(j + 1) * SIZE] = np.sort(np.concatenate([values, extra]))
        pairs.append((int(i), j))
    return flat, np.full(n, SIZE, dtype=np.int64), pairs


def all_pairs(sketches: list[list[int]], rows: list[int] | None = None) -> tuple[set[tuple[int, int]], float]:
    """The comparator: every pair compared (the search as it was: a set intersection as the bound, then
    the estimate), and its seconds."""
    sets = [frozenset(s) for s in sketches]
    t0 = time.perf_counter()
    found = set()
    for i in range(len(sets)) if rows is None else rows:
        for j in range(i + 1, len(sets)):
            if len(sets[i] & sets[j]) < THRESHOLD * min(len(sets[i]), len(sets[j])):
                continue
            score = similarity(sketches[i], sketches[j])
            if score is not None and score >= THRESHOLD:
                found.add((i, j))
    return found, time.perf_counter() - t0


def scale_one(n: int, comparator_size: int) -> dict:
    flat, lengths, copies = synthetic(n)
    agencies = [f"机关{i}" for i in range(n)]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    found = find_alike_flat(flat, lengths, agencies)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pairs = {(i, j) for i, j, _ in found.pairs}
    out = {"n": n, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mib": round(peak / 1024),
           "rss_before_search_mib": round(rss_before / 1024), "pairs": len(pairs), "candidates": found.candidates,
           "common_hashes": found.common, "copies_injected": len(copies),
           "copies_found": sum(1 for p in copies if p in pairs), "other_pairs": len(pairs - set(copies))}
    # the comparator, on the sketches the search compared (the common wording left out, as it decides):
    # all pairs of all sketches at the smallest size, of a random subset above it (a pair costs the same)
    common = np.array(sorted(_common_of(flat, lengths)), dtype=np.int64)
    subset = list(range(n)) if comparator_size >= n else sorted(random.Random(2).sample(range(n), comparator_size))
    cleaned = []
    for i in subset:
        row = flat[i * SIZE:(i + 1) * SIZE]
        cleaned.append(row[~np.isin(row, common)].tolist())
    brute, brute_seconds = all_pairs(cleaned)
    m = len(subset)
    out["all_pairs_seconds"] = round(brute_seconds * (n * (n - 1)) / (m * (m - 1)), 1)
    out["all_pairs_measured"] = "all pairs" if m == n else f"{m * (m - 1) // 2:,} pairs, extrapolated"
    if m == n:
        out["same_pairs_as_all_pairs"] = brute == pairs
    return out


def _common_of(flat: np.ndarray, lengths: np.ndarray) -> set[int]:
    from extractor.similar import _common_hashes

    return set(_common_hashes(flat, lengths, len(lengths)).tolist())


# --------------------------------------------------------------------------- accuracy
def old_sketch(text: str) -> list[int]:
    """The sketch before this issue: every 4-gram of the letters, the standard wording and name included."""
    import re

    chars = re.sub(r"[\W\d_]+", "", text)
    grams = {chars[i:i + 4] for i in range(len(chars) - 3)}
    if len(grams) < 200:
        return []
    return sorted(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") >> 1
                  for g in grams)[:SIZE]


def accuracy(n: int = 1000, n_copies: int = 100) -> list[dict]:
    from evals import gen_prose
    from evals.generator import generate, render, retell
    from extractor.api import read_document

    def read(report, layout: str, name: str) -> tuple[list[int], list[int]]:
        doc, info = read_document(render(report, layout), name)
        return info.text_sketch, old_sketch("\n".join(p.text for p in doc.paragraphs()))

    out = []
    for own_work in (False, True):
        reports = []
        for i in range(n):
            r = generate(i, ("2008", "2019", "2021")[i % 3])
            reports.append(retell(r, this_years_work=True) if own_work else r)
        rng = random.Random(7)
        originals = rng.sample(range(n), n_copies)
        new, old, agencies = [], [], []
        for i, r in enumerate(reports):
            a, b = read(r, "md", f"r{i}.md")
            new.append(a), old.append(b), agencies.append(r.agency)
        copies = []
        for k, i in enumerate(originals):
            copier = gen_prose.agency_name(rng)
            copy = retell(reports[i], agency=copier, this_years_work=own_work)
            a, b = read(copy, "html", f"copy{k}.html")
            new.append(a), old.append(b), agencies.append(copier)
            copies.append((i, n + k))
        for label, sketches in (("before: all 4-grams, all pairs", old), ("now: find_alike", new)):
            t0 = time.perf_counter()
            if label.startswith("before"):
                found, _ = all_pairs(sketches)
                found = {(i, j) for i, j in found if agencies[i] != agencies[j]}
                judged = sum(1 for s in sketches if s)
            else:
                search = find_alike(sketches, agencies)
                found, judged = {(i, j) for i, j, _ in search.pairs}, search.judged
            seconds = time.perf_counter() - t0
            out.append({"reports": "with own paragraphs" if own_work else "as generated", "sketch": label,
                        "n": n, "false_copies": len(found - set(copies)),
                        "pairs_of_different_agencies": n * (n - 1) // 2,
                        "copies_found": sum(1 for p in copies if p in found), "copies": n_copies,
                        "judged": judged, "reports_searched": len(sketches), "seconds": round(seconds, 2)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--comparator-size", type=int, default=2000,
                    help="above this many sketches, all pairs of a random subset this large are timed")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: one size
    args = ap.parse_args()
    if args.one:
        print(json.dumps(scale_one(args.one, args.comparator_size)))
        return
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} (1/5/15 min), {os.cpu_count()} cores\n")
    print("| sketches | search s | CPU s | peak MiB | candidates | copies found | other pairs | all pairs s | "
          "× faster | all pairs measured | same pairs |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for n in (int(x) for x in args.sizes.split(",") if x):
        p = subprocess.run([sys.executable, __file__, "--one", str(n), "--comparator-size", str(args.comparator_size)],
                           capture_output=True, text=True, check=True)
        r = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"| {n:,} | {r['seconds']} | {r['cpu_seconds']} | {r['peak_rss_mib']} | {r['candidates']:,} | "
              f"{r['copies_found']}/{r['copies_injected']} | {r['other_pairs']} | {r['all_pairs_seconds']} | "
              f"{r['all_pairs_seconds'] / max(r['seconds'], 1e-3):.0f} | {r['all_pairs_measured']} | "
              f"{r.get('same_pairs_as_all_pairs', '—')} |", flush=True)
    if not args.no_accuracy:
        print("\n| reports | sketch and search | false copies (of 499,500 pairs) | copies found | reports judged | s |")
        print("|---|---|---:|---:|---:|---:|")
        for r in accuracy():
            print(f"| {r['reports']} | {r['sketch']} | {r['false_copies']} | {r['copies_found']}/{r['copies']} | "
                  f"{r['judged']}/{r['reports_searched']} | {r['seconds']} |", flush=True)
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")


if __name__ == "__main__":
    main()
