"""How long the review app takes per visit and per filter change with many reports in the store.

    python3 benchmarks/ui_bench.py [--reports 10000] [--db /tmp/xxgk-ui-bench.sqlite] [--url postgresql+psycopg://…]

Builds (once; reused while it holds the asked number) a store of N reports cloned from the repo's cases
— the seed (2008 template) and the committed generated 2019 and 2021 reports, with the two real 洪泽区 PDFs
when ../shared is here — spread over 600 agencies and the years 2015–2024, each with its full stored result
(about 40–70 KB), 75 % confirmed, some findings settled, some values edited. Then drives the real app script
with Streamlit's AppTest (in process, signed in) and prints the median and the worst of several rounds for:
the 数据 page's first visit of a session (the page's caches empty), a visit again, each filter change (year,
agency, template, table, next page) to a value not seen before, and a visit after another reviewer confirmed
a report; the queue page and opening a report for comparison. Also the one-off reading of every confirmed
report's summary that a server does in the background when it starts. Times are the server's (the script
run); the browser's drawing of a 50-row table and three small charts comes on top.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("XXGK_SHARED", ROOT.parent / "shared"))
AGENCIES = [f"{county}{office}" for county in ("淮安市洪泽区", "淮安市清江浦区", "南京市鼓楼区", "苏州市吴中区", "徐州市铜山区",
                                               "扬州市邗江区", "无锡市梁溪区", "常州市武进区", "南通市海门区", "盐城市亭湖区",
                                               "镇江市京口区", "泰州市海陵区", "宿迁市宿城区", "连云港市海州区", "盱眙县",
                                               "涟水县", "金湖县", "沭阳县", "丰县", "沛县")
            for office in ("人民政府", "发展和改革委员会", "教育局", "公安局", "民政局", "司法局", "财政局",
                           "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水务局",
                           "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局",
                           "统计局", "医疗保障局", "城市管理局", "行政审批局", "数据局", "退役军人事务局", "信访局", "档案馆",
                           "民族宗教事务局", "体育局")]
YEARS = list(range(2015, 2025))
REVIEWER = "bench"
PASSWORD = "bench-pass-1"


def _templates() -> list[tuple[str, bytes]]:
    paths = [ROOT / "examples" / "2017-old-template-report.txt",
             *sorted(p for p in (ROOT / "tests" / "fixtures" / "generated").glob("gen*") if not p.name.endswith(".json")),
             *[SHARED / "real" / f"{y}-huaian-hongze-district.pdf" for y in (2023, 2024)]]
    return [(p.name, p.read_bytes()) for p in paths if p.exists()]


def build(url: str, n: int) -> None:
    """A store of ``n`` reports (reused when it already holds them)."""
    import extractor
    from extractor.store import open_store

    store = open_store(url)
    have = len(store.list_documents())
    if have >= n:
        print(f"store: {have} reports already in {url}")
        store.close()
        return
    rng = random.Random(13)
    bases = [(name, data, extractor.extract(data, name=name)) for name, data in _templates()]
    t0 = time.perf_counter()
    for i in range(have, n):
        name, data, base = bases[i % len(bases)]
        agency, year = AGENCIES[(i // len(YEARS)) % len(AGENCIES)], YEARS[i % len(YEARS)]
        raw = data + f"\n<!-- bench {i} -->".encode()
        values = {k: v.model_copy(update={"value": v.value + rng.randint(0, 9)})
                  if isinstance(v.value, int) else v for k, v in base.values.items()}
        result = base.model_copy(update={
            "document": base.document.model_copy(update={"sha256": "", "name": f"{agency}-{year}-{name}"}),
            "meta": base.meta.model_copy(update={"agency": agency, "year": year}), "values": values})
        doc = store.add_document(raw, f"{agency}-{year}-{name}", who=REVIEWER)
        store.save_extraction(doc.id, result, created_by=REVIEWER)
        if result.findings and rng.random() < 0.3:
            f = result.findings[0]
            store.decide_finding(doc.id, f.rule, f.keys, rng.choice(["accepted", "dismissed"]), who=REVIEWER,
                                 reason="基准测试")
        if rng.random() < 0.1:
            key = next(iter(values))
            store.record_edit(doc.id, key, rng.randint(0, 99), who=REVIEWER, reason="基准测试")
        if rng.random() < 0.75:
            store.set_review_state(doc.id, "confirmed", who=REVIEWER)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} reports stored ({time.perf_counter() - t0:.0f} s)", flush=True)
    store.close()


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def one_round(k: int, url: str) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from extractor.store import open_store

    st.cache_data.clear()  # the pages' own caches empty: only the server's summaries are kept
    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=300)
    at.query_params["page"] = "queue"
    at.run()
    at.text_input(key="login_name").input(REVIEWER)
    at.text_input(key="login_password").input(PASSWORD)
    got = {"审核队列: sign in and first visit": _timed(lambda: at.button(key="login_submit").click().run())}
    got["数据: first visit"] = _timed(lambda: at.radio(key="nav").set_value("data").run())
    assert not at.exception, at.exception
    assert at.dataframe, "the data page shows no table"
    got["审核队列: visit"] = _timed(lambda: at.radio(key="nav").set_value("queue").run())
    got["数据: visit again"] = _timed(lambda: at.radio(key="nav").set_value("data").run())
    years = at.selectbox(key="data_year").options
    agencies = at.selectbox(key="data_agency").options
    got["数据: filter year"] = _timed(lambda: at.selectbox(key="data_year").set_value(years[1 + k % (len(years) - 1)]).run())
    got["数据: filter agency"] = _timed(
        lambda: at.selectbox(key="data_agency").set_value(agencies[1 + (7 * k) % (len(agencies) - 1)]).run())
    got["数据: filter back to all agencies"] = _timed(lambda: at.selectbox(key="data_agency").set_value("全部").run())
    got["数据: filter template"] = _timed(lambda: at.selectbox(key="data_template").set_value(
        ["2021", "2019", "2008"][k % 3]).run())
    got["数据: other table"] = _timed(lambda: at.selectbox(key="data_table_choice").set_value(
        ["t2", "t4", "old"][k % 3]).run())
    at.selectbox(key="data_year").set_value("全部").run()
    at.selectbox(key="data_template").set_value("全部").run()
    got["数据: next page of the table"] = _timed(lambda: at.session_state.__setitem__("data_page", 2 + k) or at.run())
    with open_store(url) as store:  # another reviewer confirms a report meanwhile
        pending = next(r.document_id for r in store.list_reports(state="pending", limit=1))
        store.set_review_state(pending, "confirmed", who="李四")
    got["数据: visit after a confirmation elsewhere"] = _timed(lambda: at.run())
    assert not at.exception, at.exception
    got["审核: open a report"] = _timed(lambda: at.radio(key="nav").set_value("review").run())
    assert not at.exception, at.exception
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "xxgk-ui-bench.sqlite",
                    help="SQLite file to build or reuse")
    ap.add_argument("--url", help="a database URL instead of --db (PostgreSQL)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    url = args.url or f"sqlite:///{args.db}"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XXGK_DATABASE_URL"] = url
        os.environ["XXGK_USERS_FILE"] = str(Path(tmp) / "users.json")
        from ui import auth

        auth.add_user(REVIEWER, PASSWORD, role="admin")
        build(url, args.reports)
        from extractor.store import open_store
        from ui import state

        with open_store(url) as store:  # what a server does once, in the background, when it starts
            warm = _timed(lambda: state.summary_cache().current(store))
            n = len(state.summary_cache().current(store))
        rounds = [one_round(k, url) for k in range(args.rounds)]
    print(f"\n{args.reports} reports, {url.split('://')[0]}, load average {os.getloadavg()[0]:.1f}")
    print(f"server start: summaries of the {n} confirmed reports read in {warm * 1000:.0f} ms (once, in the background)")
    print(f"median and worst of {args.rounds} rounds (ms):")
    print(f"  {'step':<36} {'median':>8} {'worst':>8}")
    for step in rounds[0]:
        times = [r[step] * 1000 for r in rounds]
        print(f"  {step:<36} {statistics.median(times):8.0f} {max(times):8.0f}")


if __name__ == "__main__":
    main()
