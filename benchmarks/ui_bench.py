"""How long the review app takes per interaction (Streamlit AppTest, in process, no browser).

    python benchmarks/ui_bench.py [--pdf ../shared/real/2023-huaian-hongze-district.pdf]

Prints the median of a few runs for: sign-in, opening a report (first time: the document is parsed and
the page rendered), choosing a finding (a rerun that reuses the caches), and the queue and data pages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def one_round(report: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XXGK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["XXGK_USERS_FILE"] = str(Path(tmp) / "users.json")
        import streamlit as st
        from streamlit.testing.v1 import AppTest

        from extractor.store import open_store
        from ui import auth, uploads

        st.cache_data.clear()  # cold: parse the document and render the page again
        st.cache_resource.clear()
        auth.add_user("bench", "bench-pass")
        store = open_store()
        out = uploads.ingest(store, report.name, report.read_bytes(), who="bench")
        assert out.ok, out
        at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=120)
        at.run()
        at.text_input(key="login_name").input("bench")
        at.text_input(key="login_password").input("bench-pass")
        got = {"sign-in": _timed(lambda: at.button(key="login_submit").click().run())}
        got["queue page"] = _timed(lambda: at.run())
        got["open report (cold)"] = _timed(lambda: at.button(key="queue_open").click().run())
        got["choose a finding (warm)"] = _timed(lambda: at.radio(key="review_finding").set_value(0).run())
        got["data page"] = _timed(lambda: at.radio(key="nav_page").set_value("数据").run())
        assert not at.exception, at.exception
        store.close()
        return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdf", type=Path, default=ROOT.parent / "shared" / "real" / "2023-huaian-hongze-district.pdf")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    reports = [ROOT / "examples" / "2017-old-template-report.txt"] + ([args.pdf] if args.pdf.exists() else [])
    for report in reports:
        rounds = [one_round(report) for _ in range(args.rounds)]
        print(f"{report.name}  (median of {args.rounds})")
        for step in rounds[0]:
            print(f"  {step:<26} {statistics.median(r[step] for r in rounds) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
