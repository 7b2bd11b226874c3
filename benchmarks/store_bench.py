"""Store throughput: saving reports, claiming job items, listing the review queue, the cross-year check.

    python benchmarks/store_bench.py [--n 500] [--url postgresql+psycopg://…]

Without --url it measures a SQLite file in a temporary directory. A report here is a full 2021
Result: every catalog key of the template with one piece of evidence, and three findings.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from extractor.store import Store, open_store
from extractor.years import check_store
from schemas.catalog import fields_for
from schemas.results import Evidence, Finding, ReportMeta, Result, Usage, Value


def report(i: int) -> Result:
    keys = [f.key for f in fields_for("2021")]
    values = {k: Value(key=k, value=(i * 7 + j) % 500, raw=str((i * 7 + j) % 500),
                       evidence=[Evidence(page=3, start=j * 9, end=j * 9 + 3, text=str(j), row=j, col=2)])
              for j, k in enumerate(keys)}
    findings = [Finding(rule=f"r{n}", kind="sum", message="合计不等于各项之和", keys=keys[n:n + 3]) for n in range(3)]
    return Result(meta=ReportMeta(agency=f"机关{i % 40}", year=2019 + (i // 40) % 5, template="2021"), values=values,
                  findings=findings, usage=Usage(), seconds=0.1)


def bench(store: Store, n: int) -> dict[str, float]:
    results = [report(i) for i in range(n)]
    t0 = time.perf_counter()
    for i, r in enumerate(results):
        doc = store.add_document(f"report {i}".encode() * 2000, f"r{i}.pdf")
        store.save_extraction(doc.id, r, created_by="bench")
    t_save = time.perf_counter() - t0

    job = store.create_job({}, [f"r{i}.pdf" for i in range(n)])
    t0 = time.perf_counter()

    def work() -> None:
        while (item := store.claim_next_item(job.id)) is not None:
            store.finish_item(item.id)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_claim = time.perf_counter() - t0

    t0 = time.perf_counter()
    rows = store.list_reports()
    t_list = time.perf_counter() - t0
    assert len(rows) == n
    t0 = time.perf_counter()
    latest = store.latest_extractions()
    t_latest = time.perf_counter() - t0
    assert len(latest) == n
    t0 = time.perf_counter()
    years = check_store(store)
    t_years = time.perf_counter() - t0
    assert years.pairs
    return {"save reports/s": n / t_save, "claim+finish items/s (2 threads)": n / t_claim,
            f"list_reports over {n} (ms)": t_list * 1000, f"latest_extractions over {n} (ms)": t_latest * 1000,
            f"cross-year check over {n} (ms)": t_years * 1000}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.url or Path(tmp) / "bench.sqlite")
        print(f"backend: {store.backend}, reports: {args.n}")
        for k, v in bench(store, args.n).items():
            print(f"  {k:38s} {v:10.1f}")
        store.close()


if __name__ == "__main__":
    main()
