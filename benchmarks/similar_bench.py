"""Cross-agency copy search: every pair of N reports compared from their narrative sketches.

    python benchmarks/similar_bench.py [--n 1000]

Sketches are random but shaped like real ones: a third of each report's hashes come from a pool every
report shares (the template's standard sentences), and one report is copied by another agency.
"""

from __future__ import annotations

import argparse
import random
import time

from extractor.similar import similar_reports
from extractor.sketch import SIZE
from schemas.results import DocumentInfo, ReportMeta, Result


def reports(n: int) -> list[Result]:
    rng = random.Random(1)
    common = [rng.getrandbits(64) for _ in range(SIZE // 2)]
    out = []
    for i in range(n):
        hashes = set(rng.sample(common, SIZE // 3)) | {rng.getrandbits(64) for _ in range(SIZE)}
        out.append(Result(document=DocumentInfo(name=f"r{i}", sha256=f"{i:064x}", text_sketch=sorted(hashes)[:SIZE]),
                          meta=ReportMeta(agency=f"机关{i}")))
    copy = out[0].document.model_copy(update={"name": "copy", "sha256": "c" * 64})
    out.append(out[0].model_copy(update={"document": copy, "meta": ReportMeta(agency="另一机关")}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    rs = reports(args.n)
    t0 = time.perf_counter()
    pairs = similar_reports(rs)
    seconds = time.perf_counter() - t0
    assert [(p.first.document.name, p.second.document.name) for p in pairs] == [("r0", "copy")]
    print(f"{len(rs)} reports, {len(rs) * (len(rs) - 1) // 2:,} pairs: {seconds:.2f} s")


if __name__ == "__main__":
    main()
